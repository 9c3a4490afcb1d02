-- bench/prodsize.sql: production-size data for the benchmarks and the
-- query plans (issue 15). NOT a migration, NOT demo data: load it into a
-- database of its own (script/lib.sh cr_load_prodsize, or bench/prodsize.sh).
--
--   psql -v sites=100 -v days=365 -v history=60 -f bench/prodsize.sql
--
-- in one session, or in steps (bench/prodsize.sh runs the slots step in
-- parallel sessions): -v step=setup, then -v step=slots -v part=K -v parts=N
-- for K in 0..N-1 (the sites whose id % N = K), then -v step=bookings,
-- then -v step=booked by parts, then -v step=finish.
--
-- Loads, for `sites` sites named bench-site-NNN (default 100), four
-- counters and three first-come procedures each, a year (`days`) of
-- published slots ahead and `history` days behind, all through
-- generate_slots and the opening rules (public holidays skipped); then,
-- set-based, the bookings: about a third of the places ahead (90 % of the
-- first two weeks, thinning out to 15 % after four months), most
-- confirmed, some cancelled (released, or still waiting for their random
-- release time), a few live holds, and 80 % of the past places (completed,
-- cancelled or expired, all released). Every row goes in through the
-- tables' constraints and triggers; slots.booked is then set to the
-- bookings that hold a place (004's invariant). One mediator place is
-- reserved on every fifth slot of the two-place counter.
--
-- Deterministic (setseed) for a given `sites`, `days`, `history` and day.
-- Re-running it on a database that has bench sites refuses: load into a
-- fresh database.

\set ON_ERROR_STOP 1
\if :{?sites}
\else
\set sites 100
\endif
\if :{?days}
\else
\set days 365
\endif
\if :{?history}
\else
\set history 60
\endif
\if :{?step}
\else
\set step all
\endif
\if :{?part}
\else
\set part 0
\set parts 1
\endif
SELECT :'step' IN ('all', 'setup') AS do_setup, :'step' IN ('all', 'slots') AS do_slots,
       :'step' IN ('all', 'bookings') AS do_bookings, :'step' IN ('all', 'booked') AS do_booked,
       :'step' IN ('all', 'finish') AS do_finish \gset

\if :do_setup
BEGIN;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sites WHERE slug LIKE 'bench-site-%') THEN
        RAISE EXCEPTION 'bench/prodsize.sql: this database already has bench sites; load into a fresh one';
    END IF;
END
$$;

SELECT setseed(0.15);

------------------------------------------------------------------------------
-- Procedures, sites, counters, opening rules.
INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref, allocation_mode, documents)
VALUES ('bench-premiere-demande', 'Première demande (banc d''essai)', 'Procédure du banc d''essai.', 30, false, 'open', '{}'),
       ('bench-renouvellement', 'Renouvellement (banc d''essai)', 'Procédure du banc d''essai.', 20, false, 'open', '{}'),
       ('bench-remise', 'Remise de titre (banc d''essai)', 'Procédure du banc d''essai.', 15, false, 'open', '{}')
ON CONFLICT (code) DO NOTHING;

-- Valid department codes 01–95 without 20.
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, phone, time_zone, alternative_route)
SELECT 'bench-site-' || lpad(i::text, 3, '0'),
       'Site de banc d''essai ' || i,
       CASE WHEN i % 4 = 0 THEN 'prefecture' ELSE 'sous-prefecture' END,
       lpad(d::text, 2, '0'), 'Département ' || d, i || ', rue du Banc', lpad((d * 1000)::text, 5, '0'),
       'Ville ' || i, '01 00 00 00 00', 'Europe/Paris',
       'Appelez le standard de la préfecture ou présentez-vous à l''accueil aux heures d''ouverture.'
  FROM generate_series(1, :sites) AS i
 CROSS JOIN LATERAL (SELECT CASE WHEN (i - 1) % 94 + 1 >= 20 THEN (i - 1) % 94 + 2
                                 ELSE (i - 1) % 94 + 1 END AS d) AS dd;

INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s CROSS JOIN procedures p
 WHERE s.slug LIKE 'bench-site-%' AND p.code LIKE 'bench-%';

INSERT INTO counters (site_id, name)
SELECT s.id, 'Guichet ' || n FROM sites s CROSS JOIN generate_series(1, 4) AS n
 WHERE s.slug LIKE 'bench-site-%';

-- Monday to Friday, 09:00–12:00 and 13:30–16:30 on every counter.
INSERT INTO opening_rules (counter_id, procedure_id, weekday, opens, closes,
                           slot_minutes, capacity, valid_from)
SELECT c.id, p.id, wd, v.opens, v.closes, v.slot_minutes, v.capacity, current_date - :history - 7
  FROM (VALUES ('Guichet 1', 'bench-premiere-demande', time '09:00', time '12:00', 30, 1),
               ('Guichet 1', 'bench-premiere-demande', time '13:30', time '16:30', 30, 1),
               ('Guichet 2', 'bench-renouvellement', time '09:00', time '12:00', 20, 1),
               ('Guichet 2', 'bench-renouvellement', time '13:30', time '16:30', 20, 1),
               ('Guichet 3', 'bench-remise', time '09:00', time '12:00', 15, 2),
               ('Guichet 3', 'bench-remise', time '13:30', time '16:30', 15, 2),
               ('Guichet 4', 'bench-premiere-demande', time '09:00', time '12:00', 30, 1),
               ('Guichet 4', 'bench-renouvellement', time '13:30', time '16:30', 20, 1)
       ) AS v (counter, code, opens, closes, slot_minutes, capacity)
  JOIN counters c ON c.name = v.counter
  JOIN sites s ON s.id = c.site_id AND s.slug LIKE 'bench-site-%'
  JOIN procedures p ON p.code = v.code
 CROSS JOIN generate_series(1, 5) AS wd;

COMMIT;
\endif

\if :do_slots
BEGIN;
------------------------------------------------------------------------------
-- Slots: the history (published long ago) and the year ahead (published a
-- day ago), site by site through generate_slots.
SELECT sum(generate_slots(s.id, current_date - :history, current_date - 1, now() - interval '400 days'))
       AS history_slots
  FROM sites s WHERE s.slug LIKE 'bench-site-%' AND s.id % :parts = :part;
SELECT sum(generate_slots(s.id, current_date, current_date + :days, now() - interval '1 day'))
       AS slots_ahead
  FROM sites s WHERE s.slug LIKE 'bench-site-%' AND s.id % :parts = :part;

-- One mediator place on every fifth slot of the two-place counter, ahead.
INSERT INTO slot_reservations (slot_id, channel, places)
SELECT sl.id, 'mediator', 1
  FROM slots sl JOIN counters c ON c.id = sl.counter_id AND c.name = 'Guichet 3'
  JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-site-%' AND s.id % :parts = :part
 WHERE sl.starts_at > now() AND sl.id % 5 = 0;
COMMIT;
\endif

\if :do_bookings
BEGIN;

------------------------------------------------------------------------------
-- Bookings. One candidate row per place; a place ahead is taken with a
-- probability that falls with its distance (90 % the first two weeks, then
-- down to 15 % at four months), a past place with 80 %. The kind of
-- booking is drawn from a second random number.
CREATE TEMP TABLE bench_places AS
SELECT sl.id * 8 + place AS n, sl.id AS slot_id, sl.site_id, sl.procedure_id, sl.starts_at, sl.ends_at,
       random() AS pick, random() AS kind
  FROM slots sl
  JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-site-%'
 CROSS JOIN LATERAL generate_series(1, sl.capacity) AS place;
DELETE FROM bench_places
 WHERE pick >= CASE WHEN starts_at <= now() THEN 0.8
                    ELSE greatest(0.15, least(0.9, 0.9 - 0.75 * (extract(epoch FROM starts_at - now()) / 86400 - 14) / 106))
               END;

-- Status, times and release of each booking:
--   past:  completed 85 %, cancelled 10 %, expired 5 % (released)
--   ahead: confirmed 92 %, cancelled and released 5 %, cancelled waiting
--          for its release time 2 %, a live hold 0.9 %, a cancellation
--          whose release time has come but that no sweep has released yet
--          0.1 % (the calendar must count it free already).
CREATE TEMP TABLE bench_bookings AS
SELECT p.*,
       CASE WHEN p.starts_at <= now() THEN
                CASE WHEN p.kind < 0.85 THEN 'completed' WHEN p.kind < 0.95 THEN 'cancelled' ELSE 'expired' END
            ELSE CASE WHEN p.kind < 0.92 THEN 'confirmed' WHEN p.kind < 0.99 THEN 'cancelled'
                      WHEN p.kind < 0.999 THEN 'held' ELSE 'cancelled' END
       END AS status,
       least(p.starts_at - interval '1 day', now()) - (p.kind * interval '60 days') AS made
  FROM bench_places p;

-- The trigger bookings_count_made counts each booking against its identity
-- in rate_limits, one row at a time (a plan per row: hours at this size).
-- Its counters are written here set-based instead, for the bookings made
-- in the current window (the older ones' windows have ended and
-- creneau-admin sweep deletes them).
ALTER TABLE bookings DISABLE TRIGGER bookings_count_made;
INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key, surname, given_names,
                      birth_date, email, email_key, lang, channel, status, hold_expires_at, code_hash,
                      created_at, confirmed_at, cancelled_at, release_at, released)
SELECT (SELECT string_agg(substr('ACDEFGHJKLMNPQRTUVWXY34679',
                                 ((b.n * 1000003) % 208827064576 / (26::bigint ^ k)::bigint % 26)::integer + 1, 1), ''
                          ORDER BY k)
          FROM generate_series(0, 7) AS k),
       b.slot_id, b.site_id, b.procedure_id,
       sha256(convert_to('bench-identity-' || b.n, 'UTF8')),
       'Banc', 'Essai ' || b.n, date '1960-01-01' + (b.n % 15000)::integer,
       'banc' || b.n || '@example.test',
       substring(sha256(convert_to('bench-email-' || b.n, 'UTF8')) FROM 1 FOR 16),
       'fr', 'online', b.status,
       CASE WHEN b.status = 'held' THEN now() + interval '8 minutes'
            WHEN b.status = 'expired' THEN b.made + interval '10 minutes' END,
       CASE WHEN b.status = 'held' THEN sha256(convert_to('123456', 'UTF8')) END,
       CASE WHEN b.status = 'held' THEN now() - interval '2 minutes' ELSE b.made END,
       CASE WHEN b.status IN ('completed', 'confirmed') OR (b.status = 'cancelled' AND b.kind < 0.97)
            THEN b.made + interval '3 minutes' END,
       CASE WHEN b.status = 'cancelled' THEN
                CASE WHEN b.starts_at <= now() OR b.kind < 0.97 THEN b.made + interval '2 days'
                     ELSE now() - interval '30 minutes' END END,
       CASE WHEN b.status = 'expired' THEN b.made + interval '1 hour'
            WHEN b.status = 'cancelled' THEN
                CASE WHEN b.starts_at <= now() OR b.kind < 0.97 THEN b.made + interval '2 days 1 hour'
                     WHEN b.kind < 0.99 THEN now() + interval '15 minutes' + (b.kind - 0.97) * interval '8250 minutes'
                     ELSE now() - interval '5 minutes' END END,
       CASE WHEN b.status = 'expired' THEN true
            WHEN b.status = 'cancelled' THEN b.starts_at <= now() OR b.kind < 0.97
            ELSE false END
  FROM bench_bookings b
 ORDER BY b.n;
ALTER TABLE bookings ENABLE TRIGGER bookings_count_made;
INSERT INTO rate_limits (action, key, window_start, window_end)
SELECT 'booking_made', 'identity:' || encode(b.identity_key, 'hex'),
       date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00'),
       date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00') + r.window_size
  FROM bookings b
  JOIN rate_limit_rules r ON r.action = 'booking_made' AND r.scope = 'identity'
 WHERE b.site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%')
   AND b.created_at >= date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00')
ON CONFLICT (action, key, window_start) DO UPDATE SET hits = rate_limits.hits + 1;

COMMIT;
\endif

\if :do_booked
-- 004's invariant: booked = the bookings not released (each row through
-- the slots' triggers: parallel sessions by site in bench/prodsize.sh).
UPDATE slots sl SET booked = c.n
  FROM (SELECT b.slot_id, count(*)::integer AS n FROM bookings b
         WHERE NOT b.released
           AND b.site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%' AND id % :parts = :part)
         GROUP BY b.slot_id) c
 WHERE sl.id = c.slot_id;
\endif

\if :do_finish
VACUUM ANALYZE slots;
VACUUM ANALYZE bookings;
VACUUM ANALYZE slot_reservations;
VACUUM ANALYZE rate_limits;

SELECT (SELECT count(*) FROM sites WHERE slug LIKE 'bench-site-%') AS sites,
       (SELECT count(*) FROM slots) AS slots,
       (SELECT count(*) FROM slots WHERE starts_at > now()) AS slots_ahead,
       (SELECT count(*) FROM bookings) AS bookings,
       (SELECT count(*) FROM bookings WHERE NOT released) AS places_taken,
       pg_size_pretty(pg_database_size(current_database())) AS size;
\endif
