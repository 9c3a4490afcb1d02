#!/usr/bin/env bash
# bench/pages.sh TREE: the quick page measurement of the first bench
# (4 workers, wrk -c32, 5 s a page, demo data) against the checkout TREE,
# with a cookie so that the micro-cache is bypassed: uncached figures, to
# compare two commits (checkout the old one in another worktree).
set -euo pipefail
cd "$1"
. script/lib.sh
cr_runas_setup >/dev/null 2>&1 || true
cr_state_init benchcmp fresh >/dev/null
trap 'cr_stop_all >/dev/null 2>&1 || true' EXIT
CRENEAU_PORT=$(cr_free_port); PGPORT=$(cr_free_port)
export CRENEAU_PORT PGPORT CRENEAU_WORKERS=4 CRENEAU_NGINX_RATE=1000000
cr_start_all >/dev/null 2>&1
url="http://127.0.0.1:$CRENEAU_PORT"
site=$(cr_psql -d "$CRENEAU_DB" -Atc "SELECT slug FROM sites ORDER BY id LIMIT 1")
proc=$(cr_psql -d "$CRENEAU_DB" -Atc "SELECT p.code FROM site_procedures sp JOIN sites s ON s.id = sp.site_id JOIN procedures p ON p.id = sp.procedure_id WHERE s.slug = '$site' AND p.allocation_mode = 'open' ORDER BY p.id LIMIT 1")
echo "# $1 ($(git -C "$1" rev-parse --short HEAD)), load $(cut -d' ' -f1-3 /proc/loadavg)"
for path in /healthz / "/site/$site" "/site/$site/$proc"; do
	curl -s -o /dev/null -H 'Cookie: benchcmp=1' "$url$path"
	out=$(wrk -t2 -c32 -d5s --latency -H 'Cookie: benchcmp=1' "$url$path")
	rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	non2xx=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
	printf '%-40s %10s req/s  p50 %8s  p99 %8s  non-2xx %s\n' "GET $path" "$rps" "$p50" "$p99" "${non2xx:-0}"
done
