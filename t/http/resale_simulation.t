#!/usr/bin/env python3
"""Resellers against a first-come release (issue 10): 20 reseller clients
try to hand the 10 places of a release to 10 buyers, beside 12 honest
applicants, all through the real pages, each client with its own address
(127.x.y.1, a /24 of its own) and its own cookies, as browsers have.

The resellers' techniques:
  hold    hold-and-cancel: hold a place with any name, never confirm it,
          cancel the hold when the buyer is ready;
  rebook  cancel-and-rebook: hold with any name and an address of their
          own, confirm with the code, cancel the confirmed booking when
          the buyer is ready;
  hoard   token hoarding: fetch many form tokens for every time ahead,
          then use them in a burst to hold as many places as they can
          (each under another name), cancel each when a buyer is ready.
The buyers' clients hoard tokens too: each fetches form tokens for every
time while they are free, so that the moment its reseller releases a
place, it sends the form at once with the buyer's real identity.

Time: the run is a sequence of rounds, every action in a fixed order from
a fixed random seed, so it does not depend on the machine's speed. Round
0 is the opening (bots first, then people), round 1 the handovers; each
later round is 30 minutes of simulated time: the test moves every pending
time of the site's bookings (hold ends, release times) 30 minutes earlier
and runs the sweep, as the timer would; honest applicants without a place
try again every round (the page tells them to come back). After 10 such
rounds every delay has passed.

Counted: handovers (a buyer ends with a place a reseller released) and
the honest applicants' success rate (a confirmed place), against the same
honest applicants alone on a release of their own. Asserted: no handover,
and an honest success rate no worse than without resellers. A buyer only
acts at the handover: winning a place later, by chance, would be a fair
race, not a handover."""

import http.client
import os
import random
import re
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, Response, birth_values, form, form_min_seconds,  # noqa: E402
                          parse, psql, resolve, skip_all_unless_server, sql_literal)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
PLACES, HONEST, RESELLERS, BUYERS = 10, 12, 20, 10
TECHNIQUES = ["hold"] * 8 + ["rebook"] * 6 + ["hoard"] * 6
HOARD_TOKENS, HOARD_HOLDS, BUYER_TOKENS = 3, 3, 2
LATER_ROUNDS, ROUND_MINUTES = 10, 30
URL = urllib.parse.urlsplit(os.environ["CRENEAU_URL"])
ORIGIN = os.environ["CRENEAU_URL"].rstrip("/")


class Client:
    """A browser: its own source address and cookie jar; no redirect
    following (follow() does it)."""
    count = 0

    def __init__(self):
        Client.count += 1
        n = Client.count
        self.addr = "127.%d.%d.1" % (20 + n // 250, n % 250 + 1)
        self.cookies = {}

    def request(self, method, path, fields=None, referer=None):
        conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=30,
                                          source_address=(self.addr, 0))
        # Simulated minutes pass in milliseconds here: the one-second
        # micro-cache of the public pages would show every round the
        # page of the round before (t/lib/creneau_test.py, USE_CACHE).
        hdrs = {"Accept-Language": "fr", "X-Creneau-No-Cache": "1"}
        if self.cookies:
            hdrs["Cookie"] = "; ".join("%s=%s" % kv for kv in self.cookies.items())
        body = None
        if fields is not None:
            body = urllib.parse.urlencode(fields).encode()
            hdrs.update({"Content-Type": "application/x-www-form-urlencoded",
                         "Content-Length": str(len(body)), "Origin": ORIGIN,
                         "Referer": ORIGIN + (referer or path)})
        conn.request(method, path, body=body, headers=hdrs)
        resp = conn.getresponse()
        data = resp.read()
        headers = {}
        for k, v in resp.getheaders():
            headers.setdefault(k.lower(), []).append(v)
            if k.lower() == "set-cookie":
                name, _, rest = v.partition("=")
                value = rest.split(";", 1)[0]
                if "max-age=0" in v.lower() or value == "":
                    self.cookies.pop(name.strip(), None)
                else:
                    self.cookies[name.strip()] = value
        conn.close()
        return Response(resp.status, headers, data, url=path)

    def get(self, path):
        return self.request("GET", path)

    def submit(self, f, values):
        return self.request("POST", f.action, fields=f.fill(values), referer=f.page_url)

    def follow(self, r):
        loc = r.header("location")
        if r.status in (301, 302, 303) and loc:
            return self.get(resolve(r.url, loc))
        return r


def letters_of(n):
    """n written in letters (names take no digits): 0 a, 1 b, ... 26 ba."""
    s = ""
    while True:
        s = chr(ord("a") + n % 26) + s
        n //= 26
        if n == 0:
            return s


def outbox_code(recipient):
    return psql("SELECT payload->>'code' FROM outbox WHERE kind = 'confirmation_code' AND recipient = %s "
                "ORDER BY id DESC LIMIT 1" % sql_literal(recipient)) or None


class Person:
    """Someone who fills the booking form: an identity and a client."""

    def __init__(self, rnd, kind, n, tag):
        self.kind, self.n = kind, n
        self.client = Client()
        self.surname = "%s%s%s" % (kind.capitalize(), tag, letters_of(n))
        self.birth = (rnd.randint(1950, 2004), rnd.randint(1, 12), rnd.randint(1, 28))
        self.email = "%s%d-%s@%s.example.org" % (kind, n, tag, kind)
        self.booking = None         # path of the booking page once held
        self.slot_path = None
        self.confirmed = False

    def values(self, f, surname=None, email=None):
        v = {"surname": surname or self.surname, "given_names": "Camille", "lang": "fr",
             "email": email or self.email}
        v.update(birth_values(f, self.birth))
        return v

    def hold(self, f, surname=None, email=None):
        """Sends booking form f; returns the booking page path or None."""
        r = self.client.submit(f, self.values(f, surname, email))
        loc = r.header("location") or ""
        if r.status == 303 and "/booking/" in loc:
            return resolve(r.url, loc)
        return None

    def confirm(self, booking, email=None):
        page = self.client.get(booking)
        f = form(page, action=r"/confirm$", has="code")
        code = outbox_code(email or self.email)
        if f is None or code is None:
            return False
        self.client.follow(self.client.submit(f, {"code": code}))
        return psql("SELECT count(*) FROM bookings b WHERE b.status = 'confirmed' AND b.email = %s"
                    % sql_literal(email or self.email)) != "0"

    def cancel(self, booking):
        page = self.client.get(booking + "/cancel")
        f = form(page, action=r"/cancel$")
        if f is None:
            return False
        r = self.client.submit(f, {})
        return r.status in (200, 303)


def free_times(client, day_path):
    """The booking form paths the day page lists as free."""
    page = client.get(day_path)
    return sorted({resolve(page.url, a.get("href")) for a in parse(page).iter("a")
                   if re.match(r"^/book/", a.get("href") or "")})


def token_form(client, path):
    """The booking form of a time (its token), or None when not free."""
    return form(client.get(path), action=r"^/book/", has="surname")


def pause():
    """The time a form takes to fill: the configured minimum, and a margin."""
    time.sleep(form_min_seconds() + 0.6)


def advance(site_slug, minutes):
    """Simulated time passes: the site's pending hold ends and release
    times come `minutes` earlier, then the sweep runs."""
    site = "(SELECT id FROM sites WHERE slug = %s)" % sql_literal(site_slug)
    psql("UPDATE bookings SET hold_expires_at = hold_expires_at - make_interval(mins => %d) "
         " WHERE site_id = %s AND status = 'held';"
         "UPDATE bookings SET release_at = release_at - make_interval(mins => %d) "
         " WHERE site_id = %s AND status = 'cancelled' AND NOT released;"
         "SELECT count(*) FROM booking_sweep()" % (minutes, site, minutes, site))


def honest_round(rnd, honest, day_path):
    """Every honest applicant without a place looks at the day, picks a
    free time, fills the form (all at once: one pause), sends it, and
    confirms with the code. Returns how many tried."""
    trying = []
    for p in honest:
        if p.confirmed:
            continue
        paths = free_times(p.client, day_path)
        if not paths:
            continue
        path = rnd.choice(paths)
        f = token_form(p.client, path)
        if f is not None:
            trying.append((p, f))
    if not trying:
        return 0
    pause()
    rnd.shuffle(trying)
    for p, f in trying:
        b = p.hold(f)
        if b is not None:
            p.confirmed = p.confirm(b)
    return len(trying)


def run(label, with_resellers, seed):
    rnd = random.Random(seed)
    fx = Fixture("resale")
    tag = re.sub(r"[^a-z]", "", fx.slug.split("-")[-1])
    try:
        code = fx.procedure("sim", slots=PLACES, capacity=1, days_ahead=5)
        day = psql("SELECT min((starts_at AT TIME ZONE 'Europe/Paris')::date) FROM slots s "
                   "JOIN procedures p ON p.id = s.procedure_id WHERE p.code = %s" % sql_literal(code))
        day_path = "/site/%s/%s?day=%s" % (fx.slug, code, day)
        honest = [Person(rnd, "honest", i, tag) for i in range(HONEST)]
        resellers = [Person(rnd, "reseller", i, tag) for i in range(RESELLERS if with_resellers else 0)]
        buyers = [Person(rnd, "buyer", i, tag) for i in range(BUYERS if with_resellers else 0)]
        held = []       # (reseller, booking path, time path, email of the hold)
        stats = {"hoarded": 0, "reseller_holds": 0}

        # --- Round 0, the opening. Bots fetch their tokens first.
        times = free_times(Client(), day_path)
        hoards = {}
        for r_ in resellers:
            k = TECHNIQUES[r_.n]
            hoards[r_] = [(path, token_form(r_.client, path))
                          for path in times for _ in range(HOARD_TOKENS if k == "hoard" else 1)]
            stats["hoarded"] += sum(1 for _, f in hoards[r_] if f is not None)
        buyer_tokens = {}
        for b in buyers:
            buyer_tokens[b] = {path: [token_form(b.client, path) for _ in range(BUYER_TOKENS)] for path in times}
            stats["hoarded"] += sum(1 for fs in buyer_tokens[b].values() for f in fs if f is not None)
        # People open the day and a form at the same time.
        opening = []
        for p in honest:
            paths = free_times(p.client, day_path)
            if paths:
                f = token_form(p.client, rnd.choice(paths))
                if f is not None:
                    opening.append((p, f))
        pause()
        # The bots send first, in a shuffled order.
        order = resellers[:]
        rnd.shuffle(order)
        for r_ in order:
            k = TECHNIQUES[r_.n]
            want = HOARD_HOLDS if k == "hoard" else 1
            got = 0
            tokens = hoards[r_][:]
            rnd.shuffle(tokens)
            for path, f in tokens:
                if got >= want or f is None:
                    continue
                n = len(held)
                email = "hold%d-%s@reseller.example.org" % (n, tag)
                b = r_.hold(f, surname="Quelconque%s%s" % (tag, letters_of(n)), email=email)
                if b is None:
                    continue
                got += 1
                stats["reseller_holds"] += 1
                if k == "rebook":
                    r_.confirm(b, email=email)
                held.append((r_, b, path, email))
        rnd.shuffle(opening)
        for p, f in opening:
            b = p.hold(f)
            if b is not None:
                p.confirmed = p.confirm(b)

        # --- Round 1, the handovers: each reseller's place to a buyer.
        waiting = buyers[:]
        for r_, b, path, email in held:
            if not waiting:
                break
            buyer = waiting.pop(0)
            r_.cancel(b)
            for f in buyer_tokens[buyer].get(path, []):
                if f is None:
                    continue
                got = buyer.hold(f)
                if got is not None:
                    buyer.confirmed = buyer.confirm(got)
                    break
        honest_round(rnd, honest, day_path)

        # --- Later rounds: time passes, honest applicants come back.
        for _ in range(LATER_ROUNDS):
            advance(fx.slug, ROUND_MINUTES)
            honest_round(rnd, honest, day_path)

        handovers = int(psql(
            "SELECT count(DISTINCT b.id) FROM bookings b JOIN bookings r ON r.slot_id = b.slot_id "
            "WHERE b.site_id = (SELECT id FROM sites WHERE slug = %s) AND b.email LIKE %s "
            "AND b.status IN ('held', 'confirmed') AND r.email LIKE %s "
            "AND r.status IN ('cancelled', 'expired') AND r.created_at <= b.created_at"
            % (sql_literal(fx.slug), sql_literal("buyer%@buyer.example.org"),
               sql_literal("%@reseller.example.org"))))
        ok = sum(1 for p in honest if p.confirmed)
        return {"label": label, "handovers": handovers, "honest_ok": ok, "honest": len(honest),
                "rate": ok / len(honest), "reseller_holds": stats["reseller_holds"],
                "hoarded": stats["hoarded"],
                "by_technique": {k: sum(1 for r_, _, _, _ in held if TECHNIQUES[r_.n] == k)
                                 for k in ("hold", "rebook", "hoard")},
                "buyers_placed": sum(1 for b in buyers if b.confirmed)}
    finally:
        try:
            fx.drop()
        except Exception:  # noqa: BLE001 - the append-only audit log keeps the site
            t.diag("site %s kept: the audit log refers to it" % fx.slug)


t0 = time.time()
base = run("honest applicants alone", False, 20261207)
t.diag("without resellers: %d of %d honest applicants got a place (%.2f)"
       % (base["honest_ok"], base["honest"], base["rate"]))
t.is_(base["honest_ok"], PLACES, "without resellers, the %d places go to honest applicants" % PLACES)
sim = run("with resellers", True, 20261207)
t.diag("with %d resellers (%s): %d form tokens hoarded, %d places held by resellers at the opening "
       "(hold-and-cancel %d, cancel-and-rebook %d, token hoarding %d)"
       % (RESELLERS, ", ".join("%d %s" % (TECHNIQUES.count(k), k) for k in ("hold", "rebook", "hoard")),
          sim["hoarded"], sim["reseller_holds"], sim["by_technique"]["hold"], sim["by_technique"]["rebook"],
          sim["by_technique"]["hoard"]))
t.diag("handovers: %d (buyers with a place: %d of %d)" % (sim["handovers"], sim["buyers_placed"], BUYERS))
t.diag("honest applicants: %d of %d got a place (%.2f), against %.2f without resellers"
       % (sim["honest_ok"], sim["honest"], sim["rate"], base["rate"]))
t.diag("run time %.1f s" % (time.time() - t0))
t.ok(sim["reseller_holds"] > 0, "the resellers did take places at the opening (the attack was tried)")
t.is_(sim["handovers"], 0, "no buyer ends with a place a reseller released")
t.ok(sim["rate"] >= base["rate"], "honest applicants succeed no less often than without resellers "
     "(%.2f against %.2f)" % (sim["rate"], base["rate"]))
t.done()
