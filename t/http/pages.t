#!/usr/bin/env python3
"""Request-level tests of the public pages through the real nginx, workers
and PostgreSQL: home, site pages, headers, error statuses, the language
form, and no personal data in the access log."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, get, post_form, psql, request, skip_all_unless_server, wellformed  # noqa: E402

skip_all_unless_server()
t = TAP()

# Home page.
r = get("/")
t.is_(r.status, 200, "GET / answers 200")
t.is_(r.header("content-type"), "text/html; charset=utf-8", "HTML with a charset")
csp = r.header("content-security-policy") or ""
t.ok("frame-ancestors 'none'" in csp and "default-src 'none'" in csp and "unsafe-inline" not in csp,
     "CSP forbids framing and inline script")
t.is_(r.header("x-content-type-options"), "nosniff", "nosniff")
t.ok(r.header("referrer-policy") in ("same-origin", "no-referrer", "strict-origin"), "Referrer-Policy set")
t.ok(r.header("cache-control") is not None, "Cache-Control set")
t.is_(wellformed(r.body), None, "home page is well-formed XML")
t.ok('lang="fr"' in r.text and 'xml:lang="fr"' in r.text, "home page is in French (lang, xml:lang)")
t.ok("rendez-vous" in r.text, "home page text comes from the French catalogue")
t.ok("<script" not in r.text, "no script on the page")
sites = [line.split("|") for line in psql("SELECT slug, name FROM sites ORDER BY slug").splitlines()]
t.ok(len(sites) >= 5, "demo data has sites (%d)" % len(sites))
for slug, name in sites:
    t.ok(name.replace("'", "&#39;") in r.text or name in r.text, "home lists %s" % name)
    t.ok('href="/site/%s"' % slug in r.text, "home links to /site/%s" % slug)

h = request("HEAD", "/")
t.is_((h.status, h.body), (200, b""), "HEAD / answers 200 with no body")
t.is_(h.header("content-type"), "text/html; charset=utf-8", "HEAD has GET's content type")

# Site pages, with times in the site's own time zone.
for slug, name in sites:
    r = get("/site/" + slug)
    t.is_(r.status, 200, "GET /site/%s answers 200" % slug)
    t.is_(wellformed(r.body), None, "/site/%s is well-formed" % slug)
    t.ok(name in r.text, "/site/%s names the site" % slug)
    procs = psql("SELECT p.name FROM site_procedures sp JOIN sites s ON s.id = sp.site_id "
                 "JOIN procedures p ON p.id = sp.procedure_id WHERE s.slug = '%s'" % slug).splitlines()
    t.ok(all(p in r.text for p in procs), "/site/%s lists its %d procedures" % (slug, len(procs)))
    first = psql("SELECT to_char(a.starts_at AT TIME ZONE s.time_zone, 'HH24:MI') "
                 "FROM available_slots a JOIN sites s ON s.id = a.site_id "
                 "JOIN procedures p ON p.id = a.procedure_id "
                 "WHERE s.slug = '%s' AND p.allocation_mode = 'open' "
                 "ORDER BY a.starts_at LIMIT 1" % slug)
    if first:
        t.ok(re.search(r"à %s" % re.escape(first), r.text) is not None,
             "/site/%s shows a first time of %s, local to the site" % (slug, first))
    alt = psql("SELECT alternative_route FROM sites WHERE slug = '%s'" % slug)
    t.ok(alt.split("\n")[0][:40] in r.text, "/site/%s shows the alternative route" % slug)

cayenne = psql("SELECT slug FROM sites WHERE time_zone = 'America/Cayenne' LIMIT 1")
t.ok(cayenne != "", "an overseas site with its own time zone exists")
r = get("/site/" + cayenne)
t.ok("America/Cayenne" in r.text, "the overseas site says its time zone")

agdref = psql("SELECT s.slug FROM site_procedures sp JOIN sites s ON s.id = sp.site_id "
              "JOIN procedures p ON p.id = sp.procedure_id WHERE p.requires_agdref LIMIT 1")
t.ok("AGDREF" in get("/site/" + agdref).text, "a renewal says the AGDREF number is needed")
empty = psql("SELECT s.slug FROM site_procedures sp JOIN sites s ON s.id = sp.site_id "
             "WHERE NOT EXISTS (SELECT 1 FROM available_slots a WHERE a.site_id = sp.site_id "
             "AND a.procedure_id = sp.procedure_id) LIMIT 1")
if empty:
    t.ok("Aucun rendez-vous" in get("/site/" + empty).text,
         "a procedure with nothing available says so, next to the alternative route")

# Not found, methods, malformed requests.
for path in ("/nowhere", "/site/no-such-site", "/site/Bad_Slug", "/site/", "/healthz/"):
    r = get(path)
    t.is_(r.status, 404, "GET %s answers 404" % path)
    t.is_(wellformed(r.body), None, "404 page for %s is well-formed" % path)
t.ok("Page introuvable" in get("/nowhere").text or "introuvable" in get("/nowhere").text,
     "404 page is in French")
r = request("DELETE", "/")
t.is_(r.status, 405, "DELETE / answers 405")
t.ok("GET" in (r.header("allow") or ""), "405 says which methods are allowed")
r = request("PUT", "/site/" + sites[0][0], body="x")
t.is_(r.status, 405, "PUT answers 405")
r = post_form("/", [("a", "1")])
t.is_(r.status, 405, "POST to a GET page answers 405")
t.is_(r.header("allow"), "GET, HEAD", "and Allow lists GET, HEAD")
for q, what in (("a=%zz", "malformed percent-encoding"), ("a=%", "truncated escape"),
                ("a=1&a=2", "duplicate parameter"), ("a=%FF", "invalid UTF-8"),
                ("a=%00", "encoded NUL"), ("a=1&&b", "empty pair")):
    r = get("/?" + q)
    t.is_(r.status, 400, "query with %s answers 400" % what)
    t.is_(wellformed(r.body), None, "400 page for %s is well-formed" % what)

# The language form: POST, 303, a cookie, only our own pages as targets.
r = post_form("/language", [("lang", "fr"), ("return", "/site/" + sites[0][0])])
t.is_(r.status, 303, "POST /language answers 303")
t.is_(r.header("location"), "/site/" + sites[0][0], "and goes back to the page")
t.ok((r.header("set-cookie") or "").startswith("lang=fr;"), "and remembers the language")
r = post_form("/language", [("lang", "fr"), ("return", "https://evil.example/")])
t.is_((r.status, r.header("location")), (303, "/"), "a foreign return address is replaced by /")
r = post_form("/language", [("lang", "xx")])
t.is_(r.status, 400, "a language not offered answers 400")
r = post_form("/language", [("lang", "fr"), ("lang", "fr")])
t.is_(r.status, 400, "a duplicate form field answers 400")
r = request("POST", "/language", body="lang=fr&return=%zz",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
t.is_(r.status, 400, "a malformed body answers 400")
r = request("POST", "/language", body="lang=fr", headers={"Content-Type": "text/plain"})
t.is_(r.status, 415, "a body that is not a form answers 415")
r = request("POST", "/language", body="lang=fr&x=" + "a" * 70000,
            headers={"Content-Type": "application/x-www-form-urlencoded"})
t.is_(r.status, 413, "a body over the limit answers 413")
r = request("POST", "/language", body="lang=fr&x=%C3%28",
            headers={"Content-Type": "application/x-www-form-urlencoded"})
t.is_(r.status, 400, "invalid UTF-8 in a body answers 400")
fields = "&".join("f%d=1" % i for i in range(200))
r = request("POST", "/language", body=fields, headers={"Content-Type": "application/x-www-form-urlencoded"})
t.is_(r.status, 400, "too many fields answers 400")

# Bad input never locks a person out: cookies set by other sites of the
# same domain (no '=', dozens of them, one of 4 KB) are ignored one by one,
# and a day the calendar does not have is ignored, with no incident.
flood = "; ".join(["orphan"] + ["t%d=%d" % (i, i) for i in range(65)] + ["big=" + "x" * 4096, "lang=en"])
r = get("/", headers={"Cookie": flood})
t.is_(r.status, 200, "a Cookie header with a bare word, 65 foreign cookies and a 4 KB one: 200")
t.ok('lang="en"' in r.text, "and creneau's own language cookie after them is still read")
r = get("/", headers={"Cookie": "; ".join("other%d=%s" % (i, "y" * 1000) for i in range(12))})
t.is_(r.status, 400, "a Cookie header larger than nginx takes (12 KB) answers 400")
t.ok("Effacez les cookies" in r.text and "Clear this site" in r.text,
     "with a page that says to clear the site's cookies, in French and English")
site_proc = psql("SELECT s.slug || '/' || p.code FROM site_procedures sp JOIN sites s ON s.id = sp.site_id "
                 "JOIN procedures p ON p.id = sp.procedure_id ORDER BY s.slug, p.code LIMIT 1")
log = os.path.join(os.environ["CRENEAU_VAR"], "log", "creneau-fcgi.log")
before = open(log, encoding="utf-8", errors="replace").read().count("incident")
for bad in ("2026-02-31", "2027-02-29", "2026-04-31"):
    r = get("/site/%s?day=%s" % (site_proc, bad))
    t.is_(r.status, 200, "a calendar asked for ?day=%s (no such day) answers 200" % bad)
after = open(log, encoding="utf-8", errors="replace").read().count("incident")
t.is_(after - before, 0, "and logs no incident")

# The access log carries no personal data: no query string, no address.
get("/?email=private.person%40example.fr&name=Secret")
log = os.path.join(os.environ["CRENEAU_VAR"], "log", "creneau-fcgi.log")
with open(log, encoding="utf-8", errors="replace") as f:
    text = f.read()
t.ok("GET home 200" in text, "the access log has a line per request")
t.ok("private.person" not in text and "Secret" not in text, "no query string in the access log")
t.ok("127.0.0.1" not in text, "no client address in the access log")

t.done()
