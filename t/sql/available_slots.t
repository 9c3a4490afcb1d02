#!/bin/sh
# The available_slots view: published, future, not full; the calendar
# (creneau_bookable_slots) agrees with the rule (creneau_slot_channel_free).
# The free-place counts of 021 (slots.held_back, next_release_at,
# confirmed_count) against a recount from the bookings, and the rule and
# the calendar against a recount of the rule, after every kind of change:
# holds, a mediator booking on a reserved place, confirmation, a
# cancellation waiting for its release time, that time come (no sweep
# yet), the sweep, a hold running out, a closed day, a full slot,
# reservations changed; and the counts cannot be written by hand.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, booked, published_at)
SELECT pg_temp.counter('test-other', 'A'), pg_temp.proc('test-proc'),
       v.starts_at, v.starts_at + interval '30 minutes', 2, v.booked, v.published_at
  FROM (VALUES
        (date_trunc('hour', now()) + interval '2 days',    0, now() - interval '1 hour'),   -- available
        (date_trunc('hour', now()) + interval '2 days 1 hour', 1, now() - interval '1 hour'), -- available, 1 left
        (date_trunc('hour', now()) + interval '2 days 2 hours', 2, now() - interval '1 hour'), -- full
        (date_trunc('hour', now()) + interval '2 days 3 hours', 0, now() + interval '1 hour'), -- not yet published
        (date_trunc('hour', now()) + interval '2 days 4 hours', 0, NULL),                      -- unpublished
        (date_trunc('hour', now()) - interval '2 days',    0, now() - interval '3 days')       -- past
       ) AS v (starts_at, booked, published_at);
SELECT pg_temp.is((SELECT array_agg(remaining ORDER BY starts_at) FROM available_slots
                    WHERE site_id = pg_temp.site('test-other') AND procedure_id = pg_temp.proc('test-proc')),
                  ARRAY[2, 1], 'only published, future slots with room are available, with places left');
UPDATE slots SET booked = booked + 1
 WHERE site_id = pg_temp.site('test-other') AND starts_at = date_trunc('hour', now()) + interval '2 days 1 hour';
SELECT pg_temp.is((SELECT count(*)::integer FROM available_slots WHERE site_id = pg_temp.site('test-other')),
                  1, 'a slot that becomes full leaves the view');

-- One rule (017): the calendar's set-wise numbers are creneau_slot_free's
-- (creneau_slot_channel_free for online), slot by slot, and it lists every
-- slot the rule says has a place, on every procedure of every site.
CREATE TEMP TABLE listed AS
    SELECT b.slot_id, b.free FROM site_procedures sp
     CROSS JOIN LATERAL creneau_bookable_slots(sp.site_id, sp.procedure_id) b;
SELECT pg_temp.is((SELECT count(*)::integer FROM listed l JOIN slots s ON s.id = l.slot_id
                    WHERE l.free <> creneau_slot_free(s)), 0,
                  'the calendar counts the free places of each slot as the rule does');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots s
                    WHERE s.published_at <= now() AND s.starts_at > now()
                      AND creneau_allocation_mode(s.site_id, s.procedure_id) = 'open'
                      AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
                      AND creneau_slot_free(s) > 0
                      AND s.id NOT IN (SELECT slot_id FROM listed)), 0,
                  'and lists every published slot of an open procedure with a free place');
SELECT pg_temp.ok((SELECT count(*) FROM listed) > 0, 'there are listed slots to compare');

-- 021: the counts and the rule after every kind of change. Slots of
-- test-paris, counter B: four of 3 places in three days (the first and
-- the fourth with a mediator place reserved), one of 2 places tomorrow
-- (reserved place already lapsed: less than 48 hours).
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-proc'),
       (date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + v.at) AT TIME ZONE 'Europe/Paris',
       (date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + v.at + interval '30 minutes') AT TIME ZONE 'Europe/Paris',
       v.cap, now() - interval '1 hour'
  FROM (VALUES (interval '3 days 09:00', 3), (interval '3 days 10:00', 3), (interval '3 days 11:00', 3),
               (interval '3 days 12:00', 3), (interval '1 day 09:00', 2)) AS v (at, cap);
CREATE TEMP TABLE sc AS
    SELECT row_number() OVER (ORDER BY starts_at)::integer AS n, id FROM slots
     WHERE counter_id = pg_temp.counter('test-paris', 'B') AND starts_at > now();
CREATE FUNCTION pg_temp.sc(k integer) RETURNS bigint LANGUAGE sql STABLE
AS $$ SELECT id FROM sc WHERE n = k $$;
-- sc(1) is tomorrow's slot; sc(2)..sc(5) the ones in three days.
INSERT INTO slot_reservations (slot_id, channel, places)
VALUES (pg_temp.sc(2), 'mediator', 1), (pg_temp.sc(5), 'mediator', 1), (pg_temp.sc(1), 'mediator', 1);

-- One TAP line per check, naming the step.
CREATE FUNCTION pg_temp.check(step text) RETURNS SETOF text LANGUAGE sql
AS $$
    SELECT pg_temp.is((SELECT string_agg(sc.n || ': ' || pg_temp.slot_counts(sc.id)
                                         || ' counted ' || pg_temp.slot_recount(sc.id), '; ')
                         FROM sc WHERE pg_temp.slot_counts(sc.id) IS DISTINCT FROM pg_temp.slot_recount(sc.id)),
                      NULL, step || ': the counts of every slot equal the recount')
    UNION ALL
    SELECT pg_temp.is((SELECT string_agg(sc.n || ' ' || ch || ': rule ' || creneau_slot_channel_free(s, ch)
                                         || ', recount ' || pg_temp.recount_free(s.id, ch), '; ')
                         FROM sc JOIN slots s ON s.id = sc.id CROSS JOIN unnest(ARRAY['online', 'mediator']) AS ch
                        WHERE creneau_slot_channel_free(s, ch) <> pg_temp.recount_free(s.id, ch)),
                      NULL, step || ': the rule gives the recount, online and mediator')
    UNION ALL
    SELECT pg_temp.is((SELECT string_agg(sc.n::text || ':' || pg_temp.recount_free(sc.id, 'online'), ' ' ORDER BY sc.n)
                         FROM sc WHERE pg_temp.recount_free(sc.id, 'online') > 0),
                      (SELECT string_agg(sc.n::text || ':' || b.free, ' ' ORDER BY sc.n)
                         FROM creneau_bookable_slots(pg_temp.site('test-paris'), pg_temp.proc('test-proc')) b
                         JOIN sc ON sc.id = b.slot_id),
                      step || ': the calendar lists exactly the slots with a free place, with the recount')
    UNION ALL
    SELECT pg_temp.is((SELECT string_agg(t.slot_id || ':' || t.free, ' ' ORDER BY t.slot_id)
                         FROM slot_times(pg_temp.site('test-paris'), pg_temp.proc('test-proc'),
                                         (now() AT TIME ZONE 'Europe/Paris')::date + 3) t
                         JOIN sc ON sc.id = t.slot_id),
                      (SELECT string_agg(sc.id || ':' || pg_temp.recount_free(sc.id, 'online'), ' ' ORDER BY sc.id)
                         FROM sc WHERE sc.n > 1 AND pg_temp.recount_free(sc.id, 'online') > 0),
                      step || ': the times of the day too')
$$;
CREATE FUNCTION pg_temp.hold(k integer, who text, channel text DEFAULT 'online')
RETURNS text LANGUAGE sql
AS $$ SELECT h.outcome FROM booking_hold(pg_temp.sc(k),
              creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                 'Compte' || who, 'P', date '1980-01-01', NULL, who || '@counts.invalid', NULL, 'fr'),
              NULL, 'tok-counts-' || who || '-padding-padding', '123456', interval '10 minutes', 5, 5, channel) h $$;
CREATE FUNCTION pg_temp.booking(who text) RETURNS bigint LANGUAGE sql STABLE
AS $$ SELECT id FROM bookings WHERE email = who || '@counts.invalid' $$;

SELECT pg_temp.check('fresh slots with reservations');
SELECT pg_temp.is(pg_temp.hold(2, 'a') || pg_temp.hold(2, 'b') || pg_temp.hold(3, 'c') || pg_temp.hold(1, 'd'),
                  'heldheldheldheld', 'four holds');
SELECT pg_temp.is(pg_temp.hold(2, 'm', 'mediator'), 'held', 'a mediator booking on the reserved place');
SELECT pg_temp.is(pg_temp.hold(2, 'x'), 'slot_unavailable', 'the slot is full for online: 3 places, 1 reserved and used');
SELECT pg_temp.check('holds');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('tok-counts-c-padding-padding', '123456')), 'confirmed', 'a hold confirmed');
SELECT pg_temp.check('confirmed');
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('tok-counts-c-padding-padding', interval '15 minutes', interval '3 hours')),
                  'cancelled', 'the confirmed booking cancelled');
SELECT pg_temp.check('cancelled, release time to come');
UPDATE bookings SET release_at = now() - interval '1 second' WHERE id = pg_temp.booking('c');
SELECT pg_temp.ok((SELECT next_release_at <= now() FROM slots WHERE id = pg_temp.sc(3)), 'its release time has come (no sweep yet)');
SELECT pg_temp.check('release time come, not swept');
SELECT * FROM booking_sweep() \g /dev/null
SELECT pg_temp.is((SELECT released FROM bookings WHERE id = pg_temp.booking('c')), true, 'the sweep releases it');
SELECT pg_temp.check('swept');
UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE id = pg_temp.booking('a');
SELECT * FROM booking_sweep() \g /dev/null
SELECT pg_temp.is((SELECT status FROM bookings WHERE id = pg_temp.booking('a')), 'expired', 'a hold runs out');
SELECT pg_temp.check('hold run out, its place kept until its release time');
UPDATE bookings SET release_at = now() - interval '1 second' WHERE id = pg_temp.booking('a');
SELECT pg_temp.check('run-out hold, release time come');
SELECT * FROM booking_sweep() \g /dev/null
SELECT pg_temp.check('run-out hold released');
-- A closed day (as close_day does): active bookings cancelled, never released.
UPDATE bookings SET status = 'cancelled', cancelled_at = now(), release_at = 'infinity'
 WHERE slot_id = pg_temp.sc(1) AND status IN ('held', 'confirmed');
SELECT pg_temp.check('closed day');
SELECT pg_temp.is(pg_temp.hold(4, 'f1') || pg_temp.hold(4, 'f2') || pg_temp.hold(4, 'f3'), 'heldheldheld', 'a slot filled');
SELECT pg_temp.check('a full slot');
UPDATE slot_reservations SET places = 2 WHERE slot_id = pg_temp.sc(5);
SELECT pg_temp.check('a reservation enlarged');
DELETE FROM slot_reservations WHERE slot_id = pg_temp.sc(2);
SELECT pg_temp.check('a reservation removed');

-- The counts are the database's: no hand may write them, in range or not.
SELECT pg_temp.throws($$UPDATE slots SET held_back = 0 WHERE id = pg_temp.sc(5)$$, '23000', NULL,
                      'held_back cannot be written by hand, even in range');
SELECT pg_temp.throws($$UPDATE slots SET held_back = capacity + 1 WHERE id = pg_temp.sc(5)$$, '23000', NULL,
                      'nor out of range');
SELECT pg_temp.throws($$UPDATE slots SET next_release_at = NULL WHERE id = pg_temp.sc(2)$$, '23000', NULL,
                      'next_release_at cannot be written by hand');
SELECT pg_temp.throws($$UPDATE slots SET confirmed_count = 0 WHERE id = pg_temp.sc(2)$$, '23000', NULL,
                      'confirmed_count cannot be written by hand');
SELECT pg_temp.throws($$UPDATE slots SET booked = capacity + 1 WHERE id = pg_temp.sc(2)$$, '23514',
                      'slots_booked_within_capacity', 'booked cannot go over capacity');
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, held_back, next_release_at, confirmed_count)
VALUES (pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-proc'), date_trunc('day', now()) + interval '5 days',
        date_trunc('day', now()) + interval '5 days 30 minutes', 2, 2, now(), 2)
RETURNING row(held_back, next_release_at, confirmed_count)::text AS new_counts \gset
SELECT pg_temp.is(:'new_counts'::text, '(0,,0)', 'a new slot starts with no counts, whatever the INSERT says');
SELECT pg_temp.check('after the attempts');
SQL
