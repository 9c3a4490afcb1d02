#!/usr/bin/env python3
"""A held time can be extended (RGAA: adjustable time limits): by
hold_extend_minutes each time, up to hold_max_minutes in all (twice with
the defaults, 10 + 5 + 5), then a clear refusal; the language switch is
on every page and brings the person back to the page they were on; the
accessibility statement is there."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, book, follow, form, get, new_identity, post_form,  # noqa: E402
                          psql, skip_all_unless_server, wellformed)

skip_all_unless_server()
t = TAP()
fx = Fixture("extend")
try:
    proc = fx.procedure("open", slots=2, capacity=1)
    slot = fx.slots(proc)[0]
    ident = new_identity("extend")
    _, answer = book(slot, ident)
    t.is_(answer.status if answer else None, 303, "the booking form holds the time")
    held = follow(answer)
    token = held.url.rsplit("/", 1)[1].split("?")[0]

    def hold_end():
        return psql("SELECT extract(epoch FROM hold_expires_at)::bigint FROM bookings "
                    "WHERE id = booking_by_token('%s')" % token)

    before = int(hold_end())
    f = form(held, action=r"/extend$")
    t.ok(f is not None, "a held booking offers more time")
    r = f.submit({})
    t.is_(r.status, 303, "asking for more time answers 303")
    page = follow(r)
    t.ok("?m=extended" in r.header("location"), "and says the time is extended")
    t.ok(int(hold_end()) - before >= 4 * 60, "the hold ends later by the extension's length")
    follow(form(page, action=r"/extend$").submit({}))
    r = form(page, action=r"/extend$").submit({})
    t.ok("m=extend_limit" in (r.header("location") or ""), "a third extension is refused")
    page = follow(r)
    t.is_(wellformed(page.body), None, "the page saying so is well-formed")
    t.ok("alert-error" in page.text, "and shows the refusal as an error")
    r = post_form("/booking/%s/extend" % ("A" * 43), [])
    t.is_(r.status, 404, "an unknown booking link answers 404")

    # The language switch: on every page, back to the same page.
    site = get("/site/" + fx.slug)
    sw = form(site, action=r"^/language$")
    t.ok(sw is not None, "the site page has the language switch")
    r = sw.submit({}, button="en")
    t.is_(r.status, 303, "choosing English answers 303")
    t.is_(r.header("location"), "/site/" + fx.slug, "back to the same page")
    t.ok((r.header("set-cookie") or "").startswith("lang=en;"), "the choice is kept in a cookie")
    en = get("/site/" + fx.slug, headers={"Cookie": "lang=en"})
    t.ok(re.search(r'<html[^>]* lang="en"', en.text) is not None, "the cookie gives the page in English")
    t.ok('aria-current="true"' in en.text and re.search(r'value="en"[^>]*aria-current="true"|aria-current="true"[^>]*value="en"', en.text),
         "the current language is marked")
    ar = get("/site/%s?lang=ar" % fx.slug)
    t.ok(re.search(r'<html[^>]* dir="rtl"', ar.text) is not None, "?lang=ar gives a right-to-left page")
    held_ar = post_form("/language", [("lang", "fr"), ("return", held.url.split("?")[0].replace(os.environ["CRENEAU_URL"], ""))])
    t.is_(held_ar.header("location"), "/booking/" + token, "the switch on a booking page comes back to it")
    r = post_form("/language", [("lang", "fr"), ("return", "//evil.example/x")])
    t.is_(r.header("location"), "/", "a return address that is not ours goes home")

    acc = get("/accessibilite")
    t.is_(acc.status, 200, "the accessibility statement answers 200")
    t.is_(wellformed(acc.body), None, "and is well-formed")
    t.ok("RGAA" in acc.text, "it names the standard")
    t.ok('href="/accessibilite"' in get("/").text, "every page links to it")
finally:
    fx.drop()
t.done()
