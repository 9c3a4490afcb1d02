#!/usr/bin/env python3
"""PostgreSQL's max_connections exhausted by other clients (pgbench holding
every free connection): workers that must connect (all of them, after a
restarted while the connections were taken) answer 503 with Retry-After, never 500; once the
connections are given back, the service answers again by itself."""

import os
import signal
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, ctl, get, psql, skip_all_unless_server, wait_for, wellformed  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
PGBENCH = "/usr/lib/postgresql/15/bin/pgbench"


def refused():
    """Whether a new connection is refused for lack of slots."""
    out = subprocess.run(["psql", "-X", "-Atqc", "SELECT 1"], capture_output=True, text=True)
    return out.returncode != 0 and "too many clients" in out.stderr


script = tempfile.NamedTemporaryFile("w", suffix=".sql", delete=False)
script.write("SELECT pg_sleep(0.5);\n")
script.close()
os.chmod(script.name, 0o644)
holder = None
try:
    # The workers give their connections back first (they would hand them
    # to their successors otherwise), then pgbench takes every free one.
    rc, _ = ctl("fcgi-stop")
    t.is_(rc, 0, "creneau-fcgi stopped: its workers closed their connections")
    for _ in range(5):
        free = int(psql("SELECT current_setting('max_connections')::int - count(*) FROM pg_stat_activity "
                        "WHERE backend_type = 'client backend'")) + 1   # psql's own connection ends
        holder = subprocess.Popen([PGBENCH, "-n", "-c", str(free), "-j", "1", "-T", "600", "-f", script.name],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        if wait_for(lambda: holder.poll() is not None or refused(), timeout=60):
            if holder.poll() is None:
                break
        holder = None
    t.ok(holder is not None and refused(), "pgbench holds every connection: a new one is refused (too many clients)")
    rc, _ = ctl("fcgi-start")
    t.is_(rc, 0, "creneau-fcgi started: its workers cannot connect")
    answers = [get("/", timeout=30) for _ in range(6)]
    t.ok(all(r.status == 503 for r in answers), "the home page answers 503 (%s)" % [r.status for r in answers])
    t.ok(all((r.header("retry-after") or "").isdigit() for r in answers), "with Retry-After")
    t.is_(wellformed(answers[0].body), None, "the 503 page is well-formed")
    t.ok("indisponible" in answers[0].text, "and says, in French, that the service is unavailable")
    r = get("/healthz", timeout=30)
    t.is_(r.status, 503, "healthz answers 503")
finally:
    ctl("fcgi-start")
    if holder is not None and holder.poll() is None:
        holder.send_signal(signal.SIGINT)
        try:
            holder.wait(timeout=30)
        except subprocess.TimeoutExpired:
            holder.kill()
            holder.wait()
    os.unlink(script.name)
t.ok(wait_for(lambda: not refused(), timeout=60), "pgbench gave the connections back")
t.ok(wait_for(lambda: get("/healthz").status == 200, timeout=60), "healthz is 200 again, no restart by hand")
t.ok(all(get("/").status == 200 for _ in range(6)), "the home page answers 200 again")
t.done()
