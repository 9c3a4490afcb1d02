-- bench/pgbench_confirm.sql: what POST /booking/<token>/confirm runs in
-- the database (fcgi/web/public/page_booking_confirm.c: booking_confirm),
-- on the holds pgbench_hold.sql made (bench.held, numbered from 0; the
-- lookup there is the only statement the page does not run).
-- Variables (pgbench -D): nc (clients), i = 0; run with -t so that no
-- client goes past the last hold.
\set k :client_id + :nc * :i
\set i :i + 1
SELECT outcome FROM booking_confirm(
       'pgbench-token-' || lpad((SELECT slot_id FROM bench.held WHERE k = :k::int)::text, 12, '0'), '123456');
