#!/usr/bin/env python3
"""Request-level tests of what happens when things break: PostgreSQL
stops (503 with Retry-After, then recovery with no restart by hand), a
statement fails (500 with an incident id that is in the log), a worker is
killed (the supervisor replaces it), SIGHUP (workers replaced, still
serving)."""

import os
import re
import signal
import subprocess
import sys
import threading

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, fcgi_workers, ctl, get, psql, skip_all_unless_server, wait_for, wellformed  # noqa: E402

skip_all_unless_server()
t = TAP()


def supervisor():
    rc, out = ctl("fcgi-pid")
    return int(out) if rc == 0 and out.isdigit() else None


workers = fcgi_workers


sup = supervisor()
t.ok(sup is not None, "the supervisor runs (pid %s)" % sup)
before = workers(sup)
t.ok(len(before) >= 2, "it has workers (%d)" % len(before))

# PostgreSQL stops: 503 with Retry-After, and back to 200 by itself.
t.is_(get("/healthz").status, 200, "healthz is 200 while the database runs")
rc, _ = ctl("pg-stop")
t.is_(rc, 0, "PostgreSQL stopped")
r = get("/healthz")
t.is_(r.status, 503, "healthz answers 503 without the database")
t.ok((r.header("retry-after") or "").isdigit(), "with Retry-After")
r = get("/")
t.is_(r.status, 503, "the home page answers 503 without the database")
t.ok((r.header("retry-after") or "").isdigit(), "with Retry-After")
t.is_(wellformed(r.body), None, "the 503 page is well-formed")
t.ok("indisponible" in r.text, "the 503 page explains, in French")
rc, _ = ctl("pg-start")
t.is_(rc, 0, "PostgreSQL started again")
t.ok(wait_for(lambda: get("/healthz").status == 200, timeout=30), "healthz is 200 again, no restart by hand")
t.is_(get("/").status, 200, "the home page works again")
t.is_(supervisor(), sup, "the supervisor was not restarted")

# A statement fails: 500 with an incident id, the same id in the log.
psql("ALTER TABLE sites RENAME TO sites_hidden_by_test")
try:
    r = get("/")
finally:
    psql("ALTER TABLE sites_hidden_by_test RENAME TO sites")
t.is_(r.status, 500, "a failing statement answers 500")
t.is_(wellformed(r.body), None, "the 500 page is well-formed")
m = re.search(r"<code>([0-9a-f]{16})</code>", r.text)
t.ok(m is not None, "the 500 page shows an incident id")
log = os.path.join(os.environ["CRENEAU_VAR"], "log", "creneau-fcgi.log")
with open(log, encoding="utf-8", errors="replace") as f:
    logged = f.read()
t.ok(m is not None and m.group(1) in logged and "42P01" in logged,
     "the incident id and SQLSTATE are in the log")
t.ok(wait_for(lambda: get("/").status == 200, timeout=60), "the next request works again")

# A worker dies: the supervisor replaces it.
before = workers(sup)
victim = sorted(before)[0]
os.kill(victim, signal.SIGKILL)
t.ok(wait_for(lambda: victim not in workers(sup) and len(workers(sup)) == len(before), timeout=60),
     "a killed worker is replaced (%d workers)" % len(workers(sup)))
t.ok(all(get("/").status == 200 for _ in range(10)), "requests are answered after the kill")

# A worker dies in the middle of a GET: nginx retries it on another worker
# and the person gets the page. The GET is held inside PostgreSQL by a
# lock, every worker is killed, then the lock is released.
locker = subprocess.Popen(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"], stdin=subprocess.PIPE,
                          stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
locker.stdin.write("BEGIN; LOCK TABLE sites IN ACCESS EXCLUSIVE MODE; SELECT pg_sleep(0);\n")
locker.stdin.flush()
t.ok(wait_for(lambda: psql("SELECT count(*) FROM pg_locks WHERE relation = 'sites'::regclass "
                           "AND mode = 'AccessExclusiveLock' AND granted") == "1", timeout=30),
     "a transaction holds the sites table")
held = {}
th = threading.Thread(target=lambda: held.update(r=get("/", timeout=120)))
th.start()
t.ok(wait_for(lambda: psql("SELECT count(*) FROM pg_locks WHERE relation = 'sites'::regclass "
                           "AND NOT granted") != "0", timeout=30),
     "a GET / waits on it inside a worker")
def busy_workers():
    """The workers not waiting for a connection: the one serving the GET.
    The first field of /proc/<pid>/syscall is the call it waits in (43
    accept, 288 accept4 on x86-64; "running" while on a CPU), or 7, poll,
    with a timeout (the fourth field) of 1000 ms: an idle worker waits
    there to say once a second that its host is alive (fcgi/web/hosts.c);
    libpq waits in poll too, but with no timeout."""
    out = []
    for w in workers(sup):
        try:
            with open("/proc/%d/syscall" % w) as f:
                fields = f.read().split()
            call = fields[0]
        except (OSError, IndexError):
            continue
        if call not in ("43", "288") and not (call == "7" and fields[3:4] == ["0x3e8"]):
            out.append(w)
    return out


t.ok(wait_for(lambda: len(busy_workers()) == 1, timeout=30), "one worker serves the held GET")
victims = busy_workers()
before = workers(sup)
for w in victims:
    os.kill(w, signal.SIGKILL)
t.ok(wait_for(lambda: len(workers(sup)) == len(before) and not (workers(sup) & set(victims)), timeout=60),
     "the worker killed mid-request is replaced")
locker.stdin.write("COMMIT;\n")
locker.stdin.close()
locker.wait(timeout=30)
th.join(timeout=120)
r = held.get("r")
t.is_(r.status if r else None, 200, "the GET in flight was retried on another worker: 200, not 502")

# creneau-fcgi down altogether: nginx answers with creneau's own page,
# 503 with Retry-After, not its bare 502.
rc, _ = ctl("fcgi-stop")
t.is_(rc, 0, "creneau-fcgi stopped")
r = get("/")
t.is_(r.status, 503, "with no worker, the home page answers 503")
t.ok((r.header("retry-after") or "").isdigit(), "with Retry-After")
t.is_(wellformed(r.body), None, "nginx's 503 page is well-formed")
t.ok("indisponible" in r.text and "send it again" in r.text,
     "it explains, in French and English, and says to send a form again")
rc, _ = ctl("fcgi-start")
t.is_(rc, 0, "creneau-fcgi started again")
t.ok(wait_for(lambda: get("/").status == 200, timeout=30), "and the home page works again")
sup = supervisor()

# SIGHUP: configuration and templates reloaded, every worker replaced.
before = workers(sup)
os.kill(sup, signal.SIGHUP)
t.ok(wait_for(lambda: len(workers(sup)) == len(before) and not (workers(sup) & before), timeout=60),
     "SIGHUP replaces every worker")
t.ok(all(get("/").status == 200 for _ in range(10)), "requests are answered after the reload")
t.is_(supervisor(), sup, "the supervisor kept running through the reload")

t.done()
