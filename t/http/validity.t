#!/usr/bin/env python3
"""Every page a person can reach (home, each site, the error pages) is
well-formed XML and passes the Nu HTML checker with no error."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, TAP, Fixture, book, confirm, follow, form, get, link, new_identity, post_form,  # noqa: E402
                          psql, request, skip_all_unless_server, wellformed)

skip_all_unless_server()
t = TAP()

pages = {"home": get("/")}
for slug in psql("SELECT slug FROM sites ORDER BY slug").splitlines():
    pages["site-" + slug] = get("/site/" + slug)
# The booking flow, every state of it, on a site of the test's own.
fx = Fixture("validity")
try:
    proc = fx.procedure("open", slots=4, capacity=1)
    site_slug, proc_code = fx.slug, proc
    proc_id = psql("SELECT id FROM procedures WHERE code = '%s'" % proc)
    pages["procedure"] = get("/site/%s/%s" % (site_slug, proc_code))
    day = psql("SELECT min(day)::text FROM slot_days((SELECT id FROM sites WHERE slug = '%s'), %s, 60)"
               % (site_slug, proc_id))
    pages["procedure-day"] = get("/site/%s/%s?day=%s" % (site_slug, proc_code, day))
    slots = fx.slots(proc)
    pages["book-form"] = get(book_path(slots[0]))
    pages["book-errors"] = post_form(book_path(slots[0]), [("surname", ""), ("lang", "fr")])
    ident = new_identity("validity")
    _, answer = book(slots[0], ident)
    held = follow(answer)
    pages["booking-held"] = held
    _, confirmed = confirm(held, ident["email"])
    pages["booking-confirmed"] = confirmed
    pages["booking-cancel"] = get(link(confirmed, href=r"/cancel$").href)
    pages["booking-reschedule"] = get(link(confirmed, href=r"/reschedule$").href + "?day=" + day)
    pages["manage"] = get("/manage")
    pages["stats"] = get("/stats")
    pages["manage-errors"] = post_form("/manage", [("reference", "x"), ("birth_day", ""),
                                                   ("birth_month", ""), ("birth_year", "")])
    f = form(pages["booking-cancel"], action=r"/cancel$")
    pages["booking-cancelled"] = follow(f.submit({}))
finally:
    fx.drop()
pages["site-nothing"] = get("/site/sous-prefecture-l-hay-les-roses/premiere-demande-titre-sejour")
pages["error-404"] = get("/nowhere")
pages["error-400"] = get("/?a=%zz")
pages["error-405"] = request("DELETE", "/")

tmp = tempfile.mkdtemp(prefix="creneau-vnu-")
for name, r in pages.items():
    t.ok(r.header("content-type") == "text/html; charset=utf-8", "%s is text/html; charset=utf-8" % name)
    t.is_(wellformed(r.body), None, "%s is well-formed XML" % name)
    with open(os.path.join(tmp, name + ".html"), "wb") as f:
        f.write(r.body)

top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
jars = glob.glob(os.path.join(top, "node_modules", "vnu-jar", "build", "dist", "vnu.jar"))
t.ok(jars, "the Nu HTML checker is installed (npm ci)")
if jars:
    files = sorted(glob.glob(os.path.join(tmp, "*.html")))
    out = subprocess.run(["java", "-jar", jars[0], "--errors-only", "--format", "json", *files],
                         capture_output=True, text=True)
    try:
        messages = json.loads(out.stderr or out.stdout or '{"messages": []}')["messages"]
    except ValueError:
        messages = [{"type": "error", "url": "", "message": out.stderr[:500]}]
    for f in files:
        errs = [m for m in messages if m.get("type") == "error" and m.get("url", "").endswith("/" + os.path.basename(f))]
        if not t.ok(not errs, "Nu checker: no error in %s" % os.path.basename(f)):
            for m in errs[:10]:
                t.diag("line %s: %s" % (m.get("lastLine"), m.get("message")))
    stray = [m for m in messages if m.get("type") == "error" and not m.get("url")]
    t.ok(not stray, "Nu checker ran cleanly")
    for m in stray[:5]:
        t.diag(m.get("message"))
shutil.rmtree(tmp, ignore_errors=True)
t.done()
