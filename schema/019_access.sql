-- The access doors (issue 10): finding a booking with its reference and
-- date of birth (/manage) and the staff login, throttled with growing
-- waits that a stranger cannot turn against the rightful user, a bound on
-- the live links /manage gives one booking, and every lookup and failure
-- in the audit log.
--
-- Keys are never personal data in clear: a booking reference (not
-- personal), a staff login (an account name), the worker's keyed digest
-- of the client address (staff_client_key()) and the random id of a
-- device cookie. The counters live in an UNLOGGED table: a crash forgets
-- them, which only forgives a few attempts. staff_login_failures (009) is
-- no longer used.
--
-- The functions, views and triggers of this migration are in
-- schema/code/access.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- Rules: per scope (the part of a key before its first colon), how many
-- failures are free, the first wait (doubled at each failure after that),
-- the longest wait, and how long without a failure (and out of any wait)
-- makes a key forget its failures. Addresses forget sooner: a France
-- Services point shares one among many people who mistype. Operators
-- tune them with UPDATE.
--
-- login_account is the slowdown of an account under attack: once it has
-- `free` failures from unknown browsers, none `quiet` apart, each new
-- pair of (account, address) without a known browser waits `base` once
-- (served again after `cap`): the right password from anywhere gets in
-- after that short delay, the attacker's pairs stay throttled by
-- login_pair.
CREATE TABLE access_throttle_rules (
    scope       text PRIMARY KEY CHECK (scope ~ '^[a-z_]+$'),
    free        integer NOT NULL CHECK (free >= 1),
    base        interval NOT NULL CHECK (base > '0'),
    cap         interval NOT NULL CHECK (cap >= base),
    quiet       interval NOT NULL CHECK (quiet > '0' AND quiet <= '24 hours')
);
COMMENT ON TABLE access_throttle_rules IS
    'Throttling of the access doors: free failures per key of a scope, then a wait of base doubling per failure up to cap; failures forgotten after quiet (login_account: see 019_access.sql).';
INSERT INTO access_throttle_rules VALUES
    ('manage_reference', 3, '30 seconds', '1 hour', '24 hours'),
    ('manage_address', 20, '30 seconds', '1 hour', '1 hour'),
    ('login_pair', 5, '30 seconds', '1 hour', '24 hours'),
    ('login_address', 30, '30 seconds', '1 hour', '1 hour'),
    ('login_device', 10, '30 seconds', '1 hour', '24 hours'),
    ('login_account', 10, '15 seconds', '15 minutes', '15 minutes');

CREATE UNLOGGED TABLE access_throttle (
    key          text PRIMARY KEY CHECK (length(key) <= 300),
    failures     integer NOT NULL DEFAULT 0,
    last_at      timestamptz NOT NULL DEFAULT now(),
    locked_until timestamptz,
    slow_from    timestamptz
);
COMMENT ON TABLE access_throttle IS
    'Failure counters of the access doors (UNLOGGED), keys scope:value; swept by access_throttle_sweep().';
COMMENT ON COLUMN access_throttle.slow_from IS
    'login_pair keys: when this (account, address) first met the slowdown of an account under attack.';
