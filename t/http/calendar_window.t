#!/usr/bin/env python3
"""The public calendar and the applicant's rough edges of issue 12:

- places more than calendar_days (28) ahead are reachable: the window
  pages ("Later dates" to the next days with places, "Earlier dates"
  back), up to the furthest published place; a first window without
  places opens on the first days that have some;
- the day links point at the times' anchor (#times), so a phone does not
  land at the top of the page;
- in Arabic, the booking page isolates the French address and the
  reference (left to right inside a right-to-left page);
- while a draw's registration is open, the procedure's page says so
  (not "will be announced", nor "no appointment is available"); the draw
  of a procedure with an AGDREF number asks for it."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, book, confirmation_code, follow, form, get,  # noqa: E402
                          links, location_path, new_identity, parse, psql, skip_all_unless_server,
                          sql_literal)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()


def day_links(page):
    return [a for a in parse(page).find_all("a") if re.search(r"[?&]day=\d{4}-\d\d-\d\d", a.get("href", ""))]


def days_of(page):
    return sorted(re.search(r"day=(\d{4}-\d\d-\d\d)", a.get("href")).group(1) for a in day_links(page))


def nav(page, text):
    for a in parse(page).find_all("a"):
        if re.search(text, a.text, re.I):
            return a.get("href")
    return None


def local_day(slot):
    return psql("SELECT (starts_at AT TIME ZONE 'Europe/Paris')::date FROM slots WHERE id = %d" % slot)


fx = Fixture("window")
try:
    # Near places (3 days ahead) and far ones (60 days ahead).
    near = fx.procedure("near", slots=2, capacity=1, days_ahead=3)
    psql("INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at) "
         "SELECT counter_id, procedure_id, starts_at + interval '60 days', ends_at + interval '60 days', "
         "capacity, published_at FROM slots WHERE procedure_id = (SELECT id FROM procedures WHERE code = %s)"
         % sql_literal(near))
    slots = fx.slots(near)
    d_near, d_far = local_day(slots[0]), local_day(slots[-1])
    path = "/site/%s/%s" % (fx.slug, near)
    page = get(path)
    t.is_(days_of(page), [d_near], "the first window shows the near day only")
    hrefs = [a.get("href") for a in day_links(page)]
    t.ok(hrefs and all(h.endswith("#times") for h in hrefs),
         "the day links point at the times' anchor (%s)" % (hrefs[:1],))
    later = nav(page, r"Later dates|Dates suivantes|ultérieures")
    t.ok(later is not None and ("from=%s" % d_far) in later,
         "a 'Later dates' link leads to the next days with places (%s)" % later)
    t.is_(nav(page, r"Earlier dates|précédentes|antérieures"), None, "no 'Earlier dates' from today")
    if later:
        far = get(later)
        t.is_(far.status, 200, "the later window answers")
        t.is_(days_of(far), [d_far], "it shows the far day (60 days ahead)")
        t.is_(nav(far, r"Later dates|Dates suivantes|ultérieures"), None,
              "no 'Later dates' past the furthest published place")
        t.ok(nav(far, r"Earlier dates|précédentes|antérieures") is not None, "an 'Earlier dates' link")
        fl = day_links(far)
        if fl:
            dp = get(fl[0].get("href").split("#")[0])
            t.ok(parse(dp).find(id="times") is not None and
                 len([a for a in parse(dp).find_all("a") if "/book/" in a.get("href", "")]) == 2,
                 "the far day's times are listed under id=times")
            t.ok(days_of(dp) == [d_far], "choosing a day keeps its window")

    # Only far places: the calendar opens on them.
    only = fx.procedure("far", slots=1, capacity=1, days_ahead=45)
    page = get("/site/%s/%s" % (fx.slug, only))
    t.is_(days_of(page), [local_day(fx.slots(only)[0])], "with only far places, the calendar opens on them")

    # Arabic: the French address and the reference are isolated.
    who = new_identity("rtl")
    _, ans = book(slots[1], who)
    held = follow(ans)
    form(held, action=r"/confirm$").submit({"code": confirmation_code(who["email"])})
    tok = (location_path(ans) or "").split("?")[0]
    ar = get(tok + "?lang=ar")
    root = parse(ar)
    html = root.find("html")
    t.ok(html is not None and html.get("dir") == "rtl", "the booking page in Arabic is right to left")
    addr = [e for e in root.iter() if "rue du Test" in e.text and e.get("dir") == "ltr"]
    t.ok(addr, "the French address is marked left to right (isolated)")
    ref = root.find(class_="reference")
    t.ok(ref is not None and ref.get("dir") == "ltr", "the reference is marked left to right")

    # A draw taking registrations.
    dcode = fx.procedure("draw", slots=2, capacity=1, days_ahead=6, requires_agdref=True)
    psql("UPDATE site_procedures SET allocation_mode = 'draw' WHERE procedure_id = "
         "(SELECT id FROM procedures WHERE code = %s)" % sql_literal(dcode))
    page = get("/site/%s/%s" % (fx.slug, dcode))
    t.ok(re.search(r"will be announced|sera annoncée", page.text) is not None,
         "before any draw, registration 'will be announced'")
    psql("SELECT draw_id FROM draw_schedule(NULL, (SELECT id FROM sites WHERE slug = %s), "
         "(SELECT id FROM procedures WHERE code = %s), now() - interval '1 minute', "
         "now() + interval '1 hour', now() + interval '2 hours', 48, current_date, current_date + 14)"
         % (sql_literal(fx.slug), sql_literal(dcode)))
    page = get("/site/%s/%s" % (fx.slug, dcode))
    text = page.text
    t.ok(re.search(r"will be announced|sera annoncée", text) is None, "while open: not 'will be announced'")
    t.ok(re.search(r"No appointment is available|Aucun rendez-vous n.est disponible", text) is None,
         "nor 'no appointment is available'")
    t.ok(re.search(r"open until|ouvertes? jusqu", text) is not None, "it says registration is open, until when")
    t.ok(any(a.get("href", "").endswith("/draw") for a in parse(page).find_all("a")), "and links to it")
    dp = get("/site/%s/%s/draw" % (fx.slug, dcode))
    df = form(dp, has="surname")
    t.ok(df is not None and df.field("agdref") is not None,
         "the draw of a procedure with an AGDREF number asks for it")
finally:
    s = sql_literal(fx.slug)
    try:
        psql("DELETE FROM draw_entries WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
             "DELETE FROM draw_slots WHERE draw_id IN (SELECT id FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s));"
             "DELETE FROM draw_seeds WHERE draw_id IN (SELECT id FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s));"
             "DELETE FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s)" % ((s,) * 4))
        fx.drop()
    except Exception as e:  # noqa: BLE001 - the append-only audit log may keep the site
        t.diag("cleanup: %s" % e)
t.done()
