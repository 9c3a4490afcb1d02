-- The calendar's free places computed set-wise. creneau_bookable_slots
-- (004, refined in 010 and 013) called creneau_slot_free() per slot,
-- twice, each call running its own subqueries: about 1 ms a slot, so a
-- busy procedure's calendar cost tens of milliseconds of database time
-- (make bench: 83 calendar pages a second on 2 cores). The same numbers
-- here come from one pass over the procedure's slots, their bookings and
-- their reservations. Keep it equal to creneau_slot_free() (010): places
-- not booked, minus those still reserved for other channels until 48
-- hours before, plus holds past their time that the sweep has not freed.
CREATE OR REPLACE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    WITH s AS (
        SELECT s.id, s.starts_at, s.capacity, s.booked, st.time_zone
          FROM slots s
          JOIN sites st ON st.id = s.site_id
         WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
           AND s.published_at <= now() AND s.starts_at > now()
           AND creneau_allocation_mode(p_site_id, p_procedure_id) = 'open'
           AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
    ), used AS (
        SELECT b.slot_id, b.channel,
               count(*) FILTER (WHERE NOT b.released) AS taken,
               count(*) FILTER (WHERE b.status = 'held'
                                  AND b.hold_expires_at <= now()) AS stale
          FROM bookings b
         WHERE b.slot_id IN (SELECT id FROM s)
         GROUP BY b.slot_id, b.channel
    ), held_back AS (
        SELECT r.slot_id, sum(greatest(0, r.places - coalesce(u.taken, 0))) AS places
          FROM slot_reservations r
          JOIN s ON s.id = r.slot_id
          LEFT JOIN used u ON u.slot_id = r.slot_id AND u.channel = r.channel
         WHERE s.starts_at - creneau_reservation_lapse() > now()
           AND r.channel <> 'online'
         GROUP BY r.slot_id
    ), stale AS (
        SELECT u.slot_id, sum(u.stale) AS places FROM used u GROUP BY u.slot_id
    ), f AS (
        SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE s.time_zone AS local_start,
               (s.capacity - s.booked - coalesce(h.places, 0)
                + coalesce(x.places, 0))::integer AS free
          FROM s
          LEFT JOIN held_back h ON h.slot_id = s.id
          LEFT JOIN stale x ON x.slot_id = s.id
    )
    SELECT f.id, f.starts_at, f.local_start, f.free FROM f WHERE f.free > 0
$$;
COMMENT ON FUNCTION creneau_bookable_slots(bigint, bigint) IS
    'Published, future, open-mode slots of a procedure at a site with their free places for online booking (as creneau_slot_free), computed in one pass.';
