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
-- (the appointment started p_grace_minutes ago or more, nothing marked
-- yet: no_show_grace_minutes of creneau.conf). Logs 'agenda.view'.
-- No row when the account may not act for the site.
CREATE OR REPLACE FUNCTION counter_agenda(p_account_id bigint, p_site_id bigint, p_day date,
                               p_counter_id bigint, p_grace_minutes integer DEFAULT 15)
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
               AND sl.starts_at + make_interval(mins => greatest(p_grace_minutes, 0)) <= now()
               AND b.attendance IS NULL
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
COMMENT ON FUNCTION counter_agenda(bigint, bigint, date, bigint, integer) IS
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
-- too_early (no_show: the appointment has not started p_grace_minutes
-- ago: the person may still be on the way), already_marked
-- (no_show: attendance already recorded), honoured, no_show. A no-show
-- may still become honoured the same day (a late arrival); honoured is
-- final. Every call, refused or not, is logged ('booking.attendance').
CREATE OR REPLACE FUNCTION counter_mark(p_account_id bigint, p_site_id bigint,
                             p_reference text, p_booking_id bigint, p_mark text,
                             p_grace_minutes integer DEFAULT 15)
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
                WHEN p_mark = 'no_show'
                     AND v_start + make_interval(mins => greatest(p_grace_minutes, 0)) > now()
                     THEN 'too_early'
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
            jsonb_build_object('mark', p_mark, 'outcome', v_out,
                               'grace_minutes', p_grace_minutes));
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
COMMENT ON FUNCTION counter_mark(bigint, bigint, text, bigint, text, integer) IS
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

------------------------------------------------------------------------------
-- The counter and phone channel (issue 12): agents of a site book, move
-- and cancel for a person who calls or comes in, on the places reserved
-- for the channel "counter" (creneau_channel_share_free), through the one
-- booking path (creneau_staff_booking, creneau_booking_insert); moves
-- and cancellations go through booking_reschedule and booking_cancel,
-- so the freed place comes back at the fair release time.

-- A refused site page (a forged URL to another site's agenda, search or
-- booking), logged before the 403: who, which site, which page.
CREATE OR REPLACE FUNCTION staff_site_refused(p_account_id bigint, p_site_id bigint, p_page text)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO audit_log (account_id, site_id, action, details)
    VALUES (p_account_id, p_site_id, 'staff.site_refused', jsonb_build_object('page', p_page))
$$;

-- The times of a site and procedure with a place left in the counter's
-- share, published, in the coming p_days days of the site.
CREATE OR REPLACE FUNCTION counter_share_slots(p_site_id bigint, p_procedure_id bigint, p_days integer)
RETURNS TABLE (slot_id bigint, local_day date, local_time text, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, (s.starts_at AT TIME ZONE st.time_zone)::date,
           to_char(s.starts_at AT TIME ZONE st.time_zone, 'HH24:MI'),
           creneau_channel_share_free(s, 'counter')
      FROM slots s
      JOIN sites st ON st.id = s.site_id
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.starts_at > now() AND s.published_at <= now()
       AND (s.starts_at AT TIME ZONE st.time_zone)::date
           < (now() AT TIME ZONE st.time_zone)::date + greatest(p_days, 0)
       AND creneau_channel_share_free(s, 'counter') > 0
     ORDER BY s.starts_at, s.id
$$;

-- An agent books slot p_slot_id of site p_site_id for a caller or a
-- visitor (channel counter, confirmed at once; the messages go to the
-- phone or e-mail given). Outcomes: forbidden (not the account's site, or
-- the slot is of another site), replayed (this form was sent already for
-- the same person), token_used (sent for someone else), and those of
-- creneau_staff_booking. Audited as counter.book (and refusals as
-- counter.book with their outcome).
CREATE OR REPLACE FUNCTION counter_book(p_account bigint, p_site_id bigint, p_slot_id bigint,
                             p_person jsonb, p_idempotency_key text, p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_id    bigint;
    v_ref   text;
    v_sub   bytea;
    v_ident bytea;
    r       record;
BEGIN
    IF NOT staff_can_site(p_account, p_site_id)
       OR NOT EXISTS (SELECT 1 FROM slots s WHERE s.id = p_slot_id AND s.site_id = p_site_id) THEN
        INSERT INTO audit_log (account_id, site_id, action, details)
        VALUES (p_account, p_site_id, 'counter.book',
                jsonb_build_object('slot_id', p_slot_id, 'outcome', 'forbidden'));
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        SELECT b.id, b.reference, b.submission_key, b.identity_key INTO v_id, v_ref, v_sub, v_ident
          FROM bookings b
         WHERE b.idempotency_key = v_key AND b.site_id = p_site_id AND b.channel = 'counter';
        IF FOUND THEN
            IF creneau_staff_replay(v_sub, v_ident, p_person) = 'replayed' THEN
                RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            ELSE
                RETURN QUERY SELECT 'token_used'::text, NULL::bigint, NULL::text;
            END IF;
            RETURN;
        END IF;
    END IF;
    SELECT * INTO r FROM creneau_staff_booking(p_slot_id, 'counter', true, p_person, v_key,
                                               p_max_per_phone);
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'counter.book', r.reference,
            jsonb_build_object('booking_id', r.booking_id, 'slot_id', p_slot_id,
                               'channel', 'counter', 'outcome', r.outcome));
    RETURN QUERY SELECT r.outcome, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION counter_book(bigint, bigint, bigint, jsonb, text, integer) IS
    'An agent books for a caller or visitor on the counter share (confirmed at once, channel counter); outcome booked, replayed, token_used, forbidden, slot_unavailable, identity_active, agdref_required, agdref_unknown or phone_cap; audited as counter.book.';

-- May p_account act on booking p_booking_id on the person's behalf? An
-- agent, supervisor or administrator of the booking's site (p_site_id,
-- the site of the page, must be it), or a mediator of the organisation
-- that made it (p_site_id NULL).
CREATE OR REPLACE FUNCTION staff_booking_allowed(p_account bigint, p_site_id bigint, p_booking_id bigint)
RETURNS boolean
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    IF p_site_id IS NOT NULL THEN
        RETURN EXISTS (SELECT 1 FROM bookings b WHERE b.id = p_booking_id AND b.site_id = p_site_id)
               AND staff_can_site(p_account, p_site_id);
    END IF;
    RETURN EXISTS (SELECT 1 FROM mediator_bookings m
                     JOIN mediator_organisation(p_account) o ON o.organisation_id = m.organisation_id
                    WHERE m.booking_id = p_booking_id);
END
$$;

-- A booking as the staff pages show it (booking_details), when the
-- account may act on it (staff_booking_allowed); audited as p_action
-- (counter.booking.view, counter.confirmation.print).
CREATE OR REPLACE FUNCTION staff_booking_view(p_account bigint, p_site_id bigint, p_booking_id bigint,
                                   p_action text)
RETURNS SETOF booking_details
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF NOT staff_booking_allowed(p_account, p_site_id, p_booking_id) THEN
        RETURN;
    END IF;
    RETURN QUERY SELECT d.* FROM booking_details d WHERE d.id = p_booking_id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    SELECT p_account, b.site_id, p_action, b.reference, jsonb_build_object('booking_id', b.id)
      FROM bookings b WHERE b.id = p_booking_id;
END
$$;

-- A one-minute link to a booking, so that a staff action goes through the
-- very functions the person's own link calls (booking_cancel,
-- booking_reschedule); dropped by the caller once used.
CREATE OR REPLACE FUNCTION creneau_staff_token(p_booking_id bigint) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v text := encode(gen_random_bytes(32), 'hex');
BEGIN
    PERFORM creneau_token_add(p_booking_id, v, now() + interval '1 minute');
    RETURN v;
END
$$;

-- The release window of the connection (creneau_release_time's).
CREATE OR REPLACE FUNCTION creneau_release_window(OUT p_min interval, OUT p_max interval)
LANGUAGE sql STABLE
AS $$
    SELECT make_interval(mins => coalesce(nullif(current_setting('creneau.release_min_minutes', true), '')::integer, 15)),
           make_interval(mins => coalesce(nullif(current_setting('creneau.release_max_minutes', true), '')::integer, 180))
$$;

-- Staff cancel a booking on the person's behalf (staff_booking_allowed):
-- booking_cancel, the place back at the fair release time, the usual
-- message. Outcomes: forbidden, and those of booking_cancel. Audited as
-- booking.staff_cancel with the outcome.
CREATE OR REPLACE FUNCTION staff_booking_cancel(p_account bigint, p_site_id bigint, p_booking_id bigint)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tok text;
    v_out text;
    w     record;
BEGIN
    IF NOT staff_booking_allowed(p_account, p_site_id, p_booking_id) THEN
        v_out := 'forbidden';
    ELSE
        SELECT * INTO w FROM creneau_release_window();
        v_tok := creneau_staff_token(p_booking_id);
        SELECT c.outcome INTO v_out FROM booking_cancel(v_tok, w.p_min, w.p_max) c;
        DELETE FROM booking_tokens WHERE token_hash = sha256(convert_to(v_tok, 'UTF8'));
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    SELECT p_account, coalesce(b.site_id, p_site_id), 'booking.staff_cancel',
           coalesce(b.reference, p_booking_id::text),
           jsonb_build_object('booking_id', p_booking_id, 'outcome', v_out)
      FROM (SELECT 1) x LEFT JOIN bookings b ON b.id = p_booking_id;
    RETURN QUERY SELECT v_out;
END
$$;
COMMENT ON FUNCTION staff_booking_cancel(bigint, bigint, bigint) IS
    'Staff (agents of the site, or the mediator organisation that made it) cancel a booking for the person through booking_cancel; outcome forbidden or booking_cancel''s; audited as booking.staff_cancel.';

-- Staff move a booking on the person's behalf to slot p_slot_id of the
-- same site and procedure (booking_reschedule: one active booking, the old
-- place back at the fair release time, the usual message). A booking of
-- the counter channel moves within the counter's share. The two slots are
-- locked in id order first, as booking_reschedule does. Outcomes:
-- forbidden, and those of booking_reschedule. Audited as
-- booking.staff_move.
CREATE OR REPLACE FUNCTION staff_booking_move(p_account bigint, p_site_id bigint, p_booking_id bigint,
                                   p_slot_id bigint)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tok text;
    v_out text;
    v_new bigint;
    v_old bookings%ROWTYPE;
    v_sl  slots;
    w     record;
BEGIN
    SELECT b.* INTO v_old FROM bookings b WHERE b.id = p_booking_id;
    IF NOT staff_booking_allowed(p_account, p_site_id, p_booking_id) THEN
        v_out := 'forbidden';
    ELSE
        PERFORM 1 FROM slots s WHERE s.id IN (v_old.slot_id, p_slot_id) ORDER BY s.id FOR UPDATE;
        v_sl := creneau_slot_for_booking(p_slot_id);
        IF v_old.channel = 'counter' AND v_sl.id IS NOT NULL AND v_sl.id <> v_old.slot_id
           AND creneau_channel_share_free(v_sl, 'counter') <= 0 THEN
            v_out := 'slot_unavailable';
        ELSE
            SELECT * INTO w FROM creneau_release_window();
            v_tok := creneau_staff_token(p_booking_id);
            SELECT m.outcome, m.booking_id INTO v_out, v_new
              FROM booking_reschedule(v_tok, p_slot_id, w.p_min, w.p_max) m;
            DELETE FROM booking_tokens WHERE token_hash = sha256(convert_to(v_tok, 'UTF8'));
            -- A mediator's booking stays on the organisation's list.
            IF v_out = 'rescheduled' AND v_new <> p_booking_id THEN
                INSERT INTO mediator_bookings (booking_id, organisation_id, account_id, created_at)
                SELECT v_new, m.organisation_id, m.account_id, m.created_at
                  FROM mediator_bookings m WHERE m.booking_id = p_booking_id
                ON CONFLICT DO NOTHING;
            END IF;
        END IF;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, coalesce(v_old.site_id, p_site_id), 'booking.staff_move',
            coalesce(v_old.reference, p_booking_id::text),
            jsonb_build_object('booking_id', p_booking_id, 'slot_id', p_slot_id,
                               'new_booking_id', v_new, 'outcome', v_out));
    RETURN QUERY SELECT v_out, coalesce(v_new, p_booking_id);
END
$$;
COMMENT ON FUNCTION staff_booking_move(bigint, bigint, bigint, bigint) IS
    'Staff move a booking for the person through booking_reschedule (a counter booking within the counter share); outcome forbidden or booking_reschedule''s; audited as booking.staff_move.';
