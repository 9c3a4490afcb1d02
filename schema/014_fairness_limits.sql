-- 014_fairness_limits.sql: rate limits on state-changing actions (issue 4)
-- and what the waiting room of open releases reads (its per-worker cache).
--
-- Rate limits. nginx's limit_req per client address is the first line;
-- these are the second: per action and per identity key, e-mail, phone and
-- address digest, in fixed windows. The counters live in an UNLOGGED table
-- (no WAL, no fsync at commit: a transaction that only writes it commits
-- asynchronously) and every hit is one statement, INSERT ... ON CONFLICT
-- ... DO UPDATE ... RETURNING, so the table never becomes a write hot spot;
-- a crash empties it, which only forgives a few attempts. rate_limit_sweep()
-- (creneau-admin sweep) deletes the windows that have ended.
--
-- A shared address (carrier NAT, a France Services point) must let many
-- real people through: the limits are per action and per identity; the
-- per-address rule is high and only ever refuses that action from that
-- address for the rest of its window. There is no global ban.
--
-- Keys are never personal data in clear: identity keys are already HMACs,
-- e-mail and phone are HMAC'd with the server secret here, the address is
-- the worker's keyed digest (staff_client_key()).
--
-- The functions, views and triggers of this migration are in
-- schema/code/limits.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- Rules: how many hits of an action a key of a scope may make per window.
-- Operators tune them with UPDATE; other actions (the draw registration)
-- add their own rows.
CREATE TABLE rate_limit_rules (
    action      text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    scope       text NOT NULL CHECK (scope ~ '^[a-z_]{1,40}$'),
    window_size interval NOT NULL CHECK (window_size >= interval '1 second'),
    max_hits    integer NOT NULL CHECK (max_hits >= 1),
    PRIMARY KEY (action, scope)
);
COMMENT ON TABLE rate_limit_rules IS
    'Rate limits: at most max_hits hits of action per key of scope in each fixed window of window_size.';

INSERT INTO rate_limit_rules (action, scope, window_size, max_hits) VALUES
    -- Booking forms that reach booking_hold (valid fields, valid token).
    ('booking_hold', 'email',   interval '10 minutes', 10),
    ('booking_hold', 'phone',   interval '10 minutes', 10),
    -- A whole France Services point or carrier NAT books through one
    -- address: high, a brake on one machine only.
    ('booking_hold', 'address', interval '10 minutes', 3000),
    -- Bookings made per identity (held, whatever became of them): a
    -- hold-cancel-hold loop would keep places out of the pool.
    ('booking_made', 'identity', interval '1 day', 6),
    -- Draw registrations: the same brakes as booking forms.
    ('draw_register', 'email',   interval '10 minutes', 10),
    ('draw_register', 'phone',   interval '10 minutes', 10),
    ('draw_register', 'address', interval '10 minutes', 3000);

-- The counters. window_start is date_bin(window, now(), epoch): fixed
-- windows, so one row per key and window.
CREATE UNLOGGED TABLE rate_limits (
    action       text NOT NULL,
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (action, key, window_start)
) WITH (fillfactor = 70);
CREATE INDEX rate_limits_end_idx ON rate_limits (window_end);
COMMENT ON TABLE rate_limits IS
    'Rate-limit counters (UNLOGGED: emptied by a crash); one row per action, key and fixed window; swept by rate_limit_sweep().';

------------------------------------------------------------------------------
-- The waiting room's view of the releases (fcgi/web/waitroom.c keeps it in a
-- per-worker cache refreshed every few seconds, so waiting costs no
-- database work).
CREATE INDEX IF NOT EXISTS slots_published_at_idx ON slots (published_at);
