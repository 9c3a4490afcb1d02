#!/usr/bin/env python3
"""Identity and contact variants, as a reseller tries them (issue 10),
through the real booking and draw forms:

- one person books the same procedure again and again, writing the name
  with trailing punctuation, an invisible character (zero-width space,
  combining grapheme joiner, variation selector) or a Cyrillic look-alike
  letter: at most one active booking (a variant is the same identity, or
  is refused with a clear message at the name);
- the cap per e-mail address dodged by plus-addressing and Gmail dots, the
  cap per phone dodged by writing the number in other forms ("+33 0 6…",
  "0033…"): no more bookings than the cap, and the SMS goes to the E.164
  number;
- the rate-limit counters of the booking form and of the draw
  registration: one key per phone whatever its spelling, and no e-mail
  address or phone number in clear;
- a used form token replayed with someone else's details: a clear
  refusal, no link, nothing of the first person's booking shown; the same
  submission replayed leads to the same booking.

Works on a site of its own, removed at the end."""

import os
import random
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, BOOKING_PATH_RE, TAP, Fixture, birth_values, booking_values,  # noqa: E402
                          confirm, error_summary, field_error, follow, form, get, letters,
                          location_path, new_identity, page_text, psql, skip_all_unless_server,
                          sql_literal, wait_form_min)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()

MAX_PER_EMAIL = 3       # creneau.conf max_per_email (the test configuration's default)
MAX_PER_PHONE = 3


def send(slot, ident):
    """Opens /book/<slot>, fills the form for ident, sends it; returns
    (form, values, answer)."""
    page = get(book_path(slot))
    f = form(page, action=r"^/book/", has="surname")
    if f is None:
        return None, None, page
    vals = booking_values(f, ident)
    wait_form_min()
    return f, vals, f.submit(vals)


def booking_id_of(answer):
    """The id of the booking a 303 to /booking/<token> leads to, or None."""
    loc = location_path(answer) or ""
    m = BOOKING_PATH_RE.match(loc.split("?")[0])
    if answer.status != 303 or m is None:
        return None
    row = psql("SELECT booking_id FROM booking_tokens "
               "WHERE token_hash = sha256(convert_to(%s, 'UTF8'))" % sql_literal(m.group(1)))
    return int(row) if row else None


def active(ids):
    ids = [i for i in ids if i is not None]
    if not ids:
        return 0
    return int(psql("SELECT count(*) FROM bookings WHERE id = ANY ('{%s}'::bigint[]) "
                    "AND status IN ('held', 'confirmed')" % ",".join(str(i) for i in ids)))


def counters(action, scope):
    """{key: hits} of the current rate-limit windows of action and scope."""
    out = {}
    for line in psql("SELECT key, hits FROM rate_limits WHERE action = %s AND key LIKE %s "
                     "AND window_end > now()" % (sql_literal(action), sql_literal(scope + ":%"))).splitlines():
        k, h = line.rsplit("|", 1)
        out[k] = int(h)
    return out


def changed(before, after):
    return {k: after[k] - before.get(k, 0) for k in after if after[k] != before.get(k, 0)}


fx = Fixture("ident")
try:
    code = fx.procedure("open", slots=40, capacity=3, days_ahead=4)
    slots = fx.slots(code)
    next_slot = iter(slots)

    # --- 1. One person, names written differently ---------------------------
    base = new_identity("variant")
    s = base["surname"]                       # "Test" + 9 letters
    variants = [
        ("as typed", s),
        ("trailing full stop", s + "."),
        ("trailing hyphen and apostrophe", s + "-'"),
        ("zero-width space", s[:3] + "\u200b" + s[3:]),
        ("combining grapheme joiner", s[:3] + "\u034f" + s[3:]),
        ("variation selector", s + "\ufe0f"),
        ("Cyrillic e for Latin e", s.replace("e", "\u0435", 1)),
    ]
    made, refused_confusable = [], None
    for what, surname in variants:
        ident = dict(base, surname=surname, email="%s-%s@example.org" % (letters(6), letters(6)))
        f, vals, r = send(next(next_slot), ident)
        bid = booking_id_of(r)
        if bid is not None:
            rr, done = confirm(follow(r), ident["email"])
            made.append(bid)
            t.diag("%s: booked (%s)" % (what, "confirmed" if done is not None else "held"))
        else:
            t.diag("%s: refused: %s" % (what, " | ".join(error_summary(r))))
            if what.startswith("Cyrillic"):
                refused_confusable = r
    n = active(made)
    t.diag("one person, %d spellings of the name: %d active bookings for one procedure" % (len(variants), n))
    t.ok(n <= 1, "one person gets at most one active booking whatever the spelling of the name (%d)" % n)
    if refused_confusable is not None:
        inv, texts, _ = field_error(refused_confusable, "surname")
        t.ok((inv == "true" and any(re.search(r"alphabet", x, re.I) for x in texts)) or
             any(re.search(r"already have an appointment|déjà un rendez-vous", m, re.I)
                 for m in error_summary(refused_confusable)),
             "a name mixing look-alike letters of two alphabets is refused at the surname, "
             "saying to use one alphabet, or is the same person (%s)" % " | ".join(texts))
    else:
        t.ok(False, "the name with a Cyrillic look-alike letter was booked as another person")

    # --- 2. The cap per e-mail address ---------------------------------------
    local = "cap" + letters(7)
    emails = ["%s@gmail.com" % local, "%s+1@gmail.com" % local, "%s+two@gmail.com" % local,
              "%s.%s@gmail.com" % (local[:3], local[3:]), "%s.%s+x@googlemail.com" % (local[:4], local[4:]),
              "%s@GMAIL.com" % local.upper()]
    made = []
    for e in emails:
        ident = new_identity("cap", email=e)
        _f, _v, r = send(next(next_slot), ident)
        made.append(booking_id_of(r))
        if made[-1] is None:
            t.diag("%s: refused: %s" % (e, " | ".join(error_summary(r))))
    n = active(made)
    t.diag("%d spellings of one Gmail address: %d active bookings (cap %d)" % (len(emails), n, MAX_PER_EMAIL))
    t.ok(n <= MAX_PER_EMAIL, "plus-addressing and Gmail dots do not get past the cap per e-mail (%d)" % n)

    # --- 3. The cap per phone, and its rate-limit key ------------------------
    # A metropolitan mobile: 06 1x, 06 2x, 06 4x or 06 5x (0639 and most of
    # 069x are overseas ranges, which libphonenumber refuses with +33).
    rnd = random.SystemRandom()
    digits = "6" + rnd.choice("1245") + "".join(rnd.choice("0123456789") for _ in range(7))
    d = digits
    phones = ["0" + d, "0%s %s %s %s %s" % (d[0], d[1:3], d[3:5], d[5:7], d[7:9]), "+33" + d,
              "+330" + d, "0033" + d, "+33 0 %s %s %s %s %s" % (d[0], d[1:3], d[3:5], d[5:7], d[7:9])]
    before = counters("booking_hold", "phone")
    made, accepted = [], []
    for p in phones:
        ident = new_identity("phone", phone=p)
        _f, _v, r = send(next(next_slot), ident)
        made.append(booking_id_of(r))
        if made[-1] is None:
            t.diag("%s: refused: %s" % (p, " | ".join(error_summary(r))))
        else:
            accepted.append(p)
    n = active(made)
    t.diag("%d spellings of one phone number: %d active bookings (cap %d)" % (len(phones), n, MAX_PER_PHONE))
    t.ok(n <= MAX_PER_PHONE, "other spellings of a French number do not get past the cap per phone (%d)" % n)
    ch = changed(before, counters("booking_hold", "phone"))
    t.diag("booking form: phone rate-limit keys counted: %r" % sorted(ch.values()))
    t.is_(len(ch), 1, "every spelling of the number counts against one rate-limit key")
    t.ok(not any(d in k for k in counters("booking_hold", "phone")),
         "no booking rate-limit key holds the phone number in clear")
    sms = psql("SELECT DISTINCT recipient FROM outbox WHERE channel = 'sms' AND booking_id = ANY ('{%s}'::bigint[])"
               % ",".join(str(i) for i in made if i is not None)).split()
    t.is_(sms, ["+33" + d], "the codes go by SMS to the number in E.164 form (%s)" % sms)
    bad = new_identity("badphone", phone="+33 1")
    _f, _v, r = send(next(next_slot), bad)
    inv, texts, _ = field_error(r, "phone")
    t.ok(r.status == 200 and inv == "true" and any(re.search(r"\d\d \d\d \d\d|\+\d{6}", x) for x in texts),
         "an impossible phone number is refused with an example of a right one (%s)" % " | ".join(texts))
    t.ok(r.status == 200 and "+33 1" in (form(r, has="phone").field("phone").value or "")
         if form(r, has="phone") else False, "the number typed is kept in the form")

    # --- 4. A used form token replayed with someone else's details ---------
    first = new_identity("first", phone="075" + d[2:])
    slot = next(next_slot)
    f, vals, r = send(slot, first)
    first_id = booking_id_of(r)
    t.ok(first_id is not None, "the first person holds a place")
    first_ref = psql("SELECT reference FROM bookings WHERE id = %d" % first_id) if first_id else "?"
    other = new_identity("second")
    other_vals = booking_values(f, other)
    r2 = f.submit(other_vals)
    loc = location_path(r2) or ""
    page = follow(r2) if r2.status == 303 else r2
    text = page_text(page)
    leak = (first["email"] in text or first_ref in text or first_ref[:4] + "-" + first_ref[4:] in text
            or booking_id_of(r2) == first_id)
    t.diag("replay with another person's details: %d %s" % (r2.status, loc[:18]))
    t.ok(not leak, "a replayed token with someone else's details shows nothing of the first booking")
    t.ok(r2.status == 200 and "/booking/" not in r2.text and
         any(re.search(r"already been used|déjà été utilisé", m, re.I) for m in error_summary(r2)),
         "it is refused with a clear message and no link (%s)" % " | ".join(error_summary(r2)))
    r3 = f.submit(vals)
    t.ok(r3.status == 303 and booking_id_of(r3) == first_id,
         "the same submission sent again leads to the same booking")

    # --- 5. The draw registration's rate-limit keys --------------------------
    dcode = fx.procedure("tirage", slots=3, capacity=1, days_ahead=6)
    psql("UPDATE site_procedures SET allocation_mode = 'draw' WHERE procedure_id = "
         "(SELECT id FROM procedures WHERE code = %s)" % sql_literal(dcode))
    draw_id = psql("SELECT draw_id FROM draw_schedule(NULL, (SELECT id FROM sites WHERE slug = %s), "
                   "(SELECT id FROM procedures WHERE code = %s), now() - interval '1 minute', "
                   "now() + interval '1 hour', now() + interval '2 hours', 48, current_date, current_date + 14)"
                   % (sql_literal(fx.slug), sql_literal(dcode)))
    path = "/site/%s/%s/draw" % (fx.slug, dcode)
    dd = "75" + d[2:]
    before_p, before_e = counters("draw_register", "phone"), counters("draw_register", "email")
    mail = "draw%s@example.org" % letters(6)
    registered = 0
    for p in ("0" + dd, "+33" + dd):
        ident = new_identity("draw", phone=p, email=mail)
        page = get(path)
        df = form(page, action=r"/draw$", has="surname")
        if df is None:
            break
        v = {"surname": ident["surname"], "given_names": ident["given_names"], "email": mail,
             "phone": p, "lang": "fr"}
        v.update(birth_values(df, ident["birth"]))
        wait_form_min()
        r = df.submit(v)
        registered += r.status == 303
        last = v
    t.is_(registered, 2, "two people register for the draw with one phone written two ways")
    df = form(get(path), action=r"/draw$", has="surname")
    again = dict(last, surname=last["surname"] + ".", email="other%s@example.org" % letters(6), phone="")
    wait_form_min()
    r = df.submit(again)
    t.ok(r.status == 200 and any(re.search(r"déjà inscrite?|already registered", m, re.I) for m in error_summary(r)),
         "the same person registering again with a trailing full stop is refused (%s)"
         % " | ".join(error_summary(r)))
    after_p, after_e = counters("draw_register", "phone"), counters("draw_register", "email")
    t.is_(len(changed(before_p, after_p)), 1, "the draw's phone limit counts both spellings under one key")
    t.ok(not any(dd in k for k in after_p) and not any(mail.lower() in k.lower() for k in after_e),
         "the draw's rate-limit keys hold no e-mail address or phone number in clear")
    for tbl in ("bookings", "draw_entries"):
        cols = psql("SELECT string_agg(column_name, ',') FROM information_schema.columns "
                    "WHERE table_name = %s AND column_name IN ('email_key', 'phone_key')" % sql_literal(tbl))
        t.is_(sorted(cols.split(",")) if cols else [], ["email_key", "phone_key"],
              "%s keep keyed digests of the contacts for the caps" % tbl)
finally:
    psql("DELETE FROM outbox WHERE kind IN ('draw_code', 'draw_offer') AND payload->>'site_slug' = %s"
         % sql_literal(fx.slug))
    psql("DELETE FROM draw_entries WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
         "DELETE FROM draw_slots WHERE draw_id IN (SELECT id FROM draws WHERE site_id = "
         "(SELECT id FROM sites WHERE slug = %s));"
         "DELETE FROM draw_seeds WHERE draw_id IN (SELECT id FROM draws WHERE site_id = "
         "(SELECT id FROM sites WHERE slug = %s));"
         "DELETE FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s)"
         % ((sql_literal(fx.slug),) * 4))
    try:
        fx.drop()
    except Exception:  # noqa: BLE001 - the append-only audit log keeps the site
        t.diag("site %s kept: the audit log refers to it" % fx.slug)
t.done()
