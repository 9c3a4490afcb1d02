-- 016_booking_path.sql: one path for a booking (issues 10 and 11).
--
-- Before, the steps of a booking (the AGDREF check, the caps per e-mail
-- and per phone under advisory locks, the identity key, the reference
-- retry loop) were pasted into booking_hold, creneau_staff_booking,
-- draw_allocate and booking_reschedule, and the identity and the caps
-- compared text normalised in SQL ("Dupont." and "Dupont" were two
-- people, "x+1@gmail.com" and "x@gmail.com" two addresses, "+330612…"
-- and "0612…" two phones). Now:
--
--   * the person comes from the pages as one jsonb value (creneau_person
--     below), built by fcgi/common/identity.c from the canonical forms of
--     fcgi/common/canon.h: the identity keys (name and birth date; AGDREF
--     number) and the contact keys are keyed digests (HMAC with the site
--     secret) computed there; SQL compares keys, never raw text. What the
--     person typed is kept for display; SMS go to the E.164 number;
--   * creneau_booking_insert() is the only INSERT INTO bookings: caps under
--     advisory locks, ended bookings of the identity completed, the
--     reference retry loop, slots.booked + 1; every channel calls it;
--   * creneau_agdref_outcome() is the only AGDREF check;
--   * advisory-lock keys are named (creneau_lock_key), outcomes are listed
--     in one table (creneau_outcomes);
--   * a form token replayed with another person's details is refused
--     (token_used) instead of leading to the first person's booking: the
--     idempotency key is bound to a digest of the submission's identity
--     and contact (submission_key).
--
-- Whether a place is bookable is not decided here: the callers keep
-- calling creneau_slot_channel_free() and friends.
--
-- Rows written before this migration have no contact keys: they no longer
-- count in the caps (the caps are a brake; they last as long as those
-- bookings are active). Their identity keys came from SQL normalisation
-- and differ from the new ones: an identity with an active booking from
-- before may book once more after the upgrade.

------------------------------------------------------------------------------
-- 1. Named constants.

-- The advisory-lock class of each kind of lock (the first argument of
-- pg_advisory_xact_lock(int, int)); the second is hashtext() of the key.
CREATE FUNCTION creneau_lock_key(p_name text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN CASE p_name
        WHEN 'idempotency'      THEN 3001   -- a form's idempotency key
        WHEN 'email_cap'        THEN 3002   -- the cap of an e-mail key
        WHEN 'phone_cap'        THEN 3003   -- the cap of a phone key
        WHEN 'mediator_quota'   THEN 3010   -- an organisation's monthly quota
        WHEN 'outbox_recipient' THEN 3101   -- creneau-notify, per recipient
        WHEN 'alert_subscribe'  THEN 3102   -- an alert form's key
        WHEN 'alert_contact'    THEN 3103   -- an alert's contact
        WHEN 'slot_generation'  THEN 3201   -- calendar_generate per site
        WHEN 'draw_queue'       THEN 3301   -- draw allocation per site and procedure
        WHEN 'hold_live'        THEN 3401   -- live holds of a contact or address (017)
        END;
END
$$;
COMMENT ON FUNCTION creneau_lock_key(text) IS
    'The advisory-lock class of a named lock (idempotency, email_cap, phone_cap, mediator_quota, outbox_recipient, alert_subscribe, alert_contact, slot_generation, draw_queue, hold_live).';

-- Takes the transaction-scoped advisory lock p_name on p_key.
CREATE FUNCTION creneau_lock(p_name text, p_key text) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF creneau_lock_key(p_name) IS NULL THEN
        RAISE EXCEPTION 'creneau_lock: no lock named %', p_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(creneau_lock_key(p_name), hashtext(p_key));
END
$$;

-- The outcomes of the booking functions, declared once: what each word
-- means. The pages map them to messages (fcgi/common/identity.c, page_*.c).
CREATE TABLE creneau_outcomes (
    outcome text PRIMARY KEY CHECK (outcome ~ '^[a-z_]+$'),
    meaning text NOT NULL
);
COMMENT ON TABLE creneau_outcomes IS
    'The outcome words of the booking functions (booking_hold, creneau_staff_booking, mediator_book, court_book, draw_register, creneau_booking_insert) and what each means.';
INSERT INTO creneau_outcomes (outcome, meaning) VALUES
    ('held',              'booking_hold: the place is held until the code is typed'),
    ('booked',            'creneau_staff_booking, mediator_book: a confirmed booking was made'),
    ('fulfilled',         'court_book: the injunction''s booking was made'),
    ('already_fulfilled', 'court_book: the injunction has its booking already'),
    ('inserted',          'creneau_booking_insert: the booking row exists'),
    ('registered',        'draw_register: the entry exists, unverified'),
    ('replayed',          'the same submission was sent again: the earlier result'),
    ('token_used',        'the form token was used by a different submission: refused, nothing shown'),
    ('contact_required',  'neither e-mail nor phone'),
    ('agdref_required',   'the procedure needs an AGDREF number and none was given'),
    ('agdref_unknown',    'the AGDREF number is not in agdref_numbers'),
    ('slot_unavailable',  'the place cannot be booked on this channel now'),
    ('email_cap',         'the e-mail key has the most active bookings allowed'),
    ('phone_cap',         'the phone key has the most active bookings allowed'),
    ('identity_active',   'the identity has an active booking for the procedure'),
    ('quota_reached',     'mediator_book: the organisation''s monthly quota is used'),
    ('forbidden',         'the account may not do this'),
    ('not_found',         'no such object'),
    ('other_procedure',   'the slot is of another site or procedure'),
    ('closed',            'draw_register: outside the registration window'),
    ('already_registered','draw_register: the identity has an entry in this draw'),
    ('already_entered',   'draw_register: the identity has an active entry in another draw');

------------------------------------------------------------------------------
-- 2. The person, as the pages send it.
--
-- p_person is a jsonb object built by fcgi/common/identity.c:
--   surname, given_names, birth_date (YYYY-MM-DD), agdref, email, phone,
--   lang                      as typed (shown back, printed);
--   phone_e164                the canonical number SMS go to;
--   name_key                  hex HMAC of the canonical name and birth date;
--   agdref_key                hex HMAC of the AGDREF number (when given);
--   email_key, phone_key      hex keyed digests of the canonical contacts.
-- Missing members and empty strings are NULL.

CREATE FUNCTION creneau_person_text(p_person jsonb, p_member text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT nullif(btrim(p_person ->> p_member), '')
$$;

CREATE FUNCTION creneau_person_bytes(p_person jsonb, p_member text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT decode(nullif(p_person ->> p_member, ''), 'hex')
$$;

-- The identity key for a procedure: the AGDREF key where the procedure
-- requires the number, the name key otherwise (so an optional number
-- cannot dodge the one-booking rule).
CREATE FUNCTION creneau_person_identity(p_person jsonb, p_requires_agdref boolean) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT creneau_person_bytes(p_person,
               CASE WHEN p_requires_agdref THEN 'agdref_key' ELSE 'name_key' END)
$$;

-- What binds a form's idempotency key to one submission: a digest of its
-- identity and contact keys (already keyed digests).
CREATE FUNCTION creneau_submission_key(p_identity bytea, p_person jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT sha256(coalesce(p_identity, '\x'::bytea)
                  || '\x7c'::bytea || coalesce(creneau_person_bytes(p_person, 'email_key'), '\x'::bytea)
                  || '\x7c'::bytea || coalesce(creneau_person_bytes(p_person, 'phone_key'), '\x'::bytea))
$$;

-- The person built in SQL, for the SQL tests and operators' scripts that
-- call the booking functions directly: keys from 004's SQL normalisation
-- (creneau_identity_key, lower-case e-mail, creneau_normalise_phone) under
-- p_secret. The pages never use it: fcgi/common/identity.c builds the person
-- from the canonical forms (ICU, libphonenumber), which SQL does not have.
CREATE FUNCTION creneau_person_sql(p_secret bytea, p_surname text, p_given_names text,
                                   p_birth_date date, p_agdref text, p_email text,
                                   p_phone text, p_lang text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'surname', p_surname, 'given_names', p_given_names,
        'birth_date', to_char(p_birth_date, 'YYYY-MM-DD'), 'agdref', p_agdref,
        'email', nullif(btrim(p_email), ''), 'phone', nullif(btrim(p_phone), ''),
        'lang', p_lang,
        'phone_e164', CASE WHEN creneau_normalise_phone(nullif(btrim(p_phone), '')) ~ '^\+[1-9][0-9]{5,14}$'
                           THEN creneau_normalise_phone(nullif(btrim(p_phone), '')) END,
        'name_key', encode(creneau_identity_key(p_secret, NULL, p_surname, p_given_names,
                                                p_birth_date), 'hex'),
        'agdref_key', CASE WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NOT NULL
                           THEN encode(creneau_identity_key(p_secret, p_agdref, p_surname,
                                                            p_given_names, p_birth_date), 'hex') END,
        'email_key', encode(substr(hmac(convert_to('email:' || lower(nullif(btrim(p_email), '')), 'UTF8'),
                                        p_secret, 'sha256'), 1, 16), 'hex'),
        'phone_key', encode(substr(hmac(convert_to('phone:' || creneau_normalise_phone(nullif(btrim(p_phone), '')), 'UTF8'),
                                        p_secret, 'sha256'), 1, 16), 'hex')))
$$;
COMMENT ON FUNCTION creneau_person_sql(bytea, text, text, date, text, text, text, text) IS
    'The p_person of the booking functions built with SQL normalisation, for tests and scripts; the pages use fcgi/common/identity.c.';

------------------------------------------------------------------------------
-- 3. Key columns.
ALTER TABLE bookings
    ADD COLUMN email_key bytea CONSTRAINT bookings_email_key_length CHECK (length(email_key) = 16),
    ADD COLUMN phone_key bytea CONSTRAINT bookings_phone_key_length CHECK (length(phone_key) = 16),
    ADD COLUMN phone_e164 text CONSTRAINT bookings_phone_e164_format CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,14}$'),
    ADD COLUMN submission_key bytea CONSTRAINT bookings_submission_key_length CHECK (length(submission_key) = 32);
COMMENT ON COLUMN bookings.email_key IS
    'Keyed digest of the canonical e-mail address (fcgi/common/identity.c): the cap per e-mail compares these.';
COMMENT ON COLUMN bookings.phone_key IS
    'Keyed digest of the E.164 phone number (fcgi/common/identity.c): the cap per phone compares these.';
COMMENT ON COLUMN bookings.phone_e164 IS
    'The phone number in E.164 form, where SMS go (phone is kept as typed).';
COMMENT ON COLUMN bookings.submission_key IS
    'creneau_submission_key(): a replay of the form token is answered only for the same identity and contact.';
CREATE INDEX bookings_active_email_key_idx ON bookings (email_key)
    WHERE status IN ('held', 'confirmed') AND email_key IS NOT NULL;
CREATE INDEX bookings_active_phone_key_idx ON bookings (phone_key)
    WHERE status IN ('held', 'confirmed') AND phone_key IS NOT NULL;

ALTER TABLE draw_entries
    ADD COLUMN email_key bytea CONSTRAINT draw_entries_email_key_length CHECK (length(email_key) = 16),
    ADD COLUMN phone_key bytea CONSTRAINT draw_entries_phone_key_length CHECK (length(phone_key) = 16),
    ADD COLUMN phone_e164 text CONSTRAINT draw_entries_phone_e164_format CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,14}$');
CREATE INDEX draw_entries_email_key_idx ON draw_entries (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX draw_entries_phone_key_idx ON draw_entries (phone_key) WHERE phone_key IS NOT NULL;

-- Messages go to the E.164 number when known.
CREATE OR REPLACE FUNCTION creneau_outbox_add(p_kind text, p_key text, p_booking_id bigint, p_extra jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key, booking_id)
    SELECT p_kind, c.channel, c.recipient, b.lang,
           creneau_booking_payload(b.id) || coalesce(p_extra, '{}'::jsonb),
           p_key || ':' || b.id || ':' || c.channel, b.id
      FROM bookings b
     CROSS JOIN LATERAL (VALUES ('email', btrim(b.email)),
                                ('sms', coalesce(b.phone_e164, creneau_normalise_phone(b.phone))))
                        AS c (channel, recipient)
     WHERE b.id = p_booking_id AND c.recipient IS NOT NULL
    ON CONFLICT (idempotency_key) DO NOTHING
$$;

CREATE OR REPLACE FUNCTION creneau_draw_outbox_add(p_kind text, p_entry_id bigint, p_extra jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key)
    SELECT p_kind, c.channel, c.recipient, e.lang,
           creneau_draw_entry_payload(e.id) || coalesce(p_extra, '{}'::jsonb),
           p_kind || ':' || e.id || ':' || c.channel
      FROM draw_entries e
     CROSS JOIN LATERAL (VALUES ('email', btrim(e.email)),
                                ('sms', coalesce(e.phone_e164, creneau_normalise_phone(e.phone))))
                        AS c (channel, recipient)
     WHERE e.id = p_entry_id AND c.recipient IS NOT NULL
    ON CONFLICT (idempotency_key) DO NOTHING
$$;

------------------------------------------------------------------------------
-- 3b. A slot about to be booked: its row locked, its overdue holds and
-- releases swept (017), and read again; NULL when there is no such slot.
-- Every function that books a place starts here.
CREATE FUNCTION creneau_slot_for_booking(p_slot_id bigint) RETURNS slots
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v slots;
BEGIN
    PERFORM 1 FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM booking_sweep_slot(p_slot_id);
    SELECT s.* INTO v FROM slots s WHERE s.id = p_slot_id;
    RETURN v;
END
$$;

------------------------------------------------------------------------------
-- 4. The AGDREF check: NULL when the procedure does not need a number or
-- the number is known, else agdref_required or agdref_unknown.
CREATE FUNCTION creneau_agdref_outcome(p_requires boolean, p_agdref text) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE
           WHEN NOT coalesce(p_requires, false) THEN NULL
           WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NULL
                THEN 'agdref_required'
           WHEN NOT EXISTS (SELECT 1 FROM agdref_numbers a
                             WHERE a.number = regexp_replace(p_agdref, '[^0-9]', '', 'g'))
                THEN 'agdref_unknown'
           END
$$;

------------------------------------------------------------------------------
-- 5. The one INSERT INTO bookings.
--
-- p_new carries every column the caller sets (slot_id, site_id,
-- procedure_id, identity_key, the person's fields and keys, lang, channel,
-- status, hold_expires_at, code_hash, confirm_attempts, confirmed_at,
-- idempotency_key, submission_key, rescheduled_from, network_digest);
-- the reference is drawn here. The caller holds the slot's row lock and
-- has decided the place is bookable. In order (the lock order of 004):
--   email_cap, phone_cap  p_max_per_email / p_max_per_phone active future
--                         bookings have this contact key (NULL: no cap),
--                         counted under an advisory lock on the key;
--   (the identity's confirmed bookings of the procedure whose appointment
--   has ended become completed, so they no longer block)
--   identity_active       the identity has an active booking for the
--                         procedure (the partial unique index);
--   inserted              done: slots.booked + 1.
CREATE FUNCTION creneau_booking_insert(p_new bookings, p_max_per_email integer,
                                       p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n    integer;
    v_id   bigint;
    v_ref  text;
    v_cons text;
BEGIN
    IF p_new.email_key IS NOT NULL AND p_max_per_email IS NOT NULL THEN
        PERFORM creneau_lock('email_cap', encode(p_new.email_key, 'hex'));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.email_key = p_new.email_key AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_email THEN
            RETURN QUERY SELECT 'email_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;
    IF p_new.phone_key IS NOT NULL AND p_max_per_phone IS NOT NULL THEN
        PERFORM creneau_lock('phone_cap', encode(p_new.phone_key, 'hex'));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.phone_key = p_new.phone_key AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_phone THEN
            RETURN QUERY SELECT 'phone_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;

    UPDATE bookings b SET status = 'completed'
      FROM slots s
     WHERE s.id = b.slot_id AND b.identity_key = p_new.identity_key
       AND b.procedure_id = p_new.procedure_id
       AND b.status = 'confirmed' AND s.ends_at <= now();

    LOOP
        BEGIN
            v_ref := creneau_new_reference();
            INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key,
                                  surname, given_names, birth_date, agdref, email, phone,
                                  email_key, phone_key, phone_e164, lang, channel, status,
                                  hold_expires_at, code_hash, confirm_attempts, confirmed_at,
                                  idempotency_key, submission_key, rescheduled_from,
                                  network_digest)
            VALUES (v_ref, p_new.slot_id, p_new.site_id, p_new.procedure_id, p_new.identity_key,
                    btrim(p_new.surname), btrim(coalesce(p_new.given_names, '')),
                    p_new.birth_date, p_new.agdref, p_new.email, p_new.phone,
                    p_new.email_key, p_new.phone_key, p_new.phone_e164,
                    coalesce(nullif(p_new.lang, ''), 'fr'), coalesce(p_new.channel, 'online'),
                    p_new.status, p_new.hold_expires_at, p_new.code_hash,
                    coalesce(p_new.confirm_attempts, 0), p_new.confirmed_at,
                    p_new.idempotency_key, p_new.submission_key, p_new.rescheduled_from,
                    p_new.network_digest)
            RETURNING id INTO v_id;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_cons = CONSTRAINT_NAME;
            IF v_cons = 'bookings_identity_active_key' THEN
                RETURN QUERY SELECT 'identity_active'::text, NULL::bigint, NULL::text;
                RETURN;
            ELSIF v_cons = 'bookings_reference_key' THEN
                CONTINUE;   -- another reference
            END IF;
            RAISE;
        END;
    END LOOP;
    UPDATE slots s SET booked = s.booked + 1 WHERE s.id = p_new.slot_id;
    RETURN QUERY SELECT 'inserted'::text, v_id, v_ref;
END
$$;
COMMENT ON FUNCTION creneau_booking_insert(bookings, integer, integer) IS
    'The only INSERT INTO bookings: caps per contact key under advisory locks, the identity''s ended bookings completed, the reference retry loop, slots.booked + 1; outcome inserted, email_cap, phone_cap or identity_active.';

-- A bookings row with the person's fields and keys filled from p_person,
-- for creneau_booking_insert (the caller fills the rest).
CREATE FUNCTION creneau_person_booking(p_person jsonb, p_requires_agdref boolean, p_slot slots)
RETURNS bookings
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    b bookings%ROWTYPE;
BEGIN
    b.slot_id      := p_slot.id;
    b.site_id      := p_slot.site_id;
    b.procedure_id := p_slot.procedure_id;
    b.identity_key := creneau_person_identity(p_person, p_requires_agdref);
    b.surname      := creneau_person_text(p_person, 'surname');
    b.given_names  := coalesce(creneau_person_text(p_person, 'given_names'), '');
    b.birth_date   := creneau_person_text(p_person, 'birth_date')::date;
    b.agdref       := nullif(regexp_replace(coalesce(p_person ->> 'agdref', ''), '[^0-9]', '', 'g'), '');
    b.email        := creneau_person_text(p_person, 'email');
    b.phone        := creneau_person_text(p_person, 'phone');
    b.email_key    := creneau_person_bytes(p_person, 'email_key');
    b.phone_key    := creneau_person_bytes(p_person, 'phone_key');
    b.phone_e164   := creneau_person_text(p_person, 'phone_e164');
    b.lang         := coalesce(creneau_person_text(p_person, 'lang'), 'fr');
    b.submission_key := creneau_submission_key(b.identity_key, p_person);
    RETURN b;
END
$$;

------------------------------------------------------------------------------
-- 6. The online hold (replaces 004's; the person comes as p_person).
--
-- Outcomes, in the order they are checked:
--   replayed         this form token (idempotency key) made a booking for
--                    the same identity and contact: p_token becomes another
--                    link to it
--   token_used       this form token made a booking for someone else:
--                    refused, nothing of that booking is returned
--   contact_required neither e-mail nor phone
--   agdref_required, agdref_unknown   creneau_agdref_outcome()
--   slot_unavailable no such slot, not published, started, full, not free
--                    for the channel, or a procedure allocated by draw
--   email_cap, phone_cap, identity_active   creneau_booking_insert()
--   held             done: a confirmation_code message queued per channel
DROP FUNCTION booking_hold(bigint, bytea, text, text, date, text, text, text, text, text,
                           text, text, interval, integer, integer, text);
CREATE FUNCTION booking_hold(p_slot_id bigint, p_person jsonb, p_idempotency_key text,
                             p_token text, p_code text, p_hold interval,
                             p_max_per_email integer, p_max_per_phone integer,
                             p_channel text DEFAULT 'online')
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_proc  procedures%ROWTYPE;
    v_slot  slots%ROWTYPE;
    v_new   bookings%ROWTYPE;
    v_sub   bytea;
    v_id    bigint;
    v_ref   text;
    v_check text;
    r       record;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'booking_hold: the confirmation code must be 6 digits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The slot's procedure, read without a lock (it never changes).
    SELECT p.* INTO v_proc FROM slots s JOIN procedures p ON p.id = s.procedure_id
     WHERE s.id = p_slot_id;

    -- (a) Idempotency: one booking per key, answered only to the same
    -- submission.
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        SELECT b.id, b.reference, b.submission_key INTO v_id, v_ref, v_sub
          FROM bookings b WHERE b.idempotency_key = v_key;
        IF FOUND THEN
            IF v_sub IS NOT NULL AND v_sub = creneau_submission_key(
                   creneau_person_identity(p_person, coalesce(v_proc.requires_agdref, false)),
                   p_person) THEN
                PERFORM creneau_token_add(v_id, p_token, NULL);
                RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            ELSE
                RETURN QUERY SELECT 'token_used'::text, NULL::bigint, NULL::text;
            END IF;
            RETURN;
        END IF;
    END IF;

    -- (b) A way to send the code.
    IF creneau_person_text(p_person, 'email') IS NULL
       AND creneau_person_text(p_person, 'phone') IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (c) AGDREF.
    v_check := creneau_agdref_outcome(v_proc.requires_agdref, p_person ->> 'agdref');
    IF v_check IS NOT NULL THEN
        RETURN QUERY SELECT v_check, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (d) The slot, locked; overdue holds and releases swept first.
    v_slot := creneau_slot_for_booking(p_slot_id);
    IF v_slot.id IS NULL THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_slot.published_at IS NULL OR v_slot.published_at > now()
       OR v_slot.starts_at <= now()
       OR v_slot.booked >= v_slot.capacity
       OR creneau_slot_channel_free(v_slot, coalesce(p_channel, 'online')) <= 0
       OR creneau_allocation_mode(v_slot.site_id, v_slot.procedure_id) <> 'open' THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (e) The booking, caps and identity rule (creneau_booking_insert).
    v_new := creneau_person_booking(p_person, v_proc.requires_agdref, v_slot);
    IF NOT v_proc.requires_agdref THEN
        v_new.agdref := NULL;
    END IF;
    v_new.channel := coalesce(p_channel, 'online');
    v_new.status := 'held';
    v_new.hold_expires_at := now() + coalesce(p_hold, interval '10 minutes');
    v_new.code_hash := sha256(convert_to(p_code, 'UTF8'));
    v_new.idempotency_key := v_key;
    SELECT * INTO r FROM creneau_booking_insert(v_new, p_max_per_email, p_max_per_phone);
    IF r.outcome <> 'inserted' THEN
        RETURN QUERY SELECT r.outcome, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    PERFORM creneau_token_add(r.booking_id, p_token, NULL);
    PERFORM creneau_outbox_add('confirmation_code', 'code', r.booking_id,
                               jsonb_build_object('token', p_token, 'code', p_code));
    RETURN QUERY SELECT 'held'::text, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION booking_hold(bigint, jsonb, text, text, text, interval, integer, integer, text) IS
    'Hold a place of a slot for a person (fcgi/common/identity.c) until confirmed; outcome held, replayed, token_used, contact_required, agdref_required, agdref_unknown, slot_unavailable, email_cap, phone_cap or identity_active.';

------------------------------------------------------------------------------
-- 7. Bookings made by staff (replaces 012's): the same path.
DROP FUNCTION mediator_book(bigint, bigint, bytea, text, text, date, text, text, text, text, integer);
DROP FUNCTION court_book(bigint, text, bigint, bigint, bytea);
DROP FUNCTION creneau_staff_booking(bigint, text, boolean, bytea, text, text, date, text, text,
                                    text, text, text, integer);

-- Outcomes: agdref_required, agdref_unknown, slot_unavailable,
-- phone_cap, identity_active, booked.
CREATE FUNCTION creneau_staff_booking(p_slot_id bigint, p_channel text, p_published boolean,
                                      p_person jsonb, p_idempotency_key text,
                                      p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_proc  procedures%ROWTYPE;
    v_slot  slots%ROWTYPE;
    v_new   bookings%ROWTYPE;
    v_check text;
    r       record;
BEGIN
    SELECT p.* INTO v_proc FROM slots s JOIN procedures p ON p.id = s.procedure_id
     WHERE s.id = p_slot_id;
    v_check := creneau_agdref_outcome(v_proc.requires_agdref, p_person ->> 'agdref');
    IF v_check IS NOT NULL THEN
        RETURN QUERY SELECT v_check, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    v_slot := creneau_slot_for_booking(p_slot_id);
    IF v_slot.id IS NULL THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_slot.starts_at <= now()
       OR (p_published AND (v_slot.published_at IS NULL OR v_slot.published_at > now()
                            OR v_proc.allocation_mode <> 'open'))
       OR creneau_slot_channel_free(v_slot, p_channel) <= 0 THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    v_new := creneau_person_booking(p_person, v_proc.requires_agdref, v_slot);
    v_new.channel := p_channel;
    v_new.status := 'confirmed';
    v_new.confirmed_at := now();
    v_new.idempotency_key := nullif(btrim(p_idempotency_key), '');
    SELECT * INTO r FROM creneau_booking_insert(v_new, NULL, p_max_per_phone);
    IF r.outcome <> 'inserted' THEN
        RETURN QUERY SELECT r.outcome, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    PERFORM creneau_outbox_add('booking_confirmed', 'confirmed', r.booking_id, NULL);
    RETURN QUERY SELECT 'booked'::text, r.booking_id, r.reference;
END
$$;

-- A mediator books a slot for an applicant (see 012). Outcomes:
-- forbidden, replayed (this form was sent already for the same person:
-- the same booking), token_used (this form was sent for someone else),
-- quota_reached, and those of creneau_staff_booking.
CREATE FUNCTION mediator_book(p_account bigint, p_slot_id bigint, p_person jsonb,
                              p_idempotency_key text, p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_org   record;
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_id    bigint;
    v_ref   text;
    v_sub   bytea;
    v_ident bytea;
    r       record;
BEGIN
    SELECT * INTO v_org FROM mediator_organisation(p_account);
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        SELECT b.id, b.reference, b.submission_key, b.identity_key INTO v_id, v_ref, v_sub, v_ident
          FROM bookings b JOIN mediator_bookings m ON m.booking_id = b.id
         WHERE b.idempotency_key = v_key AND m.organisation_id = v_org.organisation_id;
        IF FOUND THEN
            IF v_sub IS NOT NULL AND v_sub = creneau_submission_key(v_ident, p_person)
               AND v_ident IN (creneau_person_bytes(p_person, 'name_key'),
                               creneau_person_bytes(p_person, 'agdref_key')) THEN
                RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            ELSE
                RETURN QUERY SELECT 'token_used'::text, NULL::bigint, NULL::text;
            END IF;
            RETURN;
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock(creneau_lock_key('mediator_quota'), v_org.organisation_id::integer);
    SELECT * INTO v_org FROM mediator_organisation(p_account);
    IF v_org.used >= v_org.monthly_quota THEN
        RETURN QUERY SELECT 'quota_reached'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM creneau_staff_booking(p_slot_id, 'mediator', true,
                                               p_person - 'email' - 'email_key', v_key,
                                               p_max_per_phone);
    IF r.outcome = 'booked' THEN
        INSERT INTO mediator_bookings (booking_id, organisation_id, account_id)
        VALUES (r.booking_id, v_org.organisation_id, p_account);
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        SELECT p_account, b.site_id, 'mediator.book', b.reference,
               jsonb_build_object('booking_id', b.id, 'organisation_id', v_org.organisation_id,
                                  'channel', 'mediator')
          FROM bookings b WHERE b.id = r.booking_id;
    END IF;
    RETURN QUERY SELECT r.outcome, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION mediator_book(bigint, bigint, jsonb, text, integer) IS
    'A mediator books for an applicant (confirmed at once, channel mediator) within the monthly quota; outcome booked, replayed, token_used, quota_reached, forbidden, slot_unavailable, identity_active, agdref_required, agdref_unknown or phone_cap.';

-- Books an injunction into the court channel (see 012). The applicant's
-- fields are the injunction's; p_person brings their keys, computed by
-- the page from those same fields (fcgi/common/identity.c).
CREATE FUNCTION court_book(p_account bigint, p_site text, p_injunction bigint,
                           p_slot_id bigint, p_person jsonb)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    i   injunctions%ROWTYPE;
    r   record;
BEGIN
    SELECT x.* INTO i FROM injunctions x JOIN sites s ON s.id = x.site_id
     WHERE x.id = p_injunction AND s.slug = p_site AND staff_can_site(p_account, s.id)
       FOR UPDATE OF x;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF i.booking_id IS NOT NULL THEN
        RETURN QUERY SELECT 'already_fulfilled'::text, i.booking_id,
                            (SELECT b.reference FROM bookings b WHERE b.id = i.booking_id);
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM slots s WHERE s.id = p_slot_id
                      AND s.site_id = i.site_id AND s.procedure_id = i.procedure_id) THEN
        RETURN QUERY SELECT 'other_procedure'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM creneau_staff_booking(p_slot_id, 'court', false,
        coalesce(p_person, '{}'::jsonb) || jsonb_build_object(
            'surname', i.surname, 'given_names', i.given_names,
            'birth_date', to_char(i.birth_date, 'YYYY-MM-DD'), 'agdref', i.agdref,
            'email', i.email, 'phone', i.phone, 'lang', i.lang),
        'court:' || i.id, NULL);
    IF r.outcome <> 'booked' THEN
        RETURN QUERY SELECT r.outcome, r.booking_id, r.reference;
        RETURN;
    END IF;
    UPDATE injunctions SET booking_id = r.booking_id, fulfilled_at = now(),
                           fulfilled_by = p_account
     WHERE id = i.id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, i.site_id, 'court.book', r.reference,
            jsonb_build_object('injunction_id', i.id, 'booking_id', r.booking_id,
                               'channel', 'court'));
    RETURN QUERY SELECT 'fulfilled'::text, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION court_book(bigint, text, bigint, bigint, jsonb) IS
    'Book an injunction''s applicant into the court channel (confirmed at once), fulfilling it; outcome fulfilled, already_fulfilled, not_found, other_procedure, slot_unavailable, identity_active, agdref_required or agdref_unknown.';

------------------------------------------------------------------------------
-- 8. Rescheduling inserts through the same path (replaces 004's).
CREATE OR REPLACE FUNCTION booking_reschedule(p_token text, p_new_slot_id bigint,
                                              p_release_min interval, p_release_max interval)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id     bigint;
    v_old    slots%ROWTYPE;
    v_new    slots%ROWTYPE;
    b        bookings%ROWTYPE;
    n        bookings%ROWTYPE;
    r        record;
BEGIN
    FOR attempt IN 1 .. 5 LOOP
        v_id := booking_by_token(p_token);
        IF v_id IS NULL THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
            RETURN;
        END IF;
        SELECT x.* INTO b FROM bookings x WHERE x.id = v_id;
        PERFORM 1 FROM slots s WHERE s.id IN (b.slot_id, p_new_slot_id) ORDER BY s.id FOR UPDATE;
        SELECT x.* INTO b FROM bookings x WHERE x.id = v_id FOR UPDATE;
        EXIT WHEN booking_by_token(p_token) IS NOT DISTINCT FROM v_id;
        IF attempt = 5 THEN
            RAISE EXCEPTION 'booking token keeps moving' USING ERRCODE = 'serialization_failure';
        END IF;
    END LOOP;

    IF b.status <> 'confirmed' THEN
        RETURN QUERY SELECT 'not_confirmed'::text, b.id;
        RETURN;
    END IF;
    SELECT s.* INTO v_old FROM slots s WHERE s.id = b.slot_id;
    IF v_old.starts_at <= now() THEN
        RETURN QUERY SELECT 'too_late'::text, b.id;
        RETURN;
    END IF;
    IF p_new_slot_id = b.slot_id THEN
        RETURN QUERY SELECT 'same_slot'::text, b.id;
        RETURN;
    END IF;
    SELECT s.* INTO v_new FROM slots s WHERE s.id = p_new_slot_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, b.id;
        RETURN;
    END IF;
    IF v_new.site_id <> b.site_id OR v_new.procedure_id <> b.procedure_id THEN
        RETURN QUERY SELECT 'other_procedure'::text, b.id;
        RETURN;
    END IF;
    v_new := creneau_slot_for_booking(p_new_slot_id);
    IF v_new.published_at IS NULL OR v_new.published_at > now()
       OR v_new.starts_at <= now()
       OR creneau_slot_channel_free(v_new, b.channel) <= 0 THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, b.id;
        RETURN;
    END IF;

    -- The old booking stops being active first (the identity index), in
    -- the same transaction: if anything below fails, all of it rolls back.
    UPDATE bookings SET status = 'cancelled', cancelled_at = now(),
                        release_at = now() + creneau_random_delay(p_release_min, p_release_max)
     WHERE id = b.id;
    n := b;
    n.slot_id := v_new.id;
    n.status := 'confirmed';
    n.confirmed_at := now();
    n.idempotency_key := NULL;
    n.submission_key := NULL;
    n.rescheduled_from := b.id;
    SELECT * INTO r FROM creneau_booking_insert(n, NULL, NULL);
    IF r.outcome <> 'inserted' THEN
        RAISE EXCEPTION 'booking_reschedule: %', r.outcome;
    END IF;
    UPDATE booking_tokens SET booking_id = r.booking_id WHERE booking_id = b.id;
    PERFORM creneau_outbox_add('booking_rescheduled', 'rescheduled', r.booking_id,
                               jsonb_build_object('old_reference', b.reference,
                                                  'old_starts_local',
                                                  to_char(v_old.starts_at AT TIME ZONE st.time_zone,
                                                          'YYYY-MM-DD HH24:MI')))
      FROM sites st WHERE st.id = b.site_id;
    RETURN QUERY SELECT 'rescheduled'::text, r.booking_id;
END
$$;

------------------------------------------------------------------------------
-- 9. The draw: registration with the person's keys, allocation through
-- creneau_booking_insert (replace 013's).
DROP FUNCTION draw_register(bigint, bytea, text, text, date, text, text, text, text, text,
                            text, text, text);
CREATE FUNCTION draw_register(p_draw_id bigint, p_person jsonb, p_idempotency_key text,
                              p_token text, p_code text, p_network_digest text)
RETURNS TABLE (outcome text, entry_id bigint, public_id text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key    text := nullif(btrim(p_idempotency_key), '');
    d        draws%ROWTYPE;
    v_proc   procedures%ROWTYPE;
    v_ident  bytea;
    v_id     bigint;
    v_pub    text;
    v_cons   text;
    v_check  text;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' OR p_token IS NULL OR length(p_token) < 16 THEN
        RAISE EXCEPTION 'draw_register: a 6-digit code and a token are needed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        IF EXISTS (SELECT 1 FROM draw_entries e WHERE e.idempotency_key = v_key)
           OR EXISTS (SELECT 1 FROM bookings b WHERE b.idempotency_key = v_key) THEN
            RETURN QUERY SELECT 'replayed'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF d.status <> 'scheduled' OR now() < d.registration_opens_at
       OR now() >= d.registration_closes_at THEN
        RETURN QUERY SELECT 'closed'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF creneau_person_text(p_person, 'email') IS NULL
       AND creneau_person_text(p_person, 'phone') IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT p.* INTO v_proc FROM procedures p WHERE p.id = d.procedure_id;
    v_check := creneau_agdref_outcome(v_proc.requires_agdref, p_person ->> 'agdref');
    IF v_check IS NOT NULL THEN
        RETURN QUERY SELECT v_check, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    v_ident := creneau_person_identity(p_person, v_proc.requires_agdref);
    IF EXISTS (SELECT 1 FROM bookings b WHERE b.identity_key = v_ident
                AND b.procedure_id = d.procedure_id AND b.status IN ('held', 'confirmed')) THEN
        RETURN QUERY SELECT 'identity_active'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    LOOP
        BEGIN
            v_pub := encode(gen_random_bytes(8), 'hex');
            INSERT INTO draw_entries (draw_id, site_id, procedure_id, public_id, token_hash,
                                      identity_key, surname, given_names, birth_date, agdref,
                                      email, phone, email_key, phone_key, phone_e164, lang,
                                      network_digest, code_hash, idempotency_key)
            VALUES (d.id, d.site_id, d.procedure_id, v_pub, sha256(convert_to(p_token, 'UTF8')),
                    v_ident, creneau_person_text(p_person, 'surname'),
                    coalesce(creneau_person_text(p_person, 'given_names'), ''),
                    creneau_person_text(p_person, 'birth_date')::date,
                    CASE WHEN v_proc.requires_agdref
                         THEN regexp_replace(p_person ->> 'agdref', '[^0-9]', '', 'g') END,
                    creneau_person_text(p_person, 'email'), creneau_person_text(p_person, 'phone'),
                    creneau_person_bytes(p_person, 'email_key'),
                    creneau_person_bytes(p_person, 'phone_key'),
                    creneau_person_text(p_person, 'phone_e164'),
                    coalesce(creneau_person_text(p_person, 'lang'), 'fr'),
                    nullif(p_network_digest, ''), sha256(convert_to(p_code, 'UTF8')), v_key)
            RETURNING id INTO v_id;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_cons = CONSTRAINT_NAME;
            IF v_cons = 'draw_entries_one_per_identity' THEN
                RETURN QUERY SELECT 'already_registered'::text, NULL::bigint, NULL::text;
                RETURN;
            ELSIF v_cons = 'draw_entries_identity_active_key' THEN
                RETURN QUERY SELECT 'already_entered'::text, NULL::bigint, NULL::text;
                RETURN;
            ELSIF v_cons = 'draw_entries_public_id_key' THEN
                CONTINUE;
            ELSIF v_cons = 'draw_entries_idempotency_key_key' THEN
                RETURN QUERY SELECT 'replayed'::text, NULL::bigint, NULL::text;
                RETURN;
            END IF;
            RAISE;
        END;
    END LOOP;
    PERFORM creneau_draw_outbox_add('draw_code', v_id,
                                    jsonb_build_object('token', p_token, 'code', p_code));
    RETURN QUERY SELECT 'registered'::text, v_id, v_pub;
END
$$;
COMMENT ON FUNCTION draw_register(bigint, jsonb, text, text, text, text) IS
    'Register a person (fcgi/common/identity.c) for a draw (unverified until the code is typed); outcome registered, replayed, not_found, closed, contact_required, agdref_required, agdref_unknown, identity_active, already_registered or already_entered.';

-- The draw registration's rate limits, on keyed digests only: the
-- person's e-mail and phone keys and the address digest. The first scope
-- over its limit, or ''.
CREATE FUNCTION draw_rate_check(p_person jsonb, p_address text) RETURNS text
LANGUAGE sql VOLATILE
AS $$
    SELECT coalesce(rate_limit_check('draw_register', ARRAY['email', 'phone', 'address'],
                        ARRAY[creneau_person_text(p_person, 'email_key'),
                              creneau_person_text(p_person, 'phone_key'), p_address]), '')
$$;

-- The booking form's rate limits (replaces 014's), on keyed digests only.
DROP FUNCTION booking_rate_check(bigint, bytea, text, text, date, text, text, text, text);
CREATE FUNCTION booking_rate_check(p_slot_id bigint, p_person jsonb, p_address text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_ident  text;
    v_agdref boolean;
    v_scope  text;
BEGIN
    SELECT p.requires_agdref INTO v_agdref
      FROM slots s JOIN procedures p ON p.id = s.procedure_id WHERE s.id = p_slot_id;
    v_ident := encode(creneau_person_identity(p_person, coalesce(v_agdref, false)), 'hex');
    IF rate_limit_hits('booking_made', 'identity', v_ident)
       >= coalesce((SELECT max_hits FROM rate_limit_rules
                     WHERE action = 'booking_made' AND scope = 'identity'), 2147483647) THEN
        RETURN 'identity';
    END IF;
    v_scope := rate_limit_check('booking_hold', ARRAY['email', 'phone', 'address'],
        ARRAY[creneau_person_text(p_person, 'email_key'),
              creneau_person_text(p_person, 'phone_key'), p_address]);
    RETURN coalesce(v_scope, '');
END
$$;
COMMENT ON FUNCTION booking_rate_check(bigint, jsonb, text) IS
    'Rate limits of the booking form, before booking_hold, on keyed digests: '''' to go on, else the scope refused (identity, email, phone, address).';

-- Offers (see 013): each offer is inserted by creneau_booking_insert; an
-- entry whose identity holds another active booking is passed over.
CREATE OR REPLACE FUNCTION draw_allocate(p_draw_id bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    d          draws%ROWTYPE;
    s          record;
    e          draw_entries%ROWTYPE;
    nb         bookings%ROWTYPE;
    r          record;
    v_deadline timestamptz;
    v_code     text;
    v_token    text;
    v_skip     bigint[] := '{}';
    n          integer := 0;
BEGIN
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id;
    IF NOT FOUND OR d.status <> 'drawn' THEN
        RETURN 0;
    END IF;
    -- One allocation at a time per site and procedure (they share a queue).
    PERFORM creneau_lock('draw_queue', d.site_id || ':' || d.procedure_id);
    PERFORM 1 FROM slots sl JOIN draw_slots ds ON ds.slot_id = sl.id
     WHERE ds.draw_id = p_draw_id AND sl.ends_at > now() ORDER BY sl.id FOR UPDATE OF sl;
    FOR s IN SELECT ds.slot_id FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
              WHERE ds.draw_id = p_draw_id AND sl.ends_at > now() ORDER BY ds.slot_id LOOP
        PERFORM booking_sweep_slot(s.slot_id);
    END LOOP;
    UPDATE draw_entries x
       SET status = CASE WHEN b.status IN ('confirmed', 'completed') THEN 'won'
                         WHEN b.status = 'expired' THEN 'lapsed' ELSE 'cancelled' END,
           ended_at = CASE WHEN b.status IN ('confirmed', 'completed') THEN x.ended_at ELSE now() END
      FROM bookings b
     WHERE b.id = x.booking_id AND x.site_id = d.site_id AND x.procedure_id = d.procedure_id
       AND x.status IN ('offered', 'won') AND b.status <> 'held'
       AND x.status <> CASE WHEN b.status IN ('confirmed', 'completed') THEN 'won'
                            WHEN b.status = 'expired' THEN 'lapsed' ELSE 'cancelled' END;

    v_deadline := now() + make_interval(hours => d.offer_hours);
    FOR s IN SELECT sl.id, sl.site_id, sl.procedure_id, sl.capacity - sl.booked AS free
               FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
              WHERE ds.draw_id = p_draw_id AND sl.starts_at > v_deadline
                AND sl.booked < sl.capacity
              ORDER BY sl.starts_at, sl.id LOOP
        FOR k IN 1 .. s.free LOOP
            LOOP
                SELECT x.* INTO e FROM draw_entries x JOIN draws w ON w.id = x.draw_id
                 WHERE x.site_id = d.site_id AND x.procedure_id = d.procedure_id
                   AND x.status = 'waiting' AND x.rank IS NOT NULL AND w.status = 'drawn'
                   AND x.id <> ALL (v_skip)
                 ORDER BY w.drawn_at, w.id, x.rank
                 LIMIT 1
                   FOR UPDATE OF x;
                IF NOT FOUND THEN
                    RETURN n;       -- nobody left waiting
                END IF;
                v_code := creneau_random_code();
                nb := NULL;
                nb.slot_id := s.id;
                nb.site_id := d.site_id;
                nb.procedure_id := d.procedure_id;
                nb.identity_key := e.identity_key;
                nb.surname := e.surname;
                nb.given_names := e.given_names;
                nb.birth_date := e.birth_date;
                nb.agdref := e.agdref;
                nb.email := e.email;
                nb.phone := e.phone;
                nb.email_key := e.email_key;
                nb.phone_key := e.phone_key;
                nb.phone_e164 := e.phone_e164;
                nb.lang := e.lang;
                nb.channel := 'draw';
                nb.status := 'held';
                nb.hold_expires_at := v_deadline;
                nb.code_hash := sha256(convert_to(v_code, 'UTF8'));
                nb.network_digest := e.network_digest;
                SELECT * INTO r FROM creneau_booking_insert(nb, NULL, NULL);
                IF r.outcome <> 'inserted' THEN
                    v_skip := v_skip || e.id;   -- has a booking already: pass over
                    CONTINUE;
                END IF;
                v_token := creneau_new_token();
                PERFORM creneau_token_add(r.booking_id, v_token, NULL);
                UPDATE draw_entries x SET status = 'offered', booking_id = r.booking_id,
                                          offered_at = now()
                 WHERE x.id = e.id;
                PERFORM creneau_outbox_add('draw_offer', 'offer', r.booking_id,
                    jsonb_build_object('token', v_token, 'code', v_code,
                                       'public_id', e.public_id, 'rank', e.rank,
                                       'deadline_local',
                                       (SELECT to_char(v_deadline AT TIME ZONE st.time_zone,
                                                       'YYYY-MM-DD HH24:MI')
                                          FROM sites st WHERE st.id = d.site_id)));
                n := n + 1;
                EXIT;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN n;
END
$$;
