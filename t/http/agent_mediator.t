#!/usr/bin/env python3
"""Mediators book for people without e-mail, through the real forms: a
mediator picks a site, procedure and time, types the applicant's
identity (no e-mail), the booking is confirmed at once (channel
mediator) and the printable confirmation comes back; the organisation's
monthly quota and the one-booking-per-identity rule (across channels)
hold; everything is audited; a mediator reaches no agent page and no
other organisation's bookings, whatever URL is forged."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, book, confirm, error_summary, follow, form,  # noqa: E402
                          get, letters, link, links, location_path, new_identity, nu_errors,
                          page_text, post_form, psql, reference_of, skip_all_unless_server,
                          sql_literal, staff_add, staff_login, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
word = letters(8)
pw = "mediator password %s" % word
org_a, org_b = "Maison France Services A %s" % word, "Point numerique B %s" % word
med_a, med_b = "med-a-%s@test.example" % word, "med-b-%s@test.example" % word
agent = "agent-%s@test.example" % word
fx = Fixture("med")
pages = {}


def g(path, cookie):
    return get(path, headers={"Cookie": cookie})


def fill_identity(f, ident):
    y, m, d = ident["birth"]
    vals = {"surname": ident["surname"], "given_names": ident["given_names"],
            "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": "fr"}
    if "phone" in ident:
        vals["phone"] = ident["phone"]
    return vals


def booking_count(where):
    return int(psql("SELECT count(*) FROM bookings b JOIN sites s ON s.id = b.site_id "
                    "WHERE s.slug = %s AND %s" % (sql_literal(fx.slug), where)))


def cleanup():
    like = sql_literal("%%%s%%" % word)
    acc = "SELECT id FROM staff_accounts WHERE email LIKE %s" % like
    psql("BEGIN;"
         "DELETE FROM mediator_bookings WHERE account_id IN (%s);"
         # The audit log is append-only; the test removes its own entries
         # in one transaction, the trigger back on before COMMIT.
         "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
         "DELETE FROM audit_log WHERE account_id IN (%s)"
         "   OR site_id = (SELECT id FROM sites WHERE slug = %s);"
         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;"
         "DELETE FROM staff_sessions WHERE account_id IN (%s);"
         "DELETE FROM staff_sites WHERE account_id IN (%s);"
         "DELETE FROM staff_accounts WHERE email LIKE %s;"
         "DELETE FROM organisations WHERE name LIKE %s;"
         "COMMIT" % (acc, acc, sql_literal(fx.slug), acc, acc, like, like))
    fx.drop()


try:
    proc = fx.procedure("titre", slots=6, capacity=2)
    slots = fx.slots(proc)
    t.is_(staff_add(med_a, "mediator", "Médiatrice A", org_a, password=pw).returncode, 0, "a mediator of organisation A")
    t.is_(staff_add(med_b, "mediator", "Médiateur B", org_b, password=pw).returncode, 0, "a mediator of organisation B")
    t.is_(staff_add(agent, "agent", "Agent Test", fx.slug, password=pw).returncode, 0, "an agent of the site")
    ca, cb, cg = staff_login(med_a, pw), staff_login(med_b, pw), staff_login(agent, pw)
    t.ok(ca and cb and cg, "all three log in through the login form")

    # Choose a site and procedure, then a time.
    home = g("/agent/mediator", ca)
    pages["mediator"] = home
    t.is_(home.status, 200, "the mediator's page answers")
    t.is_(home.header("cache-control"), "no-store", "and is not cached")
    t.ok(org_a in home.text, "it names the organisation")
    lk = link(home, href=r"^/agent/mediator/site/%s/%s$" % (fx.slug, proc))
    t.ok(lk is not None, "it offers the fixture's procedure")
    times = g(lk.url, ca)
    pages["mediator_times"] = times
    tl = links(times, href=r"^/agent/mediator/slot/\d+\.[0-9a-f]{16}$")
    t.ok(len(tl) == len(slots), "every free time is offered (%d)" % len(tl))
    slot = tl[0].url
    page = g(slot, ca)
    pages["mediator_book"] = page
    f = form(page, action=r"^/agent/mediator/slot/", has="surname")
    t.ok(f is not None and f.field("email") is None, "the booking form asks for no e-mail")
    t.ok(f.field("csrf") is not None and f.field("csrf").value, "it carries the CSRF token")

    # A person with no e-mail and no phone.
    p1 = new_identity("med")
    r = f.submit(fill_identity(f, p1), headers={"Cookie": ca})
    loc = location_path(r) or ""
    t.ok(r.status == 303 and re.match(r"^/agent/mediator/booking/\d+$", loc), "the booking answers 303 to its confirmation (%s %s)" % (r.status, loc))
    conf = g(loc, ca)
    pages["mediator_confirmation"] = conf
    t.is_(conf.status, 200, "the confirmation answers")
    ref = reference_of(conf)
    t.ok(ref is not None, "it shows the reference (%s)" % ref)
    txt = page_text(conf)
    t.ok(p1["surname"] in txt and "Passeport" in txt and "rue du Test" in txt,
         "with the person, the documents and the address")
    t.ok("imprim" in txt.lower() or "print" in txt.lower(), "and says how to print it")
    t.ok("/static/" in conf.text, "the page links the stylesheet (with its print rules)")
    row = psql("SELECT channel, status, coalesce(email, '-'), coalesce(phone, '-') FROM bookings "
               "WHERE reference = %s" % sql_literal(ref.replace("-", "")))
    t.is_(row, "mediator|confirmed|-|-", "the booking is confirmed at once, channel mediator, no contact")
    bid = loc.rsplit("/", 1)[1]
    t.is_(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
               "WHERE s.email = %s AND a.action = 'mediator.book' AND a.details->>'booking_id' = %s"
               % (sql_literal(med_a), sql_literal(bid))), "1", "the booking is in the audit log")
    t.ok(int(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
                  "WHERE s.email = %s AND a.action = 'mediator.confirmation.view'" % sql_literal(med_a))) >= 1,
         "and so is viewing the confirmation")

    # The same form sent again books nothing more.
    r2 = f.submit(fill_identity(f, p1), headers={"Cookie": ca})
    t.is_((r2.status, location_path(r2)), (303, loc), "the same form sent again leads to the same booking")
    t.is_(booking_count("b.channel = 'mediator'"), 1, "and makes no second booking")
    r3 = f.submit(fill_identity(f, new_identity("medother")), headers={"Cookie": ca})
    t.ok(r3.status == 200 and loc not in r3.text and
         any(re.search(r"already been used|déjà été utilisé", m, re.I) for m in error_summary(r3)),
         "the same form sent for another person is refused, without the first booking's link (%s)"
         % " | ".join(error_summary(r3)))
    t.is_(booking_count("b.channel = 'mediator'"), 1, "and makes no booking")

    # Validation: the form comes back with the values and errors.
    bad = f.submit({"surname": "", "given_names": "Jeanne", "birth_day": "31", "birth_month": "2",
                    "birth_year": "1990", "lang": "fr"}, headers={"Cookie": ca})
    t.is_(bad.status, 200, "a wrong form is shown again")
    t.ok(len(error_summary(bad)) >= 2, "with an error summary (%s)" % error_summary(bad))
    t.ok('value="Jeanne"' in bad.text, "and the values kept")

    # One active booking per identity and procedure, across channels.
    p2 = new_identity("online")
    _, ans = book(slots[1], p2)
    held = follow(ans)
    confirm(held, p2["email"])
    t.is_(booking_count("b.channel = 'online' AND b.status = 'confirmed'"), 1, "a person books online")
    f = form(g(slot, ca), action=r"^/agent/mediator/slot/", has="surname")
    r = f.submit(fill_identity(f, p2), headers={"Cookie": ca})
    t.is_(r.status, 200, "a mediator cannot book the same person for the same procedure")
    t.ok(any("déjà" in m or "already" in m for m in error_summary(r)), "and is told why (%s)" % error_summary(r))
    t.is_(booking_count("b.channel = 'mediator'"), 1, "no booking is made")

    # The monthly quota.
    psql("UPDATE organisations SET monthly_quota = 1 WHERE name = %s" % sql_literal(org_a))
    f = form(g(slot, ca), action=r"^/agent/mediator/slot/", has="surname")
    r = f.submit(fill_identity(f, new_identity("quota", phone="0612345678")), headers={"Cookie": ca})
    t.is_(r.status, 200, "past the organisation's quota, the booking is refused")
    t.ok(any("quota" in m.lower() for m in error_summary(r)), "clearly (%s)" % error_summary(r))
    t.is_(booking_count("b.channel = 'mediator'"), 1, "and nothing is booked")
    t.ok("quota" in page_text(g("/agent/mediator", ca)).lower(), "the mediator's page says the quota is used")
    psql("UPDATE organisations SET monthly_quota = 60 WHERE name = %s" % sql_literal(org_a))
    f = form(g(slot, ca), action=r"^/agent/mediator/slot/", has="surname")
    r = f.submit(fill_identity(f, new_identity("quota", phone="0612345678")), headers={"Cookie": ca})
    t.is_(r.status, 303, "with room in the quota, the next booking is made")
    t.is_(booking_count("b.channel = 'mediator'"), 2, "two bookings by mediators now")

    # The organisation's list, and the confirmation reached from it.
    lst = g("/agent/mediator/bookings", ca)
    pages["mediator_bookings"] = lst
    t.ok(lst.status == 200 and ref in lst.text and p1["surname"] in lst.text, "the organisation's list shows the booking")
    t.ok(link(lst, href=r"^/agent/mediator/booking/%s$" % bid) is not None, "with a link to its confirmation")

    # Scope: another organisation, agents' pages, agents on mediator pages.
    t.is_(g(loc, cb).status, 404, "a mediator of another organisation cannot open the confirmation")
    lb = g("/agent/mediator/bookings", cb)
    t.ok(lb.status == 200 and ref not in lb.text and p1["surname"] not in lb.text,
         "nor see the booking in their list")
    for path in ("/agent/site/%s/court" % fx.slug, "/agent/court", "/agent/audit",
                 "/agent/site/%s/court/1" % fx.slug):
        t.is_(g(path, ca).status, 403, "a mediator cannot reach %s" % path)
    t.is_(g("/agent/mediator", cg).status, 403, "an agent cannot reach the mediator pages")
    t.is_(g(slot, cg).status, 403, "nor the mediator's booking form")
    r = post_form(slot, f.fill(fill_identity(f, new_identity("csrf")), csrf="x" * 43), headers={"Cookie": ca})
    t.is_(r.status, 403, "a POST with a wrong CSRF token is refused")
    t.is_(get("/agent/mediator").status, 303, "without a session, the login page")

    for name, pg in pages.items():
        t.is_(wellformed(pg.body), None, "%s is well-formed" % name)
    errs = nu_errors(pages)
    if errs is None:
        t.diag("Nu checker not installed: validity not checked")
    else:
        t.is_(errs, {}, "the mediator pages are valid HTML (Nu checker)")
finally:
    cleanup()
t.done()
