#!/bin/sh
# The booking functions of schema/code/booking.sql, one outcome at a time:
# hold (and its refusals), replay, confirm, cancel, reschedule, access,
# sweep, the read helpers, and the identity trigger. now() is fixed inside
# the test's transaction, so "later" is made by moving hold_expires_at and
# slot times into the past.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
-- Fixture: test-proc slots at test-paris/A (capacity 1 and 2), a slot of
-- another site, a procedure that requires AGDREF, unpublished slots.
INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref)
VALUES ('test-agdref', 'Démarche AGDREF', 'Pour les tests.', 30, true),
       ('test-draw', 'Démarche au tirage', 'Pour les tests.', 30, false);
UPDATE procedures SET allocation_mode = 'draw' WHERE code = 'test-draw';
INSERT INTO site_procedures (site_id, procedure_id)
VALUES (pg_temp.site('test-paris'), pg_temp.proc('test-agdref')),
       (pg_temp.site('test-paris'), pg_temp.proc('test-draw'));
INSERT INTO agdref_numbers (number) VALUES ('1234567890');

CREATE TEMP TABLE s (name text PRIMARY KEY, id bigint);
CREATE FUNCTION pg_temp.mkslot(n text, site text, counter text, proc text, starts interval,
                               cap integer, pub interval) RETURNS void LANGUAGE sql
AS $$
    WITH ins AS (
        INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
        VALUES (pg_temp.counter(site, counter), pg_temp.proc(proc),
                (date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + starts) AT TIME ZONE 'Europe/Paris',
                (date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + starts + interval '30 minutes') AT TIME ZONE 'Europe/Paris',
                cap, now() + pub)
        RETURNING id)
    INSERT INTO s SELECT n, id FROM ins
$$;
SELECT pg_temp.mkslot('one',   'test-paris', 'A', 'test-proc',   '2 days 09:00', 1, '-1 hour');
SELECT pg_temp.mkslot('two',   'test-paris', 'A', 'test-proc',   '2 days 10:00', 2, '-1 hour');
SELECT pg_temp.mkslot('three', 'test-paris', 'A', 'test-proc',   '3 days 10:00', 1, '-1 hour');
SELECT pg_temp.mkslot('later', 'test-paris', 'A', 'test-proc',   '9 days 10:00', 1, '2 days');
SELECT pg_temp.mkslot('unpub', 'test-paris', 'A', 'test-proc',   '9 days 11:00', 1, NULL);
SELECT pg_temp.mkslot('agd',   'test-paris', 'B', 'test-agdref', '2 days 09:00', 1, '-1 hour');
SELECT pg_temp.mkslot('draw',  'test-paris', 'B', 'test-draw',   '3 days 09:00', 1, '-1 hour');
SELECT pg_temp.mkslot('other', 'test-other', 'A', 'test-proc',   '2 days 09:00', 1, '-1 hour');
SELECT pg_temp.mkslot('past',  'test-paris', 'A', 'test-proc',   '-1 day',       1, '-3 days');
CREATE FUNCTION pg_temp.slot(n text) RETURNS bigint LANGUAGE sql STABLE
AS $$ SELECT id FROM s WHERE name = n $$;
CREATE FUNCTION pg_temp.booked(n text) RETURNS integer LANGUAGE sql STABLE
AS $$ SELECT booked FROM slots WHERE id = pg_temp.slot(n) $$;

-- booking_hold with the test secret, code 123456, a 10-minute hold, caps of
-- 2 per e-mail and per phone.
CREATE FUNCTION pg_temp.hold(slot text, surname text, given text, birth date, agdref text,
                             email text, phone text, key text, token text)
RETURNS TABLE (outcome text, booking_id bigint, reference text) LANGUAGE sql
AS $$
    SELECT * FROM booking_hold(pg_temp.slot(slot),
                               creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                                  surname, given, birth, agdref, email, phone, 'fr'),
                               key, token, '123456', interval '10 minutes', 2, 2)
$$;

SELECT pg_temp.ok(to_regclass('bookings') IS NOT NULL, 'the bookings table exists');

-- Normalisation and identity keys.
SELECT pg_temp.is(creneau_normalise_name('  Jean-Pierre   d’Arçy '), 'JEAN PIERRE D ARCY',
                  'names: accents, case, hyphens, apostrophes and spaces are folded');
SELECT pg_temp.is(creneau_normalise_name('ＭＵＬＬＥＲ'), 'MULLER', 'names: NFKC folds full-width letters');
SELECT pg_temp.is(creneau_normalise_name('محمد'), 'محمد', 'names: Arabic passes through');
SELECT pg_temp.is(creneau_normalise_phone('06 12 34 56 78'), '+33612345678', 'phone: French national form');
SELECT pg_temp.is(creneau_normalise_phone('+33 6 12 34 56 78'), '+33612345678', 'phone: international form');
SELECT pg_temp.is(creneau_normalise_phone('0033612345678'), '+33612345678', 'phone: 00 prefix');
SELECT pg_temp.is(creneau_identity_key('secret-secret-secret', NULL, 'Éloïse', 'Marie-Anne', '1990-01-02'),
                  creneau_identity_key('secret-secret-secret', '', 'ELOISE', 'marie anne', '1990-01-02'),
                  'identity key: the same person written two ways');
SELECT pg_temp.ok(creneau_identity_key('secret-secret-secret', NULL, 'Eloise', 'Marie', '1990-01-02')
                  <> creneau_identity_key('secret-secret-secret', NULL, 'Eloise', 'Marie', '1990-01-03'),
                  'identity key: another birth date is another person');
SELECT pg_temp.ok(creneau_identity_key('secret-secret-secret', '1234567890', 'A', 'B', '1990-01-02')
                  = creneau_identity_key('secret-secret-secret', '1234567890', 'C', 'D', '1991-01-02'),
                  'identity key: the AGDREF number alone when given');
SELECT pg_temp.ok(creneau_identity_key('secret-secret-secret', NULL, 'A', 'B', '1990-01-02')
                  <> creneau_identity_key('other-secret-secret', NULL, 'A', 'B', '1990-01-02'),
                  'identity key: depends on the secret');
SELECT pg_temp.is(length(creneau_identity_key('secret-secret-secret', NULL, 'A', 'B', '1990-01-02')), 32,
                  'identity key: 32 bytes');
SELECT pg_temp.ok((SELECT bool_and(r ~ '^[ACDEFGHJKLMNPQRTUVWXY34679]{8}$')
                     FROM (SELECT creneau_new_reference() AS r FROM generate_series(1, 500)) x),
                  'references: 8 characters of the unambiguous alphabet');
SELECT pg_temp.is((SELECT count(DISTINCT substr(r, i, 1))::integer
                     FROM (SELECT creneau_new_reference() AS r FROM generate_series(1, 500)) x,
                          generate_series(1, 8) AS i),
                  26, 'references: every character of the alphabet occurs');

-- Hold.
SELECT * FROM pg_temp.hold('one', 'Dupont', 'Marie', '1980-05-06', NULL, 'marie@example.org', NULL,
                           'key-1', 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1') \gset h1_
SELECT pg_temp.is(:'h1_outcome'::text, 'held', 'hold: held');
SELECT pg_temp.ok(:'h1_reference'::text ~ '^[ACDEFGHJKLMNPQRTUVWXY34679]{8}$', 'hold: returns the reference');
SELECT pg_temp.is(pg_temp.booked('one'), 1, 'hold: slots.booked + 1');
SELECT pg_temp.is((SELECT status || ' ' || (hold_expires_at = now() + interval '10 minutes')::text
                     FROM bookings WHERE id = :h1_booking_id), 'held true', 'hold: held for p_hold');
SELECT pg_temp.is(booking_by_token('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'), :h1_booking_id::bigint,
                  'hold: the token leads to the booking');
SELECT pg_temp.ok(NOT EXISTS (SELECT 1 FROM booking_tokens
                               WHERE token_hash = convert_to('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', 'UTF8')),
                  'hold: the token is not stored in clear');
SELECT pg_temp.is((SELECT string_agg(kind || ' ' || channel || ' ' || recipient || ' ' || idempotency_key, ',')
                     FROM outbox WHERE booking_id = :h1_booking_id),
                  'confirmation_code email marie@example.org code:' || :h1_booking_id || ':email',
                  'hold: one confirmation_code message, by e-mail only');
SELECT pg_temp.ok((SELECT payload->>'code' = '123456'
                          AND payload->>'token' = 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1'
                          AND payload->>'reference' = :'h1_reference'
                          AND payload->>'time_zone' = 'Europe/Paris'
                          AND payload->>'site_name' = 'Préfecture de test (Paris)'
                          AND payload->>'procedure_name' = 'Démarche de test'
                          AND payload->>'starts_local' = to_char(date_trunc('day', now() AT TIME ZONE 'Europe/Paris')
                                                                 + interval '2 days 09:00', 'YYYY-MM-DD HH24:MI')
                     FROM outbox WHERE booking_id = :h1_booking_id),
                  'hold: the message has the code, token, reference, site, procedure and local time');

-- Replay: with someone else's details, refused and nothing returned;
-- the same submission again, the same booking.
SELECT outcome || ' ' || coalesce(booking_id::text, '-') || ' ' || coalesce(reference, '-') AS res
  FROM pg_temp.hold('two', 'Autre', 'Personne', '1970-01-01', NULL, 'x@example.org', NULL,
                    'key-1', 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3') \gset o_
SELECT pg_temp.is(:'o_res'::text, 'token_used - -', 'replay: another person''s details with a used key get nothing');
SELECT pg_temp.is(booking_by_token('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa3'), NULL::bigint,
                  'replay: another person''s token leads nowhere');
SELECT * FROM pg_temp.hold('two', 'DUPONT', 'marie', '1980-05-06', NULL, 'Marie@example.org', NULL,
                           'key-1', 'token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2') \gset r_
SELECT pg_temp.is(:'r_outcome'::text || ' ' || :r_booking_id || ' ' || :'r_reference',
                  'replayed ' || :h1_booking_id || ' ' || :'h1_reference',
                  'replay: the same submission with the same idempotency key returns the same booking');
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings), 1, 'replay: no second booking');
SELECT pg_temp.is(pg_temp.booked('two'), 0, 'replay: no place taken');
SELECT pg_temp.is((SELECT count(*)::integer FROM outbox), 1, 'replay: no second message');
SELECT pg_temp.is(booking_by_token('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2'), :h1_booking_id::bigint,
                  'replay: the new token also leads to the booking');

-- Refusals.
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('two', 'Dupont', 'Marie', '1980-05-06', NULL, 'b@example.org', NULL, 'k2', 'token-bbbbbbbbbbbbbbbbbbbb')),
                  'identity_active', 'hold: the same identity twice for a procedure is refused');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('two', 'DUPONT ', 'marie', '1980-05-06', NULL, 'b@example.org', NULL, 'k2', 'token-bbbbbbbbbbbbbbbbbbbb')),
                  'identity_active', 'hold: also when the name is written differently');
SELECT pg_temp.is(pg_temp.booked('two'), 0, 'hold: a refused identity takes no place');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('other', 'Dupont', 'Marie', '1980-05-06', NULL, 'b@example.org', NULL, 'k2b', 'token-bbbbbbbbbbbbbbbbbbb2')),
                  'identity_active', 'hold: also at another site');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('two', 'Martin', 'Paul', '1980-05-06', NULL, NULL, '', 'k3', 'token-cccccccccccccccccccc')),
                  'contact_required', 'hold: no e-mail and no phone');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k4', 'token-dddddddddddddddddddd')),
                  'agdref_required', 'hold: AGDREF number required');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Martin', 'Paul', '1980-05-06', '1111111111', 'p@example.org', NULL, 'k4', 'token-dddddddddddddddddddd')),
                  'agdref_unknown', 'hold: unknown AGDREF number');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('one', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k5', 'token-eeeeeeeeeeeeeeeeeeee')),
                  'slot_unavailable', 'hold: a full slot');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('later', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k5', 'token-eeeeeeeeeeeeeeeeeeee')),
                  'slot_unavailable', 'hold: a slot published later');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('unpub', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k5', 'token-eeeeeeeeeeeeeeeeeeee')),
                  'slot_unavailable', 'hold: an unpublished slot');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('past', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k5', 'token-eeeeeeeeeeeeeeeeeeee')),
                  'slot_unavailable', 'hold: a past slot');
SELECT pg_temp.is((SELECT outcome FROM booking_hold(-1, creneau_person_sql('\x000102030405060708090a0b0c0d0e0f'::bytea, 'M', 'P', '1980-05-06', NULL,
                                                    'p@example.org', NULL, 'fr'), 'k5', 'token-eeeeeeeeeeeeeeeeeeee', '123456', '10 minutes', 2, 2)),
                  'slot_unavailable', 'hold: no such slot');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('draw', 'Martin', 'Paul', '1980-05-06', NULL, 'p@example.org', NULL, 'k5', 'token-eeeeeeeeeeeeeeeeeeee')),
                  'slot_unavailable', 'hold: a procedure allocated by draw is not booked directly');
SELECT pg_temp.is((SELECT count(*)::integer FROM bookings), 1, 'refusals create no booking');

-- AGDREF identity: the number, not the name.
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Martin', 'Paul', '1980-05-06', '1234567890', 'p@example.org', NULL, 'k6', 'token-ffffffffffffffffffff')),
                  'held', 'hold: a known AGDREF number');
SELECT pg_temp.is((SELECT agdref FROM bookings WHERE idempotency_key = 'k6'), '1234567890', 'hold: the number is kept');
SELECT pg_temp.is((SELECT identity_key FROM bookings WHERE idempotency_key = 'k6'),
                  creneau_identity_key('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                       '1234567890', NULL, NULL, NULL),
                  'hold: the identity key of an AGDREF procedure is the number');
SELECT pg_temp.is((SELECT agdref FROM bookings WHERE idempotency_key = 'key-1'), NULL, 'hold: no AGDREF number unless given');

-- Caps: 2 per e-mail (case-insensitive), 2 per phone (any notation).
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('two', 'Cap', 'Un', '1990-01-01', NULL, 'Cap@Example.org', '06 11 22 33 44', 'c1', 'token-cap1-xxxxxxxxxxxxxx')), 'held', 'caps: first booking of an e-mail');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('two', 'Cap', 'Deux', '1990-01-01', NULL, 'cap@example.org', NULL, 'c2', 'token-cap2-xxxxxxxxxxxxxx')), 'held', 'caps: second booking of an e-mail');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('three', 'Cap', 'Trois', '1990-01-01', NULL, 'CAP@example.ORG', NULL, 'c3', 'token-cap3-xxxxxxxxxxxxxx')), 'email_cap', 'caps: a third booking of the e-mail is refused');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('three', 'Cap', 'Quatre', '1990-01-01', NULL, 'c4@example.org', '+33611223344', 'c4', 'token-cap4-xxxxxxxxxxxxxx')), 'held', 'caps: second booking of a phone');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('other', 'Cap', 'Cinq', '1990-01-01', NULL, 'c5@example.org', '0033 6 11 22 33 44', 'c5', 'token-cap5-xxxxxxxxxxxxxx')), 'phone_cap', 'caps: a third booking of the phone is refused');
SELECT pg_temp.is((SELECT count(*)::integer FROM outbox WHERE channel = 'sms' AND recipient = '+33611223344'), 2,
                  'caps: SMS messages go to the normalised number');
SELECT pg_temp.is(pg_temp.booked('two'), 2, 'slot two is now full');
SELECT pg_temp.is(pg_temp.booked('three'), 1, 'slot three is now full');

-- Confirm.
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('no-such-token-xxxxxxxxxxxx', '123456')), 'not_found', 'confirm: unknown token');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', '654321')), 'wrong_code', 'confirm: wrong code');
SELECT pg_temp.is((SELECT confirm_attempts FROM bookings WHERE id = :h1_booking_id), 1, 'confirm: a wrong code counts');
SELECT pg_temp.is((SELECT outcome || ' ' || booking_id FROM booking_confirm('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2', '123456')),
                  'confirmed ' || :h1_booking_id, 'confirm: right code (through the replay token)');
SELECT pg_temp.is((SELECT status || ' ' || (confirmed_at IS NOT NULL)::text FROM bookings WHERE id = :h1_booking_id),
                  'confirmed true', 'confirm: status and time');
SELECT pg_temp.is((SELECT count(*)::integer FROM outbox WHERE booking_id = :h1_booking_id AND kind = 'booking_confirmed'), 1,
                  'confirm: a booking_confirmed message');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', '123456')), 'already_confirmed', 'confirm: twice');
SELECT pg_temp.is(pg_temp.booked('one'), 1, 'confirm: the place stays taken');

-- Five wrong codes release the hold.
CREATE FUNCTION pg_temp.confirm_times(token text, code text, n integer) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    outcomes text[] := '{}';
BEGIN
    FOR i IN 1 .. n LOOP
        outcomes := outcomes || (SELECT c.outcome FROM booking_confirm(token, code) c);
    END LOOP;
    RETURN array_to_string(outcomes, ' ');
END
$$;
SELECT pg_temp.is(pg_temp.confirm_times('token-cap4-xxxxxxxxxxxxxx', '000000', 6),
                  'wrong_code wrong_code wrong_code wrong_code too_many_attempts too_many_attempts',
                  'confirm: the fifth wrong code is too many, and stays so');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-cap4-xxxxxxxxxxxxxx', '123456')), 'too_many_attempts',
                  'confirm: even the right code after that');
SELECT pg_temp.is((SELECT status || ' ' || released::text || ' ' || (release_at > now())::text
                     FROM bookings WHERE idempotency_key = 'c4'), 'expired false true',
                  'confirm: the hold ends, its place kept until a random release time (017)');
SELECT pg_temp.is(pg_temp.booked('three'), 1, 'confirm: its place still counts until then');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'c4';
SELECT pg_temp.is((SELECT released FROM booking_sweep_slot(pg_temp.slot('three'))), 1,
                  'confirm: once its release time has come, the sweep releases it');
SELECT pg_temp.is(pg_temp.booked('three'), 0, 'confirm: its place is free again');

-- An expired hold.
UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE idempotency_key = 'c2';
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-cap2-xxxxxxxxxxxxxx', '123456')), 'expired', 'confirm: the hold ran out');
SELECT pg_temp.is((SELECT status FROM bookings WHERE idempotency_key = 'c2'), 'expired', 'confirm: marked expired');
SELECT pg_temp.is(pg_temp.booked('two'), 2, 'confirm: an expired hold keeps its place until its release time');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-cap2-xxxxxxxxxxxxxx', '123456')), 'expired', 'confirm: still expired');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'c2';

-- Sweep: an overdue hold expires with a random release time; a due
-- release gives its place back.
UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE idempotency_key = 'c1';
SELECT pg_temp.is((SELECT expired || '/' || released FROM booking_sweep()), '1/1', 'sweep: one expired hold, one due release');
SELECT pg_temp.is((SELECT status || ' ' || (release_at > now())::text FROM bookings WHERE idempotency_key = 'c1'),
                  'expired true', 'sweep: the hold is expired, its release time to come');
SELECT pg_temp.is(pg_temp.booked('two'), 1, 'sweep: its place still counts');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'c1';
SELECT pg_temp.is((SELECT expired || '/' || released FROM booking_sweep()), '0/1', 'sweep: its release time come, released');
SELECT pg_temp.is(pg_temp.booked('two'), 0, 'sweep: its place is free');
SELECT pg_temp.is((SELECT expired || '/' || released FROM booking_sweep()), '0/0', 'sweep: nothing left to do');

-- A hold past its end is no free place (017): not for the calendar, not
-- for the next hold of the slot, which sweeps it and finds its place kept
-- until a random release time; from that time on, it is free for both,
-- swept or not.
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('three', 'Sweep', 'Me', '1990-01-01', NULL, 'sw@example.org', NULL, 'sw1', 'token-sw1-xxxxxxxxxxxxxxx')), 'held', 'a hold');
UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE idempotency_key = 'sw1';
SELECT pg_temp.is((SELECT count(*)::integer FROM slot_times(pg_temp.site('test-paris'), pg_temp.proc('test-proc'),
                                               (now() AT TIME ZONE 'Europe/Paris')::date + 3)
                    WHERE slot_id = pg_temp.slot('three')), 0, 'slot_times does not count a hold past its end as free');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('three', 'Sweep', 'You', '1990-01-01', NULL, 'sw2@example.org', NULL, 'sw2', 'token-sw2-xxxxxxxxxxxxxxx')), 'slot_unavailable',
                  'hold: the hold past its end, swept, keeps its place until its release time');
SELECT pg_temp.is((SELECT status || ' ' || (release_at > now())::text FROM bookings WHERE idempotency_key = 'sw1'),
                  'expired true', 'hold: the old hold is expired, its release time to come');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'sw1';
SELECT pg_temp.is((SELECT free FROM slot_times(pg_temp.site('test-paris'), pg_temp.proc('test-proc'),
                                               (now() AT TIME ZONE 'Europe/Paris')::date + 3)
                    WHERE slot_id = pg_temp.slot('three')), 1, 'slot_times counts a place whose release time has come as free');
SELECT pg_temp.is((SELECT free FROM slot_times(pg_temp.site('test-paris'), pg_temp.proc('test-proc'),
                                               (now() AT TIME ZONE 'Europe/Paris')::date + 3)
                    WHERE slot_id = pg_temp.slot('three')),
                  (SELECT creneau_slot_free(s) FROM slots s WHERE s.id = pg_temp.slot('three')),
                  'the calendar and the rule (creneau_slot_free) agree');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('three', 'Sweep', 'You', '1990-01-01', NULL, 'sw2@example.org', NULL, 'sw2', 'token-sw2-xxxxxxxxxxxxxxx')), 'held',
                  'hold: then the next hold takes it');
SELECT pg_temp.is(pg_temp.booked('three'), 1, 'hold: one place taken');

-- Cancel: random release delay.
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('no-such-token-xxxxxxxxxxxx', '1 hour', '2 hours')), 'not_found', 'cancel: unknown token');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-ffffffffffffffffffff', '123456')), 'confirmed', 'the AGDREF booking is confirmed');
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('token-ffffffffffffffffffff', '1 hour', '2 hours')), 'cancelled', 'cancel: cancelled');
SELECT pg_temp.ok((SELECT status = 'cancelled' AND cancelled_at = now() AND NOT released
                          AND release_at BETWEEN now() + interval '1 hour' AND now() + interval '2 hours'
                     FROM bookings WHERE idempotency_key = 'k6'),
                  'cancel: the place returns between min and max from now');
SELECT pg_temp.is(pg_temp.booked('agd'), 1, 'cancel: the place still counts until then');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Buyer', 'X', '1990-01-01', '1234567890', 'buyer@example.org', NULL, 'buy', 'token-buyer-xxxxxxxxxxxxx')),
                  'slot_unavailable', 'cancel: so nobody can take it over right away');
SELECT pg_temp.is((SELECT count(*)::integer FROM outbox WHERE booking_id = (SELECT id FROM bookings WHERE idempotency_key = 'k6')
                      AND kind = 'booking_cancelled'), 1, 'cancel: a booking_cancelled message');
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('token-ffffffffffffffffffff', '1 hour', '2 hours')), 'already_cancelled', 'cancel: twice');
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-ffffffffffffffffffff', '123456')), 'cancelled', 'confirm: a cancelled booking');
SELECT pg_temp.ok((SELECT bool_and(release_at BETWEEN now() + interval '10 minutes' AND now() + interval '20 minutes')
                          AND max(release_at) - min(release_at) > interval '5 minutes'
                     FROM (SELECT now() + creneau_random_delay('10 minutes', '20 minutes') AS release_at
                             FROM generate_series(1, 200)) x),
                  'cancel: delays spread over the range');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'k6';
SELECT pg_temp.is((SELECT expired || '/' || released FROM booking_sweep()), '0/1', 'sweep: one release due');
SELECT pg_temp.is(pg_temp.booked('agd'), 0, 'sweep: the cancelled place is back');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Martin', 'Paul', '1980-05-06', '1234567890', 'p@example.org', NULL, 'k6b', 'token-ffffffffffffffffff2')),
                  'held', 'cancel: the identity may book again');
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('token-ffffffffffffffffff2', '1 hour', '2 hours')), 'cancelled', 'cancel: a hold');
SELECT pg_temp.is((SELECT released::text || ' ' || (release_at BETWEEN now() + interval '1 hour' AND now() + interval '2 hours')::text
                     FROM bookings WHERE idempotency_key = 'k6b'),
                  'false true', 'cancel: a hold keeps its place until a random release time, like a booking (017)');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('agd', 'Buyer', 'X', '1990-01-01', '1234567890', 'buyer@example.org', NULL, 'buy2', 'token-buyer2-xxxxxxxxxxxx')),
                  'slot_unavailable', 'cancel: so nobody can catch a cancelled hold');
UPDATE bookings SET release_at = now() WHERE idempotency_key = 'k6b';
SELECT pg_temp.is((SELECT released FROM booking_sweep_slot(pg_temp.slot('agd'))), 1, 'cancel: released at its time');
SELECT pg_temp.is(pg_temp.booked('agd'), 0, 'cancel: so the slot is free');
SELECT pg_temp.is((SELECT count(*)::integer FROM outbox WHERE booking_id = (SELECT id FROM bookings WHERE idempotency_key = 'k6b')
                      AND kind = 'booking_cancelled'), 0, 'cancel: no message for a hold');

-- Reschedule: booking 1 (confirmed, slot one) to slot two.
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('no-such-token-xxxxxxxxxxxx', pg_temp.slot('two'), '1 hour', '2 hours')), 'not_found', 'reschedule: unknown token');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-sw2-xxxxxxxxxxxxxxx', pg_temp.slot('two'), '1 hour', '2 hours')), 'not_confirmed', 'reschedule: a hold');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('one'), '1 hour', '2 hours')), 'same_slot', 'reschedule: the same slot');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('other'), '1 hour', '2 hours')), 'other_procedure', 'reschedule: another site');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('agd'), '1 hour', '2 hours')), 'other_procedure', 'reschedule: another procedure');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('later'), '1 hour', '2 hours')), 'slot_unavailable', 'reschedule: an unpublished slot');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('three'), '1 hour', '2 hours')), 'slot_unavailable', 'reschedule: a full slot');
SELECT pg_temp.is((SELECT status FROM bookings WHERE id = :h1_booking_id), 'confirmed', 'reschedule: a failed one leaves the booking as it was');
SELECT pg_temp.is(pg_temp.booked('one') || '/' || pg_temp.booked('three'), '1/1', 'reschedule: a failed one leaves the counters as they were');
SELECT * FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('two'), '1 hour', '2 hours') \gset rs_
SELECT pg_temp.is(:'rs_outcome'::text, 'rescheduled', 'reschedule: rescheduled');
SELECT pg_temp.ok((SELECT n.status = 'confirmed' AND n.slot_id = pg_temp.slot('two') AND n.rescheduled_from = o.id
                          AND n.identity_key = o.identity_key AND n.surname = o.surname AND n.birth_date = o.birth_date
                          AND n.email = o.email AND n.reference = o.reference AND n.idempotency_key IS NULL
                          AND NOT n.moved AND o.moved AND n.ics_sequence = o.ics_sequence + 1
                     FROM bookings n, bookings o WHERE n.id = :rs_booking_id AND o.id = :h1_booking_id),
                  'reschedule: the booking goes on at the new slot with the same reference (a move), SEQUENCE + 1; the old row is moved');
SELECT pg_temp.ok((SELECT status = 'cancelled' AND NOT released
                          AND release_at BETWEEN now() + interval '1 hour' AND now() + interval '2 hours'
                     FROM bookings WHERE id = :h1_booking_id),
                  'reschedule: the old booking is cancelled with the random release delay');
SELECT pg_temp.is(pg_temp.booked('one') || '/' || pg_temp.booked('two'), '1/1',
                  'reschedule: new place taken, old one counted until released');
SELECT pg_temp.is(booking_by_token('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1') || '/' || booking_by_token('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa2'),
                  :rs_booking_id || '/' || :rs_booking_id, 'reschedule: the old links lead to the new booking');
SELECT pg_temp.is((SELECT kind || ' ' || (payload->>'old_reference') FROM outbox WHERE booking_id = :rs_booking_id),
                  'booking_rescheduled ' || :'h1_reference', 'reschedule: a booking_rescheduled message');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('one'), '1 hour', '2 hours')),
                  'slot_unavailable', 'reschedule: the old place is not free to come back to yet');

-- Access by reference and birth date.
SELECT pg_temp.is((SELECT outcome || ' ' || booking_id FROM booking_access(lower(substr(:'h1_reference', 1, 4) || '-' || substr(:'h1_reference', 5)),
                                                                          '1980-05-06', 'token-access-xxxxxxxxxxxxx')),
                  'ok ' || :rs_booking_id, 'access: reference in any case with a hyphen; a rescheduled one leads to its successor');
SELECT pg_temp.ok((SELECT expires_at = now() + interval '24 hours' FROM booking_tokens
                    WHERE token_hash = sha256(convert_to('token-access-xxxxxxxxxxxxx', 'UTF8'))),
                  'access: the link lasts 24 hours');
SELECT pg_temp.is((SELECT outcome || ' ' || booking_id FROM booking_access((SELECT reference FROM bookings WHERE idempotency_key = 'sw2'),
                                                                          '1990-01-01', 'token-access2-xxxxxxxxxxxx')),
                  'ok ' || (SELECT id FROM bookings WHERE idempotency_key = 'sw2'), 'access: exact reference');
SELECT pg_temp.is((SELECT outcome || coalesce(booking_id::text, '-') FROM booking_access(:'h1_reference', '1980-05-07', 'token-access3-xxxxxxxxxxxx')),
                  'not_found-', 'access: wrong birth date');
SELECT pg_temp.is((SELECT outcome || coalesce(booking_id::text, '-') FROM booking_access('ACDEFGHJ', '1980-05-06', 'token-access3-xxxxxxxxxxxx')),
                  'not_found-', 'access: wrong reference');
SELECT pg_temp.is(booking_by_token('token-access3-xxxxxxxxxxxx'), NULL, 'access: a refused attempt stores no link');
UPDATE booking_tokens SET expires_at = now() - interval '1 second'
 WHERE token_hash = sha256(convert_to('token-access-xxxxxxxxxxxxx', 'UTF8'));
SELECT pg_temp.is((SELECT outcome FROM booking_confirm('token-access-xxxxxxxxxxxxx', '123456')), 'not_found', 'an expired link leads nowhere');

-- booking_details.
SELECT pg_temp.ok((SELECT d.reference = b.reference AND d.status = 'confirmed'
                          AND d.starts_local = to_char(date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + interval '2 days 10:00', 'YYYY-MM-DD HH24:MI')
                          AND d.ends_local = to_char(date_trunc('day', now() AT TIME ZONE 'Europe/Paris') + interval '2 days 10:30', 'YYYY-MM-DD HH24:MI')
                          AND d.site_slug = 'test-paris' AND d.site_city = 'Paris' AND d.site_postal_code = '75001'
                          AND d.time_zone = 'Europe/Paris' AND d.procedure_code = 'test-proc' AND d.documents = ''
                          AND d.surname = 'Dupont' AND d.lang = 'fr'
                     FROM booking_details d JOIN bookings b ON b.id = d.id WHERE d.id = :rs_booking_id),
                  'booking_details: local times and site fields');
SELECT pg_temp.is((SELECT count(*)::integer FROM booking_details), (SELECT count(*)::integer FROM bookings),
                  'booking_details: one row per booking');

-- Calendar helpers.
SELECT pg_temp.is((SELECT array_agg(free ORDER BY day) FROM slot_days(pg_temp.site('test-paris'), pg_temp.proc('test-proc'), 28)),
                  ARRAY[0 + 1]::integer[], 'slot_days: only days with free places (slot two: 2 - 1 taken)');
SELECT pg_temp.is((SELECT count(*)::integer FROM slot_days(pg_temp.site('test-paris'), pg_temp.proc('test-draw'), 28)), 0,
                  'slot_days: nothing for a draw procedure');
SELECT pg_temp.is(procedure_next_publication(pg_temp.site('test-paris'), pg_temp.proc('test-proc')), now() + interval '2 days',
                  'procedure_next_publication: the earliest future publication');
SELECT pg_temp.is(procedure_next_publication(pg_temp.site('test-other'), pg_temp.proc('test-proc')), NULL,
                  'procedure_next_publication: NULL when nothing is scheduled');

-- Completed bookings are no longer active: the person may book again.
UPDATE slots SET starts_at = now() - interval '2 hours', ends_at = now() - interval '90 minutes'
 WHERE id = pg_temp.slot('two');
SELECT pg_temp.is((SELECT outcome FROM booking_cancel('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', '0', '0')), 'too_late', 'cancel: too late once it started');
SELECT pg_temp.is((SELECT outcome FROM booking_reschedule('token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa1', pg_temp.slot('three'), '0', '0')), 'too_late', 'reschedule: too late once it started');
SELECT pg_temp.is((SELECT outcome FROM pg_temp.hold('other', 'Dupont', 'Marie', '1980-05-06', NULL, 'marie@example.org', NULL, 'again', 'token-again-xxxxxxxxxxxxx')),
                  'held', 'hold: a past confirmed booking does not block a new one');
SELECT pg_temp.is((SELECT status FROM bookings WHERE id = :rs_booking_id), 'completed', 'hold: the past booking is completed');

-- Identity fields never change.
SELECT pg_temp.throws($$UPDATE bookings SET surname = 'Autre' WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: surname cannot change');
SELECT pg_temp.throws($$UPDATE bookings SET birth_date = '2000-01-01' WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: birth date cannot change');
SELECT pg_temp.throws($$UPDATE bookings SET identity_key = sha256('x') WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: identity key cannot change');
SELECT pg_temp.throws($$UPDATE bookings SET slot_id = pg_temp.slot('three') WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: slot cannot change');
SELECT pg_temp.throws($$UPDATE bookings SET reference = 'AAAAAAAA' WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: reference cannot change');
SELECT pg_temp.throws($$UPDATE bookings SET agdref = '1234567890' WHERE idempotency_key = 'again'$$,
                      '23001', 'bookings_identity_immutable', 'identity: AGDREF cannot change');
SELECT pg_temp.lives($$UPDATE bookings SET email = 'new@example.org' WHERE idempotency_key = 'again'$$,
                     'identity: the contact may change');

-- Table constraints.
SELECT pg_temp.throws($$UPDATE bookings SET status = 'held', hold_expires_at = NULL WHERE idempotency_key = 'again'$$,
                      '23514', 'bookings_held_expires', 'a hold has an end');
SELECT pg_temp.throws($$UPDATE bookings SET email = NULL, phone = NULL WHERE idempotency_key = 'again'$$,
                      '23514', 'bookings_contact_required', 'a booking keeps a contact');
SELECT pg_temp.throws($$UPDATE bookings SET released = true WHERE idempotency_key = 'again'$$,
                      '23514', 'bookings_released_state', 'an active booking is never released');

-- The counter invariant over everything above.
SELECT pg_temp.is((SELECT count(*)::integer FROM slots s
                    WHERE s.booked <> (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released)),
                  0, 'every slot: booked = bookings not released');
SQL
