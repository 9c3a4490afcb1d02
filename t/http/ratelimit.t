#!/usr/bin/env python3
"""Rate limits (issue 4), through nginx and the workers. A flood of form
POSTs from one address (127.0.0.2) is cut at nginx with 429 and the 429
page, while at the same time 200 distinct applicants behind one shared
IPv4 address (127.0.0.1, as behind a carrier NAT or at a France Services
point) each open the booking form, fill it at a human pace, send it and
confirm with the code: all of them get their appointment. Then the
PostgreSQL limits: a burst of bookings by one identity and a burst of
forms with one e-mail address are refused with a clear message; the
counters live in an UNLOGGED table that the sweep empties. Works on a site
of its own, removed at the end."""

import http.client
import os
import random
import re
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, TAP, Fixture, booking_values, confirm, error_summary, follow,  # noqa: E402
                          form, form_min_seconds, get, location_path, new_identity, page_text,
                          psql, reference_of, skip_all_unless_server, sql_literal)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()

APPLICANTS = 200
THREADS = 25
FLOOD = 600
URL = urllib.parse.urlsplit(os.environ["CRENEAU_URL"])


def flood_post(path, n, source, threads=24):
    """Sends n form POSTs to path from source as fast as possible; returns
    the statuses and one 429 answer (headers, body)."""
    statuses, lock, sample = [], threading.Lock(), {}
    per = n // threads

    def run():
        for _ in range(per):
            conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30,
                                              source_address=(source, 0))
            conn.request("POST", path, body="surname=x",
                         headers={"Content-Type": "application/x-www-form-urlencoded"})
            r = conn.getresponse()
            body = r.read()
            with lock:
                statuses.append(r.status)
                if r.status == 429 and not sample:
                    sample["headers"] = {k.lower(): v for k, v in r.getheaders()}
                    sample["body"] = body
            conn.close()

    ths = [threading.Thread(target=run, daemon=True) for _ in range(threads)]
    for th in ths:
        th.start()
    for th in ths:
        th.join(120)
    return statuses, sample


class Applicant(threading.Thread):
    """One person behind the shared address: form, a human pause, send,
    confirm with the code."""

    def __init__(self, n, slot, queue):
        super().__init__(daemon=True)
        self.n, self.slot, self.queue = n, slot, queue
        self.person = new_identity("rl%03d" % n)
        self.outcome = "not run"
        self.message = ""

    def run(self):
        try:
            page = get(book_path(self.slot))
            f = form(page, action=r"^/book/", has="surname")
            if f is None:
                self.outcome = "no form (%d)" % page.status
                return
            time.sleep(form_min_seconds() + random.uniform(1.0, 3.0))
            r = f.submit(booking_values(f, self.person))
            if r.status != 303:
                self.outcome = "refused (%d)" % r.status
                self.message = " | ".join(error_summary(r)) or page_text(r)[:200]
                return
            held = follow(r)
            time.sleep(random.uniform(0.5, 1.5))
            pr, done = confirm(held, self.person["email"])
            if done is not None and pr.status == 303 and reference_of(done):
                self.outcome = "confirmed"
            else:
                self.outcome = "confirm failed (%s)" % (pr.status if pr is not None else "no form")
        except Exception as e:  # noqa: BLE001 - a client reports, never dies
            self.outcome = "exception"
            self.message = "%s: %s" % (type(e).__name__, e)


def pool(applicants, threads):
    """Runs the applicants, at most `threads` at a time."""
    sem = threading.Semaphore(threads)

    def wrap(a):
        with sem:
            a.run()
    ths = [threading.Thread(target=wrap, args=(a,), daemon=True) for a in applicants]
    for th in ths:
        th.start()
    return ths


def forms_of(slot_list):
    """Opens the booking form of each slot, then waits the fill time once;
    returns the forms."""
    fs = [form(get(book_path(s)), action=r"^/book/", has="surname") for s in slot_list]
    time.sleep(form_min_seconds() + 1)
    return fs


fx = Fixture("rl")
try:
    code = fx.procedure("many", slots=50, capacity=5)
    slots = fx.slots(code)
    t.is_(psql("SELECT relpersistence FROM pg_class WHERE relname = 'rate_limits'"), "u",
          "the rate-limit counters are an UNLOGGED table")

    # --- A flood from one address, 200 people behind another --------------
    people = [Applicant(i, slots[i % len(slots)], None) for i in range(APPLICANTS)]
    start = time.time()
    ths = pool(people, THREADS)
    time.sleep(3)
    statuses, sample = flood_post(book_path(slots[0]), FLOOD, "127.0.0.2")
    n429 = statuses.count(429)
    t.diag("flood from 127.0.0.2: %d POSTs, %d answered 429, others %s"
           % (len(statuses), n429, sorted(set(s for s in statuses if s != 429))))
    t.ok(n429 > FLOOD / 2, "the flood from one address was cut at nginx (%d of %d answered 429)" % (n429, FLOOD))
    body = sample.get("body", b"").decode("utf-8", "replace")
    t.ok("Trop de demandes" in body and "Too many requests" in body,
         "the 429 answer is the 429 page, in French and English")
    t.ok(sample.get("headers", {}).get("retry-after") == "60", "the 429 answer says Retry-After: 60")
    for th in ths:
        th.join(max(0.1, start + 120 - time.time()))
    secs = time.time() - start
    tally = {}
    for a in people:
        tally[a.outcome] = tally.get(a.outcome, 0) + 1
    t.diag("%d applicants behind 127.0.0.1: %s in %.1f s" % (APPLICANTS, tally, secs))
    for a in [a for a in people if a.outcome != "confirmed"][:5]:
        t.diag("applicant %d: %s %s" % (a.n, a.outcome, a.message[:200]))
    t.is_(tally.get("confirmed", 0), APPLICANTS,
          "all %d applicants behind one shared address completed their booking" % APPLICANTS)
    t.is_(psql("SELECT count(*) FROM bookings b JOIN slots s ON s.id = b.slot_id "
               "WHERE s.procedure_id = (SELECT id FROM procedures WHERE code = %s) AND b.status = 'confirmed'"
               % sql_literal(code)), str(APPLICANTS), "the database holds their %d confirmed bookings" % APPLICANTS)
    t.diag("the address counter of booking_hold: %s (limit %s per %s)" % (
        psql("SELECT coalesce(max(hits), 0) FROM rate_limits WHERE action = 'booking_hold' AND key LIKE 'address:%'"),
        psql("SELECT max_hits FROM rate_limit_rules WHERE action = 'booking_hold' AND scope = 'address'"),
        psql("SELECT window_size FROM rate_limit_rules WHERE action = 'booking_hold' AND scope = 'address'")))

    # --- One identity: bookings made and cancelled in a burst --------------
    cap = int(psql("SELECT max_hits FROM rate_limit_rules WHERE action = 'booking_made' AND scope = 'identity'"))
    same = new_identity("rlid")
    answers = []
    fs = forms_of([slots[-1 - i % 10] for i in range(cap + 1)])
    for i in range(cap + 1):
        ident = dict(same, email="rlid%d-%s" % (i, same["email"]))
        r = fs[i].submit(booking_values(fs[i], ident))
        answers.append(r)
        if r.status == 303:
            token = location_path(r).rsplit("/", 1)[1]
            psql("SELECT booking_cancel(%s, interval '0', interval '0')" % sql_literal(token))
    made = sum(1 for r in answers if r.status == 303)
    t.is_(made, cap, "one identity could make %d bookings (each cancelled at once) in the window" % cap)
    last = answers[-1]
    msgs = " | ".join(error_summary(last))
    t.ok(last.status == 200 and re.search(r"Too many appointments have been made for this person|"
                                          r"Trop de rendez-vous", msgs),
         "the next one is refused with a clear message: %s" % msgs[:160])

    # --- One e-mail address: a burst of forms -------------------------------
    email = "rlmail-%s@example.org" % new_identity()["surname"].lower()
    rule = int(psql("SELECT max_hits FROM rate_limit_rules WHERE action = 'booking_hold' AND scope = 'email'"))
    outcomes = []
    fs = forms_of([slots[10 + i % 20] for i in range(rule + 1)])
    for i in range(rule + 1):
        r = fs[i].submit(booking_values(fs[i], new_identity("rlm", email=email)))
        outcomes.append((r.status, " | ".join(error_summary(r)) if r.status == 200 else ""))
    t.diag("%d forms with one e-mail: %s" % (rule + 1, [s for s, _ in outcomes]))
    t.ok(sum(1 for s, _ in outcomes if s == 303) <= 3, "the e-mail cap held (at most 3 bookings)")
    t.ok(re.search(r"Too many forms were sent with this e-mail address|Trop de formulaires", outcomes[-1][1]),
         "past %d forms in the window, the e-mail's limit refuses with a clear message: %s"
         % (rule, outcomes[-1][1][:160]))

    # --- The sweep ---------------------------------------------------------------
    psql("INSERT INTO rate_limits (action, key, window_start, window_end, hits) "
         "VALUES ('test', 'old', now() - interval '2 hours', now() - interval '1 hour', 5)")
    swept = int(psql("SELECT rate_limit_sweep()"))
    t.ok(swept >= 1 and psql("SELECT count(*) FROM rate_limits WHERE action = 'test'") == "0",
         "rate_limit_sweep() deletes the counters of ended windows (%d)" % swept)
    t.is_(psql("SELECT rate_limit_hit('test', 'k', interval '1 hour', 1)") + "," +
          psql("SELECT rate_limit_hit('test', 'k', interval '1 hour', 1)"), "f,t",
          "rate_limit_hit() says true once a key passes its maximum in a window")
    psql("DELETE FROM rate_limits WHERE action = 'test'")
except Exception as e:  # noqa: BLE001 - report, clean up, print the plan
    import traceback
    t.ok(False, "the test ran to its end (%s: %s)" % (type(e).__name__, e))
    t.diag(traceback.format_exc())
finally:
    fx.drop()
    psql("DELETE FROM rate_limits WHERE key LIKE 'address:%'")
t.done()
