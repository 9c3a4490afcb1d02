"""Booking load for the fault tests (t/faults/*.t), Jepsen-style: clients
book and confirm over and over while a test breaks something (PostgreSQL
restarted, workers killed, connections exhausted); each client records
what it was told at every step. Afterwards check() compares those records
with the database: every booking a client was told was confirmed exists
and is confirmed, no slot holds more bookings than places, no identity
holds two, and every answer was one creneau means (200, 303, or 503 with
Retry-After; never 500, 502 or a dropped connection).

    fx = Fixture("fault")
    load = Load(fx, clients=6)
    load.start()
    load.wait_progress(3)        # some bookings confirmed before the fault
    ... break something, repair it ...
    load.stop()
    load.check(t)                # TAP assertions
"""

import random
import threading
import time

from creneau_test import (booking_values, book_path, follow, form, form_min_seconds, get, location_path,
                          new_identity, psql, reference_of, sql_literal, wait_for)

TIMEOUT = 60            # seconds, one request (a safety net, not a limit)
ALLOWED = (200, 303, 503)


def safe_psql(sql, timeout=60.0):
    """psql that waits out a database restart: retries until it answers
    (or timeout seconds); returns its output or None."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            return psql(sql)
        except Exception:  # noqa: BLE001 - the database is restarting
            if time.monotonic() > deadline:
                return None
            time.sleep(0.5)


class Outcome:
    """What one attempt of one client was told, step by step."""

    def __init__(self, slot, ident):
        self.slot, self.ident = slot, ident
        self.steps = []         # (what, status, retry-after)
        self.told = "nothing"   # confirmed | held | refused | unavailable | error
        self.reference = None

    def saw(self, what, resp):
        self.steps.append((what, resp.status, resp.header("retry-after")))
        return resp


class Client(threading.Thread):
    """One person after another: opens the form of a random slot, fills
    it, sends it, reads the code from the outbox, confirms."""

    def __init__(self, load, n):
        super().__init__(daemon=True)
        self.load, self.n = load, n
        self.rnd = random.Random(n)

    def run(self):
        while not self.load.stopping.is_set():
            o = Outcome(self.rnd.choice(self.load.slots), new_identity("fault%d" % self.n))
            try:
                self.attempt(o)
            except Exception as e:  # noqa: BLE001 - a dropped connection is a finding
                o.told = "error"
                o.steps.append(("exception", "%s: %s" % (type(e).__name__, e), None))
            with self.load.lock:
                self.load.outcomes.append(o)
            if o.told in ("unavailable", "refused", "error"):
                time.sleep(1)       # as a person told to come back would

    def attempt(self, o):
        page = o.saw("form", get(book_path(o.slot), timeout=TIMEOUT))
        f = form(page, action=r"^/book/", has="surname")
        if f is None:
            o.told = "unavailable" if page.status == 503 else "refused"
            return
        time.sleep(form_min_seconds() + 1)
        r = o.saw("hold", f.submit(booking_values(f, o.ident), timeout=TIMEOUT))
        if r.status != 303:
            o.told = "unavailable" if r.status == 503 else "refused"
            return
        held = o.saw("held page", follow(r, timeout=TIMEOUT))
        o.told = "held"
        cf = form(held, action=r"/confirm$", has="code")
        if cf is None:
            return
        q = ("SELECT payload->>'code' FROM outbox WHERE kind = 'confirmation_code' "
             "AND recipient = %s ORDER BY id DESC LIMIT 1" % sql_literal(o.ident["email"]))
        code = wait_for(lambda: safe_psql(q, timeout=5) or None, timeout=60, step=0.2)
        if code is None:
            return
        pr = o.saw("confirm", cf.submit({"code": code}, timeout=TIMEOUT))
        if pr.status != 303:
            return
        done = o.saw("confirmed page", follow(pr, timeout=TIMEOUT))
        ref = reference_of(done)
        if done.status == 200 and ref and location_path(pr) is not None:
            o.told, o.reference = "confirmed", ref.replace("-", "")


class Load:
    """Clients booking the slots of a fixture procedure of their own."""

    def __init__(self, fixture, clients=6, slots=40, capacity=2):
        self.fixture = fixture
        self.procedure = fixture.procedure("load%s" % random.randint(0, 99999), slots=slots, capacity=capacity)
        self.slots = fixture.slots(self.procedure)
        self.clients = [Client(self, n) for n in range(clients)]
        self.outcomes = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def start(self):
        for c in self.clients:
            c.start()

    def confirmed(self):
        with self.lock:
            return sum(1 for o in self.outcomes if o.told == "confirmed")

    def wait_progress(self, n, timeout=180):
        """Waits until n more bookings were confirmed; returns whether they were."""
        base = self.confirmed()
        return wait_for(lambda: self.confirmed() >= base + n, timeout=timeout, step=0.2)

    def stop(self, timeout=300):
        self.stopping.set()
        for c in self.clients:
            c.join(timeout=timeout)

    def check(self, t, what):
        """The Jepsen check, as TAP assertions; what names the fault."""
        outs = list(self.outcomes)
        told = {}
        for o in outs:
            told[o.told] = told.get(o.told, 0) + 1
        t.diag("%s: %d attempts, told %s" % (what, len(outs), ", ".join(
            "%s %d" % kv for kv in sorted(told.items()))))
        bad = [(o.ident["email"], s) for o in outs for s in o.steps
               if s[1] not in ALLOWED or (s[1] == 503 and not (s[2] or "").isdigit())]
        t.ok(not bad, "%s: every answer was 200, 303 or 503 with Retry-After (%d requests)%s"
             % (what, sum(len(o.steps) for o in outs), "; not: %r" % bad[:5] if bad else ""))
        t.ok(told.get("confirmed", 0) > 0, "%s: bookings were confirmed (%d)" % (what, told.get("confirmed", 0)))
        refs = [o.reference for o in outs if o.told == "confirmed"]
        rows = safe_psql("SELECT reference FROM bookings WHERE reference = ANY (%s::text[]) "
                         "AND status = 'confirmed' AND NOT released"
                         % sql_literal("{" + ",".join(refs) + "}")) or ""
        missing = sorted(set(refs) - set(rows.split()))
        t.ok(not missing, "%s: every booking a client was told was confirmed is confirmed in the "
             "database (%d)%s" % (what, len(refs), "; missing: %s" % missing if missing else ""))
        ids = ",".join(str(s) for s in self.slots)
        over = safe_psql("SELECT sl.id, sl.capacity, count(b.id) FROM slots sl "
                         "LEFT JOIN bookings b ON b.slot_id = sl.id AND NOT b.released "
                         "WHERE sl.id IN (%s) GROUP BY sl.id, sl.capacity, sl.booked "
                         "HAVING count(b.id) > sl.capacity OR count(b.id) <> sl.booked" % ids)
        t.is_(over, "", "%s: no slot holds more bookings than places, and every count is right" % what)
        proc = sql_literal(self.procedure)
        twice = safe_psql("SELECT b.identity_key, count(*) FROM bookings b JOIN procedures p ON p.id = b.procedure_id "
                          "WHERE p.code = %s AND b.status IN ('held', 'confirmed') AND NOT b.released "
                          "GROUP BY b.identity_key HAVING count(*) > 1" % proc)
        t.is_(twice, "", "%s: no identity holds two bookings" % what)
        # Nothing confirmed that no client was told about, beyond the
        # attempts the fault cut short (the answer lost after COMMIT).
        ghosts = safe_psql("SELECT count(*) FROM bookings b JOIN procedures p ON p.id = b.procedure_id "
                           "WHERE p.code = %s AND b.status = 'confirmed' AND b.reference <> ALL (%s::text[])"
                           % (proc, sql_literal("{" + ",".join(refs) + "}")))
        cut = sum(1 for o in outs if o.told in ("held", "error", "unavailable"))
        t.ok(ghosts is not None and int(ghosts) <= cut,
             "%s: no booking confirmed behind a client's back (%s, with %d attempts cut short)"
             % (what, ghosts, cut))
