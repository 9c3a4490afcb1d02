#!/usr/bin/env python3
"""reminders_due (issue 15): a booking confirmed before the reminder
window reached its slot gets one reminder; one confirmed inside the
window gets none. Each pass reads only the slots of the window whose
confirmed bookings changed since the last pass (slots.confirmed_seq and
reminded_seq, slots_reminders_idx, migrations 028 and 029): a slot seen is
not read again, and a booking confirmed on it afterwards makes it read
again, so a late reminder is not lost, even when another booking of the
slot is cancelled before the next pass (the confirmed count back where
the pass saw it)."""

import os
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
import subprocess  # noqa: E402

from creneau_test import TAP, Fixture, psql, skip_all_unless_server  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
fx = Fixture("remind")
try:
    # Tomorrow 08:00 UTC and after: inside the 48 hours.
    code = fx.procedure("r", slots=2, capacity=3, days_ahead=1)
    s0, s1 = fx.slots(code)

    def book(slot, tag, confirmed_ago):
        return psql("INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key, surname,"
                    " given_names, birth_date, email, lang, channel, status, created_at, confirmed_at)"
                    " SELECT creneau_new_reference(), s.id, s.site_id, s.procedure_id,"
                    "        sha256(convert_to('remind %s ' || s.id || ' %s', 'UTF8')), 'Rappel', 'Test',"
                    "        DATE '1980-01-01', '%s' || s.id || '@example.test', 'fr', 'online', 'confirmed',"
                    "        now() - %s, now() - %s"
                    "   FROM slots s WHERE s.id = %d RETURNING id"
                    % (fx.slug, tag, tag, confirmed_ago, confirmed_ago, slot)).split()[0]

    def reminders(booking):
        return psql("SELECT count(DISTINCT booking_id) FROM outbox WHERE booking_id = %s AND kind = 'reminder'"
                    % booking)

    def psql_error(sql):
        r = subprocess.run(["psql", "-X", "-q", "-c", sql], capture_output=True, text=True)
        return r.stderr if r.returncode != 0 else ""

    def pending(slot):
        return psql("SELECT confirmed_seq <> reminded_seq FROM slots WHERE id = %d" % slot)

    a = book(s0, "a", "interval '5 days'")
    t.is_(pending(s0), "t", "a slot with a new confirmed booking waits for the reminders' pass")
    psql("SELECT reminders_due(48)")
    t.is_(reminders(a), "1", "a booking confirmed before the window: reminded")
    t.is_(pending(s0), "f", "the pass records the slot as seen (reminded_seq = confirmed_seq)")
    t.is_(psql("SELECT count(*) FROM slots WHERE id = %d AND confirmed_count > 0"
               " AND confirmed_seq <> reminded_seq" % s0), "0",
          "so the slot is out of slots_reminders_idx: the next pass does not read it")
    psql("SELECT reminders_due(48)")
    t.is_(reminders(a), "1", "a second pass: still one reminder")

    # Confirmed before the window but seen only now (its transaction
    # began before the slot entered the window): the slot is read again.
    b = book(s0, "b", "interval '4 days'")
    t.is_(pending(s0), "t", "a booking confirmed on a slot already seen: the slot is read again")
    c = book(s1, "c", "interval '1 hour'")
    psql("SELECT reminders_due(48)")
    t.is_(reminders(b), "1", "the booking confirmed after the slot was seen is reminded")
    t.is_(reminders(a), "1", "the first booking is not reminded twice")
    t.is_(reminders(c), "0", "a booking confirmed inside the window is not reminded")
    t.is_(pending(s1), "f", "its slot is seen all the same")

    # A cancellation changes the count: the slot is read again, nothing
    # new is queued.
    queued = psql("SELECT count(*) FROM outbox WHERE booking_id IN (%s, %s, %s) AND kind = 'reminder'" % (a, b, c))
    psql("UPDATE bookings SET status = 'cancelled', cancelled_at = now(), release_at = now() WHERE id = %s" % b)
    t.is_(pending(s0), "t", "a cancellation makes the slot differ")
    psql("SELECT reminders_due(48)")
    t.is_(pending(s0), "f", "read again, and seen")
    t.is_(psql("SELECT count(*) FROM outbox WHERE booking_id IN (%s, %s, %s) AND kind = 'reminder'" % (a, b, c)),
          queued, "the cancellation's pass queues no reminder")

    # A late confirmation and a cancellation between two passes: the
    # confirmed count comes back to what the last pass saw (029). d's
    # transaction began before the window reached the slot (confirmed_at
    # of days ago) and commits after the pass; then a is cancelled.
    seq = psql("SELECT confirmed_seq FROM slots WHERE id = %d" % s0)
    count = psql("SELECT confirmed_count FROM slots WHERE id = %d" % s0)
    d = book(s0, "d", "interval '3 days'")
    psql("UPDATE bookings SET status = 'cancelled', cancelled_at = now(), release_at = now() WHERE id = %s" % a)
    t.is_(psql("SELECT confirmed_count FROM slots WHERE id = %d" % s0), count,
          "a confirmation and a cancellation: the confirmed count is back where the pass saw it")
    t.ok(int(psql("SELECT confirmed_seq FROM slots WHERE id = %d" % s0)) == int(seq) + 2,
         "confirmed_seq took both steps")
    t.is_(pending(s0), "t", "so the slot is read again")
    psql("SELECT reminders_due(48)")
    t.is_(reminders(d), "1", "and the late confirmation is reminded")
    t.is_(pending(s0), "f", "then the slot is seen")

    # confirmed_seq is the database's, like the counts.
    r = psql_error("UPDATE slots SET confirmed_seq = confirmed_seq + 1 WHERE id = %d" % s0)
    t.ok("kept by the database" in r, "confirmed_seq cannot be written by hand (%s)" % r.strip()[:120])
finally:
    fx.drop()
t.done()
