#!/usr/bin/env python3
"""creneau-report on a real hot standby: a streaming replica of the test
cluster (pg_basebackup -R over the unix socket, its own socket directory)
is started, catches up with a known history (t/report/report_data.py),
and the report read through database_report pointing at it is byte for
byte the report read from the primary. The standby is really in
recovery and refuses writes, so the report never writes where it reads.

The standby is started here (start_standby below); when script/lib.sh
has cr_standby_start/cr_standby_stop, the lead may switch to them."""

import os
import shutil
import subprocess
import sys
import tempfile
import time

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, here)
from creneau_test import TAP, psql, skip_all_unless_server  # noqa: E402
from report_data import EXPECTED, History  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
top = os.environ.get("top_builddir") or os.path.join(here, "..", "..")
program = os.path.join(top, "creneau-report")
conf = os.environ["CRENEAU_CONF"]
pgbin = "/usr/lib/postgresql/15/bin"
as_service = ["runuser", "-u", "creneau", "--"] if os.geteuid() == 0 else []


def svc(*cmd, **kw):
    return subprocess.run(as_service + list(cmd), capture_output=True, text=True, **kw)


def start_standby(base):
    """A hot standby of the test cluster in base/ (data and socket);
    returns its socket directory, or raises."""
    data, sock = os.path.join(base, "data"), os.path.join(base, "s")
    os.makedirs(sock)
    if as_service:
        shutil.chown(base, "creneau", "creneau")
        shutil.chown(sock, "creneau", "creneau")
    r = svc(os.path.join(pgbin, "pg_basebackup"), "-h", os.environ["PGHOST"], "-p", os.environ["PGPORT"],
            "-U", os.environ["PGUSER"], "-D", data, "-R", "-X", "stream", "-c", "fast")
    if r.returncode != 0:
        raise RuntimeError("pg_basebackup: " + r.stderr)
    opts = ("-c listen_addresses='' -c unix_socket_directories='%s' -c port=%s -c hot_standby=on "
            "-c shared_preload_libraries=''" % (sock, os.environ["PGPORT"]))
    r = svc(os.path.join(pgbin, "pg_ctl"), "-w", "-t", "60", "-D", data, "-l", os.path.join(base, "log"),
            "-o", opts, "start")
    if r.returncode != 0:
        log = open(os.path.join(base, "log")).read() if os.path.exists(os.path.join(base, "log")) else ""
        raise RuntimeError("standby did not start: " + r.stderr + log)
    return sock


def stop_standby(base):
    svc(os.path.join(pgbin, "pg_ctl"), "-D", os.path.join(base, "data"), "-m", "fast", "-w", "stop")


def standby_psql(sock, sql):
    env = dict(os.environ, PGHOST=sock)
    return subprocess.run(["psql", "-X", "-A", "-t", "-q", "-c", sql], capture_output=True, text=True, env=env)


h = History("standby", days_back=3)
first, last = h.range()
tmp = tempfile.mkdtemp(prefix="creneau-standby-")
os.chmod(tmp, 0o755)
base = os.path.join(tmp, "standby")
os.makedirs(base)
try:
    sock = start_standby(base)
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
        g.write("database_report = host=%s port=%s dbname=%s user=%s\n"
                % (sock, os.environ["PGPORT"], os.environ["PGDATABASE"], os.environ["PGUSER"]))
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
    stop_standby(base)
    shutil.rmtree(tmp, ignore_errors=True)
t.done()
