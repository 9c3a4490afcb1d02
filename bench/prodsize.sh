#!/usr/bin/env bash
# bench/prodsize.sh: loads production-size data (bench/prodsize.sql) into
# a creneau database already migrated, through psql; the arguments are
# psql's connection options (or the PG* environment variables).
#   bench/prodsize.sh -d creneau
#   PRODSIZE_SITES   sites (default 100; 3 for a quick run)
#   PRODSIZE_DAYS    days of slots ahead (default 365)
#   PRODSIZE_HISTORY days of past slots and bookings (default 60)
#   PRODSIZE_JOBS    parallel sessions (default 2)
# Prints the time of each step and the total. The database must be of
# its own (the load drops indexes and disables triggers while it runs,
# and puts them back and checks the invariants at the end: a load that
# fails leaves a database to throw away).
# script/lib.sh's cr_load_prodsize calls it on the state's database.
set -euo pipefail
sql=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/prodsize.sql
jobs=${PRODSIZE_JOBS:-2}
vars=(-v sites="${PRODSIZE_SITES:-100}" -v days="${PRODSIZE_DAYS:-365}"
	-v history="${PRODSIZE_HISTORY:-60}")
# The load's sessions only: no wait for the WAL flush at each commit (the
# database is rebuilt if the machine fails during a load), memory for the
# sorts of the index builds, no JIT (the planner, before any ANALYZE,
# compiled the bookings query for a minute).
export PGOPTIONS="${PGOPTIONS:-} -c synchronous_commit=off -c maintenance_work_mem=512MB -c work_mem=64MB -c jit=off"
run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Runs step $1 in $jobs parallel sessions (part K of N each).
parts() {
	local step=$1 k pid pids=() rc=0
	shift
	for ((k = 0; k < jobs; k++)); do
		run "$@" "${vars[@]}" -v step="$step" -v part="$k" -v parts="$jobs" -f "$sql" >/dev/null &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do
		wait "$pid" || rc=$?
	done
	return "$rc"
}
one() {
	local step=$1
	shift
	run "$@" "${vars[@]}" -v step="$step" -f "$sql" >/dev/null
}

# The CPU time of the cluster's processes (the postmaster's, its live
# children's and its finished children's), in clock ticks, when the
# cluster is on this machine and readable: on a busy machine the elapsed
# time of a step says little, its CPU time what it costs alone.
pm=$(run "$@" -Atc "SELECT setting FROM pg_settings WHERE name = 'data_directory'" 2>/dev/null |
	xargs -r -I{} head -n 1 {}/postmaster.pid 2>/dev/null || true)
cpu_ticks() {
	local c kids=()
	if [ -z "$pm" ] || [ ! -r "/proc/$pm/stat" ]; then
		echo 0
		return
	fi
	mapfile -t kids < <(pgrep -P "$pm" || true)
	{
		cut -d ' ' -f 14-17 "/proc/$pm/stat"
		for c in "${kids[@]}"; do
			cut -d ' ' -f 14-15 "/proc/$c/stat" || true
		done
	} 2>/dev/null | tr ' ' '\n' | awk '{ t += $1 } END { print t + 0 }'
}
hz=$(getconf CLK_TCK)
start=$(date +%s)
last=$start
cpu_start=$(cpu_ticks)
cpu_last=$cpu_start
step_done() {
	local now cpu
	now=$(date +%s)
	cpu=$(cpu_ticks)
	printf 'prodsize: %-9s %4d s, PostgreSQL CPU %5d.%d s\n' "$1" "$((now - last))" \
		"$(((cpu - cpu_last) / hz))" "$(((cpu - cpu_last) * 10 / hz % 10))"
	last=$now
	cpu_last=$cpu
}
one setup "$@"
step_done setup
parts slots "$@"
step_done slots
parts bookings "$@"
step_done bookings
parts counts "$@"
step_done counts
parts vacuum "$@"
step_done vacuum
parts indexes "$@"
step_done indexes
one keys "$@"
step_done keys
run "$@" "${vars[@]}" -v step=finish -f "$sql"
step_done finish
echo "prodsize: loaded in $(($(date +%s) - start)) s, PostgreSQL CPU $((($(cpu_ticks) - cpu_start) / hz)) s (${PRODSIZE_SITES:-100} sites, $jobs sessions; load average $(cut -d ' ' -f 1-3 /proc/loadavg))"
