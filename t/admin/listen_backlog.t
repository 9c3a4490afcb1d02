#!/bin/sh
# The FastCGI socket's listen queue is listen_backlog (issue 15): nginx's
# connection to a unix socket whose queue is full fails at once and the
# person gets the 503 page, so the queue must hold what nginx sends at
# once; it was a fixed 128. creneau-fcgi is started on a socket of its
# own with listen_backlog = 300 (ss shows a listening socket's queue
# size as its Send-Q), then reloaded (SIGHUP) with 600, then with more
# than net.core.somaxconn, which caps it and is logged.
top_build=${top_builddir:-.}
if [ -z "${CRENEAU_CONF:-}" ]; then
	echo "1..0 # SKIP no test configuration (run script/test)"
	exit 0
fi
if ! command -v ss >/dev/null 2>&1; then
	echo "1..0 # SKIP ss (iproute2) is not installed"
	exit 0
fi
n=0
ok() { n=$((n + 1)); if [ "$1" = 0 ]; then echo "ok $n - $2"; else echo "not ok $n - $2"; fi; }
tmp=$(mktemp -d)
pid=
trap 'if [ -n "$pid" ]; then kill -TERM "$pid" 2>/dev/null; sleep 1; fi; rm -rf "$tmp"' EXIT
max=$(cat /proc/sys/net/core/somaxconn 2>/dev/null || echo 4096)
min() { if [ "$1" -lt "$2" ]; then echo "$1"; else echo "$2"; fi; }
# The socket's queue size, or nothing while it does not listen.
queue() { ss -xlnH 2>/dev/null | awk -v s="$tmp/fcgi.sock" '$5 == s { print $4 }'; }
# Waits up to 10 s for the queue to be $1; prints what it is.
wait_queue() {
	i=0
	while [ "$(queue)" != "$1" ] && [ $i -lt 50 ]; do
		sleep 0.2
		i=$((i + 1))
	done
	queue
}
conf() {
	grep -v -e '^socket *=' -e '^pid_file *=' -e '^listen_backlog *=' -e '^workers *=' "$CRENEAU_CONF" >"$tmp/c.conf"
	printf 'socket = %s\npid_file = %s\nworkers = 1\nlisten_backlog = %s\n' \
		"$tmp/fcgi.sock" "$tmp/pid" "$1" >>"$tmp/c.conf"
}
echo "1..4"
conf 300
"$top_build/creneau-fcgi" -c "$tmp/c.conf" >"$tmp/log" 2>&1 &
i=0
while [ ! -s "$tmp/pid" ] && [ $i -lt 50 ]; do sleep 0.2; i=$((i + 1)); done
pid=$(cat "$tmp/pid" 2>/dev/null)
want=$(min 300 "$max")
got=$(wait_queue "$want")
[ "$got" = "$want" ]; ok $? "listen_backlog = 300: the socket queues $want connections (got '$got'; somaxconn $max)"
conf 600
kill -HUP "$pid" 2>/dev/null
want=$(min 600 "$max")
got=$(wait_queue "$want")
[ "$got" = "$want" ]; ok $? "reloaded with 600: the queue is $want (got '$got')"
if [ "$max" -lt 65535 ]; then
	conf $((max + 1))
	kill -HUP "$pid" 2>/dev/null
	got=$(wait_queue "$max")
	[ "$got" = "$max" ]; ok $? "reloaded with $((max + 1)): net.core.somaxconn caps it at $max (got '$got')"
	i=0
	until grep -q "capped at net.core.somaxconn" "$tmp/log" || [ $i -ge 50 ]; do sleep 0.2; i=$((i + 1)); done
	grep -q "listen_backlog $((max + 1)) is capped at net.core.somaxconn $max" "$tmp/log"
	ok $? "and the supervisor says so in its log"
else
	echo "ok 3 # SKIP net.core.somaxconn is 65535 or more"
	echo "ok 4 # SKIP net.core.somaxconn is 65535 or more"
fi
