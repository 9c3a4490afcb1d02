-- 021_slot_counts.sql: pages cost what they show (issue 15).
--
-- The columns and indexes are here; the functions and triggers that keep
-- and read them are in schema/code/booking.sql ("Free-place counts").
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

-- Existing data: the counts of every slot that has bookings or
-- reservations (the others keep the defaults, which are their counts),
-- the same recount as creneau_slot_counts() (schema/code/booking.sql).
UPDATE slots s
   SET held_back = c.held_back, next_release_at = c.next_release_at,
       confirmed_count = c.confirmed_count
  FROM (WITH b AS (
            SELECT b.slot_id, b.channel,
                   count(*) FILTER (WHERE NOT b.released) AS taken,
                   min(b.release_at) FILTER (WHERE NOT b.released) AS next_release,
                   count(*) FILTER (WHERE b.status = 'confirmed') AS confirmed
              FROM bookings b
             GROUP BY b.slot_id, b.channel
        ), r AS (
            SELECT r.slot_id, sum(greatest(0, r.places - coalesce(b.taken, 0))) AS held_back
              FROM slot_reservations r
              LEFT JOIN b ON b.slot_id = r.slot_id AND b.channel = r.channel
             WHERE r.channel <> 'online'
             GROUP BY r.slot_id
        ), bs AS (
            SELECT b.slot_id, min(b.next_release) AS next_release,
                   sum(b.confirmed) AS confirmed
              FROM b GROUP BY b.slot_id
        )
        SELECT coalesce(bs.slot_id, r.slot_id) AS slot_id,
               coalesce(r.held_back, 0)::integer AS held_back,
               bs.next_release AS next_release_at,
               coalesce(bs.confirmed, 0)::integer AS confirmed_count
          FROM bs FULL JOIN r ON r.slot_id = bs.slot_id) c
 WHERE s.id = c.slot_id
   AND (s.held_back, s.next_release_at, s.confirmed_count)
       IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);

ALTER TABLE slots
    ADD CONSTRAINT slots_held_back_range CHECK (held_back >= 0 AND held_back <= capacity),
    ADD CONSTRAINT slots_confirmed_count_range CHECK (confirmed_count >= 0 AND confirmed_count <= capacity);
