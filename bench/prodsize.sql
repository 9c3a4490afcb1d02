-- bench/prodsize.sql: production-size data for the benchmarks and the
-- query plans (issue 15). NOT a migration, NOT demo data: load it into a
-- database of its own (script/lib.sh cr_load_prodsize, or bench/prodsize.sh),
-- never into one that serves anybody: the load takes the tables' indexes
-- and triggers away while it runs.
--
--   psql -v sites=100 -v days=365 -v history=60 -f bench/prodsize.sql
--
-- in one session, or in steps, as bench/prodsize.sh runs it: -v step=X
-- for X in setup, slots, bookings, counts, vacuum, indexes, keys, finish;
-- slots, bookings and counts by parts (-v part=K -v parts=N, K in 0..N-1:
-- the sites whose id % N = K), vacuum by table (part 0 the slots, part
-- 1 % N the bookings), indexes from a queue, in parallel sessions.
--
-- Loads, for `sites` sites named bench-site-NNN (default 100), four
-- counters and three first-come procedures each, a year (`days`) of
-- published slots ahead and `history` days behind, all through
-- generate_slots and the opening rules (public holidays skipped); then,
-- set-based, the bookings: about a third of the places ahead (90 % of the
-- first two weeks, thinning out to 15 % after four months), most
-- confirmed, some cancelled (released, or still waiting for their random
-- release time), a few live holds, and 80 % of the past places (completed,
-- cancelled or expired, all released). One mediator place is reserved on
-- every fifth slot of the two-place counter.
--
-- How it is fast (issue 15: the whole of `make bench` in 20 minutes on 2
-- cores; row by row, with the bookings query JIT-compiled, this took 22
-- minutes alone): every row goes in through the tables' CHECK and NOT NULL
-- constraints, and
--   - slots keeps its primary key, unique and exclusion constraints and
--     the indexes that do not read the counts while its rows go in, in
--     parallel sessions (the exclusion constraint's check is most of the
--     cost of a slot, the same whether done row by row or when built
--     afterwards, and only the former shares it between sessions); its
--     foreign keys, the indexes on the counts, and every secondary index,
--     unique constraint and foreign key of bookings are dropped at setup
--     and built again from their saved definitions once the rows are in
--     (steps indexes and keys), which checks every row at once;
--   - the row and statement triggers listed in setup are disabled while the
--     rows go in, and their effect is made set-based instead, in ONE write
--     of each slot (step counts; a HOT update, slots loading with
--     fillfactor 50): slots.booked (004: the bookings not released) with
--     the counts of 021 (held_back, next_release_at, confirmed_count, from
--     creneau_slot_counts, the triggers' own recount), and the booking_made
--     counters in rate_limits; the triggers that would have done nothing
--     here (site_id filled from the counter, slots unpublished for draws,
--     the draw switch) are checked to have had nothing to do;
--   - finish enables every trigger again and FAILS (ON_ERROR_STOP) unless
--     every slot's booked and counts equal the recount of its bookings and
--     reservations, every booking_made counter of the current window equals
--     the bookings made in it, every dropped index, constraint and trigger
--     is back, and the disabled triggers had nothing to do.
--
-- The draws are deterministic (hashes of each place's counter and start
-- time) for a given `sites`, `days`, `history` and day, whatever the
-- number of sessions. Re-running it on a database that has bench sites
-- refuses: load into a fresh database.

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
       :'step' IN ('all', 'bookings') AS do_bookings, :'step' IN ('all', 'counts') AS do_counts,
       :'step' IN ('all', 'vacuum') AS do_vacuum, :'step' IN ('all', 'indexes') AS do_indexes,
       :'step' IN ('all', 'keys') AS do_keys, :'step' IN ('all', 'finish') AS do_finish,
       :part = 0 AS part_slots, 1 % :parts = :part AS part_bookings \gset

\if :do_setup
BEGIN;

DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM sites WHERE slug LIKE 'bench-site-%') THEN
        RAISE EXCEPTION 'bench/prodsize.sql: this database already has bench sites; load into a fresh one';
    END IF;
END
$$;

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


------------------------------------------------------------------------------
-- What the load takes away and puts back (steps indexes, keys, finish):
-- indexes, constraints and foreign keys (their definitions as the
-- catalogue gives them), the triggers whose effect the load makes
-- set-based, slots' fillfactor. Dropped without CASCADE: should another
-- table ever depend on one of them, the setup fails.
CREATE TABLE bench_load_ddl (
    ord     integer PRIMARY KEY,
    tbl     text NOT NULL,
    name    text NOT NULL,
    kind    text NOT NULL CHECK (kind IN ('exclusion', 'unique', 'index', 'fkey', 'trigger', 'option')),
    drop_it text NOT NULL,
    restore text[] NOT NULL,
    done    boolean NOT NULL DEFAULT false
);
-- slots keeps its primary key, unique and exclusion constraints and the
-- indexes that do not read the counts, built as the slots go in (in
-- parallel sessions: the exclusion constraint's check of each slot is
-- most of a slot's cost, the same whether it is built before or after),
-- and room on its pages (fillfactor 50 while it loads) so that step
-- counts' one write of each slot is a HOT update that none of them sees.
-- The order they are put back in (step indexes, two sessions taking the
-- next one free): the indexes of slots on the counts, then the bookings';
-- a unique constraint as its index, then attached (a short lock).
INSERT INTO bench_load_ddl (ord, tbl, name, kind, drop_it, restore)
SELECT row_number() OVER (ORDER BY x.rank, x.tbl DESC, x.name), x.tbl, x.name, x.kind, x.drop_it, x.restore
  FROM (SELECT CASE WHEN c.contype = 'f' THEN 4 WHEN c.conrelid = 'slots'::regclass THEN 1 ELSE 3 END AS rank,
               c.conrelid::regclass::text AS tbl, c.conname::text AS name,
               CASE c.contype WHEN 'x' THEN 'exclusion' WHEN 'u' THEN 'unique' ELSE 'fkey' END AS kind,
               format('ALTER TABLE %s DROP CONSTRAINT %I', c.conrelid::regclass, c.conname) AS drop_it,
               CASE WHEN c.contype = 'u' AND NOT c.condeferrable THEN
                        ARRAY[pg_get_indexdef(c.conindid),
                              format('ALTER TABLE %s ADD CONSTRAINT %I UNIQUE USING INDEX %I',
                                     c.conrelid::regclass, c.conname, c.conindid::regclass::text)]
                    ELSE ARRAY[format('ALTER TABLE %s ADD CONSTRAINT %I %s', c.conrelid::regclass, c.conname,
                                      pg_get_constraintdef(c.oid))] END AS restore
          FROM pg_constraint c
         WHERE c.conrelid IN ('slots'::regclass, 'bookings'::regclass) AND c.contype IN ('x', 'u', 'f')
           AND (c.conrelid = 'bookings'::regclass OR c.contype = 'f'
                OR pg_get_constraintdef(c.oid) ~ '\m(booked|held_back|next_release_at|confirmed_count)\M')
        UNION ALL
        SELECT CASE WHEN i.indrelid = 'slots'::regclass THEN 1 ELSE 3 END,
               i.indrelid::regclass::text, i.indexrelid::regclass::text, 'index',
               format('DROP INDEX %s', i.indexrelid::regclass), ARRAY[pg_get_indexdef(i.indexrelid)]
          FROM pg_index i
         WHERE i.indrelid IN ('slots'::regclass, 'bookings'::regclass) AND NOT i.indisprimary
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = i.indexrelid
                                                          AND c.conrelid = i.indrelid)
           AND (i.indrelid = 'bookings'::regclass
                OR pg_get_indexdef(i.indexrelid) ~ '\m(booked|held_back|next_release_at|confirmed_count)\M')
        UNION ALL
        SELECT 5, 'slots', 'fillfactor', 'option', 'ALTER TABLE slots SET (fillfactor = 50)',
               ARRAY[coalesce((SELECT format('ALTER TABLE slots SET (%s)', o)
                                 FROM pg_class, unnest(reloptions) AS o
                                WHERE oid = 'slots'::regclass AND o LIKE 'fillfactor=%'),
                              'ALTER TABLE slots RESET (fillfactor)')]
        UNION ALL
        SELECT 5, t.tgrelid::regclass::text, t.tgname::text, 'trigger',
               format('ALTER TABLE %s DISABLE TRIGGER %I', t.tgrelid::regclass, t.tgname),
               ARRAY[format('ALTER TABLE %s ENABLE TRIGGER %I', t.tgrelid::regclass, t.tgname)]
          FROM pg_trigger t
         WHERE NOT t.tgisinternal AND t.tgenabled = 'O'
           AND (t.tgrelid, t.tgname) IN (
               -- slots: site_id is given; the bench pairs are first-come
               -- and published a day ago or more (checked in finish).
               ('slots'::regclass, 'slots_fill_site_id'),
               ('slots'::regclass, 'slots_unpublished_draw'),
               ('slots'::regclass, 'slots_draw_switch_new'),
               ('slots'::regclass, 'slots_draw_switch_sellout'),
               -- the counts: step counts writes them with booked.
               ('slots'::regclass, 'slots_counts_guard'),
               ('bookings'::regclass, 'bookings_slot_counts_insert'),
               ('slot_reservations'::regclass, 'slot_reservations_counts_insert'),
               -- one plan per booking (hours at this size): finish
               -- writes the counters of the current window.
               ('bookings'::regclass, 'bookings_count_made'))) AS x;
-- Foreign keys first (they may lean on a unique index), then the unique
-- and exclusion constraints, then the plain indexes.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT drop_it FROM bench_load_ddl
              ORDER BY CASE kind WHEN 'fkey' THEN 1 WHEN 'index' THEN 3 WHEN 'exclusion' THEN 2 WHEN 'unique' THEN 2 ELSE 4 END, ord LOOP
        EXECUTE r.drop_it;
    END LOOP;
END
$$;

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
------------------------------------------------------------------------------
-- Bookings. One candidate row per place; a place ahead is taken with a
-- probability that falls with its distance (90 % the first two weeks, then
-- down to 15 % at four months), a past place with 80 %. The kind of
-- booking is drawn from a second number. Both are hashes of the place's
-- counter, start time and number: the same whatever the slot ids.
--
-- Status, times and release of each booking:
--   past:  completed 85 %, cancelled 10 %, expired 5 % (released)
--   ahead: confirmed 92 %, cancelled and released 5 %, cancelled waiting
--          for its release time 2 %, a live hold 0.9 %, a cancellation
--          whose release time has come but that no sweep has released yet
--          0.1 % (the calendar must count it free already).
-- The reference: n (slot id * 8 + place) times a prime modulo 26^8,
-- written in the references' alphabet, least significant letter first.
BEGIN;
INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key, surname, given_names,
                      birth_date, email, email_key, lang, channel, status, hold_expires_at, code_hash,
                      created_at, confirmed_at, cancelled_at, release_at, released)
SELECT substr(a, (x % 26)::integer + 1, 1) || substr(a, (x / 26 % 26)::integer + 1, 1)
       || substr(a, (x / 676 % 26)::integer + 1, 1) || substr(a, (x / 17576 % 26)::integer + 1, 1)
       || substr(a, (x / 456976 % 26)::integer + 1, 1) || substr(a, (x / 11881376 % 26)::integer + 1, 1)
       || substr(a, (x / 308915776 % 26)::integer + 1, 1) || substr(a, (x / 8031810176 % 26)::integer + 1, 1),
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
  FROM (SELECT p.*,
               CASE WHEN p.starts_at <= now() THEN
                        CASE WHEN p.kind < 0.85 THEN 'completed' WHEN p.kind < 0.95 THEN 'cancelled' ELSE 'expired' END
                    ELSE CASE WHEN p.kind < 0.92 THEN 'confirmed' WHEN p.kind < 0.99 THEN 'cancelled'
                              WHEN p.kind < 0.999 THEN 'held' ELSE 'cancelled' END
               END AS status,
               least(p.starts_at - interval '1 day', now()) - (p.kind * interval '60 days') AS made
          FROM (SELECT sl.id * 8 + place AS n, sl.id AS slot_id, sl.site_id, sl.procedure_id, sl.starts_at,
                       ((hashint8extended(h.k, 1) % 1000000 + 1000000) % 1000000) / 1e6::float8 AS pick,
                       ((hashint8extended(h.k, 2) % 1000000 + 1000000) % 1000000) / 1e6::float8 AS kind
                  FROM slots sl
                  JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-site-%' AND s.id % :parts = :part
                 CROSS JOIN LATERAL generate_series(1, sl.capacity) AS place
                 CROSS JOIN LATERAL (SELECT sl.counter_id * 1000000000
                                            + (extract(epoch FROM sl.starts_at) / 60)::bigint * 8 + place AS k) AS h
               ) AS p
         WHERE p.pick < CASE WHEN p.starts_at <= now() THEN 0.8
                             ELSE greatest(0.15, least(0.9, 0.9 - 0.75 * (extract(epoch FROM p.starts_at - now()) / 86400 - 14) / 106))
                        END
       ) AS b
 CROSS JOIN LATERAL (SELECT 'ACDEFGHJKLMNPQRTUVWXY34679' AS a, (b.n * 1000003) % 208827064576 AS x) AS r
 ORDER BY b.n;
COMMIT;
\endif

\if :do_counts
------------------------------------------------------------------------------
-- One write of each slot of the part that has bookings or a reservation:
-- booked (004: the bookings not released) and the counts of 021 from
-- creneau_slot_counts, the recount of the triggers disabled for the load.
-- No nested loops: creneau_slot_counts, planned for the few slots of a
-- booking, would probe the bookings once per slot (a million times).
BEGIN;
SET LOCAL enable_nestloop = off;
UPDATE slots s
   SET booked = coalesce(t.n, 0), held_back = c.held_back, next_release_at = c.next_release_at,
       confirmed_count = c.confirmed_count, confirmed_seq = (c.confirmed_count > 0)::integer
  FROM creneau_slot_counts(ARRAY(SELECT sl.id FROM slots sl
                                  WHERE sl.site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%'
                                                                              AND id % :parts = :part))) c
  LEFT JOIN (SELECT b.slot_id, count(*)::integer AS n FROM bookings b
              WHERE NOT b.released
                AND b.site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%' AND id % :parts = :part)
              GROUP BY b.slot_id) t ON t.slot_id = c.slot_id
 WHERE s.id = c.slot_id
   AND (s.booked, s.held_back, s.next_release_at, s.confirmed_count)
       IS DISTINCT FROM (coalesce(t.n, 0), c.held_back, c.next_release_at, c.confirmed_count);
COMMIT;
\endif

\if :do_vacuum
-- Before the indexes are built: the slots' old row versions are gone
-- without a pass over any index but the primary key (slots in part 0,
-- bookings in part 1 % parts).
\if :part_slots
VACUUM slots;
\endif
\if :part_bookings
VACUUM bookings;
\endif
\endif

\if :do_indexes
-- The unique and exclusion constraints and indexes, each built (and
-- checked) in a transaction of its own; each session takes the next one
-- that no other session has taken.
DO $$
DECLARE
    r record;
    q text;
BEGIN
    LOOP
        SELECT ord, restore INTO r FROM bench_load_ddl
         WHERE kind IN ('exclusion', 'unique', 'index') AND NOT done
         ORDER BY ord LIMIT 1 FOR UPDATE SKIP LOCKED;
        EXIT WHEN NOT FOUND;
        FOREACH q IN ARRAY r.restore LOOP
            EXECUTE q;
        END LOOP;
        UPDATE bench_load_ddl SET done = true WHERE ord = r.ord;
        COMMIT;
    END LOOP;
END
$$;
\endif

\if :do_keys
-- The foreign keys, each checked against every row as it is added.
DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT ord, restore FROM bench_load_ddl WHERE kind = 'fkey' AND NOT done ORDER BY ord LOOP
        EXECUTE r.restore[1];
        UPDATE bench_load_ddl SET done = true WHERE ord = r.ord;
        COMMIT;
    END LOOP;
END
$$;
\endif

\if :do_finish
BEGIN;
-- The booking_made counters of bookings_count_made, set-based, for the
-- bookings made in the current window (the older ones' windows have ended
-- and creneau-admin sweep deletes them).
INSERT INTO rate_limits (action, key, window_start, window_end)
SELECT 'booking_made', 'identity:' || encode(b.identity_key, 'hex'),
       date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00'),
       date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00') + r.window_size
  FROM bookings b
  JOIN rate_limit_rules r ON r.action = 'booking_made' AND r.scope = 'identity'
 WHERE b.site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%')
   AND b.created_at >= date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00')
ON CONFLICT (action, key, window_start) DO UPDATE SET hits = rate_limits.hits + 1;

DO $$
DECLARE
    r record;
BEGIN
    FOR r IN SELECT ord, restore FROM bench_load_ddl WHERE kind IN ('trigger', 'option') ORDER BY ord LOOP
        EXECUTE r.restore[1];
        UPDATE bench_load_ddl SET done = true WHERE ord = r.ord;
    END LOOP;
END
$$;

------------------------------------------------------------------------------
-- The invariants, over every slot and booking of the database: any
-- failure stops the load (and make bench). Hash joins (as in step counts).
SET LOCAL enable_nestloop = off;
DO $$
DECLARE
    v_n bigint;
    v_what text;
BEGIN
    SELECT count(*), string_agg(kind || ' ' || name, ', ') INTO v_n, v_what
      FROM bench_load_ddl WHERE NOT done;
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: not put back: %', v_what;
    END IF;
    SELECT count(*), string_agg(tgrelid::regclass || '.' || tgname, ', ') INTO v_n, v_what
      FROM pg_trigger
     WHERE tgrelid IN ('slots'::regclass, 'bookings'::regclass, 'slot_reservations'::regclass)
       AND NOT tgisinternal AND tgenabled = 'D';
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: triggers still disabled: %', v_what;
    END IF;

    -- 004: booked = the bookings not released.
    SELECT count(*) INTO v_n
      FROM slots s
      LEFT JOIN (SELECT b.slot_id, count(*) AS n FROM bookings b WHERE NOT b.released
                  GROUP BY b.slot_id) t ON t.slot_id = s.id
     WHERE s.booked <> coalesce(t.n, 0);
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: % slots whose booked is not their bookings not released', v_n;
    END IF;
    -- 021: the counts = the recount of the bookings and reservations.
    SELECT count(*) INTO v_n
      FROM slots s JOIN creneau_slot_counts(ARRAY(SELECT id FROM slots)) c ON c.slot_id = s.id
     WHERE (s.held_back, s.next_release_at, s.confirmed_count)
           IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: % slots whose held_back, next_release_at or confirmed_count is not the recount', v_n;
    END IF;
    -- bookings_count_made: one hit per booking made in the current window.
    SELECT count(*) INTO v_n
      FROM (SELECT 'identity:' || encode(b.identity_key, 'hex') AS key, count(*) AS n
              FROM bookings b JOIN rate_limit_rules r ON r.action = 'booking_made' AND r.scope = 'identity'
             WHERE b.created_at >= date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00')
             GROUP BY 1) t
      FULL JOIN (SELECT l.key, l.hits FROM rate_limits l
                   JOIN rate_limit_rules r ON r.action = 'booking_made' AND r.scope = 'identity'
                  WHERE l.action = 'booking_made' AND l.key LIKE 'identity:%'
                    AND l.window_start = date_bin(r.window_size, now(), timestamptz '2000-01-01 00:00+00')) l
        ON l.key = t.key
     WHERE t.n IS DISTINCT FROM l.hits;
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: % identities whose booking_made counter is not their bookings of the window', v_n;
    END IF;
    -- The triggers that had nothing to do: every bench pair first-come,
    -- no bench slot in a draw or published later than the sell-out
    -- window of its pair (slots_unpublished_draw, slots_draw_switch_new,
    -- slots_draw_switch_sellout), site_id that of the counter (the
    -- foreign key slots_counter_site_fk, slots_fill_site_id).
    SELECT count(*) INTO v_n
      FROM site_procedures sp JOIN sites s ON s.id = sp.site_id AND s.slug LIKE 'bench-site-%'
     WHERE creneau_allocation_mode(sp.site_id, sp.procedure_id) IS DISTINCT FROM 'open'
        OR creneau_next_mode(sp.site_id, sp.procedure_id) IS DISTINCT FROM 'open';
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: % bench pairs not first-come', v_n;
    END IF;
    SELECT count(*) INTO v_n
      FROM (SELECT sl.site_id, sl.procedure_id, max(sl.published_at) AS last
              FROM slots sl JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-site-%'
             GROUP BY 1, 2) p
      LEFT JOIN LATERAL (SELECT (creneau_draw_switch_setting(p.site_id, p.procedure_id)).sellout_minutes AS m) c ON true
     WHERE p.last IS NULL OR p.last > now()
        OR (c.m > 0 AND p.last >= now() - make_interval(mins => c.m));
    SELECT v_n + count(*) INTO v_n
      FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
      JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-site-%';
    IF v_n > 0 THEN
        RAISE EXCEPTION 'bench/prodsize.sql: bench slots unpublished, published later, in a draw or within a sell-out window (%)', v_n;
    END IF;
END
$$;
DROP TABLE bench_load_ddl;
COMMIT;

ANALYZE slots;
ANALYZE bookings;
ANALYZE slot_reservations;
ANALYZE rate_limits;

SELECT (SELECT count(*) FROM sites WHERE slug LIKE 'bench-site-%') AS sites,
       (SELECT count(*) FROM slots) AS slots,
       (SELECT count(*) FROM slots WHERE starts_at > now()) AS slots_ahead,
       (SELECT count(*) FROM bookings) AS bookings,
       (SELECT count(*) FROM bookings WHERE NOT released) AS places_taken,
       pg_size_pretty(pg_database_size(current_database())) AS size;
\endif
