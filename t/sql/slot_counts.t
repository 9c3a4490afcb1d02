#!/bin/sh
# The free-place counts of schema/021 (slots.held_back, next_release_at,
# confirmed_count) and slots.booked under concurrent writers, driven by
# pgbench on 6 slots of 3 places (a mediator place reserved on three):
#   * clients holding (online, or mediator on a reserved place), then by a
#     random act confirming, giving a wrong code, cancelling, rescheduling
#     to another of the slots, or letting the hold run out (0.1–0.6 s),
#     with releases 0–0.4 s later and a sweep at the end of each cycle;
#   * at the same time, a staff session changing the reservations (places
#     1 or 2, removed and put back) and a reader listing the calendar.
# Then SQL checks: every count equals a recount from the bookings, the
# rule (creneau_slot_channel_free) equals a recount of the rule, the
# calendar equals the rule, no slot over capacity, no failed transaction
# (deadlock or error); and writing the counts by hand fails, in range or
# not.
#
# pgbench cannot run inside the rolled-back transaction of the other SQL
# tests: this test commits its own site (slug test-counts-<pid>) and
# deletes everything it created on exit, pass or fail. COUNTS_CLIENTS and
# COUNTS_TX (cycles per client) tune the load.
. "$(dirname "$0")/tap.sh"

PGBENCH=$(command -v pgbench || ls /usr/lib/postgresql/*/bin/pgbench 2>/dev/null | tail -n 1)
if [ -z "$PGBENCH" ] || [ ! -x "$PGBENCH" ]; then
	echo '1..0 # SKIP pgbench not found'
	exit 0
fi

clients=${COUNTS_CLIENTS:-8}
tx=${COUNTS_TX:-40}
tag="test-counts-$$"
work=$(mktemp -d "${TMPDIR:-/tmp}/creneau-counts.XXXXXX")
secret='\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'

psql_q() {
	psql -X -q -t -A -v ON_ERROR_STOP=1 "$@"
}

cleanup() {
	[ -n "${COUNTS_KEEP:-}" ] && { echo "# kept site $tag, scripts in $work"; return 0; }
	psql_q >/dev/null 2>&1 <<SQL
BEGIN;
CREATE TEMP TABLE gone AS
    SELECT b.id FROM bookings b JOIN sites s ON s.id = b.site_id WHERE s.slug = '$tag';
DELETE FROM outbox WHERE booking_id IN (SELECT id FROM gone);
DELETE FROM booking_tokens WHERE booking_id IN (SELECT id FROM gone);
DELETE FROM bookings WHERE id IN (SELECT id FROM gone);
DELETE FROM slot_reservations WHERE slot_id IN (SELECT s.id FROM slots s JOIN sites t ON t.id = s.site_id WHERE t.slug = '$tag');
DELETE FROM slots WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM counters WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM site_procedures WHERE site_id IN (SELECT id FROM sites WHERE slug = '$tag');
DELETE FROM procedures WHERE code LIKE '$tag-%';
DELETE FROM sites WHERE slug = '$tag';
COMMIT;
SQL
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP
trap 'exit 141' PIPE

ids=$(psql_q <<SQL
BEGIN;
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, time_zone, alternative_route)
VALUES ('$tag', 'Préfecture de test (compteurs)', 'prefecture', '75', 'Paris',
        '1, rue de Test', '75001', 'Paris', 'Europe/Paris', 'Appelez-nous.');
INSERT INTO procedures (code, name, description, duration_minutes)
VALUES ('$tag-a', 'Test compteurs', 'Concurrence.', 30);
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p WHERE s.slug = '$tag' AND p.code = '$tag-a';
INSERT INTO counters (site_id, name) SELECT id, 'C' FROM sites WHERE slug = '$tag';
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT c.id, p.id,
       date_trunc('day', now()) + interval '4 days' + make_interval(mins => 30 * n),
       date_trunc('day', now()) + interval '4 days' + make_interval(mins => 30 * n + 30),
       3, now() - interval '1 hour'
  FROM generate_series(0, 5) AS n, procedures p, counters c
 WHERE p.code = '$tag-a' AND c.name = 'C' AND c.site_id = (SELECT id FROM sites WHERE slug = '$tag');
INSERT INTO slot_reservations (slot_id, channel, places)
SELECT id, 'mediator', 1 FROM slots
 WHERE procedure_id = (SELECT id FROM procedures WHERE code = '$tag-a') AND extract(minute FROM starts_at) = 0;
COMMIT;
SELECT (SELECT id FROM sites WHERE slug = '$tag') || ' ' || (SELECT id FROM procedures WHERE code = '$tag-a');
SQL
) || { echo "not ok 1 - set-up failed"; echo "1..1"; exit 1; }
set -- $ids
site=$1 proc=$2

slot_sql() {
	echo "(SELECT id FROM slots WHERE site_id = :site AND procedure_id = :proc ORDER BY id OFFSET $1 LIMIT 1)"
}

cat >"$work/cycle.sql" <<SQL
\set s random(0, 5)
\set t random(0, 5)
\set n random(1, 1000000000)
\set act random(1, 7)
\set ch random(1, 4)
SELECT outcome FROM booking_hold($(slot_sql :s), creneau_person_sql('$secret'::bytea,
       'Compte' || :n, 'P', date '1980-01-01', NULL, 'c' || :n || '@counts.invalid', NULL, 'fr'),
       NULL, 'tok-$tag-' || :n || '-padding', '123456',
       interval '100 milliseconds' * :act, 1000, 1000,
       CASE WHEN :ch = 1 THEN 'mediator' ELSE 'online' END);
SELECT outcome FROM booking_confirm('tok-$tag-' || :n || '-padding',
       CASE WHEN :act = 1 THEN '000000' WHEN :act = 2 THEN NULL ELSE '123456' END);
\if :act >= 3 and :act <= 4
SELECT outcome FROM booking_cancel('tok-$tag-' || :n || '-padding', interval '0 seconds', interval '400 milliseconds');
\endif
\if :act >= 5 and :act <= 6
SELECT outcome FROM booking_reschedule('tok-$tag-' || :n || '-padding', $(slot_sql :t),
       interval '0 seconds', interval '400 milliseconds');
\endif
SELECT * FROM booking_sweep();
SQL

cat >"$work/staff.sql" <<SQL
\set s random(0, 5)
\set p random(1, 2)
\set op random(1, 3)
\if :op = 1
DELETE FROM slot_reservations WHERE slot_id = $(slot_sql :s);
\elif :op = 2
INSERT INTO slot_reservations (slot_id, channel, places) VALUES ($(slot_sql :s), 'mediator', :p)
ON CONFLICT (slot_id, channel) DO UPDATE SET places = EXCLUDED.places;
\else
UPDATE slot_reservations SET places = :p WHERE slot_id = $(slot_sql :s);
\endif
SELECT count(*) FROM creneau_bookable_slots(:site, :proc);
SQL

# A race the run below once found, played in order first: a booking of
# a slot is being confirmed (its transaction holds the slot) when a staff
# change of the slot's reservation recounts it. The recount must wait
# for the confirmation, not count without it.
race=$(psql_q -c "SELECT id FROM slots WHERE site_id = $site ORDER BY id LIMIT 1")
psql_q -c "SELECT outcome FROM booking_hold($race, creneau_person_sql('$secret'::bytea, 'Course', 'P',
           date '1980-01-01', NULL, 'race@counts.invalid', NULL, 'fr'), NULL, 'tok-$tag-race-padding',
           '123456', interval '10 minutes', 1000, 1000, 'online')" >"$work/race-hold.out"
race_rc=0
if [ "$(cat "$work/race-hold.out")" != held ]; then
	race_rc=99
	echo "# the race's hold: $(cat "$work/race-hold.out")"
else
	mkfifo "$work/confirm"
	psql -X -q -v ON_ERROR_STOP=1 <"$work/confirm" >"$work/race-confirm.out" 2>&1 &
	confirm_pid=$!
	exec 3>"$work/confirm"
	printf 'BEGIN;\nSELECT outcome FROM booking_confirm(%s, %s);\n\\! touch %s\n' \
		"'tok-$tag-race-padding'" "'123456'" "$work/confirming" >&3
	# Safety nets, not expectations: 600 s for each wait.
	i=0
	while [ ! -e "$work/confirming" ] && [ $i -lt 6000 ]; do sleep 0.1; i=$((i + 1)); done
	psql_q -c "INSERT INTO slot_reservations (slot_id, channel, places) VALUES ($race, 'mediator', 2)
	           ON CONFLICT (slot_id, channel) DO UPDATE SET places = 3 - slot_reservations.places" \
		>"$work/race-staff.out" 2>&1 &
	staff_pid=$!
	i=0
	while [ "$(psql_q -c "SELECT count(*) FROM pg_stat_activity
	                        WHERE wait_event_type = 'Lock' AND query LIKE 'INSERT INTO slot_reservations%'")" = 0 ] &&
		[ $i -lt 6000 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	printf 'COMMIT;\n' >&3
	exec 3>&-
	wait "$confirm_pid" || race_rc=$?
	wait "$staff_pid" || race_rc=$?
fi
# Read at once: any later recount of the slot would mend a wrong count.
race_counts=$(psql_q -c "SELECT s.confirmed_count || ' ' || (SELECT count(*) FROM bookings b
                           WHERE b.slot_id = s.id AND b.status = 'confirmed') FROM slots s WHERE s.id = $race")

"$PGBENCH" -n -c "$clients" -j 2 -t "$tx" -D site="$site" -D proc="$proc" \
    -f "$work/cycle.sql@9" -f "$work/staff.sql@1" >"$work/bench.out" 2>"$work/bench.err"
rc=$?
failed=$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$work/bench.out")
tps=$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$work/bench.out" | head -n 1)
[ "$rc" -eq 0 ] || sed 's/^/# /' "$work/bench.err" | head -n 20
echo "# $clients clients x $tx transactions (9 booking cycles : 1 staff change), ${tps:-0} tps"

# Before the last sweep some releases are due and unswept: the rule must
# answer from the recount there; after it, from the counts.
checks() {
	cat <<SQL
SELECT pg_temp.is((SELECT string_agg(s.id || ': ' || pg_temp.slot_counts(s.id)
                                     || ' counted ' || pg_temp.slot_recount(s.id), '; ')
                     FROM slots s
                    WHERE s.site_id = $site AND pg_temp.slot_counts(s.id) IS DISTINCT FROM pg_temp.slot_recount(s.id)),
                  NULL, '$1: booked, held_back, next_release_at, confirmed_count = the recount, on every slot');
SELECT pg_temp.is((SELECT string_agg(s.id || ' ' || ch || ': rule ' || creneau_slot_channel_free(s, ch)
                                     || ', recount ' || pg_temp.recount_free(s.id, ch), '; ')
                     FROM slots s CROSS JOIN unnest(ARRAY['online', 'mediator']) AS ch
                    WHERE s.site_id = $site AND creneau_slot_channel_free(s, ch) <> pg_temp.recount_free(s.id, ch)),
                  NULL, '$1: the rule = its recount from the bookings, online and mediator');
SELECT pg_temp.is((SELECT string_agg(b.slot_id || ':' || b.free, ' ' ORDER BY b.slot_id)
                     FROM creneau_bookable_slots($site, $proc) b),
                  (SELECT string_agg(s.id || ':' || creneau_slot_channel_free(s, 'online'), ' ' ORDER BY s.id)
                     FROM slots s WHERE s.site_id = $site AND creneau_slot_channel_free(s, 'online') > 0),
                  '$1: the calendar lists the slots with a free place, with the rule''s numbers');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots s WHERE s.site_id = $site
                      AND (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id
                             AND b.status IN ('held', 'confirmed')) > s.capacity),
                  0, '$1: no slot has more active bookings than its capacity');
SQL
}

{
	echo "SELECT pg_temp.is($rc, 0, 'pgbench succeeded');"
	echo "SELECT pg_temp.is(${failed:-0}, 0, 'no failed transaction (no deadlock, no error)');"
	echo "SELECT pg_temp.ok((SELECT count(*) > $clients FROM bookings WHERE site_id = $site), 'the cycles made bookings');"
	echo "SELECT pg_temp.ok((SELECT count(DISTINCT status) >= 3 FROM bookings WHERE site_id = $site), 'of several statuses');"
	echo "SELECT pg_temp.ok((SELECT count(*) > 0 FROM bookings WHERE site_id = $site AND channel = 'mediator'), 'some by the mediator channel');"
	echo "SELECT pg_temp.is($race_rc, 0, 'the confirmation and the reservation change both went through');"
	echo "SELECT pg_temp.is((SELECT status FROM bookings WHERE slot_id = $race AND email = 'race@counts.invalid'), 'confirmed', 'the race''s booking is confirmed');"
	echo "SELECT pg_temp.is(split_part('$race_counts', ' ', 1), split_part('$race_counts', ' ', 2), 'a reservation changed while a booking of the slot was being confirmed: confirmed_count = the recount');"
	checks 'as the run ended'
	echo "SELECT * FROM booking_sweep() \\g /dev/null"
	checks 'after a sweep'
	cat <<SQL
SELECT pg_temp.throws(\$\$UPDATE slots SET held_back = 0 WHERE site_id = $site\$\$, '23000', NULL,
                      'held_back cannot be written by hand, even in range');
SELECT pg_temp.throws(\$\$UPDATE slots SET held_back = capacity + 1 WHERE site_id = $site\$\$, '23000', NULL,
                      'nor out of range');
SELECT pg_temp.throws(\$\$UPDATE slots SET confirmed_count = confirmed_count WHERE site_id = $site\$\$, '23000', NULL,
                      'confirmed_count cannot be written by hand');
SELECT pg_temp.throws(\$\$UPDATE slots SET next_release_at = now() WHERE site_id = $site\$\$, '23000', NULL,
                      'next_release_at cannot be written by hand');
SELECT pg_temp.throws(\$\$UPDATE slots SET booked = capacity + 1 WHERE site_id = $site\$\$, '23514',
                      'slots_booked_within_capacity', 'booked cannot go over capacity');
SELECT pg_temp.throws(\$\$UPDATE slots SET booked = -1 WHERE site_id = $site\$\$, '23514',
                      'slots_booked_within_capacity', 'nor below zero');
SQL
} | sql_tap_run
