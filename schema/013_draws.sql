-- 013_draws.sql: fair allocation by audited draws (issue 4, the draw part):
-- the allocation mode per site, draws and their secret seeds, entries and
-- their verification, the draw itself, offers passing down the draw order,
-- the published results, and the abuse review (flags, disposable e-mail
-- domains, voiding entries).
--
-- The procedure of a draw (doc/draw.md says it for the public):
--   * at scheduling, 32 random bytes (gen_random_bytes) become the seed; it
--     is kept in draw_seeds, which only draw_run reads; draws.commitment,
--     public from the start, is the lower-case hex SHA-256 of the seed;
--   * each entry has a public id: 16 lower-case hex digits, random, not
--     derived from the person;
--   * draw_run, in one transaction: checks sha256(seed) = commitment,
--     computes for every verified, non-voided entry
--     order_key = hex(HMAC-SHA256(key = seed, message = public id as ASCII)),
--     ranks the entries by order_key ascending (then public id, never
--     needed), copies the seed into draws.seed_revealed, and offers the
--     free places of the draw's slots (earliest slot first) down the order;
--   * the places of offers that lapse or bookings cancelled later go to
--     the next waiting entry (draw_sweep), never to open booking: slots of a
--     draw are never bookable by booking_hold.
-- Entries that got nothing stay waiting, in their order, for the next
-- draw of the same site and procedure: its places go to them first (older
-- draws first), then to its own entries.
--
-- Lock order (as in 004): advisory lock on a form's idempotency key, the
-- draw row, slot rows by id, booking rows, entry rows.

------------------------------------------------------------------------------
-- 1. Allocation mode per site: NULL = the procedure's.
ALTER TABLE site_procedures
    ADD COLUMN allocation_mode text
        CONSTRAINT site_procedures_allocation_mode_valid CHECK (allocation_mode IN ('open', 'draw'));
COMMENT ON COLUMN site_procedures.allocation_mode IS
    'Overrides procedures.allocation_mode at this site (NULL: the procedure''s mode).';

-- The mode in force for a procedure at a site (NULL when the site does
-- not offer it).
CREATE OR REPLACE FUNCTION creneau_allocation_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(sp.allocation_mode, p.allocation_mode)
      FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
     WHERE sp.site_id = p_site_id AND sp.procedure_id = p_procedure_id
$$;
COMMENT ON FUNCTION creneau_allocation_mode(bigint, bigint) IS
    'Effective allocation mode (open or draw) of a procedure at a site: the site''s override, else the procedure''s.';

------------------------------------------------------------------------------
-- 2. Draws.
CREATE TABLE draws (
    id                     bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id                bigint NOT NULL,
    procedure_id           bigint NOT NULL,
    registration_opens_at  timestamptz NOT NULL,
    registration_closes_at timestamptz NOT NULL,
    draw_at                timestamptz NOT NULL,
    offer_hours            integer NOT NULL CHECK (offer_hours BETWEEN 1 AND 720),
    commitment             text NOT NULL CHECK (commitment ~ '^[0-9a-f]{64}$'),
    status                 text NOT NULL DEFAULT 'scheduled'
                           CONSTRAINT draws_status_valid CHECK (status IN ('scheduled', 'drawn')),
    seed_revealed          bytea CHECK (length(seed_revealed) = 32),
    drawn_at               timestamptz,
    places                 integer CHECK (places >= 0),
    created_by             bigint REFERENCES staff_accounts (id),
    created_at             timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT draws_window CHECK (registration_opens_at < registration_closes_at
                                   AND registration_closes_at <= draw_at),
    CONSTRAINT draws_revealed_when_drawn CHECK ((status = 'drawn') = (seed_revealed IS NOT NULL)
                                                AND (status = 'drawn') = (drawn_at IS NOT NULL)),
    CONSTRAINT draws_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
CREATE INDEX draws_site_procedure_idx ON draws (site_id, procedure_id, draw_at);
CREATE INDEX draws_due_idx ON draws (draw_at) WHERE status = 'scheduled';
COMMENT ON TABLE draws IS
    'A batch of slots allocated by an audited draw among the entries registered in a window; commitment = hex(sha256(seed)) is public from the start, seed_revealed once drawn.';

-- The secret seeds: read by draw_run only, never by a page.
CREATE TABLE draw_seeds (
    draw_id bigint PRIMARY KEY REFERENCES draws (id),
    seed    bytea NOT NULL CHECK (length(seed) = 32)
);
COMMENT ON TABLE draw_seeds IS
    'The 32-byte random seed of each draw; secret until the draw (only draw_run reads it; draws.seed_revealed is the public copy afterwards).';

CREATE TABLE draw_slots (
    draw_id bigint NOT NULL REFERENCES draws (id),
    slot_id bigint NOT NULL UNIQUE REFERENCES slots (id),
    PRIMARY KEY (draw_id, slot_id)
);
COMMENT ON TABLE draw_slots IS
    'The slots of a draw''s batch; a slot belongs to at most one draw and is never bookable directly.';

------------------------------------------------------------------------------
-- 3. Entries.
CREATE TABLE draw_entries (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    draw_id          bigint NOT NULL REFERENCES draws (id),
    site_id          bigint NOT NULL REFERENCES sites (id),
    procedure_id     bigint NOT NULL REFERENCES procedures (id),
    public_id        text NOT NULL UNIQUE CHECK (public_id ~ '^[0-9a-f]{16}$'),
    token_hash       bytea NOT NULL UNIQUE CHECK (length(token_hash) = 32),
    identity_key     bytea NOT NULL CHECK (length(identity_key) = 32),
    surname          text NOT NULL CHECK (btrim(surname) <> '' AND length(surname) <= 200),
    given_names      text NOT NULL CHECK (length(given_names) <= 200),
    birth_date       date NOT NULL,
    agdref           text CHECK (agdref ~ '^[0-9]{10}$'),
    email            text CHECK (length(email) <= 254),
    phone            text CHECK (length(phone) <= 32),
    lang             text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    network_digest   text CHECK (network_digest ~ '^[0-9a-f]{32}$'),
    status           text NOT NULL DEFAULT 'unverified'
                     CONSTRAINT draw_entries_status_valid
                     CHECK (status IN ('unverified', 'waiting', 'offered', 'won', 'lapsed',
                                       'cancelled', 'withdrawn', 'voided', 'expired')),
    code_hash        bytea NOT NULL CHECK (length(code_hash) = 32),
    confirm_attempts integer NOT NULL DEFAULT 0 CHECK (confirm_attempts >= 0),
    idempotency_key  text UNIQUE CHECK (length(idempotency_key) <= 200),
    registered_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
    verified_at      timestamptz,
    order_key        text CHECK (order_key ~ '^[0-9a-f]{64}$'),
    rank             integer CHECK (rank > 0),
    booking_id       bigint REFERENCES bookings (id),
    offered_at       timestamptz,
    ended_at         timestamptz,
    voided_by        bigint REFERENCES staff_accounts (id),
    CONSTRAINT draw_entries_contact_required CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CONSTRAINT draw_entries_offer_has_booking CHECK (status NOT IN ('offered', 'won') OR booking_id IS NOT NULL),
    CONSTRAINT draw_entries_one_per_identity UNIQUE (draw_id, identity_key),
    CONSTRAINT draw_entries_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
-- One active entry per identity and procedure (any draw, any site), as
-- for bookings: a waiting entry carried to the next draw blocks a second.
CREATE UNIQUE INDEX draw_entries_identity_active_key ON draw_entries (identity_key, procedure_id)
    WHERE status IN ('unverified', 'waiting', 'offered');
CREATE INDEX draw_entries_draw_rank_idx ON draw_entries (draw_id, rank);
CREATE INDEX draw_entries_booking_idx ON draw_entries (booking_id) WHERE booking_id IS NOT NULL;
CREATE INDEX draw_entries_email_idx ON draw_entries (lower(email));
CREATE INDEX draw_entries_phone_idx ON draw_entries (creneau_normalise_phone(phone));
CREATE INDEX draw_entries_network_idx ON draw_entries (draw_id, network_digest);
COMMENT ON TABLE draw_entries IS
    'A person registered for a draw: counts once verified (code sent to the contact); public_id is the pseudonym published with the results; network_digest is a keyed digest of the client''s /24 (IPv4) or /64 (IPv6), never the address.';

-- Identity fields of an entry never change.
CREATE FUNCTION creneau_draw_entries_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
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

-- A keyed digest of the client's network prefix on bookings too (filled
-- by the pages that know it; NULL otherwise).
ALTER TABLE bookings ADD COLUMN network_digest text
    CONSTRAINT bookings_network_digest_format CHECK (network_digest ~ '^[0-9a-f]{32}$');

INSERT INTO outbox_kinds (kind, description) VALUES
    ('draw_code', 'the code (and link) verifying a draw entry'),
    ('draw_offer', 'a draw entry won a place: confirm it with the code before the deadline');

------------------------------------------------------------------------------
-- 4. Bookability: slots of an effective draw procedure, or of a draw,
-- are never booked directly (listing and booking_hold).
CREATE OR REPLACE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE st.time_zone, creneau_slot_free(s)
      FROM slots s
      JOIN sites st ON st.id = s.site_id
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at <= now() AND s.starts_at > now()
       AND creneau_allocation_mode(p_site_id, p_procedure_id) = 'open'
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
       AND creneau_slot_free(s) > 0
$$;

-- Slots of an open procedure that a site allocates by draw (its
-- override), and slots of a draw, are never published: booking_hold checks
-- the procedure's own mode, and it and every public listing only offer
-- published slots, so a site that switches a procedure to draws cannot
-- leak its places to first-come booking. (Procedures whose own mode is
-- draw are refused by booking_hold already.)
CREATE FUNCTION creneau_slots_draw_unpublished() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.published_at IS NOT NULL
       AND ((creneau_allocation_mode(NEW.site_id, NEW.procedure_id) = 'draw'
             AND (SELECT p.allocation_mode FROM procedures p WHERE p.id = NEW.procedure_id) = 'open')
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
CREATE FUNCTION creneau_mode_to_draw() RETURNS trigger
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
-- 5. Helpers.

-- A uniformly random 6-digit code (rejection sampling over 4 bytes).
CREATE FUNCTION creneau_random_code() RETURNS text
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
CREATE FUNCTION creneau_draw_order_key(p_seed bytea, p_public_id text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT encode(hmac(convert_to(p_public_id, 'UTF8'), p_seed, 'sha256'), 'hex')
$$;
COMMENT ON FUNCTION creneau_draw_order_key(bytea, text) IS
    'hex(HMAC-SHA256(key = seed, message = public id)): entries are drawn in ascending order of this key (doc/draw.md).';

-- What the messages about an entry need.
CREATE FUNCTION creneau_draw_entry_payload(p_entry_id bigint) RETURNS jsonb
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

-- Queues one message about an entry per channel (keyed, so a retry adds
-- nothing).
CREATE FUNCTION creneau_draw_outbox_add(p_kind text, p_entry_id bigint, p_extra jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key)
    SELECT p_kind, c.channel, c.recipient, e.lang,
           creneau_draw_entry_payload(e.id) || coalesce(p_extra, '{}'::jsonb),
           p_kind || ':' || e.id || ':' || c.channel
      FROM draw_entries e
     CROSS JOIN LATERAL (VALUES ('email', btrim(e.email)),
                                ('sms', creneau_normalise_phone(e.phone))) AS c (channel, recipient)
     WHERE e.id = p_entry_id AND c.recipient IS NOT NULL
    ON CONFLICT (idempotency_key) DO NOTHING
$$;

-- Whether an account may manage draws of a site (agents, supervisors of
-- the site, administrators); p_supervise: supervisors and administrators
-- only. A NULL account is the operator (creneau-admin).
CREATE FUNCTION creneau_draw_staff_ok(p_account bigint, p_site_id bigint, p_supervise boolean)
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
-- 6. Scheduling a draw.
--
-- Attaches to a new draw every slot of the site and procedure whose local
-- day is between p_from and p_to, that starts after the draw plus the
-- offer deadline, has a free place and belongs to no draw; takes them off
-- publication. The seed: 32 bytes of gen_random_bytes, stored in
-- draw_seeds; the commitment (hex SHA-256 of the seed) is public.
-- Outcomes: forbidden, not_draw (the procedure is not allocated by draw at
-- this site), bad_window, no_slots, scheduled (draw id, commitment).
CREATE FUNCTION draw_schedule(p_account bigint, p_site_id bigint, p_procedure_id bigint,
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

------------------------------------------------------------------------------
-- 7. Registering (the public form, /site/<site>/<procedure>/draw).
--
-- Outcomes, in the order they are checked:
--   replayed           this form (idempotency key) was already sent: refused
--   not_found          no such draw
--   closed             outside the registration window
--   contact_required   neither e-mail nor phone
--   agdref_required, agdref_unknown  as for booking
--   identity_active    the identity has an active booking for the procedure
--   already_registered the identity already has an entry in this draw
--                      (whatever its state: withdrawn and voided included)
--   already_entered    the identity has an active entry in another draw of
--                      the procedure (e.g. waiting from an earlier draw)
--   registered         done: entry unverified, a draw_code message queued
-- Registration time is recorded (registered_at) and plays no part in the
-- draw.
CREATE FUNCTION draw_register(p_draw_id bigint, p_secret bytea, p_surname text,
                              p_given_names text, p_birth_date date, p_agdref text,
                              p_email text, p_phone text, p_lang text,
                              p_idempotency_key text, p_token text, p_code text,
                              p_network_digest text)
RETURNS TABLE (outcome text, entry_id bigint, public_id text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key    text := nullif(btrim(p_idempotency_key), '');
    v_email  text := nullif(btrim(p_email), '');
    v_phone  text := nullif(btrim(p_phone), '');
    v_agdref text := nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '');
    d        draws%ROWTYPE;
    v_proc   procedures%ROWTYPE;
    v_ident  bytea;
    v_id     bigint;
    v_pub    text;
    v_cons   text;
BEGIN
    IF p_secret IS NULL OR length(p_secret) < 16 THEN
        RAISE EXCEPTION 'draw_register: the identity secret must be at least 16 bytes'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' OR p_token IS NULL OR length(p_token) < 16 THEN
        RAISE EXCEPTION 'draw_register: a 6-digit code and a token are needed'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(3001, hashtext(v_key));
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
    IF v_email IS NULL AND v_phone IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT p.* INTO v_proc FROM procedures p WHERE p.id = d.procedure_id;
    IF v_proc.requires_agdref THEN
        IF v_agdref IS NULL THEN
            RETURN QUERY SELECT 'agdref_required'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM agdref_numbers a WHERE a.number = v_agdref) THEN
            RETURN QUERY SELECT 'agdref_unknown'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;
    v_ident := creneau_identity_key(p_secret,
                                    CASE WHEN v_proc.requires_agdref THEN v_agdref END,
                                    p_surname, p_given_names, p_birth_date);
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
                                      email, phone, lang, network_digest, code_hash,
                                      idempotency_key)
            VALUES (d.id, d.site_id, d.procedure_id, v_pub, sha256(convert_to(p_token, 'UTF8')),
                    v_ident, btrim(p_surname), btrim(coalesce(p_given_names, '')), p_birth_date,
                    CASE WHEN v_proc.requires_agdref THEN v_agdref END, v_email, v_phone,
                    coalesce(nullif(p_lang, ''), 'fr'), nullif(p_network_digest, ''),
                    sha256(convert_to(p_code, 'UTF8')), v_key)
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
COMMENT ON FUNCTION draw_register(bigint, bytea, text, text, date, text, text, text, text, text, text, text, text) IS
    'Register an identity for a draw (unverified until the code is typed); outcome registered, replayed, not_found, closed, contact_required, agdref_required, agdref_unknown, identity_active, already_registered or already_entered.';

-- The entry a secret link leads to (NULL when none).
CREATE FUNCTION draw_entry_by_token(p_token text) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT e.id FROM draw_entries e WHERE e.token_hash = sha256(convert_to(p_token, 'UTF8'))
$$;

-- Verify an entry with the code sent. Outcomes: not_found, closed (the
-- window has closed: an unverified entry no longer counts), withdrawn
-- (withdrawn, voided or expired), already_confirmed, too_many_attempts
-- (the fifth wrong code ends the entry: status expired), wrong_code,
-- confirmed (status waiting: the entry takes part in the draw).
CREATE FUNCTION draw_entry_confirm(p_token text, p_code text)
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
CREATE FUNCTION draw_entry_withdraw(p_token text)
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

------------------------------------------------------------------------------
-- 8. Offers.
--
-- Offers every free place of draw p_draw_id's slots that start after the
-- offer deadline (earliest slot first) to the next waiting entries of the
-- site and procedure: entries of earlier draws first (by draw time), then
-- by rank. An offer is a booking, status held, channel draw, held until
-- now() + offer_hours, with a code and a secret link sent (draw_offer);
-- the person confirms it on /booking/<token> like any hold. Before that,
-- the slots are swept (lapsed holds and released cancellations give their
-- place back) and entries whose offer ended follow their booking (won,
-- lapsed, cancelled). An entry whose identity holds another active
-- booking of the procedure is passed over. The caller holds the draw
-- row's lock. Returns the number of offers made.
CREATE FUNCTION draw_allocate(p_draw_id bigint) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    d          draws%ROWTYPE;
    s          record;
    e          draw_entries%ROWTYPE;
    v_deadline timestamptz;
    v_code     text;
    v_token    text;
    v_ref      text;
    v_id       bigint;
    v_cons     text;
    v_skip     bigint[] := '{}';
    n          integer := 0;
BEGIN
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id;
    IF NOT FOUND OR d.status <> 'drawn' THEN
        RETURN 0;
    END IF;
    -- One allocation at a time per site and procedure (they share a queue).
    PERFORM pg_advisory_xact_lock(3301, hashtext(d.site_id || ':' || d.procedure_id));
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
    FOR s IN SELECT sl.id, sl.capacity - sl.booked AS free
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
                v_id := NULL;
                LOOP
                    BEGIN
                        v_ref := creneau_new_reference();
                        INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key,
                                              surname, given_names, birth_date, agdref, email, phone,
                                              lang, channel, status, hold_expires_at, code_hash,
                                              network_digest)
                        VALUES (v_ref, s.id, d.site_id, d.procedure_id, e.identity_key,
                                e.surname, e.given_names, e.birth_date, e.agdref, e.email, e.phone,
                                e.lang, 'draw', 'held', v_deadline,
                                sha256(convert_to(v_code, 'UTF8')), e.network_digest)
                        RETURNING id INTO v_id;
                        EXIT;
                    EXCEPTION WHEN unique_violation THEN
                        GET STACKED DIAGNOSTICS v_cons = CONSTRAINT_NAME;
                        IF v_cons = 'bookings_reference_key' THEN
                            CONTINUE;
                        ELSIF v_cons = 'bookings_identity_active_key' THEN
                            EXIT;   -- has a booking already: pass over
                        END IF;
                        RAISE;
                    END;
                END LOOP;
                IF v_id IS NULL THEN
                    v_skip := v_skip || e.id;
                    CONTINUE;
                END IF;
                UPDATE slots sl SET booked = sl.booked + 1 WHERE sl.id = s.id;
                v_token := creneau_new_token();
                PERFORM creneau_token_add(v_id, v_token, NULL);
                UPDATE draw_entries x SET status = 'offered', booking_id = v_id, offered_at = now()
                 WHERE x.id = e.id;
                PERFORM creneau_outbox_add('draw_offer', 'offer', v_id,
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
-- 9. The draw, in one transaction (the caller's statement).
--
-- Outcomes: not_found, forbidden, already_drawn, too_early (before
-- draw_at), drawn (offers made, entries ranked). Raises if the seed does
-- not match the commitment (nothing is drawn then). Unverified entries
-- expire; verified ones that are not voided or withdrawn are ranked by
-- creneau_draw_order_key; the seed is revealed; the places are offered.
CREATE FUNCTION draw_run(p_draw_id bigint, p_account bigint)
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
CREATE FUNCTION draws_due() RETURNS SETOF bigint
LANGUAGE sql STABLE
AS $$
    SELECT d.id FROM draws d WHERE d.status = 'scheduled' AND d.draw_at <= now() ORDER BY d.draw_at, d.id
$$;

-- Passes lapsed offers and released places down the draw order: runs
-- draw_allocate on every drawn draw with slots still to come, skipping a
-- draw another transaction holds. Returns the offers made.
CREATE FUNCTION draw_sweep() RETURNS integer
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
-- 10. What is public about a draw (/draw/<id>): before the draw, the
-- window, the number of places and the commitment; after it, the seed and
-- every ranked entry's public id, order key and rank.
CREATE VIEW draw_public AS
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
CREATE FUNCTION draw_results(p_draw_id bigint)
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
CREATE FUNCTION draw_current(p_site_id bigint, p_procedure_id bigint) RETURNS bigint
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

------------------------------------------------------------------------------
-- 11. Abuse review (/agent/site/<site>/abuse), for supervisors of the site
-- and administrators. Flags are computed by views; no third-party service.

-- Disposable e-mail domains, edited by staff.
CREATE TABLE disposable_domains (
    domain     text PRIMARY KEY
               CHECK (domain = lower(domain) AND domain ~ '^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$'
                      AND length(domain) <= 253),
    added_by   bigint REFERENCES staff_accounts (id),
    added_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE disposable_domains IS
    'E-mail domains of throw-away mailboxes; entries and bookings using them are flagged for review (not refused).';
INSERT INTO disposable_domains (domain) VALUES
    ('mailinator.com'), ('yopmail.com'), ('yopmail.fr'), ('guerrillamail.com'),
    ('10minutemail.com'), ('trashmail.com'), ('jetable.org'), ('tempmail.com'),
    ('temp-mail.org'), ('sharklasers.com'), ('getnada.com'), ('dispostable.com');

-- The contacts, identities and network digests seen at each site in the
-- last 90 days (draw entries and bookings).
CREATE VIEW abuse_contacts AS
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
CREATE VIEW abuse_flags AS
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
CREATE FUNCTION abuse_review(p_account bigint, p_site_id bigint)
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
CREATE FUNCTION abuse_void_entry(p_account bigint, p_site_id bigint, p_public_id text,
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
CREATE FUNCTION disposable_domain_set(p_account bigint, p_site_id bigint, p_domain text,
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
