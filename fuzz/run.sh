#!/bin/sh
# Runs the libFuzzer harnesses of fuzz/ (built by fuzz/build.sh), each for
# FUZZ_SECONDS seconds (600 by default: `make fuzz`), starting from the
# seed corpus fuzz/corpus/<harness>/ and the inputs earlier runs kept in
# var/fuzz/corpus/<harness>/. Prints, per harness, the executions and
# what was found; a crash, leak or failed property is saved as
# var/fuzz/crashes/<harness>/crash-* (add it to fuzz/corpus/<harness>/
# once fixed). Exits 1 when a harness found something, 77 when clang is
# missing.
#   fuzz/run.sh [harness...]          FUZZ_SECONDS=60 fuzz/run.sh request
set -u

top=$(cd "$(dirname "$0")/.." && pwd -P)
out=${FUZZ_OUT:-$top/var/fuzz}
seconds=${FUZZ_SECONDS:-600}
harnesses=${*:-request fields secret template mail}

# shellcheck disable=SC2086 # a list of names
bash "$top/fuzz/build.sh" $harnesses || exit $?
rc=0
for h in $harnesses; do
	mkdir -p "$out/corpus/$h" "$out/crashes/$h"
	dict=
	[ -f "$top/fuzz/$h.dict" ] && dict=-dict=$top/fuzz/$h.dict
	log=$out/$h.log
	echo "fuzz: $h for $seconds s (log: $log)"
	# -timeout: a generous limit for one input, not a speed test.
	"$out/bin/$h" -max_total_time="$seconds" -timeout=60 -max_len=4096 \
		-print_final_stats=1 -artifact_prefix="$out/crashes/$h/" ${dict:+"$dict"} \
		"$out/corpus/$h" "$top/fuzz/corpus/$h" >"$log" 2>&1
	status=$?
	execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	found=$(grep -a -c '^==[0-9]*==.*ERROR\|^fuzz: property failed' "$log")
	echo "fuzz: $h: ${execs:-0} executions, $found found, exit $status"
	if [ "$status" -ne 0 ] || [ "$found" -ne 0 ]; then
		grep -a -m 5 '^fuzz: property failed\|ERROR:\|SUMMARY:\|Test unit written' "$log"
		rc=1
	fi
done
exit $rc
