# t/sql/tap.sh: shared by the SQL-level TAP tests (sourced, not run).
#
# A test script sources this file, then pipes its SQL into sql_tap_run.
# The SQL runs in one psql session inside BEGIN ... ROLLBACK, so nothing it
# writes survives; tap.sql defines the pg_temp helpers (ok, is, throws,
# lives) that print TAP lines. The plan is printed at the end, counted from
# the output, and a psql failure becomes a "not ok" line, so an aborted
# script never passes.
#
# Environment: PGHOST, PGPORT, PGDATABASE, PGUSER (set by script/test).
# Without a reachable database the script prints a SKIP plan and exits 0.

sql_tap_dir=$(cd "$(dirname "$0")" && pwd)

if [ -z "${PGDATABASE:-}" ] ||
   ! psql -X -q -t -A -c 'select 1' >/dev/null 2>&1; then
	echo '1..0 # SKIP no test database'
	exit 0
fi

# Run the SQL read from standard input (after tap.sql, in a transaction
# that is rolled back), print its TAP lines and the plan; exit 1 on failure.
sql_tap_run() {
	out=$( { cat "$sql_tap_dir/tap.sql"; cat; printf '\nROLLBACK;\n'; } |
	    psql -X -q -t -A -v ON_ERROR_STOP=1 2>&1 )
	rc=$?
	printf '%s\n' "$out" | grep -v '^$' | sed '/^\(not \)\{0,1\}ok [0-9]/!{/^#/!s/^/# /}'
	n=$(printf '%s\n' "$out" | grep -c '^\(not \)\{0,1\}ok [0-9]')
	if [ "$rc" -ne 0 ]; then
		n=$((n + 1))
		echo "not ok $n - psql exited with status $rc (see the messages above)"
	fi
	echo "1..$n"
	if [ "$rc" -ne 0 ] || printf '%s\n' "$out" | grep -q '^not ok'; then
		exit 1
	fi
	exit 0
}
