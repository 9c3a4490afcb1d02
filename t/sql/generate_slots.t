#!/bin/sh
# generate_slots(): local time of each site (Cayenne, Paris across DST),
# closures, public holidays, validity dates, publication and idempotence.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
-- Rules (local wall-clock times):
--   test-paris   A: Mon–Fri 09:00–12:00, 30 min, capacity 2
--   test-paris   B: Wed 14:00–15:00, 20 min, capacity 1, valid 2027-02-01..2027-02-28
--   test-cayenne A: Mon–Fri 09:00–12:00, 45 min (3 h = 4 slots)
INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                           slot_minutes, capacity, valid_from, valid_until)
SELECT pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'), wd,
       time '09:00', time '12:00', 30, 2, date '2027-01-01', NULL::date
  FROM generate_series(1, 5) AS wd
UNION ALL
SELECT pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-proc'), 3,
       '14:00', '15:00', 20, 1, '2027-02-01', '2027-02-28'
UNION ALL
SELECT pg_temp.counter('test-cayenne', 'A'), pg_temp.proc('test-proc'), wd,
       '09:00', '12:00', 45, 1, '2027-01-01', NULL
  FROM generate_series(1, 5) AS wd;

-- Week of Monday 2027-02-01 to Sunday 2027-02-07 at Paris: 5 days × 6 slots
-- at counter A, plus 3 on Wednesday at counter B.
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-02-01', '2027-02-07',
                                 '2027-01-15 12:00+00'),
                  33, 'one week at test-paris creates 5 × 6 + 3 slots');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-cayenne')),
                  0, 'generating for one site leaves the others alone');
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-02-01', '2027-02-07'),
                  0, 'a second call over the same days creates nothing (idempotent)');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-paris')),
                  33, 'and the slot count is unchanged');
SELECT pg_temp.is((SELECT min(published_at) = max(published_at) AND min(published_at) = '2027-01-15 12:00+00'
                     FROM slots WHERE site_id = pg_temp.site('test-paris')),
                  true, 'new slots get published_at = p_publish_at, kept by the second call');
SELECT pg_temp.is((SELECT array_agg(to_char(starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') ORDER BY starts_at)
                     FROM slots WHERE counter_id = pg_temp.counter('test-paris', 'A')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date = '2027-02-03'),
                  ARRAY['09:00', '09:30', '10:00', '10:30', '11:00', '11:30'],
                  'a 09:00–12:00 rule in 30-minute slots starts at 09:00 … 11:30 local time');
SELECT pg_temp.is((SELECT bool_and(ends_at - starts_at = interval '30 minutes' AND capacity = 2 AND booked = 0)
                     FROM slots WHERE counter_id = pg_temp.counter('test-paris', 'A')),
                  true, 'slots last slot_minutes and have the rule''s capacity, none booked');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots
                    WHERE site_id = pg_temp.site('test-paris')
                      AND extract(isodow FROM starts_at AT TIME ZONE 'Europe/Paris') IN (6, 7)),
                  0, 'no slot on the weekend');

-- Validity dates: counter B's rule ends on 2027-02-28.
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-02-22', '2027-03-07', NULL),
                  2 * 5 * 6 + 3, 'two weeks around the end of a rule: only its last Wednesday');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots
                    WHERE counter_id = pg_temp.counter('test-paris', 'B') AND starts_at >= '2027-03-01'),
                  0, 'no slot after valid_until');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots
                    WHERE site_id = pg_temp.site('test-paris') AND starts_at >= '2027-02-22'
                      AND published_at IS NOT NULL),
                  0, 'p_publish_at NULL creates unpublished slots');

-- Cayenne: 09:00 local is 12:00 UTC, whatever the session time zone.
SET LOCAL TimeZone = 'Asia/Tokyo';
SELECT pg_temp.is(generate_slots(pg_temp.site('test-cayenne'), '2027-02-01', '2027-02-05'),
                  20, 'one week at Cayenne creates 5 × 4 slots (45-minute slots in 3 hours)');
SET LOCAL TimeZone = 'UTC';
SELECT pg_temp.is((SELECT min((starts_at AT TIME ZONE 'America/Cayenne')::time)
                     FROM slots WHERE site_id = pg_temp.site('test-cayenne')),
                  time '09:00', 'the first slot of a Cayenne day starts at 09:00 Cayenne time');
SELECT pg_temp.is((SELECT min(starts_at) FROM slots WHERE site_id = pg_temp.site('test-cayenne')),
                  timestamptz '2027-02-01 12:00:00+00', 'which is 12:00 UTC');
SELECT pg_temp.is((SELECT max((ends_at AT TIME ZONE 'America/Cayenne')::time)
                     FROM slots WHERE site_id = pg_temp.site('test-cayenne')),
                  time '12:00', 'the last Cayenne slot ends at 12:00 Cayenne time');

-- Paris across daylight saving time (2027-03-28 and 2027-10-31 are the
-- change-over Sundays; 2027-03-29 and 2027-11-01 are holidays anyway).
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-03-22', '2027-04-02'),
                  9 * 6, 'two weeks around spring DST, minus Easter Monday: 9 days of slots');
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-10-25', '2027-11-05'),
                  9 * 6, 'two weeks around autumn DST, minus All Saints'' Day: 9 days of slots');
SELECT pg_temp.is((SELECT min(starts_at) FROM slots
                    WHERE counter_id = pg_temp.counter('test-paris', 'A')
                      AND starts_at >= '2027-03-26' AND starts_at < '2027-03-27'),
                  timestamptz '2027-03-26 08:00:00+00', 'Friday before spring DST: 09:00 Paris is 08:00 UTC');
SELECT pg_temp.is((SELECT min(starts_at) FROM slots
                    WHERE counter_id = pg_temp.counter('test-paris', 'A')
                      AND starts_at >= '2027-03-30' AND starts_at < '2027-03-31'),
                  timestamptz '2027-03-30 07:00:00+00', 'Tuesday after spring DST: 09:00 Paris is 07:00 UTC');
SELECT pg_temp.is((SELECT min(starts_at) FROM slots
                    WHERE counter_id = pg_temp.counter('test-paris', 'A')
                      AND starts_at >= '2027-10-29' AND starts_at < '2027-10-30'),
                  timestamptz '2027-10-29 07:00:00+00', 'Friday before autumn DST: 09:00 Paris is 07:00 UTC');
SELECT pg_temp.is((SELECT min(starts_at) FROM slots
                    WHERE counter_id = pg_temp.counter('test-paris', 'A')
                      AND starts_at >= '2027-11-02' AND starts_at < '2027-11-03'),
                  timestamptz '2027-11-02 08:00:00+00', 'Tuesday after autumn DST: 09:00 Paris is 08:00 UTC');

-- Public holidays: Easter Monday 2027-03-29 and All Saints' 2027-11-01.
SELECT pg_temp.is((SELECT count(*)::integer FROM slots
                    WHERE site_id = pg_temp.site('test-paris')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date IN ('2027-03-29', '2027-11-01')),
                  0, 'no slot on Easter Monday nor on All Saints'' Day');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots
                    WHERE site_id = pg_temp.site('test-paris')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date IN ('2027-03-30', '2027-11-02')),
                  12, 'but the next days have their slots');
-- Guyane's abolition day (Thursday 2027-06-10) closes Cayenne, not Paris;
-- Ascension (Thursday 2027-05-06) closes both.
SELECT pg_temp.is(array_agg(generate_slots(s, '2027-05-06', '2027-05-06')
                            + generate_slots(s, '2027-06-10', '2027-06-10') ORDER BY o),
                  ARRAY[6, 0], 'on Ascension Day and 10 June, Paris gets one day of slots, Cayenne none')
  FROM unnest(ARRAY[pg_temp.site('test-paris'), pg_temp.site('test-cayenne')]) WITH ORDINALITY AS u (s, o);
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-cayenne')
                      AND starts_at >= '2027-05-01'),
                  0, 'no slot at Cayenne on Ascension Day nor on 10 June (abolition of slavery)');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-paris')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date = '2027-06-10'),
                  6, 'Paris works on 10 June');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-paris')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date = '2027-05-06'),
                  0, 'but not on Ascension Day');

-- Closures: site-wide on Monday 2027-04-05, counter A only on Tuesday
-- 2027-04-13 (counter B keeps its rule only in February, so add one).
INSERT INTO closures (site_id, day, reason) VALUES (pg_temp.site('test-paris'), '2027-04-05', 'Test');
INSERT INTO closures (counter_id, day, reason) VALUES (pg_temp.counter('test-paris', 'A'), '2027-04-13', 'Test');
INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes, slot_minutes, capacity, valid_from)
VALUES (pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-proc'), 1, '14:00', '16:00', 60, 1, '2027-04-01'),
       (pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-proc'), 2, '14:00', '16:00', 60, 1, '2027-04-01');
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-04-05', '2027-04-13'),
                  -- A: 4 days (Apr 6–9) + Apr 12 = 5 days × 6; B: Mon 12, Tue 6, Tue 13 × 2.
                  5 * 6 + 3 * 2, 'closures are skipped: count over 5–13 April 2027');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-paris')
                      AND (starts_at AT TIME ZONE 'Europe/Paris')::date = '2027-04-05'),
                  0, 'no slot at any counter on a site-wide closure day');
SELECT pg_temp.is((SELECT array_agg(DISTINCT c.name) FROM slots sl JOIN counters c ON c.id = sl.counter_id
                    WHERE sl.site_id = pg_temp.site('test-paris')
                      AND (sl.starts_at AT TIME ZONE 'Europe/Paris')::date = '2027-04-13'),
                  ARRAY['B'], 'a counter closure removes only that counter''s slots');
-- p_site_id NULL: every site (this also creates, then rolls back, slots
-- of any other site in the database).
CREATE TEMP TABLE before_all AS
SELECT site_id, count(*)::integer AS n FROM slots
 WHERE site_id IN (pg_temp.site('test-paris'), pg_temp.site('test-cayenne'))
   AND starts_at >= '2027-04-05' AND starts_at < '2027-04-14'
 GROUP BY site_id;
SELECT pg_temp.ok(generate_slots(NULL, '2027-04-05', '2027-04-13') >= 7 * 4,
                  'generate_slots(NULL, …) reports at least the Cayenne slots');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-paris')
                      AND starts_at >= '2027-04-05' AND starts_at < '2027-04-14'),
                  (SELECT n FROM before_all WHERE site_id = pg_temp.site('test-paris')),
                  'it creates nothing more at test-paris');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots WHERE site_id = pg_temp.site('test-cayenne')
                      AND starts_at >= '2027-04-05' AND starts_at < '2027-04-14'),
                  7 * 4, 'and creates the Cayenne slots of those 7 weekdays');

-- Arguments.
SELECT pg_temp.is(generate_slots(pg_temp.site('test-paris'), '2027-04-13', '2027-04-05'),
                  0, 'an empty range creates nothing');
SELECT pg_temp.throws($$SELECT generate_slots(NULL, '2027-01-01', '2028-12-31')$$,
                      '22023', NULL, 'a range over 400 days is refused');
SELECT pg_temp.throws($$SELECT generate_slots(NULL, NULL, '2028-12-31')$$,
                      '22004', NULL, 'a NULL date is refused');
SQL
