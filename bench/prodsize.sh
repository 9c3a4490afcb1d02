#!/usr/bin/env bash
# bench/prodsize.sh: loads production-size data (bench/prodsize.sql) into
# a creneau database already migrated, through psql; the arguments are
# psql's connection options (or the PG* environment variables).
#   bench/prodsize.sh -d creneau
#   PRODSIZE_SITES   sites (default 100; 3 for a quick run)
#   PRODSIZE_DAYS    days of slots ahead (default 365)
#   PRODSIZE_HISTORY days of past slots and bookings (default 60)
#   PRODSIZE_JOBS    parallel sessions generating slots (default 2)
# script/lib.sh's cr_load_prodsize calls it on the state's database.
set -euo pipefail
sql=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)/prodsize.sql
jobs=${PRODSIZE_JOBS:-2}
vars=(-v sites="${PRODSIZE_SITES:-100}" -v days="${PRODSIZE_DAYS:-365}"
	-v history="${PRODSIZE_HISTORY:-60}")
run() { psql -X -q -v ON_ERROR_STOP=1 "$@"; }

# Runs step $1 in $jobs parallel sessions, one part of the sites each.
parts() {
	local step=$1 k pid pids=()
	shift
	for ((k = 0; k < jobs; k++)); do
		run "$@" "${vars[@]}" -v step="$step" -v part="$k" -v parts="$jobs" -f "$sql" >/dev/null &
		pids+=("$!")
	done
	for pid in "${pids[@]}"; do
		wait "$pid"
	done
}

start=$(date +%s)
run "$@" "${vars[@]}" -v step=setup -f "$sql"
parts slots "$@"
echo "prodsize: slots generated in $(($(date +%s) - start)) s"
run "$@" "${vars[@]}" -v step=bookings -f "$sql" >/dev/null
echo "prodsize: bookings made in $(($(date +%s) - start)) s"
parts booked "$@"
run "$@" "${vars[@]}" -v step=finish -f "$sql"
echo "prodsize: loaded in $(($(date +%s) - start)) s"
