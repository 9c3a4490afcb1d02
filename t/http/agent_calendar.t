#!/usr/bin/env python3
"""Calendars of a site, through the real forms: an agent adds a counter
and an opening rule (overlaps refused with a message), sets the places
reserved for mediators, generates slots to be published later, publishes
the batch now, and the public procedure page lists the new times. An
online booking cannot take a place reserved for mediators (until 48 hours
before the slot). Closing a day with bookings cancels every one of them
with a day_closed message in the applicant's language and an audit
entry, all in one transaction (a failure midway leaves nothing done).
Scope: an agent of another site and a mediator get nothing, whatever URL
or form they forge."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, TAP, Fixture, book, confirm, error_summary, field_error, follow, form,  # noqa: E402
                          forms, get, letters, new_identity, nu_errors, page_text, post_form,
                          psql, skip_all_unless_server, sql_literal, staff_add, staff_login,
                          wellformed)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
word = letters(8)
password = "calendar pass %s" % word
TZ = "Europe/Paris"


def q(sql):
    return psql(sql)


def sget(path, who):
    return get(path, headers={"Cookie": who})


def submit(page, action_value, values, who, button=None):
    """Sends the form of page whose hidden action is action_value."""
    for f in forms(page):
        if f.get("action") == action_value:
            return f.submit(values, button=button, headers={"Cookie": who})
    raise KeyError("no form %s on %s" % (action_value, page.url))


def csrf_of(page):
    for f in forms(page):
        if f.get("csrf"):
            return f.get("csrf")
    return None


fx = Fixture("cal")
fx2 = Fixture("calb")
agent = "agent-%s@test.example" % word
agent2 = "agent2-%s@test.example" % word
mediator = "mediator-%s@test.example" % word
pages = {}
try:
    proc = fx.procedure("titre", slots=0)
    proc2 = fx2.procedure("titre", slots=0)
    site, site2 = fx.slug, fx2.slug
    base, base2 = "/agent/site/%s" % site, "/agent/site/%s" % site2
    site_id = q("SELECT id FROM sites WHERE slug = %s" % sql_literal(site))
    proc_id = q("SELECT id FROM procedures WHERE code = %s" % sql_literal(proc))

    for mail, role, scope in ((agent, "agent", site), (agent2, "agent", site2),
                              (mediator, "mediator", "Association %s" % word)):
        r = staff_add(mail, role, "Staff " + role, scope, password=password)
        t.is_(r.returncode, 0, "staff-add %s (%s)" % (role, r.stderr.strip()))
    ck, ck2, ckm = staff_login(agent, password), staff_login(agent2, password), staff_login(mediator, password)
    t.ok(ck and ck2 and ckm, "the three accounts log in through the login form")

    # A day at least 4 days ahead (reservations hold until 48 h before),
    # no public holiday, local to the site.
    day = q("SELECT d::date FROM generate_series((now() AT TIME ZONE '%s')::date + 4,"
            " (now() AT TIME ZONE '%s')::date + 30, interval '1 day') d"
            " WHERE NOT EXISTS (SELECT 1 FROM public_holidays h WHERE h.day = d::date"
            " AND h.zone IN ('national', '75')) ORDER BY 1 LIMIT 1" % (TZ, TZ))
    weekday = q("SELECT extract(isodow FROM DATE '%s')::int" % day)

    # --- Opening rules -----------------------------------------------------
    page = sget(base + "/rules", ck)
    t.is_(page.status, 200, "the rules page answers the site's agent")
    t.is_(page.header("cache-control"), "no-store", "and is not cached")
    t.is_(wellformed(page.body), None, "and is well-formed")
    r = submit(page, "add-counter", {"counter_name": "Guichet calendrier"}, ck)
    t.is_(r.status, 303, "adding a counter answers 303")
    page = sget(r.header("location"), ck)
    t.ok("Guichet calendrier" in page.text, "the new counter is offered in the forms")
    counter_id = q("SELECT id FROM counters WHERE site_id = %s AND name = 'Guichet calendrier'" % site_id)
    t.ok(counter_id != "", "the counter is in the database")

    rule = {"counter": counter_id, "procedure": proc_id, "weekday": weekday, "opens": "11:00",
            "closes": "09:00", "slot_minutes": "30", "capacity": "2", "valid_from": day,
            "valid_until": ""}
    r = submit(page, "add-rule", rule, ck)
    t.is_(r.status, 200, "closing before opening re-renders the form")
    t.ok(any("fermeture" in m or "closing" in m for m in error_summary(r)),
         "with the error in the summary (%s)" % error_summary(r))
    inv, texts, missing = field_error(r, "closes")
    t.ok(inv == "true" and texts and not missing, "and at the field (%s)" % texts)
    kept = form(r, has="opens")
    t.is_((kept.get("capacity"), kept.get("valid_from"), kept.get("opens")), ("2", day, "11:00"),
          "the values typed are kept")
    t.is_(q("SELECT count(*) FROM opening_rules WHERE site_id = %s" % site_id), "0", "no rule was made")
    rule.update(opens="09:00", closes="11:00")
    r = submit(r, "add-rule", rule, ck)
    t.is_(r.status, 303, "a valid rule answers 303")
    page = sget(r.header("location"), ck)
    t.ok("09:00" in page_text(page) and "11:00" in page_text(page), "the rule is listed with its hours")
    rule_id = q("SELECT id FROM opening_rules WHERE site_id = %s" % site_id)
    t.ok(rule_id != "", "the rule is in the database")
    t.is_(q("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id"
            " WHERE s.email = %s AND a.action IN ('rule.add', 'counter.add')" % sql_literal(agent)), "2",
          "the counter and the rule are in the audit log")
    r = submit(page, "add-rule", dict(rule, opens="10:30", closes="12:00"), ck)
    t.is_(r.status, 200, "an overlapping rule is refused")
    t.ok(any("chevauch" in m or "overlapping" in m for m in error_summary(r)),
         "with a message saying why (%s)" % error_summary(r))
    t.is_(q("SELECT count(*) FROM opening_rules WHERE site_id = %s" % site_id), "1", "and not stored")
    pages["agent_rules"] = r

    # --- Shares, generation, batch, publication ------------------------------
    page = sget(base + "/publish", ck)
    t.is_(page.status, 200, "the publication page answers")
    t.ok("open" in page.text or "premier arrivé" in page_text(page).lower() or "First come" in page.text,
         "it shows the allocation mode of the procedure")
    r = submit(page, "shares", {"procedure": proc_id, "share_mediator": "60", "share_counter": "30",
                                "share_court": "20"}, ck)
    t.is_(r.status, 200, "shares over 100% are refused")
    r = submit(r, "shares", {"procedure": proc_id, "share_mediator": "50", "share_counter": "0",
                             "share_court": "0"}, ck)
    t.is_(r.status, 303, "half the places reserved for mediators: 303")
    later = q("SELECT to_char((now() AT TIME ZONE '%s') + interval '1 day', 'YYYY-MM-DD HH24:MI')" % TZ)
    page = sget(r.header("location"), ck)
    r = submit(page, "generate", {"from": day, "to": day, "publish_at": later}, ck)
    t.is_(r.status, 303, "generating the day's slots answers 303")
    t.ok("slots=4&places=8" in (r.header("location") or ""),
         "and carries how many slots and places it made (%s)" % r.header("location"))
    page = sget(r.header("location"), ck)
    t.ok(re.search(r"\b4\b[^.]*\b8\b", page_text(page)) is not None,
         "the page says 4 slots and 8 places were created (issue 12)")
    slots = q("SELECT id FROM slots WHERE site_id = %s ORDER BY starts_at" % site_id).split()
    t.is_(len(slots), 4, "four slots of 30 minutes from 09:00 to 11:00")
    t.is_(q("SELECT string_agg(places::text || channel, ',' ORDER BY slot_id) FROM slot_reservations"
            " WHERE slot_id IN (%s)" % ",".join(slots)), ",".join(["1mediator"] * 4),
          "each slot of 2 places keeps 1 for mediators")
    pub = "/site/%s/%s?day=%s" % (site, proc, day)
    t.ok(not any(book_path(s) in get(pub).text for s in slots),
         "before publication the public does not see the times")
    batch = [f for f in forms(page) if f.get("action") == "publish"]
    t.is_(len(batch), 1, "the batch to come is listed with a publish-now form")
    t.ok(later in page_text(page), "with its publication time")
    r = batch[0].submit(headers={"Cookie": ck})
    t.is_(r.status, 303, "publish now answers 303")
    t.is_(q("SELECT count(*) FROM slots WHERE site_id = %s AND published_at <= now()" % site_id), "4",
          "the slots are published")
    pubpage = get(pub)
    t.ok(all(h in page_text(pubpage) for h in ("09:00", "09:30", "10:00", "10:30")) and
         all(book_path(s) in pubpage.text for s in slots),
         "the public procedure page lists the new times, each a link to book it")
    pages["agent_publish"] = sget(base + "/publish", ck)

    # --- Reservations: online cannot take the mediator's place ---------------
    alice = new_identity("alice")
    _, answer = book(slots[0], alice)
    _, done = confirm(follow(answer), alice["email"])
    t.ok(done is not None and q("SELECT status FROM bookings WHERE email = %s" % sql_literal(alice["email"]))
         == "confirmed", "a first online booking of 09:00 is confirmed")
    bruno = new_identity("bruno", lang="en")
    _, answer = book(slots[0], bruno)
    t.is_(q("SELECT count(*) FROM bookings WHERE slot_id = %s" % slots[0]), "1",
          "a second online booking cannot take the place kept for mediators")
    t.ok(book_path(slots[0]) not in get(pub).text, "and the public page no longer offers 09:00")
    t.is_(q("SELECT creneau_slot_channel_free(s, 'mediator') FROM slots s WHERE id = %s" % slots[0]), "1",
          "the mediator channel still has its place")
    q("UPDATE slots SET starts_at = now() + interval '47 hours', ends_at = now() + interval '47 hours 30 minutes'"
      " WHERE id = %s" % slots[0])
    t.is_(q("SELECT creneau_slot_channel_free(s, 'online') FROM slots s WHERE id = %s" % slots[0]), "1",
          "48 hours before the slot the unused reserved place returns to online")
    q("UPDATE slots SET starts_at = (DATE '%s' + time '09:00') AT TIME ZONE '%s',"
      " ends_at = (DATE '%s' + time '09:30') AT TIME ZONE '%s' WHERE id = %s" % (day, TZ, day, TZ, slots[0]))
    # Bruno books another time online (in English); a mediator's booking
    # (Arabic) takes the reserved place of 09:00.
    _, answer = book(slots[1], bruno)
    confirm(follow(answer), bruno["email"])
    secret = "x" * 32
    q("SELECT booking_hold(%s, creneau_person_sql(convert_to('%s', 'UTF8'), 'Haddad', 'Samira',"
      " DATE '1980-05-04', NULL, 'samira-%s@example.org', NULL, 'ar'), NULL, '%s', '123456',"
      " interval '10 minutes', NULL, NULL, 'mediator')" % (slots[0], secret, word, "m" * 43))
    q("SELECT booking_confirm('%s', '123456')" % ("m" * 43))
    booked = q("SELECT string_agg(lang || ':' || status, ',' ORDER BY lang) FROM bookings WHERE site_id = %s"
               % site_id)
    t.is_(booked, "ar:confirmed,en:confirmed,fr:confirmed", "three confirmed bookings on the day (fr, en, ar)")

    # --- Closing the day: all or nothing --------------------------------------
    q("CREATE FUNCTION pg_temp_fail() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN"
      " IF NEW.kind = 'day_closed' AND NEW.payload->>'reason' = 'panne test' THEN"
      " RAISE EXCEPTION 'test: failure midway'; END IF; RETURN NEW; END $$;"
      "CREATE TRIGGER test_fail_midway BEFORE INSERT ON outbox FOR EACH ROW EXECUTE FUNCTION pg_temp_fail()")
    try:
        page = sget(base + "/closures", ck)
        r = submit(page, "close", {"day": day, "reason": "panne test", "confirm": True}, ck)
        t.is_(r.status, 500, "a failure midway (the second message) fails the request")
    finally:
        q("DROP TRIGGER test_fail_midway ON outbox; DROP FUNCTION pg_temp_fail()")
    t.is_((q("SELECT count(*) FROM closures WHERE site_id = %s" % site_id),
           q("SELECT string_agg(DISTINCT status, ',') FROM bookings WHERE site_id = %s" % site_id),
           q("SELECT count(*) FROM outbox WHERE kind = 'day_closed' AND booking_id IN"
             " (SELECT id FROM bookings WHERE site_id = %s)" % site_id),
           q("SELECT count(*) FROM audit_log WHERE site_id = %s AND action = 'closure.add'" % site_id),
           q("SELECT count(*) FROM slots WHERE site_id = %s AND published_at IS NOT NULL" % site_id)),
          ("0", "confirmed", "0", "0", "4"),
          "and nothing is half done: no closure, bookings, messages, audit or slots changed")

    page = sget(base + "/closures", ck)
    t.is_(page.status, 200, "the closures page answers")
    t.ok(re.search(r"\b20\d\d-\d\d-\d\d\b", page_text(page)) is not None or "Aucun jour férié" in page.text,
         "it lists the public holidays to come")
    r = submit(page, "close", {"day": day, "reason": "Grève des transports"}, ck)
    t.is_(r.status, 200, "closing a day with bookings first asks to confirm")
    t.ok(any("3" in m for m in error_summary(r)), "saying how many (%s)" % error_summary(r))
    t.is_(q("SELECT count(*) FROM closures WHERE site_id = %s" % site_id), "0", "nothing is closed yet")
    pages["agent_closures"] = r
    r = submit(r, "close", {"day": day, "reason": "Grève des transports", "confirm": True}, ck)
    t.is_(r.status, 303, "confirmed, the closure answers 303")
    page = sget(r.header("location"), ck)
    t.ok("Grève des transports" in page_text(page), "the closure is listed with its reason")
    rows = q("SELECT b.lang, b.status, b.release_at = 'infinity', NOT b.released,"
             " (SELECT count(*) FROM outbox o WHERE o.booking_id = b.id AND o.kind = 'day_closed'"
             "   AND o.lang = b.lang AND o.channel = 'email' AND o.status = 'pending'"
             "   AND o.payload->>'reason' = 'Grève des transports'),"
             " b.cancelled_at = (SELECT a.at FROM audit_log a WHERE a.site_id = b.site_id"
             "   AND a.action = 'closure.add'),"
             " (SELECT bool_and(o.created_at = b.cancelled_at) FROM outbox o WHERE o.booking_id = b.id"
             "   AND o.kind = 'day_closed')"
             " FROM bookings b WHERE b.site_id = %s ORDER BY b.lang" % site_id).splitlines()
    t.is_(rows, ["%s|cancelled|t|t|1|t|t" % l for l in ("ar", "en", "fr")],
          "every booking is cancelled (its place not returned) with one day_closed message in its"
          " language, at the same instant as the audit entry: one transaction")
    audit = q("SELECT details->>'bookings_cancelled' || '/' || (details->>'day')"
              " FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id"
              " WHERE s.email = %s AND a.action = 'closure.add'" % sql_literal(agent))
    t.is_(audit, "3/%s" % day, "the audit entry names the day and the bookings cancelled")
    t.is_(q("SELECT count(*) FROM slots WHERE site_id = %s AND published_at IS NOT NULL" % site_id), "0",
          "no slot of that day is offered any more")
    t.ok(not any(book_path(s) in get(pub).text for s in slots),
         "the public page no longer lists the day's times")
    t.ok(q("SELECT count(*) FROM outbox_kinds WHERE kind = 'day_closed'") == "1" and
         os.path.exists(os.path.join(os.environ.get("top_srcdir", "."), "templates", "mail", "day_closed.xhtml")),
         "day_closed is a message kind with its template")
    r = submit(page, "close", {"day": day, "reason": "encore", "confirm": True}, ck)
    t.is_(r.status, 200, "closing the same day again is refused with a message")

    # End the rule (never deleted).
    page = sget(base + "/rules", ck)
    r = submit(page, "end-rule", {"rule": rule_id, "end_day": day}, ck)
    t.is_(r.status, 303, "ending a rule answers 303")
    t.is_(q("SELECT valid_until FROM opening_rules WHERE id = %s" % rule_id), day,
          "its last day is set; the rule stays")

    # --- Validity of the pages ------------------------------------------------
    for name, p in pages.items():
        t.is_(wellformed(p.body), None, "%s is well-formed" % name)
    errs = nu_errors(pages)
    if errs is None:
        t.ok(True, "# SKIP the Nu checker is not installed")
    else:
        t.is_(errs, {}, "the calendar pages pass the Nu checker")

    # --- Scope --------------------------------------------------------------
    before = q("SELECT (SELECT count(*) FROM opening_rules WHERE site_id = %s) || '/' ||"
               " (SELECT count(*) FROM closures WHERE site_id = %s) || '/' ||"
               " (SELECT count(*) FROM counters WHERE site_id = %s) || '/' ||"
               " (SELECT string_agg(percent::text, ',' ORDER BY channel) FROM channel_shares WHERE site_id = %s)"
               " || '/' || (SELECT valid_until FROM opening_rules WHERE id = %s)"
               % (site_id, site_id, site_id, site_id, rule_id))
    for p in ("rules", "closures", "publish"):
        t.is_(sget("%s/%s" % (base, p), ck2).status, 403, "an agent of another site gets 403 on %s" % p)
        t.is_(sget("%s/%s" % (base, p), ckm).status, 403, "a mediator gets 403 on %s" % p)
        t.is_(get("%s/%s" % (base, p)).status, 303, "without a session %s leads to the login page" % p)
        t.is_(sget("/agent/site/no-such-site-%s/%s" % (word, p), ck).status, 404, "an unknown site: 404 (%s)" % p)
    own2 = sget(base2 + "/rules", ck2)
    t.is_(own2.status, 200, "the other agent opens their own site's pages")
    csrf2 = csrf_of(own2)
    csrfm = q("SELECT csrf FROM staff_sessions s JOIN staff_accounts a ON a.id = s.account_id"
              " WHERE a.email = %s AND s.ended_at IS NULL ORDER BY s.created_at DESC LIMIT 1" % sql_literal(mediator))
    forged = [
        ("rules", [("action", "add-rule"), ("counter", counter_id), ("procedure", proc_id), ("weekday", weekday),
                   ("opens", "14:00"), ("closes", "15:00"), ("slot_minutes", "30"), ("capacity", "1"),
                   ("valid_from", day), ("valid_until", "")]),
        ("rules", [("action", "end-rule"), ("rule", rule_id), ("end_day", day)]),
        ("rules", [("action", "add-counter"), ("counter_name", "Guichet pirate")]),
        ("closures", [("action", "close"), ("day", day), ("counter", counter_id), ("reason", "x"),
                      ("confirm", "yes")]),
        ("publish", [("action", "shares"), ("procedure", proc_id), ("share_mediator", "0"),
                     ("share_counter", "0"), ("share_court", "0")]),
        ("publish", [("action", "generate"), ("from", day), ("to", day), ("publish_at", "")]),
        ("publish", [("action", "publish"), ("procedure", proc_id), ("batch", "1")]),
    ]
    for p, fields in forged:
        r = post_form("%s/%s" % (base, p), [("csrf", csrf2)] + fields, headers={"Cookie": ck2})
        t.is_(r.status, 403, "a forged %s POST (%s) by another site's agent: 403" % (p, fields[0][1]))
        r = post_form("%s/%s" % (base, p), [("csrf", csrfm)] + fields, headers={"Cookie": ckm})
        t.is_(r.status, 403, "the same by a mediator: 403")
        # Their own site's URL with this site's ids: refused by the SQL.
        r = post_form("%s/%s" % (base2, p), [("csrf", csrf2)] + fields, headers={"Cookie": ck2})
        if fields[0][1] in ("add-counter", "generate"):
            continue    # no id of this site in these forms: they act on their own site
        t.ok(r.status in (200, 400), "this site's ids sent to their own site's %s form are refused (%d)"
             % (fields[0][1], r.status))
    r = post_form(base + "/rules", [("action", "add-counter"), ("counter_name", "Sans jeton")],
                  headers={"Cookie": ck})
    t.is_(r.status, 403, "a POST without the CSRF token is refused")
    after = q("SELECT (SELECT count(*) FROM opening_rules WHERE site_id = %s) || '/' ||"
              " (SELECT count(*) FROM closures WHERE site_id = %s) || '/' ||"
              " (SELECT count(*) FROM counters WHERE site_id = %s) || '/' ||"
              " (SELECT string_agg(percent::text, ',' ORDER BY channel) FROM channel_shares WHERE site_id = %s)"
              " || '/' || (SELECT valid_until FROM opening_rules WHERE id = %s)"
              % (site_id, site_id, site_id, site_id, rule_id))
    t.is_(after, before, "nothing of this site changed")
    t.is_(q("SELECT count(*) FROM opening_rules r JOIN sites s ON s.id = r.site_id WHERE s.slug = %s"
            % sql_literal(site2)), "0", "and no rule was made on the other site with this site's counter")

    # --- Generation for one procedure (issue 12) ------------------------------
    other = fx.procedure("autre", slots=0)
    other_id = q("SELECT id FROM procedures WHERE code = %s" % sql_literal(other))
    q("INSERT INTO opening_rules (site_id, counter_id, procedure_id, weekday, opens, closes, slot_minutes,"
      " capacity, valid_from) SELECT %s, c.id, %s, %s, '14:00', '15:00', 30, 3, DATE '%s'"
      " FROM counters c WHERE c.site_id = %s AND c.name = 'Guichet autre'"
      % (site_id, other_id, weekday, day, site_id))
    other_slots = "SELECT count(*) FROM slots WHERE procedure_id = %s" % other_id
    # The same weekday, later: the day above is closed by now.
    day = q("SELECT d FROM (SELECT DATE '%s' + 7 * k AS d FROM generate_series(1, 8) k) x"
            " WHERE NOT EXISTS (SELECT 1 FROM public_holidays h WHERE h.day = x.d AND h.zone IN ('national', '75'))"
            " AND NOT EXISTS (SELECT 1 FROM closures c WHERE c.site_id = %s AND c.day = x.d) ORDER BY d LIMIT 1"
            % (day, site_id))
    page = sget(base + "/publish", ck)
    t.ok(any(f.field("gen_procedure") is not None for f in forms(page) if f.get("action") == "generate"),
         "the generate form lets the agent choose the procedure")
    r = submit(page, "generate", {"gen_procedure": proc_id, "from": day, "to": day, "publish_at": ""}, ck)
    t.is_(r.status, 303, "generating for one procedure answers 303")
    t.is_(q(other_slots), "0", "and makes no slot of the other procedure")
    t.ok("m=generated&slots=" in (r.header("location") or ""), "and says how many (%s)" % r.header("location"))
    r = submit(page, "generate", {"gen_procedure": other_id, "from": day, "to": day, "publish_at": ""}, ck)
    t.ok(r.status == 303 and "slots=2&places=6" in (r.header("location") or ""),
         "the other procedure alone: 2 slots, 6 places (%s)" % r.header("location"))
    t.is_(q(other_slots), "2", "which are in the database")
    r = submit(page, "generate", {"gen_procedure": q("SELECT id FROM procedures WHERE code = %s"
                                                     % sql_literal(proc2)), "from": day, "to": day,
                                  "publish_at": ""}, ck)
    t.is_(r.status, 200, "a procedure of another site is refused (the form again)")
finally:
    emails = "ARRAY[%s]" % ", ".join(sql_literal(e) for e in (agent, agent2, mediator))
    q("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = ANY (%s));"
      "DELETE FROM staff_sites WHERE account_id IN (SELECT id FROM staff_accounts WHERE email = ANY (%s));"
      "UPDATE staff_accounts SET active = false WHERE email = ANY (%s)" % (emails, emails, emails))
    for f in (fx, fx2):
        # The audit log (append-only) keeps naming the site: everything
        # else made on it goes, the site row stays.
        s = sql_literal(f.slug)
        sid = "(SELECT id FROM sites WHERE slug = %s)" % s
        bk = "SELECT b.id FROM bookings b WHERE b.site_id = %s" % sid
        q("DELETE FROM outbox WHERE booking_id IN (%s);"
          "DELETE FROM booking_tokens WHERE booking_id IN (%s);"
          "DELETE FROM bookings WHERE id IN (%s);"
          "DELETE FROM slots WHERE site_id = %s;"
          "DELETE FROM opening_rules WHERE site_id = %s;"
          "DELETE FROM closures WHERE site_id = %s;"
          "DELETE FROM channel_shares WHERE site_id = %s;"
          "DELETE FROM counters WHERE site_id = %s;"
          "DELETE FROM site_procedures WHERE site_id = %s;"
          "DELETE FROM procedures WHERE code LIKE %s"
          % (bk, bk, bk, sid, sid, sid, sid, sid, sid, sql_literal(f.slug + "-%")))
t.done()
