#!/usr/bin/env python3
"""The counter and phone channel (issue 12), through the real pages: an
agent books a caller with no e-mail on the places reserved for "counter
or phone", prints the confirmation in Arabic with its QR code, then moves
and cancels it (the freed places come back after the fair release time);
the person never holds two bookings; everything is in the audit log; the
same agent cannot do it for another site, and the refusal is audited.
Attacks: the same identity under variants of the name, a place outside
the reserved share while online places are free, POSTs without the CSRF
token, a replayed POST, another site's agent."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, error_summary, form, forms, get, letters, link,  # noqa: E402
                          links, location_path, new_identity, nu_errors, page_text, parse,
                          post_form, psql, reference_of, skip_all_unless_server, slot_ref,
                          sql_literal, staff_add, staff_login, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
word = letters(8)
pw = "agent password %s" % word
agent_a = "agent-a-%s@test.example" % word
agent_b = "agent-b-%s@test.example" % word
med_a, med_b = "med-a-%s@test.example" % word, "med-b-%s@test.example" % word
org_a, org_b = "France Services A %s" % word, "France Services B %s" % word
fx = Fixture("phone")
fx2 = Fixture("phone2")
pages = {}


def g(path, cookie):
    return get(path, headers={"Cookie": cookie})


def fill(f, ident, lang="ar"):
    y, m, d = ident["birth"]
    vals = {"surname": ident["surname"], "given_names": ident["given_names"],
            "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": lang}
    if "phone" in ident:
        vals["phone"] = ident["phone"]
    return vals


def count(where):
    return int(psql("SELECT count(*) FROM bookings b JOIN sites s ON s.id = b.site_id "
                    "WHERE s.slug = %s AND %s" % (sql_literal(fx.slug), where)))


def audit(email, action):
    return int(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
                    "WHERE s.email = %s AND a.action = %s" % (sql_literal(email), sql_literal(action))))


def cleanup():
    like = sql_literal("%%%s%%" % word)
    acc = "SELECT id FROM staff_accounts WHERE email LIKE %s" % like
    psql("BEGIN;"
         "DELETE FROM mediator_bookings WHERE account_id IN (%s);"
         "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
         "DELETE FROM audit_log WHERE account_id IN (%s)"
         "   OR site_id IN (SELECT id FROM sites WHERE slug IN (%s, %s));"
         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;"
         "DELETE FROM staff_sessions WHERE account_id IN (%s);"
         "DELETE FROM staff_sites WHERE account_id IN (%s);"
         "DELETE FROM staff_accounts WHERE email LIKE %s;"
         "DELETE FROM organisations WHERE name LIKE %s;"
         "COMMIT" % (acc, acc, sql_literal(fx.slug), sql_literal(fx2.slug), acc, acc, like, like))
    fx.drop()
    fx2.drop()


try:
    proc = fx.procedure("titre", slots=6, capacity=2)
    slots = fx.slots(proc)
    fx2.procedure("titre", slots=2, capacity=2)
    # The share reserved for "counter or phone" at publication: one place
    # on each of the first three times; the last three have none.
    psql("INSERT INTO slot_reservations (slot_id, channel, places) SELECT unnest(%s::bigint[]), 'counter', 1"
         % sql_literal("{%s}" % ",".join(str(s) for s in slots[:3])))
    t.is_(staff_add(agent_a, "agent", "Agent A", fx.slug, password=pw).returncode, 0, "an agent of the site")
    t.is_(staff_add(agent_b, "agent", "Agent B", fx2.slug, password=pw).returncode, 0, "an agent of another site")
    ca, cb = staff_login(agent_a, pw), staff_login(agent_b, pw)
    t.ok(ca and cb, "both log in")

    # The agent finds the channel from the agenda, then the procedure and a time.
    agenda = g("/agent/site/%s/agenda" % fx.slug, ca)
    lk = link(agenda, href=r"^/agent/site/%s/phone$" % fx.slug)
    t.ok(lk is not None, "the agenda links the counter and phone bookings")
    home = g("/agent/site/%s/phone" % fx.slug, ca)
    pages["agent_phone"] = home
    t.is_(home.status, 200, "the channel's page answers")
    lk = link(home, href=r"^/agent/site/%s/phone\?procedure=%s$" % (fx.slug, re.escape(proc)))
    t.ok(lk is not None, "it offers the site's procedure")
    times = g(lk.url if lk else "/", ca)
    pages["agent_phone_times"] = times
    tl = links(times, href=r"^/agent/site/%s/phone/\d+\.[0-9a-f]{16}$" % fx.slug)
    t.is_(sorted(int(x.url.rsplit("/", 1)[1].split(".")[0]) for x in tl), slots[:3],
          "only the times with a reserved place are offered")

    book_url = "/agent/site/%s/phone/%s" % (fx.slug, slot_ref(slots[0]))
    page = g(book_url, ca)
    pages["agent_phone_book"] = page
    f = form(page, action=r"^/agent/site/.*/phone/", has="surname")
    t.ok(f is not None and (f.field("email") is None or f.field("email").attr("required") is None),
         "the booking form needs no e-mail")
    t.ok(f is not None and f.field("lang") is not None, "it asks for the person's language")

    # A caller with no e-mail, a mobile phone, who reads Arabic.
    # 06 1x xx xx xx: a metropolitan mobile (some 06 ranges are overseas).
    phone = "061%07d" % (int(psql("SELECT (random() * 9999999)::int")))
    p1 = new_identity("phone", phone=phone, surname="Haddad" + word.capitalize())
    r = f.submit(fill(f, p1), headers={"Cookie": ca})
    loc = location_path(r) or ""
    t.ok(r.status == 303 and re.match(r"^/agent/site/%s/booking/\d+$" % fx.slug, loc),
         "the booking answers 303 to the booking's page (%s %s)" % (r.status, loc))
    bid = loc.rsplit("/", 1)[1] if loc else "0"
    row = psql("SELECT channel, status, coalesce(email, '-'), lang, slot_id FROM bookings WHERE id = %s" % bid)
    t.is_(row, "counter|confirmed|-|ar|%d" % slots[0], "confirmed at once, channel counter, no e-mail, Arabic")
    t.ok(int(psql("SELECT count(*) FROM outbox WHERE booking_id = %s AND kind = 'booking_confirmed' "
                  "AND channel = 'sms'" % bid)) == 1, "the usual SMS is queued for the phone")
    t.is_(audit(agent_a, "counter.book"), 1, "the booking is in the audit log")

    # Replaying the POST books nothing more.
    r2 = f.submit(fill(f, p1), headers={"Cookie": ca})
    t.is_((r2.status, location_path(r2)), (303, loc), "the same POST again leads to the same booking")
    t.is_(count("b.status = 'confirmed'"), 1, "and makes no second booking")

    # The staff page of the booking, and the printout in Arabic.
    bp = g(loc, ca)
    pages["agent_booking"] = bp
    t.is_(bp.status, 200, "the booking's page answers")
    ref = reference_of(bp)
    t.ok(ref is not None, "it shows the reference (%s)" % ref)
    plk = link(bp, href=r"^/agent/site/%s/booking/%s/print$" % (fx.slug, bid))
    t.ok(plk is not None, "it links the printable confirmation")
    pr = g(loc + "/print", ca)
    pages["agent_booking_print"] = pr
    root = parse(pr)
    html_el = next(root.iter("html"), None)
    t.ok(html_el is not None and html_el.get("lang") == "ar" and html_el.get("dir") == "rtl",
         "the confirmation is in the person's language (Arabic, right to left)")
    t.ok(next(root.iter("svg"), None) is not None and "<path" in pr.text, "with its QR code")
    t.ok(ref is not None and ref in pr.text and p1["surname"] in pr.text and "Passeport" in pr.text,
         "the reference, the person and the documents")
    t.ok(audit(agent_a, "counter.confirmation.print") >= 1, "printing is in the audit log")

    # The same person under variants of the name: one booking.
    for variant in (p1["surname"].upper(), "%s." % p1["surname"], p1["surname"].replace("a", "а", 1)):
        f2 = form(g("/agent/site/%s/phone/%s" % (fx.slug, slot_ref(slots[1])), ca),
                  action=r"^/agent/site/.*/phone/", has="surname")
        v = dict(p1, surname=variant)
        del v["phone"]
        r = f2.submit(fill(f2, v), headers={"Cookie": ca})
        t.ok(r.status == 200 and count("b.status = 'confirmed'") == 1,
             "the same person as %r is not booked twice (%s)" % (variant, " | ".join(error_summary(r))))

    # Outside the reserved share while online places are free.
    f3 = form(g("/agent/site/%s/phone/%s" % (fx.slug, slot_ref(slots[3])), ca),
              action=r"^/agent/site/.*/phone/", has="surname")
    t.ok(f3 is None, "a time without a reserved place offers no booking form")
    f4 = form(g("/agent/site/%s/phone/%s" % (fx.slug, slot_ref(slots[2])), ca),
              action=r"^/agent/site/.*/phone/", has="surname")
    psql("DELETE FROM slot_reservations WHERE slot_id = %d" % slots[2])
    r = f4.submit(fill(f4, new_identity("share")), headers={"Cookie": ca})
    t.ok(r.status == 200 and count("b.slot_id = %d" % slots[2]) == 0,
         "once the share is gone, the counter cannot take an online place (%s)" % " | ".join(error_summary(r)))
    psql("INSERT INTO slot_reservations (slot_id, channel, places) VALUES (%d, 'counter', 1)" % slots[2])

    # Without the CSRF token.
    url1 = "/agent/site/%s/phone/%s" % (fx.slug, slot_ref(slots[1]))
    f5 = form(g(url1, ca), action=r"^/agent/site/.*/phone/", has="surname")
    vals = [(k, v) for k, v in f5.fill(fill(f5, new_identity("csrf"))) if k != "csrf"]
    r = post_form(url1, vals, headers={"Cookie": ca})
    t.is_(r.status, 403, "a booking POST without the CSRF token is refused")
    t.is_(count("true"), 1, "and books nothing")

    # Move, on the person's behalf, to a reserved place.
    bp = g(loc, ca)
    mf = form(bp, action=r"/booking/%s$" % bid, has="slot")
    t.ok(mf is not None, "the booking's page offers a move")
    opts = [o[0] for o in mf.field("slot").options] if mf else []
    t.ok(slot_ref(slots[1]) in opts and slot_ref(slots[3]) not in opts,
         "to the reserved places only")
    r = mf.submit({"slot": slot_ref(slots[1])}, headers={"Cookie": ca})
    t.is_(r.status, 303, "the move answers 303")
    active = psql("SELECT id, slot_id FROM bookings b WHERE b.site_id = (SELECT id FROM sites WHERE slug = %s) "
                  "AND status = 'confirmed'" % sql_literal(fx.slug))
    t.ok(active.endswith("|%d" % slots[1]) and "\n" not in active, "one active booking, at the new time (%s)" % active)
    t.ok(psql("SELECT count(*) FROM bookings WHERE slot_id = %d AND NOT released AND release_at > now()"
              % slots[0]) == "1" or psql("SELECT count(*) FROM bookings WHERE slot_id = %d" % slots[0]) == "0",
         "the old place comes back after the fair release time, not at once")
    t.is_(audit(agent_a, "booking.staff_move"), 1, "the move is in the audit log")
    bid2 = active.split("|")[0] if active else bid

    # Cancel on the person's behalf.
    bp2 = g("/agent/site/%s/booking/%s" % (fx.slug, bid2), ca)
    cancel = next((x for x in forms(bp2, action=r"/booking/%s$" % bid2)
                   if x.get("action") == "cancel"), None)
    t.ok(cancel is not None, "the booking's page offers a cancellation")
    r = cancel.submit({}, headers={"Cookie": ca}) if cancel else None
    t.is_(r.status if r else None, 303, "the cancellation answers 303")
    t.is_(psql("SELECT status || '|' || (release_at > now())::text FROM bookings WHERE id = %s" % bid2),
          "cancelled|true", "the booking is cancelled, its place back after the fair release time")
    t.is_(count("b.status = 'confirmed'"), 0, "the person holds no booking")
    t.is_(audit(agent_a, "booking.staff_cancel"), 1, "the cancellation is in the audit log")

    # Move and cancel without the CSRF token: refused, nothing changes.
    for action in ("cancel", "move"):
        r = post_form("/agent/site/%s/booking/%s" % (fx.slug, bid2),
                      {"action": action, "slot": slot_ref(slots[2])}, headers={"Cookie": ca})
        t.is_(r.status, 403, "a %s POST without the CSRF token is refused" % action)

    # Mediators move and cancel the bookings their organisation made.
    t.is_(staff_add(med_a, "mediator", "Médiatrice A", org_a, password=pw).returncode, 0, "a mediator")
    t.is_(staff_add(med_b, "mediator", "Médiateur B", org_b, password=pw).returncode, 0, "another organisation's")
    ma, mb = staff_login(med_a, pw), staff_login(med_b, pw)
    mf = form(g("/agent/mediator/slot/%s" % slot_ref(slots[4]), ma), action=r"^/agent/mediator/slot/", has="surname")
    p2 = new_identity("medmove")
    r = mf.submit(fill(mf, p2), headers={"Cookie": ma})
    mloc = location_path(r) or ""
    t.ok(r.status == 303 and re.match(r"^/agent/mediator/booking/\d+$", mloc), "a mediator books (%s)" % mloc)
    mp = g(mloc, ma)
    pages["mediator_booking_actions"] = mp
    mpr = g(mloc + "/print", ma)
    pages["mediator_print"] = mpr
    html_el = next(parse(mpr).iter("html"), None)
    t.ok(mpr.status == 200 and html_el is not None and html_el.get("lang") == "ar"
         and next(parse(mpr).iter("svg"), None) is not None,
         "the mediator's printout is in the person's language, with its QR code")
    t.is_(g(mloc, mb).status, 404, "another organisation's mediator cannot open it")
    r = post_form(mloc, {"csrf": form(g("/agent/mediator/bookings", mb), has="csrf").field("csrf").value
                         if form(g("/agent/mediator/bookings", mb), has="csrf") else "x", "action": "cancel"},
                  headers={"Cookie": mb})
    t.ok(r.status in (403, 404), "nor cancel it (%s)" % r.status)
    mv = form(mp, action=r"^/agent/mediator/booking/\d+$", has="slot")
    r = mv.submit({"slot": slot_ref(slots[5])}, headers={"Cookie": ma}) if mv else None
    t.is_(r.status if r else None, 303, "the mediator moves it")
    mrow = psql("SELECT b.id, b.slot_id FROM bookings b JOIN mediator_bookings m ON m.booking_id = b.id "
                "WHERE b.surname = %s AND b.status = 'confirmed'" % sql_literal(p2["surname"]))
    t.ok(mrow.endswith("|%d" % slots[5]) and "\n" not in mrow, "one active booking, at the new time, still the organisation's")
    t.is_(psql("SELECT used FROM mediator_organisation((SELECT id FROM staff_accounts WHERE email = %s))"
               % sql_literal(med_a)), "1", "a moved booking counts once in the organisation's quota")
    mloc2 = "/agent/mediator/booking/%s" % mrow.split("|")[0]
    cancel = next((x for x in forms(g(mloc2, ma), action=r"^/agent/mediator/booking/\d+$")
                   if x.get("action") == "cancel"), None)
    r = cancel.submit({}, headers={"Cookie": ma}) if cancel else None
    t.is_(r.status if r else None, 303, "and cancels it")
    t.is_(psql("SELECT count(*) FROM bookings WHERE surname = %s AND status = 'confirmed'"
               % sql_literal(p2["surname"])), "0", "the person holds no booking")
    t.ok(audit(med_a, "booking.staff_move") == 1 and audit(med_a, "booking.staff_cancel") == 1,
         "the mediator's move and cancellation are in the audit log")

    # Another site's agent: refused, and the refusal leaves a trace.
    before = audit(agent_b, "staff.site_refused")
    for path in ("/agent/site/%s/phone" % fx.slug, book_url, "/agent/site/%s/booking/%s" % (fx.slug, bid2),
                 "/agent/site/%s/booking/%s/print" % (fx.slug, bid2),
                 "/agent/site/%s/agenda" % fx.slug, "/agent/site/%s/search" % fx.slug):
        t.is_(g(path, cb).status, 403, "another site's agent cannot open %s" % path)
    t.ok(audit(agent_b, "staff.site_refused") >= before + 6, "each refusal is in the audit log")
    csrf_b = form(g("/agent/site/%s/agenda" % fx2.slug, cb), has="csrf")
    tok = csrf_b.field("csrf").value if csrf_b else ""
    r = post_form("/agent/site/%s/booking/%s" % (fx.slug, bid), {"csrf": tok, "action": "cancel"},
                  headers={"Cookie": cb})
    t.is_(r.status, 403, "nor cancel there with a valid token of its own")
    t.is_(g("/agent/site/%s/booking/%s" % (fx2.slug, bid), cb).status, 404,
          "nor reach the booking through its own site's URL")

    for name, pg in pages.items():
        t.is_(wellformed(pg.body), None, "%s is well-formed" % name)
    errs = nu_errors(pages)
    if errs is None:
        t.diag("Nu checker not installed: validity not checked")
    else:
        t.is_(errs, {}, "the pages are valid HTML (Nu checker)")
finally:
    cleanup()
t.done()
