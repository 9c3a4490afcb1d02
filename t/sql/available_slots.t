#!/bin/sh
# The available_slots view: published, future, not full.
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
SQL
