-- bench/setup.sql: what script/bench adds to its own database (var/bench),
-- never to a real one. Run by bench/bench.py with psql -v slots=N.
--
-- A site of the benchmark's own, "bench-harness", with three procedures:
--   bench-harness-pgb   slots that pgbench holds and confirms (bench/pgbench_*.sql)
--   bench-harness-http  slots the booking POSTs through nginx hold
--   bench-harness-wait  slots published 30 minutes from now: its calendar is
--                behind the waiting room (schema/014) during the run
-- Each bookable slot has one place, so that every hold is on a fresh slot
-- (no two transactions wait for the same row). Its slots are published 7
-- hours ago, out of the waiting room's reach (it guards a release for 6
-- hours), so the waiting room keeps no list of their ids.
-- The per-address limits are relaxed as script/test relaxes them: every
-- request of the benchmark comes from 127.0.0.1.
\set ON_ERROR_STOP 1
BEGIN;
CREATE SCHEMA IF NOT EXISTS bench;
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, phone, time_zone, alternative_route)
VALUES ('bench-harness', 'Préfecture du banc d''essai', 'prefecture', '75', 'Paris',
        '1, rue du Banc', '75001', 'Paris', '01 23 45 67 89', 'Europe/Paris',
        'Appelez le standard.');
INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref,
                        allocation_mode, documents)
SELECT 'bench-harness-' || k, 'Démarche du banc ' || k, 'Procédure du banc d''essai.', 5, false,
       'open', ARRAY['Passeport']
  FROM unnest(ARRAY['pgb', 'http', 'wait']) k;
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p
 WHERE s.slug = 'bench-harness' AND p.code LIKE 'bench-harness-%';
INSERT INTO draw_switch_settings (site_id, procedure_id, sellout_minutes,
                                  registration_minutes, offer_hours)
SELECT s.id, p.id, 0, 60, 24 FROM sites s, procedures p
 WHERE s.slug = 'bench-harness' AND p.code LIKE 'bench-harness-%';
INSERT INTO counters (site_id, name)
SELECT s.id, 'Guichet ' || p.code FROM sites s, procedures p
 WHERE s.slug = 'bench-harness' AND p.code LIKE 'bench-harness-%';
-- :slots one-place slots of 5 minutes from tomorrow for pgb and http, 200
-- for wait.
INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT c.site_id, c.id, p.id,
       t0 + i * interval '5 minutes', t0 + (i + 1) * interval '5 minutes', 1,
       CASE WHEN p.code = 'bench-harness-wait' THEN date_trunc('second', now()) + interval '30 minutes'
            ELSE now() - interval '7 hours' END
  FROM procedures p
  JOIN counters c ON c.name = 'Guichet ' || p.code
  CROSS JOIN (SELECT date_trunc('day', now()) + interval '1 day 8 hours' AS t0) x
  CROSS JOIN LATERAL generate_series(0, CASE WHEN p.code = 'bench-harness-wait' THEN 199
                                             ELSE :slots - 1 END) i
 WHERE p.code LIKE 'bench-harness-%'
 ORDER BY p.code, i;
-- The holds pgbench made, numbered for pgbench_confirm.sql.
CREATE TABLE bench.held (k integer PRIMARY KEY, slot_id bigint NOT NULL);
UPDATE rate_limit_rules SET max_hits = 100000000 WHERE scope = 'address';
UPDATE rate_limit_rules SET max_hits = 100000000
 WHERE action = 'hold_live' AND scope = 'address';
COMMIT;
ANALYZE slots;
ANALYZE bookings;
