-- schema/code/staff.sql
--
-- Staff accounts: sessions, login, the append-only audit log
-- and site rights (009).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_log is append-only'
        USING ERRCODE = 'insufficient_privilege';
END
$$;

CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

CREATE TRIGGER audit_log_no_truncate BEFORE TRUNCATE ON audit_log
    FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only();

-- Seconds a key must still wait before its next login attempt (0: none).
-- The first attempts are free; then each failure doubles the wait, up to
-- an hour. An address gets more free attempts than an account, since a
-- France Services point shares one address among many people.
CREATE OR REPLACE FUNCTION staff_login_wait(p_key text) RETURNS integer
LANGUAGE sql STABLE AS $$
    SELECT coalesce(greatest(0, ceil(extract(epoch FROM locked_until - now())))::integer, 0)
      FROM staff_login_failures WHERE key = p_key
    UNION ALL SELECT 0
    LIMIT 1
$$;

-- Before checking a password: the account's id, role and argon2id hash
-- (NULLs for an unknown or inactive account) and how long the account or
-- the address must still wait (seconds; 0 when the attempt may go on).
CREATE OR REPLACE FUNCTION staff_login_begin(p_email text, p_addr text)
RETURNS TABLE (account_id bigint, password_hash text, wait integer)
LANGUAGE sql STABLE AS $$
    SELECT a.id, a.password_hash,
           greatest(staff_login_wait('account:' || lower(p_email)),
                    staff_login_wait('address:' || p_addr))
      FROM (SELECT 1) one
      LEFT JOIN staff_accounts a ON a.email = lower(p_email) AND a.active
$$;

-- Records a failed attempt for the account and the address and sets their
-- waits: account after 5 failures 30 s, then doubling up to 1 h; address
-- after 30 failures likewise. Returns the wait now in force (seconds).
CREATE OR REPLACE FUNCTION staff_login_failed(p_email text, p_addr text)
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    k       record;
    n       integer;
BEGIN
    FOR k IN SELECT * FROM (VALUES ('account:' || lower(p_email), 5),
                                   ('address:' || p_addr, 30)) v(key, free)
    LOOP
        INSERT INTO staff_login_failures AS f (key, failures, last_at)
        VALUES (k.key, 1, now())
        ON CONFLICT (key) DO UPDATE
           SET failures = CASE WHEN f.last_at < now() - interval '24 hours'
                               THEN 1 ELSE f.failures + 1 END,
               last_at = now()
        RETURNING failures INTO n;
        IF n >= k.free THEN
            UPDATE staff_login_failures
               SET locked_until = now() + least(interval '1 hour',
                       interval '30 seconds' * power(2, least(n - k.free, 12)))
             WHERE key = k.key;
        END IF;
    END LOOP;
    INSERT INTO audit_log (account_id, action, object)
    SELECT id, 'login.failed', email FROM staff_accounts WHERE email = lower(p_email);
    RETURN greatest(staff_login_wait('account:' || lower(p_email)),
                    staff_login_wait('address:' || p_addr));
END
$$;

-- After a right password: forgets the account's failures, opens a new
-- session (a fresh token at every login: no fixation), logs it. Returns
-- the new session's CSRF secret.
CREATE OR REPLACE FUNCTION staff_login_succeeded(p_account_id bigint, p_token text,
                                      p_csrf text, p_lifetime interval)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    DELETE FROM staff_login_failures
     WHERE key = 'account:' || (SELECT email FROM staff_accounts WHERE id = p_account_id);
    INSERT INTO staff_sessions (token_hash, account_id, csrf, expires_at)
    VALUES (sha256(convert_to(p_token, 'UTF8')), p_account_id, p_csrf,
            now() + p_lifetime);
    INSERT INTO audit_log (account_id, action) VALUES (p_account_id, 'login');
    RETURN p_csrf;
END
$$;

-- The account behind a session cookie, when the session is open, not
-- idle for longer than p_idle and not past its lifetime; touches it.
CREATE OR REPLACE FUNCTION staff_session(p_token text, p_idle interval)
RETURNS TABLE (account_id bigint, email text, name text, role text,
               organisation_id bigint, csrf text)
LANGUAGE plpgsql AS $$
DECLARE
    h bytea := sha256(convert_to(p_token, 'UTF8'));
BEGIN
    RETURN QUERY
    UPDATE staff_sessions s SET last_seen_at = now()
      FROM staff_accounts a
     WHERE s.token_hash = h AND a.id = s.account_id AND a.active
       AND s.ended_at IS NULL AND s.expires_at > now()
       AND s.last_seen_at > now() - p_idle
    RETURNING a.id, a.email, a.name, a.role, a.organisation_id, s.csrf;
END
$$;

-- Ends a session on the server (logout); returns whether one was open.
CREATE OR REPLACE FUNCTION staff_logout(p_token text) RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_account bigint;
BEGIN
    UPDATE staff_sessions SET ended_at = now()
     WHERE token_hash = sha256(convert_to(p_token, 'UTF8')) AND ended_at IS NULL
    RETURNING account_id INTO v_account;
    IF v_account IS NOT NULL THEN
        INSERT INTO audit_log (account_id, action) VALUES (v_account, 'logout');
    END IF;
    RETURN v_account IS NOT NULL;
END
$$;

-- Whether an account may act for a site: administrators everywhere,
-- agents and supervisors on their sites, mediators nowhere (they use the
-- mediator pages, not the site pages).
CREATE OR REPLACE FUNCTION staff_can_site(p_account_id bigint, p_site_id bigint)
RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM staff_accounts a
                    WHERE a.id = p_account_id AND a.active
                      AND (a.role = 'administrator'
                           OR (a.role IN ('agent', 'supervisor')
                               AND EXISTS (SELECT 1 FROM staff_sites ss
                                            WHERE ss.account_id = a.id
                                              AND ss.site_id = p_site_id))))
$$;

-- creneau-admin changes data only through functions, like the pages: the
-- command line reads its arguments and calls one function per change.

-- Creates a staff account: an administrator, an agent or supervisor of
-- the sites named by p_sites (slugs), or a mediator of the organisation
-- p_organisation (created if new). p_password_hash is an argon2id hash
-- computed by the caller. An unknown site, a mediator without an
-- organisation or an e-mail already in use raise an error that says so;
-- nothing is written then. Returns the new account's id.
CREATE OR REPLACE FUNCTION staff_account_add(p_email text, p_name text,
    p_role text, p_password_hash text, p_organisation text, p_sites text[])
RETURNS bigint
LANGUAGE plpgsql AS $$
DECLARE
    v_org     bigint;
    v_account bigint;
    v_slug    text;
    v_site    bigint;
BEGIN
    IF p_role = 'mediator' THEN
        IF coalesce(btrim(p_organisation), '') = '' THEN
            RAISE EXCEPTION 'a mediator needs an organisation'
                USING ERRCODE = '22023';
        END IF;
        INSERT INTO organisations (name) VALUES (p_organisation)
            ON CONFLICT (name) DO NOTHING;
        SELECT id INTO v_org FROM organisations WHERE name = p_organisation;
    ELSIF p_organisation IS NOT NULL THEN
        RAISE EXCEPTION 'only a mediator belongs to an organisation'
            USING ERRCODE = '22023';
    END IF;
    IF EXISTS (SELECT 1 FROM staff_accounts WHERE email = lower(p_email)) THEN
        RAISE EXCEPTION 'an account with the e-mail % already exists', lower(p_email)
            USING ERRCODE = '23505';
    END IF;
    INSERT INTO staff_accounts (email, name, role, password_hash, organisation_id)
        VALUES (lower(p_email), p_name, p_role, p_password_hash, v_org)
        RETURNING id INTO v_account;
    FOREACH v_slug IN ARRAY coalesce(p_sites, '{}') LOOP
        SELECT id INTO v_site FROM sites WHERE slug = v_slug;
        IF NOT FOUND THEN
            RAISE EXCEPTION 'there is no site %', v_slug USING ERRCODE = '22023';
        END IF;
        INSERT INTO staff_sites (account_id, site_id) VALUES (v_account, v_site)
            ON CONFLICT DO NOTHING;
    END LOOP;
    INSERT INTO audit_log (account_id, action, object)
        VALUES (v_account, 'staff.created', lower(p_email));
    RETURN v_account;
END;
$$;
