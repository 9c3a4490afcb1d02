#!/usr/bin/env bash
# The opening stampede (issue 15; `make stampede`): sets up a fresh
# var/stampede-bench/ as script/test does (PostgreSQL, creneau-fcgi,
# nginx on 127.0.0.1), opens a calendar there and lets bench/stampede.py
# send STAMPEDE_APPLICANTS people (default 20000), arriving within a
# minute, at STAMPEDE_PLACES places (default 1000) published 30 s after
# the first of them: the waiting room, the calendar, a day, the form, the
# POST, the code, the confirmation, and refreshing when nothing is left.
# It does so for each set-up of STAMPEDE_HOSTS (default "1 2"): 1, the
# one host; N > 1, N application hosts (script/lib.sh cr_host_start, each
# nginx + creneau-fcgi with CRENEAU_WORKERS workers) sharing the primary,
# with a streaming standby for the public pages (cr_standby_start), each
# person on one host (a balancer hashing on the client). Prints the
# machine and, per set-up, the figures, the 5xx by kind and the database
# checks; writes them to var/stampede-bench/report.txt. Exit status 1
# when an invariant fails or an unintended 5xx was answered in any set-up.
# People stop starting anything new STAMPEDE_DEADLINE seconds after the
# first arrival (default 240: the arrivals, the opening and the queue
# drained at 10,000 a minute; those holding a place still confirm it), so
# that each set-up takes about 5 minutes: without it, the 19,000 people
# left without a place refresh for a quarter of an hour more.
# Stops everything on exit.
#   bench/stampede.sh                      both set-ups, full size
#   STAMPEDE_HOSTS=2 bench/stampede.sh     two hosts only
#   STAMPEDE_APPLICANTS=500 STAMPEDE_PLACES=100 bench/stampede.sh
#   bench/stampede.sh --inflight 256       more options: bench/stampede.py -h
# The per-address limits are lifted as for a crowd behind many networks
# (the generator spreads its people over 253 loopback addresses): nginx's
# rates, form_tokens_per_address, the live holds and holds per address.
# CRENEAU_LISTEN_BACKLOG sets creneau-fcgi's listen_backlog (default 1024;
# 128, the old fixed value, shows nginx's 503s when the queue overflows).
set -euo pipefail

# shellcheck source=script/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../script/lib.sh"

case ${1:-} in
-h | --help)
	sed -n '2,32s/^# \{0,1\}//p' "${BASH_SOURCE[0]}"
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
export CRENEAU_LISTEN_BACKLOG=${CRENEAU_LISTEN_BACKLOG:-1024}
CRENEAU_PORT=$(cr_free_port)
PGPORT=$(cr_free_port)

# nginx's development configuration of a host (its state directory, its
# log directory), opened up for thousands of connections and form POSTs
# from the loopback addresses, then reloaded.
open_up_nginx() {
	local dir=$1 logs=$2
	grep -q 'worker_connections 256;' "$dir/nginx.conf" || return 0
	sed -i -e 's/worker_connections 256;/worker_connections 8192;/' \
		-e 's/^worker_processes 1;/worker_processes 1;\nworker_rlimit_nofile 20000;/' \
		-e 's/zone=creneau_dev_post:1m rate=20r\/s/zone=creneau_dev_post:1m rate=100000r\/s/' \
		"$dir/nginx.conf"
	cr_as /usr/sbin/nginx -p "$dir/nginx" -c "$dir/nginx.conf" -e "$logs/nginx-error.log" -s reload
}

cr_start_all
open_up_nginx "$state" "$logdir"
sleep 1
cr_wait_healthy
main_url="http://127.0.0.1:$CRENEAU_PORT"

export PGHOST="$rundir" PGPORT PGDATABASE="$CRENEAU_DB" PGUSER="$CRENEAU_DBUSER"
unset PGPASSWORD PGSERVICE PGOPTIONS
psql -X -q -c "UPDATE rate_limit_rules SET max_hits = 1000000 WHERE scope = 'address'" >/dev/null

report=$state/report.txt
backlog=$(sed -n 's/^listen_backlog = //p' "$conf")
{
	echo "creneau opening stampede, $(date -u '+%F %T UTC'), commit $(git -C "$top" describe --always --dirty 2>/dev/null || echo '?')"
	echo "machine: $(nproc) CPU ($(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -n 1)), $(awk '/MemTotal/ { printf "%.1f GB", $2 / 1048576 }' /proc/meminfo), load average $(cut -d' ' -f1-3 /proc/loadavg) before the first run; clients, hosts and PostgreSQL all on this machine"
	echo "each host: nginx 1 process (8192 connections), creneau-fcgi $CRENEAU_WORKERS workers, listen_backlog ${backlog:-default} (net.core.somaxconn $(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo '?')); PostgreSQL 15 (fsync on); admission_per_minute $CRENEAU_ADMISSION_PER_MINUTE over all hosts, form_min_seconds $CRENEAU_FORM_MIN_SECONDS"
} | tee "$report"

# Leaves exactly n application hosts running and prints their addresses,
# comma-separated: n = 1, the state's own host; n > 1, hosts h1..hn
# reading the public pages from the standby (started the first time), the
# state's own host stopped so that the waiting room shares its rate
# between these n only (creneau_hosts).
hosts_up() {
	local n=$1 i urls='' port h
	if [ "$n" -le 1 ]; then
		for h in "$state"/hosts/*/; do
			[ -d "$h" ] && cr_host_stop "$(basename "$h")"
		done
		cr_fcgi_start >&2
		cr_nginx_start >&2
		open_up_nginx "$state" "$logdir" >&2
		sleep 1
		cr_wait_healthy >&2
		echo "$main_url"
		return 0
	fi
	cr_standby_start standby >&2
	for ((i = 1; i <= n; i++)); do
		if ! cr_pid_alive "$rundir/host-h$i/nginx.pid" nginx >/dev/null; then
			port=$(cr_free_port)
			cr_host_start "h$i" "$port" "database_standby = $standby_conninfo" >&2
			open_up_nginx "$state/hosts/h$i" "$state/hosts/h$i/log" >&2
		fi
		port=$(sed -n 's|^base_url = http://127.0.0.1:||p' "$state/hosts/h$i/creneau.conf" | tail -n 1)
		urls=${urls:+$urls,}http://127.0.0.1:$port
	done
	for h in "$state"/hosts/*/; do
		h=$(basename "$h")
		[ "${h#h}" -gt "$n" ] 2>/dev/null && cr_host_stop "$h"
	done
	cr_nginx_stop >&2 || true
	cr_fcgi_stop >&2 || true
	psql -X -q -c "DELETE FROM creneau_hosts WHERE name NOT IN ($(seq -f "'h%g'" -s, 1 "$n"))" >/dev/null
	sleep 1
	echo "$urls"
}

rc=0
read -r -a setups <<<"${STAMPEDE_HOSTS:-1 2}"
for n in "${setups[@]}"; do
	urls=$(hosts_up "$n")
	{
		echo
		echo "=== $n host(s): $urls; load average $(cut -d' ' -f1-3 /proc/loadavg) before the run"
	} | tee -a "$report"
	r=0
	CRENEAU_URL=$urls python3 "$top/bench/stampede.py" --applicants "${STAMPEDE_APPLICANTS:-20000}" \
		--places "${STAMPEDE_PLACES:-1000}" --deadline "${STAMPEDE_DEADLINE:-240}" \
		--json "$state/stampede-$n.json" "$@" | tee -a "$report" ||
		r=${PIPESTATUS[0]}
	[ "$r" -eq 0 ] || rc=$r
	echo "load average after the run: $(cut -d' ' -f1-3 /proc/loadavg)" | tee -a "$report"
done

# One summary line per set-up, side by side.
python3 - "$state" "${setups[@]}" <<'PY' | tee -a "$report"
import json, sys
state, setups = sys.argv[1], sys.argv[2:]
print()
print("| hosts | people | requests | req/s | 5xx (unintended) | worst p99 ms (step) | confirmed / places | invariants |")
print("|---|---|---|---|---|---|---|---|")
for n in setups:
    try:
        r = json.load(open("%s/stampede-%s.json" % (state, n)))
    except (OSError, ValueError):
        print("| %s | run failed | | | | | | |" % n)
        continue
    worst = max(r["p99"].items(), key=lambda kv: kv[1]) if r.get("p99") else ("-", float("nan"))
    print("| %s | %d | %d | %.0f | %d (%d) | %.0f (%s) | %d / %d | %s |" % (
        n, len(r["outcomes"]), r["requests"], r["requests"] / max(r["elapsed"], 0.001), r["fives"]["all"],
        r["fives"]["unintended"], worst[1] * 1e3, worst[0], r["facts"]["confirmed"], r["facts"]["places"],
        "hold" if not r["problems"] else "FAILED"))
PY
cr_say "report: $report"
exit "$rc"
