-- schema/code/slots.sql
--
-- Slot generation: opening rules into slots (003).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Create the slots the opening rules describe for the site p_site_id (NULL =
-- every site) on each day from p_from to p_to inclusive, and return how many
-- were created.
--
-- Times are the site's local wall-clock time: day + opens is a timestamp
-- without time zone, converted with AT TIME ZONE sites.time_zone, so a
-- 09:00 rule gives 09:00 in Cayenne and 09:00 in Paris whether summer or
-- winter time. Days on which the site or the counter is closed, and public
-- holidays of the site's department (or national ones), get no slot. A rule
-- cuts its opening hours into whole slots of slot_minutes; a remainder
-- shorter than one slot is left unused.
--
-- Idempotent: a slot that already exists (same counter, procedure and start,
-- or overlapping another slot of the counter) is skipped, and keeps its
-- published_at and booked. New slots get published_at = p_publish_at (NULL
-- to create them unpublished). The range is capped at 400 days to keep a
-- typo from creating millions of rows.
CREATE OR REPLACE FUNCTION generate_slots(p_site_id bigint, p_from date, p_to date,
                               p_publish_at timestamptz DEFAULT now(),
                               p_procedure_id bigint DEFAULT NULL)
RETURNS integer
LANGUAGE plpgsql
AS $$
DECLARE
    created integer;
BEGIN
    IF p_from IS NULL OR p_to IS NULL THEN
        RAISE EXCEPTION 'generate_slots: p_from and p_to must not be NULL'
            USING ERRCODE = 'null_value_not_allowed';
    END IF;
    IF p_to < p_from THEN
        RETURN 0;
    END IF;
    IF p_to - p_from > 400 THEN
        RAISE EXCEPTION 'generate_slots: range of % days is longer than 400', p_to - p_from + 1
            USING ERRCODE = 'invalid_parameter_value';
    END IF;

    INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at,
                       capacity, published_at)
    SELECT r.site_id, r.counter_id, r.procedure_id,
           (d.day + r.opens + make_interval(mins => k.n * r.slot_minutes))
               AT TIME ZONE s.time_zone,
           (d.day + r.opens + make_interval(mins => (k.n + 1) * r.slot_minutes))
               AT TIME ZONE s.time_zone,
           r.capacity, p_publish_at
      FROM opening_rules r
      JOIN sites s ON s.id = r.site_id
     CROSS JOIN LATERAL (
            SELECT p_from + i AS day
              FROM generate_series(greatest(r.valid_from, p_from) - p_from,
                                   least(coalesce(r.valid_until, p_to), p_to) - p_from) AS i
           ) AS d
     CROSS JOIN LATERAL generate_series(
            0, (extract(epoch FROM r.closes - r.opens)::integer / 60) / r.slot_minutes - 1
           ) AS k (n)
     WHERE (p_site_id IS NULL OR r.site_id = p_site_id)
       AND (p_procedure_id IS NULL OR r.procedure_id = p_procedure_id)
       AND extract(isodow FROM d.day) = r.weekday
       AND NOT EXISTS (SELECT 1 FROM closures c
                        WHERE c.site_id = r.site_id
                          AND c.day = d.day
                          AND (c.counter_id IS NULL OR c.counter_id = r.counter_id))
       AND NOT EXISTS (SELECT 1 FROM public_holidays h
                        WHERE h.day = d.day
                          AND h.zone IN ('national', s.department_code))
     ORDER BY 1, 2, 3, 4
    ON CONFLICT DO NOTHING;

    GET DIAGNOSTICS created = ROW_COUNT;
    RETURN created;
END
$$;
COMMENT ON FUNCTION generate_slots(bigint, date, date, timestamptz, bigint) IS
    'Create the slots of the opening rules for one site (NULL = all) and one procedure (NULL = all) between two dates inclusive, in the site''s time zone, skipping closures and public holidays; idempotent; returns the number created.';
