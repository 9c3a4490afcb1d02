#!/usr/bin/env python3
"""creneau-notify delivers each kind of booking message once, in the
booking's language, with links that work: confirmation code (e-mail and
SMS), booking confirmed (with the .ics), rescheduled, cancelled, and the
reminder (queued once). Secrets are scrubbed from the outbox once sent."""

import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_test import (Mailbox, SmsGateway, write_conf, run_once, bodies, links_in,  # noqa: E402
                         skip_all_unless_ready, drop_fixture)
from creneau_test import (TAP, Fixture, new_identity, book, location_path, get, form,  # noqa: E402
                          follow, psql, sql_literal, resolve, reference_of, post_form, slot_ref)



def ics_of(msg):
    """The text of the text/calendar attachment of an e-mail, or None."""
    for a in bodies(msg)[2]:
        if a[0] == "text/calendar":
            return a[2].decode("utf-8")
    return None


def field(ics, name):
    """The value of the first content line NAME:value of an .ics."""
    m = re.search(r"^%s:(.*?)\r?$" % name, ics, re.M)
    return m.group(1) if m else None


def cal_type(msg):
    """The Content-Type of the text/calendar part, parameters included."""
    for part in msg.walk():
        if part.get_content_type() == "text/calendar":
            return " ".join(str(part["Content-Type"]).split())
    return ""


skip_all_unless_ready()
t = TAP()
t.catch_exceptions()
tmp = tempfile.mkdtemp(prefix="notify-delivery-")
mb = Mailbox().start()
gw = SmsGateway().start()
conf = write_conf(os.path.join(tmp, "creneau.conf"), mb, gw, reminder_hours=48)
fx = Fixture("notify")
try:
    code_en = fx.procedure("en", slots=6, capacity=1)
    slots = fx.slots(code_en)

    def path_of(url):
        return resolve("/", url.replace(os.environ["CRENEAU_URL"], ""))

    # --- An English booking with e-mail and phone --------------------------
    who = new_identity("en", lang="en", phone="+33612345%03d" % (os.getpid() % 1000))
    page, resp = book(slots[0], who)
    t.is_(resp.status, 303, "the booking form holds the slot")
    rc, err = run_once(conf)
    t.is_(rc, 0, "creneau-notify -1 runs") or t.diag(err)
    mails = mb.to(who["email"])
    t.is_(len(mails), 1, "one confirmation code e-mail")
    msg = mails[0]
    text, html, att = bodies(msg)
    m = re.search(r"\b(\d{6})\b", text or "")
    code = m.group(1) if m else None
    t.ok(code is not None, "the e-mail holds the 6-digit code")
    t.ok("Your confirmation code" in msg["Subject"], "subject in English")
    t.is_(msg["Content-Language"], "en", "Content-Language: en")
    t.ok('lang="en"' in (html or ""), "the HTML part is in English (lang=en)")
    t.ok(msg["Message-ID"] and "outbox-" in msg["Message-ID"], "a stable Message-ID")
    link = [u for u in links_in(text) if "/booking/" in u and "code=" in u]
    t.ok(link, "the e-mail has the link with the code")
    sms = gw.to(who["phone"])
    t.is_(len(sms), 1, "one confirmation code SMS")
    t.ok(sms and code in sms[0]["text"] and sms[0]["charset"] == "UTF-8", "the SMS holds the code, UTF-8")
    t.ok(sms and "coding" not in sms[0], "an ASCII SMS is sent without coding=2")
    t.is_(psql("SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id "
               "WHERE b.email = %s AND (o.payload ? 'code' OR o.payload ? 'token')" % sql_literal(who["email"])),
          "0", "the code and token are scrubbed from the outbox once sent")

    # The link works: it shows the held booking with the code filled in.
    page = get(path_of(link[0]))
    t.is_(page.status, 200, "GET the link from the e-mail")
    f = form(page, action=r"/confirm$", has="code")
    t.ok(f is not None and f.field("code").value == code, "the page has the code form, filled in")
    r = f.submit()
    page = follow(r)
    t.ok(reference_of(page) is not None, "confirmed with the link's form")

    # --- booking_confirmed, with the .ics, once ---------------------------
    run_once(conf)
    mails = mb.to(who["email"])
    t.is_(len(mails), 2, "a second e-mail: the booking is confirmed")
    text, html, att = bodies(mails[-1])
    t.ok(any(a[0] == "text/calendar" and b"BEGIN:VCALENDAR" in a[2] for a in att),
         "the .ics is attached")
    t.ok(reference_of(text) is not None, "it gives the reference")
    blink = [u for u in links_in(text) if re.search(r"/booking/[A-Za-z0-9_-]{43}$", u)]
    t.ok(blink, "it links to the booking")
    page = get(path_of(blink[0])) if blink else None
    t.ok(page is not None and page.status == 200 and reference_of(page) == reference_of(text),
         "the link opens the confirmed booking")
    t.is_(len(gw.to(who["phone"])), 2, "and one SMS")
    run_once(conf)
    t.is_(len(mb.to(who["email"])), 2, "running again sends nothing more")

    # --- rescheduled, cancelled -------------------------------------------
    token = path_of(blink[0]).rsplit("/", 1)[1]
    r = post_form("/booking/%s/reschedule" % token, [("slot", slot_ref(slots[1]))],
                  headers={"Origin": os.environ["CRENEAU_URL"]})
    t.is_(r.status, 303, "rescheduled")
    run_once(conf)
    mails = mb.to(who["email"])
    t.ok(len(mails) == 3 and "moved" in mails[-1]["Subject"].lower(), "a 'moved' e-mail")
    icals = [ics_of(m) for m in mails[1:]]
    page = get("/booking/%s/cancel" % token)
    f = form(page, action=r"/cancel$")
    t.ok(f is not None and f.submit().status == 303, "cancelled")
    run_once(conf)
    mails = mb.to(who["email"])
    t.ok(len(mails) == 4 and "cancelled" in mails[-1]["Subject"].lower(), "a 'cancelled' e-mail")
    # The attached calendar files: one event (one UID), its SEQUENCE
    # growing, PUBLISH then CANCEL (issue 12: a move keeps the UID).
    icals.append(ics_of(mails[-1]) if len(mails) == 4 else None)
    t.ok(all(i is not None for i in icals), "confirmed, moved and cancelled e-mails each carry a .ics")
    if all(i is not None for i in icals):
        uids = {field(i, "UID") for i in icals}
        t.is_(len(uids), 1, "one UID throughout (%s)" % sorted(uids))
        t.is_([field(i, "SEQUENCE") for i in icals], ["0", "1", "2"], "SEQUENCE 0, 1, 2")
        t.is_([field(i, "METHOD") for i in icals], ["PUBLISH", "PUBLISH", "CANCEL"], "PUBLISH, PUBLISH, CANCEL")
        t.is_(field(icals[-1], "STATUS"), "CANCELLED", "the cancellation says STATUS:CANCELLED")
        t.ok(re.search(r'method="?CANCEL\b', cal_type(mails[-1]), re.I) is not None,
             "its part is text/calendar; method=CANCEL (%s)" % cal_type(mails[-1]))
    kinds = psql("SELECT string_agg(o.kind || ':' || o.channel || ':' || o.status, ' ' ORDER BY o.id) FROM outbox o "
                 "JOIN bookings b ON b.id = o.booking_id WHERE b.email = %s" % sql_literal(who["email"]))
    t.is_(kinds, "confirmation_code:email:sent confirmation_code:sms:sent "
                 "booking_confirmed:email:sent booking_confirmed:sms:sent "
                 "booking_rescheduled:email:sent booking_rescheduled:sms:sent "
                 "booking_cancelled:email:sent booking_cancelled:sms:sent",
          "each message once, all sent")

    # --- French and Arabic ------------------------------------------------
    # (Arabic: the French data is isolated, LRI … PDI, issue 12.)
    for lang, needle in (("fr", 'lang="fr"'), ("ar", 'dir="rtl"')):
        who2 = new_identity(lang, lang=lang)
        page, resp = book(slots[2 if lang == "fr" else 3], who2)
        run_once(conf)
        got = mb.to(who2["email"])
        t.is_(len(got), 1, "%s: one code e-mail" % lang)
        if got:
            text, html, att = bodies(got[0])
            t.is_(got[0]["Content-Language"], lang, "%s: Content-Language" % lang)
            t.ok(needle in html, "%s: the HTML part says %s" % (lang, needle))
            if lang == "ar":
                t.ok(("\u2066Préfecture de test " + fx.slug + "\u2069") in text,
                     "ar: the French site name is isolated (LRI … PDI) in the text part")
            if lang == "fr":
                t.ok(re.search(r"(janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre)",
                               text) is not None, "fr: the date is written in French")

    # --- Reminder: queued once, with a working cancel link -----------------
    code_soon = fx.procedure("soon", slots=2, capacity=1, days_ahead=1)
    soon = fx.slots(code_soon)
    who3 = new_identity("rem", lang="en")
    page, resp = book(soon[0], who3)
    page = follow(resp)
    run_once(conf)
    text = bodies(mb.to(who3["email"])[0])[0]
    c3 = re.search(r"\b(\d{6})\b", text).group(1)
    f = form(page, action=r"/confirm$", has="code")
    follow(f.submit({"code": c3}))
    # Confirmed long ago, so that the reminder window opened after it.
    psql("UPDATE bookings SET confirmed_at = now() - interval '5 days' WHERE email = %s AND status = 'confirmed'"
         % sql_literal(who3["email"]))
    run_once(conf)
    run_once(conf)
    rem = [m for m in mb.to(who3["email"]) if "reminder" in m["Subject"].lower()]
    t.is_(len(rem), 1, "one reminder e-mail")
    t.is_(psql("SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id WHERE b.email = %s "
               "AND o.kind = 'reminder'" % sql_literal(who3["email"])), "1", "the reminder is queued once")
    t.is_(psql("SELECT o.idempotency_key LIKE 'reminder:%%' FROM outbox o JOIN bookings b ON b.id = o.booking_id "
               "WHERE b.email = %s AND o.kind = 'reminder'" % sql_literal(who3["email"])), "t",
          "its idempotency key is reminder:<booking>")
    if rem:
        cl = [u for u in links_in(bodies(rem[0])[0]) if u.endswith("/cancel")]
        t.ok(cl, "the reminder has the cancel link")
        page = get(path_of(cl[0])) if cl else None
        t.ok(page is not None and page.status == 200 and form(page, action=r"/cancel$") is not None,
             "the cancel link opens the cancel form")
finally:
    mb.stop()
    gw.stop()
    psql("DELETE FROM outbox WHERE booking_id IN (SELECT b.id FROM bookings b JOIN sites s ON s.id = b.site_id "
         "WHERE s.slug = %s)" % sql_literal(fx.slug))
    drop_fixture(fx)
t.done()
