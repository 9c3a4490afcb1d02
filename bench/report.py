#!/usr/bin/env python3
"""Benchmark of the nightly report (issue 14): how long creneau-report
takes for a year of all sites and of one site, the nightly's snapshot,
public statistics, freeze and purge, and whether every report query
reaches the big tables through their indexes (EXPLAIN at that size: a
sequential scan, or an index read whole, of slots, bookings, outbox,
draws, draw_entries (unless empty) or any table of more than 10,000 rows
fails the run).

Two modes:
  bench/report.py --loaded      (or BENCH_REPORT_FILL=0) the data already
      in the database: script/bench runs it last, on the production-size
      data of bench/prodsize.sh (100 sites, a year ahead, 60 days of
      history); the window is BENCH_REPORT_FROM .. BENCH_REPORT_TO days
      from today (default -60 .. +305: history and future both count).
      Appends a "Nightly report at production size" section to
      BENCH_RESULTS (bench/RESULTS.md, which bench.py wrote first).
  bench/report.py               fills its own past data first: SITES sites
      x DAYS past days of slots (8 a day of 2 places) and two bookings on
      each (outcomes and channels varied); the window is those days.
          script/test TESTS= bench-report                  (100 sites x 365 days)
          script/test TESTS= bench-report BENCH_REPORT_SITES=10 BENCH_REPORT_DAYS=60

Needs PG* and CRENEAU_CONF (script/test or script/bench set them). Exits
non-zero, with a "not met" line in its table, when a report query reads a
big table whole. Figures measured on a busy machine are only indicative:
rerun on a quiet one."""

import datetime
import functools
import json
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
loaded = "--loaded" in sys.argv[1:] or os.environ.get("BENCH_REPORT_FILL") == "0"
sites = int(os.environ.get("BENCH_REPORT_SITES", "100"))
days = int(os.environ.get("BENCH_REPORT_DAYS", "365"))
top = os.environ.get("top_builddir") or os.path.join(HERE, "..")
conf = os.environ["CRENEAU_CONF"]
results = os.environ.get("BENCH_RESULTS", os.path.join(HERE, "RESULTS.md"))
BIG_ROWS = 10000
# Always big, whatever their size today.
BIG = {"slots", "bookings", "outbox", "draws", "draw_entries"}
rows = []       # (what, seconds or text, plan check)
failed = []


def psql(sql, stdin=None):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1"] + (["-c", sql] if sql else []),
                         input=stdin, capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit("psql: " + out.stderr[-3000:])
    return out


def value(sql):
    return psql(sql).stdout.strip()


def say(what, result, check=""):
    rows.append((what, result, check))
    print("%-52s %12s  %s" % (what, result, check), flush=True)


def timed(what, fn):
    t0 = time.monotonic()
    fn()
    dt = time.monotonic() - t0
    say(what, "%.1f s" % dt)
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
        sys.exit("creneau-report %s: %s" % (" ".join(args), r.stderr))
    subprocess.run(["rm", "-rf", out])
    return r.stdout


@functools.lru_cache(maxsize=None)
def rows_of(rel):
    n = value("SELECT coalesce(max(reltuples), 0) FROM pg_class WHERE relname = '%s' AND relkind = 'r'" % rel)
    return float(n or 0)


def big(rel):
    """The tables of BIG unless empty in this data (an empty table is read
    by a Seq Scan of nothing: its plan at size is t/report/plans.t's
    business), and any table of more than BIG_ROWS rows."""
    return rows_of(rel) > (0 if rel in BIG else BIG_ROWS)


def scans(plan):
    """(summary of the scans of big tables, the ones that read a big table whole)."""
    seen, bad = {}, []

    def walk(node):
        rel = node.get("Relation Name")
        kind = node.get("Node Type")
        if rel and big(rel):
            how = kind + (" " + node["Index Name"] if node.get("Index Name") else "")
            seen.setdefault(rel, set()).add(how)
            if kind == "Seq Scan":
                bad.append("Seq Scan on %s" % rel)
            elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
                bad.append("%s on %s (whole index %s)" % (kind, rel, node.get("Index Name")))
        for child in node.get("Plans", []):
            walk(child)
    walk(plan)
    summary = "; ".join("%s: %s" % (r, ", ".join(sorted(h))) for r, h in sorted(seen.items()))
    return summary, bad


def check(what, plan):
    summary, bad = scans(plan)
    print("    plan of %s: %s" % (what, summary or "no big table"), flush=True)
    if bad:
        failed.append("%s: %s" % (what, ", ".join(sorted(set(bad)))))
        say("EXPLAIN " + what, "NOT MET", "reads whole: " + ", ".join(sorted(set(bad))))
    else:
        say("EXPLAIN " + what, "ok", "indexes only")


QUERIES = {
    "figures": "SELECT f.day::text, coalesce(st.slug, ''), coalesce(st.name, ''), coalesce(p.code, ''), f.figure,"
               " f.value::text FROM reporting.report_figures('%s'::date, '%s'::date, %s::bigint) f"
               " JOIN reporting.figure_defs d ON d.figure = f.figure"
               " LEFT JOIN sites st ON st.id = f.site_id LEFT JOIN procedures p ON p.id = f.procedure_id"
               " ORDER BY f.day, st.slug NULLS FIRST, p.code NULLS FIRST, d.ord",
    "appointments": "SELECT * FROM reporting.appointments('%s'::date, '%s'::date, %s::bigint)",
    "waits": "SELECT * FROM reporting.wait_by_day('%s'::date, '%s'::date, %s::bigint)",
}


def explain_report(label, first, last, site_id):
    for name, sql in QUERIES.items():
        out = psql(None, "SET jit = off;\nEXPLAIN (FORMAT JSON) %s;" % (sql % (first, last, site_id)))
        check("%s, %s" % (name, label), json.loads(out.stdout)[0]["Plan"])


def explain_nested(label, calls):
    """The statements inside plpgsql functions, through auto_explain, in a
    transaction rolled back."""
    out = psql(None, """SET client_min_messages = log;
LOAD 'auto_explain';
SET auto_explain.log_min_duration = 0;
SET auto_explain.log_nested_statements = on;
SET auto_explain.log_format = json;
BEGIN;
%s
ROLLBACK;""" % calls)
    n = 0
    for chunk in re.split(r"^(?:psql:[^\n]*?)?LOG:  duration: [0-9.]+ ms  plan:\n", out.stderr, flags=re.M)[1:]:
        m = re.match(r"(\{.*?\n\})", chunk, re.S)
        if not m:
            continue
        doc = json.loads(m.group(1))
        text = " ".join(doc.get("Query Text", "").split())
        if text.startswith("SELECT 1 FROM ONLY") or not re.search(r"\b(FROM|INTO|UPDATE|JOIN)\b", text):
            continue            # foreign key checks, assignments
        n += 1
        check("%s: %s" % (label, text[:60]), doc["Plan"])
    return n


print("# creneau-report benchmark (%s; a busy machine: figures only indicative)"
      % ("the data loaded" if loaded else "%d sites x %d days of its own" % (sites, days)), flush=True)
load_before = open("/proc/loadavg").read().split()[:3]
today = datetime.date.today()
if loaded:
    first = (today + datetime.timedelta(days=int(os.environ.get("BENCH_REPORT_FROM", "-60")))).isoformat()
    last = (today + datetime.timedelta(days=int(os.environ.get("BENCH_REPORT_TO", "305")))).isoformat()
    one = value("SELECT st.slug FROM sites st JOIN slots s ON s.site_id = st.id"
                " GROUP BY st.slug ORDER BY count(*) DESC, st.slug LIMIT 1")
else:
    timed("fill (slots and bookings)", fill)
    last = (today - datetime.timedelta(days=1)).isoformat()
    first = (today - datetime.timedelta(days=days)).isoformat()
    one = value("SELECT slug FROM sites WHERE slug LIKE 'bench-%' ORDER BY id LIMIT 1")
one_id = value("SELECT id FROM sites WHERE slug = '%s'" % one)
size = value("SELECT (SELECT count(*) FROM sites) || ' sites, ' || (SELECT count(*) FROM slots) || ' slots, '"
             " || (SELECT count(*) FROM bookings) || ' bookings, '"
             " || (SELECT count(*) FROM bookings WHERE confirmed_at IS NOT NULL) || ' confirmed'")
say("data", size)
empty = sorted(r for r in BIG if rows_of(r) <= 0)
if empty:
    say("empty here, not checked", ", ".join(empty), "their plans: t/report/plans.t")
ndays = (datetime.date.fromisoformat(last) - datetime.date.fromisoformat(first)).days + 1
month = ((today - datetime.timedelta(days=30)).isoformat(), (today - datetime.timedelta(days=1)).isoformat())
timing = {}
timing["all"] = timed("report, all sites, %s .. %s (%d days)" % (first, last, ndays),
                      lambda: report("-f", first, "-t", last))
timing["one"] = timed("report, one site (%s), the same days" % one,
                      lambda: report("-s", one, "-f", first, "-t", last))
timing["month"] = timed("report, all sites, %s .. %s" % month, lambda: report("-f", month[0], "-t", month[1]))
timing["snapshot"] = timed("snapshot (creneau-report snapshot)", lambda: report("snapshot"))
timing["publish"] = timed("public statistics (creneau-report publish)", lambda: report("publish"))

# The plans, on the data as it is now.
explain_report("all sites, %d days" % ndays, first, last, "NULL")
explain_report("one site, %d days" % ndays, first, last, one_id)
explain_report("all sites, a month", month[0], month[1], "NULL")
explain_nested("publish", "SELECT reporting.publish(12);")
explain_nested("freeze", "SELECT reporting.freeze(current_date - 1);")

timing["freeze"] = timed("freeze (every past day not frozen)", lambda: psql("SELECT reporting.freeze(current_date - 1)"))
# The past days, now frozen: their figures from reporting.figures.
past = (first, min(last, (today - datetime.timedelta(days=1)).isoformat()))
if past[0] <= past[1]:
    explain_report("frozen days, all sites", past[0], past[1], "NULL")
    timing["frozen"] = timed("report, all sites, %s .. %s (frozen)" % past,
                             lambda: report("-f", past[0], "-t", past[1]))
timing["purge"] = timed("purge (creneau-report purge, the configured periods)", lambda: report("purge"))
load_after = open("/proc/loadavg").read().split()[:3]
say("load average before / after", "%s / %s" % (" ".join(load_before), " ".join(load_after)))
if failed:
    say("report queries through indexes", "NOT MET", "%d plan(s) read a big table whole" % len(failed))
else:
    say("report queries through indexes", "met", "every plan above")

if loaded:
    with open(results, "a") as f:
        f.write("\n## Nightly report at production size\n\n")
        f.write("`bench/report.py --loaded` (issue 14), on the data loaded (%s), %s. "
                "Times of creneau-report (its three files written); the plans from EXPLAIN on the same data: "
                "a Seq Scan, or an index read whole, of slots, bookings, outbox, draws, draw_entries or any "
                "table of more than %d rows is \"NOT MET\". Load average before / after: %s / %s: on a busy "
                "machine the times are only indicative.\n\n"
                % (size, datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC"),
                   BIG_ROWS, " ".join(load_before), " ".join(load_after)))
        f.write("| step | time or result | plan |\n|---|---:|---|\n")
        for what, result, chk in rows:
            f.write("| %s | %s | %s |\n" % (what.replace("|", "/"), result, chk.replace("|", "/")))
    print("appended to %s" % results, flush=True)
if failed:
    print("\nFAIL: report queries read big tables whole:\n  " + "\n  ".join(failed), file=sys.stderr)
    sys.exit(1)
