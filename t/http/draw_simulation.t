#!/usr/bin/env python3
"""The issue's simulation: one draw of 300 slots; 1,000 applicants acting
at human speed and 10 operators each running 50 identities 100 times
faster all register (through draw_register, the function the registration
page calls, in the order of their simulated arrival, so registered_at
records it) and verify their code; the draw runs. The share of places the
bot identities win must lie within the 95% binomial interval of their
share of identities (500/1500), and win rate must not depend on
registration time (earliest against latest quartile, two-proportion
z-test at 5%). The run is reproducible: the arrival schedule uses a fixed
random seed, and before the draw the test sets the draw's seed (and its
commitment) to a fixed value and the entries' public ids to values
derived from their arrival order. A random seed, as in production, would
make a 95% check fail by chance once in twenty runs; the draw itself is
the production function, unchanged."""

import math
import os
import random
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, Fixture, psql, skip_all_unless_server, sql_literal  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
SLOTS, HUMANS, OPERATORS, PER_OP, SPEEDUP = 300, 1000, 10, 50, 100
SECRET = "\\x" + "5a" * 32
rnd = random.Random(20240604)


def binom_interval(n, p, level=0.95):
    """Central interval [lo, hi] of Binomial(n, p) holding >= level."""
    pmf = [math.comb(n, k) * p ** k * (1 - p) ** (n - k) for k in range(n + 1)]
    lo, acc = 0, 0.0
    while acc + pmf[lo] < (1 - level) / 2:
        acc += pmf[lo]
        lo += 1
    hi, acc = n, 0.0
    while acc + pmf[hi] < (1 - level) / 2:
        acc += pmf[hi]
        hi -= 1
    return lo, hi


fx = Fixture("drawsim")
try:
    code = fx.procedure("sim", slots=SLOTS, capacity=1, minutes=5, days_ahead=8)
    psql("UPDATE site_procedures SET allocation_mode = 'draw' WHERE procedure_id = "
         "(SELECT id FROM procedures WHERE code = %s)" % sql_literal(code))
    draw_id = psql("SELECT draw_id FROM draw_schedule(NULL, (SELECT id FROM sites WHERE slug = %s), "
                   "(SELECT id FROM procedures WHERE code = %s), now() - interval '1 minute', "
                   "now() + interval '1 day', now() + interval '1 day', 24, current_date, current_date + 14)"
                   % (sql_literal(fx.slug), sql_literal(code)))
    t.is_(psql("SELECT places FROM draw_public WHERE id = %s" % draw_id), str(SLOTS), "the draw has 300 places")

    # Arrivals on a window of 10,000 time units: a person takes 100 units
    # to fill the form and arrives any time; an operator fills a form in
    # 1 unit and starts at once (the window opens), one identity after the
    # other.
    people = []
    for i in range(HUMANS):
        people.append((rnd.uniform(0, 9900) + 100, "human", "h%d" % i, "/24-h%d" % (i % 700)))
    for op in range(OPERATORS):
        start = rnd.uniform(0, 5)
        for k in range(PER_OP):
            people.append((start + (k + 1) * 100 / SPEEDUP, "bot", "o%db%d" % (op, k), "/24-op%d" % op))
    people.sort()
    tag = fx.slug.replace("-", "")
    sql = ["SET client_min_messages = warning;"]
    for n, (when, kind, who, net) in enumerate(people):
        sql.append(
            "SELECT draw_register(%s, creneau_person_sql('%s'::bytea, %s, 'Sim', DATE '1970-01-01' + %d, NULL, %s, NULL, 'fr'), %s, %s, "
            "'123456', md5(%s));" % (draw_id, SECRET, sql_literal("Sim" + who), n,
                                     sql_literal("%s-%s@example.org" % (who, tag)),
                                     sql_literal("%s-%s" % (tag, who)),
                                     sql_literal("sim-token-%s-%s-xxxxxxxx" % (tag, who)), sql_literal(net)))
        sql.append("SELECT draw_entry_confirm(%s, '123456');" % sql_literal("sim-token-%s-%s-xxxxxxxx" % (tag, who)))
    out = subprocess.run(["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1"], input="\n".join(sql),
                         capture_output=True, text=True)
    t.is_(out.returncode, 0, "1,500 identities registered and verified through draw_register")
    t.is_(psql("SELECT count(*) FROM draw_entries WHERE draw_id = %s AND status = 'waiting'" % draw_id), "1500",
          "1,500 verified entries")

    # Public ids are immutable for everyone else: the test lifts the guard
    # for this one statement, in one transaction.
    psql("BEGIN; ALTER TABLE draw_entries DISABLE TRIGGER draw_entries_immutable; "
         "UPDATE draw_entries e SET public_id = left(encode(sha256(convert_to("
         "'creneau draw simulation entry ' || x.rn, 'UTF8')), 'hex'), 16) "
         "FROM (SELECT id, row_number() OVER (ORDER BY registered_at, id) AS rn "
         "FROM draw_entries WHERE draw_id = %s) x WHERE e.id = x.id; "
         "ALTER TABLE draw_entries ENABLE TRIGGER draw_entries_immutable; COMMIT" % draw_id)
    psql("UPDATE draw_seeds SET seed = sha256(convert_to('creneau draw simulation', 'UTF8')) "
         "WHERE draw_id = %s" % draw_id)
    psql("UPDATE draws SET commitment = encode(sha256(sha256(convert_to('creneau draw simulation', "
         "'UTF8'))), 'hex') WHERE id = %s" % draw_id)
    psql("UPDATE draws SET registration_opens_at = now() - interval '3 hours', "
         "registration_closes_at = now() - interval '2 hours', draw_at = now() - interval '1 hour' WHERE id = %s" % draw_id)
    t.is_(psql("SELECT outcome || ' ' || offers FROM draw_run(%s, NULL)" % draw_id), "drawn 300", "the draw offers 300 places")

    rows = [r.split("|") for r in psql(
        "SELECT surname, (status = 'offered')::int, extract(epoch FROM registered_at) FROM draw_entries "
        "WHERE draw_id = %s ORDER BY registered_at, id" % draw_id).splitlines()]
    bots = sum(1 for r in rows if r[0].startswith("Simo"))
    bot_wins = sum(int(r[1]) for r in rows if r[0].startswith("Simo"))
    wins = sum(int(r[1]) for r in rows)
    lo, hi = binom_interval(SLOTS, bots / len(rows))
    t.diag("identities: %d (bots %d, share %.3f); places won: %d, by bots %d (share %.3f); 95%% interval %d..%d"
           % (len(rows), bots, bots / len(rows), wins, bot_wins, bot_wins / wins, lo, hi))
    t.ok(lo <= bot_wins <= hi, "the bots' wins lie within the 95% binomial interval of their share")
    q = len(rows) // 4
    early, late = rows[:q], rows[-q:]
    we, wl = sum(int(r[1]) for r in early), sum(int(r[1]) for r in late)
    p = (we + wl) / (2 * q)
    z = (we / q - wl / q) / math.sqrt(p * (1 - p) * 2 / q) if 0 < p < 1 else 0.0
    t.diag("earliest quartile: %d/%d won (%.3f); latest quartile: %d/%d won (%.3f); z = %.2f"
           % (we, q, we / q, wl, q, wl / q, z))
    t.ok(abs(z) < 1.96, "win rate does not depend on registration time (|z| < 1.96)")
    t.ok(float(rows[0][2]) < float(rows[-1][2]), "registration times are recorded in arrival order")
finally:
    psql("DELETE FROM outbox WHERE kind IN ('draw_code', 'draw_offer') AND (payload->>'site_slug' = %s OR booking_id IN "
         "(SELECT b.id FROM bookings b JOIN sites s ON s.id = b.site_id WHERE s.slug = %s))" % (sql_literal(fx.slug), sql_literal(fx.slug)))
    psql("DELETE FROM draw_entries WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
         "DELETE FROM draw_slots WHERE draw_id IN (SELECT id FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s));"
         "DELETE FROM draw_seeds WHERE draw_id IN (SELECT id FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s));"
         "DELETE FROM draws WHERE site_id = (SELECT id FROM sites WHERE slug = %s)" % ((sql_literal(fx.slug),) * 4))
    try:
        fx.drop()
    except Exception:  # noqa: BLE001 - the append-only audit log keeps the site
        t.diag("site %s kept: the audit log refers to it" % fx.slug)
t.done()
