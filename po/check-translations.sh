#!/bin/sh
# po/check-translations.sh [SRCDIR]: check that every catalogue listed in
# po/LINGUAS translates every msgid of po/creneau.pot, with no fuzzy entry,
# and passes msgfmt --check. Prints TAP (one test per language, the
# offending msgids as diagnostics) and exits non-zero on any failure.
# SRCDIR is the top of the source tree (default: the parent of this
# script's directory). Needs msgmerge, msgattrib, msgexec and msgfmt.

top=${1:-`dirname "$0"`/..}
po=$top/po
pot=$po/creneau.pot

for tool in msgmerge msgattrib msgexec msgfmt; do
	if ! command -v $tool >/dev/null 2>&1; then
		echo "1..0 # SKIP $tool not found (install gettext)"
		exit 0
	fi
done

linguas=`sed -e 's/#.*//' "$po/LINGUAS"` || exit 1
set -- $linguas
echo "1..$#"

tmp=`mktemp -d` || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

# list FILE: print each message of FILE but the header as a diagnostic
# line, as a PO msgid.
list() {
	msgexec -i "$1" sh -c '
		test -n "$MSGEXEC_MSGID" || exit 0
		printf "%s" "$MSGEXEC_MSGID" |
		sed -e "s/[\\\\\"]/\\\\&/g; s/^/#   msgid \"/; s/\$/\"/"
		echo' 2>&1
}

# header_fuzzy FILE: true when the header entry of FILE is marked fuzzy.
header_fuzzy() {
	sed -n -e '/^msgid ""/q' -e '/^#,.*fuzzy/p' "$1" | grep -q fuzzy
}

failed=0
n=0
for lang in $linguas; do
	n=$((n + 1))
	file=$po/$lang.po
	bad=
	: >"$tmp/diag"
	: >"$tmp/err"
	rm -f "$tmp/untr.po" "$tmp/fuzzy.po"
	if ! test -f "$file"; then
		echo "not ok $n - $lang: $file is missing"
		failed=1
		continue
	fi
	# Merge in memory so that msgids of the POT that the catalogue lacks
	# show up as untranslated.
	if test -f "$pot"; then
		msgmerge --quiet --no-fuzzy-matching -o "$tmp/$lang.po" \
			"$file" "$pot" 2>"$tmp/err" || bad="msgmerge failed"
	else
		cp "$file" "$tmp/$lang.po"
	fi
	if test -z "$bad"; then
		msgattrib --no-obsolete --untranslated -o "$tmp/untr.po" \
			"$tmp/$lang.po" 2>>"$tmp/err" &&
		msgattrib --no-obsolete --only-fuzzy -o "$tmp/fuzzy.po" \
			"$tmp/$lang.po" 2>>"$tmp/err" ||
			bad="msgattrib failed"
	fi
	if test -z "$bad"; then
		: >"$tmp/untr"; : >"$tmp/fuzzy"
		test -s "$tmp/untr.po" && list "$tmp/untr.po" >"$tmp/untr"
		if test -s "$tmp/untr"; then
			echo "# $lang: untranslated:" >>"$tmp/diag"
			cat "$tmp/untr" >>"$tmp/diag"
		fi
		test -s "$tmp/fuzzy.po" && list "$tmp/fuzzy.po" >"$tmp/fuzzy"
		if test -s "$tmp/fuzzy"; then
			echo "# $lang: fuzzy:" >>"$tmp/diag"
			cat "$tmp/fuzzy" >>"$tmp/diag"
		fi
		if header_fuzzy "$file"; then
			echo "# $lang: the header entry is fuzzy" >>"$tmp/diag"
		fi
		test -s "$tmp/diag" && bad="incomplete"
	fi
	if ! msgfmt --check -o /dev/null "$file" 2>>"$tmp/err"; then
		bad="${bad:+$bad, }msgfmt --check failed"
	fi
	if test -z "$bad"; then
		echo "ok $n - $lang: complete"
	else
		echo "not ok $n - $lang: $bad"
		cat "$tmp/diag" 2>/dev/null
		sed -e 's/^/# /' "$tmp/err"
		failed=1
	fi
done
exit $failed
