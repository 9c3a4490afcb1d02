#!/usr/bin/env python3
"""Abuse of the access doors (issue 10), as an attacker drives them over
real HTTP, from several client addresses (127.0.0.x) and browsers (cookie
jars of their own):

- /manage: wrong birth dates for one reference are throttled with a
  growing wait (the right date then waits too, from any address), many
  references tried from one address are throttled per address, the live
  links a booking gets from /manage are bounded (older ones revoked, the
  link of the messages kept), and every lookup and failure is in the
  audit log without personal data in clear;
- staff logins: a stranger's wrong passwords never lock the agent out
  (their known browser gets in at once, another address after a small
  delay at most), while the stranger's own address is throttled;
- login CSRF: a login token taken in another browser is refused;
- cross-site POSTs (Origin of another site, Sec-Fetch-Site: cross-site)
  are refused on a public and on a staff form and change nothing, while
  a POST with neither header (lynx) still works.

Works on a site and accounts of its own, removed at the end."""

import http.client
import os
import re
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, birth_values, book, form, location_path,  # noqa: E402
                          letters, new_identity, page_text, parse, psql,
                          skip_all_unless_server, sql_literal, staff_add, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
URL = urllib.parse.urlsplit(os.environ["CRENEAU_URL"])
ORIGIN = "%s://%s" % (URL.scheme, URL.netloc)
STAFF_COOKIE = "__Host-creneau-staff"
WAIT_WORDS = re.compile(r"(patientez|attendez|wait|réessayez dans|try again in)", re.I)


class Browser:
    """A client with a cookie jar of its own, sending from one local
    address (127.0.0.x), with the Origin and Sec-Fetch-Site headers a
    browser sends on a same-site form (unless told otherwise)."""

    def __init__(self, source="127.0.0.1", origin=True):
        self.source = source
        self.jar = {}
        self.origin = origin

    def request(self, method, path, body=None, headers=None):
        conn = http.client.HTTPConnection(URL.hostname, URL.port, timeout=60,
                                          source_address=(self.source, 0))
        h = {"Accept-Language": "fr"}
        if self.jar:
            h["Cookie"] = "; ".join("%s=%s" % kv for kv in self.jar.items())
        if body is not None:
            h["Content-Type"] = "application/x-www-form-urlencoded"
            if self.origin:
                h["Origin"] = ORIGIN
                h["Sec-Fetch-Site"] = "same-origin"
        h.update(headers or {})
        h = {k: v for k, v in h.items() if v is not None}
        data = urllib.parse.urlencode(body).encode() if body is not None else None
        conn.request(method, path, body=data, headers=h)
        r = conn.getresponse()
        resp = type("R", (), {})()
        resp.status = r.status
        resp.body = r.read()
        resp.text = resp.body.decode("utf-8", "replace")
        resp.url = path
        resp.cookies = r.headers.get_all("Set-Cookie") or []
        resp.location = r.getheader("Location")
        conn.close()
        for c in resp.cookies:
            m = re.match(r"([^=;\s]+)=([^;]*)", c)
            if not m:
                continue
            if "Max-Age=0" in c or m.group(2) == "":
                self.jar.pop(m.group(1), None)
            else:
                self.jar[m.group(1)] = m.group(2)
        return resp

    def get(self, path, headers=None):
        return self.request("GET", path, headers=headers)

    def post(self, path, fields, headers=None):
        return self.request("POST", path, body=fields, headers=headers)


def text_of(resp):
    return page_text(resp.text)


def manage(b, ref, birth, headers=None):
    """Sends /manage with a reference and a date of birth from browser b."""
    y, m, d = birth
    return b.post("/manage", [("reference", ref), ("birth_day", str(d)),
                              ("birth_month", str(m)), ("birth_year", str(y))], headers=headers)


def is_link(resp):
    return resp.status == 303 and re.match(r"^/booking/[A-Za-z0-9_-]{43}$", resp.location or "") is not None


def throttled(resp):
    """A /manage or login answer that asks to wait: 200 or 429, a message
    with the wait, no link, no session."""
    return resp.status in (200, 429) and WAIT_WORDS.search(text_of(resp)) is not None \
        and not is_link(resp) and not any(c.startswith(STAFF_COOKIE + "=") and "Max-Age=0" not in c
                                           for c in resp.cookies)


def wrong_birth(birth, i):
    y, m, d = birth
    return (y - 1 - i // 12, i % 12 + 1, (d + i) % 28 + 1)


def reset_throttles():
    """Forgets every wait (as time passing would), not the counts."""
    for table in ("access_throttle",):
        try:
            psql("UPDATE %s SET locked_until = now() WHERE locked_until > now()" % table)
        except Exception:  # the table does not exist before the change
            pass


fx = Fixture("access")
word = letters(8)
agent_email = "agent-access-%s@test.example" % word
agent_pw = "correct horse %s" % word
try:
    proc = fx.procedure("manage", slots=6, capacity=1)
    slots = fx.slots(proc)
    people = []
    for i in range(4):
        me = new_identity("access")
        _page, r = book(slots[i], me)
        loc = location_path(r)
        ref = psql("SELECT reference FROM bookings WHERE email = %s" % sql_literal(me["email"]))
        people.append((me, ref, loc))
    t.ok(all(p[1] for p in people), "four bookings held to work on (%s)" % ", ".join(p[1] for p in people))
    (me_a, ref_a, link_a), (me_b, ref_b, link_b), (me_c, ref_c, link_c), (me_d, ref_d, link_d) = people

    # --- /manage: wrong birth dates for one reference -------------------------
    attacker = Browser("127.0.0.3")
    answers = []
    started = time.time()
    for i in range(30):
        answers.append(manage(attacker, ref_a, wrong_birth(me_a["birth"], i)))
    elapsed = time.time() - started
    normal = sum(1 for r in answers if r.status == 200 and not throttled(r))
    slowed = sum(1 for r in answers if throttled(r))
    t.diag("30 wrong birth dates for one reference in %.1f s: %d answered normally, %d throttled"
           % (elapsed, normal, slowed))
    t.ok(normal <= 5, "at most 5 of 30 wrong birth dates for one reference are checked (%d were)" % normal)
    t.ok(slowed >= 25 and throttled(answers[-1]), "the others are asked to wait (%d)" % slowed)
    last = answers[-1]
    t.is_(wellformed(last.body), None, "the page asking to wait is well-formed")
    f = form(last.text, has="reference")
    t.ok(f is not None and f.get("reference") == ref_a and f.get("birth_year") is not None
         and f.get("birth_year") != "",
         "it keeps what was typed (reference and date of birth)")
    t.ok(re.search(r"\d+\s*(seconde|minute|heure|second|hour)", text_of(last), re.I) is not None,
         "it says how long to wait, in words (%s)" % (WAIT_WORDS.search(text_of(last)) and
                                                     text_of(last)[:160]))
    r = manage(attacker, ref_a, me_a["birth"])
    t.ok(not is_link(r) and throttled(r), "the right date from that address then waits too")
    r = manage(Browser("127.0.0.4"), ref_a, me_a["birth"])
    t.ok(not is_link(r) and throttled(r), "and from another address: the wait is per reference")

    # The wait grows from one failure to the next once it is over (on a
    # reference of its own, tried from yet another address).
    def ref_wait(ref):
        try:
            return int(psql("SELECT coalesce(max(extract(epoch FROM locked_until - now()))::int, 0) "
                            "FROM access_throttle WHERE key = %s" % sql_literal("manage_reference:" + ref)))
        except Exception:
            return 0
    grower = Browser("127.0.0.15")
    for i in range(10):
        if throttled(manage(grower, ref_c, wrong_birth(me_c["birth"], i))):
            break
    w1 = ref_wait(ref_c)
    reset_throttles()
    manage(grower, ref_c, wrong_birth(me_c["birth"], 20))
    w2 = ref_wait(ref_c)
    t.ok(w1 > 0 and w2 > w1, "the wait grows with each failure (%d s, then %d s)" % (w1, w2))
    reset_throttles()
    r = manage(Browser("127.0.0.4"), ref_a, me_a["birth"])
    t.ok(is_link(r), "once the wait is over, the right date gives the link")
    r = manage(Browser("127.0.0.4"), ref_c, me_c["birth"])
    t.ok(is_link(r), "and a success forgets the failures of its reference")

    # --- /manage: wrong birth dates for one reference, all at once -----------
    # 30 clients on 30 addresses send at the same moment: the counter of
    # the reference is taken one request after the other, so no more are
    # checked than one by one.
    results, gate = [], threading.Barrier(30)

    def guess(i):
        b = Browser("127.0.1.%d" % (i + 1))
        gate.wait()
        results.append(manage(b, ref_d, wrong_birth(me_d["birth"], i)))
    threads = [threading.Thread(target=guess, args=(i,)) for i in range(30)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    checked = sum(1 for r in results if r.status == 200)
    t.diag("30 wrong birth dates for one reference sent at once from 30 addresses: %d checked" % checked)
    t.ok(len(results) == 30 and checked <= 3,
         "sent at once from 30 addresses, at most 3 wrong dates are checked (%d)" % checked)

    # --- /manage: many references from one address ----------------------------
    sprayer = Browser("127.0.0.5")
    spray = []
    for i in range(40):
        fake = "".join("ACDEFGHJKLMNPQRTUVWXY34679"[(i * 7 + k * 3) % 26] for k in range(8))
        spray.append(manage(sprayer, fake, (1980 + i % 20, i % 12 + 1, i % 28 + 1)))
    normal = sum(1 for r in spray if r.status == 200 and not throttled(r))
    t.diag("40 references tried from one address: %d answered normally" % normal)
    t.ok(normal < 40 and throttled(spray[-1]), "many references from one address are throttled (%d of 40 checked)"
         % normal)
    r = manage(sprayer, ref_b, me_b["birth"])
    t.ok(not is_link(r) and throttled(r), "a real reference with its right date from that address then waits")
    r = manage(Browser("127.0.0.6"), ref_b, me_b["birth"])
    t.ok(is_link(r), "while the same from another address gets its link")
    # An hour later without a failure (a France Services point shares its
    # address), the address's failures are forgotten; a reference's are
    # kept for a day.
    psql("UPDATE access_throttle SET last_at = now() - interval '61 minutes', locked_until = NULL "
         "WHERE key LIKE 'manage_address:%%' AND failures >= 20")
    r = manage(sprayer, ref_b, me_b["birth"])
    t.ok(is_link(r), "an hour after its last failure, the address is forgiven")
    aged = int(psql("UPDATE access_throttle SET last_at = now() - interval '25 hours', locked_until = NULL "
                    "WHERE key LIKE 'manage_reference:%%' AND failures > 0 RETURNING 1").count("1") or 0)
    sweep = subprocess.run([os.path.join(os.environ.get("top_builddir", "."), "creneau-admin"),
                            "-c", os.environ["CRENEAU_CONF"], "sweep"], capture_output=True, text=True)
    m = re.search(r"sweep: (\d+) access failure counters deleted", sweep.stdout)
    t.ok(m is not None and int(m.group(1)) >= aged > 0,
         "creneau-admin sweep deletes the counters a day old (%s of %d)" % (m and m.group(1), aged))

    # --- /manage: live links per booking are bounded --------------------------
    holder = Browser("127.0.0.7")
    minted = []
    for i in range(6):
        r = manage(holder, ref_c, me_c["birth"])
        if is_link(r):
            minted.append(r.location)
    bid_c = psql("SELECT id FROM bookings WHERE reference = %s" % sql_literal(ref_c))
    live = int(psql("SELECT count(*) FROM booking_tokens WHERE booking_id = %s "
                    "AND expires_at IS NOT NULL AND expires_at > now()" % bid_c))
    t.diag("6 lookups of one booking: %d links minted, %d live" % (len(minted), live))
    t.is_(len(minted), 6, "six right lookups of one booking each give a link")
    t.ok(live <= 3, "at most 3 links from /manage are live for one booking (%d)" % live)
    opens = [Browser("127.0.0.7").get(p).status for p in minted]
    t.is_(opens[-3:], [200, 200, 200], "the 3 newest links open the booking")
    t.ok(all(s != 200 for s in opens[:3]), "the older ones are revoked (%s)" % opens[:3])
    t.is_(Browser("127.0.0.7").get(link_c).status, 200, "the link of the messages still opens it")

    # --- /manage: the audit log ------------------------------------------------
    n_look = int(psql("SELECT count(*) FROM audit_log WHERE action LIKE 'manage.%%' AND object = %s"
                      % sql_literal(ref_c)))
    n_fail = int(psql("SELECT count(*) FROM audit_log WHERE action LIKE 'manage.%%' AND object = %s"
                      " AND action <> 'manage.lookup'" % sql_literal(ref_a)))
    t.diag("audit rows: %d for the lookups of %s, %d failures or waits for %s" % (n_look, ref_c, n_fail, ref_a))
    t.ok(n_look >= 6, "every lookup is in the audit log (%d rows for 6 lookups)" % n_look)
    t.ok(n_fail >= 30, "every failure and refusal is in the audit log (%d rows)" % n_fail)
    leak = psql("SELECT count(*) FROM audit_log WHERE action LIKE 'manage.%%' AND "
                "(details::text ~ '127\\.0\\.0\\.' OR details::text LIKE %s OR coalesce(object, '') ~ '127\\.0')"
                % sql_literal("%%%04d-%02d%%" % me_a["birth"][:2]))
    t.is_(leak, "0", "no address nor date of birth in clear in those rows")
    if n_fail:
        t.ok(psql("SELECT bool_and(details ? 'address') FROM audit_log WHERE action LIKE 'manage.%%' "
                  "AND object = %s" % sql_literal(ref_a)) == "t",
             "the address is there as its keyed digest")

    # --- Staff: a stranger cannot lock the agent out ----------------------------
    r = staff_add(agent_email, "agent", "Agent Accès", "prefecture-rhone", password=agent_pw)
    t.is_(r.returncode, 0, "an agent account to attack (%s)" % r.stderr.strip())

    def login(b, email, pw, headers=None):
        page = b.get("/agent/login")
        f = form(page.text, action=r"^/agent/login$")
        fields = f.fill({"email": email, "password": pw})
        return b.post("/agent/login", fields, headers=headers)

    def session_of(resp):
        for c in resp.cookies:
            m = re.match(r"%s=([^;]+)" % re.escape(STAFF_COOKIE), c)
            if m and "Max-Age=0" not in c:
                return m.group(1)
        return None

    agent = Browser("127.0.0.1")
    t.ok(session_of(login(agent, agent_email, agent_pw)) is not None, "the agent logs in from their browser")
    stranger = Browser("127.0.0.8")
    st = [login(stranger, agent_email, "guess %d" % i) for i in range(20)]
    t.ok(throttled(st[-1]), "20 wrong passwords from a stranger: the stranger is asked to wait")
    t.ok(session_of(login(stranger, agent_email, agent_pw)) is None,
         "and even the right password from the stranger's browser and address waits")
    # 20 wrong passwords sent at the same moment from one address: each
    # attempt is counted before its password is checked, so no more are
    # checked than one by one (the checked ones are audited).
    def failed_rows():
        return int(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
                        "WHERE s.email = %s AND a.action = 'login.failed'" % sql_literal(agent_email)))
    before, gate2, done = failed_rows(), threading.Barrier(20), []

    def burst(i):
        b = Browser("127.0.2.1")
        page = b.get("/agent/login")
        fields = form(page.text, action=r"^/agent/login$").fill({"email": agent_email,
                                                                  "password": "burst %d" % i})
        gate2.wait()
        done.append(b.post("/agent/login", fields))
    threads = [threading.Thread(target=burst, args=(i,)) for i in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    checked = failed_rows() - before
    t.diag("20 wrong passwords sent at once from one address: %d checked" % checked)
    t.ok(len(done) == 20 and checked <= 5, "sent at once, at most 5 wrong passwords are checked (%d)" % checked)

    r = login(agent, agent_email, agent_pw)
    got = session_of(r) is not None
    t.diag("after 20 wrong passwords by a stranger, the agent's own browser: %s"
           % ("in" if got else "refused: " + text_of(r)[:120]))
    t.ok(got, "the agent's known browser gets in at once with the right password")
    # A stranger with many addresses: a few wrong passwords from each.
    spread = 0
    for host in range(20, 32):
        b = Browser("127.0.0.%d" % host)
        for i in range(3):
            r = login(b, agent_email, "spread guess %d %d" % (host, i))
            spread += 1 if not throttled(r) else 0
    t.diag("a stranger on 12 addresses, 3 wrong passwords each: %d checked" % spread)
    r = login(Browser("127.0.0.32"), agent_email, "one more guess")
    t.ok(throttled(r), "then the account slows unknown browsers down: a new address must first wait")
    r = login(agent, agent_email, agent_pw)
    t.ok(session_of(r) is not None, "while the agent's known browser still gets in at once")
    elsewhere = Browser("127.0.0.9")
    r = login(elsewhere, agent_email, agent_pw)
    delay = 0
    if session_of(r) is None:
        m = re.search(r"(\d+)\s*(seconde|second)", text_of(r), re.I)
        delay = int(m.group(1)) if m else 999
        t.diag("from another address, the right password is first asked to wait: %s" % text_of(r)[:160])
        if delay <= 60:
            time.sleep(delay + 1)
            r = login(elsewhere, agent_email, agent_pw)
    t.ok(session_of(r) is not None and delay <= 60,
         "from another address and a new browser, the right password gets in (after %d s)" % delay)

    # The rest works on a quiet account (as after the attack is over).
    psql("DELETE FROM access_throttle WHERE key LIKE %s" % sql_literal("login_%%"))

    # --- Login CSRF: a token from another browser --------------------------------
    victim, evil = Browser("127.0.0.10"), Browser("127.0.0.11")
    victim.get("/agent/login")
    f = form(evil.get("/agent/login").text, action=r"^/agent/login$")
    fields = f.fill({"email": agent_email, "password": agent_pw})
    r = victim.post("/agent/login", fields)
    t.ok(session_of(r) is None, "a login token taken in another browser is refused")
    t.ok(r.status in (200, 403) and form(r.text, action=r"^/agent/login$") is not None or r.status == 403,
         "with the form again or a refusal (%d)" % r.status)
    r = Browser("127.0.0.10").post("/agent/login", fields)
    t.ok(session_of(r) is None, "and sent by a browser without the login cookie too")
    t.ok(session_of(login(Browser("127.0.0.10"), agent_email, agent_pw)) is not None,
         "while the login in one browser works")

    # --- Cross-site POSTs ------------------------------------------------------------
    tokens_before = psql("SELECT count(*) FROM booking_tokens")
    audit_before = psql("SELECT count(*) FROM audit_log")
    lynx = Browser("127.0.0.12", origin=False)
    cases = [("Origin of another site", {"Origin": "https://evil.example"}),
             ("Origin on another port", {"Origin": "%s://%s:1" % (URL.scheme, URL.hostname)}),
             ("Origin of another scheme", {"Origin": "https://%s" % URL.netloc}),
             ("Sec-Fetch-Site: cross-site", {"Sec-Fetch-Site": "cross-site"})]
    for what, h in cases:
        r = manage(lynx, ref_b, me_b["birth"], headers=h)
        t.is_(r.status, 403, "a cross-site POST to /manage (%s) is refused with 403" % what)
    t.ok(re.search(r"(site|origin|origine)", text_of(r), re.I) is not None and wellformed(r.body) is None,
         "with a clear page (%s)" % text_of(r)[:120])
    t.is_(psql("SELECT count(*) FROM booking_tokens"), tokens_before, "no link was minted")
    t.is_(psql("SELECT count(*) FROM audit_log"), audit_before, "nothing was done")
    r = manage(lynx, ref_b, me_b["birth"])
    t.ok(is_link(r), "a POST with neither Origin nor Sec-Fetch-Site (lynx) still works")

    staffb = Browser("127.0.0.13")
    tok = session_of(login(staffb, agent_email, agent_pw))
    home = staffb.get("/agent")
    lf = form(home.text, action=r"^/agent/logout$")
    csrf = lf.get("csrf") if lf else ""
    r = staffb.post("/agent/logout", [("csrf", csrf)], headers={"Origin": "https://evil.example"})
    t.is_(r.status, 403, "a cross-site POST to a staff form (logout) is refused with 403")
    t.is_(staffb.get("/agent").status, 200, "and the session is still open")
    r = staffb.post("/agent/logout", [("csrf", csrf)], headers={"Sec-Fetch-Site": "cross-site", "Origin": None})
    t.is_(r.status, 403, "Sec-Fetch-Site: cross-site on a staff form is refused too")
    r = staffb.post("/agent/logout", [("csrf", csrf)])
    t.is_(r.status, 303, "while the same form from the site works (%s)" % (tok is not None))
    r = Browser("127.0.0.14").post("/agent/login", [("email", agent_email), ("password", agent_pw)],
                                   headers={"Origin": "https://evil.example"})
    t.is_(r.status, 403, "a cross-site POST to the login form is refused with 403")
finally:
    try:
        psql("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = %s);"
             "DELETE FROM staff_sites WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = %s)"
             % (sql_literal(agent_email), sql_literal(agent_email)))
    except Exception:
        pass
    for table in ("access_throttle",):
        try:
            psql("DELETE FROM %s" % table)
        except Exception:
            pass
    fx.drop()
t.done()
