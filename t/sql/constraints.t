#!/bin/sh
# SQL-level invariants of the core tables: the constraints refuse what the
# C code must never be able to write.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
-- A slot for the other checks to update.
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
        '2027-02-01 09:00+01', '2027-02-01 09:30+01', 2);

-- Capacity.
SELECT pg_temp.lives($$UPDATE slots SET booked = 2 WHERE starts_at = '2027-02-01 09:00+01'
                       AND counter_id = pg_temp.counter('test-paris', 'A')$$,
                     'booked may reach capacity');
SELECT pg_temp.throws($$UPDATE slots SET booked = booked + 1 WHERE starts_at = '2027-02-01 09:00+01'
                        AND counter_id = pg_temp.counter('test-paris', 'A')$$,
                      '23514', 'slots_booked_within_capacity',
                      'booked > capacity is refused');
SELECT pg_temp.is((SELECT booked FROM slots WHERE starts_at = '2027-02-01 09:00+01'
                      AND counter_id = pg_temp.counter('test-paris', 'A')), 2,
                  'the refused update left booked at capacity');
SELECT pg_temp.throws($$UPDATE slots SET booked = -1 WHERE starts_at = '2027-02-01 09:00+01'
                        AND counter_id = pg_temp.counter('test-paris', 'A')$$,
                      '23514', 'slots_booked_within_capacity', 'negative booked is refused');
SELECT pg_temp.throws($$UPDATE slots SET capacity = 1 WHERE starts_at = '2027-02-01 09:00+01'
                        AND counter_id = pg_temp.counter('test-paris', 'A')$$,
                      '23514', 'slots_booked_within_capacity',
                      'capacity cannot be lowered below booked');
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                '2027-02-01 10:00+01', '2027-02-01 10:30+01', 0)$$,
                      '23514', 'slots_capacity_check', 'a slot of capacity 0 is refused');

-- Times.
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                '2027-02-01 11:00+01', '2027-02-01 11:00+01', 1)$$,
                      '23514', 'slots_ends_after_start', 'ends_at = starts_at is refused');
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                '2027-02-01 11:00+01', '2027-02-01 10:30+01', 1)$$,
                      '23514', 'slots_ends_after_start', 'ends_at before starts_at is refused');
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                '2027-02-01 09:00+01', '2027-02-01 09:30+01', 1)$$,
                      '23505', 'slots_counter_procedure_start_key',
                      'a second slot with the same counter, procedure and start is refused');
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                '2027-02-01 09:15+01', '2027-02-01 09:45+01', 1)$$,
                      '23P01', 'slots_counter_no_overlap',
                      'an overlapping slot at the same counter is refused');
SELECT pg_temp.lives($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                       VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                               '2027-02-01 09:30+01', '2027-02-01 10:00+01', 1)$$,
                     'the next slot, starting when the first ends, is accepted');

-- Counter and procedure must belong to the slot's site.
SELECT pg_temp.throws($$INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.site('test-paris'), pg_temp.counter('test-cayenne', 'A'),
                                pg_temp.proc('test-proc'), '2027-02-02 09:00+01', '2027-02-02 09:30+01', 1)$$,
                      '23503', 'slots_counter_site_fk',
                      'a slot whose counter belongs to another site is refused');
SELECT pg_temp.is((SELECT site_id FROM slots WHERE starts_at = '2027-02-01 09:00+01'
                      AND counter_id = pg_temp.counter('test-paris', 'A')),
                  pg_temp.site('test-paris'), 'site_id is filled from the counter when omitted');
SELECT pg_temp.throws($$INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity)
                        VALUES (pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-unoffered'),
                                '2027-02-02 09:00+01', '2027-02-02 09:30+01', 1)$$,
                      '23503', 'slots_site_procedure_fk',
                      'a slot for a procedure the site does not offer is refused');
SELECT pg_temp.throws($$INSERT INTO opening_rules (site_id, counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.site('test-other'), pg_temp.counter('test-paris', 'A'),
                                pg_temp.proc('test-proc'), 1, '09:00', '12:00', 30, 1, '2027-01-01')$$,
                      '23503', 'opening_rules_counter_site_fk',
                      'an opening rule whose counter belongs to another site is refused');
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-unoffered'),
                                1, '09:00', '12:00', 30, 1, '2027-01-01')$$,
                      '23503', 'opening_rules_site_procedure_fk',
                      'an opening rule for a procedure the site does not offer is refused');
SELECT pg_temp.throws($$INSERT INTO closures (site_id, counter_id, day, reason)
                        VALUES (pg_temp.site('test-paris'), pg_temp.counter('test-other', 'A'),
                                '2027-02-03', 'Test')$$,
                      '23503', 'closures_counter_site_fk',
                      'a closure of a counter of another site is refused');

-- Sites: time zone, slug, codes.
SELECT pg_temp.throws($$UPDATE sites SET time_zone = 'Europe/Pariss' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_time_zone_valid', 'an unknown time zone is refused');
SELECT pg_temp.throws($$UPDATE sites SET time_zone = 'UTC+3' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_time_zone_valid', 'a POSIX time zone string is refused');
SELECT pg_temp.throws($$UPDATE sites SET time_zone = 'europe/paris' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_time_zone_valid', 'a wrongly cased zone name is refused');
SELECT pg_temp.throws($$UPDATE sites SET time_zone = '' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_time_zone_valid', 'an empty time zone is refused');
SELECT pg_temp.lives($$UPDATE sites SET time_zone = 'Indian/Reunion' WHERE slug = 'test-other'$$,
                     'a valid IANA time zone is accepted');
SELECT pg_temp.is(creneau_valid_time_zone('America/Cayenne') AND NOT creneau_valid_time_zone('Mars/Olympus'),
                  true, 'creneau_valid_time_zone tells known from unknown zones');
SELECT pg_temp.throws(format($$UPDATE sites SET slug = %L WHERE slug = 'test-other'$$, bad),
                      '23514', 'sites_slug_format', format('slug %L is refused', bad))
  FROM unnest(ARRAY['Test-upper', 'test--double', '-test', 'test-', 'test_under', 'test space',
                    'préfecture', '', repeat('a', 65)]) AS bad;
SELECT pg_temp.lives($$UPDATE sites SET slug = 'test-ok-2' WHERE slug = 'test-other'$$,
                     'slug test-ok-2 is accepted');
SELECT pg_temp.throws($$UPDATE sites SET slug = 'test-paris' WHERE slug = 'test-cayenne'$$,
                      '23505', 'sites_slug_key', 'a duplicate slug is refused');
SELECT pg_temp.throws($$UPDATE sites SET kind = 'mairie' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_kind_check', 'an unknown kind of site is refused');
SELECT pg_temp.throws($$UPDATE sites SET department_code = '20' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_department_code_format', 'department code 20 is refused');
SELECT pg_temp.lives($$UPDATE sites SET department_code = '2A' WHERE slug = 'test-paris'$$,
                     'department code 2A is accepted');
SELECT pg_temp.throws($$UPDATE sites SET postal_code = '9400' WHERE slug = 'test-paris'$$,
                      '23514', 'sites_postal_code_format', 'a 4-digit postal code is refused');
SELECT pg_temp.throws($$UPDATE procedures SET code = 'Test proc' WHERE code = 'test-proc'$$,
                      '23514', 'procedures_code_format', 'a procedure code that is not a slug is refused');
SELECT pg_temp.throws($$UPDATE procedures SET duration_minutes = 0 WHERE code = 'test-proc'$$,
                      '23514', 'procedures_duration_minutes_check', 'a procedure of 0 minutes is refused');
SELECT pg_temp.throws($$UPDATE procedures SET allocation_mode = 'fastest' WHERE code = 'test-proc'$$,
                      '23514', 'procedures_allocation_mode_check', 'an unknown allocation mode is refused');

-- Opening rules.
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                1, '12:00', '09:00', 30, 1, '2027-01-01')$$,
                      '23514', 'opening_rules_opens_before_closes', 'a rule closing before it opens is refused');
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                8, '09:00', '12:00', 30, 1, '2027-01-01')$$,
                      '23514', 'opening_rules_weekday_check', 'weekday 8 is refused');
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from, valid_until)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                1, '09:00', '12:00', 30, 1, '2027-01-01', '2026-12-31')$$,
                      '23514', 'opening_rules_valid_range', 'valid_until before valid_from is refused');
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                1, '09:00', '09:20', 30, 1, '2027-01-01')$$,
                      '23514', 'opening_rules_one_slot_fits', 'a rule shorter than one slot is refused');
SELECT pg_temp.lives($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                  slot_minutes, capacity, valid_from, valid_until)
                       VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                               1, '09:00', '12:00', 30, 1, '2027-01-01', '2027-06-30')$$,
                     'a valid opening rule is accepted');
SELECT pg_temp.throws($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                   slot_minutes, capacity, valid_from)
                        VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                                1, '11:30', '13:00', 30, 1, '2027-03-01')$$,
                      '23P01', 'opening_rules_no_overlap',
                      'a rule overlapping another of the same counter is refused');
SELECT pg_temp.lives($$INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                                                  slot_minutes, capacity, valid_from)
                       VALUES (pg_temp.counter('test-paris', 'A'), pg_temp.proc('test-proc'),
                               1, '09:00', '12:00', 20, 1, '2027-07-01')$$,
                     'the same hours from the day after the old rule ends are accepted');

-- Closures: one per (site, counter, day), and one site-wide per day.
SELECT pg_temp.lives($$INSERT INTO closures (site_id, day, reason)
                       VALUES (pg_temp.site('test-paris'), '2027-02-03', 'Test')$$,
                     'a site-wide closure is accepted');
SELECT pg_temp.throws($$INSERT INTO closures (site_id, day, reason)
                        VALUES (pg_temp.site('test-paris'), '2027-02-03', 'Encore')$$,
                      '23505', 'closures_site_counter_day_key',
                      'a second site-wide closure on the same day is refused');
SELECT pg_temp.lives($$INSERT INTO closures (counter_id, day, reason)
                       VALUES (pg_temp.counter('test-paris', 'A'), '2027-02-03', 'Test')$$,
                     'a counter closure on the same day is accepted, site_id filled from the counter');
SELECT pg_temp.throws($$INSERT INTO closures (counter_id, day, reason)
                        VALUES (pg_temp.counter('test-paris', 'A'), '2027-02-03', 'Encore')$$,
                      '23505', 'closures_site_counter_day_key',
                      'a second closure of the same counter on the same day is refused');
SELECT pg_temp.throws($$INSERT INTO closures (site_id, day, reason)
                        VALUES (pg_temp.site('test-paris'), '2027-02-04', '  ')$$,
                      '23514', NULL, 'a closure without a reason is refused');
SQL
