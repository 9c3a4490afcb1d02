#!/usr/bin/env python3
"""creneau-report on a real hot standby: a streaming replica of the test
cluster (script/ctl standby-start, i.e. script/lib.sh cr_standby_start:
pg_basebackup -R, a replication slot, unix socket only) is started,
catches up with a known history (t/report/report_data.py),
and the report read through database_report pointing at it is byte for
byte the report read from the primary. The standby is really in
recovery and refuses writes, so the report never writes where it reads.
The standby is removed afterwards (cr_standby_stop NAME remove)."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, here)
from creneau_test import TAP, ctl, psql, skip_all_unless_server  # noqa: E402
from report_data import EXPECTED, History  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
top = os.environ.get("top_builddir") or os.path.join(here, "..", "..")
program = os.path.join(top, "creneau-report")
conf = os.environ["CRENEAU_CONF"]
STANDBY = "report_standby"     # its name in the state directory


def standby_psql(conninfo, sql):
    return subprocess.run(["psql", "-X", "-A", "-t", "-q", "-d", conninfo, "-c", sql],
                          capture_output=True, text=True)


h = History("standby", days_back=3)
first, last = h.range()
tmp = tempfile.mkdtemp(prefix="creneau-standby-")
os.chmod(tmp, 0o755)
try:
    rc, sock = ctl("standby-start", STANDBY)
    if rc != 0 or not sock.startswith("host="):
        raise RuntimeError("script/ctl standby-start %s failed (%s)" % (STANDBY, sock))
    t.ok(True, "standby: started from a base backup")
    t.is_(standby_psql(sock, "SELECT pg_is_in_recovery()").stdout.strip(), "t", "standby: in recovery")
    # A change made after the base backup must reach it by streaming.
    psql("INSERT INTO reporting.refusals_seen (day, action, refusals) VALUES (DATE '%s', 'standby_%s', 7)"
         % (h.d1.isoformat(), h.run))
    lsn = psql("SELECT pg_current_wal_lsn()")
    deadline = time.time() + 120
    caught = False
    while time.time() < deadline and not caught:
        r = standby_psql(sock, "SELECT pg_last_wal_replay_lsn() >= '%s'::pg_lsn" % lsn)
        caught = r.stdout.strip() == "t"
        time.sleep(0.2)
    t.ok(caught, "standby: caught up by streaming replication")
    w = standby_psql(sock, "INSERT INTO reporting.frozen_days (day) VALUES (DATE '1999-01-01')")
    t.ok(w.returncode != 0 and "read-only" in w.stderr, "standby: refuses writes")

    conf_standby = os.path.join(tmp, "standby.conf")
    with open(conf) as f, open(conf_standby, "w") as g:
        g.write(f.read())
        g.write("database_report = %s\n" % sock)
    outs = {}
    for name, c in (("primary", conf), ("standby", conf_standby)):
        for scope in (["-s", h.slug], []):
            d = os.path.join(tmp, "%s-%s" % (name, "site" if scope else "all"))
            r = subprocess.run([program, "-c", c, *scope, "-f", first, "-t", last, "-o", d],
                               capture_output=True, text=True)
            t.is_(r.returncode, 0, "report on the %s (%s)" % (name, "site" if scope else "all sites"))
            if r.returncode != 0:
                t.diag(r.stderr)
            for fn in ("figures.csv", "appointments.csv", "report.xhtml"):
                p = os.path.join(d, fn)
                outs[(name, bool(scope), fn)] = open(p, "rb").read() if os.path.exists(p) else None
    for scope in (True, False):
        for fn in ("figures.csv", "appointments.csv", "report.xhtml"):
            a, b = outs[("primary", scope, fn)], outs[("standby", scope, fn)]
            t.ok(a is not None and a == b, "standby: %s (%s) byte for byte the primary's"
                 % (fn, "site" if scope else "all sites"))
    site_csv = outs[("standby", True, "figures.csv")] or b""
    booked = sum(int(line.split(b",")[-1]) for line in site_csv.split(b"\r\n")[1:]
                 if line and line.split(b",")[-2] == b"booked")
    t.is_(booked, EXPECTED["booked"], "standby: the report has the history's bookings")
    all_csv = (outs[("standby", False, "figures.csv")] or b"").decode()
    t.ok(any(line.startswith(h.d1.isoformat() + ",,,,ratelimit_refusals,") and int(line.split(",")[-1]) >= 7
             for line in all_csv.split("\r\n")),
         "standby: a row written after the base backup is in the all-sites report")
finally:
    ctl("standby-stop", STANDBY, "remove")
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
