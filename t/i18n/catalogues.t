#!/bin/sh
# Every text a person can see is translated: the committed template
# (po/creneau.pot) holds every msgid of the C sources and templates, and
# every catalogue of po/LINGUAS translates all of them (po/check-translations.sh).
top=${top_srcdir:-`dirname "$0"`/../..}
for tool in xgettext msgcat msgcmp python3; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found (install gettext)"
		exit 0
	fi
done
tmp=`mktemp -d` || exit 1
trap 'rm -rf "$tmp"' EXIT
cd "$top" || exit 1
python3 po/extract-templates.py templates/*.xhtml templates/mail/*.xhtml > "$tmp/templates.pot"
xgettext --from-code=UTF-8 --language=C --keyword=_ --keyword=N_ \
	--keyword=ngettext:1,2 --keyword=C_:1c,2 --force-po -o "$tmp/c.pot" fcgi/*/*.c fcgi/web/*/*.c
sed -i 's/charset=CHARSET/charset=UTF-8/' "$tmp/c.pot"
msgcat --use-first -o "$tmp/fresh.pot" "$tmp/c.pot" "$tmp/templates.pot"
if msgcmp --use-untranslated po/creneau.pot "$tmp/fresh.pot" > "$tmp/cmp" 2>&1; then
	echo "ok 1 - po/creneau.pot has every msgid of fcgi/ and templates/"
else
	echo "not ok 1 - po/creneau.pot is out of date: run make update-po and translate"
	sed 's/^/# /' "$tmp/cmp" | head -20
fi
# One more test per language, renumbered after ours; the plan comes last.
sh po/check-translations.sh . > "$tmp/out"
awk '/^1\.\.[0-9]+/ { next }
     /^(not )?ok [0-9]+/ { sub(/ok [0-9]+/, "ok " (++i + 1)) }
     { print }
     END { print "1.." i + 1 }' "$tmp/out"
exit 0
