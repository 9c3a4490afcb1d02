#!/bin/sh
# A short run of each libFuzzer harness of fuzz/ (fuzz/build.sh: clang
# with libFuzzer, ASan and UBSan), FUZZ_SHORT_SECONDS seconds each (20 by
# default), from the seed corpus fuzz/corpus/<harness>/ (which holds
# every input that once found something): a crash, leak or failed
# property fails the test; the number of executions is printed. How
# many executions fit in the time depends on the machine; the test does
# not. Skips when clang or its libFuzzer runtime is missing. The long
# runs: make fuzz.
top=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd -P)}
seconds=${FUZZ_SHORT_SECONDS:-20}
harnesses="request fields secret template mail"
# The harnesses are built in the build tree (make distcheck's source
# tree is read-only).
FUZZ_OUT=${FUZZ_OUT:-${top_builddir:-$top}/var/fuzz}
export FUZZ_OUT
out=$FUZZ_OUT

# shellcheck disable=SC2086 # a list of names
build=$(bash "$top/fuzz/build.sh" $harnesses 2>&1)
case $? in
0) ;;
77)
	echo "1..0 # SKIP clang with libFuzzer is missing (apt-get install clang libclang-rt-14-dev)"
	exit 0
	;;
*)
	echo "1..1"
	echo "not ok 1 - fuzz/build.sh builds the harnesses"
	printf '%s\n' "$build" | sed 's/^/# /'
	exit 0
	;;
esac

work=$(mktemp -d "${TMPDIR:-/tmp}/creneau-fuzz.XXXXXX") || exit 1
trap 'rm -rf "$work"' EXIT
# shellcheck disable=SC2086
set -- $harnesses
echo "1..$#"
# Two harnesses at a time (FUZZ_SHORT_JOBS): each is one process, and
# the machine has two cores; the results are read in order afterwards.
jobs=${FUZZ_SHORT_JOBS:-2}
run_one() {
	h=$1
	mkdir -p "$work/$h" "$work/crashes-$h"
	dict=
	[ -f "$top/fuzz/$h.dict" ] && dict=-dict=$top/fuzz/$h.dict
	# A fresh corpus directory: the seeds are read, nothing is written
	# into the repository. -timeout is a generous limit for one input.
	"$out/bin/$h" -max_total_time="$seconds" -timeout=60 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$work/crashes-$h/" ${dict:+"$dict"} \
		"$work/$h" "$top/fuzz/corpus/$h" >"$work/$h.log" 2>&1
	echo $? >"$work/$h.status"
}
running=0
for h in $harnesses; do
	run_one "$h" &
	running=$((running + 1))
	if [ "$running" -ge "$jobs" ]; then
		wait
		running=0
	fi
done
wait
n=0
for h in $harnesses; do
	n=$((n + 1))
	status=$(cat "$work/$h.status" 2>/dev/null || echo 1)
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$work/$h.log")
	seeds=$(find "$top/fuzz/corpus/$h" -type f | wc -l)
	if [ "$status" -eq 0 ] && [ -n "$execs" ] && [ "$execs" -gt 0 ]; then
		echo "ok $n - $h: no crash, leak or failed property"
	else
		echo "not ok $n - $h: no crash, leak or failed property (exit $status)"
		grep -a -m 20 '^fuzz: property failed\|ERROR\|SUMMARY\|#[0-9] \|Test unit written' \
			"$work/$h.log" | sed 's/^/# /'
		mkdir -p "$out/crashes/$h"
		cp "$work/crashes-$h"/* "$out/crashes/$h/" 2>/dev/null &&
			echo "# the input is kept in $out/crashes/$h/"
	fi
	echo "# $h: ${execs:-0} executions in $seconds s, $seeds seeds"
done
