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
--
-- The functions, views and triggers of this migration are in
-- schema/code/booking.sql, schema/code/draws.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- 1. Allocation mode per site: NULL = the procedure's.
ALTER TABLE site_procedures
    ADD COLUMN allocation_mode text
        CONSTRAINT site_procedures_allocation_mode_valid CHECK (allocation_mode IN ('open', 'draw'));
COMMENT ON COLUMN site_procedures.allocation_mode IS
    'Overrides procedures.allocation_mode at this site (NULL: the procedure''s mode).';

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

-- A keyed digest of the client's network prefix on bookings too (filled
-- by the pages that know it; NULL otherwise).
ALTER TABLE bookings ADD COLUMN network_digest text
    CONSTRAINT bookings_network_digest_format CHECK (network_digest ~ '^[0-9a-f]{32}$');

INSERT INTO outbox_kinds (kind, description) VALUES
    ('draw_code', 'the code (and link) verifying a draw entry'),
    ('draw_offer', 'a draw entry won a place: confirm it with the code before the deadline');

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
