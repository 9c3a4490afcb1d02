#!/bin/sh
# bench/prodsize.sh, the production-size load of make bench (issue 15), at
# a tiny size (2 sites, three weeks ahead, a week behind), each run in a
# database of its own (the load drops indexes and foreign keys and
# disables triggers while it runs), migrated by creneau-admin:
#   * a load whose slots.booked is made wrong before its last step fails
#     in that step (the check of the invariants can fail), and leaves
#     its triggers disabled (the failed step changed nothing);
#   * a load as make bench runs it succeeds, with bookings, slots.booked
#     and the counts of 021 equal to their recounts, the same indexes,
#     constraints and enabled triggers as a database just migrated, and
#     nothing of its bookkeeping left.
# Both databases are dropped on exit, pass or fail.
. "$(dirname "$0")/tap.sh"

if [ -z "${CRENEAU_CONF:-}" ]; then
	echo '1..0 # SKIP no CRENEAU_CONF (run through script/test)'
	exit 0
fi
top=$(cd "$(dirname "$0")/../.." && pwd)
admin="${top_builddir:-$top}/creneau-admin"
work=$(mktemp -d "${TMPDIR:-/tmp}/creneau-prodsize.XXXXXX")
dbs=""
n=0

cleanup() {
	for db in $dbs; do
		psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1
	done
	rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

ok() { # ok CONDITION-STATUS NAME
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fails=1; fi
}
fails=0

# A fresh database, migrated: new_db NAME (its configuration in $work/NAME.conf).
new_db() {
	psql -X -q -d postgres -c "CREATE DATABASE $1" >/dev/null || return 1
	dbs="$dbs $1"
	sed "s/dbname=[^ ]*/dbname=$1/" "$CRENEAU_CONF" >"$work/$1.conf"
	"$admin" -c "$work/$1.conf" migrate >"$work/$1.migrate.log" 2>&1 ||
		{ sed 's/^/# /' "$work/$1.migrate.log"; return 1; }
}
q() { # q DB SQL
	psql -X -q -t -A -v ON_ERROR_STOP=1 -d "$1" -c "$2"
}
# What a migrated database has on the tables the load touches.
shape() {
	q "$1" "SELECT string_agg(x, ' ' ORDER BY x) FROM (
	            SELECT 'index:' || indexrelid::regclass || ':' || pg_get_indexdef(indexrelid) AS x
	              FROM pg_index WHERE indrelid IN ('slots'::regclass, 'bookings'::regclass)
	            UNION ALL
	            SELECT 'constraint:' || conname || ':' || pg_get_constraintdef(oid) || ':' || convalidated
	              FROM pg_constraint WHERE conrelid IN ('slots'::regclass, 'bookings'::regclass)
	            UNION ALL
	            SELECT 'trigger:' || tgname || ':' || tgenabled FROM pg_trigger
	             WHERE tgrelid IN ('slots'::regclass, 'bookings'::regclass, 'slot_reservations'::regclass)
	               AND NOT tgisinternal
	            UNION ALL
	            SELECT 'options:' || coalesce(array_to_string(reloptions, ','), '') FROM pg_class
	             WHERE oid = 'slots'::regclass) s"
}
export PRODSIZE_SITES=2 PRODSIZE_DAYS=21 PRODSIZE_HISTORY=7
vars="-v sites=2 -v days=21 -v history=7"

# 1. booked made wrong before finish: finish fails.
bad="creneau_prodsize_bad_$$"
if new_db "$bad"; then
	rc=0
	for step in setup slots bookings counts vacuum indexes keys; do
		# shellcheck disable=SC2086 # $vars are separate words
		psql -X -q -v ON_ERROR_STOP=1 -d "$bad" $vars -v step=$step \
			-f "$top/bench/prodsize.sql" >/dev/null 2>"$work/bad.err" || { rc=1; break; }
	done
	ok "$rc" "the load's steps up to finish run"
	q "$bad" "UPDATE slots SET booked = booked + 1
	           WHERE id = (SELECT min(id) FROM slots WHERE booked < capacity
	                         AND site_id IN (SELECT id FROM sites WHERE slug LIKE 'bench-site-%'))" >/dev/null
	# shellcheck disable=SC2086
	psql -X -q -v ON_ERROR_STOP=1 -d "$bad" $vars -v step=finish \
		-f "$top/bench/prodsize.sql" >"$work/bad.out" 2>&1
	rc=$?
	[ "$rc" -ne 0 ] && grep -q "booked is not their bookings not released" "$work/bad.out"
	ok $? "finish fails on a slot whose booked is not its bookings (status $rc)"
	sed 's/^/# /' "$work/bad.out" | grep ERROR
	[ "$(q "$bad" "SELECT count(*) FROM pg_trigger WHERE tgenabled = 'D'")" -gt 0 ]
	ok $? "the failed finish changed nothing (its triggers still disabled)"
else
	ok 1 "a fresh database for the failing load"
fi

# 2. The load as make bench runs it.
good="creneau_prodsize_good_$$"
if new_db "$good"; then
	before=$(shape "$good")
	bash "$top/bench/prodsize.sh" -d "$good" >"$work/good.out" 2>&1
	rc=$?
	sed 's/^/# /' "$work/good.out"
	ok "$rc" "bench/prodsize.sh loads (status $rc)"
	[ "$(shape "$good")" = "$before" ]
	ok $? "slots, bookings and slot_reservations have their indexes, constraints, triggers and options back"
	[ "$(q "$good" "SELECT count(*) FROM pg_class WHERE relname = 'bench_load_ddl'")" = 0 ]
	ok $? "nothing of the load's bookkeeping left"
	[ "$(q "$good" "SELECT count(*) > 0 AND count(*) FILTER (WHERE status = 'confirmed') > 0
	                  FROM bookings")" = t ]
	ok $? "bookings made, some confirmed"
	[ "$(q "$good" "SELECT count(*) FROM slots s
	                  WHERE s.booked <> (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released)")" = 0 ]
	ok $? "every slot's booked is its bookings not released"
	[ "$(q "$good" "SELECT count(*) FROM slots s JOIN creneau_slot_counts(ARRAY(SELECT id FROM slots)) c
	                    ON c.slot_id = s.id
	                  WHERE (s.held_back, s.next_release_at, s.confirmed_count)
	                        IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count)")" = 0 ]
	ok $? "every slot's counts are the recount"
	[ "$(q "$good" "SELECT count(*) > 0 FROM slots WHERE held_back > 0")" = t ]
	ok $? "mediator places held back"
else
	ok 1 "a fresh database for the load"
fi

echo "1..$n"
exit "$fails"
