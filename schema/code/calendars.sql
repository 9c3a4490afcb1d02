-- schema/code/calendars.sql
--
-- Calendars edited by staff: counters, opening rules, closing a
-- day, channel shares and reservations, generation and publication (010).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- How long before a slot its unused reserved places return to online.
CREATE OR REPLACE FUNCTION creneau_reservation_lapse() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT interval '48 hours'
$$;

------------------------------------------------------------------------------
-- Staff functions. Outcome 'forbidden' when the account may not act for
-- the site (checked first, before anything is read).

-- Adds a counter to a site. Outcomes: added (id), forbidden, exists.
CREATE OR REPLACE FUNCTION calendar_counter_add(p_account bigint, p_site bigint, p_name text)
RETURNS TABLE (outcome text, id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO counters (site_id, name) VALUES (p_site, btrim(p_name))
    ON CONFLICT (site_id, name) DO NOTHING
    RETURNING counters.id INTO v_id;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'exists'::text, NULL::bigint;
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'counter.add', 'counter:' || v_id,
            jsonb_build_object('name', btrim(p_name)));
    RETURN QUERY SELECT 'added'::text, v_id;
END
$$;

-- Adds an opening rule. Outcomes: added (id), forbidden, no_counter (not
-- a counter of the site), no_procedure (not offered at the site), hours
-- (opens not before closes), too_short (not one slot fits), range
-- (valid_until before valid_from), overlap (another rule of the counter
-- covers that weekday, hours and dates).
CREATE OR REPLACE FUNCTION calendar_rule_add(p_account bigint, p_site bigint, p_counter bigint,
                                  p_procedure bigint, p_weekday integer, p_opens time,
                                  p_closes time, p_slot_minutes integer, p_capacity integer,
                                  p_from date, p_until date)
RETURNS TABLE (outcome text, id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM counters c WHERE c.id = p_counter AND c.site_id = p_site) THEN
        RETURN QUERY SELECT 'no_counter'::text, NULL::bigint;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM site_procedures sp
                    WHERE sp.site_id = p_site AND sp.procedure_id = p_procedure) THEN
        RETURN QUERY SELECT 'no_procedure'::text, NULL::bigint;
        RETURN;
    END IF;
    IF p_opens >= p_closes THEN
        RETURN QUERY SELECT 'hours'::text, NULL::bigint;
        RETURN;
    END IF;
    IF extract(epoch FROM p_closes - p_opens) < p_slot_minutes * 60 THEN
        RETURN QUERY SELECT 'too_short'::text, NULL::bigint;
        RETURN;
    END IF;
    IF p_until IS NOT NULL AND p_until < p_from THEN
        RETURN QUERY SELECT 'range'::text, NULL::bigint;
        RETURN;
    END IF;
    BEGIN
        INSERT INTO opening_rules (site_id, counter_id, procedure_id, weekday, opens, closes,
                                   slot_minutes, capacity, valid_from, valid_until)
        VALUES (p_site, p_counter, p_procedure, p_weekday, p_opens, p_closes,
                p_slot_minutes, p_capacity, p_from, p_until)
        RETURNING opening_rules.id INTO v_id;
    EXCEPTION WHEN exclusion_violation THEN
        RETURN QUERY SELECT 'overlap'::text, NULL::bigint;
        RETURN;
    END;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'rule.add', 'opening_rule:' || v_id,
            jsonb_build_object('counter', p_counter, 'procedure', p_procedure,
                               'weekday', p_weekday, 'opens', p_opens, 'closes', p_closes,
                               'slot_minutes', p_slot_minutes, 'capacity', p_capacity,
                               'valid_from', p_from, 'valid_until', p_until));
    RETURN QUERY SELECT 'added'::text, v_id;
END
$$;

-- Ends a rule: its last day becomes p_until (never a delete; slots already
-- generated stay). Outcomes: ended, forbidden, not_found (no such rule at
-- the site), range (before the rule's first day), overlap (a later end
-- would cover another rule).
CREATE OR REPLACE FUNCTION calendar_rule_end(p_account bigint, p_site bigint, p_rule bigint,
                                  p_until date)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    r opening_rules%ROWTYPE;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text;
        RETURN;
    END IF;
    SELECT * INTO r FROM opening_rules o WHERE o.id = p_rule AND o.site_id = p_site FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF p_until < r.valid_from THEN
        RETURN QUERY SELECT 'range'::text;
        RETURN;
    END IF;
    BEGIN
        UPDATE opening_rules SET valid_until = p_until WHERE opening_rules.id = r.id;
    EXCEPTION WHEN exclusion_violation THEN
        RETURN QUERY SELECT 'overlap'::text;
        RETURN;
    END;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'rule.end', 'opening_rule:' || r.id,
            jsonb_build_object('valid_until', p_until, 'was', r.valid_until));
    RETURN QUERY SELECT 'ended'::text;
END
$$;

-- Closes a day for a whole site (p_counter NULL) or one counter, in one
-- transaction: the closure row; every active (held or confirmed) booking
-- of that day (local to the site) there is cancelled, its place never
-- returned (release_at = infinity), and its applicant gets a day_closed
-- message in their language with the link to book again; slots of the day
-- without any booking are deleted, the others unpublished; an audit entry.
-- Outcomes: closed (closure id, bookings cancelled), forbidden,
-- no_counter, past_day (before the site's today), already_closed.
CREATE OR REPLACE FUNCTION close_day(p_account bigint, p_site bigint, p_counter bigint,
                          p_day date, p_reason text)
RETURNS TABLE (outcome text, closure_id bigint, cancelled integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tz      text;
    v_id      bigint;
    v_slots   bigint[];
    v_n       integer := 0;
    v_deleted integer;
    b         record;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, NULL::bigint, 0;
        RETURN;
    END IF;
    SELECT st.time_zone INTO v_tz FROM sites st WHERE st.id = p_site;
    IF p_counter IS NOT NULL AND NOT EXISTS (SELECT 1 FROM counters c
                                              WHERE c.id = p_counter AND c.site_id = p_site) THEN
        RETURN QUERY SELECT 'no_counter'::text, NULL::bigint, 0;
        RETURN;
    END IF;
    IF p_day < (now() AT TIME ZONE v_tz)::date THEN
        RETURN QUERY SELECT 'past_day'::text, NULL::bigint, 0;
        RETURN;
    END IF;
    INSERT INTO closures (site_id, counter_id, day, reason)
    VALUES (p_site, p_counter, p_day, btrim(p_reason))
    ON CONFLICT ON CONSTRAINT closures_site_counter_day_key DO NOTHING
    RETURNING closures.id INTO v_id;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'already_closed'::text, NULL::bigint, 0;
        RETURN;
    END IF;

    -- The slots of that day, locked in id order (the lock order of 004).
    SELECT array_agg(s.id ORDER BY s.id) INTO v_slots FROM (
        SELECT s.id FROM slots s
         WHERE s.site_id = p_site
           AND (p_counter IS NULL OR s.counter_id = p_counter)
           AND s.starts_at >= (p_day::timestamp AT TIME ZONE v_tz)
           AND s.starts_at < ((p_day + 1)::timestamp AT TIME ZONE v_tz)
         ORDER BY s.id FOR UPDATE) s;
    v_slots := coalesce(v_slots, '{}');

    FOR b IN SELECT x.id FROM bookings x
              WHERE x.slot_id = ANY (v_slots) AND x.status IN ('held', 'confirmed')
              ORDER BY x.id FOR UPDATE LOOP
        UPDATE bookings SET status = 'cancelled', cancelled_at = now(),
                            release_at = 'infinity', released = false
         WHERE bookings.id = b.id;
        PERFORM creneau_outbox_add('day_closed', 'day_closed', b.id,
                                   jsonb_build_object('reason', btrim(p_reason),
                                                      'alternative_route', st.alternative_route))
           FROM sites st WHERE st.id = p_site;
        v_n := v_n + 1;
    END LOOP;

    DELETE FROM slots s
     WHERE s.id = ANY (v_slots)
       AND NOT EXISTS (SELECT 1 FROM bookings x WHERE x.slot_id = s.id);
    GET DIAGNOSTICS v_deleted = ROW_COUNT;
    UPDATE slots s SET published_at = NULL WHERE s.id = ANY (v_slots);

    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'closure.add', 'closure:' || v_id,
            jsonb_build_object('day', p_day, 'counter', p_counter, 'reason', btrim(p_reason),
                               'bookings_cancelled', v_n, 'slots_deleted', v_deleted,
                               'slots_unpublished', cardinality(v_slots) - v_deleted));
    RETURN QUERY SELECT 'closed'::text, v_id, v_n;
END
$$;
COMMENT ON FUNCTION close_day(bigint, bigint, bigint, date, text) IS
    'Close a day (whole site or one counter): closure, active bookings cancelled without their places returned, one day_closed message per booking, slots removed or unpublished, audit entry; one transaction.';

-- Sets the shares of a procedure at a site (percentages for mediator,
-- counter and court; online gets the rest). Outcomes: set, forbidden,
-- no_procedure, too_much (more than 100 in all).
CREATE OR REPLACE FUNCTION calendar_shares_set(p_account bigint, p_site bigint, p_procedure bigint,
                                    p_mediator integer, p_counter integer, p_court integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM site_procedures sp
                    WHERE sp.site_id = p_site AND sp.procedure_id = p_procedure) THEN
        RETURN QUERY SELECT 'no_procedure'::text;
        RETURN;
    END IF;
    IF p_mediator + p_counter + p_court > 100 THEN
        RETURN QUERY SELECT 'too_much'::text;
        RETURN;
    END IF;
    INSERT INTO channel_shares AS c (site_id, procedure_id, channel, percent)
    VALUES (p_site, p_procedure, 'mediator', p_mediator),
           (p_site, p_procedure, 'counter', p_counter),
           (p_site, p_procedure, 'court', p_court)
    ON CONFLICT (site_id, procedure_id, channel)
    DO UPDATE SET percent = EXCLUDED.percent, updated_at = now();
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'shares.set', 'procedure:' || p_procedure,
            jsonb_build_object('mediator', p_mediator, 'counter', p_counter, 'court', p_court));
    RETURN QUERY SELECT 'set'::text;
END
$$;

-- Reserves places of the new slots of a site (id > p_after) per the
-- channel shares of their procedure, spread over the batch in time order:
-- after each slot, channel k holds floor(capacity so far * percent / 100)
-- places, so capacity-1 slots get whole slots reserved at regular
-- intervals. Returns the places reserved.
CREATE OR REPLACE FUNCTION creneau_reserve_new_slots(p_site bigint, p_after bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_proc   bigint;
    v_ch     text[];
    v_pct    integer[];
    v_asg    integer[];
    v_cum    bigint;
    v_free   integer;
    v_give   integer;
    v_total  integer := 0;
    s        record;
BEGIN
    FOR v_proc IN SELECT DISTINCT sl.procedure_id FROM slots sl
                   WHERE sl.site_id = p_site AND sl.id > p_after ORDER BY 1 LOOP
        SELECT array_agg(c.channel ORDER BY c.channel), array_agg(c.percent ORDER BY c.channel)
          INTO v_ch, v_pct
          FROM channel_shares c
         WHERE c.site_id = p_site AND c.procedure_id = v_proc AND c.percent > 0;
        CONTINUE WHEN v_ch IS NULL;
        v_asg := array_fill(0, ARRAY[cardinality(v_ch)]);
        v_cum := 0;
        FOR s IN SELECT sl.id, sl.capacity FROM slots sl
                  WHERE sl.site_id = p_site AND sl.procedure_id = v_proc AND sl.id > p_after
                  ORDER BY sl.starts_at, sl.id LOOP
            v_cum := v_cum + s.capacity;
            v_free := s.capacity;
            FOR k IN 1 .. cardinality(v_ch) LOOP
                v_give := least(v_free, (v_cum * v_pct[k] / 100)::integer - v_asg[k]);
                IF v_give > 0 THEN
                    INSERT INTO slot_reservations (slot_id, channel, places)
                    VALUES (s.id, v_ch[k], v_give);
                    v_asg[k] := v_asg[k] + v_give;
                    v_free := v_free - v_give;
                    v_total := v_total + v_give;
                END IF;
            END LOOP;
        END LOOP;
    END LOOP;
    RETURN v_total;
END
$$;

-- Generates the slots of a site's rules from p_from to p_to (inclusive),
-- for one procedure (p_procedure; NULL: every procedure of the site), to
-- be published at p_publish_at, with their reserved places.
-- Outcomes: generated (created slots holding places in all, reserved of
-- them for the channels), forbidden, no_procedure (not offered at the
-- site), range (p_to before p_from, or more than 400 days), past (p_from
-- before the site's today).
CREATE OR REPLACE FUNCTION calendar_generate(p_account bigint, p_site bigint, p_from date, p_to date,
                                  p_publish_at timestamptz, p_procedure bigint DEFAULT NULL)
RETURNS TABLE (outcome text, created integer, reserved integer, places integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tz      text;
    v_after   bigint;
    v_created integer;
    v_res     integer;
    v_places  integer;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, 0, 0, 0;
        RETURN;
    END IF;
    SELECT st.time_zone INTO v_tz FROM sites st WHERE st.id = p_site;
    IF p_procedure IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM site_procedures sp
                        WHERE sp.site_id = p_site AND sp.procedure_id = p_procedure) THEN
        RETURN QUERY SELECT 'no_procedure'::text, 0, 0, 0;
        RETURN;
    END IF;
    IF p_to < p_from OR p_to - p_from > 400 THEN
        RETURN QUERY SELECT 'range'::text, 0, 0, 0;
        RETURN;
    END IF;
    IF p_from < (now() AT TIME ZONE v_tz)::date THEN
        RETURN QUERY SELECT 'past'::text, 0, 0, 0;
        RETURN;
    END IF;
    -- One generation per site at a time, so "id > v_after" is this one's.
    PERFORM pg_advisory_xact_lock(3201, hashtext('generate:' || p_site));
    SELECT coalesce(max(sl.id), 0) INTO v_after FROM slots sl;
    v_created := generate_slots(p_site, p_from, p_to, coalesce(p_publish_at, now()), p_procedure);
    v_res := creneau_reserve_new_slots(p_site, v_after);
    SELECT coalesce(sum(sl.capacity), 0)::integer INTO v_places
      FROM slots sl WHERE sl.site_id = p_site AND sl.id > v_after;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'slots.generate', 'site:' || p_site,
            jsonb_build_object('from', p_from, 'to', p_to,
                               'publish_at', coalesce(p_publish_at, now()),
                               'procedure', p_procedure,
                               'created', v_created, 'places', v_places,
                               'reserved', v_res));
    RETURN QUERY SELECT 'generated'::text, v_created, v_res, v_places;
END
$$;

-- "Publish now" also opens now the registration of a batch the switch
-- made a draw (its window and draw move as much earlier). Outcomes:
-- published (how many slots), draw_opened (how many slots in the draw),
-- forbidden, not_found.
CREATE OR REPLACE FUNCTION calendar_publish_now(p_account bigint, p_site bigint, p_procedure bigint,
                                                p_batch bigint)
RETURNS TABLE (outcome text, published integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n     integer;
    d       draws%ROWTYPE;
    v_shift interval;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, 0;
        RETURN;
    END IF;
    UPDATE slots s SET published_at = now()
     WHERE s.site_id = p_site AND s.procedure_id = p_procedure
       AND s.published_at > now()
       AND (extract(epoch FROM s.published_at) * 1000000)::bigint = p_batch;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n > 0 THEN
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        VALUES (p_account, p_site, 'slots.publish', 'procedure:' || p_procedure,
                jsonb_build_object('batch', to_timestamp(p_batch / 1000000.0), 'slots', v_n));
    END IF;
    SELECT x.* INTO d FROM draws x
     WHERE x.site_id = p_site AND x.procedure_id = p_procedure AND x.auto_batch IS NOT NULL
       AND x.status = 'scheduled' AND x.registration_opens_at > now()
       AND (extract(epoch FROM x.auto_batch) * 1000000)::bigint = p_batch
     ORDER BY x.id LIMIT 1
       FOR UPDATE;
    IF FOUND THEN
        v_shift := d.registration_opens_at - now();
        UPDATE draws x SET registration_opens_at = x.registration_opens_at - v_shift,
                           registration_closes_at = x.registration_closes_at - v_shift,
                           draw_at = x.draw_at - v_shift
         WHERE x.id = d.id;
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        VALUES (p_account, p_site, 'draw.opened', d.id::text,
                jsonb_build_object('batch', d.auto_batch, 'procedure', p_procedure,
                                   'draw_at', d.draw_at - v_shift));
        IF v_n = 0 THEN
            RETURN QUERY SELECT 'draw_opened'::text,
                                (SELECT count(*)::integer FROM draw_slots ds WHERE ds.draw_id = d.id);
            RETURN;
        END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN QUERY SELECT 'not_found'::text, 0;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'published'::text, v_n;
END
$$;
