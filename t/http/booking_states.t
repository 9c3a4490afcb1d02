#!/usr/bin/env python3
"""The booking page in each state lists the procedure's real documents,
never the template's sample "Document" (issue 12): held, confirmed,
cancelled, expired; the cancelled and expired pages offer to book again
(a link to the procedure's page)."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, book, confirmation_code, follow, form, get,  # noqa: E402
                          location_path, new_identity, parse, psql, skip_all_unless_server,
                          sql_literal)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()

REAL = ["Passeport", "Justificatif de domicile"]      # Fixture.procedure's documents


def documents(page):
    box = parse(page).find("div", class_=re.compile(r"\bdocuments\b"))
    return [li.text for li in box.find_all("li")] if box is not None else None


def token_of(answer):
    return (location_path(answer) or "").split("?")[0].rsplit("/", 1)[-1]


fx = Fixture("states")
try:
    proc = fx.procedure("open", slots=4, capacity=1)
    slots = fx.slots(proc)

    who = new_identity("states")
    _, ans = book(slots[0], who)
    tok = token_of(ans)
    held = follow(ans)
    t.is_(documents(held), REAL, "held: the procedure's documents")
    form(held, action=r"/confirm$").submit({"code": confirmation_code(who["email"])})
    t.is_(documents(get("/booking/" + tok)), REAL, "confirmed: the procedure's documents")
    form(get("/booking/%s/cancel" % tok), action=r"/cancel$").submit()
    page = get("/booking/" + tok)
    t.is_(documents(page), REAL, "cancelled: the procedure's documents")
    t.ok(any(a.get("href", "").endswith("/" + proc) for a in parse(page).find_all("a")),
         "cancelled: a link to book again on the procedure's page")

    who2 = new_identity("states2")
    _, ans = book(slots[1], who2)
    tok2 = token_of(ans)
    psql("UPDATE bookings SET hold_expires_at = now() - interval '1 second'"
         " WHERE id = booking_by_token(%s)" % sql_literal(tok2))
    page = get("/booking/" + tok2)
    t.ok(re.search(r"pas été confirmé|not confirmed", page.text) is not None, "expired: says so")
    t.is_(documents(page), REAL, "expired: the procedure's documents")
    rebook = [a for a in parse(page).find_all("a") if a.get("href", "").endswith("/" + proc)]
    t.ok(len(rebook) == 1, "expired: a link to book again on the procedure's page")
    if rebook:
        t.is_(get(rebook[0].get("href")).status, 200, "which opens")
finally:
    try:
        fx.drop()
    except Exception as e:  # noqa: BLE001 - cleanup only
        t.diag("cleanup: %s" % e)
t.done()
