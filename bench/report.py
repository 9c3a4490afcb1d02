#!/usr/bin/env python3
"""Benchmark of the nightly report (issue 14): fills the test database
with SITES sites x DAYS past days of slots (8 a day of 2 places) and
bookings (2 per slot, outcomes and channels varied), then prints how long
creneau-report takes for a year of all sites and for one site, the
snapshot, the freeze and the public statistics, and whether the report's
queries reach the tables through their indexes (EXPLAIN of the figures of
one month, all sites and one site: any sequential scan of slots,
bookings, outbox or draw_entries is printed).

Needs the script/test environment (PG*, CRENEAU_CONF):
    script/test TESTS= bench-report                      (100 sites x 365 days)
    script/test TESTS= bench-report BENCH_REPORT_SITES=10 BENCH_REPORT_DAYS=60
Figures measured on a busy machine are only indicative: rerun on a quiet one."""

import datetime
import os
import re
import subprocess
import sys
import tempfile
import time

sites = int(os.environ.get("BENCH_REPORT_SITES", "100"))
days = int(os.environ.get("BENCH_REPORT_DAYS", "365"))
top = os.environ.get("top_builddir", ".")
conf = os.environ["CRENEAU_CONF"]


def psql(sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("psql: " + out.stderr)
    return out.stdout.strip()


def timed(what, fn):
    t0 = time.monotonic()
    fn()
    dt = time.monotonic() - t0
    print("%-44s %8.2f s" % (what, dt))
    return dt


def fill():
    psql("""
SET session_replication_role = replica;
INSERT INTO procedures (code, name, description, duration_minutes)
VALUES ('bench-proc', 'Démarche de mesure', 'Mesure.', 30) ON CONFLICT DO NOTHING;
INSERT INTO sites (slug, name, kind, department_code, department_name, address, postal_code, city,
                   time_zone, alternative_route)
SELECT 'bench-' || i, 'Préfecture de mesure ' || i, 'prefecture', '75', 'Paris', '1 rue', '75001', 'Paris',
       'Europe/Paris', 'Appelez.' FROM generate_series(1, %(sites)d) i;
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p WHERE s.slug LIKE 'bench-%%' AND p.code = 'bench-proc';
INSERT INTO counters (site_id, name) SELECT id, 'Guichet' FROM sites WHERE slug LIKE 'bench-%%';
INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at, capacity, booked, published_at)
SELECT c.site_id, c.id, p.id, t, t + interval '30 minutes', 2, 0, t - interval '20 days'
  FROM counters c JOIN sites s ON s.id = c.site_id AND s.slug LIKE 'bench-%%'
 CROSS JOIN procedures p
 CROSS JOIN generate_series(current_date - %(days)d, current_date - 1, interval '1 day') d
 CROSS JOIN generate_series(0, 7) h
 CROSS JOIN LATERAL (SELECT (d + make_interval(hours => 8 + h)) AT TIME ZONE 'Europe/Paris' AS t) x
 WHERE p.code = 'bench-proc';
INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key, surname, given_names,
                      birth_date, email, lang, channel, status, created_at, confirmed_at, cancelled_at,
                      release_at, released, attendance, attendance_at, cancelled_by)
SELECT translate(lpad((sl.id * 2 + k)::text, 8, '0'), '0123456789', 'ACDEFGHJKL'),
       sl.id, sl.site_id, sl.procedure_id, sha256(convert_to('bench ' || sl.id || ' ' || k, 'UTF8')),
       'Mesure', 'Personne', DATE '1980-01-01', 'm' || sl.id || k || '@example.org', 'fr',
       (ARRAY['online', 'online', 'online', 'mediator', 'counter', 'court'])[1 + (sl.id + k) %% 6],
       CASE WHEN (sl.id + k) %% 9 = 0 THEN 'cancelled' ELSE 'completed' END,
       sl.starts_at - make_interval(days => (1 + ((sl.id * 7 + k) %% 40))::int),
       sl.starts_at - make_interval(days => (1 + ((sl.id * 7 + k) %% 40))::int) + interval '2 minutes',
       CASE WHEN (sl.id + k) %% 9 = 0 THEN sl.starts_at - interval '1 day' END,
       CASE WHEN (sl.id + k) %% 9 = 0 THEN sl.starts_at - interval '20 hours' END,
       (sl.id + k) %% 9 = 0,
       CASE WHEN (sl.id + k) %% 9 = 0 THEN NULL WHEN (sl.id + k) %% 11 = 0 THEN 'no_show' ELSE 'honoured' END,
       CASE WHEN (sl.id + k) %% 9 = 0 THEN NULL ELSE sl.starts_at END,
       CASE WHEN (sl.id + k) %% 9 = 0 THEN 'person' END
  FROM slots sl JOIN sites s ON s.id = sl.site_id AND s.slug LIKE 'bench-%%'
 CROSS JOIN generate_series(0, 1) k;
ANALYZE;
""" % {"sites": sites, "days": days})


def report(*args):
    out = tempfile.mkdtemp(prefix="creneau-bench-report-")
    r = subprocess.run([os.path.join(top, "creneau-report"), "-c", conf, *args, "-o", out],
                       capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit("creneau-report: " + r.stderr)


def explain(label, site):
    last = datetime.date.today() - datetime.timedelta(days=1)
    first = last - datetime.timedelta(days=30)
    plan = psql("EXPLAIN SELECT * FROM reporting.live_figures('%s', '%s', %s)" % (first, last, site))
    # A sequential scan of a small table is the right plan; of a big one
    # (over 10,000 rows), the report would not scale.
    seq = [x for x in sorted(set(re.findall(r"Seq Scan on (slots|bookings|outbox|draw_entries)\b", plan)))
           if int(float(psql("SELECT reltuples FROM pg_class WHERE relname = '%s'" % x))) > 10000]
    print("%-44s %s" % ("indexes, one month, " + label + ":", "ok" if not seq else "SEQ SCAN on " + ", ".join(seq)))
    return seq


print("# creneau-report benchmark: %d sites x %d days (a busy machine: figures only indicative)" % (sites, days))
timed("fill (slots and bookings)", fill)
print("%-44s %8s" % ("slots, bookings", psql("SELECT (SELECT count(*) FROM slots) || ', ' || (SELECT count(*) FROM bookings)")))
last = (datetime.date.today() - datetime.timedelta(days=1)).isoformat()
first = (datetime.date.today() - datetime.timedelta(days=days)).isoformat()
one = psql("SELECT slug FROM sites WHERE slug LIKE 'bench-%' ORDER BY id LIMIT 1")
one_id = psql("SELECT id FROM sites WHERE slug = '%s'" % one)
timed("report, all sites, %d days" % days, lambda: report("-f", first, "-t", last))
timed("report, one site, %d days" % days, lambda: report("-s", one, "-f", first, "-t", last))
timed("snapshot", lambda: psql("SELECT reporting.snapshot()"))
timed("publish (12 weeks)", lambda: psql("SELECT reporting.publish(12)"))
timed("freeze (every past day)", lambda: psql("SELECT reporting.freeze(current_date - 1)"))
timed("report, all sites, frozen days", lambda: report("-f", first, "-t", last))
bad = explain("all sites", "NULL") + explain("one site", one_id)
sys.exit(1 if bad else 0)
