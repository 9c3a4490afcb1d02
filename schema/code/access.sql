-- schema/code/access.sql
--
-- Throttled access: the booking lookup by reference and the staff
-- login, with their lock-outs (019).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Seconds the key must still wait (0: none).
CREATE OR REPLACE FUNCTION access_throttle_wait(p_key text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce((SELECT greatest(0, ceil(extract(epoch FROM locked_until - now())))::integer
                       FROM access_throttle WHERE key = p_key), 0)
$$;

-- The rule of a key (scope:value).
CREATE OR REPLACE FUNCTION access_throttle_rule(p_key text) RETURNS access_throttle_rules
LANGUAGE sql STABLE STRICT AS $$
    SELECT * FROM access_throttle_rules WHERE scope = split_part(p_key, ':', 1)
$$;

-- Whether a key's failures are forgotten: quiet for its rule's time and
-- out of any wait.
CREATE OR REPLACE FUNCTION access_throttle_stale(p_key text, p_last timestamptz, p_locked timestamptz)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT p_last < now() - (access_throttle_rule(p_key)).quiet
       AND coalesce(p_locked, '-infinity') < now()
$$;

-- Locks the key's row (creating it), so that concurrent attempts on one
-- key are taken one after the other; forgets stale failures. Returns the
-- seconds it must still wait.
CREATE OR REPLACE FUNCTION access_throttle_lock(p_key text) RETURNS integer
LANGUAGE sql VOLATILE AS $$
    INSERT INTO access_throttle AS a (key) VALUES (p_key)
    ON CONFLICT (key) DO UPDATE
       SET failures = CASE WHEN access_throttle_stale(a.key, a.last_at, a.locked_until) THEN 0 ELSE a.failures END
    RETURNING coalesce(greatest(0, ceil(extract(epoch FROM a.locked_until - now())))::integer, 0)
$$;

-- Counts one failure of a key (scope:value) under its scope's rule and
-- returns the wait now in force (seconds).
CREATE OR REPLACE FUNCTION access_throttle_failed(p_key text) RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    r   access_throttle_rules := access_throttle_rule(p_key);
    n   integer;
BEGIN
    IF r.scope IS NULL THEN
        RAISE EXCEPTION 'no throttling rule for %', p_key
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO access_throttle AS a (key, failures) VALUES (p_key, 1)
    ON CONFLICT (key) DO UPDATE
       SET failures = CASE WHEN access_throttle_stale(a.key, a.last_at, a.locked_until) THEN 1 ELSE a.failures + 1 END,
           last_at = now()
    RETURNING failures INTO n;
    IF n >= r.free THEN
        UPDATE access_throttle
           SET locked_until = now() + least(r.cap, r.base * power(2, least(n - r.free, 20)))
         WHERE key = p_key;
    END IF;
    RETURN access_throttle_wait(p_key);
END
$$;

-- Forgets a key's failures (after a success).
CREATE OR REPLACE FUNCTION access_throttle_forget(p_key text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    DELETE FROM access_throttle WHERE key = p_key
$$;

-- Deletes the counters nobody needs any more; returns how many.
CREATE OR REPLACE FUNCTION access_throttle_sweep() RETURNS integer
LANGUAGE sql VOLATILE AS $$
    WITH d AS (DELETE FROM access_throttle a
                WHERE (access_throttle_stale(a.key, a.last_at, a.locked_until) OR a.failures = 0)
                  AND coalesce(a.locked_until, '-infinity') < now()
                  AND coalesce(a.slow_from, '-infinity') < now() - interval '1 hour'
                  AND a.last_at < now() - interval '10 minutes'
               RETURNING 1)
    SELECT count(*)::integer FROM d
$$;

------------------------------------------------------------------------------
-- /manage: a booking by its reference and the holder's date of birth.
--
-- Throttled per reference (a few wrong dates, then a growing wait, for
-- everyone: the right date waits too, so guessing gains nothing) and per
-- client address (many references tried from one address). A right
-- answer forgets the reference's failures, not the address's. It gives
-- p_token as a 24-hour link and revokes the oldest live links /manage gave
-- that booking beyond p_max_links (the link of the messages is kept).
-- Every lookup, failure and refusal is in the audit log: the reference
-- (not personal data) and the address digest, never the date of birth.
-- Outcomes: ok, not_found (wait: the wait now in force, 0 when none),
-- wait (nothing was checked).
CREATE OR REPLACE FUNCTION booking_access_guarded(p_reference text, p_birth_date date, p_token text,
                                       p_addr text, p_max_links integer)
RETURNS TABLE (outcome text, wait integer)
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_ref     text := upper(regexp_replace(coalesce(p_reference, ''), '[-[:space:]]', '', 'g'));
    k_ref     text;
    k_addr    text := 'manage_address:' || coalesce(p_addr, '-');
    v_wait    integer;
    v_w       integer;
    v_scope   text;
    v_id      bigint;
    v_revoked integer;
BEGIN
    v_ref := left(v_ref, 64);
    k_ref := 'manage_reference:' || v_ref;
    -- Lock order: the reference, then the address.
    v_wait := access_throttle_lock(k_ref);
    v_scope := 'reference';
    v_w := access_throttle_lock(k_addr);
    IF v_w > v_wait THEN
        v_wait := v_w;
        v_scope := 'address';
    END IF;
    IF v_wait > 0 THEN
        INSERT INTO audit_log (action, object, details)
        VALUES ('manage.throttled', v_ref,
                jsonb_build_object('address', p_addr, 'wait', v_wait, 'scope', v_scope));
        RETURN QUERY SELECT 'wait'::text, v_wait;
        RETURN;
    END IF;
    -- The lookup itself (and the 24-hour link) is booking_access (004).
    SELECT a.booking_id INTO v_id FROM booking_access(v_ref, p_birth_date, p_token) a
     WHERE a.outcome = 'ok';
    IF v_id IS NULL THEN
        v_wait := greatest(access_throttle_failed(k_ref), access_throttle_failed(k_addr));
        INSERT INTO audit_log (action, object, details)
        VALUES ('manage.failed', v_ref, jsonb_build_object('address', p_addr, 'wait', v_wait));
        RETURN QUERY SELECT 'not_found'::text, v_wait;
        RETURN;
    END IF;
    PERFORM access_throttle_forget(k_ref);
    WITH old AS (
        SELECT t.token_hash FROM booking_tokens t
         WHERE t.booking_id = v_id AND t.expires_at > now()
         ORDER BY t.token_hash = sha256(convert_to(p_token, 'UTF8')) DESC,
                  t.created_at DESC, t.expires_at DESC
        OFFSET greatest(p_max_links, 1)),
    r AS (UPDATE booking_tokens t SET expires_at = now()
            FROM old WHERE t.token_hash = old.token_hash RETURNING 1)
    SELECT count(*) INTO v_revoked FROM r;
    INSERT INTO audit_log (action, object, details)
    VALUES ('manage.lookup', v_ref,
            jsonb_build_object('address', p_addr, 'booking', v_id, 'revoked', v_revoked));
    RETURN QUERY SELECT 'ok'::text, 0;
END
$$;
COMMENT ON FUNCTION booking_access_guarded(text, date, text, text, integer) IS
    'The /manage lookup, throttled per reference and per address, audited, at most p_max_links live links per booking; outcome ok, not_found or wait (with the seconds to wait).';

------------------------------------------------------------------------------
-- Staff logins: a stranger must not lock an agent out (the OWASP device
-- cookie approach). A browser that logged in gets a signed device cookie
-- (made and checked in C; p_device is its random id when it is valid for
-- this login, else NULL).
--
-- - A known browser is throttled only on its own failures (login_device):
--   nothing others do slows it.
-- - An unknown browser is throttled per (account, address) (login_pair)
--   and per address (login_address), and its failures count for the
--   account (login_account). Once the account has had many recent
--   failures from unknown browsers, each new (account, address) pair
--   waits a short delay once before its first attempt is checked: the
--   right password from another address gets in after that delay,
--   however long the attack goes on.

-- Every attempt that goes on to a password check is counted as a failure
-- at once, in the same statement that checked the waits (the rows are
-- locked by the upserts), so attempts sent at the same moment are taken
-- one after the other; a right password then takes its count back
-- (staff_login_right).

-- Undoes the count of one attempt on a key (the password was right);
-- lifts a wait that this attempt alone had started.
CREATE OR REPLACE FUNCTION access_throttle_undo(p_key text) RETURNS void
LANGUAGE sql VOLATILE AS $$
    UPDATE access_throttle
       SET failures = greatest(failures - 1, 0),
           locked_until = CASE WHEN failures - 1 < (access_throttle_rule(key)).free
                               THEN NULL ELSE locked_until END
     WHERE key = p_key
$$;

-- Before checking a password: the account (NULLs when unknown or
-- inactive), how long this attempt must wait (0: go on, and it is
-- counted) and why (device, pair, address, account).
CREATE OR REPLACE FUNCTION staff_login_start(p_email text, p_addr text, p_device text)
RETURNS TABLE (account_id bigint, password_hash text, wait integer, scope text)
LANGUAGE plpgsql VOLATILE AS $$
#variable_conflict use_column
DECLARE
    v_login  text := lower(coalesce(p_email, ''));
    k_pair   text := 'login_pair:' || v_login || ' ' || coalesce(p_addr, '-');
    k_addr   text := 'login_address:' || coalesce(p_addr, '-');
    k_acct   text := 'login_account:' || v_login;
    v_wait   integer := 0;
    v_scope  text := NULL;
    v_w      integer;
    r        access_throttle_rules;
    v_acct   access_throttle;
    v_slow   timestamptz;
BEGIN
    IF p_device IS NOT NULL THEN
        v_wait := access_throttle_lock('login_device:' || p_device);
        v_scope := 'device';
        IF v_wait = 0 THEN
            PERFORM access_throttle_failed('login_device:' || p_device);
        END IF;
    ELSE
        -- Lock order: the pair, then the address.
        v_wait := access_throttle_lock(k_pair);
        v_scope := 'pair';
        v_w := access_throttle_lock(k_addr);
        IF v_w > v_wait THEN
            v_wait := v_w;
            v_scope := 'address';
        END IF;
        r := access_throttle_rule(k_acct);
        SELECT * INTO v_acct FROM access_throttle WHERE key = k_acct;
        IF v_wait = 0 AND v_acct.failures >= r.free AND v_acct.last_at > now() - r.quiet THEN
            UPDATE access_throttle a
               SET slow_from = CASE WHEN a.slow_from IS NULL OR a.slow_from < now() - r.cap
                                    THEN now() ELSE a.slow_from END
             WHERE a.key = k_pair
            RETURNING a.slow_from INTO v_slow;
            v_wait := greatest(0, ceil(extract(epoch FROM v_slow + r.base - now())))::integer;
            v_scope := 'account';
        END IF;
        IF v_wait = 0 THEN
            PERFORM access_throttle_failed(k_pair), access_throttle_failed(k_addr);
            -- The account only counts (login_account has no wait of its own).
            INSERT INTO access_throttle AS a (key, failures) VALUES (k_acct, 1)
            ON CONFLICT (key) DO UPDATE
               SET failures = CASE WHEN access_throttle_stale(a.key, a.last_at, a.locked_until)
                                   THEN 1 ELSE a.failures + 1 END,
                   last_at = now();
        END IF;
    END IF;
    RETURN QUERY
    SELECT a.id, a.password_hash, v_wait, CASE WHEN v_wait > 0 THEN v_scope END
      FROM (SELECT 1) one
      LEFT JOIN staff_accounts a ON a.email = v_login AND a.active;
END
$$;
COMMENT ON FUNCTION staff_login_start(text, text, text) IS
    'Before a password check: the account, the wait in force for this browser or (account, address) and its scope (device, pair, address, account); an attempt let through is counted as a failure until staff_login_right.';

-- After a wrong password (already counted by staff_login_start): the
-- wait now in force for this browser or (account, address). Audited with
-- the address digest.
CREATE OR REPLACE FUNCTION staff_login_wrong(p_email text, p_addr text, p_device text)
RETURNS integer
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_login text := lower(coalesce(p_email, ''));
    v_wait  integer;
BEGIN
    IF p_device IS NOT NULL THEN
        v_wait := access_throttle_wait('login_device:' || p_device);
    ELSE
        v_wait := greatest(access_throttle_wait('login_pair:' || v_login || ' ' || coalesce(p_addr, '-')),
                           access_throttle_wait('login_address:' || coalesce(p_addr, '-')));
    END IF;
    INSERT INTO audit_log (account_id, action, object, details)
    SELECT id, 'login.failed', email,
           jsonb_build_object('address', p_addr, 'known_device', p_device IS NOT NULL, 'wait', v_wait)
      FROM staff_accounts WHERE email = v_login;
    RETURN v_wait;
END
$$;

-- After a right password: forgets the failures of this browser and of
-- this (account, address), takes back the count of this attempt from the
-- address and the account (their other failures stay: an attack may go
-- on), then opens the session (staff_login_succeeded).
CREATE OR REPLACE FUNCTION staff_login_right(p_account_id bigint, p_token text, p_csrf text,
                                  p_lifetime interval, p_addr text, p_device text)
RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    v_login text := (SELECT email FROM staff_accounts WHERE id = p_account_id);
BEGIN
    IF p_device IS NOT NULL THEN
        PERFORM access_throttle_forget('login_device:' || p_device);
    ELSE
        PERFORM access_throttle_forget('login_pair:' || v_login || ' ' || coalesce(p_addr, '-'));
        PERFORM access_throttle_undo('login_address:' || coalesce(p_addr, '-'));
        PERFORM access_throttle_undo('login_account:' || v_login);
    END IF;
    RETURN staff_login_succeeded(p_account_id, p_token, p_csrf, p_lifetime);
END
$$;
