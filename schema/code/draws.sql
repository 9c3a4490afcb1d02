-- schema/code/draws.sql
--
-- Draws: allocation mode per site and procedure, registration,
-- verification, the allocation with its published seed, offers, abuse
-- review (013), and the switch between first-come releases and draws
-- (020).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Identity fields of an entry never change, except once, by the
-- retention purge (reporting.purge in reporting.sql), which blanks the person.
CREATE OR REPLACE FUNCTION creneau_draw_entries_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.purged_at IS NOT NULL AND OLD.purged_at IS NULL
       AND NEW.surname = '-' AND NEW.given_names = '' AND NEW.birth_date = DATE '1900-01-01'
       AND NEW.identity_key = OLD.identity_key AND NEW.public_id = OLD.public_id
       AND NEW.draw_id = OLD.draw_id THEN
        RETURN NEW;
    END IF;
    IF NEW.identity_key IS DISTINCT FROM OLD.identity_key
       OR NEW.surname IS DISTINCT FROM OLD.surname
       OR NEW.given_names IS DISTINCT FROM OLD.given_names
       OR NEW.birth_date IS DISTINCT FROM OLD.birth_date
       OR NEW.public_id IS DISTINCT FROM OLD.public_id
       OR NEW.draw_id IS DISTINCT FROM OLD.draw_id THEN
        RAISE EXCEPTION 'the identity and draw of entry % cannot be changed', OLD.id
            USING ERRCODE = 'restrict_violation', CONSTRAINT = 'draw_entries_immutable';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER draw_entries_immutable BEFORE UPDATE ON draw_entries
    FOR EACH ROW EXECUTE FUNCTION creneau_draw_entries_immutable();

-- Slots of an open procedure that a site allocates by draw (its
-- override), and slots of a draw, are never published: booking_hold checks
-- the procedure's own mode, and it and every public listing only offer
-- published slots, so a site that switches a procedure to draws cannot
-- leak its places to first-come booking. (Procedures whose own mode is
-- draw are refused by booking_hold already.)
CREATE OR REPLACE FUNCTION creneau_slots_draw_unpublished() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- The site's mode is draw over a first-come procedure: the test of
    -- creneau_allocation_mode() written out, so that PL/pgSQL keeps its
    -- plan (a call of the SQL function is planned again for every slot,
    -- which made generating a year of slots three times slower).
    IF NEW.published_at IS NOT NULL
       AND (EXISTS (SELECT 1 FROM site_procedures sp
                      JOIN procedures p ON p.id = sp.procedure_id
                     WHERE sp.site_id = NEW.site_id
                       AND sp.procedure_id = NEW.procedure_id
                       AND sp.allocation_mode = 'draw'
                       AND p.allocation_mode = 'open')
            OR EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = NEW.id)) THEN
        NEW.published_at := NULL;
    END IF;
    RETURN NEW;
END
$$;

-- Named after slots_fill_site_id so that it runs after it (site_id known).
CREATE TRIGGER slots_unpublished_draw BEFORE INSERT OR UPDATE OF published_at ON slots
    FOR EACH ROW EXECUTE FUNCTION creneau_slots_draw_unpublished();

-- When a pair switches to draws, its future slots are taken off the
-- public calendar (bookings already made keep their place).
CREATE OR REPLACE FUNCTION creneau_mode_to_draw() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_TABLE_NAME = 'procedures' THEN
        UPDATE slots s SET published_at = NULL
         WHERE s.published_at IS NOT NULL AND s.starts_at > now()
           AND s.procedure_id = (to_jsonb(NEW) ->> 'id')::bigint
           AND creneau_allocation_mode(s.site_id, s.procedure_id) = 'draw';
    ELSE
        UPDATE slots s SET published_at = NULL
         WHERE s.published_at IS NOT NULL AND s.starts_at > now()
           AND s.site_id = (to_jsonb(NEW) ->> 'site_id')::bigint
           AND s.procedure_id = (to_jsonb(NEW) ->> 'procedure_id')::bigint
           AND creneau_allocation_mode(s.site_id, s.procedure_id) = 'draw';
    END IF;
    RETURN NULL;
END
$$;

CREATE TRIGGER site_procedures_mode_to_draw AFTER UPDATE OF allocation_mode ON site_procedures
    FOR EACH ROW WHEN (NEW.allocation_mode IS NOT DISTINCT FROM 'draw')
    EXECUTE FUNCTION creneau_mode_to_draw();

------------------------------------------------------------------------------
-- Helpers.

-- A uniformly random 6-digit code (rejection sampling over 4 bytes).
CREATE OR REPLACE FUNCTION creneau_random_code() RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v bigint;
BEGIN
    LOOP
        v := ('x' || encode(gen_random_bytes(4), 'hex'))::bit(32)::bigint;
        EXIT WHEN v < 4294000000;
    END LOOP;
    RETURN lpad((v % 1000000)::text, 6, '0');
END
$$;

-- The order key of an entry: lower-case hex of HMAC-SHA256 with the
-- draw's seed as key and the entry's public id (ASCII) as message.
CREATE OR REPLACE FUNCTION creneau_draw_order_key(p_seed bytea, p_public_id text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT encode(hmac(convert_to(p_public_id, 'UTF8'), p_seed, 'sha256'), 'hex')
$$;
COMMENT ON FUNCTION creneau_draw_order_key(bytea, text) IS
    'hex(HMAC-SHA256(key = seed, message = public id)): entries are drawn in ascending order of this key (doc/draw.md).';

-- What the messages about an entry need.
CREATE OR REPLACE FUNCTION creneau_draw_entry_payload(p_entry_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
               'draw_id', d.id, 'public_id', e.public_id,
               'site_name', st.name, 'site_slug', st.slug,
               'procedure_name', p.name, 'procedure_code', p.code,
               'closes_local', to_char(d.registration_closes_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'),
               'draw_local', to_char(d.draw_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'),
               'lang', e.lang)
      FROM draw_entries e
      JOIN draws d ON d.id = e.draw_id
      JOIN sites st ON st.id = d.site_id
      JOIN procedures p ON p.id = d.procedure_id
     WHERE e.id = p_entry_id
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

-- Whether an account may manage draws of a site (agents, supervisors of
-- the site, administrators); p_supervise: supervisors and administrators
-- only. A NULL account is the operator (creneau-admin).
CREATE OR REPLACE FUNCTION creneau_draw_staff_ok(p_account bigint, p_site_id bigint, p_supervise boolean)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
    SELECT p_account IS NULL
        OR (staff_can_site(p_account, p_site_id)
            AND EXISTS (SELECT 1 FROM staff_accounts a WHERE a.id = p_account
                         AND a.role = ANY (ARRAY['supervisor', 'administrator']
                                           || CASE WHEN p_supervise THEN '{}'::text[]
                                                   ELSE '{agent}'::text[] END)))
$$;

------------------------------------------------------------------------------
-- Scheduling a draw.
--
-- Attaches to a new draw every slot of the site and procedure whose local
-- day is between p_from and p_to, that starts after the draw plus the
-- offer deadline, has a free place and belongs to no draw; takes them off
-- publication. The seed: 32 bytes of gen_random_bytes, stored in
-- draw_seeds; the commitment (hex SHA-256 of the seed) is public.
-- Outcomes: forbidden, not_draw (the procedure is not allocated by draw at
-- this site), bad_window, no_slots, scheduled (draw id, commitment).
CREATE OR REPLACE FUNCTION draw_schedule(p_account bigint, p_site_id bigint, p_procedure_id bigint,
                              p_opens timestamptz, p_closes timestamptz, p_draw_at timestamptz,
                              p_offer_hours integer, p_from date, p_to date)
RETURNS TABLE (outcome text, draw_id bigint, commitment text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_seed bytea := gen_random_bytes(32);
    v_id   bigint;
    v_n    integer;
    v_hex  text;
BEGIN
    IF NOT creneau_draw_staff_ok(p_account, p_site_id, false) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF creneau_allocation_mode(p_site_id, p_procedure_id) IS DISTINCT FROM 'draw' THEN
        RETURN QUERY SELECT 'not_draw'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF p_opens IS NULL OR p_closes IS NULL OR p_draw_at IS NULL OR p_offer_hours IS NULL
       OR p_offer_hours NOT BETWEEN 1 AND 720
       OR NOT (p_opens < p_closes AND p_closes <= p_draw_at) OR p_draw_at <= now()
       OR p_from IS NULL OR p_to IS NULL OR p_to < p_from OR p_to - p_from > 400 THEN
        RETURN QUERY SELECT 'bad_window'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    v_hex := encode(sha256(v_seed), 'hex');
    INSERT INTO draws (site_id, procedure_id, registration_opens_at, registration_closes_at,
                       draw_at, offer_hours, commitment, created_by)
    VALUES (p_site_id, p_procedure_id, p_opens, p_closes, p_draw_at, p_offer_hours, v_hex, p_account)
    RETURNING id INTO v_id;
    INSERT INTO draw_seeds (draw_id, seed) VALUES (v_id, v_seed);
    INSERT INTO draw_slots (draw_id, slot_id)
    SELECT v_id, s.id FROM slots s JOIN sites st ON st.id = s.site_id
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND (s.starts_at AT TIME ZONE st.time_zone)::date BETWEEN p_from AND p_to
       AND s.starts_at > p_draw_at + make_interval(hours => p_offer_hours)
       AND s.booked < s.capacity
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
     ORDER BY s.id
       FOR UPDATE OF s;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n = 0 THEN
        -- Nothing to draw: undo the draw (a subtransaction would do too).
        DELETE FROM draw_seeds ds WHERE ds.draw_id = v_id;
        DELETE FROM draws d WHERE d.id = v_id;
        RETURN QUERY SELECT 'no_slots'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    UPDATE slots s SET published_at = NULL
      FROM draw_slots ds WHERE ds.draw_id = v_id AND ds.slot_id = s.id AND s.published_at IS NOT NULL;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw.scheduled', v_id::text,
            jsonb_build_object('slots', v_n, 'commitment', v_hex, 'draw_at', p_draw_at));
    RETURN QUERY SELECT 'scheduled'::text, v_id, v_hex;
END
$$;
COMMENT ON FUNCTION draw_schedule(bigint, bigint, bigint, timestamptz, timestamptz, timestamptz, integer, date, date) IS
    'Schedule a draw of the free slots of a site and procedure between two local days; outcome scheduled (id, commitment), forbidden, not_draw, bad_window or no_slots.';

-- Registration in a draw, with the person's keys (the offers of the
-- allocation go through creneau_booking_insert, booking.sql).
CREATE OR REPLACE FUNCTION draw_register(p_draw_id bigint, p_person jsonb, p_idempotency_key text,
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
CREATE OR REPLACE FUNCTION draw_rate_check(p_person jsonb, p_address text) RETURNS text
LANGUAGE sql VOLATILE
AS $$
    SELECT coalesce(rate_limit_check('draw_register', ARRAY['email', 'phone', 'address'],
                        ARRAY[creneau_person_text(p_person, 'email_key'),
                              creneau_person_text(p_person, 'phone_key'), p_address]), '')
$$;

-- The entry a secret link leads to (NULL when none).
CREATE OR REPLACE FUNCTION draw_entry_by_token(p_token text) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT e.id FROM draw_entries e WHERE e.token_hash = sha256(convert_to(p_token, 'UTF8'))
$$;

-- Verify an entry with the code sent. Outcomes: not_found, closed (the
-- window has closed: an unverified entry no longer counts), withdrawn
-- (withdrawn, voided or expired), already_confirmed, too_many_attempts
-- (the fifth wrong code ends the entry: status expired), wrong_code,
-- confirmed (status waiting: the entry takes part in the draw).
CREATE OR REPLACE FUNCTION draw_entry_confirm(p_token text, p_code text)
RETURNS TABLE (outcome text, entry_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    max_attempts constant integer := 5;
    e draw_entries%ROWTYPE;
    d draws%ROWTYPE;
BEGIN
    SELECT x.* INTO e FROM draw_entries x
     WHERE x.token_hash = sha256(convert_to(p_token, 'UTF8')) FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF e.status IN ('withdrawn', 'voided', 'expired') THEN
        RETURN QUERY SELECT CASE WHEN e.confirm_attempts >= max_attempts
                                 THEN 'too_many_attempts' ELSE 'withdrawn' END, e.id;
        RETURN;
    END IF;
    IF e.status <> 'unverified' THEN
        RETURN QUERY SELECT 'already_confirmed'::text, e.id;
        RETURN;
    END IF;
    SELECT x.* INTO d FROM draws x WHERE x.id = e.draw_id;
    IF d.status <> 'scheduled' OR now() >= d.registration_closes_at THEN
        RETURN QUERY SELECT 'closed'::text, e.id;
        RETURN;
    END IF;
    IF p_code IS NULL OR e.code_hash IS DISTINCT FROM sha256(convert_to(p_code, 'UTF8')) THEN
        UPDATE draw_entries x SET confirm_attempts = x.confirm_attempts + 1,
               status = CASE WHEN x.confirm_attempts + 1 >= max_attempts THEN 'expired' ELSE x.status END,
               ended_at = CASE WHEN x.confirm_attempts + 1 >= max_attempts THEN now() END
         WHERE x.id = e.id;
        RETURN QUERY SELECT CASE WHEN e.confirm_attempts + 1 >= max_attempts
                                 THEN 'too_many_attempts' ELSE 'wrong_code' END, e.id;
        RETURN;
    END IF;
    UPDATE draw_entries x SET status = 'waiting', verified_at = now() WHERE x.id = e.id;
    RETURN QUERY SELECT 'confirmed'::text, e.id;
END
$$;
COMMENT ON FUNCTION draw_entry_confirm(text, text) IS
    'Verify a draw entry with its code; outcome confirmed, wrong_code, too_many_attempts, already_confirmed, closed, withdrawn or not_found.';

-- Withdraw an entry (before or after the draw, while it has no offer).
-- Outcomes: not_found, not_withdrawable (offered, won or ended), withdrawn.
CREATE OR REPLACE FUNCTION draw_entry_withdraw(p_token text)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    e draw_entries%ROWTYPE;
BEGIN
    SELECT x.* INTO e FROM draw_entries x
     WHERE x.token_hash = sha256(convert_to(p_token, 'UTF8')) FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF e.status NOT IN ('unverified', 'waiting') THEN
        RETURN QUERY SELECT 'not_withdrawable'::text;
        RETURN;
    END IF;
    UPDATE draw_entries x SET status = 'withdrawn', ended_at = now() WHERE x.id = e.id;
    RETURN QUERY SELECT 'withdrawn'::text;
END
$$;

-- Offers (see 013_draws.sql): each offer is inserted by creneau_booking_insert; an
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
COMMENT ON FUNCTION draw_allocate(bigint) IS
    'Offer the free places of a drawn draw''s slots to the next waiting entries of its site and procedure (earlier draws first, then rank); returns the offers made.';

------------------------------------------------------------------------------
-- The draw, in one transaction (the caller's statement).
--
-- Outcomes: not_found, forbidden, already_drawn, too_early (before
-- draw_at), drawn (offers made, entries ranked). Raises if the seed does
-- not match the commitment (nothing is drawn then). Unverified entries
-- expire; verified ones that are not voided or withdrawn are ranked by
-- creneau_draw_order_key; the seed is revealed; the places are offered.
CREATE OR REPLACE FUNCTION draw_run(p_draw_id bigint, p_account bigint)
RETURNS TABLE (outcome text, offers integer, entries integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    d      draws%ROWTYPE;
    v_seed bytea;
    v_n    integer;
    v_off  integer;
    v_pl   integer;
BEGIN
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, 0, 0;
        RETURN;
    END IF;
    IF NOT creneau_draw_staff_ok(p_account, d.site_id, false) THEN
        RETURN QUERY SELECT 'forbidden'::text, 0, 0;
        RETURN;
    END IF;
    IF d.status = 'drawn' THEN
        RETURN QUERY SELECT 'already_drawn'::text, 0, 0;
        RETURN;
    END IF;
    IF now() < d.draw_at THEN
        RETURN QUERY SELECT 'too_early'::text, 0, 0;
        RETURN;
    END IF;
    SELECT x.seed INTO v_seed FROM draw_seeds x WHERE x.draw_id = d.id;
    IF v_seed IS NULL OR encode(sha256(v_seed), 'hex') <> d.commitment THEN
        RAISE EXCEPTION 'draw %: the seed does not match its commitment', d.id
            USING ERRCODE = 'data_corrupted';
    END IF;

    UPDATE draw_entries x SET status = 'expired', ended_at = now()
     WHERE x.draw_id = d.id AND x.status = 'unverified';
    UPDATE draw_entries x SET order_key = r.k, rank = r.rk
      FROM (SELECT y.id, y.k, row_number() OVER (ORDER BY y.k, y.public_id)::integer AS rk
              FROM (SELECT z.id, z.public_id, creneau_draw_order_key(v_seed, z.public_id) AS k
                      FROM draw_entries z
                     WHERE z.draw_id = d.id AND z.status = 'waiting'
                       AND z.verified_at IS NOT NULL) y) r
     WHERE x.id = r.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    SELECT coalesce(sum(sl.capacity - sl.booked), 0)::integer INTO v_pl
      FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id WHERE ds.draw_id = d.id;
    UPDATE draws x SET status = 'drawn', seed_revealed = v_seed, drawn_at = now(), places = v_pl
     WHERE x.id = d.id;
    v_off := draw_allocate(d.id);
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, d.site_id, 'draw.run', d.id::text,
            jsonb_build_object('entries', v_n, 'places', v_pl, 'offers', v_off,
                               'seed', encode(v_seed, 'hex')));
    RETURN QUERY SELECT 'drawn'::text, v_off, v_n;
END
$$;
COMMENT ON FUNCTION draw_run(bigint, bigint) IS
    'Run a due draw in one transaction: check the seed against the commitment, rank verified entries by HMAC-SHA256(seed, public id), reveal the seed, make the offers; outcome drawn, too_early, already_drawn, forbidden or not_found.';

-- The draws whose time has come (creneau-admin draw-run runs each in its
-- own transaction).
CREATE OR REPLACE FUNCTION draws_due() RETURNS SETOF bigint
LANGUAGE sql STABLE
AS $$
    SELECT d.id FROM draws d WHERE d.status = 'scheduled' AND d.draw_at <= now() ORDER BY d.draw_at, d.id
$$;

-- Passes lapsed offers and released places down the draw order: runs
-- draw_allocate on every drawn draw with slots still to come, skipping a
-- draw another transaction holds. Returns the offers made.
CREATE OR REPLACE FUNCTION draw_sweep() RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id bigint;
    n    integer := 0;
BEGIN
    FOR v_id IN SELECT d.id FROM draws d
                 WHERE d.status = 'drawn'
                   AND EXISTS (SELECT 1 FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
                                WHERE ds.draw_id = d.id AND sl.starts_at > now())
                 ORDER BY d.drawn_at, d.id LOOP
        PERFORM 1 FROM draws d WHERE d.id = v_id FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        n := n + draw_allocate(v_id);
    END LOOP;
    RETURN n;
END
$$;
COMMENT ON FUNCTION draw_sweep() IS
    'Offer the places freed in drawn draws (lapsed offers, released cancellations) to the next entries in draw order; returns the offers made.';

------------------------------------------------------------------------------
-- What is public about a draw (/draw/<id>): before the draw, the
-- window, the number of places and the commitment; after it, the seed and
-- every ranked entry's public id, order key and rank.
CREATE OR REPLACE VIEW draw_public AS
    SELECT d.id, d.site_id, d.procedure_id, st.slug AS site_slug, st.name AS site_name,
           p.code AS procedure_code, p.name AS procedure_name, st.time_zone,
           d.registration_opens_at, d.registration_closes_at, d.draw_at, d.offer_hours,
           d.commitment, d.status, d.drawn_at,
           CASE WHEN d.status = 'drawn' THEN encode(d.seed_revealed, 'hex') END AS seed_hex,
           coalesce(d.places, (SELECT coalesce(sum(sl.capacity - sl.booked), 0)::integer
                                 FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
                                WHERE ds.draw_id = d.id)) AS places,
           (SELECT count(*)::integer FROM draw_entries e
             WHERE e.draw_id = d.id AND e.rank IS NOT NULL) AS ranked,
           now() >= d.registration_opens_at AND now() < d.registration_closes_at
               AND d.status = 'scheduled' AS registration_open
      FROM draws d
      JOIN sites st ON st.id = d.site_id
      JOIN procedures p ON p.id = d.procedure_id;
COMMENT ON VIEW draw_public IS
    'What anyone may see of a draw: window, places, commitment; the seed only once drawn (never draw_seeds).';

-- The published list of a drawn draw: public id, order key, rank, and
-- whether the entry got an offer (nothing personal).
CREATE OR REPLACE FUNCTION draw_results(p_draw_id bigint)
RETURNS TABLE (public_id text, order_key text, rank integer, offered boolean)
LANGUAGE sql STABLE
AS $$
    SELECT e.public_id, e.order_key, e.rank, e.booking_id IS NOT NULL
      FROM draw_entries e JOIN draws d ON d.id = e.draw_id
     WHERE e.draw_id = p_draw_id AND d.status = 'drawn' AND e.rank IS NOT NULL
     ORDER BY e.rank
$$;

-- The open (or next) draw of a site and procedure: the one whose window
-- is open, else the next to open, else the last drawn.
CREATE OR REPLACE FUNCTION draw_current(p_site_id bigint, p_procedure_id bigint) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT d.id FROM draws d
     WHERE d.site_id = p_site_id AND d.procedure_id = p_procedure_id
     ORDER BY (d.status = 'scheduled' AND now() >= d.registration_opens_at
               AND now() < d.registration_closes_at) DESC,
              (d.status = 'scheduled' AND now() < d.registration_opens_at) DESC,
              CASE WHEN d.status = 'scheduled' THEN d.registration_opens_at END ASC,
              d.draw_at DESC
     LIMIT 1
$$;

-- The contacts, identities and network digests seen at each site in the
-- last 90 days (draw entries and bookings).
CREATE OR REPLACE VIEW abuse_contacts AS
    SELECT e.site_id, e.draw_id, e.id AS entry_id, NULL::bigint AS booking_id,
           e.identity_key, lower(e.email) AS email, creneau_normalise_phone(e.phone) AS phone,
           e.network_digest, e.registered_at AS at
      FROM draw_entries e
     WHERE e.registered_at > now() - interval '90 days'
    UNION ALL
    SELECT b.site_id, NULL, NULL, b.id, b.identity_key, lower(b.email),
           creneau_normalise_phone(b.phone), b.network_digest, b.created_at
      FROM bookings b
     WHERE b.created_at > now() - interval '90 days';

-- One row per flag: site, kind, subject (what is shared: an e-mail, a
-- phone, a network digest, a domain, an identity), how many, and the
-- draw entries concerned (ids) that are still in a draw not yet run.
--   contact_identities: one e-mail or phone behind 3 identities or more
--   network_entries:    10 entries or more of one draw from one /24 or /64
--   disposable_email:   an e-mail of a listed disposable domain
--   cancel_burst:       3 cancellations or more of one identity (or
--                       e-mail) in 7 days
CREATE OR REPLACE VIEW abuse_flags AS
    WITH c AS (SELECT * FROM abuse_contacts)
    SELECT x.site_id, 'contact_identities'::text AS kind, x.subject,
           count(DISTINCT x.identity_key)::integer AS n,
           array_remove(array_agg(DISTINCT x.entry_id), NULL) AS entry_ids
      FROM (SELECT site_id, email AS subject, identity_key, entry_id FROM c WHERE email IS NOT NULL
            UNION ALL
            SELECT site_id, phone, identity_key, entry_id FROM c WHERE phone IS NOT NULL) x
     GROUP BY x.site_id, x.subject
    HAVING count(DISTINCT x.identity_key) >= 3
    UNION ALL
    SELECT e.site_id, 'network_entries', e.network_digest, count(*)::integer,
           array_agg(e.id ORDER BY e.id)
      FROM draw_entries e
     WHERE e.network_digest IS NOT NULL AND e.status NOT IN ('voided', 'withdrawn')
     GROUP BY e.site_id, e.draw_id, e.network_digest
    HAVING count(*) >= 10
    UNION ALL
    SELECT c.site_id, 'disposable_email', split_part(c.email, '@', 2), count(*)::integer,
           array_remove(array_agg(c.entry_id), NULL)
      FROM c JOIN disposable_domains dd ON dd.domain = split_part(c.email, '@', 2)
     GROUP BY c.site_id, split_part(c.email, '@', 2)
    UNION ALL
    SELECT b.site_id, 'cancel_burst', coalesce(lower(b.email), encode(b.identity_key, 'hex')),
           count(*)::integer,
           (SELECT array_agg(DISTINCT e.id) FROM draw_entries e
             WHERE e.site_id = b.site_id
               AND (e.identity_key = ANY (array_agg(b.identity_key))))
      FROM bookings b
     WHERE b.status = 'cancelled' AND b.cancelled_at > now() - interval '7 days'
     GROUP BY b.site_id, coalesce(lower(b.email), encode(b.identity_key, 'hex'))
    HAVING count(*) >= 3;
COMMENT ON VIEW abuse_flags IS
    'Clusters for the abuse review of a site: contact_identities, network_entries, disposable_email, cancel_burst; entry_ids lists the draw entries concerned.';

-- The flags of a site for the review page (supervisors and administrators
-- of the site; empty otherwise), with the entries concerned that can
-- still be voided: kind, subject, count, entry public ids (space
-- separated), draw ids.
CREATE OR REPLACE FUNCTION abuse_review(p_account bigint, p_site_id bigint)
RETURNS TABLE (kind text, subject text, n integer, voidable text)
LANGUAGE sql STABLE
AS $$
    SELECT f.kind, f.subject, f.n,
           coalesce((SELECT string_agg(e.public_id, ' ' ORDER BY e.public_id)
                       FROM draw_entries e JOIN draws d ON d.id = e.draw_id
                      WHERE e.id = ANY (f.entry_ids) AND d.status = 'scheduled'
                        AND e.status IN ('unverified', 'waiting')), '')
      FROM abuse_flags f
     WHERE f.site_id = p_site_id AND creneau_draw_staff_ok(p_account, p_site_id, true)
       AND p_account IS NOT NULL
     ORDER BY f.kind, f.n DESC, f.subject
$$;

-- Void an entry before its draw (supervisors of the site, administrators),
-- with an audit log entry. Outcomes: forbidden, not_found (no such entry
-- at this site), too_late (the draw has run, or the entry is no longer
-- unverified or waiting), voided.
CREATE OR REPLACE FUNCTION abuse_void_entry(p_account bigint, p_site_id bigint, p_public_id text,
                                 p_reason text)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    e draw_entries%ROWTYPE;
    d draws%ROWTYPE;
BEGIN
    IF p_account IS NULL OR NOT creneau_draw_staff_ok(p_account, p_site_id, true) THEN
        RETURN QUERY SELECT 'forbidden'::text;
        RETURN;
    END IF;
    SELECT x.* INTO e FROM draw_entries x WHERE x.public_id = p_public_id AND x.site_id = p_site_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    SELECT x.* INTO d FROM draws x WHERE x.id = e.draw_id FOR SHARE;
    SELECT x.* INTO e FROM draw_entries x WHERE x.id = e.id FOR UPDATE;
    IF d.status <> 'scheduled' OR e.status NOT IN ('unverified', 'waiting') THEN
        RETURN QUERY SELECT 'too_late'::text;
        RETURN;
    END IF;
    UPDATE draw_entries x SET status = 'voided', ended_at = now(), voided_by = p_account
     WHERE x.id = e.id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw.entry_voided', e.public_id,
            jsonb_build_object('draw', e.draw_id, 'reason', left(coalesce(p_reason, ''), 200)));
    RETURN QUERY SELECT 'voided'::text;
END
$$;

-- Add or remove a disposable domain (supervisors of the site and
-- administrators; logged with the site the page was on). Outcomes:
-- forbidden, invalid, added / removed, unchanged.
CREATE OR REPLACE FUNCTION disposable_domain_set(p_account bigint, p_site_id bigint, p_domain text,
                                      p_listed boolean)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v text := lower(btrim(coalesce(p_domain, '')));
    n integer;
BEGIN
    IF p_account IS NULL OR NOT creneau_draw_staff_ok(p_account, p_site_id, true) THEN
        RETURN QUERY SELECT 'forbidden'::text;
        RETURN;
    END IF;
    IF v !~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$' OR length(v) > 253 THEN
        RETURN QUERY SELECT 'invalid'::text;
        RETURN;
    END IF;
    IF p_listed THEN
        INSERT INTO disposable_domains (domain, added_by) VALUES (v, p_account)
        ON CONFLICT (domain) DO NOTHING;
    ELSE
        DELETE FROM disposable_domains dd WHERE dd.domain = v;
    END IF;
    GET DIAGNOSTICS n = ROW_COUNT;
    IF n = 0 THEN
        RETURN QUERY SELECT 'unchanged'::text;
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object)
    VALUES (p_account, p_site_id,
            CASE WHEN p_listed THEN 'abuse.domain_added' ELSE 'abuse.domain_removed' END, v);
    RETURN QUERY SELECT CASE WHEN p_listed THEN 'added' ELSE 'removed' END;
END
$$;

-- The settings in force for a pair: its own row, else the global one.
CREATE OR REPLACE FUNCTION creneau_draw_switch_setting(p_site_id bigint, p_procedure_id bigint)
RETURNS draw_switch_settings
LANGUAGE sql STABLE
AS $$
    SELECT s.* FROM draw_switch_settings s
     WHERE (s.site_id = p_site_id AND s.procedure_id = p_procedure_id)
        OR (s.site_id IS NULL AND s.procedure_id IS NULL)
     ORDER BY s.site_id NULLS LAST
     LIMIT 1
$$;

-- How the next publication of a pair is allocated: 'draw' when the
-- procedure is allocated by draw at the site, else the override,
-- else the automatic mode.
CREATE OR REPLACE FUNCTION creneau_next_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw' THEN 'draw'
                ELSE coalesce((SELECT CASE WHEN w.override = 'auto' THEN w.auto_mode ELSE w.override END
                                 FROM draw_switch w
                                WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id),
                              'open') END
$$;
COMMENT ON FUNCTION creneau_next_mode(bigint, bigint) IS
    'draw or open: how the batches of a pair still to be published are allocated (procedure mode, staff override, automatic switch).';

-- What the public procedure page offers: 'draw' when the pair is allocated
-- by draw or a draw of the pair takes registrations now or will (its
-- page, /site/<site>/<procedure>/draw, shows the window to come).
CREATE OR REPLACE FUNCTION creneau_public_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw'
                  OR EXISTS (SELECT 1 FROM draws d
                              WHERE d.site_id = p_site_id AND d.procedure_id = p_procedure_id
                                AND d.status = 'scheduled' AND d.registration_closes_at > now())
                THEN 'draw' ELSE creneau_allocation_mode(p_site_id, p_procedure_id) END
$$;

------------------------------------------------------------------------------
-- A batch becomes a draw, a draw becomes a batch again.

-- Makes the batch of a pair published at p_batch a draw: registration
-- from p_batch for registration_minutes, the draw when it closes; the
-- slots of the batch that start after the draw plus the offer time and
-- have a free place are the draw's (the others stay first-come). The seed
-- and commitment as in draw_schedule. Returns the draw id, or NULL
-- when no slot qualifies.
CREATE OR REPLACE FUNCTION draw_switch_batch_to_draw(p_site_id bigint, p_procedure_id bigint,
                                          p_batch timestamptz, p_account bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    cfg     draw_switch_settings;
    v_seed  bytea := gen_random_bytes(32);
    v_hex   text;
    v_close timestamptz;
    v_id    bigint;
    v_n     integer;
BEGIN
    cfg := creneau_draw_switch_setting(p_site_id, p_procedure_id);
    v_close := p_batch + make_interval(mins => cfg.registration_minutes);
    IF NOT EXISTS (SELECT 1 FROM slots s
                    WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
                      AND s.published_at = p_batch
                      AND s.starts_at > v_close + make_interval(hours => cfg.offer_hours)
                      AND s.booked < s.capacity
                      AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)) THEN
        RETURN NULL;
    END IF;
    v_hex := encode(sha256(v_seed), 'hex');
    INSERT INTO draws (site_id, procedure_id, registration_opens_at, registration_closes_at,
                       draw_at, offer_hours, commitment, created_by, auto_batch)
    VALUES (p_site_id, p_procedure_id, p_batch, v_close, v_close, cfg.offer_hours, v_hex,
            p_account, p_batch)
    RETURNING id INTO v_id;
    INSERT INTO draw_seeds (draw_id, seed) VALUES (v_id, v_seed);
    INSERT INTO draw_slots (draw_id, slot_id)
    SELECT v_id, s.id FROM slots s
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at = p_batch
       AND s.starts_at > v_close + make_interval(hours => cfg.offer_hours)
       AND s.booked < s.capacity
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
     ORDER BY s.id
       FOR UPDATE OF s;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE slots s SET published_at = NULL
      FROM draw_slots ds WHERE ds.draw_id = v_id AND ds.slot_id = s.id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw.scheduled', v_id::text,
            jsonb_build_object('slots', v_n, 'commitment', v_hex, 'draw_at', v_close,
                               'automatic', true, 'procedure', p_procedure_id,
                               'batch', p_batch));
    RETURN v_id;
END
$$;

-- Undoes draw_switch_batch_to_draw for a draw whose registration has not
-- opened and that has no entry: the draw goes, its slots are published at
-- the batch's time again. Returns true when done.
CREATE OR REPLACE FUNCTION draw_switch_draw_to_batch(p_draw_id bigint, p_account bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    d     draws%ROWTYPE;
    v_ids bigint[];
BEGIN
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id FOR UPDATE;
    IF NOT FOUND OR d.auto_batch IS NULL OR d.status <> 'scheduled'
       OR d.registration_opens_at <= now()
       OR EXISTS (SELECT 1 FROM draw_entries e WHERE e.draw_id = d.id) THEN
        RETURN false;
    END IF;
    SELECT array_agg(ds.slot_id ORDER BY ds.slot_id) INTO v_ids
      FROM draw_slots ds WHERE ds.draw_id = d.id;
    DELETE FROM draw_slots ds WHERE ds.draw_id = d.id;
    DELETE FROM draw_seeds x WHERE x.draw_id = d.id;
    DELETE FROM draws x WHERE x.id = d.id;
    UPDATE slots s SET published_at = d.auto_batch WHERE s.id = ANY (v_ids);
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, d.site_id, 'draw.unscheduled', d.id::text,
            jsonb_build_object('automatic', true, 'procedure', d.procedure_id,
                               'batch', d.auto_batch, 'slots', coalesce(cardinality(v_ids), 0)));
    RETURN true;
END
$$;

-- Brings the batches of a pair in line with its next mode: in draw mode,
-- every batch still to be published becomes a draw; in first-come mode,
-- every automatic draw not yet open becomes a batch again. Returns the
-- number of batches changed.
CREATE OR REPLACE FUNCTION draw_switch_apply(p_site_id bigint, p_procedure_id bigint, p_account bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_batch timestamptz;
    v_id    bigint;
    n       integer := 0;
BEGIN
    IF creneau_allocation_mode(p_site_id, p_procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN 0;           -- not offered, or allocated by draw anyway (013)
    END IF;
    IF creneau_next_mode(p_site_id, p_procedure_id) = 'draw' THEN
        FOR v_batch IN SELECT DISTINCT s.published_at FROM slots s
                        WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
                          AND s.published_at > now() AND s.starts_at > now()
                          AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
                        ORDER BY 1 LOOP
            IF draw_switch_batch_to_draw(p_site_id, p_procedure_id, v_batch, p_account) IS NOT NULL THEN
                n := n + 1;
            END IF;
        END LOOP;
    ELSE
        FOR v_id IN SELECT d.id FROM draws d
                     WHERE d.site_id = p_site_id AND d.procedure_id = p_procedure_id
                       AND d.auto_batch IS NOT NULL AND d.status = 'scheduled'
                       AND d.registration_opens_at > now()
                     ORDER BY d.id LOOP
            IF draw_switch_draw_to_batch(v_id, p_account) THEN
                n := n + 1;
            END IF;
        END LOOP;
    END IF;
    RETURN n;
END
$$;

-- Sets the automatic mode of a pair (with its reason), logs it, and
-- applies it when it changes what the next publication is.
CREATE OR REPLACE FUNCTION draw_switch_set_auto(p_site_id bigint, p_procedure_id bigint, p_mode text,
                                     p_reason jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_before text := creneau_next_mode(p_site_id, p_procedure_id);
    v_old    text;
    v_n      integer := 0;
BEGIN
    SELECT w.auto_mode INTO v_old FROM draw_switch w
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id FOR UPDATE;
    INSERT INTO draw_switch AS w (site_id, procedure_id, auto_mode, reason, changed_at)
    VALUES (p_site_id, p_procedure_id, p_mode, p_reason, now())
    ON CONFLICT (site_id, procedure_id)
    DO UPDATE SET auto_mode = EXCLUDED.auto_mode, reason = EXCLUDED.reason, changed_at = now();
    IF creneau_next_mode(p_site_id, p_procedure_id) IS DISTINCT FROM v_before THEN
        v_n := draw_switch_apply(p_site_id, p_procedure_id, NULL);
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (NULL, p_site_id, 'draw_switch.auto', 'procedure:' || p_procedure_id,
            p_reason || jsonb_build_object('from', coalesce(v_old, 'open'), 'to', p_mode,
                                           'next_mode', creneau_next_mode(p_site_id, p_procedure_id),
                                           'batches_changed', v_n));
END
$$;

------------------------------------------------------------------------------
-- The rules.

-- A slot of a first-come release gets its last online place taken: if the
-- release was published less than sellout_minutes ago and none of its
-- future slots has an online place left, it sold out fast: the pair
-- switches to draws.
CREATE OR REPLACE FUNCTION creneau_draw_switch_sellout() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    cfg      draw_switch_settings;
    v_places integer;
BEGIN
    IF NEW.published_at IS NULL OR NEW.published_at > now() OR NEW.booked <= OLD.booked THEN
        RETURN NULL;
    END IF;
    cfg := creneau_draw_switch_setting(NEW.site_id, NEW.procedure_id);
    IF cfg.sellout_minutes IS NULL OR cfg.sellout_minutes = 0
       OR now() - NEW.published_at > make_interval(mins => cfg.sellout_minutes)
       OR creneau_slot_channel_free(NEW, 'online') > 0
       OR creneau_allocation_mode(NEW.site_id, NEW.procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN NULL;
    END IF;
    -- The last fills of a release may run at once: one at a time per pair,
    -- each statement below seeing the others' committed fills.
    PERFORM pg_advisory_xact_lock(3401, hashtext(NEW.site_id || ':' || NEW.procedure_id));
    IF EXISTS (SELECT 1 FROM draw_switch_sellouts x
                WHERE x.site_id = NEW.site_id AND x.procedure_id = NEW.procedure_id
                  AND x.published_at = NEW.published_at)
       OR EXISTS (SELECT 1 FROM slots s
                   WHERE s.site_id = NEW.site_id AND s.procedure_id = NEW.procedure_id
                     AND s.published_at = NEW.published_at AND s.starts_at > now()
                     AND s.id <> NEW.id AND creneau_slot_channel_free(s, 'online') > 0) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(s.capacity), 0)::integer INTO v_places FROM slots s
     WHERE s.site_id = NEW.site_id AND s.procedure_id = NEW.procedure_id
       AND s.published_at = NEW.published_at;
    -- The booking that took the last place must not fail because of the
    -- switch: an error here is logged and the switch left as it was.
    BEGIN
        INSERT INTO draw_switch_sellouts (site_id, procedure_id, published_at, places, sold_out_at)
        VALUES (NEW.site_id, NEW.procedure_id, NEW.published_at, v_places, now());
        PERFORM draw_switch_set_auto(NEW.site_id, NEW.procedure_id, 'draw',
            jsonb_build_object('kind', 'sold_out', 'release', NEW.published_at,
                               'places', v_places,
                               'seconds', floor(extract(epoch FROM now() - NEW.published_at))::integer,
                               'limit_minutes', cfg.sellout_minutes));
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'draw switch of site % procedure %: % (%)', NEW.site_id, NEW.procedure_id,
            SQLERRM, SQLSTATE;
    END;
    RETURN NULL;
END
$$;

CREATE TRIGGER slots_draw_switch_sellout AFTER UPDATE OF booked ON slots
    FOR EACH ROW WHEN (NEW.booked > OLD.booked AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION creneau_draw_switch_sellout();

-- A draw has run (checked at commit, once its offers are made): if places
-- are left over, the pair goes back to first-come, and the draw's slots
-- that nobody got are published at once.
CREATE OR REPLACE FUNCTION creneau_draw_switch_left_over() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_left  integer;
    v_ids   bigint[];
BEGIN
    IF NEW.auto_batch IS NULL
       OR creneau_allocation_mode(NEW.site_id, NEW.procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(sl.capacity - sl.booked), 0)::integer INTO v_left
      FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
     WHERE ds.draw_id = NEW.id AND sl.starts_at > now();
    IF v_left <= 0 THEN
        RETURN NULL;
    END IF;
    PERFORM draw_switch_set_auto(NEW.site_id, NEW.procedure_id, 'open',
        jsonb_build_object('kind', 'left_over', 'draw', NEW.id,
                           'places', coalesce(NEW.places, 0), 'left', v_left));
    IF creneau_next_mode(NEW.site_id, NEW.procedure_id) = 'open' THEN
        SELECT array_agg(sl.id ORDER BY sl.id) INTO v_ids
          FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
         WHERE ds.draw_id = NEW.id AND sl.starts_at > now() AND sl.booked = 0
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = sl.id);
        IF v_ids IS NOT NULL THEN
            DELETE FROM draw_slots ds WHERE ds.draw_id = NEW.id AND ds.slot_id = ANY (v_ids);
            UPDATE slots s SET published_at = now() WHERE s.id = ANY (v_ids);
            INSERT INTO draw_switch_sellouts (site_id, procedure_id, published_at, places, left_over)
            SELECT NEW.site_id, NEW.procedure_id, now(), sum(s.capacity)::integer, true
              FROM slots s WHERE s.id = ANY (v_ids)
            ON CONFLICT DO NOTHING;
            INSERT INTO audit_log (account_id, site_id, action, object, details)
            VALUES (NULL, NEW.site_id, 'draw.left_over_published', NEW.id::text,
                    jsonb_build_object('slots', cardinality(v_ids), 'procedure', NEW.procedure_id));
        END IF;
    END IF;
    RETURN NULL;
END
$$;

CREATE CONSTRAINT TRIGGER draws_draw_switch_left_over AFTER UPDATE OF status ON draws
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'scheduled' AND NEW.status = 'drawn')
    EXECUTE FUNCTION creneau_draw_switch_left_over();

-- Slots generated for a later publication while a pair is in draw mode
-- become a draw at once.
CREATE OR REPLACE FUNCTION creneau_draw_switch_new_slots() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT DISTINCT n.site_id, n.procedure_id FROM new_slots n
              WHERE n.published_at > now() LOOP
        IF creneau_next_mode(p.site_id, p.procedure_id) = 'draw' THEN
            PERFORM draw_switch_apply(p.site_id, p.procedure_id, NULL);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;

CREATE TRIGGER slots_draw_switch_new AFTER INSERT ON slots
    REFERENCING NEW TABLE AS new_slots
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_draw_switch_new_slots();

------------------------------------------------------------------------------
-- Staff.

-- Forces first-come or draws for the next publications of a pair, or
-- gives it back to the automatic rule (p_mode auto, open or draw), with an
-- audit entry. Agents and supervisors of the site, administrators.
-- Outcomes: set (batches changed), unchanged, forbidden, no_procedure
-- (not offered at the site), by_draw (the procedure is allocated by draw
-- there anyway), invalid.
CREATE OR REPLACE FUNCTION draw_switch_override(p_account bigint, p_site_id bigint, p_procedure_id bigint,
                                     p_mode text)
RETURNS TABLE (outcome text, changed integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_before text;
    v_old    text;
    v_n      integer := 0;
BEGIN
    IF NOT creneau_draw_staff_ok(p_account, p_site_id, false) OR p_account IS NULL THEN
        RETURN QUERY SELECT 'forbidden'::text, 0;
        RETURN;
    END IF;
    IF p_mode IS NULL OR p_mode NOT IN ('auto', 'open', 'draw') THEN
        RETURN QUERY SELECT 'invalid'::text, 0;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM site_procedures sp
                    WHERE sp.site_id = p_site_id AND sp.procedure_id = p_procedure_id) THEN
        RETURN QUERY SELECT 'no_procedure'::text, 0;
        RETURN;
    END IF;
    IF creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw' THEN
        RETURN QUERY SELECT 'by_draw'::text, 0;
        RETURN;
    END IF;
    INSERT INTO draw_switch (site_id, procedure_id) VALUES (p_site_id, p_procedure_id)
    ON CONFLICT (site_id, procedure_id) DO NOTHING;
    SELECT w.override INTO v_old FROM draw_switch w
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id FOR UPDATE;
    IF v_old = p_mode THEN
        RETURN QUERY SELECT 'unchanged'::text, 0;
        RETURN;
    END IF;
    v_before := creneau_next_mode(p_site_id, p_procedure_id);
    UPDATE draw_switch w SET override = p_mode, override_by = p_account, override_at = now()
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id;
    IF creneau_next_mode(p_site_id, p_procedure_id) IS DISTINCT FROM v_before THEN
        v_n := draw_switch_apply(p_site_id, p_procedure_id, p_account);
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw_switch.override', 'procedure:' || p_procedure_id,
            jsonb_build_object('from', v_old, 'to', p_mode,
                               'next_mode', creneau_next_mode(p_site_id, p_procedure_id),
                               'batches_changed', v_n));
    RETURN QUERY SELECT 'set'::text, v_n;
END
$$;
COMMENT ON FUNCTION draw_switch_override(bigint, bigint, bigint, text) IS
    'Staff override of the draw switch of a pair (auto, open, draw), audited; outcome set, unchanged, forbidden, no_procedure, by_draw or invalid.';

-- The switch of each procedure of a site, for its staff: procedure id,
-- name, next mode, override, automatic mode, reason kind, release
-- (local), places, seconds, draw, places left, sellout limit, changed at
-- (local).
CREATE OR REPLACE FUNCTION draw_switch_status(p_account bigint, p_site_id bigint)
RETURNS TABLE (procedure_id bigint, name text, next_mode text, override text, auto_mode text,
               reason_kind text, release_local text, places integer, seconds integer,
               draw_id bigint, places_left integer, limit_minutes integer, changed_local text,
               by_draw boolean)
LANGUAGE sql STABLE
AS $$
    SELECT p.id, p.name, creneau_next_mode(sp.site_id, p.id),
           coalesce(w.override, 'auto'), coalesce(w.auto_mode, 'open'),
           coalesce(w.reason ->> 'kind', ''),
           coalesce(to_char((w.reason ->> 'release')::timestamptz AT TIME ZONE st.time_zone,
                            'YYYY-MM-DD HH24:MI:SS'), ''),
           (w.reason ->> 'places')::integer, (w.reason ->> 'seconds')::integer,
           (w.reason ->> 'draw')::bigint, (w.reason ->> 'left')::integer,
           (creneau_draw_switch_setting(sp.site_id, p.id)).sellout_minutes,
           coalesce(to_char(w.changed_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'), ''),
           creneau_allocation_mode(sp.site_id, p.id) = 'draw'
      FROM site_procedures sp
      JOIN procedures p ON p.id = sp.procedure_id
      JOIN sites st ON st.id = sp.site_id
      LEFT JOIN draw_switch w ON w.site_id = sp.site_id AND w.procedure_id = sp.procedure_id
     WHERE sp.site_id = p_site_id AND staff_can_site(p_account, sp.site_id)
     ORDER BY p.name, p.id
$$;
