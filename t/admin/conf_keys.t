#!/bin/sh
# The configuration keys are named alike in the three places that list
# them: the table of fcgi/common/conf.c (what the programs read), the annotated
# sample conf/creneau.conf and its manual conf/creneau.conf.5. A key added
# to one and forgotten in another fails here.
top=${top_srcdir:-`dirname "$0"`/../..}
tmp=${TMPDIR:-/tmp}/creneau-conf-keys.$$
trap 'rm -f "$tmp".*' EXIT
sed -n 's/^[[:space:]]*{ "\([a-z_]*\)",.*/\1/p' "$top/fcgi/common/conf.c" | sort >"$tmp.c"
sed -n 's/^#\{0,1\} *\([a-z_][a-z_]*\) *=.*/\1/p' "$top/conf/creneau.conf" | sort -u >"$tmp.sample"
sed -n 's/^\.It Cm \([a-z_]*\).*/\1/p' "$top/conf/creneau.conf.5" | sort -u >"$tmp.man"
echo "1..3"
n=$(wc -l <"$tmp.c")
if [ "$n" -gt 20 ]; then
	echo "ok 1 - fcgi/common/conf.c declares $n keys"
else
	echo "not ok 1 - fcgi/common/conf.c declares $n keys (the table was not found)"
fi
i=0
for f in sample man; do
	i=$((i + 1))
	if d=$(diff "$tmp.c" "$tmp.$f"); then
		echo "ok $((i + 1)) - the $f names the same keys as fcgi/common/conf.c"
	else
		echo "not ok $((i + 1)) - the $f and fcgi/common/conf.c differ (< only in conf.c, > only in the $f)"
		echo "$d" | sed 's/^/# /'
	fi
done
