#!/bin/sh
# Every statement of the web worker's table (fcgi/web/statements.c) is
# prepared against the migrated test database by creneau-fcgi -S, which
# checks its SQL, its :parameters and its declared result columns against
# what PostgreSQL describes: a renamed or reordered column fails here even
# for a page no test visits.
if [ -z "${CRENEAU_CONF:-}" ] || ! psql -X -q -c 'select 1' >/dev/null 2>&1; then
	echo "1..0 # SKIP no test database (run script/test)"
	exit 0
fi
fcgi="${top_builddir:-.}/creneau-fcgi"
table="${top_srcdir:-.}/fcgi/web/statements.c"
echo "1..2"
out=$("$fcgi" -S -c "$CRENEAU_CONF" 2>&1)
rc=$?
if [ "$rc" = 0 ]; then
	echo "ok 1 - creneau-fcgi -S prepares every statement as declared"
else
	echo "not ok 1 - creneau-fcgi -S prepares every statement as declared (status $rc)"
fi
printf '%s\n' "$out" | sed 's/^/# /'
n=$(grep -c '^[[:space:]]*\[S_[A-Z0-9_]*\] = {' "$table")
case $out in
*"$n statements: ok"*)
	echo "ok 2 - all $n statements of fcgi/web/statements.c were checked" ;;
*)
	echo "not ok 2 - all $n statements of fcgi/web/statements.c were checked" ;;
esac
