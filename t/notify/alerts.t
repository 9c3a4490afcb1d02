#!/usr/bin/env python3
"""Alerts end to end: subscribe on the procedure's page (e-mail and
phone), confirm with the link (GET shows a button and changes nothing,
POST confirms), a publication of slots sends one message per subscriber
(two publication times announced together count once), the
List-Unsubscribe link stops the alert, and a later publication reaches
only the remaining subscribers. A small run of 300 subscribers checks
one message each (t/notify/bench_alerts.py is the 10,000 benchmark)."""

import os
import re
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_test import (Mailbox, SmsGateway, write_conf, run_once, bodies, links_in,  # noqa: E402
                         skip_all_unless_ready, drop_fixture, subscribe_sql, publish_slots)
from creneau_test import (TAP, Fixture, get, form, follow, psql, sql_literal, resolve,  # noqa: E402
                          wait_form_min, run_id, location_path)

skip_all_unless_ready()
t = TAP()
t.catch_exceptions()
tmp = tempfile.mkdtemp(prefix="notify-alerts-")
mb = Mailbox().start()
gw = SmsGateway().start()
conf = write_conf(os.path.join(tmp, "creneau.conf"), mb, gw, notify_batch=100)
fx = Fixture("notal")
rid = run_id()


def path_of(url):
    return resolve("/", url.replace(os.environ["CRENEAU_URL"], ""))


try:
    code = fx.procedure("alrt", slots=2)
    run_once(conf)      # the fixture's own publication, announced to nobody
    email = "alert-%s@example.org" % rid
    phone = "+3361%07d" % (os.getpid() % 10000000)
    page = get("/site/%s/%s/alert" % (fx.slug, code))
    t.is_(page.status, 200, "the subscription page")
    f = form(page, action=r"/alert$", has="email")
    t.ok(f is not None and f.field("token") is not None, "a form with a signed token")
    wait_form_min()
    r = f.submit({"email": email, "phone": phone, "lang": "en"})
    t.is_(r.status, 303, "subscribing answers 303")
    done = follow(r)
    t.ok(done.status == 200 and ("sent you a message" in done.text or "envoyé un message" in done.text),
         "the page says to check the messages")
    r2 = f.submit({"email": email, "phone": phone, "lang": "en"})
    t.is_(r2.status, 303, "the same form sent again answers 303 too")
    t.is_(psql("SELECT count(*) FROM alert_subscriptions a JOIN sites s ON s.id = a.site_id WHERE s.slug = %s"
               % sql_literal(fx.slug)), "2", "one subscription per contact")

    run_once(conf)
    got = mb.to(email)
    t.is_(len(got), 1, "one confirmation e-mail (the replayed form added none)")
    t.is_(len(gw.to(phone)), 1, "one confirmation SMS")
    text = bodies(got[0])[0] if got else ""
    link = [u for u in links_in(text) if re.search(r"/alert/[A-Za-z0-9_-]{43}$", u)]
    t.ok(link, "the e-mail links to /alert/<token>")
    page = get(path_of(link[0]))
    t.is_(page.status, 200, "GET the confirmation link")
    t.is_(psql("SELECT count(*) FROM alert_subscriptions WHERE email = %s AND confirmed_at IS NULL"
               % sql_literal(email)), "1", "GET changed nothing")
    f = form(page, action=r"/alert/")
    r = f.submit() if f else None
    t.ok(r is not None and r.status == 303 and "m=confirmed" in (location_path(r) or ""), "POST confirms (303)")
    t.is_(psql("SELECT count(*) FROM alert_subscriptions WHERE email = %s AND confirmed_at IS NOT NULL"
               % sql_literal(email)), "1", "the subscription is confirmed")
    sms_link = re.search(r"https?://\S+/alert/[A-Za-z0-9_-]{43}", gw.to(phone)[0]["text"]).group(0)
    f = form(get(path_of(sms_link)), action=r"/alert/")
    f.submit()

    # Two publication times close together: one message per subscriber.
    publish_slots(fx, code, n=2, delay="1 second", days_ahead=6)
    publish_slots(fx, code, n=2, delay="1.5 seconds", days_ahead=7)
    time.sleep(2)
    run_once(conf)
    alerts = [m for m in mb.to(email) if "New appointments" in m["Subject"]]
    t.is_(len(alerts), 1, "one alert e-mail for the publication")
    t.is_(len([q for q in gw.to(phone) if "new appointments" in q["text"]]), 1, "one alert SMS")
    run_once(conf)
    t.is_(len([m for m in mb.to(email) if "New appointments" in m["Subject"]]), 1, "and only one")
    if alerts:
        lu = alerts[0]["List-Unsubscribe"] or ""
        t.ok(re.match(r"^<https?://\S+/alert/[A-Za-z0-9_-]{43}/unsubscribe>$", lu), "List-Unsubscribe header")
        t.is_(alerts[0]["List-Unsubscribe-Post"], "List-Unsubscribe=One-Click", "one-click unsubscribe")
        atext = bodies(alerts[0])[0]
        t.ok(re.search(r"draw|tirage", atext, re.I) is None and re.search(r"first|premier", atext, re.I),
             "a first-come alert says the times go to whoever books first, nothing of a draw (issue 12)")
        book = [u for u in links_in(atext) if u.endswith("/site/%s/%s" % (fx.slug, code))]
        t.ok(book and get(path_of(book[0])).status == 200, "the alert links to the procedure's calendar")
        upage = get(path_of(lu[1:-1]))
        t.is_(upage.status, 200, "GET the unsubscribe link shows a page")
        t.is_(psql("SELECT count(*) FROM alert_subscriptions WHERE email = %s AND unsubscribed_at IS NULL"
                   % sql_literal(email)), "1", "GET changed nothing")
        f = form(upage, action=r"/unsubscribe$")
        r = f.submit() if f else None
        t.ok(r is not None and r.status == 303, "POST unsubscribes (303)")
        t.is_(psql("SELECT count(*) FROM alert_subscriptions WHERE email = %s AND unsubscribed_at IS NOT NULL"
                   % sql_literal(email)), "1", "the e-mail subscription is stopped")
    publish_slots(fx, code, n=1, delay="0.5 second", days_ahead=8)
    time.sleep(1)
    run_once(conf)
    t.is_(len([m for m in mb.to(email) if "New appointments" in m["Subject"]]), 1,
          "a later publication: nothing to the unsubscribed address")
    t.is_(len([q for q in gw.to(phone) if "new appointments" in q["text"]]), 2,
          "the phone subscription still gets it")

    # 300 subscribers, one publication: one message each.
    code2 = fx.procedure("many", slots=1)
    run_once(conf)
    n = 300
    addrs = ["m%03d-%s@example.org" % (i, rid) for i in range(n)]
    psql("INSERT INTO alert_subscriptions (site_id, procedure_id, email, lang, expires_at, confirmed_at) "
         "SELECT s.id, p.id, e, 'fr', now() + interval '30 days', now() FROM sites s, procedures p, "
         "unnest(%s::text[]) e WHERE s.slug = %s AND p.code = %s"
         % (sql_literal("{" + ",".join(addrs) + "}"), sql_literal(fx.slug), sql_literal(code2)))
    publish_slots(fx, code2, n=3, delay="0.5 second", days_ahead=9)
    time.sleep(1)
    t0 = time.time()
    run_once(conf)
    counts = [len(mb.to(a)) for a in addrs]
    t.is_((min(counts), max(counts)), (1, 1), "%d subscribers: exactly one message each (%.1f s)"
          % (n, time.time() - t0))
finally:
    mb.stop()
    gw.stop()
    drop_fixture(fx)
t.done()
