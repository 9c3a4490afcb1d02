-- schema/code/counter.sql
--
-- The counter (desk) pages: the day's agenda, attendance, search (011).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

------------------------------------------------------------------------------
-- A site as the counter pages see it, for an account: its id, name, time
-- zone, the day asked for (p_day as YYYY-MM-DD; today in the site's zone
-- when NULL or not a date), the days before and after, today, and whether
-- the account may act for the site. No row for an unknown slug.
CREATE OR REPLACE FUNCTION counter_site(p_account_id bigint, p_slug text, p_day text)
RETURNS TABLE (site_id bigint, name text, time_zone text, day date,
               prev_day date, next_day date, today date, allowed boolean)
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    v_day date;
BEGIN
    BEGIN
        v_day := p_day::date;
    EXCEPTION WHEN others THEN
        v_day := NULL;
    END;
    RETURN QUERY
    SELECT s.id, s.name, s.time_zone,
           coalesce(v_day, (now() AT TIME ZONE s.time_zone)::date),
           coalesce(v_day, (now() AT TIME ZONE s.time_zone)::date) - 1,
           coalesce(v_day, (now() AT TIME ZONE s.time_zone)::date) + 1,
           (now() AT TIME ZONE s.time_zone)::date,
           staff_can_site(p_account_id, s.id)
      FROM sites s WHERE s.slug = p_slug;
END
$$;
COMMENT ON FUNCTION counter_site(bigint, text, text) IS
    'Site of a counter page for an account: id, name, zone, the day shown (today by default), its neighbours, today and whether the account may act for the site.';

------------------------------------------------------------------------------
-- The bookings of a local day at a site (one counter when p_counter_id is
-- not NULL), confirmed, completed or cancelled, by time and counter, with
-- what the agent may do: mark honoured (today, not yet honoured) or no-show
-- (the appointment has started, nothing marked yet). Logs 'agenda.view'.
-- No row when the account may not act for the site.
CREATE OR REPLACE FUNCTION counter_agenda(p_account_id bigint, p_site_id bigint, p_day date,
                               p_counter_id bigint)
RETURNS TABLE (booking_id bigint, local_time text, counter_name text,
               reference text, surname text, given_names text,
               procedure_name text, channel text, status text,
               attendance text, attendance_time text,
               can_honour boolean, can_no_show boolean)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    n integer;
BEGIN
    IF NOT staff_can_site(p_account_id, p_site_id) THEN
        INSERT INTO audit_log (account_id, site_id, action, details)
        VALUES (p_account_id, p_site_id, 'agenda.refused',
                jsonb_build_object('day', p_day));
        RETURN;
    END IF;
    RETURN QUERY
    SELECT b.id, to_char(sl.starts_at AT TIME ZONE st.time_zone, 'HH24:MI'),
           c.name, b.reference, b.surname, b.given_names, p.name, b.channel,
           CASE WHEN b.moved THEN 'moved' ELSE b.status END, b.attendance,
           coalesce(to_char(b.attendance_at AT TIME ZONE st.time_zone, 'HH24:MI'), ''),
           b.status IN ('confirmed', 'completed')
               AND p_day = (now() AT TIME ZONE st.time_zone)::date
               AND b.attendance IS DISTINCT FROM 'honoured',
           b.status IN ('confirmed', 'completed')
               AND sl.starts_at <= now() AND b.attendance IS NULL
      FROM bookings b
      JOIN slots sl ON sl.id = b.slot_id
      JOIN counters c ON c.id = sl.counter_id
      JOIN sites st ON st.id = b.site_id
      JOIN procedures p ON p.id = b.procedure_id
     WHERE b.site_id = p_site_id
       AND sl.site_id = p_site_id
       AND sl.starts_at >= (p_day::timestamp AT TIME ZONE st.time_zone)
       AND sl.starts_at < ((p_day + 1)::timestamp AT TIME ZONE st.time_zone)
       AND (p_counter_id IS NULL OR sl.counter_id = p_counter_id)
       AND b.status IN ('confirmed', 'completed', 'cancelled')
     ORDER BY sl.starts_at, c.name, b.reference;
    GET DIAGNOSTICS n = ROW_COUNT;
    INSERT INTO audit_log (account_id, site_id, action, details)
    VALUES (p_account_id, p_site_id, 'agenda.view',
            jsonb_build_object('day', p_day, 'counter', p_counter_id, 'rows', n));
END
$$;
COMMENT ON FUNCTION counter_agenda(bigint, bigint, date, bigint) IS
    'Bookings of a local day at a site (or one counter) for an agent of the site, with the attendance actions allowed; logs agenda.view.';

-- The counters of a site (for the agenda's filter), when the account may
-- act for it.
CREATE OR REPLACE FUNCTION counter_counters(p_account_id bigint, p_site_id bigint)
RETURNS TABLE (counter_id bigint, name text)
LANGUAGE sql STABLE
AS $$
    SELECT c.id, c.name FROM counters c
     WHERE c.site_id = p_site_id AND staff_can_site(p_account_id, p_site_id)
     ORDER BY c.name
$$;

------------------------------------------------------------------------------
-- Mark the attendance of a booking of a site: p_mark 'honoured' (the
-- person is at the counter) or 'no_show'. The booking is found by its
-- reference (typed or scanned: case, hyphens and spaces ignored) or, when
-- p_reference is NULL, by id (the agenda's buttons); only among the
-- bookings of p_site_id, and only when the account may act for that site.
--
-- Outcomes: forbidden (not the account's site), not_found (no such booking
-- at this site), not_confirmed (held or expired), cancelled, not_today
-- (honoured: the appointment is another day), already_honoured,
-- too_early (no_show: the appointment has not started), already_marked
-- (no_show: attendance already recorded), honoured, no_show. A no-show
-- may still become honoured the same day (a late arrival); honoured is
-- final. Every call, refused or not, is logged ('booking.attendance').
CREATE OR REPLACE FUNCTION counter_mark(p_account_id bigint, p_site_id bigint,
                             p_reference text, p_booking_id bigint, p_mark text)
RETURNS TABLE (outcome text, reference text, surname text, given_names text,
               procedure_name text, local_time text, counter_name text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_ref   text := upper(regexp_replace(coalesce(p_reference, ''), '[-[:space:]]', '', 'g'));
    b       bookings%ROWTYPE;
    v_start timestamptz;
    v_tz    text;
    v_out   text;
BEGIN
    IF p_mark NOT IN ('honoured', 'no_show') THEN
        RAISE EXCEPTION 'unknown attendance mark %', p_mark
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF NOT staff_can_site(p_account_id, p_site_id) THEN
        v_out := 'forbidden';
    ELSE
        SELECT x.* INTO b FROM bookings x
         WHERE x.site_id = p_site_id
           AND CASE WHEN p_reference IS NULL THEN x.id = p_booking_id
                    ELSE x.reference = v_ref AND NOT x.moved END
           FOR UPDATE;
        IF b.id IS NULL THEN
            v_out := 'not_found';
        ELSE
            SELECT sl.starts_at, st.time_zone INTO v_start, v_tz
              FROM slots sl JOIN sites st ON st.id = sl.site_id
             WHERE sl.id = b.slot_id;
            v_out := CASE
                WHEN b.status = 'cancelled' THEN 'cancelled'
                WHEN b.status NOT IN ('confirmed', 'completed') THEN 'not_confirmed'
                WHEN p_mark = 'honoured' AND b.attendance = 'honoured' THEN 'already_honoured'
                WHEN p_mark = 'honoured'
                     AND (v_start AT TIME ZONE v_tz)::date <> (now() AT TIME ZONE v_tz)::date
                     THEN 'not_today'
                WHEN p_mark = 'no_show' AND b.attendance IS NOT NULL THEN 'already_marked'
                WHEN p_mark = 'no_show' AND v_start > now() THEN 'too_early'
                ELSE p_mark END;
            IF v_out = p_mark THEN
                UPDATE bookings SET attendance = p_mark, attendance_at = now(),
                                    attendance_by = p_account_id
                 WHERE id = b.id;
            END IF;
        END IF;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account_id, p_site_id, 'booking.attendance',
            coalesce(b.reference, nullif(v_ref, ''), p_booking_id::text),
            jsonb_build_object('mark', p_mark, 'outcome', v_out));
    IF v_out IN ('forbidden', 'not_found') THEN
        RETURN QUERY SELECT v_out, NULL::text, NULL::text, NULL::text,
                            NULL::text, NULL::text, NULL::text;
        RETURN;
    END IF;
    RETURN QUERY
    SELECT v_out, b.reference, b.surname, b.given_names, p.name,
           to_char(sl.starts_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'),
           c.name
      FROM slots sl
      JOIN sites st ON st.id = sl.site_id
      JOIN counters c ON c.id = sl.counter_id
      JOIN procedures p ON p.id = b.procedure_id
     WHERE sl.id = b.slot_id;
END
$$;
COMMENT ON FUNCTION counter_mark(bigint, bigint, text, bigint, text) IS
    'Mark a booking of a site honoured or no_show for an agent of the site; outcome honoured, no_show, forbidden, not_found, not_confirmed, cancelled, not_today, already_honoured, too_early or already_marked; always logged.';

------------------------------------------------------------------------------
-- Search the bookings of every site the account may act for (confirmed,
-- completed or cancelled) by any of: reference, surname (+ given names:
-- the beginning of them), date of birth, AGDREF number; the criteria given
-- are combined (AND); names compare as creneau_normalise_name does. At
-- most p_limit rows, latest appointment first. Logs 'booking.search' with
-- the kinds of criteria and the number of results, never their values.
-- Nothing is searched (and refused is logged) when the account may not
-- act for p_site_id (the site whose page it is) or no criterion is given.
CREATE OR REPLACE FUNCTION counter_search(p_account_id bigint, p_site_id bigint,
                               p_reference text, p_surname text,
                               p_given_names text, p_birth_date date,
                               p_agdref text, p_limit integer)
RETURNS TABLE (booking_id bigint, reference text, surname text,
               given_names text, birth_date date, agdref text,
               procedure_name text, site_slug text, site_name text,
               local_start text, day date, status text, attendance text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_ref      text := nullif(upper(regexp_replace(coalesce(p_reference, ''), '[-[:space:]]', '', 'g')), '');
    v_surname  text := nullif(creneau_normalise_name(p_surname), '');
    v_given    text := nullif(creneau_normalise_name(p_given_names), '');
    v_agdref   text := nullif(p_agdref, '');
    v_criteria jsonb := '[]';
    n          integer := 0;
BEGIN
    IF v_ref IS NOT NULL THEN v_criteria := v_criteria || '"reference"'; END IF;
    IF v_surname IS NOT NULL THEN v_criteria := v_criteria || '"surname"'; END IF;
    IF v_given IS NOT NULL THEN v_criteria := v_criteria || '"given_names"'; END IF;
    IF p_birth_date IS NOT NULL THEN v_criteria := v_criteria || '"birth_date"'; END IF;
    IF v_agdref IS NOT NULL THEN v_criteria := v_criteria || '"agdref"'; END IF;
    IF NOT staff_can_site(p_account_id, p_site_id) THEN
        INSERT INTO audit_log (account_id, site_id, action, details)
        VALUES (p_account_id, p_site_id, 'booking.search',
                jsonb_build_object('criteria', v_criteria, 'outcome', 'forbidden'));
        RETURN;
    END IF;
    IF v_ref IS NOT NULL OR v_surname IS NOT NULL OR p_birth_date IS NOT NULL
       OR v_agdref IS NOT NULL THEN
        RETURN QUERY
        SELECT b.id, b.reference, b.surname, b.given_names, b.birth_date, b.agdref,
               p.name, st.slug, st.name,
               to_char(sl.starts_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'),
               (sl.starts_at AT TIME ZONE st.time_zone)::date,
               CASE WHEN b.moved THEN 'moved' ELSE b.status END, b.attendance
          FROM bookings b
          JOIN slots sl ON sl.id = b.slot_id
          JOIN sites st ON st.id = b.site_id
          JOIN procedures p ON p.id = b.procedure_id
         WHERE staff_can_site(p_account_id, b.site_id)
           AND b.status IN ('confirmed', 'completed', 'cancelled')
           AND (v_ref IS NULL OR b.reference = v_ref)
           AND (v_surname IS NULL OR creneau_normalise_name(b.surname) = v_surname)
           AND (v_given IS NULL OR creneau_normalise_name(b.given_names) LIKE v_given || '%')
           AND (p_birth_date IS NULL OR b.birth_date = p_birth_date)
           AND (v_agdref IS NULL OR b.agdref = v_agdref)
         ORDER BY sl.starts_at DESC, b.id DESC
         LIMIT greatest(p_limit, 1);
        GET DIAGNOSTICS n = ROW_COUNT;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, details)
    VALUES (p_account_id, p_site_id, 'booking.search',
            jsonb_build_object('criteria', v_criteria, 'results', n));
END
$$;
COMMENT ON FUNCTION counter_search(bigint, bigint, text, text, text, date, text, integer) IS
    'Search bookings of the account''s sites by reference, surname (+ given names), birth date, AGDREF (ANDed); logs booking.search with the criteria kinds and the count.';
