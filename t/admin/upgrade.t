#!/bin/sh
# An upgrade with live data: a database built from main's schema before
# the code moved to schema/code/ (commit b66fbce, its numbered migrations
# applied one by one as its creneau-admin did, its demo data, bookings
# made through the SQL functions) is migrated by today's creneau-admin.
# Its catalog (t/sql/catalog.sql: functions with their bodies, views,
# triggers, columns, constraints, indexes) must then equal a fresh
# install's, its data must be intact, the bookings made before must go on
# (confirm, cancel) and new ones be made; a second migrate changes
# nothing. While the numbered migrations are still exactly b66fbce's, the
# fresh install's tables must also equal the old database's.
#
# Needs git and the commit (skipped in an unpacked tarball) and the test
# database's server (script/test); makes two scratch databases and drops
# them at the end.
old_commit=b66fbce
top=${top_srcdir:-.}
if [ -z "${CRENEAU_CONF:-}" ] || ! psql -X -q -c 'select 1' >/dev/null 2>&1; then
	echo "1..0 # SKIP no test database (run script/test)"
	exit 0
fi
if ! git -C "$top" cat-file -e "$old_commit^{commit}" 2>/dev/null; then
	echo "1..0 # SKIP commit $old_commit not available (not a git checkout)"
	exit 0
fi
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
tmp=$(mktemp -d)
old_db=creneau_upgrade_old_$$
new_db=creneau_upgrade_new_$$
cleanup() {
	dropdb --if-exists "$old_db" >/dev/null 2>&1
	dropdb --if-exists "$new_db" >/dev/null 2>&1
	rm -rf "$tmp"
}
trap cleanup EXIT
q() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$old_db" "$@"; }
catalog() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -f "$top/t/sql/catalog.sql"; }

# The old schema, as main had it.
mkdir "$tmp/old"
for f in $(git -C "$top" ls-tree --name-only "$old_commit" schema/); do
	case $f in *.sql) git -C "$top" show "$old_commit:$f" >"$tmp/old/${f#schema/}" ;; esac
done
createdb "$old_db" && psql -X -q -d "$old_db" -c \
	"CREATE TABLE schema_migrations (version text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())"
r=0
for f in "$tmp"/old/[0-9][0-9][0-9]_*.sql; do
	v=$(basename "$f" .sql)
	{ printf 'SET client_min_messages = warning;\n'; cat "$f";
	  printf "\nINSERT INTO schema_migrations (version) VALUES ('%s');\n" "$v"; } |
	    psql -X -q -1 -v ON_ERROR_STOP=1 -d "$old_db" >"$tmp/old.log" 2>&1 ||
	    { r=1; sed 's/^/# /' "$tmp/old.log"; break; }
done
ok $r "the schema of $old_commit builds by its migrations"
psql -X -q -v ON_ERROR_STOP=1 -d "$old_db" -f "$tmp/old/demo.sql" >"$tmp/demo.log" 2>&1
ok $? "its demo data loads"

# Live data: three holds through booking_hold; the first confirmed, the
# second cancelled, the third left held (to be confirmed after the upgrade).
q >"$tmp/holds" <<'SQL'
CREATE TEMP TABLE picks AS
    SELECT a.id, row_number() OVER (ORDER BY a.starts_at, a.id) AS n
      FROM available_slots a JOIN procedures p ON p.id = a.procedure_id
     WHERE a.remaining > 0 AND a.starts_at > now() + interval '3 days' AND NOT p.requires_agdref
     ORDER BY a.starts_at, a.id LIMIT 4;
CREATE FUNCTION pg_temp.hold(p_n integer, p_surname text, p_token text, p_key text)
RETURNS text LANGUAGE sql AS $$
    SELECT h.outcome || ' ' || coalesce(h.reference, '')
      FROM booking_hold((SELECT id FROM picks WHERE n = p_n),
                        creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                           p_surname, 'Test', date '1990-01-02', NULL,
                                           lower(p_surname) || '@upgrade.test', NULL, 'fr'),
                        p_key, p_token, '123456', interval '1 day', 5, 5) AS h
$$;
SELECT pg_temp.hold(1, 'Premier', 'upgrade-token-000001', 'upgrade-key-1');
SELECT pg_temp.hold(2, 'Second', 'upgrade-token-000002', 'upgrade-key-2');
SELECT pg_temp.hold(3, 'Troisieme', 'upgrade-token-000003', 'upgrade-key-3');
SELECT outcome FROM booking_confirm('upgrade-token-000001', '123456');
SELECT outcome FROM booking_cancel('upgrade-token-000002', interval '1 hour', interval '2 hours');
SQL
sed 's/^/# /' "$tmp/holds"
[ "$(grep -c '^held ' "$tmp/holds")" = 3 ] && grep -q '^confirmed' "$tmp/holds" &&
	grep -q '^cancelled' "$tmp/holds"
ok $? "bookings made, confirmed and cancelled through the old functions"

# The data as it was: a digest of every table's rows, on the columns it had.
digest() {
	q <<'SQL'
SELECT c.relname || ' ' || (xpath('/row/d/text()',
         query_to_xml(format('SELECT count(*) || '':'' || coalesce(md5(string_agg(r::text, '','' ORDER BY r::text)), '''') AS d FROM (SELECT %s FROM %I) r',
                             (SELECT string_agg(quote_ident(a.attname), ', ' ORDER BY a.attnum)
                                FROM pg_attribute a
                               WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
                                 AND a.attname IN (SELECT attname FROM old_columns o WHERE o.relname = c.relname)),
                             c.relname), false, true, '')))[1]::text
  FROM pg_class c
 WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
   AND c.relname IN (SELECT relname FROM old_columns) AND c.relname <> 'schema_migrations'
 ORDER BY 1;
SQL
}
q -c "CREATE TABLE old_columns AS
        SELECT c.relname::text, a.attname::text FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
         WHERE c.relnamespace = 'public'::regnamespace AND c.relkind = 'r'
           AND a.attnum > 0 AND NOT a.attisdropped"
catalog "$old_db" | grep -v '^column old_columns\.' >"$tmp/old.catalog"
digest >"$tmp/data.before"

# The upgrade, and a fresh install beside it.
sed "s/dbname=[^ ]*/dbname=$old_db/" "$CRENEAU_CONF" >"$tmp/old.conf"
sed "s/dbname=[^ ]*/dbname=$new_db/" "$CRENEAU_CONF" >"$tmp/new.conf"
admin="${top_builddir:-.}/creneau-admin"
"$admin" -c "$tmp/old.conf" migrate >"$tmp/up.log" 2>&1; r=$?
sed 's/^/# /' "$tmp/up.log"
ok $r "today's migrate upgrades the old database"
createdb "$new_db" && "$admin" -c "$tmp/new.conf" migrate >"$tmp/fresh.log" 2>&1
ok $? "today's migrate makes a fresh install"

catalog "$old_db" | grep -v '^column old_columns\.' >"$tmp/up.catalog"
catalog "$new_db" >"$tmp/fresh.catalog"
diff "$tmp/fresh.catalog" "$tmp/up.catalog" >"$tmp/diff"; r=$?
sed 's/^/# /' "$tmp/diff" | head -40
ok $r "the upgraded catalog equals a fresh install's ($(grep -c '^function ' "$tmp/fresh.catalog") functions, $(grep -c '^view ' "$tmp/fresh.catalog") views, $(grep -c '^trigger ' "$tmp/fresh.catalog") triggers)"

# The same numbered migrations as the old commit: the tables may not
# differ. (The code, schema/code/, changes with every branch since; the
# upgraded database's code is compared with a fresh install's above.)
tables() { awk '/^(function|view|trigger) /{keep=0} /^(column|constraint|index) /{keep=1} keep' "$1"; }
if [ "$(cd "$tmp/old" && ls [0-9][0-9][0-9]_*.sql)" = "$(cd "$top/schema" && ls [0-9][0-9][0-9]_*.sql)" ]; then
	tables "$tmp/old.catalog" >"$tmp/old.tables"
	tables "$tmp/fresh.catalog" >"$tmp/fresh.tables"
	diff "$tmp/old.tables" "$tmp/fresh.tables" >"$tmp/diff"; r=$?
	sed 's/^/# /' "$tmp/diff" | head -40
	ok $r "a fresh install's tables equal $old_commit's (columns, constraints, indexes)"
else
	echo "ok $((n += 1)) - # SKIP new migrations since $old_commit: the catalogs may differ"
fi

digest >"$tmp/data.after"
diff "$tmp/data.before" "$tmp/data.after" >"$tmp/diff"; r=$?
sed 's/^/# /' "$tmp/diff"
ok $r "every table's rows are intact ($(wc -l <"$tmp/data.before") tables)"

# The booking functions after the upgrade: the held booking confirms, the
# confirmed one cancels, a new hold is made.
q >"$tmp/after" <<'SQL'
SELECT 'confirm ' || outcome FROM booking_confirm('upgrade-token-000003', '123456');
SELECT 'cancel ' || outcome FROM booking_cancel('upgrade-token-000001', interval '1 hour', interval '2 hours');
SELECT 'hold ' || h.outcome
  FROM booking_hold((SELECT a.id FROM available_slots a JOIN procedures p ON p.id = a.procedure_id
                      WHERE a.remaining > 0 AND a.starts_at > now() + interval '3 days' AND NOT p.requires_agdref
                      ORDER BY a.starts_at, a.id OFFSET 4 LIMIT 1),
                    creneau_person_sql('\x000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea,
                                       'Quatrieme', 'Test', date '1990-01-02', NULL,
                                       'quatrieme@upgrade.test', NULL, 'fr'),
                    'upgrade-key-4', 'upgrade-token-000004', '123456', interval '10 minutes', 5, 5) AS h;
SELECT 'statuses ' || string_agg(b.status, ',' ORDER BY b.surname)
  FROM bookings b WHERE b.email LIKE '%@upgrade.test';
SQL
sed 's/^/# /' "$tmp/after"
grep -q '^confirm confirmed$' "$tmp/after"; ok $? "a hold made before the upgrade is confirmed after it"
grep -q '^cancel cancelled$' "$tmp/after"; ok $? "a booking confirmed before the upgrade is cancelled after it"
grep -q '^hold held$' "$tmp/after"; ok $? "a new hold is made after the upgrade"
grep -q '^statuses cancelled,held,cancelled,confirmed$' "$tmp/after"
ok $? "the four bookings have the expected statuses"

# A session that prepared statements before a migrate (a worker of
# creneau-fcgi) runs them after it: the functions and the view it names
# were dropped and made again, and its plans follow them. The second
# migrate runs from inside that session (psql's \!).
q >"$tmp/live" <<SQL
PREPARE confirm_p(text, text) AS SELECT outcome FROM booking_confirm(\$1, \$2);
PREPARE listing_p AS SELECT count(*) > 0 FROM available_slots;
SELECT 'before ' || outcome FROM booking_confirm('upgrade-token-unknown', '123456');
EXECUTE confirm_p('upgrade-token-unknown', '123456');
EXECUTE listing_p;
\\! "$admin" -c "$tmp/old.conf" migrate >"$tmp/again.log" 2>&1
EXECUTE confirm_p('upgrade-token-unknown', '123456');
EXECUTE listing_p;
SQL
r=$?
sed 's/^/# /' "$tmp/live"
[ $r = 0 ] && [ "$(grep -c '^not_found$' "$tmp/live")" = 2 ] && [ "$(grep -c '^t$' "$tmp/live")" = 2 ]
ok $? "statements prepared before a migrate run after it"
grep -q 'schema up to date' "$tmp/again.log"
ok $? "a second migrate applies no migration"
catalog "$old_db" | grep -v '^column old_columns\.' | diff "$tmp/up.catalog" - >"$tmp/diff"; r=$?
sed 's/^/# /' "$tmp/diff" | head -20
ok $r "and leaves the catalog as it was"

# A failing migrate changes nothing: a code file whose SQL function names
# a missing column (found by the final check of the bodies, the files
# being loaded with check_function_bodies off) rolls back the whole run,
# the dropped code included.
cp -R "$top/schema" "$tmp/broken"
chmod -R u+w "$tmp/broken"
cat >>"$tmp/broken/code/booking.sql" <<'SQL'
CREATE OR REPLACE FUNCTION creneau_upgrade_broken() RETURNS bigint
LANGUAGE sql STABLE
AS $$ SELECT count(no_such_column) FROM bookings $$;
SQL
sed "s|^schema_dir *=.*|schema_dir = $tmp/broken|" "$tmp/old.conf" >"$tmp/broken.conf"
grep -q "^schema_dir = $tmp/broken" "$tmp/broken.conf" ||
	echo "schema_dir = $tmp/broken" >>"$tmp/broken.conf"
"$admin" -c "$tmp/broken.conf" migrate >"$tmp/broken.log" 2>&1; r=$?
sed 's/^/# /' "$tmp/broken.log" | head -5
[ $r -ne 0 ] && grep -q "creneau_upgrade_broken().*no_such_column" "$tmp/broken.log"
ok $? "a function body naming a missing column fails the migrate, named"
catalog "$old_db" | grep -v '^column old_columns\.' | diff "$tmp/up.catalog" - >"$tmp/diff"; r=$?
sed 's/^/# /' "$tmp/diff" | head -20
ok $r "and the database is left as it was"
echo "1..$n"
