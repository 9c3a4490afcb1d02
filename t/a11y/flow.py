#!/usr/bin/env python3
"""Helper of t/a11y/axe.t: makes (and removes) the pages of the booking
flow the browser test visits, with the request-level helpers of
t/lib/creneau_test.py, so the booking goes through the real forms.

    flow.py setup       a fixture site, a held and a confirmed booking;
                        prints one JSON object of paths on stdout
    flow.py drop SLUG   removes the fixture site and all made on it
"""

import json
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (BOOKING_PATH_RE, Fixture, book, confirm, follow, link,  # noqa: E402
                          location_path, new_identity, psql, sql_literal)


def setup():
    """Books on a site of our own; returns the paths of every state."""
    fx = Fixture("a11y")
    try:
        proc = fx.procedure("open", slots=8, capacity=1)
        slots = fx.slots(proc)
        site_id = psql("SELECT id FROM sites WHERE slug = %s" % sql_literal(fx.slug))
        proc_id = psql("SELECT id FROM procedures WHERE code = %s" % sql_literal(proc))
        day = psql("SELECT min(day)::text FROM slot_days(%s, %s, 60)" % (site_id, proc_id))
        # A held booking (code not given yet) and a confirmed one.
        held_ident = new_identity("a11y-held")
        _, answer = book(slots[0], held_ident)
        held_path = location_path(answer) if answer is not None else None
        if held_path is None or not BOOKING_PATH_RE.match(held_path):
            raise RuntimeError("booking form did not redirect to a booking: %r"
                               % (answer.status if answer else None))
        ident = new_identity("a11y-conf")
        _, answer = book(slots[1], ident)
        held = follow(answer)
        _, confirmed = confirm(held, ident["email"])
        if confirmed is None or confirmed.status != 200:
            raise RuntimeError("could not confirm the booking")
        conf_path = confirmed.url
        cancel = link(confirmed, href=r"/cancel$")
        resched = link(confirmed, href=r"/reschedule$")
        return {
            "slug": fx.slug,
            "procedure": proc,
            "day": day,
            "free_slot": slots[2],
            "site": "/site/%s" % fx.slug,
            "calendar": "/site/%s/%s" % (fx.slug, proc),
            "calendar_day": "/site/%s/%s?day=%s" % (fx.slug, proc, day),
            "book": "/book/%d" % slots[2],
            "held": held_path,
            "confirmed": conf_path,
            "cancel": cancel.url if cancel else conf_path + "/cancel",
            "reschedule": (resched.url if resched else conf_path + "/reschedule") + "?day=" + day,
        }
    except BaseException:
        fx.drop()
        raise


def drop(slug):
    fx = Fixture.__new__(Fixture)
    fx.slug = slug
    fx.agdref = []
    fx.drop()


if __name__ == "__main__":
    if len(sys.argv) == 2 and sys.argv[1] == "setup":
        print(json.dumps(setup()))
    elif len(sys.argv) == 3 and sys.argv[1] == "drop":
        drop(sys.argv[2])
    else:
        sys.exit("usage: flow.py setup | flow.py drop SLUG")
