-- creneau-admin changes data only through SQL functions, like the pages:
-- the command line reads its arguments and calls one function per change,
-- in one statement (one transaction).

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

-- Adds AGDREF numbers (10 digits each; the table's CHECK refuses any
-- other) to the reference list; returns how many were new.
CREATE OR REPLACE FUNCTION agdref_import(p_numbers text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_new integer;
BEGIN
    INSERT INTO agdref_numbers (number)
        SELECT DISTINCT n FROM unnest(p_numbers) AS n
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_new = ROW_COUNT;
    RETURN v_new;
END;
$$;
