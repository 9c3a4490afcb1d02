#!/usr/bin/env python3
"""Court orders and the audit log, through the real forms: an agent
records injunctions, the list puts overdue ones first and shows days
left, and booking one into the court's reserved capacity confirms an
appointment (channel court, a message to the applicant) and fulfils it.
A supervisor sees every injunction of their sites and reads the audit
log (itself audited); agents and mediators cannot. An agent of another
site cannot see or change these injunctions whatever URL or form they
forge."""

import datetime
import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, error_summary, field_error, follow, form,  # noqa: E402
                          get, letters, link, location_path, new_identity, nu_errors,
                          page_text, parse, post_form, psql, skip_all_unless_server,
                          sql_literal, staff_add, staff_login, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
word = letters(8)
pw = "court password %s" % word
fx, fx2 = Fixture("court"), Fixture("other")
agent, other, sup, med = ("%s-%s@test.example" % (k, word) for k in ("agent", "other", "sup", "med"))
pages = {}
# The site's day (Europe/Paris), as the pages count days left and late:
# in the hour after Paris midnight the machine's UTC day is the day before.
today = datetime.date.fromisoformat(psql("SELECT (now() AT TIME ZONE 'Europe/Paris')::date"))


def g(path, cookie):
    return get(path, headers={"Cookie": cookie})


def record(cookie, site, proc, case, decision, deadline, ident, **extra):
    page = g("/agent/site/%s/court" % site, cookie)
    f = form(page, action=r"/court$", has="tribunal")
    y, m, d = ident["birth"]
    vals = {"tribunal": "Tribunal administratif de Lyon", "case_number": case,
            "decision_date": decision.isoformat(), "deadline": deadline.isoformat(),
            "procedure": proc, "surname": ident["surname"], "given_names": ident["given_names"],
            "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": "fr"}
    vals.update(extra)
    return f.submit(vals, headers={"Cookie": cookie})


def cleanup():
    like = sql_literal("%%%s%%" % word)
    acc = "SELECT id FROM staff_accounts WHERE email LIKE %s" % like
    sites = "SELECT id FROM sites WHERE slug IN (%s, %s)" % (sql_literal(fx.slug), sql_literal(fx2.slug))
    psql("BEGIN;"
         "DELETE FROM injunctions WHERE site_id IN (%s);"
         # The audit log is append-only; the test removes its own entries
         # in one transaction, the trigger back on before COMMIT.
         "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
         "DELETE FROM audit_log WHERE account_id IN (%s) OR site_id IN (%s);"
         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;"
         "DELETE FROM staff_sessions WHERE account_id IN (%s);"
         "DELETE FROM staff_sites WHERE account_id IN (%s);"
         "DELETE FROM staff_accounts WHERE email LIKE %s;"
         "DELETE FROM organisations WHERE name LIKE %s;"
         "COMMIT" % (sites, acc, sites, acc, acc, like, like))
    fx.drop()
    fx2.drop()


try:
    proc = fx.procedure("ordre", slots=4, capacity=1)
    proc2 = fx2.procedure("ordre", slots=2, capacity=1)
    slots = fx.slots(proc)
    # The court's reserved capacity: the first slot is kept for court orders.
    psql("INSERT INTO slot_reservations (slot_id, channel, places) VALUES (%d, 'court', 1)" % slots[0])
    t.is_(staff_add(agent, "agent", "Agent Lyon", fx.slug, password=pw).returncode, 0, "an agent of the site")
    t.is_(staff_add(other, "agent", "Agent Ailleurs", fx2.slug, password=pw).returncode, 0, "an agent of another site")
    t.is_(staff_add(sup, "supervisor", "Superviseure", fx.slug, password=pw).returncode, 0, "a supervisor of the site")
    t.is_(staff_add(med, "mediator", "Médiateur", "Association %s" % word, password=pw).returncode, 0, "a mediator")
    ca, co, cs, cm = (staff_login(e, pw) for e in (agent, other, sup, med))
    t.ok(ca and co and cs and cm, "all log in")

    page = g("/agent/site/%s/court" % fx.slug, ca)
    pages["court"] = page
    t.is_(page.status, 200, "the court orders page of the site answers")
    t.is_(page.header("cache-control"), "no-store", "and is not cached")

    # Recording: validation first.
    p1, p2, p3 = new_identity("court1"), new_identity("court2"), new_identity("court3")
    r = record(ca, fx.slug, proc, "BAD-1", today, today - datetime.timedelta(days=3), p1)
    t.is_(r.status, 200, "a deadline before the decision is refused")
    t.ok(field_error(r, "deadline")[0] == "true", "at the deadline field")
    pages["court_error"] = r
    r = record(ca, fx.slug, proc, "BAD-2", today, datetime.date(2031, 1, 1), p1, decision_date="2024-02-30")
    t.is_(r.status, 200, "a date that does not exist is refused")
    t.ok(field_error(r, "decision_date")[0] == "true" and len(error_summary(r)) >= 1, "with a message")
    t.ok("BAD-2" in r.text, "and the values kept")

    r1 = record(ca, fx.slug, proc, "2301-%s" % word, today, today + datetime.timedelta(days=20), p1, email=p1["email"])
    loc1 = location_path(r1) or ""
    t.ok(r1.status == 303 and re.match(r"^/agent/site/%s/court/\d+$" % fx.slug, loc1), "an injunction is recorded (%s)" % loc1)
    r2 = record(ca, fx.slug, proc, "2302-%s" % word, today - datetime.timedelta(days=40), today - datetime.timedelta(days=2), p2)
    loc2 = location_path(r2) or ""
    r3 = record(ca, fx.slug, proc, "2303-%s" % word, today - datetime.timedelta(days=5), today + datetime.timedelta(days=5), p3)
    t.ok(r2.status == 303 and r3.status == 303, "two more, one of them overdue")
    again = record(ca, fx.slug, proc, "2303-%s" % word, today - datetime.timedelta(days=5), today + datetime.timedelta(days=5), p3)
    t.is_(location_path(again), location_path(r3), "the same case recorded again leads to the first record")
    t.is_(psql("SELECT count(*) FROM injunctions i JOIN sites s ON s.id = i.site_id WHERE s.slug = %s" % sql_literal(fx.slug)),
          "3", "three injunctions, no duplicate")
    t.is_(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
               "WHERE s.email = %s AND a.action = 'court.record'" % sql_literal(agent)), "3", "each is in the audit log")

    # The list: overdue first, then by deadline.
    lst = g("/agent/site/%s/court" % fx.slug, ca)
    pages["court_list"] = lst
    txt = page_text(lst)
    pos = [txt.find("%s-%s" % (c, word)) for c in ("2302", "2303", "2301")]
    t.ok(-1 not in pos and pos == sorted(pos), "overdue first, then by deadline (%s)" % pos)
    over = [e for e in parse(lst).iter("td") if "state-overdue" in (e.get("class") or "")]
    t.ok(len(over) == 1 and "2" in over[0].text, "the overdue one is marked (%s)" % [e.text for e in over])
    t.ok("20" in txt, "days left are shown")

    # Book the first one into the court's reserved place.
    item = g(loc1, ca)
    pages["court_item"] = item
    f = form(item, action=r"/court/\d+$", has="slot")
    t.ok(f is not None and f.field("slot", str(slots[0])) is not None, "the reserved time is offered")
    t.is_(psql("SELECT creneau_slot_channel_free(s, 'online') FROM slots s WHERE id = %d" % slots[0]), "0",
          "(a place the public cannot take)")
    r = f.submit({"slot": str(slots[0])}, headers={"Cookie": ca})
    t.is_((r.status, location_path(r)), (303, loc1), "booking answers 303 back to the injunction")
    done = g(loc1, ca)
    pages["court_item_done"] = done
    ref = psql("SELECT b.reference FROM injunctions i JOIN bookings b ON b.id = i.booking_id "
               "WHERE i.case_number = %s" % sql_literal("2301-%s" % word))
    t.ok(len(ref) == 8 and ref[:4] in done.text, "the injunction shows the appointment (%s)" % ref)
    t.is_(psql("SELECT channel || '|' || status || '|' || slot_id FROM bookings WHERE reference = %s" % sql_literal(ref)),
          "court|confirmed|%d" % slots[0], "the booking is confirmed at once, channel court, in the reserved slot")
    t.is_(psql("SELECT count(*) FROM outbox WHERE kind = 'booking_confirmed' AND recipient = %s" % sql_literal(p1["email"])),
          "1", "a message goes to the applicant")
    t.is_(psql("SELECT count(*) FROM audit_log WHERE action = 'court.book' AND object = %s" % sql_literal(ref)), "1",
          "the booking is in the audit log")
    r = f.submit({"slot": str(slots[1])}, headers={"Cookie": ca})
    t.is_(r.status, 303, "sending the form again")
    t.is_(psql("SELECT count(*) FROM bookings b JOIN sites s ON s.id = b.site_id WHERE s.slug = %s" % sql_literal(fx.slug)),
          "1", "books nothing more")
    lst = g("/agent/site/%s/court" % fx.slug, ca)
    txt = page_text(lst)
    t.ok(txt.find("2301-%s" % word) > txt.find("2303-%s" % word), "a fulfilled injunction moves after the open ones")

    # Another site's agent, whatever they forge.
    id1, id2 = loc1.rsplit("/", 1)[1], loc2.rsplit("/", 1)[1]
    t.is_(g("/agent/site/%s/court" % fx.slug, co).status, 403, "an agent of another site cannot list these injunctions")
    t.is_(g(loc2, co).status, 403, "nor open one")
    t.is_(g("/agent/site/%s/court/%s" % (fx2.slug, id2), co).status, 404, "nor reach it through their own site's URL")
    fo = form(g("/agent/site/%s/court" % fx2.slug, co), action=r"/court$", has="tribunal")
    csrf_o = fo.field("csrf").value
    r = post_form("/agent/site/%s/court/%s" % (fx2.slug, id2), [("csrf", csrf_o), ("slot", str(slots[1]))],
                  headers={"Cookie": co})
    t.is_(r.status, 404, "a forged booking through their own site is refused")
    r = post_form("/agent/site/%s/court/%s" % (fx.slug, id2), [("csrf", csrf_o), ("slot", str(slots[1]))],
                  headers={"Cookie": co})
    t.is_(r.status, 403, "and through the other site's URL")
    t.is_(psql("SELECT booking_id IS NULL FROM injunctions WHERE id = %s" % id2), "t", "the injunction is still open")
    y, m, d = p2["birth"]
    r = post_form("/agent/site/%s/court" % fx.slug, fo.fill({
        "tribunal": "TA", "case_number": "FORGED", "decision_date": today.isoformat(),
        "deadline": today.isoformat(), "procedure": proc, "surname": "X", "given_names": "Y",
        "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": "fr"}), headers={"Cookie": co})
    t.is_(r.status, 403, "nor record an injunction for the other site")
    r = post_form("/agent/site/%s/court" % fx2.slug, fo.fill({
        "tribunal": "TA", "case_number": "FORGED", "decision_date": today.isoformat(),
        "deadline": today.isoformat(), "procedure": proc, "surname": "X", "given_names": "Y",
        "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": "fr"}), headers={"Cookie": co})
    t.ok(r.status == 200 and field_error(r, "procedure")[0] == "true",
         "nor with the other site's procedure on their own site")
    t.is_(psql("SELECT count(*) FROM injunctions WHERE case_number = 'FORGED'"), "0", "nothing forged is recorded")
    allo = g("/agent/court", co)
    t.ok(allo.status == 200 and "2302-%s" % word not in allo.text, "their list of all sites does not show them")
    r = post_form(loc2, [("csrf", "x" * 43), ("slot", str(slots[1]))], headers={"Cookie": ca})
    t.is_(r.status, 403, "a POST with a wrong CSRF token is refused")
    t.is_(g("/agent/site/%s/court" % fx.slug, cm).status, 403, "a mediator cannot reach the court pages")
    t.is_(g("/agent/court", cm).status, 403, "nor the list of all sites")

    # The supervisor: every injunction of their sites, and the audit log.
    allp = g("/agent/court", cs)
    pages["court_all"] = allp
    txt = page_text(allp)
    t.ok(all("%s-%s" % (c, word) in txt for c in ("2301", "2302", "2303")), "a supervisor sees every injunction of their sites")
    t.ok(txt.find("2302-%s" % word) < txt.find("2303-%s" % word), "overdue first there too")
    au = g("/agent/audit", cs)
    pages["audit"] = au
    t.is_(au.status, 200, "a supervisor reads the audit log")
    t.ok("court.book" in au.text and "court.record" in au.text and "Agent Lyon" in au.text,
         "it shows the agent's actions on the site")
    f = form(au, action=r"^/agent/audit$")
    fa = f.submit({"action": "court.book", "day": today.isoformat()}, headers={"Cookie": cs})
    pages["audit_filtered"] = fa
    t.ok(fa.status == 200 and "court.book" in fa.text and "court.record" not in page_text(fa).replace("court.book", ""),
         "filtered by action and day")
    t.ok("court.record" in g("/agent/audit?action=court", cs).text, "an action prefix matches its family")
    t.ok(g("/agent/audit?day=2024-02-30&page=999999", cs).status == 200, "a forged filter does no harm")
    t.ok(int(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
                  "WHERE s.email = %s AND a.action = 'audit.view'" % sql_literal(sup))) >= 2,
         "reading the audit log is itself audited")
    # The other site's agent shows only in the refusals of this site's
    # URLs (issue 12: a refused attempt leaves a trace for the site).
    rows = [tr.text for tr in parse(au).iter("tr") if "Agent Ailleurs" in tr.text]
    t.ok(fx2.slug not in au.text and all("staff.site_refused" in x for x in rows),
         "the supervisor sees nothing of other sites, only their agents' refused attempts on this one")
    t.is_(g("/agent/audit", ca).status, 403, "an agent cannot read the audit log")
    t.is_(g("/agent/audit", cm).status, 403, "nor a mediator")

    for name, pg in pages.items():
        t.is_(wellformed(pg.body), None, "%s is well-formed" % name)
    errs = nu_errors(pages)
    if errs is None:
        t.diag("Nu checker not installed: validity not checked")
    else:
        t.is_(errs, {}, "the court and audit pages are valid HTML (Nu checker)")
finally:
    cleanup()
t.done()
