#!/usr/bin/env python3
"""Workers SIGKILLed at random while clients book (Jepsen-style): a
request in flight on a killed worker gets creneau's 503 page with
Retry-After (nginx's error_page), never a bare 502 or a 500; the
supervisor replaces every worker; and the database agrees with what each
client was told (t/lib/faults.py)."""

import os
import random
import signal
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, fcgi_workers, Fixture, ctl, get, skip_all_unless_server, wait_for  # noqa: E402
from faults import Load  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
KILLS = 12


workers = fcgi_workers


rc, out = ctl("fcgi-pid")
sup = int(out) if rc == 0 and out.isdigit() else None
t.ok(sup is not None, "the supervisor runs")
n = len(workers(sup))
fx = Fixture("workerkill")
try:
    load = Load(fx, clients=6)
    load.start()
    t.ok(load.wait_progress(2), "bookings are confirmed under load before the kills")
    rnd = random.Random()
    killed = 0
    for _ in range(KILLS):
        time.sleep(rnd.uniform(0.2, 1.5))
        ws = sorted(workers(sup))
        if ws:
            try:
                os.kill(rnd.choice(ws), signal.SIGKILL)
                killed += 1
            except ProcessLookupError:
                pass
    t.ok(killed >= KILLS // 2, "%d workers killed at random during the bookings" % killed)
    t.ok(wait_for(lambda: len(workers(sup)) == n, timeout=30), "the supervisor replaced them (%d workers)" % n)
    t.ok(load.wait_progress(2), "bookings are confirmed after the kills")
    load.stop()
    load.check(t, "SIGKILL")
    t.is_(get("/healthz").status, 200, "healthz is 200")
finally:
    fx.drop()
t.done()
