#!/usr/bin/env python3
"""t/http/validity.t for the other languages: every page a person can
reach (home, each site, every state of the booking flow, /manage, the
error pages, the accessibility statement once it exists), asked for in
English and in Arabic (?lang= on a GET, the lang cookie on a POST), and
every staff page (logged out, as a supervisor of the fixture site and as
a mediator, their rows made by t/a11y/flow.py) in French, English and
Arabic, is well-formed XML, says its language and direction on <html>,
and passes the Nu HTML checker with no error."""

import glob
import json
import os
import shutil
import subprocess
import sys
import tempfile
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (book_path, TAP, Fixture, book, confirm, error_summary, follow, form, get, link,  # noqa: E402
                          login_cookie, new_identity, parse, post_form, psql, request, skip_all_unless_server, wellformed)
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import flow  # noqa: E402  (t/a11y/flow.py: the staff's accounts and rows)

skip_all_unless_server()
t = TAP()
t.catch_exceptions()

LANGS = ("en", "ar")
STAFF_LANGS = ("fr", "en", "ar")
RTL = {"ar"}


def with_lang(path, lang):
    """path with lang=xx set in its query string."""
    u = urllib.parse.urlsplit(path)
    q = [(k, v) for k, v in urllib.parse.parse_qsl(u.query, keep_blank_values=True) if k != "lang"]
    q.append(("lang", lang))
    return u.path + "?" + urllib.parse.urlencode(q)


def cookie(lang, session=None):
    """The headers of a request in lang, with a staff session (a Cookie
    value "name=value") when given."""
    return {"Cookie": "lang=" + lang + ("; " + session if session else ""), "Accept-Language": lang}


def staff_pages(staff, lang):
    """Every staff page in lang: logged out, as the supervisor (staff
    cookie), as the mediator; the forms sent back with errors (empty),
    and a search with results. Returns {name: Response}."""
    out = {}
    cs, cm = staff["staff_cookie"], staff["mediator_cookie"]
    a, m = staff["agent"], staff["mediator"]
    out["agent-login"] = get(with_lang("/agent/login", lang), headers=cookie(lang))
    f = form(out["agent-login"], action=r"^/agent/login$")
    h = cookie(lang)
    h["Cookie"] += "; " + login_cookie(out["agent-login"]).get("Cookie", "")
    out["agent-login-errors"] = f.submit({"email": "", "password": ""}, headers=h)
    for name, p in a.items():
        out["agent-" + name.replace("_", "-")] = get(with_lang(p, lang), headers=cookie(lang, cs))
    for name, p in m.items():
        out["mediator-" + name] = get(with_lang(p, lang), headers=cookie(lang, cm))
    out["mediator-staff-home"] = get(with_lang("/agent", lang), headers=cookie(lang, cm))
    # Forms sent back: empty (errors), and the search with a surname.
    for name, key, action, who in (("agent-checkin-errors", "checkin", r"/checkin$", cs),
                                   ("agent-search-errors", "search", r"/search$", cs),
                                   ("agent-court-errors", "court", r"/court$", cs),
                                   ("agent-phone-book-errors", "phone-book", r"/phone/", cs)):
        f = form(out["agent-" + key], action=action)
        out[name] = f.submit({}, headers=cookie(lang, who))
    f = form(out["agent-search"], action=r"/search$")
    out["agent-search-results"] = f.submit({"surname": staff["desk_surname"]}, headers=cookie(lang, cs))
    f = form(out["mediator-book"], action=r"^/agent/mediator/slot/", has="surname")
    out["mediator-book-errors"] = f.submit({}, headers=cookie(lang, cm))
    # Administration pages (issue 12): as the administrator; the one-time
    # link's page without a session; their forms sent back empty.
    ca = staff["admin_cookie"]
    for name, p in staff["admin"].items():
        out["admin-" + name] = get(with_lang(p, lang), headers=cookie(lang, None if name == "password" else ca))
    f = form(out["admin-staff"], action=r"^/agent/admin/staff$", has="email")
    out["admin-staff-errors"] = f.submit({}, headers=cookie(lang, ca))
    f = form(out["admin-account"], has="role")
    out["admin-account-errors"] = f.submit({"role": None}, headers=cookie(lang, ca))
    f = form(out["admin-procedure"], has="documents")
    out["admin-procedure-errors"] = f.submit({"name": "", "duration_minutes": "0"}, headers=cookie(lang, ca))
    f = form(out["admin-site"], has="alternative_route")
    out["admin-site-errors"] = f.submit({"address": "", "postal_code": "x"}, headers=cookie(lang, ca))
    f = form(out["admin-password"], has="password")
    out["admin-password-errors"] = f.submit({}, headers=cookie(lang))
    return out


# GET paths, the same in every language.
paths = {"home": "/"}
for slug in psql("SELECT slug FROM sites WHERE slug NOT LIKE 'test-%' ORDER BY slug").splitlines():
    paths["site-" + slug] = "/site/" + slug
paths["site-nothing"] = "/site/sous-prefecture-l-hay-les-roses/premiere-demande-titre-sejour"
paths["manage"] = "/manage"
paths["stats"] = "/stats"
paths["error-404"] = "/nowhere"
has_statement = get("/accessibilite").status != 404
if has_statement:
    paths["accessibility-statement"] = "/accessibilite"

pages = {}      # "lang-name" -> Response
fx = Fixture("valangs")
try:
    proc = fx.procedure("open", slots=4, capacity=1)
    proc_id = psql("SELECT id FROM procedures WHERE code = '%s'" % proc)
    day = psql("SELECT min(day)::text FROM slot_days((SELECT id FROM sites WHERE slug = '%s'), %s, 60)"
               % (fx.slug, proc_id))
    slots = fx.slots(proc)
    paths["site-fixture"] = "/site/" + fx.slug
    paths["procedure"] = "/site/%s/%s" % (fx.slug, proc)
    paths["procedure-day"] = "/site/%s/%s?day=%s" % (fx.slug, proc, day)
    paths["book-form"] = book_path(slots[2])
    # A held booking, and a confirmed one (then cancelled, at the end).
    _, answer = book(slots[0], new_identity("valangs-held"))
    paths["booking-held"] = follow(answer).url
    ident = new_identity("valangs")
    _, answer = book(slots[1], ident)
    _, confirmed = confirm(follow(answer), ident["email"])
    t.ok(confirmed is not None and confirmed.status == 200, "a booking is made and confirmed")
    paths["booking-confirmed"] = confirmed.url
    paths["booking-cancel"] = link(confirmed, href=r"/cancel$").url
    paths["booking-reschedule"] = link(confirmed, href=r"/reschedule$").url + "?day=" + day

    for lang in LANGS:
        for name, p in paths.items():
            pages["%s-%s" % (lang, name)] = get(with_lang(p, lang), headers=cookie(lang))
        # Forms sent back with errors, in the language of the cookie.
        pages[lang + "-book-errors"] = post_form(paths["book-form"], [("surname", ""), ("lang", lang)],
                                                 headers=cookie(lang))
        pages[lang + "-manage-errors"] = post_form("/manage", [("reference", "x"), ("birth_day", ""),
                                                               ("birth_month", ""), ("birth_year", "")],
                                                   headers=cookie(lang))
        pages[lang + "-error-400"] = get("/?a=%zz&lang=" + lang, headers=cookie(lang))
        pages[lang + "-error-405"] = request("DELETE", "/?lang=" + lang, headers=cookie(lang))
    # The staff pages, in every language (French too: t/http/validity.t
    # knows only the public pages).
    staff = flow.staff_setup(fx, proc)
    for lang in STAFF_LANGS:
        for name, r in staff_pages(staff, lang).items():
            t.is_(r.status, 200, "%s-%s answers 200" % (lang, name))
            if name.endswith("-errors"):
                t.ok(error_summary(r), "%s-%s shows its error summary" % (lang, name))
            pages["%s-%s" % (lang, name)] = r
        t.ok(staff["desk_surname"] in pages[lang + "-agent-search-results"].text,
             "%s-agent-search-results lists the booking" % lang)
    f = form(get(paths["booking-cancel"]), action=r"/cancel$")
    follow(f.submit({}))
    for lang in LANGS:
        pages[lang + "-booking-cancelled"] = get(with_lang(paths["booking-confirmed"], lang), headers=cookie(lang))
finally:
    flow.drop(fx.slug)

if not has_statement:
    t.diag("/accessibilite answers 404: the accessibility statement is not checked yet")

tmp = tempfile.mkdtemp(prefix="creneau-vnu-langs-")
for name, r in sorted(pages.items()):
    lang = name.split("-", 1)[0]
    # A printout speaks the person's language, whatever the page's
    # (issue 12): the counter's booking is Arabic, the mediator's French.
    if name.endswith("-agent-booking-print"):
        lang = "ar"
    elif name.endswith("-mediator-print"):
        lang = "fr"
    # The nightly report is written in the prefecture's language.
    elif name.endswith("-agent-report"):
        lang = "fr"
    t.ok(r.header("content-type") == "text/html; charset=utf-8", "%s is text/html; charset=utf-8" % name)
    t.is_(wellformed(r.body), None, "%s is well-formed XML" % name)
    html = parse(r).find("html")
    got = (html.get("lang"), html.get("xml:lang"), html.get("dir")) if html is not None else None
    t.is_(got, (lang, lang, "rtl" if lang in RTL else "ltr"),
          "%s: <html> has lang, xml:lang %s and dir %s" % (name, lang, "rtl" if lang in RTL else "ltr"))
    with open(os.path.join(tmp, name + ".html"), "wb") as fh:
        fh.write(r.body)

top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(__file__), "..", ".."))
jars = glob.glob(os.path.join(top, "node_modules", "vnu-jar", "build", "dist", "vnu.jar"))
t.ok(jars, "the Nu HTML checker is installed (npm ci)")
if jars:
    files = sorted(glob.glob(os.path.join(tmp, "*.html")))
    # The checker runs on batches of pages, each with its own generous
    # limit (a safety net: a slow machine makes it slower, not failing;
    # only a batch that never ends fails, with its pages named).
    messages = []
    batch = 40
    for i in range(0, len(files), batch):
        part = files[i:i + batch]
        try:
            out = subprocess.run(["java", "-jar", jars[0], "--errors-only", "--format", "json", *part],
                                 capture_output=True, text=True, timeout=900)
        except subprocess.TimeoutExpired:
            messages.append({"type": "error", "url": "", "message": "the Nu checker did not end within 900 s on "
                             + " ".join(os.path.basename(f) for f in part)})
            continue
        try:
            messages += json.loads(out.stderr or out.stdout or '{"messages": []}')["messages"]
        except ValueError:
            messages.append({"type": "error", "url": "", "message": out.stderr[:500]})
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
