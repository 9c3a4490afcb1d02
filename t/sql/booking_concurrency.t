#!/bin/sh
# The booking functions under READ COMMITTED contention, driven by pgbench:
#   1. random identities race for 10 slots of capacity 1–3 (19 places),
#      with idempotency keys that repeat across clients and a cap of 2
#      bookings per e-mail;
#   2. every client books for the same person (name written four ways:
#      case, accent, spaces) on 10 roomy slots;
#   3. a mixed life cycle on 8 slots of capacity 6, identities drawn from
#      60 (so they collide): hold (0.2–1.6 s), then by a random act of 1–8:
#      1 a wrong code (the hold expires), 2–3 confirm and cancel, 4–6
#      confirm, reschedule and cancel, 7 confirm and reschedule, 8 confirm;
#      every cycle ends with booking_sweep() (releases are 0–0.3 s);
#   4. all clients submit the same idempotency key at once (a new key
#      every 20 ms) on roomy slots.
# Then SQL checks: no slot over capacity, slots.booked = bookings not
# released on every slot, one active booking per identity and procedure,
# one booking per idempotency key and every client told "held" has it,
# caps kept, no failed pgbench transaction (deadlock or error).
#
# pgbench cannot run inside the rolled-back transaction the other SQL tests
# use, so this test commits its own site (slug test-conc-<pid>),
# procedures, counter and slots, and deletes everything it created on exit,
# pass or fail. CONC_CLIENTS and CONC_SCALE (transactions per client =
# 200 × scale for run 1) tune the load.
. "$(dirname "$0")/tap.sh"

PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)
if [ -z "$PGBENCH" ] || [ ! -x "$PGBENCH" ]; then
	echo '1..0 # SKIP pgbench not found'
	exit 0
fi

clients=${CONC_CLIENTS:-16}
scale=${CONC_SCALE:-1}
tx1=$((200 * scale))
tx2=$((50 * scale))
tx3=$((100 * scale))
tag="test-conc-$$"
log="conc_log_$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/creneau-conc.XXXXXX")
secret='\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'

psql_q() {
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"
}

# Deletes everything this test created (also after a partial set-up);
# CONC_KEEP=1 keeps it for a post-mortem.
cleanup() {
	[ -n "${CONC_KEEP:-}" ] && { echo "# kept site $tag, log table $log, scripts in $work"; return 0; }
	psql_q >/dev/null 2>&1 <<SQL
BEGIN;
CREATE TEMP TABLE gone AS
    SELECT b.id FROM bookings b JOIN sites s ON s.id = b.site_id WHERE s.slug = '$tag';
DELETE FROM outbox WHERE booking_id IN (SELECT id FROM gone);
DELETE FROM booking_tokens WHERE booking_id IN (SELECT id FROM gone);
DELETE FROM bookings WHERE id IN (SELECT id FROM gone);
DELETE FROM slots WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM opening_rules WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM counters WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM site_procedures WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM procedures WHERE code LIKE '$tag-%';
DELETE FROM sites WHERE slug = '$tag';
DROP TABLE IF EXISTS $log;
COMMIT;
SQL
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

# --- Set-up (committed) -----------------------------------------------------
ids=$(psql_q <<SQL
BEGIN;
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, time_zone, alternative_route)
VALUES ('$tag', 'Préfecture de test (concurrence)', 'prefecture', '75', 'Paris',
        '1, rue de Test', '75001', 'Paris', 'Europe/Paris', 'Appelez-nous.');
INSERT INTO procedures (code, name, description, duration_minutes)
VALUES ('$tag-a', 'Test A', 'Concurrence.', 30),
       ('$tag-b', 'Test B', 'Concurrence.', 30),
       ('$tag-c', 'Test C', 'Concurrence.', 30),
       ('$tag-d', 'Test D', 'Concurrence.', 30);
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p WHERE s.slug = '$tag' AND p.code LIKE '$tag-%';
INSERT INTO counters (site_id, name) SELECT id, 'C' FROM sites WHERE slug = '$tag';
-- a: 10 slots of capacity 1, 2, 3, 1, … (19 places); b: 10 of capacity 5;
-- c: 8 of capacity 6 (48 places for 60 identities). One every 30 minutes
-- from the day after tomorrow; d: 4 of capacity 200.
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT c.id, p.id,
       date_trunc('day', now()) + interval '2 days' + make_interval(mins => 30 * v.n),
       date_trunc('day', now()) + interval '2 days' + make_interval(mins => 30 * v.n + 30),
       v.cap, now() - interval '1 hour'
  FROM (SELECT n, '$tag-a' AS code, n % 3 + 1 AS cap FROM generate_series(0, 9) AS n
        UNION ALL SELECT n + 10, '$tag-b', 5 FROM generate_series(0, 9) AS n
        UNION ALL SELECT n + 20, '$tag-c', 6 FROM generate_series(0, 7) AS n
        UNION ALL SELECT n + 28, '$tag-d', 200 FROM generate_series(0, 3) AS n) AS v (n, code, cap)
  JOIN procedures p ON p.code = v.code
  JOIN counters c ON c.name = 'C' AND c.site_id = (SELECT id FROM sites WHERE slug = '$tag');
CREATE TABLE $log (run text NOT NULL, key text, outcome text, booking_id bigint);
COMMIT;
SELECT (SELECT id FROM sites WHERE slug = '$tag') || ' ' ||
       string_agg(id::text, ' ' ORDER BY code)
  FROM procedures WHERE code LIKE '$tag-%';
SQL
) || { echo "not ok 1 - set-up failed"; echo "1..1"; exit 1; }
set -- $ids
site=$1 pa=$2 pb=$3 pc=$4 pd=$5

# The n-th slot (from 0) of a procedure of the test site.
slot_sql() {
	echo "(SELECT id FROM slots WHERE site_id = :site AND procedure_id = $1 ORDER BY id OFFSET $2 LIMIT 1)"
}

cat >"$work/random.sql" <<SQL
\set s random(0, 9)
\set n random(1, 1000000000)
\set k random(1, 400)
\set e random(1, 30)
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'random', '$tag-r-' || :k, h.outcome, h.booking_id
  FROM booking_hold($(slot_sql :pa :s), creneau_person_sql('$secret'::bytea,
                    'Nom' || :n, 'Prénom', date '1950-01-01' + :n % 20000, NULL,
                    'e' || :e || '@conc.invalid', NULL, 'fr'), '$tag-r-' || :k,
                    'tok-$tag-r-' || :n || '-padding', '123456', interval '10 minutes', 2, 2) h;
SQL

cat >"$work/same.sql" <<SQL
\set s random(0, 9)
\set n random(1, 1000000000)
\set v random(1, 4)
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'same', '$tag-s-' || :n, h.outcome, h.booking_id
  FROM booking_hold($(slot_sql :pb :s), creneau_person_sql('$secret'::bytea,
                    (ARRAY['Même', 'MEME', 'même ', ' MÊME'])[:v], 'Jean-Luc', date '1975-03-04', NULL,
                    's' || :n || '@conc.invalid', NULL, 'fr'), '$tag-s-' || :n,
                    'tok-$tag-s-' || :n || '-padding', '123456', interval '10 minutes', 1000, 1000) h;
SQL

cat >"$work/mixed.sql" <<SQL
\set s random(0, 7)
\set t random(0, 7)
\set n random(1, 1000000000)
\set who random(1, 60)
\set act random(1, 8)
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'mixed-hold', '$tag-m-' || :n, h.outcome, h.booking_id
  FROM booking_hold($(slot_sql :pc :s), creneau_person_sql('$secret'::bytea,
                    'Mix' || :who, 'P', date '1990-01-01', NULL,
                    'm' || :n || '@conc.invalid', '06' || lpad((:n % 100000000)::text, 8, '0'), 'fr'),
                    '$tag-m-' || :n, 'tok-$tag-m-' || :n || '-padding', '123456',
                    interval '200 milliseconds' * :act, 1000, 1000) h;
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'mixed-confirm', '$tag-m-' || :n, c.outcome, c.booking_id
  FROM booking_confirm('tok-$tag-m-' || :n || '-padding', CASE WHEN :act = 1 THEN '000000' ELSE '123456' END) c;
\if :act >= 4 and :act <= 7
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'mixed-reschedule', '$tag-m-' || :n, r.outcome, r.booking_id
  FROM booking_reschedule('tok-$tag-m-' || :n || '-padding', $(slot_sql :pc :t),
                          interval '0 seconds', interval '300 milliseconds') r;
\endif
\if :act >= 2 and :act <= 6
INSERT INTO $log (run, key, outcome)
SELECT 'mixed-cancel', '$tag-m-' || :n, c.outcome
  FROM booking_cancel('tok-$tag-m-' || :n || '-padding', interval '0 seconds', interval '300 milliseconds') c;
\endif
SELECT * FROM booking_sweep();
SQL

# Run 4's key changes every 20 ms, so the clients keep submitting a new key
# at the same moment, like a form sent twice.
cat >"$work/replay.sql" <<SQL
\set s random(0, 3)
\set n random(1, 1000000000)
WITH k AS (SELECT '$tag-k-' || floor(extract(epoch FROM clock_timestamp()) * 50)::bigint AS key)
INSERT INTO $log (run, key, outcome, booking_id)
SELECT 'replay', k.key, h.outcome, h.booking_id
  FROM k, LATERAL booking_hold($(slot_sql :pd :s), creneau_person_sql('$secret'::bytea,
                               'Rejeu' || :n, 'P', date '1990-01-01', NULL,
                               'k' || :n || '@conc.invalid', NULL, 'fr'), k.key,
                               'tok-$tag-k-' || :n || '-padding', '123456', interval '10 minutes',
                               1000, 1000) h;
SQL

# Runs pgbench; prints "# …" lines; sets rc_<name>, tps_<name>, failed_<name>.
bench() {
	name=$1 tx=$2 script=$3
	"$PGBENCH" -n -c "$clients" -j 4 -t "$tx" -D site="$site" -D pa="$pa" -D pb="$pb" -D pc="$pc" -D pd="$pd" \
	    -f "$script" >"$work/$name.out" 2>"$work/$name.err"
	rc=$?
	tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/$name.out" | head -n 1)
	failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/$name.out")
	eval "rc_$name=$rc tps_$name=\${tps:-0} failed_$name=\${failed:-0}"
	if [ "$rc" -ne 0 ]; then
		sed 's/^/# /' "$work/$name.err" | head -n 20
	fi
}

bench random "$tx1" "$work/random.sql"
bench same "$tx2" "$work/same.sql"
bench mixed "$tx3" "$work/mixed.sql"
bench replay "$tx2" "$work/replay.sql"

# A last sweep after the releases are due, so the mixed run settles.
sleep 1
psql_q -c 'SELECT * FROM booking_sweep()' >/dev/null

summary=$(psql_q <<SQL
SELECT string_agg(run || ': ' || n, ', ' ORDER BY run)
  FROM (SELECT run || ' ' || outcome AS run, count(*) AS n FROM $log GROUP BY 1) x;
SQL
)
echo "# $clients clients; run 1: $((clients * tx1)) holds, $tps_random tps; run 2: $((clients * tx2)) holds, $tps_same tps; run 3: $((clients * tx3)) life cycles, $tps_mixed tps; run 4: $((clients * tx2)) holds, a new key every 20 ms, $tps_replay tps"
echo "# outcomes: $summary"

sql_tap_run <<SQL
SELECT pg_temp.is($rc_random, 0, 'run 1 (random identities): pgbench succeeded');
SELECT pg_temp.is($failed_random, 0, 'run 1: no failed transaction');
SELECT pg_temp.is($rc_same, 0, 'run 2 (one identity): pgbench succeeded');
SELECT pg_temp.is($failed_same, 0, 'run 2: no failed transaction');
SELECT pg_temp.is($rc_mixed, 0, 'run 3 (life cycle): pgbench succeeded');
SELECT pg_temp.is($failed_mixed, 0, 'run 3: no failed transaction (no deadlock)');
SELECT pg_temp.is($rc_replay, 0, 'run 4 (replays): pgbench succeeded');
SELECT pg_temp.is($failed_replay, 0, 'run 4: no failed transaction');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'random'), $((clients * tx1)),
                  'run 1: every call answered');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'replay'), $((clients * tx2)),
                  'run 4: every call answered');

-- Run 1: capacity binds, every place taken, no more.
SELECT pg_temp.is((SELECT sum(capacity)::integer FROM slots WHERE procedure_id = $pa), 19,
                  'run 1: 19 places');
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings WHERE procedure_id = $pa), 19,
                  'run 1: exactly as many bookings as places');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'random' AND outcome = 'held'), 19,
                  'run 1: as many clients were told held');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log l
                    WHERE l.outcome = 'held' AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.id = l.booking_id)),
                  0, 'every client told held has its booking');
SELECT pg_temp.is((SELECT count(*)::integer FROM (SELECT key FROM $log WHERE outcome IN ('held', 'replayed')
                                                  AND run IN ('random', 'same', 'mixed-hold', 'replay')
                                                  GROUP BY key HAVING count(DISTINCT booking_id) > 1) x),
                  0, 'every idempotency key maps to one booking, however often it was replayed');
SELECT pg_temp.ok((SELECT count(*) > 0 FROM $log WHERE run = 'random' AND outcome = 'token_used'),
                  'run 1: some calls reused a key (with another person: token_used)');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE outcome = 'token_used' AND booking_id IS NOT NULL),
                  0, 'a key reused by another person never leads to the booking it made');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log l JOIN bookings b ON b.id = l.booking_id
                    WHERE l.outcome = 'held' AND b.idempotency_key IS DISTINCT FROM l.key),
                  0, 'each held booking carries the key it was held with');
SELECT pg_temp.is((SELECT max(n)::integer FROM (SELECT count(*) AS n FROM bookings
                                                 WHERE procedure_id = $pa AND status IN ('held', 'confirmed')
                                                 GROUP BY lower(email)) x) <= 2,
                  true, 'run 1: no e-mail over its cap of 2');

-- Run 2: one person, one booking.
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings WHERE procedure_id = $pb), 1,
                  'run 2: one identity got exactly one booking');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'same' AND outcome = 'held'), 1,
                  'run 2: one client was told held');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'same' AND outcome = 'identity_active'),
                  $((clients * tx2)) - 1, 'run 2: every other client was told identity_active');

-- Run 4: each key submitted by several clients at once.
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings WHERE procedure_id = $pd),
                  (SELECT count(DISTINCT key)::integer FROM $log WHERE run = 'replay'),
                  'run 4: one booking per idempotency key');
SELECT pg_temp.is((SELECT count(*)::integer FROM $log WHERE run = 'replay' AND outcome = 'held'),
                  (SELECT count(*)::integer FROM bookings WHERE procedure_id = $pd),
                  'run 4: one client per key was told held, the others (other people) token_used');

-- Everything, every procedure of the test site.
SELECT pg_temp.is((SELECT count(*)::integer FROM slots s
                    WHERE s.site_id = $site
                      AND (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id
                             AND b.status IN ('held', 'confirmed')) > s.capacity),
                  0, 'no slot has more active bookings than its capacity');
SELECT pg_temp.is((SELECT string_agg(s.id || ': booked ' || s.booked || ', counted ' || c.n, '; ')
                     FROM slots s
                     CROSS JOIN LATERAL (SELECT count(*) AS n FROM bookings b
                                          WHERE b.slot_id = s.id AND NOT b.released) c
                    WHERE s.site_id = $site AND s.booked <> c.n),
                  NULL, 'slots.booked = held + confirmed + cancelled-not-released, on every slot');
SELECT pg_temp.is((SELECT count(*)::integer FROM (SELECT 1 FROM bookings
                                                   WHERE site_id = $site AND status IN ('held', 'confirmed')
                                                   GROUP BY identity_key, procedure_id HAVING count(*) > 1) x),
                  0, 'no identity has two active bookings for a procedure');

-- Run 3: the life cycle went through its outcomes and settled.
SELECT pg_temp.ok((SELECT count(DISTINCT outcome) >= 3 FROM $log WHERE run = 'mixed-confirm'),
                  'run 3: confirm saw several outcomes');
SELECT pg_temp.ok((SELECT count(*) > 0 FROM $log WHERE run = 'mixed-reschedule' AND outcome = 'rescheduled'),
                  'run 3: some reschedules went through');
SELECT pg_temp.ok((SELECT count(*) > 0 FROM $log WHERE run = 'mixed-cancel' AND outcome = 'cancelled'),
                  'run 3: some cancellations went through');
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings b JOIN bookings o ON o.id = b.rescheduled_from
                    WHERE b.procedure_id = $pc AND (o.status <> 'cancelled' OR o.identity_key <> b.identity_key)),
                  0, 'run 3: every rescheduled booking replaced a cancelled one of the same person');
SELECT pg_temp.is((SELECT count(*)::integer FROM booking_tokens t JOIN bookings b ON b.id = t.booking_id
                    WHERE b.procedure_id = $pc AND EXISTS (SELECT 1 FROM bookings n WHERE n.rescheduled_from = b.id)),
                  0, 'run 3: no token is left on a booking that was rescheduled');
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings b JOIN slots s ON s.id = b.slot_id
                    WHERE s.site_id = $site
                      AND ((b.status = 'held' AND b.hold_expires_at <= now())
                           OR (b.status = 'cancelled' AND NOT b.released AND b.release_at <= now()))),
                  0, 'run 3: after a sweep, nothing overdue is left');
SQL
