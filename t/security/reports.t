#!/bin/sh
# script/check-security reads the scanners' reports right: the sample
# reports of t/security/samples/dirty (an injection point in a sqlmap log,
# an XSS, a missing header and a 500 in wapiti's JSON report, a 500 and a
# 502 in the access log) make it fail with each finding named; those of
# samples/clean (sqlmap's "not injectable" end, wapiti's report with only
# an allowed note, 200/303/503 in the log) pass; and a wapiti report that
# is not JSON, or a wapiti run that left no report, is a finding.
top=${top_srcdir:-$(dirname "$0")/../..}
s=$top/t/security/samples
cs=$top/script/check-security
tmp=$(mktemp -d /tmp/creneau-reports.XXXXXX)
trap 'rm -rf "$tmp"' EXIT
echo 1..10
n=0
check() { # check DESCRIPTION COMMAND...
	d=$1; shift
	n=$((n + 1))
	if "$@"; then echo "ok $n - $d"; else echo "not ok $n - $d"; fi
}
"$cs" --read-reports "$s/dirty" >"$tmp/dirty" 2>&1
rc=$?
sed 's/^/# /' "$tmp/dirty"
check "the dirty samples fail (status $rc)" [ "$rc" -ne 0 ]
check "the sqlmap injection point is named" grep -q "sqlmap: injection in POST /book/.*surname (POST)" "$tmp/dirty"
check "the wapiti XSS is named" grep -q "Cross Site Scripting: XSS vulnerability.*/manage" "$tmp/dirty"
check "a missing header that is not allowed is a finding" grep -q "X-Frame-Options is not set" "$tmp/dirty"
check "wapiti's 500 anomaly is a finding" grep -q "Internal Server Error" "$tmp/dirty"
check "the 500 and 502 of the access log are findings" sh -c "grep -q 'answered 500 POST /book/1.00' '$tmp/dirty' && grep -q 'answered 502 GET /site/x/y' '$tmp/dirty'"
"$cs" --read-reports "$s/clean" >"$tmp/clean" 2>&1
rc=$?
sed 's/^/# /' "$tmp/clean"
check "the clean samples pass" [ "$rc" -eq 0 ]
check "the allowed header note is shown with its reason" grep -q "X-XSS-Protection is not set.*allowed: deliberate" "$tmp/clean"
cp -R "$s/clean" "$tmp/broken"
echo 'not json' >"$tmp/broken/wapiti/public.json"
"$cs" --read-reports "$tmp/broken" >"$tmp/out" 2>&1
check "an unreadable wapiti report is a finding" [ $? -ne 0 ]
rm -rf "$tmp/broken"
cp -R "$s/clean" "$tmp/broken"
printf 'Traceback (most recent call last):\nre.error: global flags not at the start\n' >"$tmp/broken/wapiti/staff0.out"
"$cs" --read-reports "$tmp/broken" >"$tmp/out" 2>&1
rc=$?
check "a wapiti run that left no report is a finding" sh -c "[ $rc -ne 0 ] && grep -q 'wapiti staff0 did not finish' '$tmp/out'"
