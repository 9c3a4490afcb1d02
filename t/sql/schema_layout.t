#!/bin/sh
# The schema's layout (HACKING.md, "Schema layout"): numbered migrations
# (schema/NNN_*.sql) hold tables and data only, every function, view and
# trigger lives in exactly one code file of schema/code/, schema/code/ORDER
# lists those files (bootstrap.sql first), and Makefile.am installs them
# all. A failure names the file to fix; a migration that still defines
# code is folded by the steps of HACKING.md. Needs no database.
top=${top_srcdir:-.}
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
code_re='^[[:space:]]*(CREATE([[:space:]]+OR[[:space:]]+REPLACE)?[[:space:]]+(FUNCTION|PROCEDURE|AGGREGATE|(MATERIALIZED[[:space:]]+)?VIEW|(CONSTRAINT[[:space:]]+)?TRIGGER|RULE)|COMMENT[[:space:]]+ON[[:space:]]+(FUNCTION|PROCEDURE|VIEW|TRIGGER)|ALTER[[:space:]]+(FUNCTION|PROCEDURE|VIEW)|DROP[[:space:]]+(FUNCTION|PROCEDURE|ROUTINE|VIEW|TRIGGER))[[:space:]]'

# 1. No migration defines, changes or drops code (migrate drops it all
# before the migrations run; a helper of its own in pg_temp is fine).
for f in "$top"/schema/[0-9][0-9][0-9]_*.sql; do
	name=schema/$(basename "$f")
	hits=$(grep -n -i -E "$code_re" "$f" | grep -v -i 'pg_temp\.')
	if [ -z "$hits" ]; then
		ok 0 "$name defines no function, view or trigger"
	else
		printf '%s\n' "$hits" | sed "s|^|# $name:|"
		ok 1 "$name defines, changes or drops functions, views or triggers: move them to schema/code/ (HACKING.md, \"Schema layout\", folding a migration)"
	fi
done

# 2. Each function, view and trigger is defined in one code file only
# (overloads of a function stay together in one file).
defs=$(for f in "$top"/schema/code/*.sql; do
	grep -i -o -E '^[[:space:]]*CREATE([[:space:]]+OR[[:space:]]+REPLACE)?[[:space:]]+(FUNCTION|PROCEDURE|VIEW|(CONSTRAINT[[:space:]]+)?TRIGGER)[[:space:]]+[A-Za-z0-9_.]+' "$f" |
	    awk -v file="schema/code/$(basename "$f")" '{ k = toupper($(NF - 1)); if (k == "PROCEDURE") k = "FUNCTION"; print k, tolower($NF), file }'
done | sort -u)
dups=$(printf '%s\n' "$defs" | awk '{ files[$1 " " $2] = files[$1 " " $2] " " $3; c[$1 " " $2]++ }
	END { for (k in c) if (c[k] > 1) print k ":" files[k] }' | sort)
if [ -z "$dups" ]; then
	ok 0 "no function, view or trigger is defined in two code files ($(printf '%s\n' "$defs" | grep -c .) definitions)"
else
	printf '%s\n' "$dups" | sed 's/^/# /'
	ok 1 "functions, views or triggers defined in two code files (keep one definition)"
fi

# 3. ORDER lists every code file once, bootstrap.sql first.
order=$(sed -e 's/#.*//' -e 's/[[:space:]]*$//' "$top/schema/code/ORDER" | grep -v '^$')
files=$(cd "$top/schema/code" && ls *.sql)
[ "$(printf '%s\n' "$order" | sort)" = "$(printf '%s\n' "$files" | sort)" ] &&
	[ -z "$(printf '%s\n' "$order" | sort | uniq -d)" ]
ok $? "schema/code/ORDER lists every file of schema/code/ once"
[ "$(printf '%s\n' "$order" | head -1)" = bootstrap.sql ]
ok $? "schema/code/ORDER begins with bootstrap.sql"

# 4. Makefile.am installs every migration and code file.
missing=$(for f in "$top"/schema/[0-9][0-9][0-9]_*.sql "$top"/schema/code/*.sql "$top"/schema/code/ORDER; do
	rel=${f#"$top"/}
	grep -q "^[[:space:]]*$rel\( \\\\\)\{0,1\}$" "$top/Makefile.am" || echo "$rel"
done)
[ -z "$missing" ]; ok $? "Makefile.am installs every migration and code file${missing:+ (missing: $(echo $missing))}"
echo "1..$n"
