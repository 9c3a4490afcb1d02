-- Staff: accounts (agents, supervisors, mediators, administrators), the
-- sites and organisations they act for, server-side sessions, login
-- throttling and the append-only audit log. Passwords are argon2id
-- strings made by libsodium in the C code; the database never sees a
-- password, only its hash.
--
-- The functions, views and triggers of this migration are in
-- schema/code/staff.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

-- Organisations mediators belong to (France Services, digital help
-- points, associations), with a monthly booking quota.
CREATE TABLE organisations (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    name            text NOT NULL UNIQUE CHECK (btrim(name) <> ''),
    kind            text NOT NULL DEFAULT 'france_services'
                    CHECK (kind IN ('france_services', 'point_numerique',
                                    'association', 'other')),
    monthly_quota   integer NOT NULL DEFAULT 60 CHECK (monthly_quota >= 0),
    created_at      timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE organisations IS
    'Structures whose mediators book on behalf of people without e-mail; monthly_quota caps their bookings.';

CREATE TABLE staff_accounts (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    email           text NOT NULL UNIQUE
                    CHECK (email = lower(email) AND email ~ '^[^@[:space:]]+@[^@[:space:]]+$'),
    name            text NOT NULL CHECK (btrim(name) <> ''),
    role            text NOT NULL
                    CHECK (role IN ('agent', 'supervisor', 'mediator', 'administrator')),
    organisation_id bigint REFERENCES organisations (id),
    password_hash   text NOT NULL CHECK (password_hash LIKE '$argon2id$%'),
    active          boolean NOT NULL DEFAULT true,
    created_at      timestamptz NOT NULL DEFAULT now(),
    password_changed_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT staff_mediator_has_organisation
        CHECK ((role = 'mediator') = (organisation_id IS NOT NULL))
);
COMMENT ON TABLE staff_accounts IS
    'Prefecture staff and mediators; password_hash is an argon2id string (libsodium crypto_pwhash_str).';

-- Which sites an agent or supervisor works for (administrators: all).
CREATE TABLE staff_sites (
    account_id      bigint NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    site_id         bigint NOT NULL REFERENCES sites (id),
    PRIMARY KEY (account_id, site_id)
);

-- Sessions: only the sha256 of the cookie's secret is stored. Idle
-- timeout and absolute lifetime are checked by staff_session().
CREATE TABLE staff_sessions (
    token_hash      bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    account_id      bigint NOT NULL REFERENCES staff_accounts (id),
    csrf            text NOT NULL CHECK (length(csrf) >= 32),
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    ended_at        timestamptz
);
CREATE INDEX staff_sessions_account_idx ON staff_sessions (account_id);

-- Failed logins per account and per client address (a hash of it, never
-- the address), in an unlogged table: a crash forgets them, which is
-- acceptable for throttling.
CREATE UNLOGGED TABLE staff_login_failures (
    key             text PRIMARY KEY,
    failures        integer NOT NULL DEFAULT 0,
    last_at         timestamptz NOT NULL DEFAULT now(),
    locked_until    timestamptz
);

-- The audit log: every staff action that reads personal data or changes
-- state. Append-only: UPDATE, DELETE and TRUNCATE are refused.
CREATE TABLE audit_log (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at              timestamptz NOT NULL DEFAULT now(),
    account_id      bigint REFERENCES staff_accounts (id),
    site_id         bigint REFERENCES sites (id),
    action          text NOT NULL CHECK (action ~ '^[a-z_.]+$'),
    object          text,
    details         jsonb NOT NULL DEFAULT '{}'
);
CREATE INDEX audit_log_at_idx ON audit_log (at);
CREATE INDEX audit_log_site_idx ON audit_log (site_id, at);
