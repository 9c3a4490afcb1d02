#!/bin/sh
# creneau-admin against the test database: migrations are re-runnable and
# recorded, the AGDREF import adds valid numbers and refuses a file with a
# bad line as a whole, and sweep runs.
if [ -z "${CRENEAU_CONF:-}" ] || ! psql -X -q -c 'select 1' >/dev/null 2>&1; then
	echo "1..0 # SKIP no test database (run script/test)"
	exit 0
fi
admin="${top_builddir:-.}/creneau-admin -c $CRENEAU_CONF"
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT

out=$($admin migrate 2>&1); ok $? "migrate runs again"
case $out in *"schema up to date"*) r=0 ;; *) r=1 ;; esac
ok $r "a second migrate applies nothing ($out)"
files=$(ls "${top_srcdir:-.}"/schema/[0-9][0-9][0-9]_*.sql | wc -l)
rec=$(psql -X -A -t -c "select count(*) from schema_migrations")
[ "$files" = "$rec" ]; ok $? "every migration file is recorded ($rec of $files)"
$admin status | grep -q pending; [ $? -ne 0 ]; ok $? "status lists nothing pending"

base=$(psql -X -A -t -c "select count(*) from agdref_numbers")
printf '# test file\n1111100001\n\n1111100002\r\n1111100001\n' > "$tmp/good"
$admin import-agdref "$tmp/good" > "$tmp/out" 2>&1; ok $? "a good file imports"
after=$(psql -X -A -t -c "select count(*) from agdref_numbers")
[ $((after - base)) -eq 2 ]; ok $? "two new numbers (duplicates and comments skipped)"
printf '1111100003\n12345\n' > "$tmp/bad"
$admin import-agdref "$tmp/bad" > "$tmp/out" 2>&1; [ $? -ne 0 ]; ok $? "a file with a bad line is refused"
grep -q ':2:' "$tmp/out"; ok $? "the bad line is named"
c=$(psql -X -A -t -c "select count(*) from agdref_numbers where number = '1111100003'")
[ "$c" = 0 ]; ok $? "nothing of a refused file is imported"
$admin import-agdref /nonexistent/file > /dev/null 2>&1; [ $? -ne 0 ]; ok $? "a missing file is an error"
psql -X -q -c "delete from agdref_numbers where number like '11111000%'"
$admin sweep | grep -q '^sweep:'; ok $? "sweep runs and reports"

# staff-add writes through staff_account_add(): all or nothing.
site=$(psql -X -A -t -c "select slug from sites order by id limit 1")
printf 'a long enough password\n' | $admin staff-add Test.Agent.$$@Example.org agent "Test Agent" "$site" > "$tmp/out" 2>&1
ok $? "staff-add creates an agent of a site"
c=$(psql -X -A -t -c "select count(*) from staff_accounts a join staff_sites s on s.account_id = a.id join audit_log l on l.account_id = a.id and l.action = 'staff.created' where a.email = 'test.agent.$$@example.org'")
[ "$c" = 1 ]; ok $? "the account, its site and its audit entry are written (e-mail lower-cased)"
printf 'a long enough password\n' | $admin staff-add test.agent.$$@example.org agent "Again" "$site" > "$tmp/out" 2>&1
[ $? -ne 0 ] && grep -q 'already exists' "$tmp/out"; ok $? "an e-mail already in use is refused, and the message says so"
printf 'a long enough password\n' | $admin staff-add other.agent.$$@example.org agent "Other" "$site" no-such-site > "$tmp/out" 2>&1
[ $? -ne 0 ] && grep -q 'no site no-such-site' "$tmp/out"; ok $? "an unknown site is refused by name"
c=$(psql -X -A -t -c "select count(*) from staff_accounts where email = 'other.agent.$$@example.org'")
[ "$c" = 0 ]; ok $? "nothing of a refused account is written"
printf 'short\n' | $admin staff-add short.pw.$$@example.org agent "Short" "$site" > /dev/null 2>&1
[ $? -ne 0 ]; ok $? "a password under 12 characters is refused"

$admin frobnicate > /dev/null 2>&1; [ $? -eq 2 ]; ok $? "an unknown command prints the usage (status 2)"
echo "1..$n"
