#!/bin/sh
# po/fill-en.sh [SRCDIR]: bring po/en.po up to date with po/creneau.pot
# mechanically. msgids are English, so the English catalogue is the msgids
# themselves: every msgid of the POT that en.po lacks, and every entry
# msgmerge marked fuzzy, gets msgstr = msgid (msgstr[0] = msgid,
# msgstr[1] = msgid_plural); entries gone from the POT are dropped. Entries
# already translated are kept, so a deliberate English wording (a msgid
# that reads badly as it stands) survives a refresh.
# Run after `make update-po`. Needs msgattrib, msgmerge, msgen and msgfmt.

top=${1:-`dirname "$0"`/..}
po=$top/po
pot=$po/creneau.pot
en=$po/en.po

for tool in msgattrib msgmerge msgen msgfmt; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "fill-en.sh: $tool not found (install gettext)" >&2
		exit 1
	fi
done
test -f "$pot" || { echo "fill-en.sh: $pot is missing" >&2; exit 1; }

tmp=`mktemp -d` || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

if test -f "$en"; then
	# Drop fuzzy and obsolete entries (the header is never fuzzy here),
	# so msgmerge brings them back untranslated, never as a guess.
	msgattrib --force-po --no-fuzzy --no-obsolete -o "$tmp/kept.po" "$en" || exit 1
else
	msginit --no-translator --locale=en -i "$pot" -o "$tmp/kept.po" \
		>/dev/null 2>&1 || exit 1
fi
msgmerge --quiet --force-po --no-fuzzy-matching -o "$tmp/merged.po" \
	"$tmp/kept.po" "$pot" || exit 1
msgen -o "$tmp/en.po" "$tmp/merged.po" || exit 1
# The header: English plural rule, language and team.
sed -e 's/^"Language: .*\\n"$/"Language: en\\n"/' \
    -e 's/^"Language-Team: .*\\n"$/"Language-Team: English\\n"/' \
    -e 's/^"Plural-Forms: .*\\n"$/"Plural-Forms: nplurals=2; plural=(n != 1);\\n"/' \
    "$tmp/en.po" > "$tmp/en2.po" || exit 1
msgfmt --check -o /dev/null "$tmp/en2.po" || exit 1
if test -f "$en" && cmp -s "$tmp/en2.po" "$en"; then
	exit 0
fi
cp "$tmp/en2.po" "$en" || exit 1
echo "  FILL-EN  $en"
