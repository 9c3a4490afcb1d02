-- bench/plans.sql: the hot queries of the public pages and of the
-- background jobs, each prefixed with :explain (bench/plans.sh runs this
-- file twice in one session: once to warm the session up with :explain
-- empty and the output dropped, once with EXPLAIN (ANALYZE, BUFFERS)).
-- Needs :site_id, :proc_id, :free_slot, :free_day, :later_day.

\qecho ## site page (S_SITE_PROCEDURES): each procedure with its next free place
:explain
SELECT p.code, t.name, t.description, p.duration_minutes, p.requires_agdref, t.documents,
       coalesce(to_char(n.starts_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'), ''),
       creneau_allocation_mode(s.id, p.id), t.lang
  FROM site_procedures sp
  JOIN sites s ON s.id = sp.site_id
  JOIN procedures p ON p.id = sp.procedure_id
 CROSS JOIN LATERAL procedure_text(p.id, 'fr') t
  LEFT JOIN LATERAL (SELECT b.starts_at FROM creneau_bookable_slots(sp.site_id, sp.procedure_id) b
                      ORDER BY b.starts_at LIMIT 1) n ON true
 WHERE sp.site_id = :site_id
 ORDER BY t.name;

\qecho ## calendar (S_SLOT_DAYS): the days of the coming 4 weeks with free places
:explain SELECT day::text, free FROM slot_days(:site_id, :proc_id, 28) ORDER BY day;

\qecho ## times of a day (S_SLOT_TIMES), the day of the next free place
:explain SELECT slot_id, local_time, free FROM slot_times(:site_id, :proc_id, :'free_day'::date) ORDER BY local_time;
\qecho ## times of a day (S_SLOT_TIMES), three weeks ahead
:explain SELECT slot_id, local_time, free FROM slot_times(:site_id, :proc_id, :'later_day'::date) ORDER BY local_time;

\qecho ## booking form (S_SLOT test): creneau_slot_free of the next free slot
:explain SELECT creneau_slot_free(s) FROM slots s WHERE s.id = :free_slot;

\qecho ## booking_hold on the next free slot (rolled back)
BEGIN;
:explain SELECT * FROM booking_hold(:free_slot,
    creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                       'Planes', 'Test', '1980-01-01', NULL, 'plans@example.test', NULL, 'fr'),
    NULL, 'plans-token-aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', '123456', interval '10 minutes', 2, 2);
ROLLBACK;

\qecho ## booking_sweep() (creneau-admin sweep, every minute; rolled back)
BEGIN;
:explain SELECT * FROM booking_sweep();
\qecho ## booking_sweep() again at once (steady state; rolled back)
:explain SELECT * FROM booking_sweep();
ROLLBACK;

\qecho ## reminders_due(48) (creneau-notify, every pass; rolled back)
BEGIN;
:explain SELECT reminders_due(48);
\qecho ## reminders_due(48) again at once (steady state: reminders queued; rolled back)
:explain SELECT reminders_due(48);
ROLLBACK;
