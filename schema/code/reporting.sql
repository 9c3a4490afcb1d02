-- schema/code/reporting.sql
--
-- Reporting (issue 14): the facts each figure is counted from, the
-- figures (live and frozen), the nightly snapshot, the public weekly
-- statistics and the retention purge. The tables are in
-- schema/024_reporting.sql.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

------------------------------------------------------------------------------
-- Who cancelled a booking. The booking functions do not say, so a
-- trigger records it when a booking becomes cancelled: a closure
-- (close_day sets release_at = infinity), staff (a staff function sets
-- creneau.cancelled_by = 'staff' for its transaction), otherwise the
-- person (booking_cancel, booking_reschedule: a reschedule is told apart
-- by the booking that replaced it). Kept through the purge.
CREATE FUNCTION reporting.cancelled_by_fill() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.status = 'cancelled'
       AND (TG_OP = 'INSERT' OR OLD.status IS DISTINCT FROM 'cancelled') THEN
        NEW.cancelled_by := CASE
            WHEN NEW.release_at = 'infinity' THEN 'closure'
            WHEN current_setting('creneau.cancelled_by', true) = 'staff' THEN 'staff'
            ELSE 'person' END;
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER bookings_cancelled_by BEFORE INSERT OR UPDATE OF status ON bookings
    FOR EACH ROW EXECUTE FUNCTION reporting.cancelled_by_fill();

------------------------------------------------------------------------------
-- 2. Facts: what each row counts as, for the days p_from .. p_to (local
-- day of the site) and one site (p_site) or all (NULL).
--
-- At production size (100 sites, a year of slots, a million bookings, and
-- every year kept after the purge) a report must read its range, not the
-- tables: the facts are read one day at a time through an index (the
-- days p_from - 1 .. p_to + 1, as timestamps, cover every time zone's
-- local day), then each slot's confirmed bookings, each booking's draw
-- entry and each draw's entries through theirs. The lateral subqueries
-- below that end in OFFSET 0 or LIMIT 1 stay one probe per row (the
-- planner would otherwise be free to hash a whole table when the range is
-- most of it, as it is on a young database); t/report/plans.t and
-- bench/report.py check the plans. Their estimated cost passes
-- jit_above_cost at production size, and compiling them took seconds,
-- far longer than running them: creneau-report runs them with jit off,
-- and the nightly's functions below set it off for themselves.

-- The slots of the local days p_from .. p_to, with their local day: per
-- day of p_from - 1 .. p_to + 1, slots_starts_at_idx (all sites) or
-- slots_site_start_idx (one site), then cut exactly on the site's day.
CREATE FUNCTION reporting.range_slots(p_from date, p_to date, p_site bigint)
RETURNS TABLE (id bigint, site_id bigint, procedure_id bigint, starts_at timestamptz,
               capacity integer, published_at timestamptz, day date)
LANGUAGE sql STABLE AS $$
    SELECT s.id, s.site_id, s.procedure_id, s.starts_at, s.capacity, s.published_at,
           (s.starts_at AT TIME ZONE st.time_zone)::date
      FROM generate_series((p_from - 1)::timestamptz, (p_to + 1)::timestamptz, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (
            SELECT x.* FROM slots x
             WHERE p_site IS NULL AND x.starts_at >= g.d AND x.starts_at < g.d + interval '1 day'
            UNION ALL
            SELECT x.* FROM slots x
             WHERE x.site_id = p_site AND x.starts_at >= g.d AND x.starts_at < g.d + interval '1 day') s
      JOIN sites st ON st.id = s.site_id
     WHERE (s.starts_at AT TIME ZONE st.time_zone)::date BETWEEN p_from AND p_to
$$;
COMMENT ON FUNCTION reporting.range_slots(date, date, bigint) IS
    'Slots of the local days p_from .. p_to of one site or all (NULL), with their local day, read day by day through slots_starts_at_idx or slots_site_start_idx.';

CREATE FUNCTION reporting.slot_facts(p_from date, p_to date, p_site bigint)
RETURNS TABLE (slot_id bigint, site_id bigint, procedure_id bigint, starts_at timestamptz, day date,
               capacity integer, published boolean)
LANGUAGE sql STABLE AS $$
    SELECT s.id, s.site_id, s.procedure_id, s.starts_at, s.day, s.capacity,
           (s.published_at IS NOT NULL AND s.published_at <= now())
      FROM reporting.range_slots(p_from, p_to, p_site) s
$$;
COMMENT ON FUNCTION reporting.slot_facts(date, date, bigint) IS
    'One row per slot of the local days p_from .. p_to (one site or all: NULL): its local day, capacity, whether published. How many confirmed bookings it ever had: its rows in booking_facts.';

-- A booking's site is its slot's (every booking function takes both from
-- the slot), so the slots of a site give the bookings of the site.
CREATE FUNCTION reporting.booking_facts(p_from date, p_to date, p_site bigint)
RETURNS TABLE (booking_id bigint, site_id bigint, procedure_id bigint, slot_id bigint,
               starts_at timestamptz, day date, channel text, outcome text,
               requested_at timestamptz, wait_days numeric, identity_key bytea)
LANGUAGE sql STABLE AS $$
    SELECT b.id, b.site_id, b.procedure_id, b.slot_id, s.starts_at, s.day,
           CASE WHEN de.id IS NOT NULL THEN 'draw' ELSE b.channel END,
           CASE WHEN b.status = 'cancelled' AND b.cancelled_by = 'closure' THEN 'cancelled_closure'
                WHEN b.status = 'cancelled' AND b.cancelled_by = 'staff' THEN 'cancelled_staff'
                WHEN b.status = 'cancelled' AND mv.moved THEN 'rescheduled'
                WHEN b.status = 'cancelled' THEN 'cancelled_person'
                WHEN b.attendance = 'honoured' THEN 'honoured'
                WHEN b.attendance = 'no_show' THEN 'no_show'
                ELSE 'unmarked' END,
           coalesce(de.registered_at, b.created_at),
           round((extract(epoch FROM s.starts_at - coalesce(de.registered_at, b.created_at)) / 86400)::numeric, 2),
           b.identity_key
      FROM reporting.range_slots(p_from, p_to, p_site) s
     CROSS JOIN LATERAL (SELECT x.* FROM bookings x
                          WHERE x.slot_id = s.id AND x.confirmed_at IS NOT NULL OFFSET 0) b
      -- The draw entry that offered the place (draw_entries_booking_idx).
      LEFT JOIN LATERAL (SELECT e.id, e.registered_at FROM draw_entries e
                          WHERE e.booking_id = b.id OFFSET 0) de ON true
      -- Another booking replaced it (bookings_rescheduled_from_idx).
      LEFT JOIN LATERAL (SELECT true AS moved FROM bookings n
                          WHERE b.status = 'cancelled' AND n.rescheduled_from = b.id LIMIT 1) mv ON true
     WHERE p_site IS NULL OR b.site_id = p_site
$$;
COMMENT ON FUNCTION reporting.booking_facts(date, date, bigint) IS
    'One row per confirmed booking whose appointment is on a local day p_from .. p_to (one site or all: NULL): channel (draw when a draw offered it), outcome (honoured, no_show, unmarked, cancelled_person, rescheduled, cancelled_staff, cancelled_closure), wait in days from the request.';

CREATE FUNCTION reporting.draw_facts(p_from date, p_to date, p_site bigint)
RETURNS TABLE (draw_id bigint, site_id bigint, procedure_id bigint, draw_at timestamptz, day date,
               held boolean, entries integer, identities integer, winners integer,
               confirmed integer, voided integer)
LANGUAGE sql STABLE AS $$
    SELECT d.id, d.site_id, d.procedure_id, d.draw_at,
           (d.draw_at AT TIME ZONE st.time_zone)::date,
           (d.status = 'drawn'), e.entries, e.identities, e.winners, e.confirmed, e.voided
      FROM generate_series((p_from - 1)::timestamptz, (p_to + 1)::timestamptz, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM draws x
                          WHERE x.draw_at >= g.d AND x.draw_at < g.d + interval '1 day'
                            AND (p_site IS NULL OR x.site_id = p_site) OFFSET 0) d
      JOIN sites st ON st.id = d.site_id
     CROSS JOIN LATERAL (
            SELECT count(e.id) FILTER (WHERE e.verified_at IS NOT NULL)::integer AS entries,
                   count(DISTINCT e.identity_key) FILTER (WHERE e.verified_at IS NOT NULL)::integer AS identities,
                   count(e.id) FILTER (WHERE e.offered_at IS NOT NULL)::integer AS winners,
                   count(e.id) FILTER (WHERE e.status = 'won')::integer AS confirmed,
                   count(e.id) FILTER (WHERE e.status = 'voided')::integer AS voided
              FROM draw_entries e WHERE e.draw_id = d.id) e
     WHERE (d.draw_at AT TIME ZONE st.time_zone)::date BETWEEN p_from AND p_to
$$;
COMMENT ON FUNCTION reporting.draw_facts(date, date, bigint) IS
    'One row per draw of the local days p_from .. p_to (one site or all: NULL): whether run, verified entries, distinct identities, entries offered a place, confirmed, voided.';

CREATE FUNCTION reporting.message_facts(p_from date, p_to date, p_site bigint)
RETURNS TABLE (message_id bigint, created_at timestamptz, site_id bigint, procedure_id bigint,
               day date, state text)
LANGUAGE sql STABLE AS $$
    SELECT o.id, o.created_at,
           coalesce(b.site_id, a.site_id), coalesce(b.procedure_id, a.procedure_id),
           (o.created_at AT TIME ZONE coalesce(st.time_zone, 'Europe/Paris'))::date,
           CASE WHEN o.status = 'sent' THEN 'sent'
                WHEN o.status = 'parked' THEN 'parked'
                WHEN o.attempts > 0 THEN 'failed'
                ELSE 'waiting' END
      FROM generate_series((p_from - 1)::timestamptz, (p_to + 1)::timestamptz, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM outbox x
                          WHERE x.created_at >= g.d AND x.created_at < g.d + interval '1 day' OFFSET 0) o
      LEFT JOIN LATERAL (SELECT x.site_id, x.procedure_id FROM bookings x
                          WHERE x.id = o.booking_id LIMIT 1) b ON true
      LEFT JOIN LATERAL (SELECT x.site_id, x.procedure_id FROM alert_subscriptions x
                          WHERE x.id = o.alert_subscription_id LIMIT 1) a ON true
      LEFT JOIN sites st ON st.id = coalesce(b.site_id, a.site_id)
     WHERE (o.created_at AT TIME ZONE coalesce(st.time_zone, 'Europe/Paris'))::date BETWEEN p_from AND p_to
       AND (p_site IS NULL OR coalesce(b.site_id, a.site_id) = p_site)
$$;
COMMENT ON FUNCTION reporting.message_facts(date, date, bigint) IS
    'One row per outbox message created on a local day p_from .. p_to (one site or all: NULL): site (of its booking or alert; NULL otherwise), state sent, failed (tried, not delivered), parked or waiting.';

CREATE FUNCTION reporting.court_facts(p_from date, p_to date, p_site bigint)
RETURNS TABLE (injunction_id bigint, site_id bigint, procedure_id bigint, day date, state text)
LANGUAGE sql STABLE AS $$
    SELECT i.id, i.site_id, i.procedure_id, i.deadline,
           CASE WHEN i.fulfilled_at IS NOT NULL
                     AND (i.fulfilled_at AT TIME ZONE st.time_zone)::date <= i.deadline THEN 'met'
                WHEN i.fulfilled_at IS NOT NULL THEN 'late'
                WHEN i.deadline < (now() AT TIME ZONE st.time_zone)::date THEN 'late'
                ELSE 'open' END
      FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM injunctions x
                          WHERE x.deadline = g.d::date AND (p_site IS NULL OR x.site_id = p_site) OFFSET 0) i
      JOIN sites st ON st.id = i.site_id
$$;
COMMENT ON FUNCTION reporting.court_facts(date, date, bigint) IS
    'One row per court order due on a day p_from .. p_to (one site or all: NULL): state met (booked by the deadline), late (booked after it, or open past it) or open.';

------------------------------------------------------------------------------
-- The snapshot (on the primary, before the report). Re-runnable: the
-- night's rows are replaced; refusals keep the largest count seen.
CREATE FUNCTION reporting.snapshot() RETURNS integer
LANGUAGE plpgsql VOLATILE SET jit = off AS $$
DECLARE
    n integer;
BEGIN
    INSERT INTO reporting.first_free_seen AS f (day, site_id, procedure_id, first_free, free_places)
    SELECT (now() AT TIME ZONE st.time_zone)::date, sp.site_id, sp.procedure_id,
           min(b.local_start)::date, coalesce(sum(b.free), 0)::integer
      FROM site_procedures sp
      JOIN sites st ON st.id = sp.site_id
      LEFT JOIN LATERAL creneau_bookable_slots(sp.site_id, sp.procedure_id) b ON true
     GROUP BY sp.site_id, sp.procedure_id, st.time_zone
    ON CONFLICT (site_id, procedure_id, day) DO UPDATE
       SET first_free = EXCLUDED.first_free, free_places = EXCLUDED.free_places, seen_at = now();
    GET DIAGNOSTICS n = ROW_COUNT;

    WITH f AS MATERIALIZED (SELECT * FROM abuse_flags),
         c AS MATERIALIZED (SELECT * FROM abuse_contacts),
         hit AS (SELECT DISTINCT c.site_id, c.identity_key
                   FROM c JOIN f ON f.site_id = c.site_id
                    AND (c.email = f.subject OR c.phone = f.subject OR c.entry_id = ANY (f.entry_ids)))
    INSERT INTO reporting.flags_seen AS x (day, site_id, identities)
    SELECT (now() AT TIME ZONE st.time_zone)::date, st.id, count(h.identity_key)::integer
      FROM sites st
      LEFT JOIN hit h ON h.site_id = st.id
     GROUP BY st.id, st.time_zone
    ON CONFLICT (site_id, day) DO UPDATE SET identities = EXCLUDED.identities;

    INSERT INTO reporting.refusals_seen AS r (day, action, refusals)
    SELECT (rl.window_start AT TIME ZONE 'Europe/Paris')::date, rl.action,
           sum(greatest(0, rl.hits - m.max_hits))::integer
      FROM rate_limits rl
      JOIN LATERAL (SELECT min(ru.max_hits) AS max_hits FROM rate_limit_rules ru
                     WHERE ru.action = rl.action
                       AND rl.key LIKE ru.scope || ':%') m ON m.max_hits IS NOT NULL
     GROUP BY 1, 2
    HAVING sum(greatest(0, rl.hits - m.max_hits)) > 0
    ON CONFLICT (day, action) DO UPDATE SET refusals = greatest(r.refusals, EXCLUDED.refusals);
    RETURN n;
END
$$;
COMMENT ON FUNCTION reporting.snapshot() IS
    'Nightly, on the primary: first free date per site and procedure, flagged identities per site, rate-limit refusals; returns the number of site-procedure pairs seen.';

------------------------------------------------------------------------------
-- 4. The figures, long form. p_site NULL: every site (and the rows of no
-- site). The facts functions read the range day by day through the
-- indexes; each figure is aggregated once, over the whole range.
CREATE FUNCTION reporting.live_figures(p_from date, p_to date, p_site bigint)
RETURNS TABLE (day date, site_id bigint, procedure_id bigint, figure text, value numeric)
LANGUAGE sql STABLE AS $$
    -- The bookings are read once: the figures of bookings, and how many
    -- confirmed bookings each slot ever had (its places never booked).
    WITH b AS MATERIALIZED (
        SELECT * FROM reporting.booking_facts(p_from, p_to, p_site)
    ), sf AS (
        SELECT f.day, f.site_id, f.procedure_id,
               sum(f.capacity) FILTER (WHERE f.published) AS published,
               sum(greatest(0, f.capacity - coalesce(n.ever_booked, 0))) FILTER (WHERE f.published) AS never
          FROM reporting.slot_facts(p_from, p_to, p_site) f
          LEFT JOIN (SELECT b.slot_id, count(DISTINCT b.booking_id) AS ever_booked
                       FROM b GROUP BY b.slot_id) n ON n.slot_id = f.slot_id
         GROUP BY 1, 2, 3
    ), bf AS (
        SELECT f.day, f.site_id, f.procedure_id,
               count(*) AS booked,
               count(*) FILTER (WHERE f.outcome = 'honoured') AS honoured,
               count(*) FILTER (WHERE f.outcome = 'no_show') AS no_show,
               count(*) FILTER (WHERE f.outcome = 'unmarked') AS unmarked,
               count(*) FILTER (WHERE f.outcome = 'cancelled_person') AS c_person,
               count(*) FILTER (WHERE f.outcome = 'rescheduled') AS c_moved,
               count(*) FILTER (WHERE f.outcome = 'cancelled_staff') AS c_staff,
               count(*) FILTER (WHERE f.outcome = 'cancelled_closure') AS c_closure,
               count(*) FILTER (WHERE f.channel = 'online') AS ch_online,
               count(*) FILTER (WHERE f.channel = 'draw') AS ch_draw,
               count(*) FILTER (WHERE f.channel = 'mediator') AS ch_mediator,
               count(*) FILTER (WHERE f.channel = 'counter') AS ch_counter,
               count(*) FILTER (WHERE f.channel = 'court') AS ch_court,
               count(*) FILTER (WHERE f.outcome <> 'rescheduled') AS w_n,
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.wait_days)
                      FILTER (WHERE f.outcome <> 'rescheduled'))::numeric, 2) AS w_med,
               round((percentile_cont(0.9) WITHIN GROUP (ORDER BY f.wait_days)
                      FILTER (WHERE f.outcome <> 'rescheduled'))::numeric, 2) AS w_p90
          FROM b f
         GROUP BY 1, 2, 3
    ), df AS (
        SELECT f.day, f.site_id, f.procedure_id,
               count(*) FILTER (WHERE f.held) AS held,
               sum(f.entries) FILTER (WHERE f.held) AS entries,
               sum(f.identities) FILTER (WHERE f.held) AS identities,
               sum(f.winners) FILTER (WHERE f.held) AS winners,
               sum(f.confirmed) FILTER (WHERE f.held) AS confirmed,
               sum(f.voided) AS voided
          FROM reporting.draw_facts(p_from, p_to, p_site) f
         GROUP BY 1, 2, 3
    ), mf AS (
        SELECT f.day, f.site_id, f.procedure_id,
               count(*) FILTER (WHERE f.state = 'sent') AS sent,
               count(*) FILTER (WHERE f.state = 'failed') AS failed,
               count(*) FILTER (WHERE f.state = 'parked') AS parked
          FROM reporting.message_facts(p_from, p_to, p_site) f
         GROUP BY 1, 2, 3
    ), cf AS (
        SELECT f.day, f.site_id, f.procedure_id,
               count(*) AS due,
               count(*) FILTER (WHERE f.state = 'met') AS met,
               count(*) FILTER (WHERE f.state = 'late') AS late,
               count(*) FILTER (WHERE f.state = 'open') AS open
          FROM reporting.court_facts(p_from, p_to, p_site) f
         GROUP BY 1, 2, 3
    )
    SELECT sf.day, sf.site_id, sf.procedure_id, v.figure, v.value
      FROM sf CROSS JOIN LATERAL (VALUES ('places_published', sf.published),
                                        ('places_never_booked', sf.never)) v (figure, value)
     WHERE v.value IS NOT NULL
    UNION ALL
    SELECT bf.day, bf.site_id, bf.procedure_id, v.figure, v.value
      FROM bf CROSS JOIN LATERAL (VALUES
           ('booked', bf.booked), ('honoured', bf.honoured), ('no_show', bf.no_show),
           ('unmarked', bf.unmarked), ('cancelled_person', bf.c_person),
           ('rescheduled', bf.c_moved), ('cancelled_staff', bf.c_staff),
           ('cancelled_closure', bf.c_closure),
           ('booked_online', bf.ch_online), ('booked_draw', bf.ch_draw),
           ('booked_mediator', bf.ch_mediator), ('booked_counter', bf.ch_counter),
           ('booked_court', bf.ch_court),
           ('wait_count', bf.w_n), ('wait_median_days', bf.w_med), ('wait_p90_days', bf.w_p90)) v (figure, value)
     WHERE v.value IS NOT NULL
    UNION ALL
    SELECT df.day, df.site_id, df.procedure_id, v.figure, v.value
      FROM df CROSS JOIN LATERAL (VALUES
           ('draws_held', df.held), ('draw_entries', df.entries),
           ('draw_identities', df.identities), ('draw_winners', df.winners),
           ('draw_confirmed', df.confirmed),
           ('draw_confirmation_rate', CASE WHEN df.winners > 0
                 THEN round(100.0 * df.confirmed / df.winners, 2) END),
           ('entries_voided', df.voided)) v (figure, value)
     WHERE v.value IS NOT NULL
    UNION ALL
    SELECT mf.day, mf.site_id, mf.procedure_id, v.figure, v.value
      FROM mf CROSS JOIN LATERAL (VALUES ('messages_sent', mf.sent), ('messages_failed', mf.failed),
                                        ('messages_parked', mf.parked)) v (figure, value)
    UNION ALL
    SELECT cf.day, cf.site_id, cf.procedure_id, v.figure, v.value
      FROM cf CROSS JOIN LATERAL (VALUES ('court_due', cf.due), ('court_met', cf.met),
                                        ('court_late', cf.late), ('court_open', cf.open)) v (figure, value)
    UNION ALL
    SELECT f.day, f.site_id, f.procedure_id, 'first_free_days',
           CASE WHEN f.first_free IS NOT NULL THEN (f.first_free - f.day)::numeric END
      FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM reporting.first_free_seen x
                          WHERE x.day = g.d::date AND x.first_free IS NOT NULL
                            AND (p_site IS NULL OR x.site_id = p_site) OFFSET 0) f
    UNION ALL
    SELECT f.day, f.site_id, NULL, 'flagged_identities', f.identities
      FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM reporting.flags_seen x
                          WHERE x.day = g.d::date AND (p_site IS NULL OR x.site_id = p_site) OFFSET 0) f
    UNION ALL
    SELECT r.day, NULL, NULL, 'ratelimit_refusals', sum(r.refusals)
      FROM reporting.refusals_seen r
     WHERE r.day BETWEEN p_from AND p_to AND p_site IS NULL
     GROUP BY r.day
$$;
COMMENT ON FUNCTION reporting.live_figures(date, date, bigint) IS
    'Every figure of reporting.figure_defs per local day, site and procedure, computed now from the facts views and the snapshots; p_site NULL for all sites.';

------------------------------------------------------------------------------
-- Frozen figures (reporting.figures, reporting.frozen_days).
-- Freeze every day up to p_until not frozen yet (from the first day with
-- data). Returns the number of days frozen.
CREATE FUNCTION reporting.freeze(p_until date) RETURNS integer
LANGUAGE plpgsql VOLATILE SET jit = off AS $$
DECLARE
    v_from date;
    n      integer;
BEGIN
    PERFORM pg_advisory_xact_lock(hashtext('creneau reporting freeze'));
    SELECT coalesce(max(day) + 1, least(
               (SELECT min(starts_at)::date - 1 FROM slots),
               (SELECT min(created_at)::date - 1 FROM outbox),
               (SELECT min(draw_at)::date - 1 FROM draws),
               (SELECT min(deadline) FROM injunctions),
               (SELECT min(day) FROM reporting.first_free_seen),
               (SELECT min(day) FROM reporting.refusals_seen)))
      INTO v_from FROM reporting.frozen_days;
    IF v_from IS NULL OR v_from > p_until THEN
        RETURN 0;
    END IF;
    DELETE FROM reporting.figures WHERE day BETWEEN v_from AND p_until;
    INSERT INTO reporting.figures (day, site_id, procedure_id, figure, value)
    SELECT day, site_id, procedure_id, figure, value
      FROM reporting.live_figures(v_from, p_until, NULL);
    INSERT INTO reporting.frozen_days (day)
    SELECT generate_series(v_from, p_until, interval '1 day')::date;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION reporting.freeze(date) IS
    'Computes and keeps the figures of every day up to p_until not frozen yet; the purge calls it before removing anything they are counted from.';

-- THE figures every output reads: frozen days from reporting.figures,
-- the others computed now.
CREATE FUNCTION reporting.report_figures(p_from date, p_to date, p_site bigint)
RETURNS TABLE (day date, site_id bigint, procedure_id bigint, figure text, value numeric)
LANGUAGE sql STABLE AS $$
    SELECT f.day, f.site_id, f.procedure_id, f.figure, f.value
      FROM generate_series(p_from::timestamp, p_to::timestamp, interval '1 day') AS g (d)
     CROSS JOIN LATERAL (SELECT x.* FROM reporting.figures x
                          WHERE x.day = g.d::date AND (p_site IS NULL OR x.site_id = p_site) OFFSET 0) f
    UNION ALL
    -- The first day not frozen, as a column: live_figures stays inlined
    -- (an argument holding a subquery would keep it a separate, generic
    -- plan).
    SELECT l.day, l.site_id, l.procedure_id, l.figure, l.value
      FROM (SELECT greatest(p_from, coalesce(max(z.day) + 1, p_from)) AS first_live
              FROM reporting.frozen_days z) w
     CROSS JOIN LATERAL reporting.live_figures(w.first_live, p_to, p_site) l
$$;
COMMENT ON FUNCTION reporting.report_figures(date, date, bigint) IS
    'The figures of a range of days for one site or all (NULL): frozen where frozen, computed otherwise. Every output reads this.';

-- One row per appointment, for the appointment CSV: no personal data; the
-- program replaces identity_key and booking_id by keyed pseudonyms.
CREATE FUNCTION reporting.appointments(p_from date, p_to date, p_site bigint)
RETURNS TABLE (booking_id bigint, identity_key bytea, day date, site_slug text,
               procedure_code text, channel text, outcome text, wait_days numeric)
LANGUAGE sql STABLE AS $$
    SELECT f.booking_id, f.identity_key, f.day, st.slug, p.code, f.channel, f.outcome, f.wait_days
      FROM reporting.booking_facts(p_from, p_to, p_site) f
      JOIN sites st ON st.id = f.site_id
      JOIN procedures p ON p.id = f.procedure_id
     ORDER BY f.day, st.slug, p.code, f.starts_at, f.booking_id
$$;

------------------------------------------------------------------------------
-- The public statistics (reporting.public_weekly).
CREATE FUNCTION reporting.publish(p_weeks integer) RETURNS integer
LANGUAGE plpgsql VOLATILE SET jit = off AS $$
DECLARE
    v_from date := date_trunc('week', current_date)::date - 7 * (p_weeks - 1);
    v_to   date := date_trunc('week', current_date)::date + 6;
    n      integer;
BEGIN
    DELETE FROM reporting.public_weekly WHERE week >= v_from OR week < v_from - 7 * 104;
    INSERT INTO reporting.public_weekly
    WITH b AS (
        SELECT date_trunc('week', f.day)::date AS week, f.site_id, f.procedure_id, count(*) AS n,
               round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.wait_days))::numeric, 2) AS med,
               round((percentile_cont(0.9) WITHIN GROUP (ORDER BY f.wait_days))::numeric, 2) AS p90
          FROM reporting.booking_facts(v_from, v_to, NULL) f
         WHERE f.outcome <> 'rescheduled'
         GROUP BY 1, 2, 3
    ), ff AS (
        SELECT DISTINCT ON (s.site_id, s.procedure_id, date_trunc('week', s.day))
               date_trunc('week', s.day)::date AS week, s.site_id, s.procedure_id,
               s.first_free, (s.first_free - s.day)::numeric AS days
          FROM reporting.first_free_seen s
         WHERE s.day BETWEEN v_from AND v_to
         ORDER BY s.site_id, s.procedure_id, date_trunc('week', s.day), s.day DESC
    ), pl AS (
        SELECT date_trunc('week', f.day)::date AS week, f.site_id, f.procedure_id,
               sum(f.capacity - coalesce(r.reserved, 0)) AS online,
               sum(r.mediator) AS mediator, sum(r.counter) AS counter, sum(r.court) AS court
          FROM reporting.slot_facts(v_from, v_to, NULL) f
          -- The slot's reservations (their primary key), a probe per slot.
          CROSS JOIN LATERAL (SELECT sum(x.places) AS reserved,
                                     sum(x.places) FILTER (WHERE x.channel = 'mediator') AS mediator,
                                     sum(x.places) FILTER (WHERE x.channel = 'counter') AS counter,
                                     sum(x.places) FILTER (WHERE x.channel = 'court') AS court
                                FROM slot_reservations x WHERE x.slot_id = f.slot_id) r
         WHERE f.published
         GROUP BY 1, 2, 3
    ), dr AS (
        SELECT date_trunc('week', f.day)::date AS week, f.site_id, f.procedure_id,
               count(*) FILTER (WHERE f.held) AS held,
               sum(f.entries) FILTER (WHERE f.held) AS entries
          FROM reporting.draw_facts(v_from, v_to, NULL) f
         GROUP BY 1, 2, 3
    )
    SELECT w.week, sp.site_id, sp.procedure_id,
           coalesce(b.n, 0), b.med, b.p90, ff.first_free, ff.days,
           coalesce(pl.online, 0), coalesce(pl.mediator, 0), coalesce(pl.counter, 0), coalesce(pl.court, 0),
           coalesce(dr.held, 0), coalesce(dr.entries, 0)
      FROM site_procedures sp
     CROSS JOIN (SELECT generate_series(v_from, current_date, interval '7 days')::date AS week) w
      LEFT JOIN b ON b.week = w.week AND b.site_id = sp.site_id AND b.procedure_id = sp.procedure_id
      LEFT JOIN ff ON ff.week = w.week AND ff.site_id = sp.site_id AND ff.procedure_id = sp.procedure_id
      LEFT JOIN pl ON pl.week = w.week AND pl.site_id = sp.site_id AND pl.procedure_id = sp.procedure_id
      LEFT JOIN dr ON dr.week = w.week AND dr.site_id = sp.site_id AND dr.procedure_id = sp.procedure_id;
    GET DIAGNOSTICS n = ROW_COUNT;
    RETURN n;
END
$$;
COMMENT ON FUNCTION reporting.publish(integer) IS
    'Refreshes reporting.public_weekly for the last p_weeks weeks (the public page reads only that table).';

------------------------------------------------------------------------------
-- Retention (the guards of bookings, draw entries and audit_log let
-- the purge through: see creneau_bookings_identity_immutable in
-- booking.sql, creneau_draw_entries_immutable in draws.sql,
-- audit_log_append_only in staff.sql).
-- The purge. Periods in days (creneau.conf retention_*). Freezes the
-- figures of every day before the earliest cut-off first, so the reports
-- of those days stay what they were. Returns what it did, one row each.
CREATE FUNCTION reporting.purge(p_booking_days integer, p_hold_days integer, p_entry_days integer,
                                p_alert_days integer, p_message_days integer, p_audit_days integer)
RETURNS TABLE (what text, n bigint)
LANGUAGE plpgsql VOLATILE SET jit = off AS $$
#variable_conflict use_column
DECLARE
    v_n bigint;
BEGIN
    IF least(p_booking_days, p_hold_days, p_entry_days, p_alert_days, p_message_days, p_audit_days) < 1 THEN
        RAISE EXCEPTION 'retention periods are at least one day';
    END IF;
    PERFORM reporting.freeze(current_date - 1 - least(p_booking_days, p_hold_days, p_entry_days,
                                                       p_message_days, p_audit_days));
    PERFORM set_config('creneau.purging', 'on', true);

    -- Bookings: the appointment passed p_booking_days ago; a hold never
    -- confirmed that ended p_hold_days ago.
    CREATE TEMP TABLE purge_bookings ON COMMIT DROP AS
    SELECT b.id FROM bookings b JOIN slots s ON s.id = b.slot_id
     WHERE b.purged_at IS NULL
       AND ((b.confirmed_at IS NOT NULL AND s.starts_at < now() - make_interval(days => p_booking_days))
            OR (b.confirmed_at IS NULL AND b.status IN ('expired', 'cancelled')
                AND coalesce(b.cancelled_at, b.hold_expires_at, b.created_at)
                    < now() - make_interval(days => p_hold_days)));
    UPDATE bookings b
       SET surname = '-', given_names = '', birth_date = DATE '1900-01-01', agdref = NULL,
           email = NULL, phone = NULL, phone_e164 = NULL, code_hash = NULL, purged_at = now()
      FROM purge_bookings p WHERE b.id = p.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'bookings pseudonymised'::text, v_n;
    DELETE FROM booking_tokens t USING purge_bookings p WHERE t.booking_id = p.id;
    DELETE FROM outbox o USING purge_bookings p WHERE o.booking_id = p.id;

    -- Court orders met by a purged booking, or open and past their
    -- deadline by p_booking_days.
    UPDATE injunctions i
       SET surname = '-', given_names = '', birth_date = DATE '1900-01-01', agdref = NULL,
           email = NULL, phone = NULL, purged_at = now()
     WHERE i.purged_at IS NULL
       AND (i.booking_id IN (SELECT id FROM purge_bookings)
            OR (i.booking_id IS NULL AND i.deadline < current_date - p_booking_days));
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'court orders pseudonymised'::text, v_n;

    -- Draw entries that ended (lost, lapsed, withdrawn, voided, expired,
    -- or won: then with their booking's period) p_entry_days ago.
    CREATE TEMP TABLE purge_entries ON COMMIT DROP AS
    SELECT e.id FROM draw_entries e JOIN draws d ON d.id = e.draw_id
     WHERE e.purged_at IS NULL
       AND ((e.status IN ('lapsed', 'cancelled', 'withdrawn', 'voided', 'expired')
             AND coalesce(e.ended_at, d.draw_at) < now() - make_interval(days => p_entry_days))
            OR (e.status = 'won' AND e.booking_id IN (SELECT b.id FROM bookings b WHERE b.purged_at IS NOT NULL))
            OR (e.status IN ('unverified', 'waiting') AND d.status = 'drawn'
                AND NOT EXISTS (SELECT 1 FROM draws d2 WHERE d2.site_id = d.site_id
                                  AND d2.procedure_id = d.procedure_id AND d2.status = 'scheduled')
                AND d.draw_at < now() - make_interval(days => p_entry_days)));
    UPDATE draw_entries e
       SET surname = '-', given_names = '', birth_date = DATE '1900-01-01', agdref = NULL,
           email = NULL, phone = NULL, phone_e164 = NULL, purged_at = now(),
           status = CASE WHEN e.status IN ('unverified', 'waiting') THEN 'expired' ELSE e.status END,
           ended_at = coalesce(e.ended_at, now())
      FROM purge_entries p WHERE e.id = p.id;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'draw entries pseudonymised'::text, v_n;
    DELETE FROM outbox o USING purge_entries p
     WHERE o.booking_id IS NULL AND o.kind LIKE 'draw%'
       AND split_part(o.idempotency_key, ':', 2) = p.id::text;

    -- Alerts that ended (unsubscribed or expired) p_alert_days ago.
    DELETE FROM alert_subscriptions a
     WHERE coalesce(a.unsubscribed_at, a.expires_at) < now() - make_interval(days => p_alert_days);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'alerts deleted'::text, v_n;

    -- Messages (recipient and payload) p_message_days after creation,
    -- once no longer being delivered.
    DELETE FROM outbox o
     WHERE o.created_at < now() - make_interval(days => p_message_days)
       AND o.status IN ('sent', 'parked', 'held_back');
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'messages deleted'::text, v_n;

    DELETE FROM hold_origins h WHERE h.created_at < now() - make_interval(days => p_hold_days);

    DELETE FROM audit_log a WHERE a.at < now() - make_interval(days => p_audit_days);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN QUERY SELECT 'audit entries deleted'::text, v_n;
    PERFORM set_config('creneau.purging', 'off', true);
END
$$;
COMMENT ON FUNCTION reporting.purge(integer, integer, integer, integer, integer, integer) IS
    'Retention: freezes the figures, then pseudonymises bookings (appointment passed), holds (ended), court orders, draw entries (ended), deletes ended alerts, old messages, hold origins and audit entries; periods in days.';

-- The wait of every booking of a day in scope, for the report's chart:
-- the same facts and the same rule as wait_median_days and wait_p90_days.
CREATE FUNCTION reporting.wait_by_day(p_from date, p_to date, p_site bigint)
RETURNS TABLE (day date, n bigint, median numeric, p90 numeric)
LANGUAGE sql STABLE AS $$
    SELECT f.day, count(*),
           round((percentile_cont(0.5) WITHIN GROUP (ORDER BY f.wait_days))::numeric, 2),
           round((percentile_cont(0.9) WITHIN GROUP (ORDER BY f.wait_days))::numeric, 2)
      FROM reporting.booking_facts(p_from, p_to, p_site) f
     WHERE f.outcome <> 'rescheduled'
     GROUP BY f.day
     ORDER BY f.day
$$;
COMMENT ON FUNCTION reporting.wait_by_day(date, date, bigint) IS
    'Median and 90th percentile wait per day over every site and procedure in scope (the chart of the report).';
