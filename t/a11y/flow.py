#!/usr/bin/env python3
"""Helper of t/a11y/axe.t and t/a11y/validity_langs.t: makes (and
removes) the pages of the booking flow and of the staff area the tests
visit, with the request-level helpers of t/lib/creneau_test.py, so the
bookings go through the real forms.

    flow.py setup       a fixture site, a held and a confirmed booking;
                        a supervisor of the site and a mediator, logged
                        in, with rows for every staff page (a confirmed
                        booking today, an injunction, a draw with an
                        entry, a flag for the abuse review, a mediator
                        booking); prints one JSON object of paths and
                        staff cookies on stdout
    flow.py drop SLUG   removes the fixture site and all made on it
"""

import json
import os
import secrets
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, BOOKING_PATH_RE, Fixture, birth_values, book, confirm, follow,  # noqa: E402
                          form, get, link, links, location_path, new_identity, psql, reference_of,
                          slot_ref, sql_literal, staff_add, staff_login, wait_form_min)


def word_of(slug):
    """The run's word, from the fixture's slug (test-a11y-<word>): it names
    the staff accounts and the organisation, so drop finds them."""
    return slug.rsplit("-", 1)[1]


def staff_emails(word):
    return ("a11y-sup-%s@test.example" % word, "a11y-med-%s@test.example" % word,
            "a11y-adm-%s@test.example" % word)


def admin_setup(adm, pw, sup, proc, site):
    """Administration pages (issue 12): an administrator logged in, and a
    one-time link of the supervisor sup (made in SQL; unused, it leaves
    the supervisor's password alone); proc and site: a procedure and a
    site whose pages are shown (their forms are only sent back with
    errors). Returns the JSON's part: the
    administrator's Cookie header value and the paths."""
    r = staff_add(adm, "administrator", "Administratrice A11y", password=pw)
    if r.returncode != 0:
        raise RuntimeError("creneau-admin staff-add administrator: %s" % r.stderr.strip())
    ca = staff_login(adm, pw)
    if not ca:
        raise RuntimeError("the administrator could not log in")
    sup_id = psql("SELECT id FROM staff_accounts WHERE email = %s" % sql_literal(sup))
    token = secrets.token_urlsafe(32)
    psql("SELECT staff_link_make(%s, %s, 72, NULL)" % (sup_id, sql_literal(token)))
    return {
        "admin_cookie": ca,
        "admin": {
            "staff": "/agent/admin/staff",
            "account": "/agent/admin/staff/%s" % sup_id,
            "password": "/agent/password/%s" % token,
            "procedures": "/agent/admin/procedures",
            "procedure": "/agent/admin/procedures/%s" % proc,
            "sites": "/agent/admin/sites",
            "site": "/agent/admin/sites/%s" % site,
        },
    }


def report_setup(fx, day):
    """creneau-report for fixture fx from yesterday to day (its bookings
    and slots), written under the state directory as the service user
    (as systemd runs it) and recorded as the site's latest report;
    returns the path of its XHTML file in the back-office."""
    top = os.environ.get("top_builddir") or os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    out = os.path.join(os.environ["CRENEAU_VAR"], "reports-" + fx.slug)
    as_service = ["runuser", "-u", "creneau", "--"] if os.geteuid() == 0 else []
    os.makedirs(out, exist_ok=True)
    if as_service:
        subprocess.run(["chown", "creneau:creneau", out], check=True)
    first = psql("SELECT (current_date - 1)::text")
    r = subprocess.run(as_service + [os.path.join(top, "creneau-report"), "-c", os.environ["CRENEAU_CONF"],
                                     "-s", fx.slug, "-f", first, "-t", day, "-o", out, "report"],
                       capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError("creneau-report: %s" % r.stderr.strip())
    run = psql("INSERT INTO reporting.runs (site_id, date_from, date_to, directory) "
               "SELECT id, %s, %s, %s FROM sites WHERE slug = %s RETURNING id"
               % (sql_literal(first), sql_literal(day), sql_literal(out), sql_literal(fx.slug)))
    return "/agent/report/%s/report" % run


def staff_setup(fx, proc, day=None):
    """A supervisor of fixture fx and a mediator, logged in through the
    form, and rows for every staff page; proc: an open procedure of fx
    with at least two free slots (the mediator books the last one; the
    first is the mediator's form page, left free); day: the last day
    of the site's report (default tomorrow). Returns the JSON's
    staff part: the two Cookie header values and the paths. drop(fx.slug)
    removes it all."""
    word = word_of(fx.slug)
    sup, med, adm = staff_emails(word)
    org = "Association a11y %s" % word
    pw = "a11y password %s" % word
    for email, role, name, scope in ((sup, "supervisor", "Superviseure A11y", fx.slug),
                                     (med, "mediator", "Médiatrice A11y", org)):
        r = staff_add(email, role, name, scope, password=pw)
        if r.returncode != 0:
            raise RuntimeError("creneau-admin staff-add %s: %s" % (role, r.stderr.strip()))
    cs, cm = staff_login(sup, pw), staff_login(med, pw)
    if not cs or not cm:
        raise RuntimeError("the staff could not log in")
    site = fx.slug
    base = "/agent/site/%s" % site
    admin = admin_setup(adm, pw, sup, proc, site)

    # A booking confirmed online, moved to today at 10:00 (local): the
    # agenda's default day shows it; the search finds it by surname.
    desk = fx.procedure("desk", slots=2, capacity=1)
    desk_slot = fx.slots(desk)[0]
    ident = new_identity("a11y-desk")
    _, answer = book(desk_slot, ident)
    _, page = confirm(follow(answer), ident["email"])
    if page is None or reference_of(page) is None:
        raise RuntimeError("could not confirm the counter's booking")
    psql("UPDATE slots sl SET starts_at = (current_date::timestamp + interval '10 hours') AT TIME ZONE st.time_zone, "
         "ends_at = (current_date::timestamp + interval '10 hours 30 minutes') AT TIME ZONE st.time_zone "
         "FROM sites st WHERE st.id = sl.site_id AND sl.id = %d" % desk_slot)

    # An injunction, recorded through the court form.
    hdr = {"Cookie": cs}
    court = get(base + "/court", headers=hdr)
    f = form(court, action=r"/court$", has="tribunal")
    person = new_identity("a11y-court")
    y, m, d = person["birth"]
    r = f.submit({"tribunal": "Tribunal administratif de Paris", "case_number": "2401-%s" % word,
                  "decision_date": psql("SELECT current_date - 3"),
                  "deadline": psql("SELECT current_date + 20"), "procedure": proc,
                  "surname": person["surname"], "given_names": person["given_names"],
                  "birth_day": str(d), "birth_month": str(m), "birth_year": str(y), "lang": "fr"},
                 headers=hdr)
    court_item = location_path(r)
    if r.status != 303 or not court_item:
        raise RuntimeError("could not record an injunction (%s)" % r.status)

    # A draw on a procedure the site allocates by draw, open for
    # registration, with one entry from a disposable e-mail domain (a
    # flag, with an entry that can be voided, on the abuse review; the
    # held booking's address is one too).
    tirage = fx.procedure("tirage", slots=2, capacity=1, days_ahead=6)
    psql("UPDATE site_procedures SET allocation_mode = 'draw' WHERE procedure_id = "
         "(SELECT id FROM procedures WHERE code = %s)" % sql_literal(tirage))
    draw_id = psql("SELECT draw_id FROM draw_schedule(NULL, (SELECT id FROM sites WHERE slug = %s), "
                   "(SELECT id FROM procedures WHERE code = %s), now() - interval '1 minute', "
                   "now() + interval '1 hour', now() + interval '2 hours', 48, current_date, current_date + 14)"
                   % (sql_literal(site), sql_literal(tirage)))
    if not draw_id.isdigit():
        raise RuntimeError("could not schedule a draw (%r)" % draw_id)
    entrant = new_identity("a11y-draw", email="a11y-draw-%s@yopmail.com" % word)
    page = get("/site/%s/%s/draw" % (site, tirage))
    f = form(page, action=r"/draw$", has="surname")
    if f is not None:
        vals = {"surname": entrant["surname"], "given_names": entrant["given_names"],
                "email": entrant["email"], "lang": "fr"}
        vals.update(birth_values(f, entrant["birth"]))
        wait_form_min()
        entry = follow(f.submit(vals))
        cf = form(entry, has="code")
        code = psql("SELECT payload->>'code' FROM outbox WHERE kind = 'draw_code' AND recipient = %s "
                    "ORDER BY id DESC LIMIT 1" % sql_literal(entrant["email"]))
        if cf is not None and code:
            follow(cf.submit({"code": code}))

    # A booking by the mediator, through the mediator's pages.
    mhdr = {"Cookie": cm}
    times = "/agent/mediator/site/%s/%s" % (site, proc)
    tl = links(get(times, headers=mhdr), href=r"^/agent/mediator/slot/\d+\.[0-9a-f]{16}$")
    if len(tl) < 2:
        raise RuntimeError("the mediator is offered no time (%d)" % len(tl))
    mslot = tl[0].url       # the form page (slots[2], the public book-form's: never booked)
    f = form(get(tl[-1].url, headers=mhdr), action=r"^/agent/mediator/slot/", has="surname")
    p = new_identity("a11y-med")
    y, m, d = p["birth"]
    r = f.submit({"surname": p["surname"], "given_names": p["given_names"], "birth_day": str(d),
                  "birth_month": str(m), "birth_year": str(y), "lang": "fr"}, headers=mhdr)
    mbooking = location_path(r)
    if r.status != 303 or not mbooking:
        raise RuntimeError("the mediator could not book (%s)" % r.status)

    # The counter and phone channel (issue 12): a procedure of its own
    # whose times keep one place for "counter or phone"; the supervisor
    # books a caller who reads Arabic on the first, the second is the
    # form page, left free.
    guichet = fx.procedure("guichet", slots=2, capacity=2)
    gslots = fx.slots(guichet)
    psql("INSERT INTO slot_reservations (slot_id, channel, places) SELECT unnest(%s::bigint[]), 'counter', 1"
         % sql_literal("{%s}" % ",".join(str(x) for x in gslots)))
    phone_book = "%s/phone/%s" % (base, slot_ref(gslots[1]))
    f = form(get("%s/phone/%s" % (base, slot_ref(gslots[0])), headers=hdr), action=r"/phone/", has="surname")
    p = new_identity("a11y-phone")
    y, m, d = p["birth"]
    r = f.submit({"surname": p["surname"], "given_names": p["given_names"], "birth_day": str(d),
                  "birth_month": str(m), "birth_year": str(y), "lang": "ar"}, headers=hdr)
    phone_booking = location_path(r)
    if r.status != 303 or not phone_booking:
        raise RuntimeError("the counter could not book (%s)" % r.status)

    # A nightly report of the site (issue 14): creneau-report as the
    # service user, recorded as the site's latest, so its XHTML file is
    # checked like every page (the row goes with the site).
    report = report_setup(fx, day or psql("SELECT (current_date + 1)::text"))

    return {
        "staff_cookie": cs,
        "mediator_cookie": cm,
        "desk_surname": ident["surname"],
        "agent": {
            "home": "/agent",
            "agenda": base + "/agenda",
            "checkin": base + "/checkin",
            "search": base + "/search",
            "rules": base + "/rules",
            "closures": base + "/closures",
            "publish": base + "/publish",
            "draws": base + "/draws",
            "court": base + "/court",
            "court_item": court_item,
            "abuse": base + "/abuse",
            "court_all": "/agent/court",
            "audit": "/agent/audit",
            "phone": base + "/phone",
            "phone_times": "%s/phone?procedure=%s" % (base, guichet),
            "phone_book": phone_book,
            "booking": phone_booking,
            "booking_print": phone_booking + "/print",
            "report": report,
        },
        **admin,
        "mediator": {
            "home": "/agent/mediator",
            "times": times,
            "book": mslot,
            "booking": mbooking,
            "bookings": "/agent/mediator/bookings",
            "print": mbooking + "/print",
        },
    }


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
        # (from a disposable e-mail domain: a flag on the abuse review)
        held_ident = new_identity("a11y-held")
        held_ident["email"] = held_ident["email"].replace("@example.org", "@yopmail.com")
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
        staff = staff_setup(fx, proc, day)
        return {
            "slug": fx.slug,
            "procedure": proc,
            "day": day,
            "free_slot": slots[2],
            "site": "/site/%s" % fx.slug,
            "calendar": "/site/%s/%s" % (fx.slug, proc),
            "calendar_day": "/site/%s/%s?day=%s" % (fx.slug, proc, day),
            "book": book_path(slots[2]),
            "held": held_path,
            "confirmed": conf_path,
            "cancel": cancel.url if cancel else conf_path + "/cancel",
            "reschedule": (resched.url if resched else conf_path + "/reschedule") + "?day=" + day,
            **staff,
        }
    except BaseException:
        fx.drop()
        raise


def drop(slug):
    """Everything setup made: the staff accounts with their sessions, the
    organisation, the injunction, the draw, the mediator booking, and the
    audit log's entries about them (the log is append-only: its trigger
    is off for the DELETE only, in one transaction, as t/http/agent_court.t
    does), then the site."""
    word = word_of(slug)
    s = sql_literal(slug)
    sid = "(SELECT id FROM sites WHERE slug = %s)" % s
    acc = "SELECT id FROM staff_accounts WHERE email = ANY (%s)" % sql_literal(
        "{" + ",".join(staff_emails(word)) + "}")
    draws = "SELECT id FROM draws WHERE site_id = %s" % sid
    psql("BEGIN;"
         "DELETE FROM outbox WHERE kind IN ('draw_code', 'draw_offer') AND payload->>'site_slug' = %s;"
         "DELETE FROM draw_entries WHERE site_id = %s;"
         "DELETE FROM draw_slots WHERE draw_id IN (%s);"
         "DELETE FROM draw_seeds WHERE draw_id IN (%s);"
         "DELETE FROM draws WHERE site_id = %s;"
         "DELETE FROM injunctions WHERE site_id = %s;"
         "DELETE FROM mediator_bookings WHERE account_id IN (%s);"
         "ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
         "DELETE FROM audit_log WHERE account_id IN (%s) OR site_id = %s;"
         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update;"
         "DELETE FROM staff_sessions WHERE account_id IN (%s);"
         "DELETE FROM staff_form_nonces WHERE account_id IN (%s);"
         "DELETE FROM staff_sites WHERE account_id IN (%s);"
         "DELETE FROM staff_accounts WHERE id IN (%s);"
         "DELETE FROM organisations WHERE name = %s;"
         "COMMIT" % (s, sid, draws, draws, sid, sid, acc, acc, sid, acc, acc, acc, acc,
                     sql_literal("Association a11y %s" % word)))
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
