-- t/sql/tap.sql: TAP helpers for the SQL-level tests, created in pg_temp
-- inside the test's transaction (which is rolled back). Each returns one
-- TAP line, plus "# " diagnostic lines on failure.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;
SET TimeZone = 'UTC';
BEGIN;

CREATE TEMP SEQUENCE tap_n;

-- ok(condition, description): "ok N - description" when condition is true.
CREATE FUNCTION pg_temp.ok(cond boolean, descr text) RETURNS text
LANGUAGE sql AS $$
    SELECT CASE WHEN coalesce(cond, false) THEN 'ok ' ELSE 'not ok ' END
           || nextval('tap_n') || ' - ' || descr
$$;

-- is(got, want, description): ok when got IS NOT DISTINCT FROM want.
CREATE FUNCTION pg_temp.is(got anyelement, want anyelement, descr text) RETURNS text
LANGUAGE sql AS $$
    SELECT pg_temp.ok(got IS NOT DISTINCT FROM want, descr)
           || CASE WHEN got IS NOT DISTINCT FROM want THEN ''
                   ELSE E'\n#   got:  ' || coalesce(got::text, 'NULL')
                     || E'\n#   want: ' || coalesce(want::text, 'NULL') END
$$;

-- throws(statement, sqlstate, constraint or NULL, description): ok when
-- the statement fails with that SQLSTATE (and constraint name, if given).
-- The statement runs in a subtransaction, so a failure leaves no trace.
CREATE FUNCTION pg_temp.throws(q text, state text, cons text, descr text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    got_state text;
    got_cons  text;
    got_msg   text;
BEGIN
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS got_state = RETURNED_SQLSTATE,
                                got_cons = CONSTRAINT_NAME,
                                got_msg = MESSAGE_TEXT;
        IF got_state = state AND (cons IS NULL OR got_cons = cons) THEN
            RETURN pg_temp.ok(true, descr);
        END IF;
        RETURN pg_temp.ok(false, descr)
            || E'\n#   expected SQLSTATE ' || state || coalesce(' on ' || cons, '')
            || E'\n#   got ' || got_state || coalesce(' on ' || nullif(got_cons, ''), '')
            || ': ' || got_msg;
    END;
    RETURN pg_temp.ok(false, descr)
        || E'\n#   expected SQLSTATE ' || state || coalesce(' on ' || cons, '')
        || ', but the statement succeeded';
END
$$;

-- lives(statement, description): ok when the statement succeeds (its
-- effects are kept).
CREATE FUNCTION pg_temp.lives(q text, descr text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    got_state text;
    got_msg   text;
BEGIN
    BEGIN
        EXECUTE q;
    EXCEPTION WHEN OTHERS THEN
        GET STACKED DIAGNOSTICS got_state = RETURNED_SQLSTATE, got_msg = MESSAGE_TEXT;
        RETURN pg_temp.ok(false, descr) || E'\n#   failed: ' || got_state || ': ' || got_msg;
    END;
    RETURN pg_temp.ok(true, descr);
END
$$;

-- Test fixture: three sites that exist only in this transaction.
-- test-paris (Europe/Paris, dept 75), test-cayenne (America/Cayenne, 973),
-- test-other (Europe/Paris, 94); procedure test-proc (30 min) offered at
-- all three; test-unoffered offered nowhere; counters 'A' and 'B' at each.
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, phone, time_zone, alternative_route)
VALUES ('test-paris', 'Préfecture de test (Paris)', 'prefecture', '75', 'Paris',
        '1, rue de Test', '75001', 'Paris', '01 23 45 67 89', 'Europe/Paris', 'Appelez-nous.'),
       ('test-cayenne', 'Préfecture de test (Cayenne)', 'prefecture', '973', 'Guyane',
        '1, rue de Test', '97300', 'Cayenne', NULL, 'America/Cayenne', 'Appelez-nous.'),
       ('test-other', 'Sous-préfecture de test', 'sous-prefecture', '94', 'Val-de-Marne',
        '1, rue de Test', '94000', 'Créteil', NULL, 'Europe/Paris', 'Appelez-nous.');
INSERT INTO procedures (code, name, description, duration_minutes)
VALUES ('test-proc', 'Démarche de test', 'Pour les tests.', 30),
       ('test-unoffered', 'Démarche non proposée', 'Pour les tests.', 30);
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p
 WHERE s.slug LIKE 'test-%' AND p.code = 'test-proc';
INSERT INTO counters (site_id, name)
SELECT s.id, v.name FROM sites s, (VALUES ('A'), ('B')) AS v (name)
 WHERE s.slug LIKE 'test-%';

-- Fixture look-ups: site id by slug, counter id by site slug and name,
-- the test procedure's id.
CREATE FUNCTION pg_temp.site(slug text) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT id FROM sites WHERE sites.slug = site.slug $$;
CREATE FUNCTION pg_temp.counter(slug text, name text) RETURNS bigint
LANGUAGE sql STABLE AS $$
    SELECT c.id FROM counters c JOIN sites s ON s.id = c.site_id
     WHERE s.slug = counter.slug AND c.name = counter.name
$$;
CREATE FUNCTION pg_temp.proc(code text) RETURNS bigint
LANGUAGE sql STABLE AS $$ SELECT id FROM procedures WHERE procedures.code = proc.code $$;

-- The free places of a slot recounted from its bookings, row by row, for
-- the tests of schema/021 (available_slots.t, slot_counts.t):
-- slot_counts(slot) is what the slot holds, slot_recount(slot) what its
-- bookings and reservations say, both as text '(booked,held_back,
-- next_release_at,confirmed_count)'; recount_free(slot, channel) is the
-- rule of 017 (capacity - bookings occupying a place - unused places
-- reserved for the other channels until 48 hours before) from the
-- bookings. Bodies checked at first use (a schema without 021 still runs
-- the other tests).
SET check_function_bodies = off;
CREATE FUNCTION pg_temp.slot_counts(p_slot bigint) RETURNS text LANGUAGE sql STABLE
AS $$ SELECT row(s.booked, s.held_back, s.next_release_at, s.confirmed_count)::text FROM slots s WHERE s.id = p_slot $$;
CREATE FUNCTION pg_temp.slot_recount(p_slot bigint) RETURNS text LANGUAGE sql STABLE
AS $$
    SELECT row((SELECT count(*) FROM bookings b WHERE b.slot_id = p_slot AND NOT b.released)::integer,
               coalesce((SELECT sum(greatest(0, r.places - (SELECT count(*) FROM bookings b
                                   WHERE b.slot_id = p_slot AND b.channel = r.channel AND NOT b.released)))
                           FROM slot_reservations r WHERE r.slot_id = p_slot), 0)::integer,
               (SELECT min(b.release_at) FROM bookings b WHERE b.slot_id = p_slot AND NOT b.released),
               (SELECT count(*) FROM bookings b WHERE b.slot_id = p_slot AND b.status = 'confirmed')::integer)::text
$$;
CREATE FUNCTION pg_temp.occupying(p_slot bigint, p_channel text) RETURNS integer LANGUAGE sql STABLE
AS $$ SELECT count(*)::integer FROM bookings b
       WHERE b.slot_id = p_slot AND (p_channel IS NULL OR b.channel = p_channel)
         AND NOT b.released AND (b.release_at IS NULL OR b.release_at > now()) $$;
CREATE FUNCTION pg_temp.recount_free(p_slot bigint, p_channel text) RETURNS integer LANGUAGE sql STABLE
AS $$ SELECT s.capacity - pg_temp.occupying(s.id, NULL)
             - CASE WHEN s.starts_at <= now() + interval '48 hours' THEN 0
                    ELSE coalesce((SELECT sum(greatest(0, r.places - pg_temp.occupying(s.id, r.channel)))
                                     FROM slot_reservations r
                                    WHERE r.slot_id = s.id AND r.channel <> p_channel), 0)::integer END
        FROM slots s WHERE s.id = p_slot $$;
RESET check_function_bodies;
