-- 026_staff_admin.sql: administration pages for staff accounts (issue 12).
--
-- An administrator creates an account from the web pages without
-- choosing its password: the account gets a one-time link, which its
-- owner opens to set the password. Until then the account has no
-- password (NULL: no password matches it). A reset gives a new link and
-- removes the password.
--
-- The functions of this migration are in schema/code/staff.sql
-- (HACKING.md, "Schema layout").

ALTER TABLE staff_accounts ALTER COLUMN password_hash DROP NOT NULL;

-- One-time links: only the sha256 of the link's secret is stored, as for
-- sessions and booking links. Single use (used_at), expiring, and the
-- newer link of an account replaces the older ones (they are marked
-- used when a new one is made).
CREATE TABLE staff_access_links (
    token_hash      bytea PRIMARY KEY CHECK (octet_length(token_hash) = 32),
    account_id      bigint NOT NULL REFERENCES staff_accounts (id) ON DELETE CASCADE,
    created_by      bigint REFERENCES staff_accounts (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    used_at         timestamptz
);
CREATE INDEX staff_access_links_account_idx ON staff_access_links (account_id);
COMMENT ON TABLE staff_access_links IS
    'One-time links to set a staff password: sha256 of the secret, single use, expiring.';

-- The forms of the administration pages carry a random nonce taken once:
-- a POST sent again (replayed) finds its nonce used and is refused.
CREATE TABLE staff_form_nonces (
    nonce           text PRIMARY KEY CHECK (length(nonce) BETWEEN 32 AND 64),
    account_id      bigint NOT NULL REFERENCES staff_accounts (id),
    used_at         timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_form_nonces_used_idx ON staff_form_nonces (used_at);
