#!/usr/bin/env python3
"""Bad input on the booking form, field by field (empty, too long, wrong
format, control characters), each answered with the form again (200, never
500), well-formed, an error summary at the top, the field marked invalid
with its message, and every other value kept; names in other scripts are
accepted as typed. A missing, tampered, foreign or too-fast form token and
a filled honeypot are refused and book nothing. No personal data in the
redirect nor in the access log."""

import os
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, BOOKING_PATH_RE, TAP, Fixture, booking_values, error_summary,  # noqa: E402
                          field_error, form, get, location_path, new_identity, page_text, psql,
                          skip_all_unless_server, sql_literal, wait_form_min, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
started = time.time()
BIRTH = ("birth_day", "birth_month", "birth_year")
VALUE_FIELDS = ("surname", "given_names") + BIRTH + ("email", "phone", "lang", "agdref")

fx = Fixture("input")
emails, surnames, tokens = [], [], []


def count(email):
    return int(psql("SELECT count(*) FROM bookings WHERE lower(email) = lower(%s)" % sql_literal(email)))


def fresh_form(slot):
    """GETs the booking form of a slot; returns (page, Form or None)."""
    page = get(book_path(slot))
    return page, form(page, action=r"^/book/%d\.[0-9a-f]{16}$" % slot, has="surname")


def refused(r, what, sent, field=None):
    """Checks an answer to a bad submission: the form again (200), well-
    formed, a summary; with field, the field is marked invalid and its
    message exists; every other value kept. Returns the re-rendered form."""
    t.is_(r.status, 200, "%s: the form comes back (200; got %d)" % (what, r.status))
    if r.status != 200:
        t.diag(page_text(r)[:300])
        return None
    t.is_(wellformed(r.body), None, "%s: the page is well-formed" % what)
    summary = error_summary(r)
    t.ok(summary and all(s.strip() for s in summary), "%s: an error summary at the top (%s)"
         % (what, " | ".join(summary)[:120]))
    rf = form(r, has="surname")
    t.ok(rf is not None and rf.get("token"), "%s: the form is there again, with a new token" % what)
    if field is not None:
        marks = [field] if field not in BIRTH else list(BIRTH)
        found = [(m,) + field_error(r, m) for m in marks]
        invalid = [f for f in found if f[1] == "true"]
        t.ok(invalid, "%s: %s is marked aria-invalid" % (what, field))
        good = [f for f in invalid if f[2] and any(x.strip() for x in f[2]) and not f[3]]
        t.ok(good, "%s: its aria-describedby names existing elements, one with the message (%s)"
             % (what, " | ".join(invalid[0][2])[:100] if invalid else "-"))
        others = [m for m in VALUE_FIELDS if m not in marks and m != field]
    else:
        others = list(VALUE_FIELDS)
    if rf is not None:
        sent_d = dict(sent)
        lost = [(m, sent_d.get(m), rf.get(m)) for m in others
                if m in sent_d and rf.field(m) is not None and (rf.get(m) or "") != sent_d[m]]
        if not t.ok(not lost, "%s: every other value is kept" % what):
            t.diag("lost: %r" % (lost,))
    return rf


# --- Fixture: an open procedure and a renewal, many places -----------------
open_code = fx.procedure("open", slots=6, capacity=60)
ren_code = fx.procedure("renewal", slots=6, capacity=60, requires_agdref=True)
open_slots = fx.slots(open_code)
ren_slots = fx.slots(ren_code)
known_agdref = fx.add_agdref()
t.ok(len(open_slots) == 6 and len(ren_slots) == 6, "a site of the test's own with slots (%s)" % fx.slug)

try:
    # --- Bad values, one field at a time (one token, one wait) --------------
    base = new_identity("input", phone="", agdref=known_agdref)
    emails.append(base["email"])
    surnames.append(base["surname"])
    page, bf = fresh_form(ren_slots[0])
    t.ok(bf is not None and bf.field("agdref") is not None, "the renewal form has every field")
    wait_form_min()
    long = "A" * 300
    cases = []
    for f in ("surname", "given_names"):
        cases += [(f, "", "empty"), (f, "   ", "only spaces"), (f, "Dupont" * 50, "300 characters"),
                  (f, "12345", "digits"), (f, "<b>Dupont</b>", "markup"), (f, "Du@pont", "a symbol"),
                  (f, "Dupont\x01", "a control character U+0001"), (f, "Dupont\x7f", "DEL U+007F"),
                  (f, "Dupont\tMartin", "a tab"), (f, "Dupont\u0085", "a C1 control U+0085"),
                  (f, "-Dupont", "a leading hyphen")]
    cases += [("birth_day", "", "empty"), ("birth_day", "1" * 300, "300 characters"),
              ("birth_day", "32", "day 32"), ("birth_day", "0", "day 0"), ("birth_day", "ab", "letters"),
              ("birth_day", "5\x01", "a control character"),
              ("birth_month", "", "empty"), ("birth_month", "13", "month 13"), ("birth_month", "x", "a letter"),
              ("birth_month", "3\x7f", "DEL"),
              ("birth_year", "", "empty"), ("birth_year", "1" * 300, "300 characters"),
              ("birth_year", "1800", "year 1800"), ("birth_year", "19a0", "a letter"),
              ("birth_year", "%d" % (time.gmtime().tm_year + 1), "next year (in the future)")]
    cases += [("email", "", "empty, and no phone"), ("email", "a" * 300 + "@example.org", "300 characters"),
              ("email", "not-an-email", "no @"), ("email", "a@b", "no domain dot"),
              ("email", "a b@example.org", "a space"), ("email", "a@example.org\x01", "a control character"),
              ("email", "a\x7f@example.org", "DEL"), ("email", "<a@example.org>", "angle brackets")]
    cases += [("phone", "1" * 300, "300 digits"), ("phone", "12345", "too short"),
              ("phone", "06 12 34", "incomplete"), ("phone", "+33 abc", "letters"),
              ("phone", "0612345678\x01", "a control character"), ("phone", "0112345678", "not a mobile")]
    cases += [("agdref", "", "empty (a renewal needs it)"), ("agdref", "1" * 300, "300 digits"),
              ("agdref", "12345", "5 digits"), ("agdref", "abcdefghij", "letters"),
              ("agdref", "12345678901", "11 digits"), ("agdref", "123456789\x7f", "DEL")]
    cases += [("lang", "xx", "a language not offered"), ("lang", "", "empty")]
    for field, value, desc in cases:
        vals = booking_values(bf, base)
        vals[field] = value
        if field == "email" and value == "":
            vals["phone"] = ""
        r = bf.submit(vals)
        refused(r, "%s %s" % (field, desc), bf.fill(vals), field=field)
    # Dates that do not exist, as a whole.
    for (d, m, y), desc in (((31, 2, 1990), "31 February"), ((29, 2, 1991), "29 February 1991"),
                            ((31, 4, 1985), "31 April")):
        vals = booking_values(bf, base)
        vals.update(birth_day=str(d), birth_month=str(m), birth_year=str(y))
        refused(bf.submit(vals), "date of birth %s" % desc, bf.fill(vals), field="birth_day")
    # Several errors at once: all listed.
    vals = booking_values(bf, base)
    vals.update(surname="", email="nope", birth_month="13")
    r = bf.submit(vals)
    refused(r, "three bad fields at once", bf.fill(vals), field="surname")
    t.ok(len(error_summary(r)) >= 3, "three bad fields give three messages in the summary (%d)"
         % len(error_summary(r)))
    t.ok(all(field_error(r, f)[0] == "true" for f in ("surname", "email")),
         "and each field is marked")
    t.ok(re.match(r"^(Erreur|Error)", (re.search(r"<title>([^<]*)</title>", r.text) or [None, ""])[1] or "")
         is not None, "the page title starts with « Erreur » so screen readers hear it first")

    # Issue 12: an unknown AGDREF number is said in the same round as the
    # other errors, not only once they are fixed; each such check counts
    # as a booking attempt of the address (booking_hold), like a right form.
    unknown = None
    for i in range(100):
        cand = "8%09d" % ((int(time.time() * 1000) + i * 7919) % 10 ** 9)
        if psql("SELECT count(*) FROM agdref_numbers WHERE number = %s" % sql_literal(cand)) == "0":
            unknown = cand
            break
    hits = "SELECT coalesce(sum(hits), 0) FROM rate_limits WHERE action = 'booking_hold' AND key LIKE 'address:%'"
    before = int(psql(hits) or 0)
    vals = booking_values(bf, base)
    vals.update(surname="", agdref=unknown)
    r = bf.submit(vals)
    refused(r, "no surname and an unknown AGDREF number", bf.fill(vals), field="surname")
    inv, msgs, missing = field_error(r, "agdref")
    t.ok(inv == "true" and re.search(r"not known|pas connu|inconnu", " ".join(msgs)),
         "the unknown AGDREF number is reported in the same round (%s)" % " ".join(msgs)[:80])
    t.ok(int(psql(hits) or 0) > before, "and the check counted as a booking attempt of the address")
    vals.update(agdref=known_agdref)
    r = bf.submit(vals)
    inv, msgs, missing = field_error(r, "agdref")
    t.ok(inv != "true", "a known number beside another error is not marked")
    vals.update(agdref=unknown, token="x" * 40)
    before = int(psql(hits) or 0)
    r = bf.submit(vals)
    inv, msgs, missing = field_error(r, "agdref")
    t.ok(inv != "true" and int(psql(hits) or 0) == before,
         "with a forged form token the number is not looked up (no oracle without a fresh form)")
    t.is_(count(base["email"]), 0, "no bad submission booked anything")

    # The re-rendered form works: fix the fields and send it again.
    rf = form(r, has="surname")
    if rf is not None:
        wait_form_min()
        r = rf.submit(booking_values(rf, base))
        t.is_(r.status, 303, "the re-rendered form, corrected, books (303)")
        loc = location_path(r) or ""
        t.ok(BOOKING_PATH_RE.match(loc) is not None, "the redirect is /booking/<token> and nothing else")
        tokens.append(loc.rsplit("/", 1)[-1])
        t.is_(count(base["email"]), 1, "one booking")

    # --- Valid values that must be accepted, stored as typed ---------------
    valid = [
        ("Arabic", dict(surname="محمد", given_names="أحمد علي")),
        ("Chinese", dict(surname="王小明", given_names="小明")),
        ("Cyrillic", dict(surname="Ибрагимова", given_names="Анна Сергеевна")),
        ("an apostrophe", dict(surname="N'Diaye", given_names="Awa")),
        ("a hyphen and a space", dict(surname="Le Gall-Kerjean", given_names="Anne-Sophie")),
        ("a typographic apostrophe", dict(surname="O’Connor", given_names="Siobhán")),
        ("Vietnamese", dict(surname="Nguyễn", given_names="Thị Minh Khai")),
        ("a combining accent", dict(surname="Jose\u0301", given_names="Maria")),
        ("Greek", dict(surname="Παπαδόπουλος", given_names="Γιώργος")),
        ("a day and month with a leading zero", dict(surname="Martin", birth_pad=True)),
        ("a phone and no e-mail", dict(surname="Bernard", email="", phone="06 " + " ".join(
            re.findall("..", "1%07d" % (int(time.time() * 1000) % 10 ** 7))))),
        ("an international phone and an e-mail", dict(surname="Petit", phone="+3361%07d" % (int(time.time()) % 10 ** 7))),
        ("messages in Arabic", dict(surname="Haddad", lang="ar")),
        ("messages in English", dict(surname="Smith", lang="en")),
        ("an e-mail with a plus and a subdomain", dict(surname="Moreau", email_plus=True)),
    ]
    prepared = []
    for i, (desc, over) in enumerate(valid):
        ident = new_identity("valid%d" % i)
        pad = over.pop("birth_pad", False)
        if over.pop("email_plus", False):
            ident["email"] = ident["email"].replace("@", "+tag@mail.")
        ident.update(over)
        slot = open_slots[i % len(open_slots)]
        page, f = fresh_form(slot)
        vals = booking_values(f, ident) if f else {}
        if pad:
            vals["birth_day"] = "%02d" % ident["birth"][2]
            vals["birth_month"] = "%02d" % ident["birth"][1]
        prepared.append((desc, ident, f, vals))
        if ident.get("email"):
            emails.append(ident["email"])
        surnames.append(ident["surname"])
    wait_form_min()
    for desc, ident, f, vals in prepared:
        if f is None:
            t.ok(False, "%s: the form could be loaded" % desc)
            continue
        r = f.submit(vals)
        if not t.is_(r.status, 303, "%s is accepted (%s %s)" % (desc, ident["surname"], ident["given_names"])):
            t.diag(" | ".join(error_summary(r)) or page_text(r)[:300])
            continue
        loc = location_path(r) or ""
        t.ok(BOOKING_PATH_RE.match(loc) is not None, "%s: the redirect is /booking/<token> only" % desc)
        tokens.append(loc.rsplit("/", 1)[-1])
        held = get(loc)
        t.ok(held.status == 200 and wellformed(held.body) is None and form(held, has="code") is not None,
             "%s: the booking page asks for the code" % desc)
        key = ("email", ident["email"]) if ident.get("email") else ("surname", ident["surname"])
        row = psql("SELECT surname || '|' || given_names || '|' || birth_date || '|' || lang FROM bookings "
                   "WHERE site_id = (SELECT id FROM sites WHERE slug = %s) AND %s = %s"
                   % (sql_literal(fx.slug), key[0], sql_literal(key[1])))
        y, m, d = ident["birth"]
        t.is_(row, "%s|%s|%04d-%02d-%02d|%s" % (ident["surname"], ident["given_names"], y, m, d,
                                                ident.get("lang", "fr")),
              "%s: stored exactly as typed" % desc)

    # --- The form token and the honeypot ------------------------------------
    def one(desc, slot, change, post_to=None, wait=True, msg=None):
        """Loads a form, changes what is sent, checks the refusal."""
        ident = new_identity("token")
        emails.append(ident["email"])
        surnames.append(ident["surname"])
        page, f = fresh_form(slot)
        if f is None:
            t.ok(False, "%s: the form could be loaded" % desc)
            return None
        if wait:
            wait_form_min()
        vals = booking_values(f, ident)
        change(vals)
        if post_to is not None:
            f.action = post_to
        r = f.submit(vals)
        rf = refused(r, desc, f.fill(vals))
        if msg is not None and r.status == 200:
            t.ok(re.search(msg, " ".join(error_summary(r)), re.I) is not None,
                 "%s: the message says why (%s)" % (desc, " | ".join(error_summary(r))[:100]))
        t.is_(count(ident["email"]), 0, "%s: nothing is booked" % desc)
        return ident, rf

    one("a missing token", open_slots[0], lambda v: v.update(token=None), msg=r"formulaire")
    one("an empty token", open_slots[0], lambda v: v.update(token=""), msg=r"formulaire")

    page, tf = fresh_form(open_slots[0])
    real = tf.get("token") if tf else ""

    def tamper_real(v):
        i = len(real) // 2
        v["token"] = real[:i] + ("A" if real[i] != "A" else "B") + real[i + 1:]
    one("a tampered token", open_slots[0], tamper_real, msg=r"formulaire")
    one("a token with a character past the base64url alphabet", open_slots[0],
        lambda v: v.update(token=real[:-1] + "*"), msg=r"formulaire")
    one("a token of another time", open_slots[1], lambda v: None, post_to=book_path(open_slots[2]),
        msg=r"formulaire")
    one("a honeypot filled in", open_slots[0], lambda v: v.update(website="http://spam.example/"),
        msg=r"site")
    # Tokens carry their time in whole seconds: start just after a second
    # begins, so that the form and its sending fall in the same second
    # unless the machine stalls for most of one.
    time.sleep(1.02 - time.time() % 1.0)
    res = one("a form sent too fast", open_slots[0], lambda v: None, wait=False, msg=r"vite|rapide")
    if res and res[1] is not None:
        ident, rf = res
        wait_form_min()
        r = rf.submit(booking_values(rf, ident))
        t.is_(r.status, 303, "after waiting, the re-rendered form books (303)")
        t.is_(count(ident["email"]), 1, "one booking")
        tokens.append((location_path(r) or "").rsplit("/", 1)[-1])

    # A GET never books, whatever its query string.
    ident = new_identity("get")
    emails.append(ident["email"])
    q = "&".join("%s=%s" % (k, v) for k, v in (("surname", "Dupont"), ("email", ident["email"])))
    r = get("%s?%s" % (book_path(open_slots[0]), q.replace("@", "%40")))
    t.ok(r.status in (200, 400), "a GET with form fields in the query answers 200 or 400 (%d)" % r.status)
    t.is_(count(ident["email"]), 0, "and books nothing")

    # Routes with bad slots.
    for path, want in (("/book/0", 404), ("/book/abc", 404), ("/book/99999999999", 404),
                       ("/book/-1", 404), ("/book/1%00", 400), ("/book/%d" % open_slots[0], 404),
                       (book_path(open_slots[0])[:-1] + ("1" if book_path(open_slots[0])[-1] == "0" else "0"), 404), (book_path(open_slots[0]) + "0", 404)):
        r = get(path)
        t.ok(r.status == want or (want == 404 and r.status == 400) or (want == 400 and r.status == 404),
             "GET %s answers %d (%d)" % (path, want, r.status))
        t.ok(r.status < 500, "GET %s is no server error" % path)

    # --- No personal data in logs -------------------------------------------
    var = os.environ["CRENEAU_VAR"]
    with open(os.path.join(var, "log", "creneau-fcgi.log"), encoding="utf-8", errors="replace") as f:
        applog = f.read()
    leaked = [s for s in surnames + emails if s and s in applog]
    t.ok(not leaked, "the application log holds none of the names and e-mails typed (%d checked)"
         % len(surnames + emails))
    for s in leaked[:5]:
        t.diag("found in creneau-fcgi.log: %s" % s)
    t.ok(not [k for k in tokens if k and k in applog], "nor any booking's secret link")
    ngx = os.path.join(var, "log", "nginx-access.log")
    if os.path.exists(ngx):
        with open(ngx, encoding="utf-8", errors="replace") as f:
            nlog = f.read()
        t.ok(not [s for s in surnames + emails if s and s in nlog], "nginx's access log holds no name or e-mail")
        t.ok(not [k for k in tokens if k and k in nlog],
             "nginx's access log holds no booking's secret link (a key to personal data)")
except Exception as e:  # noqa: BLE001 - report, clean up, print the plan
    t.ok(False, "the test ran to its end (%s: %s)" % (type(e).__name__, e))
finally:
    fx.drop()
t.ok(psql("SELECT count(*) FROM sites WHERE slug = %s" % sql_literal(fx.slug)) == "0", "the test's site is removed")
t.diag("booking_input took %.1f s" % (time.time() - started))
t.done()
