#!/usr/bin/env python3
"""A reschedule is a move (issue 12): the booking keeps its reference and
its calendar UID; the calendar event's SEQUENCE grows at the move and at
the cancellation; the .ics of a cancelled booking is its cancellation
(METHOD:CANCEL, STATUS:CANCELLED). A calendar client, played here by
Python's icalendar library reading the .ics files the person downloads,
sees one event, updated, then cancelled.

And a move gives a reseller nothing: the person never holds two places,
the old place is not bookable before its random release time (the fair
release), the reference reached with the birth date leads to the live
booking, and the counter's search and agenda show the old time as moved,
with where to."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, slot_ref, TAP, Fixture, book, booking_values,  # noqa: E402
                          confirmation_code, follow, form, get, location_path, new_identity,
                          page_text, parse, post_form, psql, reference_of, skip_all_unless_server,
                          sql_literal, staff_add, staff_login, wait_form_min)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()

# Debian's python3-icalendar, also when python3 is not Debian's own.
try:
    import icalendar
except ImportError:
    if os.path.isdir("/usr/lib/python3/dist-packages/icalendar"):
        sys.path.append("/usr/lib/python3/dist-packages")
    try:
        import icalendar
    except ImportError:
        print("1..0 # SKIP python3-icalendar is not installed (script/lib.sh installs it)")
        sys.exit(0)


class Calendar:
    """What a calendar client keeps: events by UID; a file replaces an
    event when its SEQUENCE is not older; METHOD:CANCEL or
    STATUS:CANCELLED marks it cancelled (RFC 5546)."""

    def __init__(self):
        self.events = {}

    def load(self, body):
        cal = icalendar.Calendar.from_ical(body)
        method = str(cal.get("METHOD", ""))
        evs = [c for c in cal.walk() if c.name == "VEVENT"]
        t.is_(len(evs), 1, "the file holds one event")
        for ev in evs:
            uid = str(ev["UID"])
            seq = int(ev.get("SEQUENCE", 0))
            old = self.events.get(uid)
            if old is not None and seq < old["sequence"]:
                continue
            self.events[uid] = {
                "sequence": seq,
                "start": ev.decoded("DTSTART"),
                "cancelled": method == "CANCEL" or str(ev.get("STATUS", "")) == "CANCELLED",
            }
        return method


def token_of(answer):
    return (location_path(answer) or "").split("?")[0].rsplit("/", 1)[-1]


def slot_start(slot):
    """The slot's start, UTC, as icalendar decodes DTSTART."""
    return psql("SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI') FROM slots"
                " WHERE id = %d" % slot)


def ev_start(ev):
    return ev["start"].strftime("%Y-%m-%d %H:%M")


def offered(slot):
    return form(get(book_path(slot)), action=r"^/book/", has="surname") is not None


fx = Fixture("move")
word = fx.slug.rsplit("-", 1)[1]
try:
    proc = fx.procedure("open", slots=8, capacity=1)
    slots = fx.slots(proc)
    a, b, c = slots[0], slots[5], slots[6]
    cal = Calendar()

    # Booked and confirmed: the first .ics.
    who = new_identity("mover")
    _, ans = book(a, who)
    tok = token_of(ans)
    held = follow(ans)
    form(held, action=r"/confirm$").submit({"code": confirmation_code(who["email"])})
    first_id = psql("SELECT booking_by_token(%s)" % sql_literal(tok))
    ref = psql("SELECT reference FROM bookings WHERE id = %s" % first_id)
    r = get("/booking/%s/ics" % tok)
    t.is_(r.status, 200, "the .ics of the confirmed booking")
    t.is_(cal.load(r.body), "PUBLISH", "published")
    t.is_(list(cal.events), ["%s@creneau" % ref], "the calendar has one event, UID from the reference")
    ev = cal.events.get("%s@creneau" % ref, {})
    t.ok(ev.get("sequence") == 0 and not ev.get("cancelled") and ev_start(ev) == slot_start(a),
         "at the booked time, SEQUENCE 0 (%s)" % ev)

    # Moved, through the reschedule form; its day links point at the
    # times' anchor too.
    rpage = get("/booking/%s/reschedule" % tok)
    rdays = [a.get("href") for a in parse(rpage).find_all("a") if "day=" in a.get("href", "")]
    t.ok(rdays and all(h.endswith("#times") for h in rdays),
         "the reschedule page's day links point at the times' anchor (%s)" % rdays[:1])
    rs = form(get("/booking/%s/reschedule?day=%s" % (tok, psql(
        "SELECT (starts_at AT TIME ZONE 'Europe/Paris')::date FROM slots WHERE id = %d" % b))),
        action=r"/reschedule$")
    wait_form_min()
    r = post_form("/booking/%s/reschedule" % tok, [("slot", slot_ref(b))] +
                  ([(k, v) for k, v in rs.values() if k != "slot"] if rs is not None else []))
    t.is_(r.status, 303, "moved to another time")
    moved = follow(r)
    t.is_((reference_of(moved) or "").replace("-", ""), ref, "the booking page shows the same reference")
    live = psql("SELECT booking_by_token(%s)" % sql_literal(tok))
    t.ok(live != first_id, "the live booking is the row of the new slot")
    t.is_(psql("SELECT reference || '|' || slot_id || '|' || status || '|' || ics_sequence FROM bookings"
               " WHERE id = %s" % live), "%s|%d|confirmed|1" % (ref, b),
          "same reference, new slot, confirmed, SEQUENCE 1")
    t.is_(psql("SELECT status || '|' || moved || '|' || (release_at > now()) || '|' || released"
               " FROM bookings WHERE id = %s" % first_id), "cancelled|true|true|false",
          "the old row is moved and holds its place until a release time in the future")
    r = get("/booking/%s/ics" % tok)
    t.is_(cal.load(r.body), "PUBLISH", "the .ics after the move")
    ev = cal.events.get("%s@creneau" % ref, {})
    t.is_(len(cal.events), 1, "the calendar still has one event (same UID)")
    t.ok(ev.get("sequence") == 1 and not ev.get("cancelled") and ev_start(ev) == slot_start(b),
         "updated: the new time, SEQUENCE 1 (%s)" % ev)

    # The reference and the birth date lead to the live booking.
    t.is_(psql("SELECT booking_id FROM booking_access(%s, %s, %s)"
               % (sql_literal(ref), sql_literal("%04d-%02d-%02d" % who["birth"]), sql_literal("tok-move-access-" + word))),
          live, "the reference with the birth date leads to the live booking")

    # A reseller gains nothing.
    t.is_(psql("SELECT count(*) FROM bookings WHERE identity_key = (SELECT identity_key FROM bookings"
               " WHERE id = %s) AND status IN ('held', 'confirmed')" % live), "1",
          "the person holds one active booking")
    t.ok(not offered(a), "the old time is not offered before its release time")
    buyer = new_identity("buyer")
    f = form(get(book_path(a)), action=r"^/book/", has="surname")
    if f is None:
        t.ok(True, "nobody can post for the old time")
    else:
        wait_form_min()
        t.ok(f.submit(booking_values(f, buyer)).status != 303, "a buyer cannot take the old time")
    _, again = book(c, who)
    t.ok(again is None or again.status != 303, "the person cannot hold a second place with another booking")
    psql("UPDATE bookings SET release_at = now() - interval '1 second' WHERE id = %s" % first_id)
    t.ok(offered(a), "once its release time has passed, the old time is offered to everyone")

    # The counter sees the old time as moved, with where to.
    password = "Move-%s-password-long" % word
    agent = "agent-move-%s@test.example" % word
    staff_add(agent, "agent", "Agent move", fx.slug, password=password)
    ck = staff_login(agent, password)
    t.ok(ck is not None, "an agent of the site logs in")
    if ck:
        hdr = {"Cookie": ck}
        sp = get("/agent/site/%s/search" % fx.slug, headers=hdr)
        res = form(sp, has="surname").submit({"reference": ref}, headers=hdr)
        text = page_text(res)
        t.ok(re.search(r"Moved to|Déplacé", text) is not None and "Cancelled" not in text
             and "Annulé" not in text, "the search shows the old time as moved, not cancelled")
        day_a = psql("SELECT (starts_at AT TIME ZONE 'Europe/Paris')::date FROM slots WHERE id = %d" % a)
        ag = page_text(get("/agent/site/%s/agenda?day=%s" % (fx.slug, day_a), headers=hdr))
        t.ok(re.search(r"Moved to|Déplacé", ag) is not None, "the agenda of the old day says moved")

    # Cancelled: the .ics is the cancellation.
    cf = form(get("/booking/%s/cancel" % tok), action=r"/cancel$")
    t.is_(cf.submit().status if cf is not None else None, 303, "cancelled")
    r = get("/booking/%s/ics" % tok)
    t.is_(r.status, 200, "the .ics of the cancelled booking")
    t.is_(cal.load(r.body), "CANCEL", "METHOD:CANCEL")
    ev = cal.events.get("%s@creneau" % ref, {})
    t.ok(len(cal.events) == 1 and ev.get("cancelled") and ev.get("sequence") == 2,
         "the calendar's one event is cancelled, SEQUENCE 2 (%s)" % ev)
finally:
    try:
        fx.drop()
    except Exception as e:  # noqa: BLE001 - the append-only audit log keeps the site
        t.diag("cleanup: %s" % e)
t.done()
