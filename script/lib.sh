# shellcheck shell=bash
# Shared set-up for script/server, script/test and script/ctl: packages,
# build, a state directory var/<name>/ holding a private PostgreSQL, the
# creneau-fcgi workers and an nginx on 127.0.0.1, and how to start, check
# and stop them. Sourced, never run; callers use `set -euo pipefail`.
#
# State directory layout (var/<name>/):
#   pgdata/          PostgreSQL cluster (initdb --auth=trust, unix socket only)
#   run/             sockets (.s.PGSQL.<port>, fcgi.sock) and pid files
#   log/             postgresql.log, creneau-fcgi.log, nginx-error.log, nginx-access.log
#   nginx/           nginx prefix: its temporary directories
#   creneau.conf     configuration for creneau-fcgi and creneau-admin
#   nginx.conf       generated from conf/nginx/dev.conf.in
#   secret           32 random bytes, mode 0600
#   env              ports and paths of this state directory (read by script/ctl)

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
PGBIN=/usr/lib/postgresql/15/bin
CRENEAU_DB=creneau
CRENEAU_DBUSER=creneau

# Debian packages the build, the services and the tests need (openssl
# and mandoc: script/check-conf's certificate and man page lint; chromium
# and the fonts: t/a11y/axe.t drives Debian's Chromium through
# playwright-core, never a downloaded browser, and its screenshots need
# Latin and Arabic glyphs; libicu-dev and libphonenumber-dev, with g++ for
# fcgi/common/phone.cc: the canonical names and phone numbers of fcgi/common/canon.c;
# clang and libclang-rt-14-dev: the libFuzzer harnesses of fuzz/, run
# briefly by t/fuzz/short.t; sqlmap and wapiti: script/check-security;
# valgrind: t/sanitizers/valgrind.t).
CRENEAU_PACKAGES=(build-essential autoconf automake libtool pkg-config gettext
	libfcgi-dev libpq-dev libxml2-dev libpcre2-dev libsodium-dev
	libcurl4-openssl-dev postgresql-15 postgresql-contrib nginx-light
	python3 python3-aiosmtpd python3-icalendar curl libxml2-utils default-jre-headless lynx openssl mandoc iproute2
	chromium fonts-dejavu-core fonts-noto-core
	libqrencode-dev zbar-tools clang libclang-rt-14-dev
	g++ libicu-dev libphonenumber-dev libprotobuf-dev sqlmap wapiti valgrind)

# Files cr_install_packages writes around apt-get (variables so a test can
# point them elsewhere): postgresql-common's cluster creation settings, and
# the policy that keeps packages from starting services.
cr_createcluster_conf=/etc/postgresql-common/createcluster.conf
cr_policy_rc_d=/usr/sbin/policy-rc.d

# Prints a progress line on stderr.
cr_say() {
	printf 'creneau: %s\n' "$*" >&2
}

# Prints an error on stderr and exits 1.
cr_die() {
	printf 'creneau: error: %s\n' "$*" >&2
	exit 1
}

# Succeeds when we are root.
cr_is_root() {
	[ "$(id -u)" -eq 0 ]
}

# --- packages --------------------------------------------------------------

# Prints the names of the packages (from the arguments) not installed.
cr_missing_packages() {
	local p
	for p in "$@"; do
		case $(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true) in
		*" installed") ;;
		*) printf '%s\n' "$p" ;;
		esac
	done
}

# Installs the missing Debian packages (as root), or explains what to run
# and exits 1. Keeps the packages from creating a system PostgreSQL cluster
# or starting any service while they install.
cr_install_packages() {
	local want=("${CRENEAU_PACKAGES[@]}") missing policy=""
	command -v npm >/dev/null 2>&1 || want+=(npm)
	command -v dpkg-query >/dev/null 2>&1 ||
		cr_die "dpkg-query not found: these scripts need Debian 12 (bookworm)"
	mapfile -t missing < <(cr_missing_packages "${want[@]}")
	[ "${#missing[@]}" -eq 0 ] && return 0
	if ! cr_is_root; then
		cr_say "missing Debian packages: ${missing[*]}"
		cr_say "install them with:"
		printf '    sudo apt-get install --no-install-recommends %s\n' "${missing[*]}" >&2
		cr_say "(Debian may create and start a system PostgreSQL and nginx; creneau uses neither)"
		exit 1
	fi
	cr_say "installing ${missing[*]}"
	# No main cluster: postgresql-15's postinst reads create_main_cluster
	# from this file. When postgresql-common installs, ucf finds a file it
	# did not write and, non-interactively, keeps it.
	if [ ! -e "$cr_createcluster_conf" ]; then
		mkdir -p "$(dirname "$cr_createcluster_conf")"
		printf '# written by creneau script/lib.sh: no system cluster on install\ncreate_main_cluster = false\n' \
			>"$cr_createcluster_conf"
	fi
	# No service started during the install; the policy goes afterwards,
	# also when apt-get fails or the install is interrupted.
	if [ ! -e "$cr_policy_rc_d" ]; then
		policy=$cr_policy_rc_d
		# shellcheck disable=SC2064 # expand $policy now
		trap "rm -f '$policy'; trap - EXIT; exit 130" INT TERM HUP
		# shellcheck disable=SC2064
		trap "rm -f '$policy'" EXIT
		printf '#!/bin/sh\n# written by creneau script/lib.sh during apt-get install\nexit 101\n' >"$policy"
		chmod 755 "$policy"
	fi
	local rc=0
	{ apt-get update -qq &&
		DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "${missing[@]}"; } || rc=$?
	if [ -n "$policy" ]; then
		rm -f "$policy"
		trap - INT TERM HUP EXIT
	fi
	[ "$rc" -eq 0 ] || cr_die "apt-get install failed (status $rc)"
}

# Installs the npm development tools (the Nu Html Checker, playwright-core
# and @axe-core/playwright) when one is missing or package-lock.json is
# newer than what node_modules holds.
# --ignore-scripts: vnu-jar's postinstall would fetch a Java runtime; the
# system one (default-jre-headless) is used instead:
#   java -jar node_modules/vnu-jar/build/dist/vnu.jar
# and playwright-core never downloads a browser: the tests launch
# /usr/bin/chromium.
cr_npm_ci() {
	local m=$top/node_modules
	if [ -f "$m/vnu-jar/build/dist/vnu.jar" ] &&
		[ -f "$m/playwright-core/package.json" ] &&
		[ -f "$m/@axe-core/playwright/package.json" ] &&
		[ -f "$m/.package-lock.json" ] && ! [ "$top/package-lock.json" -nt "$m/.package-lock.json" ]; then
		return 0
	fi
	cr_say "npm ci (vnu-jar, playwright-core, @axe-core/playwright)"
	(cd "$top" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) ||
		cr_die "npm ci failed"
}

# Packages, then npm tools.
cr_install() {
	cr_install_packages
	cr_npm_ci
}

# --- build -----------------------------------------------------------------

# Configures (when Makefile is missing or older than configure.ac or
# Makefile.am) and builds in the source tree. This is the development and
# test build: --enable-test-hooks lets script/check-security switch on
# reusable form tokens (test_reuse_form_tokens); a release build, configured
# without it, refuses that key at start.
cr_build() {
	cd "$top" || return 1
	# A tree configured by hand without the test hooks is configured
	# again: the scanners' test mode needs them (the Makefile says).
	if [ ! -f Makefile ] || [ configure.ac -nt Makefile ] || [ Makefile.am -nt Makefile ] ||
		! grep -q 'DCRENEAU_TEST_HOOKS' Makefile 2>/dev/null; then
		cr_say "configuring"
		{ ./autogen.sh && ./configure -q --enable-test-hooks; } || cr_die "autogen.sh/configure failed"
	fi
	cr_say "building"
	make -j2 || cr_die "make failed"
	local b
	for b in creneau-fcgi creneau-admin; do
		[ -x "$top/$b" ] || cr_die "the build did not produce ./$b"
	done
}

# The sanitiser build (issue 13): creneau-fcgi built with AddressSanitizer
# and UndefinedBehaviorSanitizer (configure --enable-sanitizers, and the
# options cr_build uses), for t/sanitizers/requests.t. automake refuses a
# VPATH build of a source tree configured in place, as cr_build's is, and
# VPATH would pick up the tree's own objects: so the build is a copy of
# the files git knows (tracked, or new and not ignored) in
# var/build-asan/, configured in place there. Only the files that changed
# are copied again: a second run recompiles only what they touch. Prints
# the path of the binary; fails outside a git checkout.
cr_build_asan() {
	local b=$top/var/build-asan
	git -C "$top" rev-parse --is-inside-work-tree >/dev/null 2>&1 ||
		cr_die "the sanitiser build copies the files git knows: $top is not a git checkout"
	mkdir -p "$b"
	# A file is copied when its content differs from the copy's, and
	# gets the time of the copy: make then rebuilds what depends on it,
	# even when it was edited during an earlier build.
	(cd "$top" && git ls-files -z --cached --others --exclude-standard) |
		python3 -c '
import os, shutil, sys
src, dst = sys.argv[1], sys.argv[2]
for rel in sys.stdin.buffer.read().decode().split("\0"):
    s, d = os.path.join(src, rel), os.path.join(dst, rel)
    if not rel or not os.path.isfile(s):
        continue
    with open(s, "rb") as f:
        new = f.read()
    try:
        with open(d, "rb") as f:
            if f.read() == new:
                continue
    except OSError:
        os.makedirs(os.path.dirname(d), exist_ok=True)
    with open(d + ".tmp", "wb") as f:
        f.write(new)
    shutil.copymode(s, d + ".tmp")
    os.replace(d + ".tmp", d)
' "$top" "$b" || cr_die "copying the sources into $b failed"
	(
		cd "$b" || exit 1
		if [ ! -f Makefile ] || [ configure.ac -nt Makefile ] || [ Makefile.am -nt Makefile ]; then
			cr_say "configuring the sanitiser build in $b"
			{ ./autogen.sh >autogen.log 2>&1 &&
				./configure -q --enable-sanitizers --enable-test-hooks; } ||
				cr_die "autogen.sh/configure of the sanitiser build failed (see $b/config.log)"
		fi
		cr_say "building the sanitiser build of creneau-fcgi"
		make -s -j2 creneau-fcgi >/dev/null || cr_die "make creneau-fcgi (sanitisers) failed"
	) || return 1
	[ -x "$b/creneau-fcgi" ] || cr_die "the sanitiser build did not produce $b/creneau-fcgi"
	printf '%s\n' "$b/creneau-fcgi"
}

# --- state directory and run-as user ---------------------------------------

# Runs a command as the service user (creneau when we are root, else us),
# from the state directory (or /) so no tool trips on an unreadable cwd.
cr_as() {
	if cr_is_root; then
		(cd "${state:-/}" 2>/dev/null || cd /; exec runuser -u creneau -- "$@")
	else
		(cd "${state:-/}" 2>/dev/null || cd /; exec "$@")
	fi
}

# As root: makes sure the system user creneau exists and can read the
# source tree (templates, static files, catalogues, schema, binaries).
cr_runas_setup() {
	cr_is_root || return 0
	if ! id -u creneau >/dev/null 2>&1; then
		cr_say "creating system user creneau (PostgreSQL will not run as root)"
		useradd --system --user-group --no-create-home --shell /usr/sbin/nologin creneau
	fi
	if ! runuser -u creneau -- test -r "$top/templates" -a -x "$top/templates" -a -x "$top/schema" -a -x "$top/schema/code" -a -x "$top/static"; then
		local d=$top dirs=()
		while [ "$d" != / ]; do
			[ -n "$(find "$d" -maxdepth 0 ! -perm -o=x)" ] && dirs+=("$d")
			d=$(dirname "$d")
		done
		if [ "${#dirs[@]}" -gt 0 ]; then
			cr_say "user creneau must reach $top: chmod o+x ${dirs[*]}"
			chmod o+x "${dirs[@]}"
		fi
		runuser -u creneau -- test -r "$top/templates" ||
			cr_die "user creneau still cannot read $top/templates; check its permissions"
	fi
}

# Sets the state variables for var/<name> (no side effects): state,
# pgdata, logdir, conf, rundir, and saved_port/saved_pgport (the ports of
# the last start, from its env file, or empty).
cr_state_vars() {
	state=$top/var/$1
	pgdata=$state/pgdata
	logdir=$state/log
	conf=$state/creneau.conf
	rundir=$state/run
	if [ -L "$state/run" ]; then
		rundir=$(readlink "$state/run")
	fi
	# shellcheck disable=SC2034 # used by script/server and script/ctl
	saved_port='' saved_pgport='' saved_smtp_port='' saved_sms_port=''
	if [ -f "$state/env" ]; then
		# shellcheck disable=SC2034
		saved_port=$(sed -n 's/^CRENEAU_PORT=//p' "$state/env")
		# shellcheck disable=SC2034
		saved_pgport=$(sed -n 's/^PGPORT=//p' "$state/env")
		# shellcheck disable=SC2034
		saved_smtp_port=$(sed -n 's/^CRENEAU_SMTP_PORT=//p' "$state/env")
		# shellcheck disable=SC2034
		saved_sms_port=$(sed -n 's/^CRENEAU_SMS_PORT=//p' "$state/env")
	fi
}

# Writes the env file of the state directory (CRENEAU_PORT, PGPORT, and
# the development mailbox's CRENEAU_SMTP_PORT and CRENEAU_SMS_PORT).
cr_state_save() {
	printf 'CRENEAU_PORT=%s\nPGPORT=%s\nCRENEAU_SMTP_PORT=%s\nCRENEAU_SMS_PORT=%s\n' \
		"$CRENEAU_PORT" "$PGPORT" "${CRENEAU_SMTP_PORT:-}" "${CRENEAU_SMS_PORT:-}" >"$state/env"
}

# Creates var/<name>/ and its directories; with "fresh", stops whatever a
# previous run left there and wipes it first. Sets the state variables.
# Unix socket paths are limited to 107 bytes: if var/<name>/run is too
# deep, the sockets go to a short directory under /tmp, linked as run.
cr_state_init() {
	local name=$1 fresh=${2:-}
	case $top in
	*[[:space:]]*) cr_die "the source tree path contains blanks: $top" ;;
	esac
	cr_state_vars "$name"
	if [ "$fresh" = fresh ] && [ -e "$state" ]; then
		cr_stop_all
		# A tmpfs t/faults/disk_full.t left mounted (killed mid-test).
		if mountpoint -q "$state/diskfull" 2>/dev/null; then
			umount "$state/diskfull" || cr_die "cannot unmount $state/diskfull"
		fi
		case $rundir in
		/tmp/creneau-run.*) rm -rf "$rundir" ;;
		esac
		rm -rf "$state"
		cr_state_vars "$name"
	fi
	mkdir -p "$state" "$logdir" "$state/nginx"
	if [ ! -e "$state/run" ] && [ ! -L "$state/run" ]; then
		if [ "${#state}" -gt 80 ]; then
			rundir=$(mktemp -d /tmp/creneau-run.XXXXXX)
			ln -s "$rundir" "$state/run"
		else
			mkdir -p "$state/run"
		fi
	fi
	cr_state_vars "$name"
	mkdir -p "$rundir"
	if [ ! -s "$state/secret" ]; then
		(umask 077 && head -c 32 /dev/urandom >"$state/secret")
	fi
	chmod 600 "$state/secret"
	if cr_is_root; then
		chown -R creneau:creneau "$state" "$rundir"
	fi
}

# Prints a free TCP port on 127.0.0.1.
cr_free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}

# Succeeds when nothing listens on 127.0.0.1:$1.
cr_port_free() {
	python3 -c 'import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)' "$1"
}

# Prints the pid in file $1 when that process is alive (and, if $2 is
# given, its command line contains $2); fails otherwise.
cr_pid_alive() {
	local pid
	[ -s "$1" ] || return 1
	pid=$(head -n 1 "$1" 2>/dev/null) || return 1
	case $pid in '' | *[!0-9]*) return 1 ;; esac
	kill -0 "$pid" 2>/dev/null || return 1
	if [ -n "${2:-}" ]; then
		tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "$2" || return 1
	fi
	printf '%s\n' "$pid"
}

# Sends TERM (or $3) to the pid in file $1 (command matching $2) and waits
# up to 20 s for it to exit, then KILLs it. Fine if it is not running.
cr_stop_pidfile() {
	local pid i
	pid=$(cr_pid_alive "$1" "$2") || return 0
	kill "-${3:-TERM}" "$pid" 2>/dev/null || true
	for ((i = 0; i < 200; i++)); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	cr_say "$2 (pid $pid) did not stop in 20 s; killing it"
	kill -KILL "$pid" 2>/dev/null || true
}

# Prints the last lines of the logs of the state directory on stderr.
cr_show_logs() {
	local f
	for f in "$logdir"/postgresql.log "$logdir"/creneau-fcgi.log "$logdir"/nginx-error.log; do
		[ -s "$f" ] || continue
		printf '\n==> %s (last 30 lines) <==\n' "$f" >&2
		tail -n 30 "$f" >&2
	done
}

# --- PostgreSQL ------------------------------------------------------------

# Succeeds when the state directory's PostgreSQL is running.
cr_pg_running() {
	[ -f "$pgdata/PG_VERSION" ] && cr_as "$PGBIN/pg_ctl" -D "$pgdata" status >/dev/null 2>&1
}

# Creates the cluster (trust authentication, superuser creneau) if needed.
cr_pg_init() {
	[ -f "$pgdata/PG_VERSION" ] && return 0
	cr_say "initdb $pgdata"
	cr_as "$PGBIN/initdb" -D "$pgdata" --auth=trust --username="$CRENEAU_DBUSER" \
		--encoding=UTF8 --locale=C.UTF-8 >"$logdir/initdb.log" 2>&1 ||
		{ cat "$logdir/initdb.log" >&2; cr_die "initdb failed"; }
}

# Writes the cluster's pg_hba.conf (at every start; the cluster is ours):
# trust on the unix socket in run/, and on TCP (127.0.0.1 only) nothing
# but streaming replication by the role creneau_replication with its
# password (cr_standby_start), so no other local user logs in over TCP.
cr_pg_hba() {
	cat >"$pgdata/pg_hba.conf" <<'EOF'
# Written by script/lib.sh (cr_pg_hba) at every start of this cluster.
# The unix socket lives in the state directory's run/: trust.
local   all          all                                  trust
local   replication  all                                  trust
# TCP on 127.0.0.1: only a streaming standby (cr_standby_start), with the
# password of creneau_replication; any other TCP connection is refused.
host    replication  creneau_replication  127.0.0.1/32    scram-sha-256
EOF
	if cr_is_root; then
		chown creneau:creneau "$pgdata/pg_hba.conf"
	fi
}

# Starts PostgreSQL on a unix socket in run/ and on 127.0.0.1:$PGPORT
# (replication only, see cr_pg_hba; unless that port is taken, say by a
# system PostgreSQL on 5432 beside script/server: then the unix socket
# only, and no standby), durable, ready to feed a streaming standby
# (wal_level replica, WAL senders, replication slots whose retained WAL
# is bounded).
cr_pg_start() {
	local listen=127.0.0.1
	cr_pg_init
	cr_pg_running && return 0
	cr_pg_hba
	if ! cr_port_free "$PGPORT"; then
		cr_say "127.0.0.1:$PGPORT is taken: PostgreSQL listens on its unix socket only (no streaming standby)"
		listen=
	fi
	cr_as "$PGBIN/pg_ctl" -w -t 60 -D "$pgdata" -l "$logdir/postgresql.log" \
		-o "-c listen_addresses='$listen' -c unix_socket_directories='$rundir' -c port=$PGPORT -c fsync=on -c synchronous_commit=on -c shared_preload_libraries=pg_stat_statements -c track_functions=all -c wal_level=replica -c max_wal_senders=10 -c max_replication_slots=10 -c max_slot_wal_keep_size=1GB" \
		start >/dev/null || { cr_show_logs; cr_die "PostgreSQL did not start"; }
}

# Stops PostgreSQL (fast shutdown); fine if it is not running.
cr_pg_stop() {
	cr_pg_running || return 0
	cr_as "$PGBIN/pg_ctl" -D "$pgdata" -m fast -w -t 60 stop >/dev/null
}

# Restarts PostgreSQL with shutdown mode $1 (fast: sessions are ended
# cleanly; immediate: as after a crash, recovery from the WAL), with the
# options of its last start (postmaster.opts). The fault tests use it.
cr_pg_restart() {
	case ${1:-fast} in
	fast | immediate) ;;
	*) cr_die "cr_pg_restart: mode fast or immediate, not $1" ;;
	esac
	cr_as "$PGBIN/pg_ctl" -D "$pgdata" -m "${1:-fast}" -w -t 60 \
		-l "$logdir/postgresql.log" restart >/dev/null
}

# Runs psql on the state directory's database as the service user.
cr_psql() {
	cr_as env PGHOST="$rundir" PGPORT="$PGPORT" PGUSER="$CRENEAU_DBUSER" \
		psql -X -q -v ON_ERROR_STOP=1 "$@"
}

# Creates the database if missing.
cr_db_create() {
	if [ "$(cr_psql -d postgres -Atc "SELECT 1 FROM pg_database WHERE datname = '$CRENEAU_DB'")" != 1 ]; then
		cr_say "creating database $CRENEAU_DB"
		cr_as env PGHOST="$rundir" PGPORT="$PGPORT" \
			"$PGBIN/createdb" -U "$CRENEAU_DBUSER" -E UTF8 "$CRENEAU_DB"
	fi
}

# Applies the migrations (creneau-admin migrate) and loads the demo data.
cr_db_setup() {
	cr_db_create
	cr_say "migrating"
	cr_as "$top/creneau-admin" -c "$conf" migrate || { cr_show_logs; cr_die "creneau-admin migrate failed"; }
	if [ -f "$top/schema/demo.sql" ]; then
		cr_say "loading demo data"
		cr_psql -d "$CRENEAU_DB" -f "$top/schema/demo.sql" >"$logdir/demo.log" ||
			{ cat "$logdir/demo.log" >&2; cr_die "schema/demo.sql failed"; }
		cr_demo_staff
	fi
}

# Loads production-size data (bench/prodsize.sh: 100 sites, a year of
# slots, about a million bookings; PRODSIZE_SITES=3 for a quick run) into
# database $1 (default $CRENEAU_DB) of the running state, migrated first.
cr_load_prodsize() {
	cr_as env PGHOST="$rundir" PGPORT="$PGPORT" PGUSER="$CRENEAU_DBUSER" \
		PRODSIZE_SITES="${PRODSIZE_SITES:-100}" PRODSIZE_DAYS="${PRODSIZE_DAYS:-365}" \
		PRODSIZE_HISTORY="${PRODSIZE_HISTORY:-60}" PRODSIZE_JOBS="${PRODSIZE_JOBS:-2}" \
		bash "$top/bench/prodsize.sh" -d "${1:-$CRENEAU_DB}"
}

# The demo staff accounts (CRENEAU_DEMO_STAFF: "email role password
# name|site-slugs-or-organisation" lines), created once.
CRENEAU_DEMO_STAFF="admin@creneau.test administrator demo-admin-2026 Administratrice démo|
agent.creteil@creneau.test agent demo-agent-2026 Agent Créteil|prefecture-val-de-marne sous-prefecture-nogent-sur-marne sous-prefecture-l-hay-les-roses
superviseur.creteil@creneau.test supervisor demo-super-2026 Superviseur Créteil|prefecture-val-de-marne sous-prefecture-nogent-sur-marne sous-prefecture-l-hay-les-roses
agent.lyon@creneau.test agent demo-agent-2026 Agent Lyon|prefecture-rhone
mediateur@creneau.test mediator demo-media-2026 Médiatrice France Services|France Services Créteil"

cr_demo_staff() {
	local email role pw rest name args
	while read -r email role pw rest; do
		[ -n "$email" ] || continue
		name=${rest%%|*}
		args=${rest#*|}
		if [ "$(cr_psql -d "$CRENEAU_DB" -Atc "SELECT count(*) FROM staff_accounts WHERE email = '$email'")" = 1 ]; then
			continue
		fi
		if [ "$role" = mediator ]; then
			printf '%s\n' "$pw" | cr_as "$top/creneau-admin" -c "$conf" staff-add "$email" "$role" "$name" "$args" >/dev/null
		else
			# shellcheck disable=SC2086 # site slugs are separate words
			printf '%s\n' "$pw" | cr_as "$top/creneau-admin" -c "$conf" staff-add "$email" "$role" "$name" $args >/dev/null
		fi || cr_die "creating the demo account $email failed"
	done <<<"$CRENEAU_DEMO_STAFF"
}

# --- creneau-fcgi ------------------------------------------------------------

# Writes creneau.conf for the state directory.
cr_write_conf() {
	cat >"$conf" <<EOF
# Generated by script/lib.sh for $state; rewritten at every start.
database = host=$rundir port=$PGPORT dbname=$CRENEAU_DB user=$CRENEAU_DBUSER
socket = $rundir/fcgi.sock
workers = ${CRENEAU_WORKERS:-2}
listen_backlog = ${CRENEAU_LISTEN_BACKLOG:-1024}
pid_file = $rundir/creneau-fcgi.pid
templates = $top/templates
locale_dir = $top/po/locale
schema_dir = $top/schema
access_log = -
default_language = fr
languages = fr en ar
max_body = 65536
max_fields = 64
max_field_length = 4096
retry_after = 30
secret_file = $state/secret
form_min_seconds = ${CRENEAU_FORM_MIN_SECONDS:-3}
hold_minutes = ${CRENEAU_HOLD_MINUTES:-10}
# creneau-notify: a loopback SMTP server and SMS endpoint (t/notify starts
# its own and overrides these), links to this server.
base_url = http://127.0.0.1:$CRENEAU_PORT
smtp_url = smtp://127.0.0.1:${CRENEAU_SMTP_PORT:-2525}
smtp_from = creneau@localhost
sms_url = http://127.0.0.1:${CRENEAU_SMS_PORT:-13013}/cgi-bin/sendsms
sms_user = creneau
notify_poll_seconds = 30
notify_max_per_day = 10
alert_days = 90
reminder_hours = 48
# Waiting room of open releases (issue 4): fast, so t/http/waiting_room.t
# drains its crowd in seconds.
admission_per_minute = ${CRENEAU_ADMISSION_PER_MINUTE:-600}
waiting_room_minutes = ${CRENEAU_WAITING_ROOM_MINUTES:-60}
# Form tokens per address a minute: every test runs from 127.0.0.1, and
# ratelimit.t's 200 applicants behind one address must not find the
# budget used by the test before it (doors.t reads this value).
form_tokens_per_address = ${CRENEAU_FORM_TOKENS_PER_ADDRESS:-1000}
EOF
	if cr_is_root; then
		chown creneau:creneau "$conf"
	fi
}

# Prints the supervisor pid of creneau-fcgi; fails when it is not running.
cr_fcgi_pid() {
	cr_pid_alive "$rundir/creneau-fcgi.pid" creneau-fcgi
}

# Starts creneau-fcgi in the background (own session, output to
# log/creneau-fcgi.log) and waits for its socket. CRENEAU_FCGI_BIN names
# another binary (t/sanitizers/requests.t: the sanitiser build).
cr_fcgi_start() {
	local i runner bin=${CRENEAU_FCGI_BIN:-$top/creneau-fcgi}
	cr_fcgi_pid >/dev/null && return 0
	rm -f "$rundir/fcgi.sock"
	[ -f "$conf" ] || cr_write_conf
	printf '\n--- %s start %s\n' "$(date '+%F %T')" "$bin" >>"$logdir/creneau-fcgi.log"
	if cr_is_root; then
		setsid runuser -u creneau -- "$bin" -c "$conf" \
			</dev/null >>"$logdir/creneau-fcgi.log" 2>&1 &
	else
		setsid "$bin" -c "$conf" \
			</dev/null >>"$logdir/creneau-fcgi.log" 2>&1 &
	fi
	runner=$!
	for ((i = 0; i < 150; i++)); do
		[ -S "$rundir/fcgi.sock" ] && cr_fcgi_pid >/dev/null && return 0
		if ! kill -0 "$runner" 2>/dev/null; then
			cr_show_logs
			cr_die "creneau-fcgi exited at start-up"
		fi
		sleep 0.1
	done
	cr_show_logs
	cr_die "creneau-fcgi did not create $rundir/fcgi.sock (and $rundir/creneau-fcgi.pid) in 15 s"
}

# Stops creneau-fcgi gracefully (TERM to the supervisor, then waits).
cr_fcgi_stop() {
	cr_stop_pidfile "$rundir/creneau-fcgi.pid" creneau-fcgi TERM
}

# --- nginx -------------------------------------------------------------------

# Writes nginx.conf from conf/nginx/dev.conf.in.
cr_nginx_conf() {
	sed -e "s|@PORT@|$CRENEAU_PORT|g" -e "s|@STATE@|$state|g" \
		-e "s|@RUN@|$rundir|g" -e "s|@SOCKET@|$rundir/fcgi.sock|g" \
		-e "s|@TOP@|$top|g" -e "s|@RATE@|${CRENEAU_NGINX_RATE:-200}|g" \
		"$top/conf/nginx/dev.conf.in" >"$state/nginx.conf"
	if cr_is_root; then
		chown creneau:creneau "$state/nginx.conf"
	fi
}

# Prints the nginx master pid; fails when it is not running.
cr_nginx_pid() {
	cr_pid_alive "$rundir/nginx.pid" nginx
}

# Starts nginx (it daemonises) on 127.0.0.1:$CRENEAU_PORT.
cr_nginx_start() {
	cr_nginx_pid >/dev/null && return 0
	[ -f "$state/nginx.conf" ] || cr_nginx_conf
	cr_port_free "$CRENEAU_PORT" ||
		cr_die "port $CRENEAU_PORT on 127.0.0.1 is in use (set CRENEAU_PORT to another one)"
	cr_as /usr/sbin/nginx -p "$state/nginx" -c "$state/nginx.conf" -e "$logdir/nginx-error.log" ||
		{ cr_show_logs; cr_die "nginx did not start"; }
}

# Stops nginx gracefully (QUIT lets requests in flight finish).
cr_nginx_stop() {
	cr_stop_pidfile "$rundir/nginx.pid" nginx QUIT
}

# --- everything ----------------------------------------------------------------

# Waits up to 30 s for /healthz to answer 200; shows the logs and fails
# otherwise.
cr_wait_healthy() {
	local i url="http://127.0.0.1:$CRENEAU_PORT/healthz"
	for ((i = 0; i < 60; i++)); do
		curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
		sleep 0.5
	done
	curl -sS -i --max-time 2 "$url" >&2 || true
	cr_show_logs
	cr_die "$url did not answer 200 in 30 s"
}

# Sets up var/<name> and starts PostgreSQL, creneau-fcgi and nginx, then
# waits for /healthz. Uses CRENEAU_PORT and PGPORT.
cr_start_all() {
	cr_state_save
	cr_pg_start
	cr_write_conf
	cr_db_setup
	cr_fcgi_start
	cr_sweeper_start
	cr_nginx_conf
	cr_nginx_start
	cr_wait_healthy
}

# Development only (script/server): a loopback mailbox and SMS gateway
# (script/devmail) and creneau-notify delivering to them, so the codes
# and messages can be read in $state/mail and $state/sms. script/test
# leaves them out: the notification tests run their own.
cr_dev_messages_start() {
	local pid
	if ! cr_pid_alive "$rundir/devmail.pid" devmail >/dev/null; then
		cr_as setsid bash -c 'echo $$ >"$1"; exec "$2" "$3" "$4" "$5"' devmail \
			"$rundir/devmail.pid" "$top/script/devmail" "$state" \
			"$CRENEAU_SMTP_PORT" "$CRENEAU_SMS_PORT" >>"$logdir/devmail.log" 2>&1 &
	fi
	if ! cr_pid_alive "$rundir/notify.pid" creneau-notify >/dev/null; then
		cr_as setsid bash -c 'echo $$ >"$1"; exec "$2" -c "$3"' notify \
			"$rundir/notify.pid" "$top/creneau-notify" "$conf" \
			>>"$logdir/creneau-notify.log" 2>&1 &
	fi
	for pid in 1 2 3 4 5 6 7 8 9 10; do
		[ -s "$rundir/devmail.pid" ] && [ -s "$rundir/notify.pid" ] && return 0
		sleep 0.2
	done
}

# Starts script/sweeper (booking housekeeping every minute) in the
# background, as the timer unit does in production.
cr_sweeper_start() {
	cr_pid_alive "$rundir/sweeper.pid" script/sweeper >/dev/null && return 0
	rm -f "$rundir/sweeper.pid"
	cr_as setsid "$top/script/sweeper" "$conf" "$rundir/sweeper.pid" \
		>>"$logdir/sweeper.log" 2>&1 &
}

# --- past one machine: a streaming standby, more application hosts ----------

# cr_standby_start [NAME [PORT]]
#   Starts a PostgreSQL streaming hot standby of the state directory's
#   primary (running, cr_pg_start; its PGPORT set), on this machine:
#     data directory  $state/NAME (default NAME: standby)
#     log             $logdir/NAME.log
#     socket          $rundir/.s.PGSQL.PORT (unix socket only, no TCP);
#                     PORT: the argument, else the one of its last start
#                     ($state/NAME.env), else a free one
#   The first time, it takes a base backup over TCP (pg_basebackup -R:
#   standby.signal, primary_conninfo host=127.0.0.1 port=$PGPORT as the
#   role creneau_replication, whose password is in $state/pgpass, mode
#   0600; a physical replication slot creneau_NAME keeps the WAL the
#   standby has not received, up to the primary's max_slot_wal_keep_size).
#   Later calls restart the same standby. Returns once it accepts
#   read-only connections (consistent) and streams from the primary.
#   Sets standby_pgdata, standby_port and standby_conninfo (a libpq
#   conninfo, for creneau.conf's database_standby, or psql "$standby_conninfo").
#   Idempotent. Stopped by cr_standby_stop, and by cr_stop_all.
cr_standby_start() {
	local name=${1:-standby} port=${2:-} pw i slot
	case $name in *[!a-z0-9_]* | '') cr_die "cr_standby_start: bad name '$name'" ;; esac
	cr_pg_running || cr_die "cr_standby_start: the primary of $state is not running"
	[ "$(cr_psql -d postgres -Atc 'SHOW listen_addresses')" = 127.0.0.1 ] ||
		cr_die "cr_standby_start: the primary does not listen on 127.0.0.1:$PGPORT (the port was taken when it started)"
	standby_pgdata=$state/$name
	slot=creneau_$name
	if [ -z "$port" ] && [ -f "$state/$name.env" ]; then
		port=$(sed -n 's/^STANDBY_PORT=//p' "$state/$name.env")
	fi
	[ -n "$port" ] || port=$(cr_free_port)
	# shellcheck disable=SC2034 # for the caller
	standby_port=$port
	# shellcheck disable=SC2034
	standby_conninfo="host=$rundir port=$port dbname=$CRENEAU_DB user=$CRENEAU_DBUSER"
	printf 'STANDBY_PORT=%s\n' "$port" >"$state/$name.env"
	if [ ! -f "$standby_pgdata/PG_VERSION" ]; then
		# The primary's side: the replication role and its password.
		if [ ! -s "$state/pgpass" ]; then
			pw=$(head -c 24 /dev/urandom | base64 | tr -d '/+=')
			(umask 077 && printf '*:*:*:creneau_replication:%s\n' "$pw" >"$state/pgpass")
		fi
		chmod 600 "$state/pgpass"
		if cr_is_root; then
			chown creneau:creneau "$state/pgpass"
		fi
		pw=$(cut -d: -f5 "$state/pgpass")
		cr_psql -d postgres >/dev/null <<EOF ||
SELECT count(*) AS have FROM pg_roles WHERE rolname = 'creneau_replication' \gset
\if :have
\else
CREATE ROLE creneau_replication REPLICATION LOGIN;
\endif
ALTER ROLE creneau_replication PASSWORD '$pw';
SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
 WHERE slot_name = '$slot' AND NOT active;
EOF
			cr_die "cr_standby_start: setting up the replication role failed"
		cr_say "base backup of the primary into $standby_pgdata"
		rm -rf "$standby_pgdata"
		cr_as "$PGBIN/pg_basebackup" -D "$standby_pgdata" -R -X stream -C -S "$slot" \
			--checkpoint=fast -d "host=127.0.0.1 port=$PGPORT user=creneau_replication passfile=$state/pgpass application_name=$name" \
			>"$logdir/$name-basebackup.log" 2>&1 ||
			{ cat "$logdir/$name-basebackup.log" >&2; cr_die "pg_basebackup failed"; }
	fi
	if ! cr_as "$PGBIN/pg_ctl" -D "$standby_pgdata" status >/dev/null 2>&1; then
		cr_as "$PGBIN/pg_ctl" -w -t 60 -D "$standby_pgdata" -l "$logdir/$name.log" \
			-o "-c listen_addresses='' -c unix_socket_directories='$rundir' -c port=$port -c hot_standby=on -c shared_preload_libraries=pg_stat_statements -c track_functions=all" \
			start >/dev/null || { tail -n 30 "$logdir/$name.log" >&2; cr_die "the standby $name did not start"; }
	fi
	for ((i = 0; i < 120; i++)); do
		[ "$(cr_as env PGHOST="$rundir" PGPORT="$port" PGUSER="$CRENEAU_DBUSER" \
			psql -X -Atq -d postgres -c "SELECT status FROM pg_stat_wal_receiver" 2>/dev/null)" = streaming ] &&
			return 0
		sleep 0.5
	done
	tail -n 30 "$logdir/$name.log" >&2
	cr_die "the standby $name does not stream from the primary"
}

# cr_standby_stop [NAME [remove]]
#   Stops the standby NAME (default standby; fast shutdown); fine if it
#   is not running. With "remove", also deletes its data directory and
#   drops its replication slot on the primary (when that runs), so the
#   primary keeps no WAL for it.
cr_standby_stop() {
	local name=${1:-standby}
	if [ -f "$state/$name/PG_VERSION" ] &&
		cr_as "$PGBIN/pg_ctl" -D "$state/$name" status >/dev/null 2>&1; then
		cr_as "$PGBIN/pg_ctl" -D "$state/$name" -m fast -w -t 60 stop >/dev/null || true
	fi
	if [ "${2:-}" = remove ]; then
		rm -rf "${state:?}/$name" "$state/$name.env"
		if cr_pg_running; then
			cr_psql -d postgres -c "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots
				WHERE slot_name = 'creneau_$name' AND NOT active" >/dev/null || true
		fi
	fi
}

# cr_host_start NAME PORT [LINE...]
#   Starts one more application host on this machine, sharing the state
#   directory's PostgreSQL: creneau-fcgi and an nginx on 127.0.0.1:PORT,
#   its files in $state/hosts/NAME/ (creneau.conf, nginx.conf, log/) and
#   its sockets and pid files in $rundir/host-NAME/. Its creneau.conf is
#   the state's (same database, same secret) with its own socket,
#   pid_file, base_url and host_name (NAME), then the LINE arguments
#   ("key = value", e.g. "database_standby = $standby_conninfo"), which
#   override. Waits for its /healthz. Stopped by cr_host_stop, and by
#   cr_stop_all.
cr_host_start() {
	local name=$1 port=$2
	shift 2
	case $name in *[!a-z0-9_]* | '') cr_die "cr_host_start: bad name '$name'" ;; esac
	[ -f "$conf" ] || cr_die "cr_host_start: $conf is missing (start the state first)"
	# The host's own paths: the functions called see these locals.
	local base=$conf line hdir=$state/hosts/$name hrun=$rundir/host-$name
	local state=$hdir rundir=$hrun logdir=$hdir/log conf=$hdir/creneau.conf
	local CRENEAU_PORT=$port
	mkdir -p "$logdir" "$state/nginx" "$rundir"
	{
		printf '# Generated by script/lib.sh (cr_host_start %s): %s, then\n' "$name" "$base"
		printf '# what this host has of its own.\n'
		grep -v '^#' "$base"
		printf 'socket = %s\npid_file = %s\nbase_url = %s\nhost_name = %s\n' \
			"$rundir/fcgi.sock" "$rundir/creneau-fcgi.pid" "http://127.0.0.1:$port" "$name"
		for line in "$@"; do
			printf '%s\n' "$line"
		done
	} >"$conf"
	if cr_is_root; then
		chown -R creneau:creneau "$state" "$rundir"
	fi
	cr_fcgi_start
	cr_nginx_conf
	cr_nginx_start
	cr_wait_healthy
}

# cr_host_stop NAME [kill]
#   Stops the host NAME of cr_host_start: nginx, then creneau-fcgi,
#   gracefully; with "kill", as a machine that dies: SIGKILL at once to
#   nginx and its workers, and to creneau-fcgi's supervisor and workers.
cr_host_stop() {
	local hrun=$rundir/host-$1 f p pids=()
	if [ "${2:-}" = kill ]; then
		for f in nginx creneau-fcgi; do
			if p=$(cr_pid_alive "$hrun/$f.pid" "$f"); then
				pids+=("$p")
				mapfile -t -O "${#pids[@]}" pids < <(ps -o pid= --ppid "$p" | tr -d ' ')
			fi
		done
		[ "${#pids[@]}" -eq 0 ] || kill -KILL "${pids[@]}" 2>/dev/null || true
		return 0
	fi
	cr_stop_pidfile "$hrun/nginx.pid" nginx QUIT
	cr_stop_pidfile "$hrun/creneau-fcgi.pid" creneau-fcgi TERM
}

# Stops nginx, creneau-fcgi and PostgreSQL of the state directory, with
# its extra hosts and standbys; idempotent.
cr_stop_all() {
	[ -d "${state:-}" ] || return 0
	local h
	for h in "$state"/hosts/*/; do
		[ -d "$h" ] && { cr_host_stop "$(basename "$h")" || true; }
	done
	for h in "$state"/*.env; do
		[ -f "$h" ] && [ "$h" != "$state/env" ] && { cr_standby_stop "$(basename "$h" .env)" || true; }
	done
	cr_nginx_stop || true
	cr_stop_pidfile "$rundir/sweeper.pid" script/sweeper || true
	cr_stop_pidfile "$rundir/notify.pid" creneau-notify || true
	cr_stop_pidfile "$rundir/devmail.pid" devmail || true
	cr_fcgi_stop || true
	cr_pg_stop || true
}

# Prints what runs in the state directory.
cr_status() {
	local pid code
	if cr_pg_running; then
		echo "postgresql:   running (socket $rundir/.s.PGSQL.$PGPORT)"
	else
		echo "postgresql:   stopped"
	fi
	if pid=$(cr_fcgi_pid); then
		echo "creneau-fcgi: running (supervisor pid $pid, socket $rundir/fcgi.sock)"
	else
		echo "creneau-fcgi: stopped"
	fi
	if pid=$(cr_nginx_pid); then
		echo "nginx:        running (pid $pid, http://127.0.0.1:$CRENEAU_PORT/)"
	else
		echo "nginx:        stopped"
	fi
	code=$(curl -s -o /dev/null -w '%{http_code}' --max-time 2 \
		"http://127.0.0.1:$CRENEAU_PORT/healthz" 2>/dev/null || true)
	echo "healthz:      ${code:-000}"
}
