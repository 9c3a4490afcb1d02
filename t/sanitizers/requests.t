#!/usr/bin/env bash
# Request-level tests against creneau-fcgi built with AddressSanitizer,
# UndefinedBehaviorSanitizer and LeakSanitizer (issue 13). The sanitiser
# build (script/lib.sh cr_build_asan: var/build-asan/, incremental)
# replaces the test state's creneau-fcgi; a subset of t/http/ that drives
# the parser and the most pages (public, staff, mediator; GETs, POSTs,
# bad input, errors) runs against it; then it stops gracefully, each
# worker running LeakSanitizer's check as it leaves (supervisor.c), and
# the normal creneau-fcgi comes back (also on failure). Any report (ASan
# and LeakSanitizer: log_path in the state's log/sanitizers/; UBSan: the
# workers' log), any worker that died, or a failing subtest fails the
# test, with the report printed. Skips outside a git checkout (the
# sanitiser build copies the files git knows).
#   CRENEAU_SANITIZER_TESTS='t/http/pages.t ...'  another subset
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd -P)}
if [ -z "${CRENEAU_URL:-}" ] || [ -z "${CRENEAU_CTL:-}" ] || [ -z "${CRENEAU_VAR:-}" ]; then
	echo "1..0 # SKIP no test server (run script/test)"
	exit 0
fi
if ! git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
	echo "1..0 # SKIP not a git checkout (the sanitiser build copies the files git knows)"
	exit 0
fi
subset=${CRENEAU_SANITIZER_TESTS:-"t/http/pages.t t/http/booking_flow.t t/http/booking_input.t
	t/http/doors.t t/http/booking_states.t t/http/staff_auth.t t/http/admin_pages.t
	t/http/agent_mediator.t t/http/agent_counter.t"}

work=$(mktemp -d "${TMPDIR:-/tmp}/creneau-asan.XXXXXX") || exit 1
n=0
ok() { # ok STATUS DESCRIPTION: one TAP line
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi
}
diag() { sed 's/^/# /'; }

t0=$(date +%s)
if ! bin=$(bash -c '. "$1/script/lib.sh" && cr_build_asan' build "$top" 2>"$work/build.log"); then
	ok 1 "the sanitiser build of creneau-fcgi (script/lib.sh cr_build_asan)"
	tail -n 40 "$work/build.log" | diag
	echo "1..$n"
	rm -rf "$work"
	exit 1
fi
ok 0 "the sanitiser build of creneau-fcgi ($(($(date +%s) - t0)) s)"

san=$CRENEAU_VAR/log/sanitizers
log=$CRENEAU_VAR/log/creneau-fcgi.log
rm -rf "$san"
mkdir -p "$san"
[ "$(id -u)" -ne 0 ] || chown creneau:creneau "$san"
# The normal creneau-fcgi comes back whatever happens.
restore() {
	"$CRENEAU_CTL" fcgi-stop >/dev/null 2>&1
	CRENEAU_FCGI_BIN='' "$CRENEAU_CTL" fcgi-start >/dev/null 2>&1
	rm -rf "$work"
}
trap restore EXIT
trap 'exit 130' INT TERM HUP

"$CRENEAU_CTL" fcgi-stop
offset=$(($(stat -c %s "$log" 2>/dev/null || echo 0) + 1))
# Any finding aborts the process with its report in $san/asan.PID;
# LeakSanitizer reports at each worker's exit. Exported while the
# subset runs, so that a test restarting creneau-fcgi (script/ctl)
# starts the sanitiser build again.
export ASAN_OPTIONS="log_path=$san/asan:detect_leaks=1:abort_on_error=1:detect_stack_use_after_return=1:strict_string_checks=1:check_initialization_order=1"
export UBSAN_OPTIONS="log_path=$san/ubsan:print_stacktrace=1:halt_on_error=1"
export CRENEAU_FCGI_BIN=$bin
"$CRENEAU_CTL" fcgi-start 2>"$work/start.log"
ok $? "creneau-fcgi of the sanitiser build starts"
diag <"$work/start.log"
grep -q "start $bin" "$log"
ok $? "the running creneau-fcgi is $bin"

for t in $subset; do
	s=$(date +%s)
	"$top/$t" >"$work/out" 2>&1
	rc=$?
	checks=$(grep -c '^ok ' "$work/out")
	if [ "$rc" -eq 0 ] && ! grep -q '^not ok ' "$work/out" && [ "$checks" -gt 0 ]; then
		ok 0 "$t against the sanitiser build ($checks checks, $(($(date +%s) - s)) s)"
	else
		ok 1 "$t against the sanitiser build (exit $rc)"
		grep -A 8 '^not ok ' "$work/out" | head -n 60 | diag
		tail -n 5 "$work/out" | diag
	fi
done

unset ASAN_OPTIONS UBSAN_OPTIONS CRENEAU_FCGI_BIN
! tail -c "+$offset" "$log" | grep '^--- .* start ' | grep -v -F "start $bin"
ok $? "every start of creneau-fcgi during the tests was the sanitiser build's"

# Graceful stop: TERM to the supervisor, which TERMs the workers; each
# leaves worker_run and runs the leak check (supervisor.c, spawn).
"$CRENEAU_CTL" fcgi-stop 2>"$work/stop.log"
! grep -q . "$work/stop.log"
ok $? "creneau-fcgi of the sanitiser build stops on TERM"
diag <"$work/stop.log"
tail -c "+$offset" "$log" >"$work/log"
# UBSan's reports come here, with their stacks (gcc's UBSan, beside
# ASan, writes to stderr whatever log_path says).
! grep -E -A 12 'worker [0-9]+ ended|still running after|runtime error|Sanitizer' "$work/log" >"$work/bad"
ok $? "no worker died, was killed at the stop or reported anything in the workers' log"
head -n 80 "$work/bad" | diag
reports=$(find "$san" -type f | sort)
[ -z "$reports" ]
ok $? "no ASan, UBSan or LeakSanitizer report (in $san)"
for f in $reports; do
	echo "# ==> $f <=="
	head -n 80 "$f" | diag
done

trap - EXIT
restore
curl -fsS -o /dev/null --max-time 10 "$CRENEAU_URL/healthz"
ok $? "the normal creneau-fcgi is back (healthz)"
echo "# $(($(date +%s) - t0)) s in all"
echo "1..$n"
