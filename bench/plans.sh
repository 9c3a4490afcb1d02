#!/usr/bin/env bash
# bench/plans.sh: EXPLAIN (ANALYZE, BUFFERS) of the hot queries of the
# public pages and of the background jobs (bench/plans.sql), on a database
# loaded by bench/prodsize.sh; the arguments are psql's connection options.
#   bench/plans.sh -d creneau      every plan, then a summary table
#   PLANS_SITE (bench-site-050), PLANS_PROCEDURE (bench-premiere-demande)
# The state-changing calls (booking_hold, booking_sweep, reminders_due)
# are rolled back. The session is warmed up first (every query once), as a
# worker's long-lived connection is. Prints figures, judges nothing: times
# measured on a busy machine vary, the buffers and rows do not.
set -euo pipefail
dir=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
out=$(mktemp)
trap 'rm -f "$out"' EXIT
psql -X -q -v ON_ERROR_STOP=1 -v site="${PLANS_SITE:-bench-site-050}" \
	-v proc="${PLANS_PROCEDURE:-bench-premiere-demande}" -v dir="$dir" "$@" >"$out" <<'SQL'
SELECT s.id AS site_id, p.id AS proc_id, s.time_zone AS tz
  FROM sites s, procedures p WHERE s.slug = :'site' AND p.code = :'proc' \gset
SELECT (SELECT count(*) FROM slots) AS slots, (SELECT count(*) FROM bookings) AS bookings,
       (SELECT count(*) FROM slots WHERE site_id = :site_id AND procedure_id = :proc_id
           AND starts_at > now()) AS ahead \gset
\qecho # :slots slots, :bookings bookings; :site / :proc: :ahead slots ahead
SELECT b.slot_id AS free_slot, b.local_start::date AS free_day
  FROM creneau_bookable_slots(:site_id, :proc_id) b ORDER BY b.starts_at LIMIT 1 \gset
SELECT ((now() AT TIME ZONE :'tz')::date + 21)::text AS later_day \gset
\o /dev/null
\set explain ''
\i :dir/plans.sql
\o
\set explain 'EXPLAIN (ANALYZE, BUFFERS, COSTS OFF)'
\i :dir/plans.sql
SQL
cat "$out"
# Summary: per query, the top node's rows and buffers, planning and
# execution time (ms).
echo
echo "| query | rows | buffers | planning ms | execution ms |"
echo "|---|---|---|---|---|"
awk '
function row() { if (q != "") printf "| %s | %s | %s | %s | %s |\n", q, rows, buf, pl, ex }
/^## / { row(); q = substr($0, 4); rows = ""; buf = ""; pl = ""; ex = ""; next }
q != "" && rows == "" && /actual time=/ { match($0, /rows=[0-9]+/); rows = substr($0, RSTART + 5, RLENGTH - 5) }
q != "" && buf == "" && /Buffers:/ { sub(/^ *Buffers: */, ""); buf = $0 }
/Planning Time:/ { pl = $3 }
/Execution Time:/ { ex = $3 }
END { row() }' "$out"
