#!/usr/bin/env bash
# The opening stampede (issue 15; `make stampede`): sets up a fresh
# var/stampede-bench/ as script/test does (PostgreSQL, creneau-fcgi,
# nginx on 127.0.0.1), opens a calendar there and lets bench/stampede.py
# send STAMPEDE_APPLICANTS people (default 20000), arriving within a
# minute, at STAMPEDE_PLACES places (default 1000) published 30 s after
# the first of them: the waiting room, the calendar, a day, the form, the
# POST, the code, the confirmation, and refreshing when nothing is left.
# Prints the machine, the figures and the database checks; writes them to
# var/stampede-bench/report.txt. Stops everything on exit.
#   bench/stampede.sh                      the full opening
#   STAMPEDE_APPLICANTS=500 STAMPEDE_PLACES=100 bench/stampede.sh
#   bench/stampede.sh --inflight 256       more options: bench/stampede.py -h
# The per-address limits are lifted as for a crowd behind many networks
# (the generator spreads its people over 253 loopback addresses): nginx's
# rates, form_tokens_per_address, the live holds and holds per address.
set -euo pipefail

# shellcheck source=script/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../script/lib.sh"

case ${1:-} in
-h | --help)
	sed -n '2,17s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
	exit 0
	;;
esac

cr_install
cr_runas_setup
cr_build
cr_state_init "${STAMPEDE_STATE:-stampede-bench}" fresh

# shellcheck disable=SC2317 # invoked by the trap
on_exit() {
	local rc=$?
	trap - EXIT INT TERM HUP
	cr_stop_all || true
	exit "$rc"
}
trap on_exit EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

export CRENEAU_WORKERS=${CRENEAU_WORKERS:-4}
export CRENEAU_FORM_MIN_SECONDS=${CRENEAU_FORM_MIN_SECONDS:-3}
export CRENEAU_ADMISSION_PER_MINUTE=${CRENEAU_ADMISSION_PER_MINUTE:-10000}
export CRENEAU_FORM_TOKENS_PER_ADDRESS=${CRENEAU_FORM_TOKENS_PER_ADDRESS:-100000}
export CRENEAU_NGINX_RATE=${CRENEAU_NGINX_RATE:-100000}
CRENEAU_PORT=$(cr_free_port)
PGPORT=$(cr_free_port)

cr_start_all
# nginx's development configuration, opened up for thousands of
# connections and form POSTs from the loopback addresses, then reloaded.
sed -i -e 's/worker_connections 256;/worker_connections 8192;/' \
	-e 's/^worker_processes 1;/worker_processes 1;\nworker_rlimit_nofile 20000;/' \
	-e 's/zone=creneau_dev_post:1m rate=20r\/s/zone=creneau_dev_post:1m rate=100000r\/s/' \
	"$state/nginx.conf"
cr_as /usr/sbin/nginx -p "$state/nginx" -c "$state/nginx.conf" -e "$logdir/nginx-error.log" -s reload
sleep 1
cr_wait_healthy

export CRENEAU_URL="http://127.0.0.1:$CRENEAU_PORT"
export PGHOST="$rundir" PGPORT PGDATABASE="$CRENEAU_DB" PGUSER="$CRENEAU_DBUSER"
unset PGPASSWORD PGSERVICE PGOPTIONS
psql -X -q -c "UPDATE rate_limit_rules SET max_hits = 1000000 WHERE scope = 'address'" >/dev/null

report=$state/report.txt
{
	echo "creneau opening stampede, $(date -u '+%F %T UTC'), commit $(git -C "$top" rev-parse --short HEAD 2>/dev/null || echo '?')"
	echo "machine: $(nproc) CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
	echo "server: nginx 1 process, creneau-fcgi $CRENEAU_WORKERS workers, PostgreSQL 15 (fsync on), all on this machine with the client; admission_per_minute $CRENEAU_ADMISSION_PER_MINUTE, form_min_seconds $CRENEAU_FORM_MIN_SECONDS"
	echo
} | tee "$report"
rc=0
python3 "$top/bench/stampede.py" --applicants "${STAMPEDE_APPLICANTS:-20000}" \
	--places "${STAMPEDE_PLACES:-1000}" --json "$state/stampede.json" "$@" | tee -a "$report" ||
	rc=${PIPESTATUS[0]}
echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
cr_say "report: $report"
exit "$rc"
