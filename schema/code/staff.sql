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

-- The audit log stays append-only, except for the purge of old entries
-- (reporting.purge; the setting is local to the purge's transaction).
CREATE OR REPLACE FUNCTION audit_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND current_setting('creneau.purging', true) = 'on'
       AND OLD.at < now() - interval '1 day' THEN
        RETURN OLD;
    END IF;
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
-- computed by the caller, or NULL for an account whose owner sets the
-- password with a one-time link (the administration pages). p_actor is
-- the administrator who creates it from the pages (NULL from the shell:
-- the audit entry then names the new account). An unknown site, a mediator without an
-- organisation or an e-mail already in use raise an error that says so;
-- nothing is written then. Returns the new account's id.
CREATE OR REPLACE FUNCTION staff_account_add(p_email text, p_name text,
    p_role text, p_password_hash text, p_organisation text, p_sites text[],
    p_actor bigint DEFAULT NULL)
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
    INSERT INTO audit_log (account_id, action, object, details)
        VALUES (coalesce(p_actor, v_account), 'staff.created', lower(p_email),
                jsonb_build_object('account', v_account, 'role', p_role,
                                   'sites', to_jsonb(coalesce(p_sites, '{}'))));
    RETURN v_account;
END;
$$;

-- ---------------------------------------------------------------------
-- Administration pages (issue 12): staff accounts from the web pages.
-- Every function takes the acting account and does nothing but say
-- 'forbidden' unless it is an active administrator; every change is
-- audited under the administrator's account. The forms carry a signed
-- nonce (the id of a form token) taken once by staff_form_nonce_take(),
-- so a POST sent again is refused ('replayed'). Tables in
-- schema/026_staff_admin.sql.
-- ---------------------------------------------------------------------

-- Whether p_account is an active administrator.
CREATE OR REPLACE FUNCTION staff_is_admin(p_account bigint) RETURNS boolean
LANGUAGE sql STABLE AS $$
    SELECT EXISTS (SELECT 1 FROM staff_accounts
                    WHERE id = p_account AND active AND role = 'administrator')
$$;
COMMENT ON FUNCTION staff_is_admin(bigint) IS
    'Whether the account is an active administrator.';

-- Takes a form nonce once: true the first time, false when it was used
-- (a replayed POST). Nonces older than two days are forgotten (the form
-- tokens that carry them expire before).
CREATE OR REPLACE FUNCTION staff_form_nonce_take(p_account bigint, p_nonce text)
RETURNS boolean
LANGUAGE plpgsql AS $$
DECLARE
    v_taken boolean;
BEGIN
    DELETE FROM staff_form_nonces WHERE used_at < now() - interval '2 days';
    INSERT INTO staff_form_nonces (nonce, account_id) VALUES (p_nonce, p_account)
        ON CONFLICT (nonce) DO NOTHING
        RETURNING true INTO v_taken;
    RETURN coalesce(v_taken, false);
END
$$;
COMMENT ON FUNCTION staff_form_nonce_take(bigint, text) IS
    'Takes a form nonce once (true), false when already used: replayed POSTs are refused.';

-- The first check of every change from the administration pages: NULL
-- when p_admin is an administrator and the form's nonce was not used
-- (it is taken now), else the outcome to answer: forbidden or replayed.
CREATE OR REPLACE FUNCTION staff_admin_begin(p_admin bigint, p_nonce text)
RETURNS text
LANGUAGE plpgsql AS $$
BEGIN
    IF NOT staff_is_admin(p_admin) THEN
        RETURN 'forbidden';
    END IF;
    IF NOT staff_form_nonce_take(p_admin, p_nonce) THEN
        RETURN 'replayed';
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION staff_admin_begin(bigint, text) IS
    'Checks the administrator and takes the form nonce: NULL, or forbidden / replayed.';

-- Records that p_account was refused an administration page (p_path).
CREATE OR REPLACE FUNCTION staff_admin_refused(p_account bigint, p_path text)
RETURNS boolean
LANGUAGE sql AS $$
    INSERT INTO audit_log (account_id, action, object)
    VALUES (p_account, 'admin.refused', left(p_path, 200))
    RETURNING true
$$;
COMMENT ON FUNCTION staff_admin_refused(bigint, text) IS
    'Audits a refused administration page (the account was not an administrator).';

-- Makes a one-time link for p_account_id (the sha256 of p_token is
-- stored), valid p_hours; the account's older links stop working.
CREATE OR REPLACE FUNCTION staff_link_make(p_account_id bigint, p_token text,
    p_hours integer, p_by bigint)
RETURNS void
LANGUAGE sql AS $$
    UPDATE staff_access_links SET used_at = now()
     WHERE account_id = p_account_id AND used_at IS NULL;
    INSERT INTO staff_access_links (token_hash, account_id, created_by, expires_at)
    VALUES (sha256(convert_to(p_token, 'UTF8')), p_account_id, p_by,
            now() + make_interval(hours => p_hours));
$$;
COMMENT ON FUNCTION staff_link_make(bigint, text, integer, bigint) IS
    'Makes a one-time link (hashed, expiring) for an account; its older links stop working.';

-- The staff accounts for the administration pages, by name: every one
-- (p_account_id NULL) or one. site_names are the names of its sites,
-- comma-separated, site_slugs their slugs, space-separated;
-- link_pending whether an unused link is still valid. No row unless
-- p_admin is an administrator.
CREATE OR REPLACE FUNCTION staff_admin_accounts(p_admin bigint, p_account_id bigint)
RETURNS TABLE (account_id bigint, email text, name text, role text,
               active boolean, has_password boolean, organisation text,
               site_names text, site_slugs text, link_pending boolean)
LANGUAGE sql STABLE AS $$
    SELECT a.id, a.email, a.name, a.role, a.active,
           a.password_hash IS NOT NULL, coalesce(o.name, ''),
           coalesce(ss.names, ''), coalesce(ss.slugs, ''),
           EXISTS (SELECT 1 FROM staff_access_links l
                    WHERE l.account_id = a.id AND l.used_at IS NULL
                      AND l.expires_at > now())
      FROM staff_accounts a
      LEFT JOIN organisations o ON o.id = a.organisation_id
      LEFT JOIN LATERAL (
           SELECT string_agg(s.name, ', ' ORDER BY s.name) AS names,
                  string_agg(s.slug, ' ' ORDER BY s.slug) AS slugs
             FROM staff_sites x JOIN sites s ON s.id = x.site_id
            WHERE x.account_id = a.id) ss ON true
     WHERE (p_account_id IS NULL OR a.id = p_account_id)
       AND staff_is_admin(p_admin)
     ORDER BY a.active DESC, lower(a.name), a.id
$$;
COMMENT ON FUNCTION staff_admin_accounts(bigint, bigint) IS
    'Staff accounts (all, or one) with role, state and sites, for an administrator (none otherwise).';

-- Creates an account from the pages through staff_account_add() (as
-- creneau-admin staff-add does), without a password, and its one-time
-- link. Outcomes: created, forbidden, replayed, email_taken, no_site,
-- organisation_needed, organisation_not_allowed, bad_role.
CREATE OR REPLACE FUNCTION staff_admin_create(p_admin bigint, p_nonce text,
    p_email text, p_name text, p_role text, p_organisation text,
    p_sites text[], p_token text, p_hours integer)
RETURNS TABLE (outcome text, account_id bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_org  text := nullif(btrim(coalesce(p_organisation, '')), '');
    v_id   bigint;
    v_no   text := staff_admin_begin(p_admin, p_nonce);
BEGIN
    IF v_no IS NOT NULL THEN
        RETURN QUERY SELECT v_no, NULL::bigint; RETURN;
    END IF;
    IF p_role NOT IN ('agent', 'supervisor', 'mediator', 'administrator') THEN
        RETURN QUERY SELECT 'bad_role', NULL::bigint; RETURN;
    END IF;
    IF EXISTS (SELECT 1 FROM staff_accounts a WHERE a.email = lower(p_email)) THEN
        RETURN QUERY SELECT 'email_taken', NULL::bigint; RETURN;
    END IF;
    IF p_role = 'mediator' AND v_org IS NULL THEN
        RETURN QUERY SELECT 'organisation_needed', NULL::bigint; RETURN;
    END IF;
    IF p_role <> 'mediator' AND v_org IS NOT NULL THEN
        RETURN QUERY SELECT 'organisation_not_allowed', NULL::bigint; RETURN;
    END IF;
    IF p_role IN ('agent', 'supervisor')
       AND (cardinality(coalesce(p_sites, '{}')) = 0
            OR EXISTS (SELECT 1 FROM unnest(p_sites) u(slug)
                        WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.slug = u.slug))) THEN
        RETURN QUERY SELECT 'no_site', NULL::bigint; RETURN;
    END IF;
    v_id := staff_account_add(p_email, p_name, p_role, NULL, v_org,
                CASE WHEN p_role IN ('agent', 'supervisor') THEN p_sites END,
                p_admin);
    PERFORM staff_link_make(v_id, p_token, p_hours, p_admin);
    INSERT INTO audit_log (account_id, action, object, details)
    VALUES (p_admin, 'staff.link', lower(p_email), jsonb_build_object('account', v_id));
    RETURN QUERY SELECT 'created', v_id;
END
$$;
COMMENT ON FUNCTION staff_admin_create(bigint, text, text, text, text, text, text[], text, integer) IS
    'An administrator creates a staff account (through staff_account_add) with a one-time link; audited.';

-- Changes an account from the pages. p_action: 'disable' (sessions end,
-- links stop working), 'enable', 'reset' (password removed, sessions end,
-- a new one-time link p_token), 'scope' (role p_role and sites p_sites;
-- an organisation only for a mediator). Outcomes: done, forbidden,
-- replayed, not_found, self (an administrator cannot disable, reset or
-- demote their own account), no_site, organisation_needed, bad_role.
CREATE OR REPLACE FUNCTION staff_admin_change(p_admin bigint, p_nonce text,
    p_account_id bigint, p_action text, p_role text, p_organisation text,
    p_sites text[], p_token text, p_hours integer)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    a      staff_accounts;
    v_org  bigint;
    v_slug text;
    v_no   text := staff_admin_begin(p_admin, p_nonce);
BEGIN
    IF v_no IS NOT NULL THEN
        RETURN v_no;
    END IF;
    SELECT * INTO a FROM staff_accounts WHERE id = p_account_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF a.id = p_admin AND p_action IN ('disable', 'reset', 'scope') THEN
        RETURN 'self';
    END IF;
    IF p_action = 'disable' THEN
        UPDATE staff_accounts SET active = false WHERE id = a.id;
        UPDATE staff_sessions SET ended_at = now()
         WHERE account_id = a.id AND ended_at IS NULL;
        UPDATE staff_access_links SET used_at = now()
         WHERE account_id = a.id AND used_at IS NULL;
        INSERT INTO audit_log (account_id, action, object, details)
        VALUES (p_admin, 'staff.disabled', a.email, jsonb_build_object('account', a.id));
    ELSIF p_action = 'enable' THEN
        UPDATE staff_accounts SET active = true WHERE id = a.id;
        INSERT INTO audit_log (account_id, action, object, details)
        VALUES (p_admin, 'staff.enabled', a.email, jsonb_build_object('account', a.id));
    ELSIF p_action = 'reset' THEN
        UPDATE staff_accounts SET password_hash = NULL, password_changed_at = now()
         WHERE id = a.id;
        UPDATE staff_sessions SET ended_at = now()
         WHERE account_id = a.id AND ended_at IS NULL;
        PERFORM staff_link_make(a.id, p_token, p_hours, p_admin);
        INSERT INTO audit_log (account_id, action, object, details)
        VALUES (p_admin, 'staff.reset', a.email, jsonb_build_object('account', a.id));
    ELSIF p_action = 'scope' THEN
        IF p_role NOT IN ('agent', 'supervisor', 'mediator', 'administrator') THEN
            RETURN 'bad_role';
        END IF;
        IF p_role = 'mediator' THEN
            IF nullif(btrim(coalesce(p_organisation, '')), '') IS NULL THEN
                RETURN 'organisation_needed';
            END IF;
            INSERT INTO organisations (name) VALUES (btrim(p_organisation))
                ON CONFLICT (name) DO NOTHING;
            SELECT id INTO v_org FROM organisations WHERE name = btrim(p_organisation);
        END IF;
        IF p_role IN ('agent', 'supervisor')
           AND (cardinality(coalesce(p_sites, '{}')) = 0
                OR EXISTS (SELECT 1 FROM unnest(p_sites) u(slug)
                            WHERE NOT EXISTS (SELECT 1 FROM sites s WHERE s.slug = u.slug))) THEN
            RETURN 'no_site';
        END IF;
        UPDATE staff_accounts SET role = p_role, organisation_id = v_org WHERE id = a.id;
        DELETE FROM staff_sites WHERE account_id = a.id;
        IF p_role IN ('agent', 'supervisor') THEN
            FOREACH v_slug IN ARRAY p_sites LOOP
                INSERT INTO staff_sites (account_id, site_id)
                SELECT a.id, s.id FROM sites s WHERE s.slug = v_slug
                ON CONFLICT DO NOTHING;
            END LOOP;
        END IF;
        -- A change of rights takes effect at once: open sessions end.
        UPDATE staff_sessions SET ended_at = now()
         WHERE account_id = a.id AND ended_at IS NULL;
        INSERT INTO audit_log (account_id, action, object, details)
        VALUES (p_admin, 'staff.scope', a.email,
                jsonb_build_object('account', a.id, 'role', p_role,
                                   'sites', to_jsonb(coalesce(p_sites, '{}'))));
    ELSE
        RETURN 'bad_action';
    END IF;
    RETURN 'done';
END
$$;
COMMENT ON FUNCTION staff_admin_change(bigint, text, bigint, text, text, text, text[], text, integer) IS
    'An administrator disables, enables, resets (one-time link) or changes the role and sites of an account; audited.';

-- The account of a one-time link still valid (no row otherwise).
CREATE OR REPLACE FUNCTION staff_link_account(p_token text)
RETURNS TABLE (account_id bigint, email text, name text)
LANGUAGE sql STABLE AS $$
    SELECT a.id, a.email, a.name
      FROM staff_access_links l JOIN staff_accounts a ON a.id = l.account_id
     WHERE l.token_hash = sha256(convert_to(p_token, 'UTF8'))
       AND l.used_at IS NULL AND l.expires_at > now() AND a.active
$$;
COMMENT ON FUNCTION staff_link_account(text) IS
    'The account of a valid one-time link.';

-- Uses a one-time link: sets the password (argon2id hash made by the
-- caller), ends the account's sessions, marks the link used. Returns the
-- account's e-mail, or NULL when the link is unknown, used or expired.
CREATE OR REPLACE FUNCTION staff_link_use(p_token text, p_password_hash text)
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    v_account bigint;
    v_email   text;
BEGIN
    UPDATE staff_access_links l SET used_at = now()
      FROM staff_accounts a
     WHERE l.token_hash = sha256(convert_to(p_token, 'UTF8'))
       AND a.id = l.account_id AND a.active
       AND l.used_at IS NULL AND l.expires_at > now()
    RETURNING l.account_id, a.email INTO v_account, v_email;
    IF v_account IS NULL THEN
        RETURN NULL;
    END IF;
    UPDATE staff_accounts SET password_hash = p_password_hash,
                              password_changed_at = now()
     WHERE id = v_account;
    UPDATE staff_sessions SET ended_at = now()
     WHERE account_id = v_account AND ended_at IS NULL;
    INSERT INTO audit_log (account_id, action, object)
    VALUES (v_account, 'staff.password_set', v_email);
    RETURN v_email;
END
$$;
COMMENT ON FUNCTION staff_link_use(text, text) IS
    'Sets a password through a one-time link (single use, expiring); ends the account''s sessions; audited.';

-- Procedures and their documents, for the administration pages: every
-- procedure (p_code NULL) or one, documents one a line, sites the names
-- of the sites offering it. No row unless p_admin is an administrator.
-- The texts are the French ones (procedures); translations are kept in
-- procedure_translations (005).
CREATE OR REPLACE FUNCTION staff_admin_procedures(p_admin bigint, p_code text)
RETURNS TABLE (code text, name text, description text, duration_minutes integer,
               requires_agdref boolean, documents text, sites text)
LANGUAGE sql STABLE AS $$
    SELECT p.code, p.name, p.description, p.duration_minutes, p.requires_agdref,
           array_to_string(p.documents, E'\n'),
           coalesce((SELECT string_agg(s.name, ', ' ORDER BY s.name)
                       FROM site_procedures sp JOIN sites s ON s.id = sp.site_id
                      WHERE sp.procedure_id = p.id), '')
      FROM procedures p
     WHERE (p_code IS NULL OR p.code = p_code) AND staff_is_admin(p_admin)
     ORDER BY p.name, p.code
$$;
COMMENT ON FUNCTION staff_admin_procedures(bigint, text) IS
    'Procedures (all, or one) with their documents and sites, for an administrator (none otherwise).';

-- Changes a procedure's French name, description, length and documents
-- (one a line; empty lines dropped) and whether it asks for an AGDREF
-- number. Outcomes: saved, forbidden, replayed, not_found, bad_duration.
-- Audited as procedure.changed with the values before and after.
CREATE OR REPLACE FUNCTION staff_admin_procedure_save(p_admin bigint, p_nonce text,
    p_code text, p_name text, p_description text, p_duration integer,
    p_agdref boolean, p_documents text[])
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    p      procedures;
    v_docs text[];
    v_no   text := staff_admin_begin(p_admin, p_nonce);
BEGIN
    IF v_no IS NOT NULL THEN
        RETURN v_no;
    END IF;
    SELECT * INTO p FROM procedures WHERE code = p_code FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF p_duration IS NULL OR p_duration < 1 OR p_duration > 480 THEN
        RETURN 'bad_duration';
    END IF;
    SELECT coalesce(array_agg(btrim(d) ORDER BY n), '{}') INTO v_docs
      FROM unnest(coalesce(p_documents, '{}')) WITH ORDINALITY u(d, n)
     WHERE btrim(d) <> '';
    UPDATE procedures
       SET name = btrim(p_name), description = coalesce(btrim(p_description), ''),
           duration_minutes = p_duration, requires_agdref = p_agdref,
           documents = v_docs
     WHERE id = p.id;
    INSERT INTO audit_log (account_id, action, object, details)
    VALUES (p_admin, 'procedure.changed', p.code,
            jsonb_build_object(
                'before', jsonb_build_object('name', p.name, 'duration_minutes', p.duration_minutes,
                                             'requires_agdref', p.requires_agdref,
                                             'documents', to_jsonb(p.documents)),
                'after', jsonb_build_object('name', btrim(p_name), 'duration_minutes', p_duration,
                                            'requires_agdref', p_agdref,
                                            'documents', to_jsonb(v_docs))));
    RETURN 'saved';
END
$$;
COMMENT ON FUNCTION staff_admin_procedure_save(bigint, text, text, text, text, integer, boolean, text[]) IS
    'An administrator changes a procedure''s French texts, length and documents; audited with before and after.';

-- Sites for the administration pages: every site (p_slug NULL) or one,
-- with the codes of the procedures it offers (space-separated), their
-- names and the names of its counters (comma-separated). No row unless
-- p_admin is an administrator.
CREATE OR REPLACE FUNCTION staff_admin_sites(p_admin bigint, p_slug text)
RETURNS TABLE (slug text, name text, address text, postal_code text, city text,
               phone text, alternative_route text, procedure_codes text,
               procedure_names text, counters text)
LANGUAGE sql STABLE AS $$
    SELECT s.slug, s.name, s.address, s.postal_code, s.city, coalesce(s.phone, ''),
           s.alternative_route,
           coalesce((SELECT string_agg(p.code, ' ' ORDER BY p.code)
                       FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
                      WHERE sp.site_id = s.id), ''),
           coalesce((SELECT string_agg(p.name, ', ' ORDER BY p.name)
                       FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
                      WHERE sp.site_id = s.id), ''),
           coalesce((SELECT string_agg(c.name, ', ' ORDER BY c.name)
                       FROM counters c WHERE c.site_id = s.id), '')
      FROM sites s
     WHERE (p_slug IS NULL OR s.slug = p_slug) AND staff_is_admin(p_admin)
     ORDER BY s.department_code, s.name
$$;
COMMENT ON FUNCTION staff_admin_sites(bigint, text) IS
    'Sites (all, or one) with their procedures and counters, for an administrator (none otherwise).';

-- Changes a site's address, phone and alternative route (French) and
-- the procedures it offers (p_procedures: codes). A procedure with
-- opening rules or slots at the site cannot be withdrawn ('in_use':
-- nothing is changed; end its rules and close its days first).
-- Outcomes: saved, forbidden, replayed, not_found, no_procedure, in_use.
-- Audited as site.changed with the values before and after.
CREATE OR REPLACE FUNCTION staff_admin_site_save(p_admin bigint, p_nonce text,
    p_slug text, p_address text, p_postal_code text, p_city text, p_phone text,
    p_route text, p_procedures text[])
RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    s      sites;
    v_old  text[];
    v_no   text := staff_admin_begin(p_admin, p_nonce);
BEGIN
    IF v_no IS NOT NULL THEN
        RETURN v_no;
    END IF;
    SELECT * INTO s FROM sites WHERE slug = p_slug FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'not_found';
    END IF;
    IF EXISTS (SELECT 1 FROM unnest(coalesce(p_procedures, '{}')) u(code)
                WHERE NOT EXISTS (SELECT 1 FROM procedures p WHERE p.code = u.code)) THEN
        RETURN 'no_procedure';
    END IF;
    IF EXISTS (SELECT 1 FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
                WHERE sp.site_id = s.id AND p.code <> ALL (coalesce(p_procedures, '{}'))
                  AND (EXISTS (SELECT 1 FROM opening_rules o
                                WHERE o.site_id = s.id AND o.procedure_id = p.id)
                       OR EXISTS (SELECT 1 FROM slots sl JOIN counters c ON c.id = sl.counter_id
                                   WHERE c.site_id = s.id AND sl.procedure_id = p.id))) THEN
        RETURN 'in_use';
    END IF;
    SELECT coalesce(array_agg(p.code ORDER BY p.code), '{}') INTO v_old
      FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
     WHERE sp.site_id = s.id;
    UPDATE sites SET address = btrim(p_address), postal_code = p_postal_code,
                     city = btrim(p_city), phone = nullif(btrim(coalesce(p_phone, '')), ''),
                     alternative_route = btrim(p_route)
     WHERE id = s.id;
    DELETE FROM site_procedures sp USING procedures p
     WHERE sp.site_id = s.id AND p.id = sp.procedure_id
       AND p.code <> ALL (coalesce(p_procedures, '{}'));
    INSERT INTO site_procedures (site_id, procedure_id)
    SELECT s.id, p.id FROM procedures p WHERE p.code = ANY (coalesce(p_procedures, '{}'))
    ON CONFLICT DO NOTHING;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_admin, s.id, 'site.changed', s.slug,
            jsonb_build_object(
                'before', jsonb_build_object('address', s.address, 'postal_code', s.postal_code,
                                             'city', s.city, 'phone', s.phone,
                                             'alternative_route', s.alternative_route,
                                             'procedures', to_jsonb(v_old)),
                'after', jsonb_build_object('address', btrim(p_address), 'postal_code', p_postal_code,
                                            'city', btrim(p_city),
                                            'phone', nullif(btrim(coalesce(p_phone, '')), ''),
                                            'alternative_route', btrim(p_route),
                                            'procedures', to_jsonb(coalesce(p_procedures, '{}')))));
    RETURN 'saved';
END
$$;
COMMENT ON FUNCTION staff_admin_site_save(bigint, text, text, text, text, text, text, text, text[]) IS
    'An administrator changes a site''s address, phone, alternative route and procedures offered; audited with before and after.';
