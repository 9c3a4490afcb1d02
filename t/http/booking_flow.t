#!/usr/bin/env python3
"""The booking flow as a person goes through it, following links and forms
from the home page: a site, a procedure, a day, a time, the booking form,
the code from the outbox, the confirmation page, the .ics file, the
"manage" route, rescheduling (the old place is released only after a
random delay), cancelling. Then: a resubmitted form gives the same booking,
a renewal checks the AGDREF number, and one identity cannot hold two
bookings of one procedure."""

import os
import random
import re
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, BOOKING_PATH_RE, FR_MONTHS, TAP, birth_values, book,  # noqa: E402
                          booking_values, confirm, error_summary, confirmation_code, field_error, follow, form,
                          forms, get, link, links, location_path, new_identity, page_text, parse,
                          post_form, psql, reference_of, skip_all_unless_server, sql_literal,
                          wait_form_min, wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
started = time.time()


def page_ok(r, what, personal=False):
    """A page answered 200, well-formed; with personal data, no-store."""
    if not t.is_(r.status, 200, "%s answers 200" % what):
        t.diag(page_text(r)[:400])
    t.is_(wellformed(r.body), None, "%s is well-formed" % what)
    if personal:
        t.ok("no-store" in (r.header("cache-control") or ""),
             "%s is sent with Cache-Control: no-store" % what)


def is_303_to_booking(r, what):
    loc = location_path(r)
    t.is_(r.status, 303, "%s answers 303" % what)
    t.ok(loc is not None and BOOKING_PATH_RE.match(loc.split("?")[0]) is not None,
         "%s goes to /booking/<token> (%s)" % (what, (loc or "")[:20] + "…"))
    return loc


def db_booking(ref):
    """(id, status, slot id, release_at in the future) of the booking with
    reference ref (as shown, with or without its hyphen), or None."""
    row = psql("SELECT id, status, slot_id, coalesce(release_at > now(), false) FROM bookings "
               "WHERE reference = %s AND NOT moved" % sql_literal(ref.replace("-", "")))
    return row.split("|") if row else None


def slot_booked(slot_id):
    return int(psql("SELECT booked FROM slots WHERE id = %d" % int(slot_id)))


def slot_local(slot_id):
    """(YYYY-MM-DD, HH:MM) of a slot in its site's time zone."""
    return tuple(psql("SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD|HH24:MI') "
                      "FROM slots sl JOIN sites s ON s.id = sl.site_id WHERE sl.id = %d"
                      % int(slot_id)).split("|"))


def shows_when(page, slot_id):
    """Does the page show the slot's local date (day, French month, year)
    and time?"""
    day, hm = slot_local(slot_id)
    y, m, d = (int(x) for x in day.split("-"))
    text = page_text(page)
    return hm in text and re.search(r"\b%d %s %d\b" % (d, FR_MONTHS[m - 1], y), text) is not None


# Pick where to book: an open procedure (no draw, no AGDREF) with free
# times at a site; the person reaches it from the home page.
row = psql("SELECT s.slug, p.code, count(*) FROM available_slots a "
           "JOIN sites s ON s.id = a.site_id JOIN procedures p ON p.id = a.procedure_id "
           "WHERE p.allocation_mode = 'open' AND NOT p.requires_agdref "
           "GROUP BY s.slug, p.code HAVING count(*) >= 4 ORDER BY count(*) DESC, 1, 2 LIMIT 1")
if not t.ok(row != "", "the demo data has an open procedure with free times"):
    t.done()
site_slug, proc_code, _n = row.split("|")
t.diag("booking %s at %s" % (proc_code, site_slug))

# Home → site → procedure.
home = get("/")
page_ok(home, "the home page")
l_site = link(home, href=r"^/site/%s$" % re.escape(site_slug))
t.ok(l_site is not None, "the home page links to the site")
site = get(l_site.url if l_site else "/site/" + site_slug)
page_ok(site, "the site page")
l_proc = link(site, href=r"^/site/%s/%s$" % (re.escape(site_slug), re.escape(proc_code)))
t.ok(l_proc is not None, "the site page links to the procedure's calendar")
proc_path = l_proc.url if l_proc else "/site/%s/%s" % (site_slug, proc_code)
cal = get(proc_path)
page_ok(cal, "the procedure page")
t.ok("Europe/" in page_text(cal) or "America/" in page_text(cal) or "Indian/" in page_text(cal),
     "the calendar says the site's time zone")

# A day, then a time.
days = links(cal, href=r"[?&]day=\d{4}-\d{2}-\d{2}(#times)?$")
t.ok(len(days) >= 1, "the calendar offers days (%d)" % len(days))
day_page = get(days[0].url) if days else cal
page_ok(day_page, "the day's times")
times = links(day_page, href=r"^/book/\d+\.[0-9a-f]{16}$")
t.ok(len(times) >= 1, "the day lists times, each a link to its booking form (%d)" % len(times))
if not times:
    t.diag(page_text(day_page)[:600])
    t.done()
slot1 = int(times[0].url.rsplit("/", 1)[1].split(".")[0])
day1, hm1 = slot_local(slot1)
t.ok(hm1 in times[0].text, "the time link says %s, local to the site (%r)" % (hm1, times[0].text))
t.ok(days[0].url.endswith(day1), "the time belongs to the chosen day")

# The booking form.
me = new_identity("flow", lang="en")
bform_page = get(times[0].url)
page_ok(bform_page, "the booking form", personal=True)
bf = form(bform_page, action=r"^/book/%d\.[0-9a-f]{16}$" % slot1, has="surname")
t.ok(bf is not None, "the page has the booking form, posting to /book/<slot>")
if bf is None:
    t.done()
t.is_(bf.method, "POST", "the booking form is sent with POST")
for name in ("surname", "given_names", "birth_day", "birth_month", "birth_year", "email",
             "phone", "lang", "token", "website"):
    t.ok(bf.field(name) is not None, "the booking form has the field %s" % name)
t.ok(bf.field("agdref") is None, "no AGDREF field for a procedure that does not need it")
tok = bf.field("token")
t.ok(tok is not None and tok.type == "hidden" and len(tok.value) >= 16, "the form token is a hidden field")
hp = bf.field("website")
if hp is not None:
    hidden = ("hidden" in hp.element.attrs or hp.attr("aria-hidden") == "true" or
              any(a.get("aria-hidden") == "true" or "hidden" in a.attrs for a in hp.element.ancestors()))
    t.ok(hidden, "the honeypot is hidden from screen readers (aria-hidden or hidden)")
    t.is_(hp.attr("tabindex"), "-1", "the honeypot cannot be reached with the keyboard")
    t.is_(hp.attr("autocomplete"), "off", "browsers do not fill the honeypot")
root_labels = {lab.get("for") for lab in parse(bform_page).iter("label")}
for fld in bf.fields:
    if fld.type in ("hidden", "submit", "button") or fld.name == "website" or not fld.name:
        continue
    t.ok(fld.attr("id") in root_labels, "the field %s has a label" % fld.name)
t.ok(shows_when(bform_page, slot1), "the form shows the chosen date and time")
t.ok(len(bf.submits()) >= 1, "the form has a submit button")

wait_form_min()
r = bf.submit(booking_values(bf, me))
loc = is_303_to_booking(r, "sending the booking form")
for secret in (me["surname"], me["email"], me["email"].split("@")[0], str(me["birth"][0])):
    t.ok(secret not in (r.header("location") or ""), "the redirect carries no personal data (%s…)" % secret[:4])
held = follow(r)
page_ok(held, "the held booking's page", personal=True)
t.ok(held.url.split("?")[0] == (loc or "").split("?")[0], "the person lands on the booking page")
token_path = (loc or "").split("?")[0]
cf = form(held, action=r"/confirm$", has="code")
t.ok(cf is not None, "the held booking asks for the code")
t.ok(me["email"] in page_text(held), "and says where the code was sent")
t.ok(shows_when(held, slot1), "the held booking shows its date and time")
t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s AND status = 'held'" % sql_literal(me["email"])),
      "1", "the database has the held booking")

code = confirmation_code(me["email"])
t.ok(code is not None and re.fullmatch(r"\d{6}", code or "") is not None,
     "the outbox has a 6-digit code for the e-mail")

# A wrong code first: refused, the booking stays held.
if cf is not None and code is not None:
    wrong = "%06d" % ((int(code) + 1) % 1000000)
    r = cf.submit({"code": wrong})
    t.ok(r.status in (200, 303), "a wrong code answers 303 or the form again (%d)" % r.status)
    after = follow(r)
    page_ok(after, "the page after a wrong code", personal=True)
    t.ok(form(after, action=r"/confirm$", has="code") is not None, "a wrong code leaves the code form")
    t.ok(re.search(r"code", page_text(after), re.I) is not None and reference_of(after) is None,
         "a wrong code says so and confirms nothing")

# The right code.
r, done = confirm(held, me["email"])
t.ok(r is not None, "the code form could be sent")
if r is None:
    t.done()
t.is_(r.status, 303, "sending the code answers 303")
t.is_(location_path(r).split("?")[0], token_path, "and goes back to the booking page")
page_ok(done, "the confirmed booking's page", personal=True)
ref = reference_of(done)
t.ok(ref is not None, "the confirmed page shows a reference like KD7F-M3QA (%s)" % ref)
t.ok(shows_when(done, slot1), "the confirmed page shows the date and time")
addr = psql("SELECT s.address || '|' || s.postal_code || '|' || s.city FROM slots sl "
            "JOIN sites s ON s.id = sl.site_id WHERE sl.id = %d" % slot1).split("|")
t.ok(all(a in page_text(done) for a in addr), "the confirmed page shows the address")
docs = psql("SELECT unnest(p.documents) FROM slots sl JOIN procedures p ON p.id = sl.procedure_id "
            "WHERE sl.id = %d" % slot1).splitlines()
t.ok(docs and all(d in page_text(done) for d in docs), "the confirmed page lists the %d documents" % len(docs))
t.ok(form(done, has="code") is None, "the confirmed page no longer asks for a code")
b1 = db_booking(ref) if ref else None
t.ok(b1 is not None and b1[1] == "confirmed" and int(b1[2]) == slot1,
     "the database has the confirmed booking at that time (%s)" % (b1,))
t.ok(me["surname"] not in (done.url or ""), "no personal data in the page's address")
t.ok(link(done, href=r"/ics$") and link(done, href=r"/reschedule$") and link(done, href=r"/cancel$"),
     "the confirmed page links to the .ics file, rescheduling and cancelling")
t.ok(re.search(r'media="print"', done.text) or "@media print" in open(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "static", "creneau.css"),
    encoding="utf-8").read(), "there is a print stylesheet")

# The .ics file.
ics_link = link(done, href=r"/ics$")
ics = get(ics_link.url) if ics_link else None
if ics is not None:
    t.is_(ics.status, 200, "the .ics link answers 200")
    t.ok((ics.header("content-type") or "").startswith("text/calendar"), "as text/calendar")
    t.ok("no-store" in (ics.header("cache-control") or ""), "with Cache-Control: no-store")
    raw = ics.body
    t.ok(raw.endswith(b"\r\n") and b"\n" not in raw.replace(b"\r\n", b""), "every line ends with CRLF")
    phys = raw.split(b"\r\n")[:-1]
    t.ok(all(len(x) <= 75 for x in phys), "no line is longer than 75 octets (longest %d)"
         % max((len(x) for x in phys), default=0))
    try:
        for x in phys:
            x.decode("utf-8")
        utf8_ok = True
    except UnicodeDecodeError:
        utf8_ok = False
    t.ok(utf8_ok, "folding never splits a UTF-8 character")
    unfolded = re.sub(r"\r\n[ \t]", "", raw.decode("utf-8", "replace")).split("\r\n")[:-1]
    props = {}
    for ln in unfolded:
        name, _, value = ln.partition(":")
        props.setdefault(name.split(";")[0], []).append((name, value))
    t.is_(unfolded[0] if unfolded else None, "BEGIN:VCALENDAR", "it starts with BEGIN:VCALENDAR")
    t.is_(unfolded[-1] if unfolded else None, "END:VCALENDAR", "it ends with END:VCALENDAR")
    t.ok(("VERSION", "2.0") in props.get("VERSION", []) and "PRODID" in props,
         "VERSION:2.0 and PRODID (required by RFC 5545)")
    t.is_(props.get("BEGIN", []).count(("BEGIN", "VEVENT")), 1, "one VEVENT")
    for p in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "LOCATION"):
        t.ok(p in props, "the VEVENT has %s" % p)
    utc = psql("SELECT to_char(starts_at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"') || '|' || "
               "to_char(ends_at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"') || '|' || "
               "to_char(starts_at AT TIME ZONE s.time_zone, 'YYYYMMDD\"T\"HH24MISS') || '|' || s.time_zone "
               "FROM slots sl JOIN sites s ON s.id = sl.site_id WHERE sl.id = %d" % slot1).split("|")
    ds = props.get("DTSTART", [("", "")])[0]
    t.ok(ds == ("DTSTART", utc[0]) or ds == ("DTSTART;TZID=" + utc[3], utc[2]),
         "DTSTART is the slot's start, in UTC or with its TZID (%s:%s)" % ds)
    de = props.get("DTEND", [("", "")])[0]
    t.ok(de[1].endswith("Z") and de[1] == utc[1] or (de[0].startswith("DTEND;TZID=") and de[1] > utc[2]),
         "DTEND is the slot's end (%s:%s)" % de)
    t.ok(re.fullmatch(r"\d{8}T\d{6}Z", props.get("DTSTAMP", [("", "")])[0][1]) is not None, "DTSTAMP is in UTC")
    t.ok(props.get("UID", [("", "")])[0][1] != "", "UID is not empty")
    locv = props.get("LOCATION", [("", "")])[0][1]
    t.ok(re.search(r"(?<!\\)[,;]", locv) is None and addr[0].replace(",", "\\,") in locv,
         "LOCATION holds the address with commas and semicolons escaped")
    t.ok(all(re.fullmatch(r"[A-Z][A-Z0-9-]*(;[^:]*)?:.*", ln) for ln in unfolded),
         "every unfolded line is NAME[;params]:value")

# The "manage" route: reference + date of birth.
mp = get("/manage")
page_ok(mp, "the manage page")
mf = form(mp, has="reference")
t.ok(mf is not None and mf.method == "POST", "the manage page has a form for the reference")
if mf is not None and ref:
    wait_form_min(0)
    r = mf.submit(dict({"reference": ref}, **birth_values(mf, me["birth"])))
    t.is_(r.status, 303, "reference and date of birth answer 303")
    t.ok(BOOKING_PATH_RE.match((location_path(r) or "").split("?")[0]) is not None,
         "to /booking/<token>")
    back = follow(r)
    page_ok(back, "the booking reached through /manage", personal=True)
    t.is_(reference_of(back), ref, "it is the same booking")
    y, m, d = me["birth"]
    wrong_birth = (y, m, d % 28 + 1)
    r = mf.submit(dict({"reference": ref}, **birth_values(mf, wrong_birth)))
    t.is_(r.status, 200, "a wrong date of birth answers 200 (the form again), not 404 or 500")
    t.is_(wellformed(r.body), None, "and the page is well-formed")
    t.ok(form(r, has="reference") is not None, "the form comes back")
    t.ok(len(page_text(r)) > 0 and re.search(r"(introuvable|ne correspond|aucun rendez-vous|vérifiez)",
                                             page_text(r), re.I) is not None,
         "with a clear message")
    t.ok(not re.search(r"/booking/", r.text), "and no link to the booking")
    r = mf.submit(dict({"reference": ref.replace("-", "").lower()}, **birth_values(mf, me["birth"])))
    if not t.is_(r.status, 303, "a reference typed in lower case without its hyphen is found too"):
        t.diag(" | ".join(error_summary(r)))

# Reschedule: follow the link, choose another time.
booked_before = slot_booked(slot1)
rl = link(done, href=r"/reschedule$")
rp = get(rl.url) if rl else None
new_slot = None
chosen = None
if rp is not None:
    page_ok(rp, "the reschedule page", personal=True)
    pages_seen = [rp]
    for dl in links(rp, href=r"[?&]day=\d{4}-\d{2}-\d{2}(#times)?$")[:6]:
        pages_seen.append(get(dl.url))
    for pg in pages_seen:
        for f in forms(pg, action=r"/reschedule$"):
            candidates = [(fl, fl.value) for fl in f.fields if fl.name == "slot" and fl.value
                          and re.fullmatch(r"\d+\.[0-9a-f]{16}", fl.value)
                          and int(fl.value.split(".")[0]) != slot1]
            if candidates:
                chosen = (f, candidates[0][0], int(candidates[0][1].split(".")[0]))
                break
        if chosen:
            break
    t.ok(chosen is not None, "the reschedule pages offer other times in a form posting 'slot'")
if chosen:
    f, fl, new_slot = chosen
    t.is_(psql("SELECT procedure_id || '|' || site_id FROM slots WHERE id = %d" % new_slot),
          psql("SELECT procedure_id || '|' || site_id FROM slots WHERE id = %d" % slot1),
          "the times offered are of the same procedure and site")
    new_before = slot_booked(new_slot)
    wait_form_min()
    if fl.type in ("submit", "image"):
        r = f.submit(button=fl.value)
    else:
        r = f.submit({"slot": fl.value})
    t.is_(r.status, 303, "choosing another time answers 303")
    loc2 = (location_path(r) or "").split("?")[0]
    t.ok(BOOKING_PATH_RE.match(loc2) is not None, "to /booking/<token>")
    moved = follow(r)
    page_ok(moved, "the rescheduled booking's page", personal=True)
    t.ok(shows_when(moved, new_slot), "it shows the new date and time (%s %s)" % slot_local(new_slot))
    ref2 = reference_of(moved)
    t.ok(ref2 is not None, "and a reference (%s)" % ref2)
    nb = db_booking(ref2) if ref2 else None
    t.ok(nb is not None and nb[1] == "confirmed" and int(nb[2]) == new_slot,
         "the database has a confirmed booking at the new time (%s)" % (nb,))
    t.is_(slot_booked(new_slot), new_before + 1, "the new time's place is taken")
    old = psql("SELECT status, coalesce(release_at > now(), false), release_at IS NOT NULL FROM bookings "
               "WHERE id = %s" % b1[0]).split("|") if b1 else None
    t.is_(ref2, ref, "a move keeps the reference (issue 12)")
    t.ok(old is not None and old[0] == "cancelled" and old[1] == "t",
         "the old booking is cancelled with a release_at in the future (%s)" % (old,))
    t.is_(slot_booked(slot1), booked_before, "the old time's place is not freed at once")
    t.ok(psql("SELECT count(*) FROM available_slots WHERE id = %d" % slot1) == "0"
         or booked_before < int(psql("SELECT capacity FROM slots WHERE id = %d" % slot1)),
         "so it is not offered again yet (when it was the last place)")
    done = moved
    token_path = loc2

# Cancel: the link, then its confirmation form.
cl = link(done, href=r"/cancel$")
t.ok(cl is not None, "the booking page links to cancelling")
if cl is not None:
    cp = get(cl.url)
    page_ok(cp, "the cancel page", personal=True)
    cur = db_booking(reference_of(done)) if reference_of(done) else None
    t.ok(cur is not None and cur[1] == "confirmed", "a GET of the cancel page changes nothing")
    cfm = form(cp, action=r"/cancel$")
    t.ok(cfm is not None and cfm.method == "POST", "the cancel page asks for confirmation with a POST form")
    if cfm is not None:
        cur_slot = int(cur[2]) if cur else None
        before = slot_booked(cur_slot) if cur_slot else None
        r = cfm.submit()
        t.is_(r.status, 303, "confirming the cancellation answers 303")
        after = follow(r)
        page_ok(after, "the page after cancelling", personal=True)
        t.ok(re.search(r"annulé", page_text(after)) is not None, "it says the booking is cancelled")
        t.ok(link(after, href=r"/cancel$") is None and link(after, href=r"/reschedule$") is None,
             "a cancelled booking offers neither cancel nor reschedule")
        cur2 = db_booking(reference_of(done))
        t.ok(cur2 is not None and cur2[1] == "cancelled" and cur2[3] == "t",
             "the database has it cancelled, its place to be released later (%s)" % (cur2,))
        if cur_slot:
            t.is_(slot_booked(cur_slot), before, "the place is not freed at once")
        again = get(token_path)
        t.ok(again.status == 200 and re.search(r"annulé", page_text(again)),
             "the secret link still says cancelled")
        ics2 = get(token_path + "/ics")
        t.ok(ics2.status == 200 and b"METHOD:CANCEL" in ics2.body and b"STATUS:CANCELLED" in ics2.body,
             "the .ics of a cancelled booking is its cancellation (%d)" % ics2.status)

# A resubmitted form (same token, posted twice) gives one booking.
free = psql("SELECT a.id FROM available_slots a JOIN sites s ON s.id = a.site_id "
            "JOIN procedures p ON p.id = a.procedure_id WHERE s.slug = %s AND p.code = %s "
            "AND a.id <> %d ORDER BY a.starts_at DESC LIMIT 3"
            % (sql_literal(site_slug), sql_literal(proc_code), slot1)).split()
twice = new_identity("twice")
if free:
    pg = get(book_path(free[0]))
    f = form(pg, action=r"^/book/", has="surname")
    wait_form_min()
    pairs = f.fill(booking_values(f, twice))
    same_browser = {"Cookie": f.cookie}
    r1 = post_form(f.action, pairs, headers=same_browser)
    r2 = post_form(f.action, pairs, headers=same_browser)
    t.is_(r1.status, 303, "a booking form sent once answers 303")
    if not t.is_(r2.status, 303, "the same form sent again (same token) answers 303 too"):
        t.diag("second answer: %s" % (" | ".join(error_summary(r2)) or page_text(r2)[:200]))
    t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(twice["email"])), "1",
          "and the database has one booking for it, not two")
    p1 = follow(r1)
    r, conf = confirm(p1, twice["email"])
    ref_twice = reference_of(conf) if conf is not None else None
    t.ok(ref_twice is not None, "the booking can be confirmed from the first answer")
    p2 = follow(r2) if r2.status == 303 else None
    t.ok(p2 is not None and ref_twice is not None and reference_of(p2) == ref_twice,
         "the second answer leads to the same booking (%s)" % ref_twice)
    r3 = post_form(f.action, pairs, headers=same_browser)
    t.ok(r3.status == 303 and ref_twice is not None and reference_of(follow(r3)) == ref_twice,
         "sent again once confirmed (the Back button), the form leads to the confirmed booking (%d)" % r3.status)
    t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(twice["email"])), "1",
          "still one booking")

    # The same identity again for the same procedure: refused, says what to do.
    again = dict(twice, email="again-" + twice["email"])
    if len(free) > 1:
        pg, r = book(free[1], again)
        t.is_(r.status if r else None, 200, "a second booking of the same identity is refused (the form again)")
        if r is not None:
            t.is_(wellformed(r.body), None, "the refusal page is well-formed")
            txt = page_text(r)
            t.ok(re.search(r"déjà", txt) and re.search(r"(déplacer|annuler|Gérer)", txt, re.I),
                 "it says there is already one, and how to move or cancel it")
        t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(again["email"])), "0",
              "no booking was created for it")

# A renewal: the AGDREF number is checked against the imported numbers.
# Two times of one procedure at one site (the rule is one active booking
# per person and procedure: times of two procedures would both be taken).
row = psql("WITH last AS (SELECT a.site_id, a.procedure_id FROM available_slots a "
           "  JOIN procedures p ON p.id = a.procedure_id "
           "  WHERE p.requires_agdref AND p.allocation_mode = 'open' ORDER BY a.starts_at DESC LIMIT 1) "
           "SELECT a.id FROM available_slots a JOIN last USING (site_id, procedure_id) "
           "ORDER BY a.starts_at DESC LIMIT 2")
slots_ag = row.split()
t.ok(len(slots_ag) == 2, "a renewal procedure has free times")
if len(slots_ag) == 2:
    pg = get(book_path(slots_ag[0]))
    f = form(pg, has="surname")
    t.ok(f is not None and f.field("agdref") is not None, "its form asks for the AGDREF number")
    unknown = None
    for _ in range(20):
        cand = "9" + "".join(str(random.randint(0, 9)) for _ in range(9))
        if psql("SELECT count(*) FROM agdref_numbers WHERE number = %s" % sql_literal(cand)) == "0":
            unknown = cand
            break
    ren = new_identity("renewal", agdref=unknown)
    pg, r = book(slots_ag[0], ren)
    t.is_(r.status if r else None, 200, "an unknown AGDREF number is refused (the form again)")
    if r is not None:
        inv, msgs, missing = field_error(r, "agdref")
        t.is_(inv, "true", "the AGDREF field is marked invalid")
        t.ok(msgs and re.search(r"AGDREF", " ".join(msgs)) and not missing,
             "with a message next to it (%s)" % (" ".join(msgs)[:80]))
        t.ok(form(r, has="agdref").get("agdref") == unknown, "the number typed is kept")
    t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(ren["email"])), "0",
          "no booking for an unknown number")
    known = None
    for _ in range(20):
        cand = "8" + "".join(str(random.randint(0, 9)) for _ in range(9))
        if psql("SELECT count(*) FROM agdref_numbers WHERE number = %s" % sql_literal(cand)) == "0":
            known = cand
            break
    psql("INSERT INTO agdref_numbers (number) VALUES (%s)" % sql_literal(known))
    ren2 = new_identity("renewal", agdref=known)
    pg, r = book(slots_ag[0], ren2)
    t.is_(r.status if r else None, 303, "an imported AGDREF number is accepted (303)")
    if r is not None and r.status == 303:
        r, conf = confirm(follow(r), ren2["email"])
        t.ok(conf is not None and reference_of(conf) is not None, "and the renewal can be confirmed")
    # The same AGDREF number under another name: the same identity.
    ren3 = new_identity("renewal", agdref=known)
    pg, r = book(slots_ag[1], ren3)
    t.is_(r.status if r else None, 200, "the same AGDREF number cannot book the procedure twice")
    if r is not None:
        t.ok(re.search(r"déjà", page_text(r)) is not None, "it says there is already an appointment")
    t.is_(psql("SELECT count(*) FROM bookings WHERE email = %s" % sql_literal(ren3["email"])), "0",
          "no second booking for that number")

# No personal data nor secret link in the logs.
var = os.environ["CRENEAU_VAR"]
secrets = [x for x in (me["surname"], me["email"], twice["surname"], twice["email"]) if x]
links_seen = [token_path.rsplit("/", 1)[-1]] if token_path else []
with open(os.path.join(var, "log", "creneau-fcgi.log"), encoding="utf-8", errors="replace") as fh:
    applog = fh.read()
t.ok(not [x for x in secrets if x in applog], "the application log holds no name or e-mail typed")
t.ok(links_seen and not [x for x in links_seen if x in applog], "nor the booking's secret link")
ngx = os.path.join(var, "log", "nginx-access.log")
if os.path.exists(ngx):
    with open(ngx, encoding="utf-8", errors="replace") as fh:
        nlog = fh.read()
    t.ok(not [x for x in secrets if x in nlog], "nginx's access log holds no name or e-mail typed")
    if not t.ok(not [x for x in links_seen if x in nlog],
                "nginx's access log holds no booking's secret link (a key to personal data)"):
        t.diag("conf/nginx/dev.conf.in logs the request line: /booking/<token> is in %s" % ngx)

t.diag("booking_flow took %.1f s" % (time.time() - started))
t.done()
