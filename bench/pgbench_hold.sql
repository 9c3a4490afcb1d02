-- bench/pgbench_hold.sql: what POST /book/<slot> runs in the database
-- (fcgi/web/public/page_book.c; the statements of fcgi/web/statements.c:
-- slot, booking_rate_check, booking_hold), one transaction per booking
-- form, each on a fresh one-place slot of procedure bench-harness-pgb.
-- Variables (pgbench -D): base (first slot id), nc (clients), i = 0.
-- The person is built as fcgi/common/identity.c sends it (p_person), with
-- keys unique to the slot; every form comes from one address (as every
-- request of the benchmark comes from 127.0.0.1), 'bench-address' (bench.py
-- also runs a copy with an address per form).
-- (pgbench takes any colon followed by a name for a variable, even in a
-- string: the slot statement's 'HH24:MI' is written in three parts.)
\set slot :base + :client_id + :nc * :i
\set i :i + 1
SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24' || ':' || 'MI'),
       (sl.published_at <= now() AND sl.starts_at > now()
        AND creneau_slot_free(sl) > 0
        AND creneau_allocation_mode(s.id, p.id) = 'open'),
       s.name, s.slug, s.address, s.postal_code, s.city, s.time_zone,
       t.name, p.code, p.duration_minutes, p.requires_agdref, t.lang
  FROM slots sl
  JOIN sites s ON s.id = sl.site_id
  JOIN procedures p ON p.id = sl.procedure_id
  CROSS JOIN LATERAL procedure_text(p.id, 'fr') t
 WHERE sl.id = :slot::bigint;
SELECT booking_rate_check(:slot::bigint,
       jsonb_build_object('surname', 'Banc', 'given_names', 'Pgbench',
                          'birth_date', '1980-01-01', 'email', 'pgb' || :slot::bigint || '@example.org',
                          'lang', 'fr', 'name_key', md5('name' || :slot::bigint) || md5('n2' || :slot::bigint),
                          'email_key', md5('email' || :slot::bigint)),
       'bench-address', md5('idem' || :slot::bigint));
SELECT outcome, booking_id, reference FROM booking_hold(:slot::bigint,
       jsonb_build_object('surname', 'Banc', 'given_names', 'Pgbench',
                          'birth_date', '1980-01-01', 'email', 'pgb' || :slot::bigint || '@example.org',
                          'lang', 'fr', 'name_key', md5('name' || :slot::bigint) || md5('n2' || :slot::bigint),
                          'email_key', md5('email' || :slot::bigint)),
       md5('idem' || :slot::bigint), 'pgbench-token-' || lpad(:slot::bigint::text, 12, '0'), '123456',
       make_interval(mins => 10), 3, 3);
