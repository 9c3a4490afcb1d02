#!/usr/bin/env python3
"""The nightly reports in the back-office: after creneau-report nightly
(run as the service user, as systemd does), a supervisor of one site sees
that site's latest report and only it, an administrator sees every site's
and the all-sites report; the files download and their totals agree with
the figures of the known history (t/report/report_data.py); an agent, a
mediator, a supervisor of another site and an anonymous visitor get
nothing, whatever run id or file name they try."""

import csv
import io
import os
import re
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, os.path.join(here, "..", "report"))
from creneau_test import (TAP, letters, nu_errors, parse, psql, request, skip_all_unless_server,  # noqa: E402
                          staff_add, staff_login, wellformed)
from report_data import EXPECTED, History  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
top = os.environ.get("top_builddir") or os.path.join(here, "..", "..")
h = History("backoffice", days_back=3)
other = History("backother", days_back=3)
first, last = h.range()
word = letters(8)
pw = "reports password %s" % word
accounts = {
    "sup": ("sup-%s@test.example" % word, "supervisor", h.slug),
    "sup2": ("sup2-%s@test.example" % word, "supervisor", other.slug),
    "agent": ("agent-%s@test.example" % word, "agent", h.slug),
    "admin": ("admin-%s@test.example" % word, "administrator"),
}
cookies = {}
for k, (email, role, *scope) in accounts.items():
    r = staff_add(email, role, "Compte %s" % k, *scope, password=pw)
    t.is_(r.returncode, 0, "staff-add %s" % k)
    cookies[k] = staff_login(email, pw)

base = os.path.join(os.environ["CRENEAU_VAR"], "reports-" + word)
as_service = ["runuser", "-u", "creneau", "--"] if os.geteuid() == 0 else []
if as_service:
    os.makedirs(base)
    subprocess.run(["chown", "creneau:creneau", base], check=True)
r = subprocess.run(as_service + [os.path.join(top, "creneau-report"), "-c", os.environ["CRENEAU_CONF"],
                                 "-f", first, "-t", last, "-o", base, "nightly"],
                   capture_output=True, text=True)
t.is_(r.returncode, 0, "creneau-report nightly")
if r.returncode != 0:
    t.diag(r.stderr)


def page(who, path):
    return request("GET", path, headers={"Cookie": cookies[who]} if who else {})


def run_links(resp):
    doc = parse(resp)
    out = {}
    for tr in doc.find_all("tr"):
        th = tr.find("th")
        links = [a.get("href") for a in tr.find_all("a")]
        if th is not None and links:
            out[th.text] = links
    return out


name = psql("SELECT name FROM sites WHERE slug = '%s'" % h.slug)
name2 = psql("SELECT name FROM sites WHERE slug = '%s'" % other.slug)
sup = page("sup", "/agent/reports")
t.is_(sup.status, 200, "supervisor: the reports page")
t.is_(wellformed(sup.body), None, "the reports page is well-formed")
nu = nu_errors({"agent-reports": sup})
t.ok(nu is None or nu == {}, "the reports page: no error from the Nu HTML checker %s" % (nu or ""))
rows = run_links(sup)
t.is_(sorted(rows), [name], "supervisor: only the report of their site")
admin = page("admin", "/agent/reports")
arows = run_links(admin)
t.ok(name in arows and name2 in arows and len(arows) == int(psql("SELECT count(*) FROM sites")) + 1,
     "administrator: every site and the all-sites report")
t.ok("/agent/reports" in page("sup", "/agent").text, "the staff home links to the reports")

links = rows.get(name, [])
t.is_(len(links), 3, "three files per report")
files = {}
for href in links:
    resp = page("sup", href)
    files[href.rsplit("/", 1)[1]] = resp
    t.is_(resp.status, 200, "supervisor downloads %s" % href.rsplit("/", 1)[1])
if "figures" in files:
    t.ok(files["figures"].header("Content-Type").startswith("text/csv")
         and "attachment" in (files["figures"].header("Content-Disposition") or ""), "figures: a CSV download")
    tot = {}
    for row in csv.DictReader(io.StringIO(files["figures"].body.decode())):
        tot[row["figure"]] = tot.get(row["figure"], 0) + float(row["value"])
    bad = [f for f, v in EXPECTED.items() if int(tot.get(f, 0)) != v]
    t.is_(bad, [], "the downloaded figures are the history's")
if "report" in files:
    t.is_(wellformed(files["report"].body), None, "the report page is well-formed")
    got = dict(re.findall(r'data-figure="([a-z_]+)">([0-9]+)<', files["report"].body.decode()))
    t.is_({f: got.get(f) for f in EXPECTED}, {f: str(v) for f, v in EXPECTED.items()},
          "the report page's totals are the history's")
    t.ok(re.search(r'<link rel="stylesheet" href="/static/creneau\.css"/>\s*</head>', files["report"].body.decode()),
         "read in the back-office, the report takes its style sheet (tables scroll on a phone)")
if "appointments" in files:
    body = files["appointments"].body.decode()
    t.is_(len(body.strip().split("\n")) - 1, EXPECTED["booked"], "appointments: the history's bookings")
    t.ok(not [v for p in h.people for v in p.values() if v in body], "appointments: no personal data")

# Everyone else: nothing, whatever they try.
run_id = links[0].split("/")[3] if links else "0"
run2 = psql("SELECT max(id) FROM reporting.runs WHERE site_id = %s" % other.site_id)
for who in ("agent", "sup2", None):
    r1 = page(who, "/agent/reports")
    r2 = page(who, "/agent/report/%s/figures" % run_id)
    t.ok(r1.status in ((200,) if who == "sup2" else (303, 403)) and r2.status in (303, 403, 404),
         "%s: no reports page (%d) and no file (%d)" % (who or "anonymous", r1.status, r2.status))
    t.ok(name not in r1.text and "Zorglubien" not in r2.text, "%s: nothing of the site shown" % (who or "anonymous"))
t.is_(page("sup", "/agent/report/%s/figures" % run2).status, 404, "supervisor: another site's run id is 404")
t.is_(page("sup", "/agent/report/%s/secret" % run_id).status, 404, "supervisor: another file name is 404")
t.is_(page("sup", "/agent/report/%s/..%%2fsecret" % run_id).status, 404, "supervisor: no path in the file name")
all_run = psql("SELECT max(id) FROM reporting.runs WHERE site_id IS NULL")
t.is_(page("sup", "/agent/report/%s/report" % all_run).status, 404, "supervisor: not the all-sites report")
t.is_(page("admin", "/agent/report/%s/report" % all_run).status, 200, "administrator: the all-sites report")
t.done()
