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
--
-- The functions, views and triggers of this migration are in
-- schema/code/bootstrap.sql, schema/code/booking.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

CREATE EXTENSION IF NOT EXISTS pgcrypto;
CREATE EXTENSION IF NOT EXISTS unaccent;

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
