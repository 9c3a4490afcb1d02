#!/bin/sh
# The available_slots view: published, future, not full; the calendar
# (creneau_bookable_slots) agrees with the rule (creneau_slot_channel_free).
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, booked, published_at)
SELECT pg_temp.counter('test-other', 'A'), pg_temp.proc('test-proc'),
       v.starts_at, v.starts_at + interval '30 minutes', 2, v.booked, v.published_at
  FROM (VALUES
        (date_trunc('hour', now()) + interval '2 days',    0, now() - interval '1 hour'),   -- available
        (date_trunc('hour', now()) + interval '2 days 1 hour', 1, now() - interval '1 hour'), -- available, 1 left
        (date_trunc('hour', now()) + interval '2 days 2 hours', 2, now() - interval '1 hour'), -- full
        (date_trunc('hour', now()) + interval '2 days 3 hours', 0, now() + interval '1 hour'), -- not yet published
        (date_trunc('hour', now()) + interval '2 days 4 hours', 0, NULL),                      -- unpublished
        (date_trunc('hour', now()) - interval '2 days',    0, now() - interval '3 days')       -- past
       ) AS v (starts_at, booked, published_at);
SELECT pg_temp.is((SELECT array_agg(remaining ORDER BY starts_at) FROM available_slots
                    WHERE site_id = pg_temp.site('test-other') AND procedure_id = pg_temp.proc('test-proc')),
                  ARRAY[2, 1], 'only published, future slots with room are available, with places left');
UPDATE slots SET booked = booked + 1
 WHERE site_id = pg_temp.site('test-other') AND starts_at = date_trunc('hour', now()) + interval '2 days 1 hour';
SELECT pg_temp.is((SELECT count(*)::integer FROM available_slots WHERE site_id = pg_temp.site('test-other')),
                  1, 'a slot that becomes full leaves the view');

-- One rule (017): the calendar's set-wise numbers are creneau_slot_free's
-- (creneau_slot_channel_free for online), slot by slot, and it lists every
-- slot the rule says has a place, on every procedure of every site.
CREATE TEMP TABLE listed AS
    SELECT b.slot_id, b.free FROM site_procedures sp
     CROSS JOIN LATERAL creneau_bookable_slots(sp.site_id, sp.procedure_id) b;
SELECT pg_temp.is((SELECT count(*)::integer FROM listed l JOIN slots s ON s.id = l.slot_id
                    WHERE l.free <> creneau_slot_free(s)), 0,
                  'the calendar counts the free places of each slot as the rule does');
SELECT pg_temp.is((SELECT count(*)::integer FROM slots s
                    WHERE s.published_at <= now() AND s.starts_at > now()
                      AND creneau_allocation_mode(s.site_id, s.procedure_id) = 'open'
                      AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
                      AND creneau_slot_free(s) > 0
                      AND s.id NOT IN (SELECT slot_id FROM listed)), 0,
                  'and lists every published slot of an open procedure with a free place');
SELECT pg_temp.ok((SELECT count(*) FROM listed) > 0, 'there are listed slots to compare');
SQL
