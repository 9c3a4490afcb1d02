#!/usr/bin/env python3
"""The database's disk full: the outbox (every hold writes its
confirmation code there) is moved to a tablespace on a small tmpfs, which
rows are then written into until PostgreSQL reports "No space left on
device" (SQLSTATE 53100). A booking sent then gets a clear 503 page with
Retry-After and an incident id that is in the log, not a 500, and nothing
of it is kept; once space is back, bookings work again. Needs root (to
mount the tmpfs); skips otherwise. Everything is put back at the end."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, book, location_path, new_identity, psql, skip_all_unless_server,  # noqa: E402
                          sql_literal, wellformed)

skip_all_unless_server()
if os.geteuid() != 0:
    print("1..0 # SKIP mounting a tmpfs needs root")
    sys.exit(0)
t = TAP()
t.catch_exceptions()
var = os.environ["CRENEAU_VAR"]
mnt = os.path.join(var, "diskfull")
SPACE = "creneau_test_diskfull"


def sh(*args):
    return subprocess.run(args, capture_output=True, text=True)


def run_user():
    """The user PostgreSQL runs as (the owner of its data directory)."""
    st = os.stat(os.path.join(var, "pgdata"))
    return st.st_uid, st.st_gid


fx = Fixture("diskfull")
proc = fx.procedure("full", slots=4, capacity=2)
slots = fx.slots(proc)
indexes = psql("SELECT indexrelid::regclass FROM pg_index WHERE indrelid = 'outbox'::regclass").split()
moved = mounted = False
try:
    size = int(psql("SELECT pg_total_relation_size('outbox')"))
    os.makedirs(mnt, exist_ok=True)
    uid, gid = run_user()
    r = sh("mount", "-t", "tmpfs", "-o", "size=%d,mode=0700,uid=%d,gid=%d" % (size + 4 * 2**20, uid, gid),
           "tmpfs", mnt)
    mounted = r.returncode == 0
    t.ok(mounted, "a tmpfs of %d KiB is mounted for a tablespace%s" % ((size + 4 * 2**20) // 1024, r.stderr.strip()))
    psql("CREATE TABLESPACE %s LOCATION %s" % (SPACE, sql_literal(mnt)))
    psql("ALTER TABLE outbox SET (autovacuum_enabled = false); ALTER TABLE outbox SET TABLESPACE %s; %s"
         % (SPACE, "".join("ALTER INDEX %s SET TABLESPACE %s;" % (i, SPACE) for i in indexes)))
    moved = True
    filled = subprocess.run(
        ["psql", "-X", "-q", "-c",
         "INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key) "
         "SELECT 'confirmation_code', 'email', 'filler@example.invalid', 'fr', "
         "       jsonb_build_object('filler', repeat('x', 500)), 'diskfull-filler-' || g "
         "  FROM generate_series(1, 100000000) g"], capture_output=True, text=True)
    t.ok("No space left on device" in filled.stderr,
         "rows are written into the outbox until the disk is full (%s)" % filled.stderr.strip()[:120])

    ident = new_identity("diskfull")
    page, r = book(slots[0], ident)
    t.is_(page.status, 200, "the booking form still opens (it only reads)")
    t.is_(r.status if r else None, 503, "a booking sent on a full disk answers 503, not 500")
    t.ok(r is not None and (r.header("retry-after") or "").isdigit(), "with Retry-After")
    t.is_(wellformed(r.body) if r else "no answer", None, "the page is well-formed")
    t.ok(r is not None and "indisponible" in r.text and "pas été enregistré" in r.text,
         "it says the service is unavailable and the form was not recorded")
    m = re.search(r"<code>([0-9a-f]{16})</code>", r.text if r else "")
    with open(os.path.join(var, "log", "creneau-fcgi.log"), encoding="utf-8", errors="replace") as f:
        logged = f.read()
    t.ok(m is not None and m.group(1) in logged and "53100" in logged,
         "it shows an incident id, logged with SQLSTATE 53100")
    t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(ident["email"])), "0",
          "nothing of that booking was kept")
finally:
    if moved:
        psql("ALTER TABLE outbox SET TABLESPACE pg_default; %s ALTER TABLE outbox RESET (autovacuum_enabled)"
             % "".join("ALTER INDEX %s SET TABLESPACE pg_default;" % i for i in indexes))
    psql("DROP TABLESPACE IF EXISTS %s" % SPACE)
    if mounted:
        sh("umount", mnt)
    psql("DELETE FROM outbox WHERE recipient = 'filler@example.invalid'")
    psql("VACUUM outbox")

ident = new_identity("diskfull")
_, r = book(slots[1], ident)
t.ok(r is not None and r.status == 303 and location_path(r), "with space back, a booking is held again (%s)"
     % (r.status if r else None))
t.is_(psql("SELECT spcname FROM pg_tablespace WHERE spcname = %s" % sql_literal(SPACE)), "",
      "the tablespace is gone")
fx.drop()
t.done()
