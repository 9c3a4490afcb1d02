"""A small known history for the reporting tests (t/report/*.t,
t/http/stats.t): one site of its own with one procedure, two past days D1
(today - 10) and D2 (today - 9) of appointments, a future one, a draw,
messages and court orders, loaded straight into the tables; and the
figures it must give over D1 - 1 .. D2 + 1 (EXPECTED), each worked out
by hand in the comments below.

    h = History("figs")      # loads it; h.slug, h.d1, h.d2, h.people
    h.range()                # (first, last) days of the report, ISO
"""

import datetime
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import psql, run_id, sql_literal  # noqa: E402

# Over the range, for the site (its procedure and the site's own rows).
EXPECTED = {
    # Slots: D1 4 x 2 places, D2 2 x 2 published; an unpublished one on D2.
    "places_published": 12,
    # Every slot had two confirmed bookings but F (b11 only; b12 a hold).
    "places_never_booked": 1,
    # b1..b11; b12 was a hold never confirmed.
    "booked": 11,
    "honoured": 5,            # b1 b5 b7 b9 b11
    "no_show": 1,             # b2
    "unmarked": 1,            # b6
    "cancelled_person": 1,    # b3
    "rescheduled": 1,         # b8 (moved to b9)
    "cancelled_staff": 1,     # b10
    "cancelled_closure": 1,   # b4
    "booked_online": 7,       # b1 b2 b3 b4 b8 b9 b10
    "booked_draw": 1,         # b11
    "booked_mediator": 1,     # b5
    "booked_counter": 1,      # b6
    "booked_court": 1,        # b7
    "wait_count": 10,         # all but the moved b8
    "draws_held": 1,
    "draw_entries": 4,        # e1..e4 verified, e5 not
    "draw_identities": 4,
    "draw_winners": 2,        # e1 e2 offered
    "draw_confirmed": 1,      # e1
    "entries_voided": 1,      # e4
    "messages_sent": 1,
    "messages_failed": 1,
    "messages_parked": 1,     # m4 waits: not counted
    "court_due": 2,           # i1 i2 (i3 is due after the range)
    "court_met": 1,
    "court_late": 1,
    "court_open": 0,
}
# Per day, the figures that do not add up.
EXPECTED_DAY = {
    "d1": {"wait_median_days": "4.00", "wait_p90_days": "6.40"},   # waits 1..7
    "d2": {"wait_median_days": "10.00", "wait_p90_days": "10.80"},  # waits 9, 10, 11
    "d1_draw": {"draw_confirmation_rate": "50.00"},
}


class History:
    def __init__(self, tag, days_back=10):
        self.run = run_id()
        self.slug = "test-%s-%s" % (tag, self.run)
        self.today = datetime.date.today()
        # The purge of t/report/figures.t freezes the figures of the days
        # before today - 6: the other tests take days after that.
        self.d1 = self.today - datetime.timedelta(days=days_back)
        self.d2 = self.d1 + datetime.timedelta(days=1)
        # The personal data that must never reach a report, and must be
        # gone after the purge (but Keepme's, whose order is still open).
        self.people = []
        rnd = random.SystemRandom()
        for n in range(1, 14):
            self.people.append({
                "surname": "Zorglubien%s%s" % (self.run, chr(96 + n)),
                "email": "zorg%s%d@example.org" % (self.run, n),
                # Digits of this run's own, so that no other history
                # (of another test of the same run) shares them.
                "phone": "+336%08d" % rnd.randrange(10 ** 8),
                "agdref": "9%09d" % rnd.randrange(10 ** 9),
            })
        self.keep = {"surname": "Keepme" + self.run, "email": "keep%s@example.org" % self.run}
        self.load()

    def range(self):
        return ((self.d1 - datetime.timedelta(days=1)).isoformat(),
                (self.d2 + datetime.timedelta(days=1)).isoformat())

    def load(self):
        p = self.people
        s = sql_literal(self.slug)
        code = sql_literal(self.slug + "-p")

        # Slot starts: local 09:00 + n hours on D1 (A..D), D2 (E..G), and
        # today + 3 (H). Waits: created = start - k days exactly.
        sql = """
BEGIN;
INSERT INTO sites (slug, name, kind, department_code, department_name, address, postal_code, city,
                   phone, time_zone, alternative_route)
VALUES ({s}, 'Préfecture du rapport ' || {s}, 'prefecture', '75', 'Paris', '1 rue du Test', '75001',
        'Paris', '01 23 45 67 89', 'Europe/Paris', 'Appelez le standard.');
INSERT INTO procedures (code, name, description, duration_minutes)
VALUES ({code}, 'Démarche du rapport', 'Pour les tests.', 30);
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p WHERE s.slug = {s} AND p.code = {code};
INSERT INTO draw_switch_settings (site_id, procedure_id, sellout_minutes, registration_minutes, offer_hours)
SELECT s.id, p.id, 0, 60, 24 FROM sites s, procedures p WHERE s.slug = {s} AND p.code = {code};
INSERT INTO counters (site_id, name) SELECT id, 'Guichet' FROM sites WHERE slug = {s};
INSERT INTO staff_accounts (email, name, role, password_hash)
VALUES ('report-{run}@creneau.test', 'Agent rapport', 'agent', '$argon2id$v=19$m=65536,t=2,p=1$x$y');
CREATE TEMP TABLE k AS
SELECT (SELECT id FROM sites WHERE slug = {s}) AS site,
       (SELECT id FROM procedures WHERE code = {code}) AS proc,
       (SELECT c.id FROM counters c JOIN sites st ON st.id = c.site_id WHERE st.slug = {s}) AS counter,
       (SELECT id FROM staff_accounts WHERE email = 'report-{run}@creneau.test') AS staff;
CREATE TEMP TABLE ppl (n integer, surname text, agdref text, email text, phone text);
INSERT INTO ppl VALUES {ppl};
CREATE TEMP TABLE sl (name text, id bigint);
WITH v (name, day, hour, cap, pub) AS (VALUES
    ('A', DATE '{d1}', 9, 2, true), ('B', DATE '{d1}', 10, 2, true),
    ('C', DATE '{d1}', 11, 2, true), ('D', DATE '{d1}', 12, 2, true),
    ('E', DATE '{d2}', 9, 2, true), ('F', DATE '{d2}', 10, 2, true),
    ('G', DATE '{d2}', 11, 2, false), ('H', DATE '{d3}', 9, 2, true)),
ins AS (
    INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
    SELECT k.site, k.counter, k.proc, (v.day + make_interval(hours => v.hour)) AT TIME ZONE 'Europe/Paris',
           (v.day + make_interval(hours => v.hour, mins => 30)) AT TIME ZONE 'Europe/Paris', v.cap,
           CASE WHEN v.pub THEN (v.day - 30)::timestamptz END
      FROM v, k ORDER BY v.name
    RETURNING id, starts_at)
INSERT INTO sl SELECT v.name, ins.id FROM ins JOIN v ON ins.starts_at =
    (v.day + make_interval(hours => v.hour)) AT TIME ZONE 'Europe/Paris';
CREATE FUNCTION pg_temp.slot(n text) RETURNS bigint LANGUAGE sql AS $$ SELECT id FROM sl WHERE name = n $$;
CREATE FUNCTION pg_temp.start(n text) RETURNS timestamptz LANGUAGE sql AS
    $$ SELECT starts_at FROM slots WHERE id = pg_temp.slot(n) $$;
CREATE TEMP TABLE bk (n integer, id bigint);
CREATE FUNCTION pg_temp.b(n integer, slot text, channel text, status text, wait integer,
                          attendance text, release timestamptz) RETURNS void LANGUAGE sql AS $$
    WITH ins AS (
    INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key, surname, given_names,
                          birth_date, agdref, email, phone, lang, channel, status, hold_expires_at,
                          created_at, confirmed_at, cancelled_at, release_at, released, attendance, attendance_at)
    SELECT creneau_new_reference(), pg_temp.slot(slot), k.site, k.proc,
           sha256(convert_to('report person {run} ' || n, 'UTF8')),
           x.surname, 'Arsène', DATE '1971-02-03', x.agdref, x.email, x.phone, 'fr', channel, status,
           CASE WHEN status IN ('held', 'expired') THEN pg_temp.start(slot) - make_interval(days => wait) + interval '10 minutes' END,
           pg_temp.start(slot) - make_interval(days => wait),
           CASE WHEN status <> 'expired' THEN pg_temp.start(slot) - make_interval(days => wait) + interval '1 minute' END,
           CASE WHEN status = 'cancelled' THEN pg_temp.start(slot) - interval '1 day' END,
           release, status IN ('expired', 'cancelled') AND release < now(),
           attendance, CASE WHEN attendance IS NOT NULL THEN pg_temp.start(slot) END
      FROM k, ppl x WHERE x.n = b.n
    RETURNING id)
    INSERT INTO bk SELECT n, id FROM ins
$$;
SELECT pg_temp.b(1, 'A', 'online', 'completed', 1, 'honoured', NULL);
SELECT pg_temp.b(2, 'A', 'online', 'confirmed', 2, 'no_show', NULL);
SELECT pg_temp.b(3, 'B', 'online', 'cancelled', 3, NULL, pg_temp.start('B') - interval '20 hours');
SELECT pg_temp.b(4, 'B', 'online', 'cancelled', 4, NULL, 'infinity');
SELECT pg_temp.b(5, 'C', 'mediator', 'completed', 5, 'honoured', NULL);
SELECT pg_temp.b(6, 'C', 'counter', 'confirmed', 6, NULL, NULL);
SELECT pg_temp.b(7, 'D', 'court', 'completed', 7, 'honoured', NULL);
SELECT pg_temp.b(8, 'D', 'online', 'cancelled', 8, NULL, pg_temp.start('D') - interval '20 hours');
SELECT pg_temp.b(9, 'E', 'online', 'completed', 9, 'honoured', NULL);
UPDATE bookings SET rescheduled_from = (SELECT id FROM bk WHERE n = 8) WHERE id = (SELECT id FROM bk WHERE n = 9);
SELECT pg_temp.b(10, 'E', 'online', 'confirmed', 10, NULL, NULL);
SET LOCAL creneau.cancelled_by = 'staff';
UPDATE bookings SET status = 'cancelled', cancelled_at = pg_temp.start('E') - interval '1 day',
                    release_at = pg_temp.start('E') - interval '20 hours', released = true
 WHERE id = (SELECT id FROM bk WHERE n = 10);
SET LOCAL creneau.cancelled_by = '';
-- b11: a draw's place; its wait counts from the registration (11 days).
SELECT pg_temp.b(11, 'F', 'online', 'completed', 1, 'honoured', NULL);
SELECT pg_temp.b(12, 'F', 'online', 'expired', 2, NULL, pg_temp.start('F') - interval '47 hours');
SELECT pg_temp.b(13, 'H', 'online', 'confirmed', 3, NULL, NULL);

-- The counter invariant: slots.booked = the bookings not released.
UPDATE slots s SET booked = (SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released)
 WHERE s.id IN (SELECT id FROM sl);

INSERT INTO draws (site_id, procedure_id, registration_opens_at, registration_closes_at, draw_at,
                   offer_hours, commitment, status, seed_revealed, drawn_at, places)
SELECT k.site, k.proc, pg_temp.start('A') - interval '20 days', pg_temp.start('A') - interval '12 days',
       pg_temp.start('A') + interval '1 hour', 24, repeat('ab', 32), 'drawn',
       sha256('seed'::bytea), pg_temp.start('A') + interval '1 hour', 2 FROM k;
CREATE FUNCTION pg_temp.e(n integer, status text, verified boolean, offered boolean, booking integer)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO draw_entries (draw_id, site_id, procedure_id, public_id, token_hash, identity_key,
                              surname, given_names, birth_date, agdref, email, phone, lang, status,
                              code_hash, registered_at, verified_at, booking_id, offered_at, ended_at)
    SELECT (SELECT max(id) FROM draws WHERE site_id = k.site), k.site, k.proc,
           substr(md5('{run}' || n), 1, 16), sha256(convert_to('tok {run} ' || n, 'UTF8')),
           sha256(convert_to('report entry {run} ' || n, 'UTF8')),
           x.surname, 'Arsène', DATE '1971-02-03', x.agdref, x.email, x.phone, 'fr', status, sha256('code'::bytea),
           pg_temp.start('F') - interval '11 days', CASE WHEN verified THEN pg_temp.start('F') - interval '11 days' END,
           (SELECT id FROM bk WHERE bk.n = booking),
           CASE WHEN offered THEN pg_temp.start('A') + interval '1 hour' END,
           CASE WHEN status IN ('lapsed', 'voided') THEN pg_temp.start('A') + interval '2 hours' END
      FROM k, ppl x WHERE x.n = e.n
$$;
SELECT pg_temp.e(1, 'won', true, true, 11);
SELECT pg_temp.e(2, 'lapsed', true, true, NULL);
SELECT pg_temp.e(3, 'waiting', true, false, NULL);
SELECT pg_temp.e(4, 'voided', true, false, NULL);
SELECT pg_temp.e(5, 'unverified', false, false, NULL);

INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key, booking_id, created_at,
                    due_at, status, attempts, sent_at, park_reason, last_error)
SELECT 'booking_confirmed', 'email', {mail1}, 'fr', jsonb_build_object('surname', {sur1}),
       'report-{run}-' || v.n, (SELECT id FROM bk WHERE bk.n = v.b), pg_temp.start('A') - interval '1 day',
       -- Pending ones wait a year, out of creneau-notify's way.
       CASE WHEN v.status = 'pending' THEN now() + interval '1 year' ELSE pg_temp.start('A') - interval '1 day' END,
       v.status, v.attempts, CASE WHEN v.status = 'sent' THEN pg_temp.start('A') END,
       CASE WHEN v.status = 'parked' THEN 'too many attempts' END,
       CASE WHEN v.attempts > 0 THEN 'refused' END
  FROM (VALUES (1, 1, 'sent', 1), (2, 2, 'parked', 8), (3, 3, 'pending', 1), (4, 5, 'pending', 0)) v (n, b, status, attempts);

INSERT INTO injunctions (site_id, procedure_id, tribunal, case_number, decision_date, deadline,
                         surname, given_names, birth_date, agdref, email, phone, lang, created_by,
                         booking_id, fulfilled_at, fulfilled_by)
SELECT k.site, k.proc, 'TA de Paris', v.case_number, DATE '{d1}' - 30, v.deadline,
       v.surname, 'Arsène', DATE '1971-02-03', NULL, v.email, NULL, 'fr', k.staff,
       (SELECT id FROM bk WHERE bk.n = v.b), CASE WHEN v.b IS NOT NULL THEN pg_temp.start('A') - interval '2 days' END,
       CASE WHEN v.b IS NOT NULL THEN k.staff END
  FROM k, (VALUES ('2601-1', DATE '{d1}', 7, {sur7}, {mail7}),
                  ('2601-2', DATE '{d1}', NULL, {sur12}, {mail12}),
                  ('2601-3', DATE '{d3}', NULL, {keep}, {keepmail})) v (case_number, deadline, b, surname, email);
INSERT INTO audit_log (at, account_id, site_id, action, object, details)
SELECT pg_temp.start('A') - interval '400 days', k.staff, k.site, 'booking.search', NULL,
       jsonb_build_object('q', {sur1}) FROM k;
COMMIT;
""".format(s=s, code=code, run=self.run, d1=self.d1.isoformat(), d2=self.d2.isoformat(),
           d3=(self.today + datetime.timedelta(days=3)).isoformat(),
           ppl=", ".join("(%d, %s, %s, %s, %s)" % (i + 1, sql_literal(x["surname"]), sql_literal(x["agdref"]),
                                                    sql_literal(x["email"]), sql_literal(x["phone"]))
                         for i, x in enumerate(p)),
           mail1=sql_literal(p[0]["email"]), sur1=sql_literal(p[0]["surname"]),
           sur7=sql_literal(p[6]["surname"]), mail7=sql_literal(p[6]["email"]),
           sur12=sql_literal(p[11]["surname"]), mail12=sql_literal(p[11]["email"]),
           keep=sql_literal(self.keep["surname"]), keepmail=sql_literal(self.keep["email"]))
        out = subprocess.run(["psql", "-X", "-q", "-v", "ON_ERROR_STOP=1"], input=sql,
                             capture_output=True, text=True)
        if out.returncode != 0:
            raise RuntimeError("loading the history failed: " + out.stderr)
        self.site_id = psql("SELECT id FROM sites WHERE slug = %s" % s)
        # Days are frozen by a purge or a freeze that ran before (of
        # another test, or a benchmark): the history's must not be yet.
        first = self.range()[0]
        psql("DELETE FROM reporting.figures WHERE day >= DATE '%s'; "
             "DELETE FROM reporting.frozen_days WHERE day >= DATE '%s'" % (first, first))
