#!/usr/bin/env python3
"""PostgreSQL restarted under a booking load, twice: pg_ctl restart -m fast
(sessions ended cleanly) and -m immediate (as after a crash: recovery from
the WAL). While it is away, every answer is 503 with Retry-After, never a
500; afterwards the service answers again by itself, and the database
agrees with what every client was told (t/lib/faults.py: no confirmed
booking lost, no slot over capacity, no identity booked twice)."""

import os
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, Fixture, ctl, get, skip_all_unless_server, wait_for  # noqa: E402
from faults import Load  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
fx = Fixture("pgrestart")
try:
    for mode in ("fast", "immediate"):
        load = Load(fx, clients=6)
        load.start()
        t.ok(load.wait_progress(2), "%s: bookings are confirmed under load before the restart" % mode)
        seen = []
        # A probe asks /healthz all through the restart: 200 or 503 with
        # Retry-After, nothing else (how many 503s depends on the machine).
        probed, probing = [], threading.Event()

        def probe():
            while not probing.is_set():
                r = get("/healthz", timeout=30)
                probed.append((r.status, r.header("retry-after")))
                time.sleep(0.05)
        th = threading.Thread(target=probe, daemon=True)
        th.start()
        start = time.monotonic()
        rc, _ = ctl("pg-restart", mode)
        t.is_(rc, 0, "pg_ctl restart -m %s" % mode)
        t.ok(wait_for(lambda: seen.append(get("/healthz", timeout=30).status) or seen[-1] == 200,
                      timeout=120), "%s: healthz answers 200 again by itself (%.1f s after the restart began; "
             "answers: %s)" % (mode, time.monotonic() - start, sorted(set(seen))))
        probing.set()
        th.join(timeout=60)
        odd = [p for p in probed if not (p[0] == 200 or (p[0] == 503 and (p[1] or "").isdigit()))]
        t.ok(probed and not odd, "%s: through the restart /healthz answered 200 or 503 with Retry-After "
             "(%d probes, %d of them 503)%s" % (mode, len(probed), sum(1 for p in probed if p[0] == 503),
                                              "; not: %r" % odd[:5] if odd else ""))
        t.ok(load.wait_progress(2), "%s: bookings are confirmed again after the restart" % mode)
        load.stop()
        load.check(t, mode)
finally:
    wait_for(lambda: get("/healthz").status == 200, timeout=60)
    fx.drop()
t.done()
