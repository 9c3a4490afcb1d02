-- schema/code/mediation_court.sql
--
-- Channels other than online: mediators (France Services)
-- and injunctions of the administrative court, with the audit view (012).
-- Their bookings go through booking.sql's path.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

------------------------------------------------------------------------------
-- Future slots of a site and procedure a booking of p_channel may take
-- (its reserved places, then the general ones: creneau_slot_channel_free),
-- from the site's today for p_days days; published ones only when
-- p_published (mediators book what the public sees, plus their reserved
-- places; agents may use reserved capacity not yet published).
CREATE OR REPLACE FUNCTION creneau_channel_slots(p_site_id bigint, p_procedure_id bigint,
                                      p_channel text, p_published boolean, p_days integer)
RETURNS TABLE (slot_id bigint, local_day date, local_time text, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, (s.starts_at AT TIME ZONE st.time_zone)::date,
           to_char(s.starts_at AT TIME ZONE st.time_zone, 'HH24:MI'),
           creneau_slot_channel_free(s, p_channel)
      FROM slots s
      JOIN sites st ON st.id = s.site_id
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.starts_at > now()
       AND (s.starts_at AT TIME ZONE st.time_zone)::date
           < (now() AT TIME ZONE st.time_zone)::date + greatest(p_days, 0)
       AND (NOT p_published OR s.published_at <= now())
       AND creneau_slot_channel_free(s, p_channel) > 0
     ORDER BY s.starts_at, s.id
$$;

------------------------------------------------------------------------------
-- Mediators.

-- The first day of the current month in Paris (quotas are monthly).
CREATE OR REPLACE FUNCTION creneau_month_start() RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT date_trunc('month', now() AT TIME ZONE 'Europe/Paris') AT TIME ZONE 'Europe/Paris'
$$;

-- A mediator's organisation: its id, name, quota and bookings made this
-- month (a booking moved for the person counts once: the booking a move
-- made, rescheduled_from set, is not a new one); no row unless p_account
-- is an active mediator.
CREATE OR REPLACE FUNCTION mediator_organisation(p_account bigint)
RETURNS TABLE (organisation_id bigint, name text, monthly_quota integer, used integer)
LANGUAGE sql STABLE
AS $$
    SELECT o.id, o.name, o.monthly_quota,
           (SELECT count(*)::integer FROM mediator_bookings m
              JOIN bookings b ON b.id = m.booking_id
             WHERE m.organisation_id = o.id AND m.created_at >= creneau_month_start()
               AND b.rescheduled_from IS NULL)
      FROM staff_accounts a JOIN organisations o ON o.id = a.organisation_id
     WHERE a.id = p_account AND a.active AND a.role = 'mediator'
$$;

-- A mediator books a slot for an applicant. Outcomes:
-- forbidden, replayed (this form was sent already for the same person:
-- the same booking), token_used (this form was sent for someone else),
-- quota_reached, and those of creneau_staff_booking.
CREATE OR REPLACE FUNCTION mediator_book(p_account bigint, p_slot_id bigint, p_person jsonb,
                              p_idempotency_key text, p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_org   record;
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_id    bigint;
    v_ref   text;
    v_sub   bytea;
    v_ident bytea;
    r       record;
BEGIN
    SELECT * INTO v_org FROM mediator_organisation(p_account);
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        SELECT b.id, b.reference, b.submission_key, b.identity_key INTO v_id, v_ref, v_sub, v_ident
          FROM bookings b JOIN mediator_bookings m ON m.booking_id = b.id
         WHERE b.idempotency_key = v_key AND m.organisation_id = v_org.organisation_id;
        IF FOUND THEN
            IF creneau_staff_replay(v_sub, v_ident, p_person) = 'replayed' THEN
                RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            ELSE
                RETURN QUERY SELECT 'token_used'::text, NULL::bigint, NULL::text;
            END IF;
            RETURN;
        END IF;
    END IF;
    PERFORM pg_advisory_xact_lock(creneau_lock_key('mediator_quota'), v_org.organisation_id::integer);
    SELECT * INTO v_org FROM mediator_organisation(p_account);
    IF v_org.used >= v_org.monthly_quota THEN
        RETURN QUERY SELECT 'quota_reached'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM creneau_staff_booking(p_slot_id, 'mediator', true,
                                               p_person - 'email' - 'email_key', v_key,
                                               p_max_per_phone);
    IF r.outcome = 'booked' THEN
        INSERT INTO mediator_bookings (booking_id, organisation_id, account_id)
        VALUES (r.booking_id, v_org.organisation_id, p_account);
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        SELECT p_account, b.site_id, 'mediator.book', b.reference,
               jsonb_build_object('booking_id', b.id, 'organisation_id', v_org.organisation_id,
                                  'channel', 'mediator')
          FROM bookings b WHERE b.id = r.booking_id;
    END IF;
    RETURN QUERY SELECT r.outcome, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION mediator_book(bigint, bigint, jsonb, text, integer) IS
    'A mediator books for an applicant (confirmed at once, channel mediator) within the monthly quota; outcome booked, replayed, token_used, quota_reached, forbidden, slot_unavailable, identity_active, agdref_required, agdref_unknown or phone_cap.';

-- The organisation's bookings, newest first (p_limit of them); audited as
-- mediator.bookings.view.
CREATE OR REPLACE FUNCTION mediator_bookings_list(p_account bigint, p_limit integer)
RETURNS TABLE (booking_id bigint, reference text, status text, starts_local text,
               site_name text, procedure_name text, surname text, given_names text,
               made_by text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_org bigint;
BEGIN
    SELECT o.organisation_id INTO v_org FROM mediator_organisation(p_account) o;
    IF v_org IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, action, details)
    VALUES (p_account, 'mediator.bookings.view', jsonb_build_object('organisation_id', v_org));
    RETURN QUERY
    SELECT d.id, d.reference, d.status, d.starts_local, d.site_name, d.procedure_name,
           d.surname, d.given_names, a.name
      FROM mediator_bookings m
      JOIN booking_details d ON d.id = m.booking_id
      JOIN staff_accounts a ON a.id = m.account_id
     WHERE m.organisation_id = v_org
     ORDER BY m.created_at DESC, m.booking_id DESC
     LIMIT greatest(p_limit, 0);
END
$$;

------------------------------------------------------------------------------
-- Court orders.

-- Records an injunction for a site (by slug) and procedure (by code), if
-- the account may act for the site. Outcomes: forbidden, not_found (no
-- such site or procedure there), deadline_before_decision, exists (this
-- tribunal's case is already recorded for the site: its id), recorded
-- (its id). Audited as court.record.
CREATE OR REPLACE FUNCTION court_record(p_account bigint, p_site text, p_procedure text,
                             p_tribunal text, p_case_number text, p_decision date,
                             p_deadline date, p_surname text, p_given_names text,
                             p_birth_date date, p_agdref text, p_email text,
                             p_phone text, p_lang text)
RETURNS TABLE (outcome text, injunction_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_site bigint;
    v_proc bigint;
    v_id   bigint;
BEGIN
    SELECT s.id INTO v_site FROM sites s WHERE s.slug = p_site;
    IF v_site IS NULL OR NOT staff_can_site(p_account, v_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint;
        RETURN;
    END IF;
    SELECT p.id INTO v_proc FROM procedures p
      JOIN site_procedures sp ON sp.procedure_id = p.id AND sp.site_id = v_site
     WHERE p.code = p_procedure;
    IF v_proc IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF p_deadline < p_decision THEN
        RETURN QUERY SELECT 'deadline_before_decision'::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO injunctions (site_id, procedure_id, tribunal, case_number, decision_date,
                             deadline, surname, given_names, birth_date, agdref, email,
                             phone, lang, created_by)
    VALUES (v_site, v_proc, btrim(p_tribunal), btrim(p_case_number), p_decision, p_deadline,
            btrim(p_surname), btrim(coalesce(p_given_names, '')), p_birth_date,
            nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), ''),
            nullif(btrim(p_email), ''), nullif(btrim(p_phone), ''),
            coalesce(nullif(p_lang, ''), 'fr'), p_account)
    ON CONFLICT ON CONSTRAINT injunctions_case_key DO NOTHING
    RETURNING id INTO v_id;
    IF v_id IS NULL THEN
        SELECT i.id INTO v_id FROM injunctions i
         WHERE i.site_id = v_site AND i.tribunal = btrim(p_tribunal)
           AND i.case_number = btrim(p_case_number);
        RETURN QUERY SELECT 'exists'::text, v_id;
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, v_site, 'court.record', 'injunction:' || v_id,
            jsonb_build_object('tribunal', btrim(p_tribunal), 'case_number', btrim(p_case_number),
                               'deadline', p_deadline));
    RETURN QUERY SELECT 'recorded'::text, v_id;
END
$$;

-- Injunctions of the sites an account may act for (one site by slug, or
-- all of them when p_site is NULL): open ones first, overdue first, by
-- deadline; then fulfilled ones, latest first. days_left is counted in
-- the site's local days. Audited as court.list (names are personal data).
CREATE OR REPLACE FUNCTION court_list(p_account bigint, p_site text, p_limit integer)
RETURNS TABLE (injunction_id bigint, site_slug text, site_name text, procedure_name text,
               tribunal text, case_number text, decision_date date, deadline date,
               days_left integer, surname text, given_names text, fulfilled boolean,
               reference text, starts_local text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    INSERT INTO audit_log (account_id, site_id, action, details)
    SELECT p_account, s.id, 'court.list', '{}'::jsonb
      FROM sites s WHERE s.slug = p_site AND staff_can_site(p_account, s.id);
    IF p_site IS NULL THEN
        INSERT INTO audit_log (account_id, action, details)
        VALUES (p_account, 'court.list', '{"sites": "all"}');
    END IF;
    RETURN QUERY
    SELECT i.id, s.slug, s.name, p.name, i.tribunal, i.case_number, i.decision_date,
           i.deadline, (i.deadline - (now() AT TIME ZONE s.time_zone)::date)::integer,
           i.surname, i.given_names, i.booking_id IS NOT NULL, d.reference, d.starts_local
      FROM injunctions i
      JOIN sites s ON s.id = i.site_id
      JOIN procedures p ON p.id = i.procedure_id
      LEFT JOIN booking_details d ON d.id = i.booking_id
     WHERE (p_site IS NULL OR s.slug = p_site)
       AND staff_can_site(p_account, s.id)
     ORDER BY i.booking_id IS NOT NULL,
              CASE WHEN i.booking_id IS NULL THEN i.deadline END,
              i.fulfilled_at DESC, i.id
     LIMIT greatest(p_limit, 0);
END
$$;

-- One injunction of a site with its applicant, if the account may act
-- for the site and the injunction is of it (no row otherwise); audited as
-- court.view.
CREATE OR REPLACE FUNCTION court_view(p_account bigint, p_site text, p_injunction bigint)
RETURNS TABLE (injunction_id bigint, site_id bigint, procedure_id bigint, procedure_name text,
               tribunal text, case_number text, decision_date date, deadline date,
               days_left integer, surname text, given_names text, birth_date date,
               agdref text, email text, phone text, lang text, fulfilled boolean,
               reference text, starts_local text, booking_status text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    SELECT i.id, i.site_id, i.procedure_id, p.name, i.tribunal, i.case_number,
           i.decision_date, i.deadline,
           (i.deadline - (now() AT TIME ZONE s.time_zone)::date)::integer,
           i.surname, i.given_names, i.birth_date, i.agdref, i.email, i.phone, i.lang,
           i.booking_id IS NOT NULL, d.reference, d.starts_local, d.status
      FROM injunctions i
      JOIN sites s ON s.id = i.site_id
      JOIN procedures p ON p.id = i.procedure_id
      LEFT JOIN booking_details d ON d.id = i.booking_id
     WHERE i.id = p_injunction AND s.slug = p_site AND staff_can_site(p_account, s.id);
    IF FOUND THEN
        INSERT INTO audit_log (account_id, site_id, action, object)
        SELECT p_account, i.site_id, 'court.view', 'injunction:' || i.id
          FROM injunctions i WHERE i.id = p_injunction;
    END IF;
END
$$;

-- Books an injunction into the court channel. The applicant's
-- fields are the injunction's; p_person brings their keys, computed by
-- the page from those same fields (fcgi/common/identity.c).
CREATE OR REPLACE FUNCTION court_book(p_account bigint, p_site text, p_injunction bigint,
                           p_slot_id bigint, p_person jsonb)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    i   injunctions%ROWTYPE;
    r   record;
BEGIN
    SELECT x.* INTO i FROM injunctions x JOIN sites s ON s.id = x.site_id
     WHERE x.id = p_injunction AND s.slug = p_site AND staff_can_site(p_account, s.id)
       FOR UPDATE OF x;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF i.booking_id IS NOT NULL THEN
        RETURN QUERY SELECT 'already_fulfilled'::text, i.booking_id,
                            (SELECT b.reference FROM bookings b WHERE b.id = i.booking_id);
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM slots s WHERE s.id = p_slot_id
                      AND s.site_id = i.site_id AND s.procedure_id = i.procedure_id) THEN
        RETURN QUERY SELECT 'other_procedure'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM creneau_staff_booking(p_slot_id, 'court', false,
        coalesce(p_person, '{}'::jsonb) || jsonb_build_object(
            'surname', i.surname, 'given_names', i.given_names,
            'birth_date', to_char(i.birth_date, 'YYYY-MM-DD'), 'agdref', i.agdref,
            'email', i.email, 'phone', i.phone, 'lang', i.lang),
        'court:' || i.id, NULL);
    IF r.outcome <> 'booked' THEN
        RETURN QUERY SELECT r.outcome, r.booking_id, r.reference;
        RETURN;
    END IF;
    UPDATE injunctions SET booking_id = r.booking_id, fulfilled_at = now(),
                           fulfilled_by = p_account
     WHERE id = i.id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, i.site_id, 'court.book', r.reference,
            jsonb_build_object('injunction_id', i.id, 'booking_id', r.booking_id,
                               'channel', 'court'));
    RETURN QUERY SELECT 'fulfilled'::text, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION court_book(bigint, text, bigint, bigint, jsonb) IS
    'Book an injunction''s applicant into the court channel (confirmed at once), fulfilling it; outcome fulfilled, already_fulfilled, not_found, other_procedure, slot_unavailable, identity_active, agdref_required or agdref_unknown.';

------------------------------------------------------------------------------
-- The audit log as staff read it: supervisors see the entries of their
-- sites, administrators every entry; nobody else anything. Filtered by
-- local day (Europe/Paris) and action (NULLs: all), newest first, a page
-- of p_limit from p_offset; total is the count of matching entries.
-- Reading it is itself written to the log (audit.view, with the
-- filters; no site, so only administrators see those entries).
CREATE OR REPLACE FUNCTION audit_view(p_account bigint, p_day date, p_action text,
                           p_offset integer, p_limit integer)
RETURNS TABLE (at_local text, account_name text, account_role text, site_name text,
               action text, object text, details text, total bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_role text;
BEGIN
    SELECT a.role INTO v_role FROM staff_accounts a
     WHERE a.id = p_account AND a.active AND a.role IN ('supervisor', 'administrator');
    IF v_role IS NULL THEN
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, action, details)
    VALUES (p_account, 'audit.view',
            jsonb_strip_nulls(jsonb_build_object('day', p_day, 'action', p_action,
                                                 'offset', p_offset)));
    RETURN QUERY
    SELECT to_char(l.at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD HH24:MI:SS'),
           coalesce(a.name, ''), coalesce(a.role, ''), coalesce(s.name, ''),
           l.action, coalesce(l.object, ''),
           CASE WHEN l.details = '{}'::jsonb THEN '' ELSE l.details::text END,
           count(*) OVER ()
      FROM audit_log l
      LEFT JOIN staff_accounts a ON a.id = l.account_id
      LEFT JOIN sites s ON s.id = l.site_id
     WHERE (v_role = 'administrator'
            OR (l.site_id IS NOT NULL AND staff_can_site(p_account, l.site_id)))
       AND (p_day IS NULL
            OR (l.at >= p_day::timestamp AT TIME ZONE 'Europe/Paris'
                AND l.at < (p_day + 1)::timestamp AT TIME ZONE 'Europe/Paris'))
       AND (p_action IS NULL OR l.action = p_action OR l.action LIKE p_action || '.%')
     ORDER BY l.at DESC, l.id DESC
     OFFSET greatest(p_offset, 0) LIMIT greatest(p_limit, 0);
END
$$;
COMMENT ON FUNCTION audit_view(bigint, date, text, integer, integer) IS
    'The audit log for a supervisor (entries of their sites) or an administrator (all), filtered by day and action, newest first, paginated; logs its own reading.';
