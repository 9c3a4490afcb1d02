#!/usr/bin/env python3
"""Hold-and-handover (issue 10): a reseller holds a place with any name,
then frees it while the buyer's client waits at the door with a form of
that slot, ready to post. Every way of freeing a place is tried through
the real pages: the hold cancelled, the hold run out, five wrong codes,
a confirmed booking moved to another time, the day closed by an agent.
Whatever frees the place, it must not be bookable at once: the database
gives it a release time in the future (drawn at random in the release
window), the buyer's form is refused, and the calendar does not offer
it; once that time has come (set through SQL, never by sleeping), it is
offered to everyone at once and anyone may hold it.

Then the holds one person may keep: at most a few live unconfirmed holds
per client address and per e-mail address, each refused with a clear
message; and a hold's extensions stop at a bounded total.

The figures (how fast the buyer got the place) are printed as
diagnostics."""

import os
import re
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, slot_ref, TAP, Fixture, book, booking_values, confirmation_code,  # noqa: E402
                          error_summary, follow, form, forms, get, location_path, new_identity,
                          post_form, psql, skip_all_unless_server, sql_literal, staff_add,
                          staff_login, wait_form_min)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
ADMIN = os.path.join(os.environ.get("top_builddir", "."), "creneau-admin")
TRIES = 5               # the buyer posts this many times, 0.1 s apart
figures = []


def token_of(answer):
    """The booking token of a 303 to /booking/<token>."""
    return (location_path(answer) or "").split("?")[0].rsplit("/", 1)[-1]


def booking_id(token):
    return psql("SELECT booking_by_token(%s)" % sql_literal(token))


def buyer_form(slot):
    """The buyer's client opens the slot's form while it is free and keeps
    it (with its token), then waits the fill time."""
    f = form(get(book_path(slot)), action=r"^/book/", has="surname")
    return f


def buyer_tries(f, ident):
    """Posts the kept form up to TRIES times; returns (answer, seconds to
    the first 303 or None, posts made)."""
    start = time.time()
    r = None
    for i in range(TRIES):
        r = f.submit(booking_values(f, ident))
        if r.status == 303:
            return r, time.time() - start, i + 1
        time.sleep(0.1)
    return r, None, TRIES


def offered(slot):
    """Does the slot's page offer its booking form (what everyone sees)?"""
    return form(get(book_path(slot)), action=r"^/book/", has="surname") is not None


def sweep():
    out = subprocess.run([ADMIN, "-c", os.environ["CRENEAU_CONF"], "sweep"],
                         capture_output=True, text=True)
    return out.returncode, out.stdout.strip() + out.stderr.strip()


def check_fair(name, slot, bid, f, buyer):
    """The common part: after `name` freed the slot's place (booking bid),
    the buyer's waiting form is refused, the place has a release time in
    the future, nobody is offered it; once that time is reached, everyone
    is, and the buyer holds it."""
    r, secs, n = buyer_tries(f, buyer)
    figures.append("%s: %s" % (name, "buyer held the place %.2f s after it was freed (post %d)"
                               % (secs, n) if secs is not None else
                               "buyer refused %d times in a row" % n))
    t.ok(secs is None, "%s: the buyer waiting at the door cannot catch the place (%s)" % (name, figures[-1]))
    if secs is not None:
        psql("SELECT booking_cancel(%s, interval '0', interval '0')" % sql_literal(token_of(r)))
        return
    t.ok(r.status == 200 and re.search(r"vient d.être pris|n.est plus proposé", " ".join(error_summary(r))),
         "%s: the buyer is told the time is taken: %s" % (name, " | ".join(error_summary(r))[:120]))
    rel = psql("SELECT status || '|' || (release_at > now())::text || '|' || (NOT released)::text"
               " || '|' || CASE WHEN isfinite(release_at) THEN extract(epoch FROM release_at - now())::int::text"
               " ELSE 'never' END"
               " FROM bookings WHERE id = %s" % bid).split("|")
    t.ok(rel[1:3] == ["true", "true"],
         "%s: the database gives the place a release time in the future (%s, in %s s)" % (name, rel[0], rel[3]))
    t.ok(not offered(slot), "%s: the slot's page does not offer the form" % name)
    t.is_(psql("SELECT count(*) FROM slots s, creneau_bookable_slots(s.site_id, s.procedure_id) b"
               " WHERE s.id = %d AND b.slot_id = s.id" % slot), "0",
          "%s: the calendar does not list the time" % name)
    if rel[0] == "cancelled" and psql("SELECT release_at = 'infinity' FROM bookings WHERE id = %s" % bid) == "t":
        return      # a closed day: the place never comes back
    # The release time comes (forced through SQL: no sleeping).
    psql("UPDATE bookings SET release_at = now() - interval '1 second' WHERE id = %s" % bid)
    t.ok(offered(slot), "%s: once its release time has passed, the time is offered to everyone"
         " (before any sweep)" % name)
    rc, out = sweep()
    t.is_(rc, 0, "%s: creneau-admin sweep runs (%s)" % (name, out.replace("\n", "; ")))
    t.is_(psql("SELECT released FROM bookings WHERE id = %s" % bid), "t",
          "%s: the sweep has given the place back" % name)
    f2 = buyer_form(slot)
    wait_form_min()
    r2 = f2.submit(booking_values(f2, new_identity("anyone"))) if f2 is not None else None
    t.is_(r2.status if r2 is not None else None, 303, "%s: then anyone may hold it" % name)


fx = Fixture("handover")
word = fx.slug.rsplit("-", 1)[1]
password = "Handover-%s-password" % word
try:
    proc = fx.procedure("open", slots=16, capacity=1)
    slots = fx.slots(proc)

    # --- 1. The hold cancelled -------------------------------------------------
    slot = slots[0]
    f = buyer_form(slot)
    _, ans = book(slot, new_identity("resell1", surname="Nimportequi"))
    t.is_(ans.status if ans else None, 303, "hold cancelled: the reseller holds with any name")
    tok = token_of(ans)
    bid = booking_id(tok)
    cf = form(get("/booking/%s/cancel" % tok), action=r"/cancel$")
    r = cf.submit()
    t.is_(r.status, 303, "hold cancelled: the reseller cancels the hold on the cancel page")
    check_fair("hold cancelled", slot, bid, f, new_identity("buyer1"))

    # --- 2. The hold run out -----------------------------------------------------
    slot = slots[1]
    f = buyer_form(slot)
    _, ans = book(slot, new_identity("resell2"))
    tok = token_of(ans)
    bid = booking_id(tok)
    psql("UPDATE bookings SET hold_expires_at = now() - interval '1 second' WHERE id = %s" % bid)
    t.ok(not offered(slot), "hold expired: a hold past its end is not offered before the sweep")
    check_fair("hold expired", slot, bid, f, new_identity("buyer2"))

    # --- 3. Five wrong codes -----------------------------------------------------
    slot = slots[2]
    f = buyer_form(slot)
    _, ans = book(slot, new_identity("resell3"))
    tok = token_of(ans)
    bid = booking_id(tok)
    held = follow(ans)
    for _ in range(5):
        cf = form(held, action=r"/confirm$")
        if cf is None:
            break
        cf.submit({"code": "000000" if confirmation_code(
            psql("SELECT email FROM bookings WHERE id = %s" % bid)) != "000000" else "111111"})
    t.is_(psql("SELECT status FROM bookings WHERE id = %s" % bid), "expired",
          "wrong codes: five wrong codes end the hold")
    check_fair("five wrong codes", slot, bid, f, new_identity("buyer3"))

    # --- 4. A confirmed booking moved away ----------------------------------------
    slot, other = slots[3], slots[4]
    f = buyer_form(slot)
    seller = new_identity("resell4")
    _, ans = book(slot, seller)
    held = follow(ans)
    cf = form(held, action=r"/confirm$")
    cf.submit({"code": confirmation_code(seller["email"])})
    tok = token_of(ans)
    bid = booking_id(tok)
    rs = form(get("/booking/%s/reschedule?day=%s" % (tok, psql(
        "SELECT (starts_at AT TIME ZONE 'Europe/Paris')::date FROM slots WHERE id = %d" % other))),
        action=r"/reschedule$")
    wait_form_min()
    r = post_form("/booking/%s/reschedule" % tok, [("slot", slot_ref(other))] +
                  ([(k, v) for k, v in rs.values() if k != "slot"] if rs is not None else []))
    t.is_(psql("SELECT status FROM bookings WHERE id = %s" % bid), "cancelled",
          "rescheduled: the reseller moves the confirmed booking to another time (%d)" % r.status)
    check_fair("rescheduled away", slot, bid, f, new_identity("buyer4"))

    # --- 5. The day closed by an agent ------------------------------------------
    cproc = fx.procedure("closed", slots=2, capacity=1, days_ahead=6)
    slot = fx.slots(cproc)[0]
    f = buyer_form(slot)
    _, ans = book(slot, new_identity("resell5"))
    bid = booking_id(token_of(ans))
    agent = "agent-%s@test.example" % word
    rc = staff_add(agent, "agent", "Agent handover", fx.slug, password=password)
    ck = staff_login(agent, password)
    t.ok(rc.returncode == 0 and ck, "closure: an agent of the site logs in")
    day = psql("SELECT (starts_at AT TIME ZONE 'Europe/Paris')::date FROM slots WHERE id = %d" % slot)
    page = get("/agent/site/%s/closures" % fx.slug, headers={"Cookie": ck})
    for _ in range(2):      # the form asks to confirm when the day has bookings
        cl = next((x for x in forms(page) if x.get("action") == "close"), None)
        if cl is None:
            break
        page = cl.submit({"day": day, "reason": "Fermeture test", "confirm": True}, headers={"Cookie": ck})
        if page.status == 303:
            break
    t.is_(psql("SELECT status FROM bookings WHERE id = %s" % bid), "cancelled",
          "closure: the agent closes the day, which cancels the hold")
    check_fair("day closed", slot, bid, f, new_identity("buyer5"))

    # --- 6. Live holds per client address and per e-mail ----------------------
    rule = psql("SELECT max_hits FROM rate_limit_rules WHERE action = 'hold_live' AND scope = 'address'")
    psql("INSERT INTO rate_limit_rules (action, scope, window_size, max_hits)"
         " VALUES ('hold_live', 'address', interval '1 hour', 3)"
         " ON CONFLICT (action, scope) DO UPDATE SET max_hits = 3")
    try:
        # Start from an address with no live hold: the holds made above are
        # cancelled, and the forms let through above (each counted a few
        # seconds as on its way to booking_hold) are aged through SQL.
        psql("UPDATE bookings SET status = 'cancelled', cancelled_at = now(), release_at = now()"
             " WHERE status = 'held'")
        if psql("SELECT to_regclass('hold_origins') IS NOT NULL") == "t":
            psql("UPDATE hold_origins SET created_at = created_at - interval '10 minutes'")
        answers = []
        for s in slots[5:10]:
            _, a = book(s, new_identity("many"))
            answers.append(a)
        made = sum(1 for a in answers if a is not None and a.status == 303)
        figures.append("one address, 5 forms: %d live holds" % made)
        t.is_(made, 3, "one client address keeps at most 3 live holds when the limit is 3 (%d)" % made)
        last = answers[-1]
        msg = " | ".join(error_summary(last)) if last is not None else ""
        t.ok(re.search(r"waiting for their code|attendent leur code", msg),
             "the next one is refused with a clear message: %s" % msg[:160])
        # Confirming one frees a live hold for the address.
        first = follow(answers[0])
        em = psql("SELECT email FROM bookings WHERE id = booking_by_token(%s)" % sql_literal(token_of(answers[0])))
        form(first, action=r"/confirm$").submit({"code": confirmation_code(em)})
        _, a = book(slots[10], new_identity("many"))
        t.is_(a.status if a else None, 303, "once one hold is confirmed, the address may hold again")
    finally:
        if rule:
            psql("UPDATE rate_limit_rules SET max_hits = %s WHERE action = 'hold_live' AND scope = 'address'" % rule)
        else:
            psql("DELETE FROM rate_limit_rules WHERE action = 'hold_live' AND scope = 'address'")
        psql("UPDATE bookings SET status = 'cancelled', cancelled_at = now(), release_at = now(), released = true"
             " WHERE status = 'held' AND site_id = (SELECT id FROM sites WHERE slug = %s)" % sql_literal(fx.slug))
        psql("UPDATE slots SET booked = (SELECT count(*) FROM bookings b WHERE b.slot_id = slots.id"
             " AND NOT b.released) WHERE site_id = (SELECT id FROM sites WHERE slug = %s)" % sql_literal(fx.slug))

    mail = "one-%s@example.org" % word
    limit = psql("SELECT max_hits FROM rate_limit_rules WHERE action = 'hold_live' AND scope = 'email'")
    n = int(limit) if limit else 2
    answers = []
    for s in slots[11:11 + n + 1]:
        _, a = book(s, new_identity("mail", email=mail))
        answers.append(a)
    made = sum(1 for a in answers if a is not None and a.status == 303)
    figures.append("one e-mail, %d forms: %d live holds" % (n + 1, made))
    t.is_(made, n, "one e-mail address keeps at most %d live holds (%d)" % (n, made))
    msg = " | ".join(error_summary(answers[-1])) if answers[-1] is not None else ""
    t.ok(re.search(r"waiting for its code|attend son code", msg),
         "the next one is refused at the e-mail field with a clear message: %s" % msg[:160])

    # --- 7. Extensions stop at a bounded total -----------------------------------
    _, ans = book(slots[15], new_identity("ext"))
    tok = token_of(ans)
    page = follow(ans)
    n = 0
    while n < 20:
        ef = form(page, action=r"/extend$")
        if ef is None:
            break
        r = ef.submit({})
        n += 1
        if "extend_limit" in (r.header("location") or ""):
            break
        page = follow(r)
    total = int(psql("SELECT extract(epoch FROM hold_expires_at - created_at)::int FROM bookings"
                     " WHERE id = booking_by_token(%s)" % sql_literal(tok)))
    figures.append("extensions: %d asked, the hold runs %d min in all" % (n, total // 60))
    t.ok(n < 20 and total <= 20 * 60 + 5,
         "the extensions stop, the hold running at most 20 minutes in all (%d min after %d asks)"
         % (total // 60, n))
finally:
    for line in figures:
        t.diag(line)
    ag = sql_literal("agent-%s@test.example" % word)
    psql("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = %s);"
         "DELETE FROM staff_sites WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = %s);"
         "UPDATE staff_accounts SET active = false WHERE email = %s" % (ag, ag, ag))
    # The audit log (append-only) keeps naming the site: everything else
    # made on it goes, the site row stays when a closure was audited.
    sid = "(SELECT id FROM sites WHERE slug = %s)" % sql_literal(fx.slug)
    psql("DELETE FROM closures WHERE site_id = %s" % sid)
    if psql("SELECT count(*) FROM audit_log WHERE site_id = %s" % sid) == "0":
        fx.drop()
    else:
        bk = "SELECT b.id FROM bookings b WHERE b.site_id = %s" % sid
        psql("DELETE FROM outbox WHERE booking_id IN (%s);"
             "DELETE FROM booking_tokens WHERE booking_id IN (%s);"
             "DELETE FROM bookings WHERE id IN (%s);"
             "DELETE FROM slots WHERE site_id = %s;"
             "DELETE FROM counters WHERE site_id = %s;"
             "DELETE FROM site_procedures WHERE site_id = %s;"
             "DELETE FROM procedures WHERE code LIKE %s"
             % (bk, bk, bk, sid, sid, sid, sql_literal(fx.slug + "-%")))
t.done()
