#!/usr/bin/env python3
"""The issue's concurrency acceptance, through nginx and the workers:
64 parallel clients race for 20 places (phase A), then 64 clients with the
same identity race for one procedure (phase B). Afterwards exactly 20
bookings exist, no slot is over capacity, no identity holds two, every
client told "confirmed" has its booking in the database, and every other
client was told clearly why, never with a 500. Works on a site of its own,
removed at the end."""

import os
import re
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, TAP, Fixture, booking_values, confirm, error_summary, follow,  # noqa: E402
                          form, form_min_seconds, get, location_path, new_identity, page_text,
                          psql, reference_of, skip_all_unless_server, sql_literal)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
CLIENTS = 64
PLACES = 20
TIMEOUT = 30            # seconds, every request
PHASE_LIMIT = 180       # seconds, a whole phase
UNAVAILABLE = r"vient d.être pris|n.est plus proposé|plus disponible"
ALREADY = r"déjà un rendez-vous"


class Client(threading.Thread):
    """One person: opens the form of a slot, fills it, waits with the
    others, sends it at the same moment, then confirms with the code."""

    def __init__(self, n, slot, ident, barrier):
        super().__init__(daemon=True)
        self.n, self.slot, self.person, self.barrier = n, slot, ident, barrier
        self.outcome = "not run"
        self.post_status = None
        self.message = ""
        self.reference = None
        self.error = None

    def run(self):
        try:
            page = get(book_path(self.slot), timeout=TIMEOUT)
            f = form(page, action=r"^/book/", has="surname")
            time.sleep(form_min_seconds() + 1)
            try:
                self.barrier.wait()
            except threading.BrokenBarrierError:
                pass
            if f is None:
                self.outcome = "no form (%d)" % page.status
                return
            r = f.submit(booking_values(f, self.person), timeout=TIMEOUT)
            self.post_status = r.status
            if r.status == 303:
                held = follow(r, timeout=TIMEOUT)
                pr, done = confirm(held, self.person["email"], timeout=TIMEOUT)
                if done is None:
                    self.outcome = "held, no code form or code"
                    return
                self.reference = reference_of(done)
                if pr.status == 303 and done.status == 200 and self.reference:
                    self.outcome = "confirmed"
                else:
                    self.outcome = "confirm failed (%s, %s)" % (pr.status, done.status)
                    self.message = " | ".join(error_summary(done)) or page_text(done)[:200]
            elif r.status == 200:
                self.outcome = "refused"
                self.message = " | ".join(error_summary(r)) or page_text(r)[:200]
            else:
                self.outcome = "status %d" % r.status
                self.message = page_text(r)[:200]
        except Exception as e:  # noqa: BLE001 - a client must report, not die
            self.outcome = "exception"
            self.error = "%s: %s" % (type(e).__name__, e)


def race(slots, identities):
    """Runs one client per identity, client i on slots[i % len(slots)];
    returns (clients, seconds from the common start to the last answer)."""
    barrier = threading.Barrier(len(identities) + 1, timeout=PHASE_LIMIT)
    clients = [Client(i, slots[i % len(slots)], ident, barrier) for i, ident in enumerate(identities)]
    for c in clients:
        c.start()
    try:
        barrier.wait()
    except threading.BrokenBarrierError:
        pass
    t0 = time.time()
    deadline = t0 + PHASE_LIMIT
    for c in clients:
        c.join(max(0.1, deadline - time.time()))
    return clients, time.time() - t0


def tally(clients):
    out = {}
    for c in clients:
        out[c.outcome] = out.get(c.outcome, 0) + 1
    return out


def invariants(what):
    """Capacity and identity invariants over the whole database."""
    over = psql("SELECT count(*) FROM slots WHERE booked > capacity")
    t.is_(over, "0", "%s: no slot is over capacity" % what)
    bad = psql("SELECT count(*) FROM slots s WHERE s.booked <> (SELECT count(*) FROM bookings b "
               "WHERE b.slot_id = s.id AND NOT b.released) AND s.site_id = (SELECT id FROM sites WHERE slug = %s)"
               % sql_literal(fx.slug))
    t.is_(bad, "0", "%s: every slot's booked equals its bookings still counted" % what)
    active = psql("SELECT count(*) FROM (SELECT sl.id FROM slots sl JOIN bookings b ON b.slot_id = sl.id "
                  "WHERE b.status IN ('held', 'confirmed') GROUP BY sl.id, sl.capacity "
                  "HAVING count(*) > sl.capacity) x")
    t.is_(active, "0", "%s: no slot has more active bookings than places" % what)
    two = psql("SELECT count(*) FROM (SELECT 1 FROM bookings WHERE status IN ('held', 'confirmed') "
               "GROUP BY identity_key, procedure_id HAVING count(*) > 1) x")
    t.is_(two, "0", "%s: no identity holds two active bookings of a procedure" % what)


fx = Fixture("race")
try:
    code_a = fx.procedure("places", slots=PLACES, capacity=1)
    code_b = fx.procedure("identity", slots=16, capacity=4, days_ahead=4)
    slots_a = fx.slots(code_a)
    slots_b = fx.slots(code_b)
    t.ok(len(slots_a) == PLACES and len(slots_b) == 16,
         "a site of the test's own: %d slots of 1 place, 16 of 4 (%s)" % (PLACES, fx.slug))

    # --- Phase A: 64 people, 20 places ------------------------------------
    people = [new_identity("racea%02d" % i) for i in range(CLIENTS)]
    clients, secs = race(slots_a, people)
    counts = tally(clients)
    confirmed = [c for c in clients if c.outcome == "confirmed"]
    refused = [c for c in clients if c.outcome == "refused"]
    t.diag("%d clients, %d booked, %d refused, %.1f s" % (CLIENTS, len(confirmed), len(refused), secs))
    t.diag("outcomes: %s" % counts)
    t.ok(all(not c.is_alive() for c in clients), "phase A: every client finished within %d s" % PHASE_LIMIT)
    errors = [c for c in clients if c.outcome not in ("confirmed", "refused")]
    t.ok(not errors, "phase A: every client was either confirmed or refused (no 5xx, no exception)")
    for c in errors[:5]:
        t.diag("client %d on slot %d: %s %s %s" % (c.n, c.slot, c.outcome, c.error or "", c.message[:200]))
    t.is_(len(confirmed), PLACES, "phase A: exactly %d clients were told confirmed" % PLACES)
    t.is_(sum(1 for c in clients if c.post_status == 303), PLACES,
          "phase A: exactly %d submissions held a place (303)" % PLACES)
    t.ok(all(re.search(UNAVAILABLE, c.message) for c in refused),
         "phase A: every refused client was told the time is no longer available")
    for c in [c for c in refused if not re.search(UNAVAILABLE, c.message)][:3]:
        t.diag("client %d was told: %s" % (c.n, c.message[:200]))
    n_active = psql("SELECT count(*) FROM bookings b JOIN slots s ON s.id = b.slot_id "
                    "WHERE s.id = ANY ('{%s}'::bigint[]) AND b.status IN ('held', 'confirmed')"
                    % ",".join(map(str, slots_a)))
    t.is_(n_active, str(PLACES), "phase A: exactly %d active bookings exist for the %d places" % (PLACES, PLACES))
    t.is_(psql("SELECT count(*) FROM bookings b WHERE b.slot_id = ANY ('{%s}'::bigint[]) AND b.status = 'confirmed'"
               % ",".join(map(str, slots_a))), str(PLACES), "phase A: all of them confirmed")
    t.is_(psql("SELECT count(DISTINCT slot_id) FROM bookings WHERE slot_id = ANY ('{%s}'::bigint[]) "
               "AND status IN ('held', 'confirmed')" % ",".join(map(str, slots_a))), str(PLACES),
          "phase A: one per slot")
    missing = []
    for c in confirmed:
        row = psql("SELECT b.status || '|' || b.slot_id || '|' || b.email FROM bookings b WHERE b.reference = %s"
                   % sql_literal((c.reference or "").replace("-", "")))
        if row != "confirmed|%d|%s" % (c.slot, c.person["email"]):
            missing.append((c.n, c.reference, row))
    t.ok(confirmed and not missing, "phase A: every client told confirmed has its booking in the database, "
         "at its time, under its e-mail")
    for m in missing[:5]:
        t.diag("client %d, reference %s: %r" % m)
    ghost = [c.n for c in refused if psql("SELECT count(*) FROM bookings WHERE email = %s"
                                          % sql_literal(c.person["email"])) != "0"]
    t.ok(not ghost, "phase A: no refused client has a booking")
    t.is_(psql("SELECT sum(booked) FROM slots WHERE id = ANY ('{%s}'::bigint[])" % ",".join(map(str, slots_a))),
          str(PLACES), "phase A: the slots count %d places taken" % PLACES)
    invariants("phase A")

    # --- Phase B: 64 clients, one identity ----------------------------------
    same = new_identity("raceb")
    twins = [dict(same, email="raceb%02d-%s" % (i, same["email"])) for i in range(CLIENTS)]
    clients, secs = race(slots_b, twins)
    counts = tally(clients)
    confirmed = [c for c in clients if c.outcome == "confirmed"]
    refused = [c for c in clients if c.outcome == "refused"]
    t.diag("%d clients with one identity, %d booked, %d refused, %.1f s"
           % (CLIENTS, len(confirmed), len(refused), secs))
    t.diag("outcomes: %s" % counts)
    t.ok(all(not c.is_alive() for c in clients), "phase B: every client finished within %d s" % PHASE_LIMIT)
    errors = [c for c in clients if c.outcome not in ("confirmed", "refused")]
    t.ok(not errors, "phase B: every client was either confirmed or refused (no 5xx, no exception)")
    for c in errors[:5]:
        t.diag("client %d on slot %d: %s %s %s" % (c.n, c.slot, c.outcome, c.error or "", c.message[:200]))
    t.is_(len(confirmed), 1, "phase B: exactly one client was told confirmed")
    t.ok(all(re.search(ALREADY, c.message) for c in refused),
         "phase B: every other client was told the person already has an appointment")
    for c in [c for c in refused if not re.search(ALREADY, c.message)][:3]:
        t.diag("client %d was told: %s" % (c.n, c.message[:200]))
    y, m, d = same["birth"]
    t.is_(psql("SELECT count(*) FROM bookings WHERE surname = %s AND birth_date = '%04d-%02d-%02d' "
               "AND status IN ('held', 'confirmed')" % (sql_literal(same["surname"]), y, m, d)), "1",
          "phase B: exactly one active booking for that identity")
    if confirmed:
        c = confirmed[0]
        t.is_(psql("SELECT status || '|' || email FROM bookings WHERE reference = %s"
                   % sql_literal((c.reference or "").replace("-", ""))),
              "confirmed|%s" % c.person["email"], "phase B: and it is the one told confirmed")
    invariants("phase B")
except Exception as e:  # noqa: BLE001 - report, clean up, print the plan
    t.ok(False, "the test ran to its end (%s: %s)" % (type(e).__name__, e))
finally:
    fx.drop()
t.is_(psql("SELECT count(*) FROM sites WHERE slug = %s" % sql_literal(fx.slug)), "0", "the test's site is removed")
t.done()
