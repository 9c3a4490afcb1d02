-- 010_calendars.sql: the calendars of the staff back-office (issue 5):
-- counters, opening rules, closures that cancel the bookings of a day,
-- slot generation and publication in batches, and places reserved per
-- channel so that people without internet keep a way in.
--
-- Every state change is one function call taking the staff account first;
-- each checks staff_can_site(account, site) itself (a site id never comes
-- from a form: the page passes the site of its URL, and every other id the
-- form names is checked to belong to that site), and writes audit_log in
-- the same transaction. Each returns a row whose first column is `outcome`.

------------------------------------------------------------------------------
-- Messages.
INSERT INTO outbox_kinds (kind, description) VALUES
    ('day_closed', 'the site or counter closes on the day of a booking: cancelled, with the link to book again');

------------------------------------------------------------------------------
-- Channels: how a booking was made. online (the public pages), mediator
-- (France Services and the like, for people without e-mail), counter (at
-- the desk or by phone), court (an injunction of the administrative court).
CREATE FUNCTION creneau_valid_channel(p text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT p IN ('online', 'mediator', 'counter', 'court')
$$;

-- The share of each slot's capacity reserved for a channel other than
-- online, per site and procedure; online gets what the others leave.
CREATE TABLE channel_shares (
    site_id      bigint NOT NULL,
    procedure_id bigint NOT NULL,
    channel      text NOT NULL
                 CONSTRAINT channel_shares_channel_valid
                 CHECK (creneau_valid_channel(channel) AND channel <> 'online'),
    percent      integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, procedure_id, channel),
    CONSTRAINT channel_shares_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
COMMENT ON TABLE channel_shares IS
    'Percentage of the capacity of newly generated slots reserved per channel (mediator, counter, court); the sum is at most 100, online gets the rest.';

-- Places of a slot reserved for a channel, computed at generation.
CREATE TABLE slot_reservations (
    slot_id bigint NOT NULL REFERENCES slots (id) ON DELETE CASCADE,
    channel text NOT NULL
            CONSTRAINT slot_reservations_channel_valid
            CHECK (creneau_valid_channel(channel) AND channel <> 'online'),
    places  integer NOT NULL CHECK (places > 0),
    PRIMARY KEY (slot_id, channel)
);
COMMENT ON TABLE slot_reservations IS
    'Places of a slot only a channel other than online may take, until 48 hours before the slot: then the unused ones return to online (computed, no job).';

-- How long before a slot its unused reserved places return to online.
CREATE FUNCTION creneau_reservation_lapse() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT interval '48 hours'
$$;

-- Places of slot p_slot that channel p_channel may still take:
-- capacity - booked - the places reserved for the other channels and not
-- used by them yet (nothing reserved any more from 48 hours before the
-- slot). Bookings of a channel use its reservation first.
CREATE OR REPLACE FUNCTION creneau_slot_channel_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT p_slot.capacity - p_slot.booked
           - CASE WHEN p_slot.starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE coalesce((
                       SELECT sum(greatest(0, r.places
                                  - (SELECT count(*) FROM bookings b
                                      WHERE b.slot_id = r.slot_id AND b.channel = r.channel
                                        AND NOT b.released)))::integer
                         FROM slot_reservations r
                        WHERE r.slot_id = p_slot.id
                          AND r.channel <> coalesce(p_channel, 'online')), 0)
             END
$$;
COMMENT ON FUNCTION creneau_slot_channel_free(slots, text) IS
    'Places of a slot a channel may take now: capacity - booked - unused places reserved for other channels (none from 48 hours before the slot).';

-- Free places of a slot for the public (online): as in 004, minus the
-- unused places reserved for the other channels.
CREATE OR REPLACE FUNCTION creneau_slot_free(p_slot slots) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT creneau_slot_channel_free(p_slot, 'online')
           + (SELECT count(*)::integer FROM bookings b
               WHERE b.slot_id = p_slot.id AND b.status = 'held'
                 AND b.hold_expires_at <= now())
$$;

------------------------------------------------------------------------------
-- booking_hold (004) keeps the places reserved for other channels through
-- creneau_slot_channel_free, which this file replaces above.

------------------------------------------------------------------------------
-- Staff functions. Outcome 'forbidden' when the account may not act for
-- the site (checked first, before anything is read).

-- Adds a counter to a site. Outcomes: added (id), forbidden, exists.
CREATE FUNCTION calendar_counter_add(p_account bigint, p_site bigint, p_name text)
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
CREATE FUNCTION calendar_rule_add(p_account bigint, p_site bigint, p_counter bigint,
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
CREATE FUNCTION calendar_rule_end(p_account bigint, p_site bigint, p_rule bigint,
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
CREATE FUNCTION close_day(p_account bigint, p_site bigint, p_counter bigint,
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
CREATE FUNCTION calendar_shares_set(p_account bigint, p_site bigint, p_procedure bigint,
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
CREATE FUNCTION creneau_reserve_new_slots(p_site bigint, p_after bigint)
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
-- to be published at p_publish_at, with their reserved places.
-- Outcomes: generated (slots created, places reserved), forbidden, range
-- (p_to before p_from, or more than 400 days), past (p_from before the
-- site's today).
CREATE FUNCTION calendar_generate(p_account bigint, p_site bigint, p_from date, p_to date,
                                  p_publish_at timestamptz)
RETURNS TABLE (outcome text, created integer, reserved integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_tz      text;
    v_after   bigint;
    v_created integer;
    v_res     integer;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, 0, 0;
        RETURN;
    END IF;
    SELECT st.time_zone INTO v_tz FROM sites st WHERE st.id = p_site;
    IF p_to < p_from OR p_to - p_from > 400 THEN
        RETURN QUERY SELECT 'range'::text, 0, 0;
        RETURN;
    END IF;
    IF p_from < (now() AT TIME ZONE v_tz)::date THEN
        RETURN QUERY SELECT 'past'::text, 0, 0;
        RETURN;
    END IF;
    -- One generation per site at a time, so "id > v_after" is this one's.
    PERFORM pg_advisory_xact_lock(3201, hashtext('generate:' || p_site));
    SELECT coalesce(max(sl.id), 0) INTO v_after FROM slots sl;
    v_created := generate_slots(p_site, p_from, p_to, coalesce(p_publish_at, now()));
    v_res := creneau_reserve_new_slots(p_site, v_after);
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'slots.generate', 'site:' || p_site,
            jsonb_build_object('from', p_from, 'to', p_to,
                               'publish_at', coalesce(p_publish_at, now()),
                               'created', v_created, 'reserved', v_res));
    RETURN QUERY SELECT 'generated'::text, v_created, v_res;
END
$$;

-- Publishes now a batch to come: the future slots of a procedure at a
-- site whose publication time is p_batch (microseconds since the epoch).
-- Outcomes: published (how many), forbidden, not_found.
CREATE FUNCTION calendar_publish_now(p_account bigint, p_site bigint, p_procedure bigint,
                                     p_batch bigint)
RETURNS TABLE (outcome text, published integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n integer;
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
    IF v_n = 0 THEN
        RETURN QUERY SELECT 'not_found'::text, 0;
        RETURN;
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site, 'slots.publish', 'procedure:' || p_procedure,
            jsonb_build_object('batch', to_timestamp(p_batch / 1000000.0), 'slots', v_n));
    RETURN QUERY SELECT 'published'::text, v_n;
END
$$;
