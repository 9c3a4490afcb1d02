#!/bin/sh
# The draws of schema/code/draws.sql: the allocation mode per site, scheduling
# (seed and commitment), registration and its refusals, verification by
# code, the draw in one transaction (a failure midway leaves nothing),
# the order by HMAC-SHA256(seed, public id), offers passing down the order,
# and the abuse review (voiding with an audit entry). now() is fixed in the
# test's transaction: "later" is made by moving times into the past.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
INSERT INTO procedures (code, name, description, duration_minutes, allocation_mode)
VALUES ('test-drawp', 'Démarche au tirage', 'Pour les tests.', 30, 'draw');
INSERT INTO site_procedures (site_id, procedure_id)
VALUES (pg_temp.site('test-paris'), pg_temp.proc('test-drawp'));
-- 3 slots of capacity 1 in 5 days, published (the trigger unpublishes them).
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT pg_temp.counter('test-paris', 'B'), pg_temp.proc('test-drawp'),
       date_trunc('day', now()) + interval '5 days 09:00' + i * interval '30 minutes',
       date_trunc('day', now()) + interval '5 days 09:30' + i * interval '30 minutes', 1, now() - interval '1 hour'
  FROM generate_series(0, 2) i;
SELECT pg_temp.is((SELECT count(*)::int FROM creneau_bookable_slots(pg_temp.site('test-paris'), pg_temp.proc('test-drawp'))), 0,
                  'mode: slots of a draw procedure are not bookable');
SELECT pg_temp.is(creneau_allocation_mode(pg_temp.site('test-paris'), pg_temp.proc('test-proc')), 'open', 'mode: the procedure''s by default');
UPDATE site_procedures SET allocation_mode = 'draw' WHERE site_id = pg_temp.site('test-other') AND procedure_id = pg_temp.proc('test-proc');
SELECT pg_temp.is(creneau_allocation_mode(pg_temp.site('test-other'), pg_temp.proc('test-proc')), 'draw', 'mode: a site overrides it');
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
VALUES (pg_temp.counter('test-other', 'A'), pg_temp.proc('test-proc'), now() + interval '3 days', now() + interval '3 days 30 minutes', 1, now() - interval '1 hour');
SELECT pg_temp.is((SELECT count(*)::int FROM creneau_bookable_slots(pg_temp.site('test-other'), pg_temp.proc('test-proc'))), 0,
                  'mode: nothing bookable where the site draws');
SELECT pg_temp.is((SELECT count(*)::int FROM slots WHERE site_id = pg_temp.site('test-other') AND published_at IS NOT NULL), 0,
                  'mode: slots of an open procedure a site draws are never published');

-- Scheduling.
SELECT pg_temp.is((SELECT outcome FROM draw_schedule(NULL, pg_temp.site('test-paris'), pg_temp.proc('test-proc'),
                   now() - interval '1 hour', now() + interval '1 hour', now() + interval '2 hours', 24,
                   current_date, current_date + 10)), 'not_draw', 'schedule: refused for an open procedure');
CREATE TEMP TABLE dr AS SELECT * FROM draw_schedule(NULL, pg_temp.site('test-paris'), pg_temp.proc('test-drawp'),
                   now() - interval '1 hour', now() + interval '1 hour', now() + interval '2 hours', 24,
                   current_date, current_date + 10);
SELECT pg_temp.is((SELECT outcome FROM dr), 'scheduled', 'schedule: scheduled');
SELECT pg_temp.is((SELECT count(*)::int FROM draw_slots WHERE draw_id = (SELECT draw_id FROM dr)), 3, 'schedule: the 3 slots are in the batch');
SELECT pg_temp.ok((SELECT encode(sha256(seed), 'hex') FROM draw_seeds WHERE draw_id = (SELECT draw_id FROM dr)) = (SELECT commitment FROM dr),
                  'schedule: the commitment is the SHA-256 of the seed');
SELECT pg_temp.is((SELECT seed_hex FROM draw_public WHERE id = (SELECT draw_id FROM dr)), NULL, 'schedule: the seed is not public');

-- Registration.
CREATE FUNCTION pg_temp.reg(n integer, key text, surname text DEFAULT NULL) RETURNS TABLE (outcome text, entry_id bigint, public_id text)
LANGUAGE sql AS $$
    SELECT * FROM draw_register((SELECT draw_id FROM dr), creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                coalesce(surname, 'Nom' || chr(64 + n)), 'Prénom', DATE '1980-01-01' + n, NULL,
                                'p' || n || '@example.org', NULL, 'fr'), key, 'token-for-entry-number-' || n || '-xxxx' || CASE WHEN key = 'key-' || n THEN '' ELSE key END, '123456',
                                md5('net' || (n % 2)))
$$;
CREATE TEMP TABLE r AS SELECT n, (pg_temp.reg(n, 'key-' || n)).* FROM generate_series(1, 6) n;
SELECT pg_temp.is((SELECT count(*)::int FROM r WHERE outcome = 'registered'), 6, 'register: six people registered');
SELECT pg_temp.is((SELECT count(*)::int FROM outbox WHERE kind = 'draw_code' AND recipient LIKE 'p_@example.org'), 6, 'register: a code is sent to each');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.reg(1, 'key-1')), 'replayed', 'register: a replayed form is refused');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.reg(1, 'key-1b')), 'already_registered', 'register: a second registration is refused');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.reg(1, 'key-1c', 'NOMA')), 'already_registered', 'register: the same identity written otherwise too');

-- Verification.
SELECT pg_temp.is((SELECT outcome FROM draw_entry_confirm('token-for-entry-number-1-xxxx', '000000')), 'wrong_code', 'confirm: wrong code');
SELECT pg_temp.is((SELECT count(*)::int FROM r, LATERAL draw_entry_confirm('token-for-entry-number-' || r.n || '-xxxx', '123456') c
                    WHERE r.n <= 5 AND c.outcome = 'confirmed'), 5, 'confirm: five entries verified (the sixth is not)');
SELECT pg_temp.is((SELECT outcome FROM draw_entry_confirm('token-for-entry-number-1-xxxx', '123456')), 'already_confirmed', 'confirm: a reused entry link says so');

-- Abuse: void entry 5 (a supervisor of the site), refused to an agent.
INSERT INTO staff_accounts (email, name, role, password_hash) VALUES
    ('sup@test.example', 'Sup', 'supervisor', '$argon2id$x'), ('agt@test.example', 'Agt', 'agent', '$argon2id$x');
INSERT INTO staff_sites SELECT id, pg_temp.site('test-paris') FROM staff_accounts WHERE email IN ('sup@test.example', 'agt@test.example');
SELECT pg_temp.is((SELECT outcome FROM abuse_void_entry((SELECT id FROM staff_accounts WHERE email = 'agt@test.example'),
                   pg_temp.site('test-paris'), (SELECT public_id FROM r WHERE n = 5), 'x')), 'forbidden', 'abuse: an agent cannot void');
SELECT pg_temp.is((SELECT outcome FROM abuse_void_entry((SELECT id FROM staff_accounts WHERE email = 'sup@test.example'),
                   pg_temp.site('test-paris'), (SELECT public_id FROM r WHERE n = 5), 'test')), 'voided', 'abuse: a supervisor voids an entry');
SELECT pg_temp.is((SELECT count(*)::int FROM audit_log WHERE action = 'draw.entry_voided' AND object = (SELECT public_id FROM r WHERE n = 5)), 1,
                  'abuse: the voiding is in the audit log');
SELECT pg_temp.is((SELECT outcome FROM disposable_domain_set((SELECT id FROM staff_accounts WHERE email = 'sup@test.example'),
                   pg_temp.site('test-paris'), 'Example.ORG', true)), 'added', 'abuse: a domain is added to the list');
SELECT pg_temp.ok(EXISTS (SELECT 1 FROM abuse_flags WHERE site_id = pg_temp.site('test-paris') AND kind = 'disposable_email' AND subject = 'example.org'),
                  'abuse: entries of a listed domain are flagged');

-- The draw: too early, then a failure midway leaves nothing.
SELECT pg_temp.is((SELECT outcome FROM draw_run((SELECT draw_id FROM dr), NULL)), 'too_early', 'run: not before draw_at');
UPDATE draws SET registration_opens_at = now() - interval '3 hours', registration_closes_at = now() - interval '2 hours',
                 draw_at = now() - interval '1 hour' WHERE id = (SELECT draw_id FROM dr);
CREATE FUNCTION pg_temp.crash() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF (SELECT count(*) FROM bookings WHERE channel = 'draw') >= 2 THEN
        RAISE EXCEPTION 'simulated crash in the middle of the draw';
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER test_crash AFTER INSERT ON bookings FOR EACH ROW EXECUTE FUNCTION pg_temp.crash();
SELECT pg_temp.throws(format('SELECT * FROM draw_run(%s, NULL)', (SELECT draw_id FROM dr)), 'P0001', NULL, 'run: a crash midway raises');
SELECT pg_temp.is((SELECT status FROM draws WHERE id = (SELECT draw_id FROM dr)), 'scheduled', 'run: after the crash the draw is still scheduled');
SELECT pg_temp.is((SELECT count(*)::int FROM draw_entries WHERE draw_id = (SELECT draw_id FROM dr) AND (rank IS NOT NULL OR status NOT IN ('waiting', 'unverified', 'voided'))), 0,
                  'run: after the crash no entry is ranked or offered');
SELECT pg_temp.is((SELECT count(*)::int FROM bookings WHERE channel = 'draw'), 0, 'run: after the crash no offer exists');
DROP TRIGGER test_crash ON bookings;

CREATE TEMP TABLE run AS SELECT * FROM draw_run((SELECT draw_id FROM dr), NULL);
SELECT pg_temp.is((SELECT outcome || ' ' || offers || ' ' || entries FROM run), 'drawn 3 4', 'run: drawn, 4 entries ranked, 3 offers');
SELECT pg_temp.ok((SELECT seed_hex FROM draw_public WHERE id = (SELECT draw_id FROM dr))
                  = (SELECT encode(seed, 'hex') FROM draw_seeds WHERE draw_id = (SELECT draw_id FROM dr)), 'run: the seed is published');
SELECT pg_temp.ok((SELECT bool_and(e.order_key = encode(hmac(convert_to(e.public_id, 'UTF8'), s.seed, 'sha256'), 'hex'))
                     FROM draw_entries e JOIN draw_seeds s ON s.draw_id = e.draw_id WHERE e.rank IS NOT NULL),
                  'run: each key is HMAC-SHA256(seed, public id)');
SELECT pg_temp.is((SELECT array_agg(rank ORDER BY order_key) FROM draw_entries WHERE rank IS NOT NULL), '{1,2,3,4}'::int[],
                  'run: ranks follow the keys in ascending order');
SELECT pg_temp.is((SELECT array_agg(status ORDER BY rank) FROM draw_entries WHERE rank IS NOT NULL), '{offered,offered,offered,waiting}'::text[],
                  'run: the first three are offered, the fourth waits');
SELECT pg_temp.is((SELECT status FROM draw_entries WHERE public_id = (SELECT public_id FROM r WHERE n = 6)), 'expired', 'run: an unverified entry does not take part');
SELECT pg_temp.is((SELECT count(*)::int FROM bookings WHERE channel = 'draw' AND status = 'held' AND hold_expires_at = now() + interval '24 hours'), 3,
                  'run: offers are holds until the deadline');
SELECT pg_temp.is((SELECT count(*)::int FROM outbox WHERE kind = 'draw_offer'), 3, 'run: an offer message for each');
SELECT pg_temp.is((SELECT outcome FROM draw_run((SELECT draw_id FROM dr), NULL)), 'already_drawn', 'run: only once');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.reg(7, 'key-7')), 'closed', 'register: closed after the draw');

-- Offers pass down: rank 2's offer lapses; the place goes to rank 4.
UPDATE bookings SET hold_expires_at = now() - interval '1 minute'
 WHERE id = (SELECT booking_id FROM draw_entries WHERE rank = 2);
SELECT pg_temp.is(draw_sweep(), 1, 'sweep: one place passed down');
SELECT pg_temp.is((SELECT array_agg(status ORDER BY rank) FROM draw_entries WHERE rank IS NOT NULL), '{offered,lapsed,offered,offered}'::text[],
                  'sweep: rank 2 lapsed, rank 4 offered');
SELECT pg_temp.is((SELECT count(*)::int FROM creneau_bookable_slots(pg_temp.site('test-paris'), pg_temp.proc('test-drawp'))), 0,
                  'sweep: nothing went to open booking');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('dummy-token-that-leads-nowhere', '123456')), 'not_found', 'confirm: a booking token is needed');
SQL
