#!/usr/bin/env python3
"""The figures of the reports on a known history (t/report/report_data.py):
every figure of reporting.report_figures() is what was worked out by hand
and what counts taken straight from the tables give; creneau-report's
figures.csv and report.xhtml give the same totals (for one site, and for
all sites); the XHTML is well-formed and its SVG charts have a title and
a description; appointments.csv has one row per booking, keyed
pseudonyms and no name, e-mail, phone or AGDREF number. Then the purge
with short periods: no personal data of the history is left in any text
column of the database, what is still within its period is kept, and
the report's files are byte for byte what they were."""

import csv
import io
import os
import re
import shutil
import subprocess
import sys
import tempfile
import xml.dom.minidom

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, here)
from creneau_test import TAP, nu_errors, psql, skip_all_unless_server  # noqa: E402
from report_data import EXPECTED, EXPECTED_DAY, History  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
top = os.environ.get("top_builddir") or os.path.join(here, "..", "..")
program = os.path.join(top, "creneau-report")
conf = os.environ["CRENEAU_CONF"]


def run_report(*args, conf_path=conf):
    out = subprocess.run([program, "-c", conf_path, *args], capture_output=True, text=True)
    if out.returncode != 0:
        t.diag("creneau-report %s: %s%s" % (" ".join(args), out.stdout, out.stderr))
    return out


h = History("figs")
first, last = h.range()
sid = h.site_id


def figures_sql(site):
    rows = psql("SELECT figure, sum(value) FROM reporting.report_figures('%s', '%s', %s) "
                "GROUP BY figure" % (first, last, site))
    return {a: b for a, b in (line.split("|") for line in rows.split("\n") if line)}


t.is_(psql("SELECT count(*) FROM slots s WHERE s.site_id = %s AND s.booked <> "
           "(SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released)" % sid), "0",
      "the history keeps the counter invariant")

# 1. The views against the figures worked out by hand.
views = figures_sql(sid)
for fig, want in EXPECTED.items():
    t.is_(views.get(fig, "0"), str(want), "views: %s" % fig)
per_day = {(d, f): v for d, f, v in (line.split("|") for line in psql(
    "SELECT day, figure, value FROM reporting.report_figures('%s', '%s', %s) "
    "WHERE figure IN ('wait_median_days', 'wait_p90_days', 'draw_confirmation_rate')"
    % (first, last, sid)).split("\n") if line)}
for key, day in (("d1", h.d1), ("d2", h.d2), ("d1_draw", h.d1)):
    for fig, want in EXPECTED_DAY[key].items():
        t.is_(per_day.get((day.isoformat(), fig)), want, "views: %s on %s" % (fig, key))

# 2. The same from the tables, without the reporting schema.
direct = {
    "booked": "SELECT count(*) FROM bookings WHERE site_id = %s AND confirmed_at IS NOT NULL "
              "AND slot_id IN (SELECT id FROM slots WHERE starts_at < now())",
    "honoured": "SELECT count(*) FROM bookings WHERE site_id = %s AND attendance = 'honoured' AND status <> 'cancelled'",
    "no_show": "SELECT count(*) FROM bookings WHERE site_id = %s AND attendance = 'no_show' AND status <> 'cancelled'",
    "places_published": "SELECT sum(capacity) FROM slots WHERE site_id = %s AND published_at <= now() "
                        "AND starts_at < current_date - 7",
    "messages_parked": "SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id "
                       "WHERE b.site_id = %s AND o.status = 'parked'",
    "draw_entries": "SELECT count(*) FROM draw_entries WHERE site_id = %s AND verified_at IS NOT NULL",
    "court_due": "SELECT count(*) FROM injunctions WHERE site_id = %s AND deadline < current_date",
}
for fig, sql in direct.items():
    t.is_(views.get(fig, "0"), psql(sql % sid), "tables: %s" % fig)
cancelled = psql("SELECT count(*) FROM bookings WHERE site_id = %s AND status = 'cancelled' "
                 "AND confirmed_at IS NOT NULL AND slot_id IN (SELECT id FROM slots WHERE starts_at < now())" % sid)
t.is_(str(sum(int(views[f]) for f in ("cancelled_person", "rescheduled", "cancelled_staff",
                                       "cancelled_closure"))), cancelled,
      "tables: the four cancellations are every cancelled booking")
t.is_(str(sum(int(views[f]) for f in ("honoured", "no_show", "unmarked", "cancelled_person", "rescheduled",
                                       "cancelled_staff", "cancelled_closure"))), views["booked"],
      "views: booked = the outcomes")
t.is_(str(sum(int(views[f]) for f in ("booked_online", "booked_draw", "booked_mediator", "booked_counter",
                                       "booked_court"))), views["booked"],
      "views: booked = the channels")


# 3. creneau-report for the site, and for all sites.
def read_outputs(d):
    out = {}
    for name in ("figures.csv", "appointments.csv", "report.xhtml"):
        with open(os.path.join(d, name), "rb") as f:
            out[name] = f.read()
    return out


def csv_totals(data, slug=None):
    tot = {}
    for row in csv.DictReader(io.StringIO(data.decode())):
        if slug is None or row["site"] == slug:
            tot[row["figure"]] = tot.get(row["figure"], 0) + float(row["value"])
    return tot


def xhtml_totals(data):
    doc = xml.dom.minidom.parseString(data)
    return {td.getAttribute("data-figure"): td.firstChild.data
            for td in doc.getElementsByTagName("td") if td.getAttribute("data-figure")}


tmp = tempfile.mkdtemp(prefix="creneau-report-")
site_dir, all_dir = os.path.join(tmp, "site"), os.path.join(tmp, "all")
r = run_report("-s", h.slug, "-f", first, "-t", last, "-o", site_dir)
t.is_(r.returncode, 0, "report: one site")
t.is_(r.stdout, "", "report: no progress line when stdout is not a terminal")
r = run_report("-f", first, "-t", last, "-o", all_dir)
t.is_(r.returncode, 0, "report: all sites")
site, every = read_outputs(site_dir), read_outputs(all_dir)

tot = csv_totals(site["figures.csv"])
xt = xhtml_totals(site["report.xhtml"])
all_tot = csv_totals(every["figures.csv"], h.slug)
for fig, want in EXPECTED.items():
    t.is_(int(tot.get(fig, 0)), want, "figures.csv: %s" % fig)
    t.is_(xt.get(fig), str(want), "report.xhtml: %s" % fig)
    t.is_(int(all_tot.get(fig, 0)), want, "figures.csv of all sites, this site's rows: %s" % fig)
all_views = figures_sql("NULL")
all_csv, all_x = csv_totals(every["figures.csv"]), xhtml_totals(every["report.xhtml"])
same = [f for f in EXPECTED if str(int(float(all_views.get(f, 0)))) == all_x.get(f) == str(int(all_csv.get(f, 0)))]
t.is_(len(same), len(EXPECTED), "all sites: the views, figures.csv and report.xhtml give the same totals")
t.ok(b"Pr\xc3\xa9fecture du rapport" in site["figures.csv"], "figures.csv names the organisation")

# The XHTML: well-formed, charts with a title and a description, each
# followed by a table.
doc = xml.dom.minidom.parseString(site["report.xhtml"])
svgs = doc.getElementsByTagName("svg")
t.is_(len(svgs), 5, "report.xhtml: five charts")
for svg in svgs:
    kids = [n for n in svg.childNodes if n.nodeType == n.ELEMENT_NODE]
    labelled = svg.getAttribute("aria-labelledby").split()
    ok = (len(kids) >= 2 and kids[0].tagName == "title" and kids[1].tagName == "desc"
          and kids[0].firstChild.data.strip() and kids[1].firstChild.data.strip()
          and labelled == [kids[0].getAttribute("id"), kids[1].getAttribute("id")]
          and svg.getAttribute("role") == "img")
    t.ok(ok, "report.xhtml: chart %s has a title and a desc that name it" % labelled[:1])
    nxt = svg.nextSibling
    while nxt is not None and nxt.nodeType != nxt.ELEMENT_NODE:
        nxt = nxt.nextSibling
    # (the table in its scrolling region)
    if nxt is not None and nxt.tagName == "div" and nxt.getAttribute("class") == "table-scroll":
        nxt = next((n for n in nxt.childNodes if n.nodeType == n.ELEMENT_NODE), None)
    t.ok(nxt is not None and nxt.tagName == "table", "report.xhtml: a table follows chart %s" % labelled[:1])
t.ok(len(doc.getElementsByTagName("polyline")) == 2, "report.xhtml: the wait chart has its two lines")
nu = nu_errors({"report": site["report.xhtml"]})
if nu is None:
    t.ok(True, "report.xhtml: the Nu checker is not installed # SKIP")
else:
    t.is_(nu, {}, "report.xhtml: no error from the Nu HTML checker")

# On a terminal (script(1) gives it one), a progress line; the files are
# the same.
tty_dir = os.path.join(tmp, "tty")
cmd = " ".join("'%s'" % a for a in (program, "-c", conf, "-s", h.slug, "-f", first, "-t", last, "-o", tty_dir))
r = subprocess.run(["script", "-qec", cmd, "/dev/null"], capture_output=True)
t.ok(r.returncode == 0 and b"[1/3]" in r.stdout and b"\r\033[K" in r.stdout and tty_dir.encode() in r.stdout,
     "on a terminal, a progress line that ends with the directory")
t.ok(open(os.path.join(tty_dir, "figures.csv"), "rb").read() == site["figures.csv"],
     "on a terminal, the same figures.csv")

# appointments.csv: one row per booking, pseudonyms, nothing personal.
rows = list(csv.DictReader(io.StringIO(site["appointments.csv"].decode())))
t.is_(len(rows), EXPECTED["booked"], "appointments.csv: one row per booking")
t.ok(all(re.fullmatch(r"[0-9a-f]{32}", x["appointment"]) and re.fullmatch(r"[0-9a-f]{32}", x["person"])
         for x in rows), "appointments.csv: keyed pseudonyms")
ids = psql("SELECT encode(identity_key, 'hex') FROM bookings WHERE site_id = %s" % sid).split()
plain = {__import__("hashlib").sha256(bytes.fromhex(i)).hexdigest()[:32] for i in ids} | {i[:32] for i in ids}
t.ok(not plain & {x["person"] for x in rows}, "appointments.csv: a pseudonym is neither the key nor its plain hash")
t.is_(len({x["appointment"] for x in rows}), len(rows), "appointments.csv: one pseudonym per appointment")
text = site["appointments.csv"].decode() + site["figures.csv"].decode() + site["report.xhtml"].decode()
leaks = [v for p in h.people for v in p.values() if v in text or v.replace("+33", "0") in text]
t.is_(leaks, [], "no name, e-mail, phone or AGDREF number in the files")
t.ok(sum(1 for x in rows if x["outcome"] == "honoured") == EXPECTED["honoured"],
     "appointments.csv agrees with the figures (honoured)")

# 4. The purge, with every period 5 days (the history is 9 and 10 days
# old; the court order i3 and booking b13 are in the future).
short = os.path.join(tmp, "short.conf")
with open(conf) as f, open(short, "w") as g:
    g.write(f.read())
    for k in ("booking", "hold", "draw", "alert", "message", "audit"):
        g.write("retention_%s_days = 5\n" % k)
r = run_report("purge", conf_path=short)
t.is_(r.returncode, 0, "purge: runs")
t.ok("bookings pseudonymised" in r.stdout, "purge: says what it did")

columns = psql("SELECT table_schema || '.' || table_name || '.' || column_name FROM information_schema.columns "
               "WHERE table_schema IN ('public', 'reporting') AND data_type IN ('text', 'jsonb', 'character varying') "
               "AND table_name IN (SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
               "AND table_schema IN ('public', 'reporting'))").split()
# People 1..12 are past; person 13's appointment is in 3 days.
needles = [v for p in h.people[:12] for v in (p["surname"], p["email"], p["agdref"], p["phone"][-9:])]
found = []
for col in columns:
    schema, table, column = col.split(".")
    cond = " OR ".join("%s::text LIKE '%%%s%%'" % (column, n) for n in needles)
    n = psql('SELECT count(*) FROM %s.%s WHERE %s' % (schema, table, cond.replace(column, '"%s"' % column)))
    if n != "0":
        found.append("%s (%s)" % (col, n))
t.is_(psql("SELECT surname FROM bookings WHERE site_id = %s AND purged_at IS NULL" % sid), h.people[12]["surname"],
      "purge: only the booking still ahead keeps its person")
t.is_(found, [], "purge: no name, e-mail, phone or AGDREF number of a past booking, "
      "hold, draw entry, message or court order left in any text column")
t.is_(psql("SELECT count(*) FROM bookings WHERE site_id = %s AND purged_at IS NOT NULL AND "
           "(birth_date <> DATE '1900-01-01' OR agdref IS NOT NULL OR email IS NOT NULL OR phone IS NOT NULL)" % sid),
      "0", "purge: no birth date, AGDREF number or contact left on purged bookings")
t.is_(psql("SELECT count(*) FROM injunctions WHERE site_id = %s AND surname LIKE 'Keepme%%'" % sid), "1",
      "purge: the open court order still within its period keeps its person")
t.is_(psql("SELECT count(*) FROM audit_log WHERE site_id = %s" % sid), "0", "purge: the old audit entry is gone")
t.is_(psql("SELECT count(*) FROM outbox o JOIN bookings b ON b.id = o.booking_id WHERE b.site_id = %s" % sid),
      "0", "purge: the messages are gone")
t.ok(psql("SELECT count(*) FROM booking_tokens k JOIN bookings b ON b.id = k.booking_id "
          "WHERE b.site_id = %s AND b.purged_at IS NOT NULL" % sid) == "0", "purge: no link to a purged booking")
r = run_report("purge", conf_path=short)
t.ok(r.returncode == 0 and "0 bookings pseudonymised" in r.stdout, "purge: a second run finds nothing more")
# The identity of a booking still changes only by being blanked.
try:
    psql("UPDATE bookings SET purged_at = now(), surname = 'Autrenom' WHERE site_id = %s AND purged_at IS NULL" % sid)
    changed = True
except subprocess.CalledProcessError:
    changed = False
t.ok(not changed, "purge: setting purged_at does not let a booking's name be changed to another")

after = os.path.join(tmp, "after")
r = run_report("-s", h.slug, "-f", first, "-t", last, "-o", after)
t.is_(r.returncode, 0, "report after the purge")
again = read_outputs(after)
for name in ("figures.csv", "appointments.csv", "report.xhtml"):
    t.ok(again[name] == site[name], "after the purge, %s is byte for byte the same" % name)
views2 = figures_sql(sid)
t.is_(views2, views, "after the purge, the views give the same figures")
shutil.rmtree(tmp, ignore_errors=True)
t.done()
