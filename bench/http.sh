#!/usr/bin/env bash
# bench/http.sh: request-path figures against the real nginx + workers +
# PostgreSQL of a fresh var/bench state (script/lib.sh), with wrk on
# loopback: requests per second and latency of the public pages, and the
# workers' memory. Run by `make bench`; prints figures, judges nothing.
#   BENCH_SECONDS (default 10), BENCH_CONNECTIONS (default 32)
set -euo pipefail
# shellcheck source=script/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../script/lib.sh"

CRENEAU_PACKAGES+=(wrk)
cr_install
cr_runas_setup
cr_build
cr_state_init bench fresh
trap 'cr_stop_all || true' EXIT
CRENEAU_PORT=$(cr_free_port)
PGPORT=$(cr_free_port)
export CRENEAU_WORKERS=${CRENEAU_WORKERS:-4}
# The benchmark measures the application, not nginx's per-address limit.
export CRENEAU_NGINX_RATE=1000000
cr_start_all

url="http://127.0.0.1:$CRENEAU_PORT"
secs=${BENCH_SECONDS:-10}
conns=${BENCH_CONNECTIONS:-32}
site=$(cr_psql -d "$CRENEAU_DB" -Atc "SELECT slug FROM sites ORDER BY id LIMIT 1")
proc=$(cr_psql -d "$CRENEAU_DB" -Atc "SELECT p.code FROM site_procedures sp JOIN sites s ON s.id = sp.site_id JOIN procedures p ON p.id = sp.procedure_id WHERE s.slug = '$site' AND p.allocation_mode = 'open' ORDER BY p.id LIMIT 1")
echo "# creneau request path: $CRENEAU_WORKERS workers, wrk -t2 -c$conns -d${secs}s, $(nproc) cores"
for path in /healthz / "/site/$site" "/site/$site/$proc" /static/creneau.css; do
	out=$(wrk -t2 -c"$conns" -d"${secs}s" --latency "$url$path")
	rps=$(awk '/^Requests\/sec/ { print $2 }' <<<"$out")
	p50=$(awk '$1 == "50%" { print $2 }' <<<"$out")
	p99=$(awk '$1 == "99%" { print $2 }' <<<"$out")
	errs=$(awk '/Non-2xx|Socket errors/ { print }' <<<"$out" | tr '\n' ' ')
	printf '%-45s %10s req/s   p50 %8s   p99 %8s  %s\n' "GET $path" "$rps" "$p50" "$p99" "$errs"
done
rss=0
for pid in $(pgrep -f 'creneau-fcgi -c '"$conf"); do
	rss=$((rss + $(awk '/^VmRSS/ { print $2 }' "/proc/$pid/status")))
done
echo "creneau-fcgi resident memory, supervisor + workers: $((rss / 1024)) MiB"
