-- 021_slot_counts.sql: pages cost what they show (issue 15).
--
-- Before this file every public page (the site page's next free place per
-- procedure, the calendar's days, a day's times) ran creneau_bookable_slots
-- over ALL of a procedure's future slots, a year of them, with one probe of
-- the bookings per slot, and only then applied LIMIT 1 or the day: at
-- production size (bench/prodsize.sh: 100 sites, 2 million slots, a million
-- bookings) the site page took about a second. The reason was the two terms
-- of the rule (017) that slots.booked does not hold:
--   * the places whose release time has come but that no sweep has
--     released yet (they are free from that instant, 017);
--   * the places reserved for the other channels and not used by them.
--
-- THE COUNTS. Three columns on slots, kept by the database from the
-- bookings and reservations of the slot, never by the callers:
--   held_back        places reserved for channels other than online
--                    (slot_reservations) that their bookings not released
--                    do not use: sum(greatest(0, places - used));
--   next_release_at  the earliest release time of the slot's bookings not
--                    released (NULL: none waits for its release);
--   confirmed_count  bookings of the slot with status confirmed (the sweep
--                    and the reminders find their slots by it).
-- A statement-level trigger on bookings and on slot_reservations
-- recomputes them for the slots a statement touched, in the same
-- transaction (creneau_slot_counts_sync); a trigger on slots refuses any
-- other change of them (slots_counts_guard), and CHECKs keep them in range.
-- slots.booked stays what 004 made it: the bookings not released, kept by
-- the single booking path (creneau_booking_insert) and the release
-- functions, under the slot's row lock, within capacity by its CHECK.
--
-- THE RULE, unchanged: creneau_slot_channel_free (017) is still the one
-- definition of "how many places may this channel take now". For the
-- online channel, while no booking of the slot has reached its release
-- time (next_release_at is NULL or still to come), its value is exactly
--     capacity - booked - held_back (held_back only until 48 hours before)
-- because then every booking not released occupies its place and counts
-- in booked. Once a release time has come, the slot falls back to the
-- recount of its bookings (creneau_slot_recount_free, 017's body) until the
-- sweep (every minute) releases it and next_release_at moves on. So a
-- place freed by a cancellation counts as occupied until its random release
-- time, then as free, with or without a sweep, as 017 requires.
-- t/sql/available_slots.t and t/sql/slot_counts.t compare the counts, the
-- rule and the calendar with a recount, slot by slot.
--
-- THE PAGES read only what they show: creneau_bookable_slots is one SELECT
-- that PostgreSQL inlines into its caller, so the caller's LIMIT 1 or day
-- range reaches slots_bookable_idx (partial: slots with a place not booked
-- or a release to come); the site page stops at the first free slot, the
-- calendar reads its window of days, a day's times read that day.
--
-- THE JOBS: the sweep's "confirmed bookings whose slot has ended" and the
-- reminders' "confirmed bookings starting within N hours" start from
-- slots_confirmed_start_idx (slots with confirmed bookings, by start),
-- not from every confirmed booking.

------------------------------------------------------------------------------
-- 1. The counts.

ALTER TABLE slots
    ADD COLUMN held_back integer NOT NULL DEFAULT 0,
    ADD COLUMN next_release_at timestamptz,
    ADD COLUMN confirmed_count integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN slots.held_back IS
    'Places reserved for other channels than online (slot_reservations) not used by their bookings not released; kept by trigger (creneau_slot_counts_sync).';
COMMENT ON COLUMN slots.next_release_at IS
    'Earliest release_at of the slot''s bookings not released (NULL: none); kept by trigger. While it is NULL or to come, online free places = capacity - booked - held_back.';
COMMENT ON COLUMN slots.confirmed_count IS
    'Bookings of the slot whose status is confirmed; kept by trigger (the sweep and the reminders start from it).';

-- The indexes on the counts, built before the counts are filled in below
-- (an index built after an UPDATE of the same transaction would wait for
-- every older transaction before the planner may use it).
--
-- Slots with a place not booked or a release to come: everything a
-- calendar may list, by site, procedure and start. Fully booked slots
-- (most of the near future on an opening day) are not in it.
CREATE INDEX slots_bookable_idx ON slots (site_id, procedure_id, starts_at)
    WHERE booked < capacity OR next_release_at IS NOT NULL;

-- Slots that have confirmed bookings, by start: the reminders' window and
-- the sweep's ended slots (confirmed_count drops to 0 once completed).
CREATE INDEX slots_confirmed_start_idx ON slots (starts_at) WHERE confirmed_count > 0;

-- The counts of slots p_ids, recounted from their bookings and
-- reservations (set-wise: a hash join for many slots, index probes for a
-- few).
CREATE FUNCTION creneau_slot_counts(p_ids bigint[])
RETURNS TABLE (slot_id bigint, held_back integer, next_release_at timestamptz, confirmed_count integer)
LANGUAGE sql STABLE
AS $$
    WITH ids AS (
        SELECT DISTINCT x.id FROM unnest(p_ids) AS x (id) WHERE x.id IS NOT NULL
    ), b AS (
        SELECT b.slot_id, b.channel,
               count(*) FILTER (WHERE NOT b.released) AS taken,
               min(b.release_at) FILTER (WHERE NOT b.released) AS next_release,
               count(*) FILTER (WHERE b.status = 'confirmed') AS confirmed
          FROM bookings b
         WHERE b.slot_id IN (SELECT id FROM ids)
         GROUP BY b.slot_id, b.channel
    ), r AS (
        SELECT r.slot_id, sum(greatest(0, r.places - coalesce(b.taken, 0))) AS held_back
          FROM slot_reservations r
          LEFT JOIN b ON b.slot_id = r.slot_id AND b.channel = r.channel
         WHERE r.slot_id IN (SELECT id FROM ids) AND r.channel <> 'online'
         GROUP BY r.slot_id
    ), bs AS (
        SELECT b.slot_id, min(b.next_release) AS next_release, sum(b.confirmed) AS confirmed
          FROM b GROUP BY b.slot_id
    )
    SELECT ids.id, coalesce(r.held_back, 0)::integer, bs.next_release,
           coalesce(bs.confirmed, 0)::integer
      FROM ids
      LEFT JOIN r ON r.slot_id = ids.id
      LEFT JOIN bs ON bs.slot_id = ids.id
$$;
COMMENT ON FUNCTION creneau_slot_counts(bigint[]) IS
    'held_back, next_release_at and confirmed_count of the given slots, recounted from their bookings and reservations.';

-- Existing data: the counts of every slot that has bookings or
-- reservations (the others keep the defaults, which are their counts).
UPDATE slots s
   SET held_back = c.held_back, next_release_at = c.next_release_at,
       confirmed_count = c.confirmed_count
  FROM creneau_slot_counts(ARRAY(SELECT DISTINCT b.slot_id FROM bookings b
                                  WHERE NOT b.released OR b.status = 'confirmed'
                                 UNION
                                 SELECT r.slot_id FROM slot_reservations r)) c
 WHERE s.id = c.slot_id
   AND (s.held_back, s.next_release_at, s.confirmed_count)
       IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);

ALTER TABLE slots
    ADD CONSTRAINT slots_held_back_range CHECK (held_back >= 0 AND held_back <= capacity),
    ADD CONSTRAINT slots_confirmed_count_range CHECK (confirmed_count >= 0 AND confirmed_count <= capacity);

-- Bring the counts of slots p_ids up to date; only the rows that change
-- are written (and locked). Called by the triggers below only: the guard
-- lets a change of the counts through only from inside a trigger.
CREATE FUNCTION creneau_slot_counts_sync(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id bigint;
BEGIN
    -- plpgsql keeps the plans of these statements for the session. A
    -- booking touches one slot: three index probes by slot_id, planned
    -- once; a statement over many slots (a closure, the sweep's
    -- completions, a bulk load) recounts them set-wise.
    IF cardinality(p_ids) <= 16 THEN
        FOREACH v_id IN ARRAY p_ids LOOP
            UPDATE slots s
               SET held_back = c.held_back, next_release_at = c.next_release_at,
                   confirmed_count = c.confirmed_count
              FROM (SELECT coalesce((
                               SELECT sum(greatest(0, r.places - (
                                          SELECT count(*) FROM bookings b
                                           WHERE b.slot_id = r.slot_id AND b.channel = r.channel
                                             AND NOT b.released)))
                                 FROM slot_reservations r
                                WHERE r.slot_id = v_id AND r.channel <> 'online'), 0)::integer AS held_back,
                           (SELECT min(b.release_at) FROM bookings b
                             WHERE b.slot_id = v_id AND NOT b.released) AS next_release_at,
                           (SELECT count(*) FROM bookings b
                             WHERE b.slot_id = v_id AND b.status = 'confirmed')::integer AS confirmed_count) c
             WHERE s.id = v_id
               AND (s.held_back, s.next_release_at, s.confirmed_count)
                   IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);
        END LOOP;
    ELSE
        UPDATE slots s
           SET held_back = c.held_back, next_release_at = c.next_release_at,
               confirmed_count = c.confirmed_count
          FROM creneau_slot_counts(p_ids) c
         WHERE s.id = c.slot_id
           AND (s.held_back, s.next_release_at, s.confirmed_count)
               IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);
    END IF;
END
$$;
COMMENT ON FUNCTION creneau_slot_counts_sync(bigint[]) IS
    'Recount held_back, next_release_at and confirmed_count of the given slots and write those that changed (trigger use only).';

-- After every statement on bookings or slot_reservations: the slots of
-- the rows it inserted, changed or deleted.
CREATE FUNCTION creneau_slot_counts_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT DISTINCT n.slot_id FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT DISTINCT o.slot_id FROM old_rows o));
    ELSIF TG_TABLE_NAME = 'bookings' THEN
        -- Only the bookings whose counted fields changed (an attendance,
        -- a wrong code, an extension leave the slot alone, unlocked).
        PERFORM creneau_slot_counts_sync(ARRAY(
            SELECT n.slot_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.status, n.released, n.release_at, n.channel, n.slot_id)
                   IS DISTINCT FROM (o.status, o.released, o.release_at, o.channel, o.slot_id)
            UNION
            SELECT o.slot_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.slot_id IS DISTINCT FROM o.slot_id));
    ELSE
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT n.slot_id FROM new_rows n
                                               UNION SELECT o.slot_id FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION creneau_slot_counts_trigger() IS
    'Statement trigger on bookings and slot_reservations: bring the counts of the slots the statement touched up to date.';
CREATE TRIGGER bookings_slot_counts_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();
CREATE TRIGGER bookings_slot_counts_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();
CREATE TRIGGER bookings_slot_counts_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();
CREATE TRIGGER slot_reservations_counts_insert AFTER INSERT ON slot_reservations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();
CREATE TRIGGER slot_reservations_counts_update AFTER UPDATE ON slot_reservations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();
CREATE TRIGGER slot_reservations_counts_delete AFTER DELETE ON slot_reservations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

-- The counts change only through the triggers above: a new slot has no
-- bookings and no reservations (its counts are the defaults), and an
-- UPDATE naming a count outside a trigger is refused.
CREATE FUNCTION creneau_slots_counts_guard() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.held_back := 0;
        NEW.next_release_at := NULL;
        NEW.confirmed_count := 0;
    ELSIF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'slots.held_back, next_release_at and confirmed_count are kept by the database from the bookings and reservations of the slot'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Change the bookings or slot_reservations; the counts follow.';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER slots_counts_guard
    BEFORE INSERT OR UPDATE OF held_back, next_release_at, confirmed_count ON slots
    FOR EACH ROW EXECUTE FUNCTION creneau_slots_counts_guard();

------------------------------------------------------------------------------
-- 2. The rule, answered from the counts when they are exact.

-- 017's recount, kept under its own name: the bookings of the slot read
-- one by one. creneau_slot_channel_free falls back to it for the other
-- channels and for a slot whose next release time has come.
CREATE FUNCTION creneau_slot_recount_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    WITH used AS (
        SELECT b.channel,
               count(*) FILTER (WHERE creneau_booking_occupies(b.released, b.release_at))::integer AS taken,
               count(*) FILTER (WHERE NOT b.released AND b.release_at <= now())::integer AS due
          FROM bookings b
         WHERE b.slot_id = p_slot.id AND NOT b.released
         GROUP BY b.channel
    )
    SELECT p_slot.capacity - p_slot.booked
           + coalesce((SELECT sum(u.due) FROM used u), 0)::integer
           - CASE WHEN p_slot.starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE coalesce((
                       SELECT sum(greatest(0, r.places - coalesce(u.taken, 0)))::integer
                         FROM slot_reservations r
                         LEFT JOIN used u ON u.channel = r.channel
                        WHERE r.slot_id = p_slot.id
                          AND r.channel <> coalesce(p_channel, 'online')), 0)
             END
$$;
COMMENT ON FUNCTION creneau_slot_recount_free(slots, text) IS
    'The rule of 017 computed from the slot''s bookings one by one: capacity - bookings occupying a place - unused places reserved for other channels.';

-- Are the counts of a slot exact for the online channel now? True while
-- no booking of the slot has reached its release time.
CREATE FUNCTION creneau_slot_counts_current(p_next_release_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_next_release_at IS NULL OR p_next_release_at > now()
$$;

-- Online free places from the counts (valid when the counts are current).
-- Inlined by the planner: no subquery, no table.
CREATE FUNCTION creneau_slot_counted_free(p_capacity integer, p_booked integer,
                                          p_held_back integer, p_starts_at timestamptz)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_capacity - p_booked
           - CASE WHEN p_starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE p_held_back END
$$;

CREATE OR REPLACE FUNCTION creneau_slot_channel_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN coalesce(p_channel, 'online') = 'online'
                     AND creneau_slot_counts_current(p_slot.next_release_at)
                THEN creneau_slot_counted_free(p_slot.capacity, p_slot.booked,
                                               p_slot.held_back, p_slot.starts_at)
                ELSE creneau_slot_recount_free(p_slot, p_channel) END
$$;
COMMENT ON FUNCTION creneau_slot_channel_free(slots, text) IS
    'THE rule: places of a slot a channel may take now = capacity - bookings occupying a place (creneau_booking_occupies) - unused places reserved for other channels (none from 48 hours before the slot). For online, read from the counts (021) while no release time of the slot has come.';

------------------------------------------------------------------------------
-- 3. The pages.


-- One SELECT, inlined into the caller (LANGUAGE sql, STABLE, not STRICT),
-- so that ORDER BY starts_at LIMIT 1 or a range of starts_at reaches
-- slots_bookable_idx (section 1). free is the rule, creneau_slot_channel_free(slot,
-- 'online'), itself inlined: the counts when current, else the recount.
CREATE OR REPLACE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE st.time_zone, f.free
      FROM sites st
      JOIN site_procedures sp ON sp.site_id = st.id
      JOIN procedures p ON p.id = sp.procedure_id
      JOIN slots s ON s.site_id = sp.site_id AND s.procedure_id = sp.procedure_id
     CROSS JOIN LATERAL (SELECT creneau_slot_channel_free(s, 'online') AS free) f
     WHERE st.id = p_site_id AND sp.procedure_id = p_procedure_id
       AND coalesce(sp.allocation_mode, p.allocation_mode) = 'open'
       AND (s.booked < s.capacity OR s.next_release_at IS NOT NULL)
       AND s.published_at <= now() AND s.starts_at > now()
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
       AND f.free > 0
$$;
COMMENT ON FUNCTION creneau_bookable_slots(bigint, bigint) IS
    'Published, future, open-mode slots of a procedure at a site with their free places for online booking (creneau_slot_channel_free); inlined by the planner, so a caller''s LIMIT or range of starts_at reads only those slots.';

-- The calendar's days: the window of days is turned into a range of
-- starts_at (one day wider, for time zones whose midnight may not exist),
-- then cut exactly on the local day.
CREATE OR REPLACE FUNCTION slot_days(p_site_id bigint, p_procedure_id bigint, p_days integer)
RETURNS TABLE (day date, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.local_start::date, sum(b.free)::integer
      FROM sites st
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE st.time_zone)::date + greatest(p_days, 0) AS upto) w
     CROSS JOIN LATERAL creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE st.id = p_site_id
       AND b.starts_at < (w.upto + 1)::timestamp AT TIME ZONE st.time_zone
       AND b.local_start::date < w.upto
     GROUP BY 1
     ORDER BY 1
$$;

-- A day's times: the slots of that local day only.
CREATE OR REPLACE FUNCTION slot_times(p_site_id bigint, p_procedure_id bigint, p_day date)
RETURNS TABLE (slot_id bigint, local_time text, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.slot_id, to_char(b.local_start, 'HH24:MI'), b.free
      FROM sites st
     CROSS JOIN LATERAL creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE st.id = p_site_id
       AND b.starts_at >= (p_day - 1)::timestamp AT TIME ZONE st.time_zone
       AND b.starts_at < (p_day + 2)::timestamp AT TIME ZONE st.time_zone
       AND b.local_start >= p_day AND b.local_start < p_day + 1
     ORDER BY b.starts_at, b.slot_id
$$;

------------------------------------------------------------------------------
-- 4. The jobs.


-- 017's sweep; the completion of ended appointments starts from the slots
-- with confirmed bookings that have started (slots_confirmed_start_idx),
-- not from every confirmed booking, and locks each slot before its
-- bookings.
CREATE OR REPLACE FUNCTION booking_sweep()
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    sid   bigint;
    t_exp integer := 0;
    t_rel integer := 0;
    r     record;
BEGIN
    FOR sid IN
        SELECT x.slot_id FROM (
            SELECT b.slot_id FROM bookings b
             WHERE b.status = 'held' AND b.hold_expires_at <= now()
            UNION
            SELECT b.slot_id FROM bookings b
             WHERE NOT b.released AND b.release_at IS NOT NULL AND b.release_at <= now()) x
         ORDER BY 1
    LOOP
        -- A slot locked by a booking in progress is left for the next run
        -- (that booking sweeps it anyway).
        PERFORM 1 FROM slots s WHERE s.id = sid FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO r FROM booking_sweep_slot(sid);
        t_exp := t_exp + r.expired;
        t_rel := t_rel + r.released;
    END LOOP;

    -- The slot is locked before its bookings (004's lock order): the
    -- trigger then writes the slot's confirmed_count.
    UPDATE bookings b SET status = 'completed'
     WHERE b.id IN (SELECT x.id FROM slots s JOIN bookings x ON x.slot_id = s.id
                     WHERE s.confirmed_count > 0 AND s.starts_at < now() AND s.ends_at <= now()
                       AND x.status = 'confirmed'
                       FOR UPDATE OF s, x SKIP LOCKED);

    RETURN QUERY SELECT t_exp, t_rel;
END
$$;

-- 006's reminders, from the slots with confirmed bookings in the window.
CREATE OR REPLACE FUNCTION reminders_due(p_hours integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id bigint;
    v_n  integer := 0;
BEGIN
    FOR v_id IN
        SELECT b.id FROM slots s JOIN bookings b ON b.slot_id = s.id
         WHERE s.confirmed_count > 0
           AND s.starts_at > now()
           AND s.starts_at <= now() + make_interval(hours => p_hours)
           AND b.status = 'confirmed'
           AND b.confirmed_at <= s.starts_at - make_interval(hours => p_hours)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.booking_id = b.id AND o.kind = 'reminder')
         ORDER BY b.id
    LOOP
        PERFORM creneau_outbox_add('reminder', 'reminder', v_id, NULL);
        v_n := v_n + 1;
    END LOOP;
    RETURN v_n;
END
$$;
