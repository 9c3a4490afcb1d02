#!/usr/bin/env python3
"""The public statistics page /stats and its CSV /stats.csv, after
creneau-report publish on a known history (t/report/report_data.py): the
page is well-formed, its chart has a title and a description and is
followed by a table, a row shows the history's site and procedure with
the figures of reporting.public_weekly; the CSV's rows for the site give
the same waits counted as the report's figures (one definition); no
name, e-mail, phone or AGDREF number appears in either; the page works
without a session and changes nothing."""

import csv
import io
import os
import subprocess
import sys

here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..", "lib"))
sys.path.insert(0, os.path.join(here, "..", "report"))
from creneau_test import TAP, get, parse, psql, request, skip_all_unless_server, wellformed  # noqa: E402
from report_data import EXPECTED, History  # noqa: E402

skip_all_unless_server()
t = TAP()
t.catch_exceptions()
top = os.environ.get("top_builddir") or os.path.join(here, "..", "..")
h = History("stats", days_back=3)
r = subprocess.run([os.path.join(top, "creneau-report"), "-c", os.environ["CRENEAU_CONF"], "publish"],
                   capture_output=True, text=True)
t.is_(r.returncode, 0, "creneau-report publish")

page = get("/stats")
t.is_(page.status, 200, "/stats answers")
t.is_(wellformed(page.body), None, "/stats is well-formed")
text = page.text if isinstance(page.text, str) else page.body.decode()
doc = parse(page)
svg = doc.find("svg")
t.ok(svg is not None and svg.get("role") == "img", "the chart is an image")
if svg is not None:
    title, desc = svg.find("title"), svg.find("desc")
    t.ok(title is not None and title.text.strip() and desc is not None and desc.text.strip()
         and svg.get("aria-labelledby") == "%s %s" % (title.get("id"), desc.get("id")),
         "the chart is named by its title and described by its desc")
t.ok(len(doc.find_all("table")) == 2 and all(tb.find("caption") for tb in doc.find_all("table")),
     "two tables with captions (the chart's numbers, and per site)")
name = psql("SELECT name FROM sites WHERE slug = '%s'" % h.slug)
rows = [tr for tr in doc.find_all("tr") if tr.find("th") is not None and tr.find("th").text == name]
t.is_(len(rows), 1, "one row for the history's site and procedure")
want = psql("SELECT sum(places_online + places_mediator + places_counter + places_court) FROM reporting.public_weekly "
            "WHERE site_id = %s AND week > current_date - 7 * 12" % h.site_id)
if rows:
    cells = [td.text for td in rows[0].find_all("td")]
    t.is_(cells[4], want, "the row shows the places offered over the period")
    t.ok(want not in ("", "0"), "the history's places are there (%s)" % want)

c = request("GET", "/stats.csv")
t.is_(c.status, 200, "/stats.csv answers")
t.ok(c.header("Content-Type").startswith("text/csv"), "as CSV")
rows = [x for x in csv.DictReader(io.StringIO(c.body.decode())) if x["site"] == h.slug]
t.ok(len(rows) >= 1, "the CSV has the site's weeks")
waits = sum(int(x["wait_count"]) for x in rows)
t.ok(waits >= EXPECTED["wait_count"], "the CSV counts the history's waits")
first_week, last_week = min(x["week"] for x in rows), max(x["week"] for x in rows)
same = psql("SELECT sum(value) FROM reporting.report_figures('%s', DATE '%s' + 6, %s) WHERE figure = 'wait_count'"
            % (first_week, last_week, h.site_id))
t.is_(str(waits), same, "the same count as the report's figures over those weeks (one definition)")
everything = text + c.body.decode()
leaks = [v for p in h.people for v in p.values() if v in everything]
t.is_(leaks, [], "no name, e-mail, phone or AGDREF number on the page or in the CSV")
t.ok(request("POST", "/stats", body=b"x=1",
             headers={"Content-Type": "application/x-www-form-urlencoded"}).status in (405, 403),
     "POST is refused")
t.done()
