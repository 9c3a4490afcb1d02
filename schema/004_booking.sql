-- 004_booking.sql: the applicant's booking flow (issue 3): AGDREF reference
-- numbers, bookings and their secret access tokens, the notification
-- outbox, and the functions every booking page calls.
--
-- Every state change is one function call, one transaction, returning a row
-- whose first column is `outcome` (a fixed English word the page turns into
-- a message). The invariants hold whatever the C code does:
--   * capacity: slots.booked counts every place taken (held, confirmed,
--     completed, and cancelled but not yet released) and the CHECK
--     booked <= capacity of 001 refuses one more; bookings change booked only
--     under the slot's row lock (SELECT ... FOR UPDATE);
--   * one active booking per identity and procedure: a partial unique index;
--   * identity fields never change: a trigger;
--   * a replayed form returns the same booking: idempotency_key is UNIQUE and
--     booking_hold serialises calls with the same key on an advisory lock.
--
-- Lock order, everywhere, so that no two of these functions deadlock:
--   advisory lock on the idempotency key, then slot rows (by id), then
--   booking rows, then advisory locks on the e-mail and phone caps.
-- Functions that start from a token read the booking without a lock to learn
-- its slot (slot_id never changes), lock the slot, then lock the booking and
-- check the token again.
--
-- Statuses: held (waiting for the code), confirmed, completed (confirmed and
-- the appointment has ended: no longer "active", so the person may book the
-- procedure again), cancelled, expired (hold not confirmed in time, or five
-- wrong codes). `released` says the place has gone back to slots.booked's
-- pool: always for expired, at release_at for cancelled, never for the rest,
-- so that for every slot booked = count of its bookings with NOT released.

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS unaccent;

------------------------------------------------------------------------------
-- Normalisation and identity.

-- Upper-case, accent-free form of a name used for the identity key: NFKC,
-- unaccent, upper case, apostrophes, hyphens and runs of white space to one
-- space, trimmed. 'Jean-Pierre  d’Arc' and 'JEAN PIERRE D ARC' are equal.
-- Scripts without case or accents (Arabic, Chinese) pass through NFKC
-- only. STABLE, not IMMUTABLE: unaccent reads its dictionary.
CREATE FUNCTION creneau_normalise_name(p_name text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT btrim(regexp_replace(upper(unaccent(normalize(p_name, NFKC))),
                                '[[:space:]''’‘ʼ`´‐‑‒–—-]+', ' ', 'g'))
$$;
COMMENT ON FUNCTION creneau_normalise_name(text) IS
    'Name as compared for the identity key: NFKC, unaccented, upper case, apostrophes/hyphens/white space folded to single spaces, trimmed.';

-- Phone number as compared for the per-phone cap: digits only, with a
-- leading '+' kept; '00' becomes '+'; a 10-digit number starting with a
-- single 0 (French national form) becomes +33 and the 9 other digits.
-- Overseas numbers written nationally (0694…) therefore become +33694…,
-- not +594694…: a number written both ways counts as two (the cap is a
-- brake, not an identity). NULL for NULL or no digits.
CREATE FUNCTION creneau_normalise_phone(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
           WHEN d = '' THEN NULL
           WHEN plus THEN '+' || d
           WHEN d ~ '^00[1-9]' THEN '+' || substr(d, 3)
           WHEN d ~ '^0[1-9][0-9]{8}$' THEN '+33' || substr(d, 2)
           ELSE d END
      FROM (SELECT regexp_replace(p_phone, '[^0-9]', '', 'g') AS d,
                   btrim(p_phone) LIKE '+%' AS plus) AS x
$$;
COMMENT ON FUNCTION creneau_normalise_phone(text) IS
    'Phone as compared for the per-phone cap: +digits (00 and French national 0X form rewritten), else digits.';

-- The identity key of a person: HMAC-SHA256 under the server secret of
-- 'A:' || the AGDREF number (digits only) when one is given, otherwise
-- 'N:' || normalised surname || '|' || normalised given names || '|' ||
-- birth date (YYYY-MM-DD). 32 bytes. Without the secret the key cannot be
-- recomputed from a guessed name, so the column is not personal data in
-- clear.
CREATE FUNCTION creneau_identity_key(p_secret bytea, p_agdref text, p_surname text,
                                     p_given_names text, p_birth date)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT hmac(convert_to(
               CASE WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NOT NULL
                    THEN 'A:' || regexp_replace(p_agdref, '[^0-9]', '', 'g')
                    ELSE 'N:' || coalesce(creneau_normalise_name(p_surname), '')
                         || '|' || coalesce(creneau_normalise_name(p_given_names), '')
                         || '|' || coalesce(to_char(p_birth, 'YYYY-MM-DD'), '')
               END, 'UTF8'), p_secret, 'sha256')
$$;
COMMENT ON FUNCTION creneau_identity_key(bytea, text, text, text, date) IS
    'HMAC-SHA256 (keyed by the server secret) of the AGDREF number when given, else of normalised surname, given names and birth date.';

-- A new booking reference: 8 characters from an alphabet without look-alikes
-- (no B/8, I/1, O/0, S/5, Z/2), drawn with pgcrypto's gen_random_bytes and
-- rejection sampling (bytes >= 234 = 9 × 26 are skipped) so every character
-- is equally likely: 26^8 ≈ 2·10^11 references. Uniqueness is the caller's
-- business (UNIQUE constraint, retry).
CREATE FUNCTION creneau_new_reference() RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    alphabet constant text := 'ACDEFGHJKLMNPQRTUVWXY34679';
    ref   text := '';
    bytes bytea;
    b     integer;
BEGIN
    WHILE length(ref) < 8 LOOP
        bytes := gen_random_bytes(16);
        FOR i IN 0 .. 15 LOOP
            b := get_byte(bytes, i);
            IF b < 234 AND length(ref) < 8 THEN
                ref := ref || substr(alphabet, b % 26 + 1, 1);
            END IF;
        END LOOP;
    END LOOP;
    RETURN ref;
END
$$;
COMMENT ON FUNCTION creneau_new_reference() IS
    'Random 8-character booking reference over ACDEFGHJKLMNPQRTUVWXY34679 (uniform).';

------------------------------------------------------------------------------
-- AGDREF numbers: the reference file staff import (creneau-admin).
CREATE TABLE agdref_numbers (
    number      text PRIMARY KEY
                CONSTRAINT agdref_numbers_format CHECK (number ~ '^[0-9]{10}$'),
    imported_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE agdref_numbers IS
    'Valid AGDREF (foreigner file) numbers, imported by staff; a procedure with requires_agdref only accepts these.';

------------------------------------------------------------------------------
-- Bookings.
CREATE TABLE bookings (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    reference         text NOT NULL UNIQUE
                      CONSTRAINT bookings_reference_format
                      CHECK (reference ~ '^[ACDEFGHJKLMNPQRTUVWXY34679]{8}$'),
    slot_id           bigint NOT NULL REFERENCES slots (id),
    site_id           bigint NOT NULL REFERENCES sites (id),
    procedure_id      bigint NOT NULL REFERENCES procedures (id),
    identity_key      bytea NOT NULL
                      CONSTRAINT bookings_identity_key_length CHECK (length(identity_key) = 32),
    surname           text NOT NULL CHECK (btrim(surname) <> '' AND length(surname) <= 200),
    given_names       text NOT NULL CHECK (length(given_names) <= 200),
    birth_date        date NOT NULL,
    agdref            text CONSTRAINT bookings_agdref_format CHECK (agdref ~ '^[0-9]{10}$'),
    email             text CHECK (length(email) <= 254),
    phone             text CHECK (length(phone) <= 32),
    lang              text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    channel           text NOT NULL DEFAULT 'online'
                      CONSTRAINT bookings_channel_format CHECK (creneau_valid_slug(channel)),
    status            text NOT NULL
                      CONSTRAINT bookings_status_valid
                      CHECK (status IN ('held', 'confirmed', 'completed', 'cancelled', 'expired')),
    hold_expires_at   timestamptz,
    code_hash         bytea CHECK (length(code_hash) = 32),
    confirm_attempts  integer NOT NULL DEFAULT 0 CHECK (confirm_attempts >= 0),
    idempotency_key   text UNIQUE CHECK (length(idempotency_key) <= 200),
    created_at        timestamptz NOT NULL DEFAULT now(),
    confirmed_at      timestamptz,
    cancelled_at      timestamptz,
    release_at        timestamptz,
    released          boolean NOT NULL DEFAULT false,
    rescheduled_from  bigint REFERENCES bookings (id),
    CONSTRAINT bookings_contact_required CHECK (email IS NOT NULL OR phone IS NOT NULL),
    CONSTRAINT bookings_held_expires CHECK (status <> 'held' OR hold_expires_at IS NOT NULL),
    CONSTRAINT bookings_confirmed_at CHECK (status NOT IN ('confirmed', 'completed') OR confirmed_at IS NOT NULL),
    CONSTRAINT bookings_cancelled_at CHECK (status <> 'cancelled' OR (cancelled_at IS NOT NULL AND release_at IS NOT NULL)),
    -- The counter semantics: a place is released exactly when it no longer
    -- counts in slots.booked.
    CONSTRAINT bookings_released_state CHECK (
        CASE status WHEN 'expired' THEN released
                    WHEN 'cancelled' THEN true
                    ELSE NOT released END),
    CONSTRAINT bookings_slot_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
-- One active booking per identity and procedure.
CREATE UNIQUE INDEX bookings_identity_active_key ON bookings (identity_key, procedure_id)
    WHERE status IN ('held', 'confirmed');
CREATE INDEX bookings_slot_idx ON bookings (slot_id);
CREATE INDEX bookings_rescheduled_from_idx ON bookings (rescheduled_from) WHERE rescheduled_from IS NOT NULL;
CREATE INDEX bookings_held_expiry_idx ON bookings (hold_expires_at) WHERE status = 'held';
CREATE INDEX bookings_release_idx ON bookings (release_at) WHERE status = 'cancelled' AND NOT released;
CREATE INDEX bookings_confirmed_slot_idx ON bookings (slot_id) WHERE status = 'confirmed';
CREATE INDEX bookings_active_email_idx ON bookings (lower(email)) WHERE status IN ('held', 'confirmed');
CREATE INDEX bookings_active_phone_idx ON bookings (creneau_normalise_phone(phone)) WHERE status IN ('held', 'confirmed');
CREATE INDEX bookings_birth_date_idx ON bookings (birth_date);
COMMENT ON TABLE bookings IS
    'An appointment of one person at one slot: held until the code is confirmed, then confirmed; identity fields never change (trigger).';
COMMENT ON COLUMN bookings.identity_key IS
    'creneau_identity_key(): HMAC of the AGDREF number (procedures that require it) or of normalised name and birth date.';
COMMENT ON COLUMN bookings.release_at IS
    'For a cancelled booking: when its place goes back to the pool (random delay, so a cancel-and-rebook hand-over fails).';
COMMENT ON COLUMN bookings.released IS
    'The place no longer counts in slots.booked (expired, or cancelled and release_at passed).';

-- Refuse any change of the fields that identify a booking and its place.
CREATE FUNCTION creneau_bookings_identity_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.identity_key IS DISTINCT FROM OLD.identity_key
       OR NEW.surname IS DISTINCT FROM OLD.surname
       OR NEW.given_names IS DISTINCT FROM OLD.given_names
       OR NEW.birth_date IS DISTINCT FROM OLD.birth_date
       OR NEW.agdref IS DISTINCT FROM OLD.agdref
       OR NEW.slot_id IS DISTINCT FROM OLD.slot_id
       OR NEW.site_id IS DISTINCT FROM OLD.site_id
       OR NEW.procedure_id IS DISTINCT FROM OLD.procedure_id
       OR NEW.reference IS DISTINCT FROM OLD.reference THEN
        RAISE EXCEPTION 'the identity, slot and reference of booking % cannot be changed', OLD.id
            USING ERRCODE = 'restrict_violation',
                  CONSTRAINT = 'bookings_identity_immutable',
                  TABLE = 'bookings',
                  HINT = 'Cancel the booking and make a new one.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bookings_identity_immutable BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION creneau_bookings_identity_immutable();

------------------------------------------------------------------------------
-- Secret access links: only the SHA-256 of the token is stored.
CREATE TABLE booking_tokens (
    token_hash bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    booking_id bigint NOT NULL REFERENCES bookings (id),
    created_at timestamptz NOT NULL DEFAULT now(),
    expires_at timestamptz
);
CREATE INDEX booking_tokens_booking_idx ON booking_tokens (booking_id);
COMMENT ON TABLE booking_tokens IS
    'Secret links to a booking: sha256(convert_to(token, ''UTF8'')); expires_at NULL for the link in the messages, 24 h for one obtained with reference and birth date.';

-- The booking a token leads to, or NULL (unknown or expired token).
CREATE FUNCTION booking_by_token(p_token text) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT t.booking_id FROM booking_tokens t
     WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8'))
       AND (t.expires_at IS NULL OR t.expires_at > now())
$$;
COMMENT ON FUNCTION booking_by_token(text) IS
    'Id of the booking a secret token leads to; NULL when unknown or expired.';

------------------------------------------------------------------------------
-- Notification outbox, read by the delivery daemon (a later issue).
CREATE TABLE outbox (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    kind            text NOT NULL
                    CONSTRAINT outbox_kind_valid
                    CHECK (kind IN ('confirmation_code', 'booking_confirmed',
                                    'booking_cancelled', 'booking_rescheduled')),
    channel         text NOT NULL CHECK (channel IN ('email', 'sms')),
    recipient       text NOT NULL CHECK (btrim(recipient) <> ''),
    lang            text NOT NULL,
    payload         jsonb NOT NULL,
    idempotency_key text NOT NULL UNIQUE,
    booking_id      bigint REFERENCES bookings (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    due_at          timestamptz NOT NULL DEFAULT now(),
    sent_at         timestamptz,
    status          text NOT NULL DEFAULT 'pending'
);
CREATE INDEX outbox_pending_idx ON outbox (due_at) WHERE status = 'pending';
CREATE INDEX outbox_booking_idx ON outbox (booking_id);
COMMENT ON TABLE outbox IS
    'Messages to send, one row per channel; payload holds everything needed to render them (may contain a secret token and code: delete or scrub once sent).';

------------------------------------------------------------------------------
-- Read helpers for the pages.

-- One row per booking with what every booking page and message shows.
-- Local times are in the site's zone; ics_start/ics_end are UTC in
-- iCalendar form (YYYYMMDDTHHMMSSZ).
CREATE VIEW booking_details AS
    SELECT b.id, b.reference, b.status, b.hold_expires_at,
           to_char(b.hold_expires_at AT TIME ZONE st.time_zone, 'HH24:MI') AS hold_expires_local,
           sl.starts_at, sl.ends_at,
           to_char(sl.starts_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI') AS starts_local,
           to_char(sl.ends_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI') AS ends_local,
           st.id AS site_id, st.slug AS site_slug, st.name AS site_name,
           st.address AS site_address, st.postal_code AS site_postal_code,
           st.city AS site_city, st.phone AS site_phone, st.time_zone,
           p.id AS procedure_id, p.code AS procedure_code, p.name AS procedure_name,
           array_to_string(p.documents, E'\n') AS documents,
           b.email, b.phone, b.lang, b.surname, b.given_names, b.birth_date,
           -- Beyond the list the pages were written against:
           b.slot_id, b.agdref, b.channel, b.confirm_attempts, b.created_at,
           b.confirmed_at, b.cancelled_at, b.release_at, b.released, b.rescheduled_from,
           p.duration_minutes, st.alternative_route AS site_alternative_route,
           to_char(sl.starts_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS ics_start,
           to_char(sl.ends_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS ics_end
      FROM bookings b
      JOIN slots sl ON sl.id = b.slot_id
      JOIN sites st ON st.id = b.site_id
      JOIN procedures p ON p.id = b.procedure_id;
COMMENT ON VIEW booking_details IS
    'A booking with its slot, site and procedure, local times in the site''s zone; filter by id (e.g. id = booking_by_token($1)).';

-- Free places of a slot for the public: capacity - booked, plus the holds
-- that have expired but not been swept yet (their places are as good as
-- free: the next booking_hold on the slot sweeps them).
-- The allocation mode of a procedure at a site ('open' or 'draw'). Here
-- the procedure's own; 013_draws.sql lets a site override it.
CREATE FUNCTION creneau_allocation_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT allocation_mode FROM procedures WHERE id = p_procedure_id
$$;

-- Places of a slot a booking channel may take now. Here every channel
-- shares the capacity; 010_calendars.sql replaces it to keep the places
-- reserved for other channels.
CREATE FUNCTION creneau_slot_channel_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT p_slot.capacity - p_slot.booked
$$;

CREATE FUNCTION creneau_slot_free(p_slot slots) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT p_slot.capacity - p_slot.booked
           + (SELECT count(*)::integer FROM bookings b
               WHERE b.slot_id = p_slot.id AND b.status = 'held'
                 AND b.hold_expires_at <= now())
$$;

-- Bookable slots of a site and procedure: published, not started, open
-- allocation (slots of 'draw' procedures are not booked directly).
CREATE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE st.time_zone, creneau_slot_free(s)
      FROM slots s
      JOIN sites st ON st.id = s.site_id
      JOIN procedures p ON p.id = s.procedure_id
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at <= now() AND s.starts_at > now()
       AND p.allocation_mode = 'open'
       AND creneau_slot_free(s) > 0
$$;

-- Local days of the site, from its today for p_days days, that have free
-- places, with how many.
CREATE FUNCTION slot_days(p_site_id bigint, p_procedure_id bigint, p_days integer)
RETURNS TABLE (day date, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.local_start::date, sum(b.free)::integer
      FROM creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE b.local_start::date < (SELECT (now() AT TIME ZONE st.time_zone)::date
                                    FROM sites st WHERE st.id = p_site_id) + greatest(p_days, 0)
     GROUP BY 1
     ORDER BY 1
$$;
COMMENT ON FUNCTION slot_days(bigint, bigint, integer) IS
    'Days (local to the site, from its today, p_days of them) with free bookable places of a procedure, and how many.';

-- Free times of one local day.
CREATE FUNCTION slot_times(p_site_id bigint, p_procedure_id bigint, p_day date)
RETURNS TABLE (slot_id bigint, local_time text, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.slot_id, to_char(b.local_start, 'HH24:MI'), b.free
      FROM creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE b.local_start >= p_day AND b.local_start < p_day + 1
     ORDER BY b.starts_at, b.slot_id
$$;
COMMENT ON FUNCTION slot_times(bigint, bigint, date) IS
    'Bookable slots of one local day with their local time (HH24:MI) and free places, in time order.';

-- When the next slots of a procedure at a site will be published (NULL if
-- nothing is scheduled).
CREATE FUNCTION procedure_next_publication(p_site_id bigint, p_procedure_id bigint)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT min(s.published_at) FROM slots s
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at > now() AND s.starts_at > now()
$$;
COMMENT ON FUNCTION procedure_next_publication(bigint, bigint) IS
    'Earliest future publication time of a future slot of the procedure at the site, or NULL.';

------------------------------------------------------------------------------
-- Internal helpers of the booking functions.

-- What a message about a booking needs, as JSON (local times in the site's
-- zone).
CREATE FUNCTION creneau_booking_payload(p_booking_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
               'booking_id', d.id, 'reference', d.reference, 'status', d.status,
               'site_name', d.site_name, 'site_address', d.site_address,
               'site_postal_code', d.site_postal_code, 'site_city', d.site_city,
               'site_phone', d.site_phone, 'procedure_name', d.procedure_name,
               'procedure_code', d.procedure_code,
               'starts_local', d.starts_local, 'ends_local', d.ends_local,
               'time_zone', d.time_zone, 'hold_expires_local', d.hold_expires_local,
               'documents', to_jsonb(p.documents), 'lang', d.lang)
      FROM booking_details d JOIN procedures p ON p.id = d.procedure_id
     WHERE d.id = p_booking_id
$$;

-- Queue one message of `kind` about a booking on each channel it has
-- (e-mail, SMS), keyed kind:booking:channel so a retry adds nothing.
CREATE FUNCTION creneau_outbox_add(p_kind text, p_key text, p_booking_id bigint, p_extra jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key, booking_id)
    SELECT p_kind, c.channel, c.recipient, b.lang,
           creneau_booking_payload(b.id) || coalesce(p_extra, '{}'::jsonb),
           p_key || ':' || b.id || ':' || c.channel, b.id
      FROM bookings b
     CROSS JOIN LATERAL (VALUES ('email', btrim(b.email)),
                                ('sms', creneau_normalise_phone(b.phone))) AS c (channel, recipient)
     WHERE b.id = p_booking_id AND c.recipient IS NOT NULL
    ON CONFLICT (idempotency_key) DO NOTHING
$$;

-- Store a secret token for a booking (idempotent).
CREATE FUNCTION creneau_token_add(p_booking_id bigint, p_token text, p_expires timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF p_token IS NULL OR length(p_token) < 16 THEN
        RAISE EXCEPTION 'booking token must be at least 16 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO booking_tokens (token_hash, booking_id, expires_at)
    VALUES (sha256(convert_to(p_token, 'UTF8')), p_booking_id, p_expires)
    ON CONFLICT (token_hash) DO NOTHING;
END
$$;

-- A random delay between two bounds (NULL = 0; swapped if reversed).
CREATE FUNCTION creneau_random_delay(p_min interval, p_max interval) RETURNS interval
LANGUAGE sql VOLATILE
AS $$
    SELECT least(coalesce(p_min, '0'), coalesce(p_max, '0'))
           + random() * (greatest(coalesce(p_min, '0'), coalesce(p_max, '0'))
                         - least(coalesce(p_min, '0'), coalesce(p_max, '0')))
$$;

------------------------------------------------------------------------------
-- Sweeping.

-- Sweep one slot: its holds past hold_expires_at become expired and its
-- cancelled bookings whose release_at has come are released; each gives its
-- place back (slots.booked - 1). Locks the slot row first (lock order), and
-- skips bookings another transaction holds locked: that one is dealing with
-- them. Returns how many of each.
CREATE FUNCTION booking_sweep_slot(p_slot_id bigint)
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    n_expired  integer;
    n_released integer;
BEGIN
    PERFORM 1 FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0, 0;
        RETURN;
    END IF;

    UPDATE bookings b SET status = 'expired', released = true
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND x.status = 'held'
                       AND x.hold_expires_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_expired = ROW_COUNT;

    UPDATE bookings b SET released = true
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND x.status = 'cancelled'
                       AND NOT x.released AND x.release_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_released = ROW_COUNT;

    IF n_expired + n_released > 0 THEN
        UPDATE slots s SET booked = s.booked - n_expired - n_released WHERE s.id = p_slot_id;
    END IF;
    RETURN QUERY SELECT n_expired, n_released;
END
$$;
COMMENT ON FUNCTION booking_sweep_slot(bigint) IS
    'Expire the overdue holds and release the due cancellations of one slot, giving their places back; returns (expired, released).';

-- Sweep every slot that has something due (creneau-admin sweep, every
-- minute), slot by slot in id order, skipping slots that are locked right
-- now, and mark confirmed bookings whose appointment has ended as
-- completed. Never waits for a lock. Returns the totals.
CREATE FUNCTION booking_sweep()
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    sid   bigint;
    t_exp integer := 0;
    t_rel integer := 0;
    r     record;
BEGIN
    FOR sid IN
        SELECT DISTINCT b.slot_id FROM bookings b
         WHERE (b.status = 'held' AND b.hold_expires_at <= now())
            OR (b.status = 'cancelled' AND NOT b.released AND b.release_at <= now())
         ORDER BY 1
    LOOP
        -- A slot locked by a booking in progress is left for the next run
        -- (that booking sweeps it anyway): the sweep never waits for a
        -- slot while it holds bookings it changed, which could deadlock
        -- with a hold waiting on one of those bookings' identity.
        PERFORM 1 FROM slots s WHERE s.id = sid FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO r FROM booking_sweep_slot(sid);
        t_exp := t_exp + r.expired;
        t_rel := t_rel + r.released;
    END LOOP;

    UPDATE bookings b SET status = 'completed'
     WHERE b.id IN (SELECT x.id FROM bookings x JOIN slots s ON s.id = x.slot_id
                     WHERE x.status = 'confirmed' AND s.ends_at <= now()
                       FOR UPDATE OF x SKIP LOCKED);

    RETURN QUERY SELECT t_exp, t_rel;
END
$$;
COMMENT ON FUNCTION booking_sweep() IS
    'Expire overdue holds and release due cancellations everywhere (places back to the pool); mark ended confirmed bookings completed; returns (expired, released).';

------------------------------------------------------------------------------
-- 1. Hold a slot.
--
-- Outcomes, in the order they are checked:
--   replayed         a booking with this idempotency key exists: p_token is
--                    added as another link to it; its id and reference
--   contact_required neither e-mail nor phone
--   agdref_required  the procedure needs an AGDREF number and none was given
--   agdref_unknown   the number is not in agdref_numbers
--   slot_unavailable no such slot, not published, started, full, or a
--                    procedure allocated by draw
--   email_cap        p_max_per_email active future bookings use this e-mail
--   phone_cap        the same for the phone (normalised)
--   identity_active  this identity already holds an active booking for the
--                    procedure
--   held             done: booking held until now() + p_hold, a
--                    confirmation_code message queued per channel
-- Empty strings count as NULL for p_agdref, p_email, p_phone,
-- p_idempotency_key. The identity key uses the AGDREF number only for
-- procedures that require it (else name and birth date, even if a number
-- is given), so an optional number cannot dodge the one-booking rule.
CREATE FUNCTION booking_hold(p_slot_id bigint, p_secret bytea, p_surname text,
                             p_given_names text, p_birth_date date, p_agdref text,
                             p_email text, p_phone text, p_lang text,
                             p_idempotency_key text, p_token text, p_code text,
                             p_hold interval, p_max_per_email integer,
                             p_max_per_phone integer,
                             p_channel text DEFAULT 'online')
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key    text := nullif(btrim(p_idempotency_key), '');
    v_email  text := nullif(btrim(p_email), '');
    v_phone  text := nullif(btrim(p_phone), '');
    v_agdref text := nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '');
    v_phone_n text;
    v_proc   procedures%ROWTYPE;
    v_slot   slots%ROWTYPE;
    v_ident  bytea;
    v_id     bigint;
    v_ref    text;
    v_cons   text;
    v_n      integer;
BEGIN
    IF p_secret IS NULL OR length(p_secret) < 16 THEN
        RAISE EXCEPTION 'booking_hold: the identity secret must be at least 16 bytes'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'booking_hold: the confirmation code must be 6 digits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    -- (a) Idempotency: one booking per key, even for concurrent calls.
    IF v_key IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(3001, hashtext(v_key));
        SELECT b.id, b.reference INTO v_id, v_ref FROM bookings b WHERE b.idempotency_key = v_key;
        IF FOUND THEN
            PERFORM creneau_token_add(v_id, p_token, NULL);
            RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            RETURN;
        END IF;
    END IF;

    -- (b) A way to send the code.
    IF v_email IS NULL AND v_phone IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (c) AGDREF, for the procedure of the slot (read without a lock: a
    -- slot's procedure never changes).
    SELECT p.* INTO v_proc FROM slots s JOIN procedures p ON p.id = s.procedure_id
     WHERE s.id = p_slot_id;
    IF FOUND AND v_proc.requires_agdref THEN
        IF v_agdref IS NULL THEN
            RETURN QUERY SELECT 'agdref_required'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
        IF NOT EXISTS (SELECT 1 FROM agdref_numbers a WHERE a.number = v_agdref) THEN
            RETURN QUERY SELECT 'agdref_unknown'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;

    -- (d) The slot, locked; overdue holds and releases swept first.
    SELECT s.* INTO v_slot FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    PERFORM booking_sweep_slot(p_slot_id);
    SELECT s.* INTO v_slot FROM slots s WHERE s.id = p_slot_id;
    IF v_slot.published_at IS NULL OR v_slot.published_at > now()
       OR v_slot.starts_at <= now()
       OR v_slot.booked >= v_slot.capacity
       OR creneau_slot_channel_free(v_slot, coalesce(p_channel, 'online')) <= 0
       OR creneau_allocation_mode(v_slot.site_id, v_slot.procedure_id) <> 'open' THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (e) Caps per e-mail and per phone, counted under an advisory lock on
    -- the contact so two concurrent holds cannot both pass.
    IF v_email IS NOT NULL AND p_max_per_email IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(3002, hashtext(lower(v_email)));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE lower(b.email) = lower(v_email) AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_email THEN
            RETURN QUERY SELECT 'email_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;
    v_phone_n := creneau_normalise_phone(v_phone);
    IF v_phone_n IS NOT NULL AND p_max_per_phone IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(3003, hashtext(v_phone_n));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE creneau_normalise_phone(b.phone) = v_phone_n AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_phone THEN
            RETURN QUERY SELECT 'phone_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;

    -- (f) The booking. This identity's confirmed bookings for the
    -- procedure whose appointment has ended stop being active first.
    v_ident := creneau_identity_key(p_secret,
                                    CASE WHEN v_proc.requires_agdref THEN v_agdref END,
                                    p_surname, p_given_names, p_birth_date);
    UPDATE bookings b SET status = 'completed'
      FROM slots s
     WHERE s.id = b.slot_id AND b.identity_key = v_ident
       AND b.procedure_id = v_slot.procedure_id
       AND b.status = 'confirmed' AND s.ends_at <= now();

    LOOP
        BEGIN
            v_ref := creneau_new_reference();
            INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key,
                                  surname, given_names, birth_date, agdref, email, phone,
                                  lang, channel, status, hold_expires_at, code_hash,
                                  idempotency_key)
            VALUES (v_ref, v_slot.id, v_slot.site_id, v_slot.procedure_id, v_ident,
                    btrim(p_surname), btrim(coalesce(p_given_names, '')), p_birth_date,
                    v_agdref, v_email, v_phone, coalesce(nullif(p_lang, ''), 'fr'),
                    coalesce(p_channel, 'online'), 'held',
                    now() + coalesce(p_hold, interval '10 minutes'),
                    sha256(convert_to(p_code, 'UTF8')), v_key)
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

    UPDATE slots s SET booked = s.booked + 1 WHERE s.id = v_slot.id;
    PERFORM creneau_token_add(v_id, p_token, NULL);
    PERFORM creneau_outbox_add('confirmation_code', 'code', v_id,
                               jsonb_build_object('token', p_token, 'code', p_code));
    RETURN QUERY SELECT 'held'::text, v_id, v_ref;
END
$$;
COMMENT ON FUNCTION booking_hold(bigint, bytea, text, text, date, text, text, text, text, text, text, text, interval, integer, integer, text) IS
    'Hold a place of a slot for an identity until confirmed; outcome held, replayed, contact_required, agdref_required, agdref_unknown, slot_unavailable, email_cap, phone_cap or identity_active.';

------------------------------------------------------------------------------
-- Find the booking of a token and lock it after its slot (the lock order).
-- Returns the locked booking row, or no row when the token leads nowhere.
-- If the token moved to another booking meanwhile (a reschedule), starts
-- again with that one.
CREATE FUNCTION creneau_lock_booking_by_token(p_token text) RETURNS SETOF bookings
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id   bigint;
    v_slot bigint;
    v_row  bookings%ROWTYPE;
BEGIN
    FOR attempt IN 1 .. 5 LOOP
        v_id := booking_by_token(p_token);
        IF v_id IS NULL THEN
            RETURN;
        END IF;
        SELECT b.slot_id INTO v_slot FROM bookings b WHERE b.id = v_id;
        PERFORM 1 FROM slots s WHERE s.id = v_slot FOR UPDATE;
        SELECT b.* INTO v_row FROM bookings b WHERE b.id = v_id FOR UPDATE;
        IF booking_by_token(p_token) IS NOT DISTINCT FROM v_id THEN
            RETURN NEXT v_row;
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'booking token keeps moving' USING ERRCODE = 'serialization_failure';
END
$$;

-- Give one place of a slot back (the caller holds the slot's lock).
CREATE FUNCTION creneau_slot_release_one(p_slot_id bigint) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE slots SET booked = booked - 1 WHERE id = p_slot_id
$$;

------------------------------------------------------------------------------
-- 2. Confirm a hold with the code that was sent.
--
-- Outcomes: not_found (unknown or expired token), cancelled (the booking was
-- cancelled), expired (the hold ran out: the place is freed now if it was
-- not yet), already_confirmed (confirmed or completed), too_many_attempts
-- (the fifth wrong code releases the hold; asked again afterwards, the same
-- answer), wrong_code (attempts + 1), confirmed (a booking_confirmed message
-- is queued).
CREATE FUNCTION booking_confirm(p_token text, p_code text)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    max_attempts constant integer := 5;
    b bookings%ROWTYPE;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF b.status = 'cancelled' THEN
        RETURN QUERY SELECT 'cancelled'::text, b.id;
        RETURN;
    END IF;
    IF b.status = 'expired' THEN
        RETURN QUERY SELECT CASE WHEN b.confirm_attempts >= max_attempts
                                 THEN 'too_many_attempts' ELSE 'expired' END, b.id;
        RETURN;
    END IF;
    IF b.status IN ('confirmed', 'completed') THEN
        RETURN QUERY SELECT 'already_confirmed'::text, b.id;
        RETURN;
    END IF;
    -- Held.
    IF b.hold_expires_at <= now() THEN
        UPDATE bookings SET status = 'expired', released = true WHERE id = b.id;
        PERFORM creneau_slot_release_one(b.slot_id);
        RETURN QUERY SELECT 'expired'::text, b.id;
        RETURN;
    END IF;
    IF p_code IS NULL OR b.code_hash IS DISTINCT FROM sha256(convert_to(p_code, 'UTF8')) THEN
        IF b.confirm_attempts + 1 >= max_attempts THEN
            UPDATE bookings SET confirm_attempts = confirm_attempts + 1,
                                status = 'expired', released = true
             WHERE id = b.id;
            PERFORM creneau_slot_release_one(b.slot_id);
            RETURN QUERY SELECT 'too_many_attempts'::text, b.id;
        ELSE
            UPDATE bookings SET confirm_attempts = confirm_attempts + 1 WHERE id = b.id;
            RETURN QUERY SELECT 'wrong_code'::text, b.id;
        END IF;
        RETURN;
    END IF;
    UPDATE bookings SET status = 'confirmed', confirmed_at = now() WHERE id = b.id;
    PERFORM creneau_outbox_add('booking_confirmed', 'confirmed', b.id, NULL);
    RETURN QUERY SELECT 'confirmed'::text, b.id;
END
$$;
COMMENT ON FUNCTION booking_confirm(text, text) IS
    'Confirm a held booking with its code; outcome confirmed, wrong_code, too_many_attempts, expired, already_confirmed, cancelled or not_found.';

------------------------------------------------------------------------------
-- 3. Cancel.
--
-- Outcomes: not_found, already_cancelled (cancelled or expired), too_late
-- (the appointment has started), cancelled. A confirmed booking's place
-- returns to the pool at a random time between now() + p_release_min and
-- now() + p_release_max (booking_sweep); a held one's at once. A
-- booking_cancelled message is queued for confirmed bookings only (a hold
-- never proved its contact).
CREATE FUNCTION booking_cancel(p_token text, p_release_min interval, p_release_max interval)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    b       bookings%ROWTYPE;
    v_start timestamptz;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF b.status IN ('cancelled', 'expired') THEN
        RETURN QUERY SELECT 'already_cancelled'::text;
        RETURN;
    END IF;
    SELECT s.starts_at INTO v_start FROM slots s WHERE s.id = b.slot_id;
    IF v_start <= now() OR b.status = 'completed' THEN
        RETURN QUERY SELECT 'too_late'::text;
        RETURN;
    END IF;
    IF b.status = 'held' THEN
        UPDATE bookings SET status = 'cancelled', cancelled_at = now(),
                            release_at = now(), released = true
         WHERE id = b.id;
        PERFORM creneau_slot_release_one(b.slot_id);
    ELSE
        UPDATE bookings SET status = 'cancelled', cancelled_at = now(),
                            release_at = now() + creneau_random_delay(p_release_min, p_release_max)
         WHERE id = b.id;
        PERFORM creneau_outbox_add('booking_cancelled', 'cancelled', b.id, NULL);
    END IF;
    RETURN QUERY SELECT 'cancelled'::text;
END
$$;
COMMENT ON FUNCTION booking_cancel(text, interval, interval) IS
    'Cancel a booking; its place returns after a random delay in [min, max] (at once for a hold); outcome cancelled, already_cancelled, too_late or not_found.';

------------------------------------------------------------------------------
-- 4. Reschedule a confirmed booking to another slot of the same site and
-- procedure, atomically: the new place is taken before the old one is let
-- go, and if the new one cannot be taken nothing changes.
--
-- Outcomes: not_found, not_confirmed (held, cancelled, expired or
-- completed), too_late (the current appointment has started), same_slot,
-- other_procedure (another site or procedure), slot_unavailable (missing,
-- unpublished, started or full), rescheduled (booking_id = the new
-- booking). The new booking is confirmed, with the same identity, contact,
-- language and code; the old one is cancelled with the random release
-- delay (its place counts until then); every token of the old booking now
-- leads to the new one; a booking_rescheduled message is queued.
-- Locks: both slots in id order, then the booking.
CREATE FUNCTION booking_reschedule(p_token text, p_new_slot_id bigint,
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
    v_mode   text;
    v_ref    text;
    v_new_id bigint;
    v_cons   text;
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
    PERFORM booking_sweep_slot(v_new.id);
    SELECT s.* INTO v_new FROM slots s WHERE s.id = p_new_slot_id;
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
    LOOP
        BEGIN
            v_ref := creneau_new_reference();
            INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key,
                                  surname, given_names, birth_date, agdref, email, phone,
                                  lang, channel, status, hold_expires_at, code_hash,
                                  confirm_attempts, confirmed_at, rescheduled_from)
            VALUES (v_ref, v_new.id, b.site_id, b.procedure_id, b.identity_key,
                    b.surname, b.given_names, b.birth_date, b.agdref, b.email, b.phone,
                    b.lang, b.channel, 'confirmed', b.hold_expires_at, b.code_hash,
                    b.confirm_attempts, now(), b.id)
            RETURNING id INTO v_new_id;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_cons = CONSTRAINT_NAME;
            IF v_cons = 'bookings_reference_key' THEN
                CONTINUE;
            END IF;
            RAISE;
        END;
    END LOOP;
    UPDATE slots SET booked = booked + 1 WHERE id = v_new.id;
    UPDATE booking_tokens SET booking_id = v_new_id WHERE booking_id = b.id;
    PERFORM creneau_outbox_add('booking_rescheduled', 'rescheduled', v_new_id,
                               jsonb_build_object('old_reference', b.reference,
                                                  'old_starts_local',
                                                  to_char(v_old.starts_at AT TIME ZONE st.time_zone,
                                                          'YYYY-MM-DD HH24:MI')))
      FROM sites st WHERE st.id = b.site_id;
    RETURN QUERY SELECT 'rescheduled'::text, v_new_id;
END
$$;
COMMENT ON FUNCTION booking_reschedule(text, bigint, interval, interval) IS
    'Move a confirmed booking to another slot of the same site and procedure atomically; outcome rescheduled (new id), not_found, not_confirmed, too_late, same_slot, other_procedure or slot_unavailable.';

------------------------------------------------------------------------------
-- 5. Reach a booking with its reference and the holder's birth date.
--
-- The reference is compared ignoring case, hyphens and spaces (KD7F-M3QA =
-- kd7fm3qa). ok: p_token becomes a link to the booking for 24 hours (to
-- the booking that replaced it, if it was rescheduled);
-- not_found otherwise, the same whether the reference or the date is wrong.
CREATE FUNCTION booking_access(p_reference text, p_birth_date date, p_token text)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id   bigint;
    v_next bigint;
BEGIN
    SELECT b.id INTO v_id FROM bookings b
     WHERE b.reference = upper(regexp_replace(coalesce(p_reference, ''), '[-[:space:]]', '', 'g'))
       AND b.birth_date = p_birth_date
     ORDER BY b.created_at DESC, b.id DESC
     LIMIT 1;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    -- A rescheduled booking leads to the one that replaced it.
    LOOP
        SELECT b.id INTO v_next FROM bookings b WHERE b.rescheduled_from = v_id;
        EXIT WHEN v_next IS NULL;
        v_id := v_next;
    END LOOP;
    PERFORM creneau_token_add(v_id, p_token, now() + interval '24 hours');
    RETURN QUERY SELECT 'ok'::text, v_id;
END
$$;
COMMENT ON FUNCTION booking_access(text, date, text) IS
    'Give a 24-hour link (p_token) to the booking with this reference and birth date; outcome ok or not_found.';
