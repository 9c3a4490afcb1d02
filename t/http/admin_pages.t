#!/usr/bin/env python3
"""Administration pages (issue 12), through the real pages: an
administrator creates an agent for one site; the agent sets a password
with the one-time link (single use, expiring, only its sha256 stored),
logs in and sees only that site. Non-administrators get 403 on every
administration page, and the refusal is audited; POSTs without the CSRF
token or sent again are refused; a disabled account cannot log in and its
sessions end; a reset gives a new link; every change is in the audit
log."""

import os
import re
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, Fixture, error_summary, field_error, form, forms, get, letters,  # noqa: E402
                          post_form, psql, skip_all_unless_server, staff_add, staff_login, wellformed)

skip_all_unless_server()
t = TAP()
word = letters(8)
admin_email = "admin-%s@test.example" % word
other_email = "other-%s@test.example" % word
new_email = "new-agent-%s@test.example" % word
password = "correct horse %s" % word
LINK = re.compile(r"/agent/password/([A-Za-z0-9_-]{43})")


def as_(cookie, path):
    return get(path, headers={"Cookie": cookie})


def account_id(mail):
    return psql("SELECT id FROM staff_accounts WHERE email = '%s'" % mail)


def audit(action, mail=None, actor=None):
    where = "action = '%s'" % action
    if mail:
        where += " AND object = '%s'" % mail
    if actor:
        where += " AND account_id = %s" % account_id(actor)
    return int(psql("SELECT count(*) FROM audit_log WHERE " + where))


def link_of(page):
    m = LINK.search(page.text)
    return m.group(0) if m else None


try:
    t.is_(staff_add(admin_email, "administrator", "Admin Test", password=password).returncode, 0,
          "an administrator made with creneau-admin")
    t.is_(staff_add(other_email, "supervisor", "Other Test", "prefecture-rhone", password=password).returncode, 0,
          "and a supervisor of one site")
    admin = staff_login(admin_email, password)
    other = staff_login(other_email, password)
    t.ok(admin is not None and other is not None, "both log in")

    # The staff home links the administration pages for administrators only.
    t.ok('href="/agent/admin/staff"' in as_(admin, "/agent").text, "the administrator's home links the staff accounts page")
    t.ok("/agent/admin" not in as_(other, "/agent").text, "a supervisor's home does not")

    # Non-administrators: 403 everywhere, audited.
    before = audit("admin.refused", actor=other_email)
    for path in ("/agent/admin/staff", "/agent/admin/staff/%s" % account_id(admin_email)):
        t.is_(as_(other, path).status, 403, "a supervisor gets 403 on %s" % path)
    r = post_form("/agent/admin/staff", [("name", "X"), ("email", "x-%s@test.example" % word),
                                         ("role", "administrator")], headers={"Cookie": other})
    t.is_(r.status, 403, "and on a POST that would create an administrator")
    t.is_(psql("SELECT count(*) FROM staff_accounts WHERE email = 'x-%s@test.example'" % word), "0",
          "which creates nothing")
    t.is_(audit("admin.refused", actor=other_email) - before, 3, "each refusal is in the audit log")
    t.is_(get("/agent/admin/staff").status, 303, "without a session, the page sends to the login page")

    # The page and its form.
    page = as_(admin, "/agent/admin/staff")
    t.is_(page.status, 200, "the administrator opens the staff accounts page")
    t.is_(wellformed(page.body), None, "well-formed")
    t.ok("Other Test" in page.text and "Admin Test" in page.text, "it lists the accounts")
    f = form(page, action=r"^/agent/admin/staff$", has="email")
    t.ok(f is not None, "with a form to create an account")

    # Errors tied to fields, values kept.
    r = f.submit({"name": "", "email": "not an address", "role": "agent"}, headers={"Cookie": admin})
    t.is_(r.status, 200, "a wrong form comes back")
    inv, texts, missing = field_error(r, "email")
    t.ok(inv == "true" and texts and not missing, "the e-mail error is tied to its field (%r)" % (texts,))
    inv, texts, missing = field_error(r, "name")
    t.ok(inv == "true" and texts and not missing, "and the name's")
    t.ok('value="not an address"' in r.text, "what was typed is kept")
    f = form(r, action=r"^/agent/admin/staff$", has="email")
    r = f.submit({"name": "New Agent", "email": new_email, "role": "agent"}, headers={"Cookie": admin})
    t.ok(r.status == 200 and len(error_summary(r)) == 1 and account_id(new_email) == "",
         "an agent without a site is refused (%r)" % (error_summary(r),))

    # CSRF-less POST.
    f = form(r, action=r"^/agent/admin/staff$", has="email")
    pairs = [(k, v) for k, v in f.fill({"name": "New Agent", "email": new_email, "role": "agent",
                                        "site-prefecture-val-de-marne": True}) if k != "csrf"]
    r = post_form("/agent/admin/staff", pairs, headers={"Cookie": admin})
    t.is_(r.status, 403, "a POST without the CSRF token is refused")
    t.is_(account_id(new_email), "", "and creates nothing")

    # The creation, and its one-time link.
    pairs = f.fill({"name": "New Agent", "email": new_email, "role": "agent", "site-prefecture-val-de-marne": True})
    r = post_form("/agent/admin/staff", pairs, headers={"Cookie": admin})
    t.is_(r.status, 200, "the administrator creates an agent of the Val-de-Marne")
    link = link_of(r)
    t.ok(link is not None, "the answer shows the one-time link (%s)" % (link and link[:20]))
    nid = account_id(new_email)
    t.ok(nid != "", "the account exists")
    t.is_(psql("SELECT string_agg(s.slug, ' ') FROM staff_sites ss JOIN sites s ON s.id = ss.site_id "
               "WHERE ss.account_id = %s" % nid), "prefecture-val-de-marne", "for that one site")
    t.is_(psql("SELECT role || ' ' || (password_hash IS NULL) FROM staff_accounts WHERE id = %s" % nid),
          "agent true", "as an agent without a password yet")
    tok = LINK.search(link).group(1) if link else "x"
    t.is_(psql("SELECT count(*) FROM staff_access_links WHERE account_id = %s "
               "AND token_hash = sha256(convert_to('%s', 'UTF8')) AND expires_at > now() + interval '1 hour'"
               % (nid, tok)), "1", "the link is stored as its sha256, expiring")
    t.is_(psql("SELECT count(*) FROM staff_access_links WHERE encode(token_hash, 'escape') LIKE '%%%s%%'" % tok[:20]),
          "0", "never in clear")
    t.is_(audit("staff.created", new_email, admin_email), 1, "the creation is audited under the administrator")

    # The same POST again (a replay, the back button): refused.
    r = post_form("/agent/admin/staff", pairs, headers={"Cookie": admin})
    t.is_(r.status, 409, "the same POST sent again is refused")
    t.is_(psql("SELECT count(*) FROM staff_access_links WHERE account_id = %s" % nid), "1", "and makes no second link")

    t.ok(staff_login(new_email, "") is None and staff_login(new_email, "anything at all") is None,
         "the account cannot log in before its password is set")

    # The agent opens the link.
    r = get(link)
    t.is_(r.status, 200, "the link opens the password page")
    t.is_(wellformed(r.body), None, "well-formed")
    pf = form(r, has="password")
    r = pf.submit({"password": "short", "password2": "short"})
    inv, texts, missing = field_error(r, "password")
    t.ok(r.status == 200 and inv == "true" and texts, "a short password is refused at its field")
    pf = form(r, has="password")
    r = pf.submit({"password": password + "!", "password2": password + "?"})
    inv, texts, missing = field_error(r, "password2")
    t.ok(r.status == 200 and inv == "true" and texts, "two different passwords are refused")
    pf = form(r, has="password")
    r = pf.submit({"password": password, "password2": password})
    t.is_((r.status, r.header("location")), (303, "/agent/login?m=set"), "the password is set, then the login page")
    t.ok(psql("SELECT password_hash LIKE '$argon2id$%%' FROM staff_accounts WHERE id = %s" % nid) == "t",
         "stored as an argon2id hash")
    t.is_(audit("staff.password_set", new_email), 1, "audited")
    t.ok(get(link).status in (404, 410), "the link works once only")
    r = pf.submit({"password": "another password here", "password2": "another password here"})
    t.ok(r.status in (404, 410), "a second POST to the link is refused")

    # The agent logs in and sees only that site.
    agent = staff_login(new_email, password)
    t.ok(agent is not None, "the new agent logs in with the password")
    home = as_(agent, "/agent")
    t.ok("Val-de-Marne" in home.text and "Rhône" not in home.text, "and sees only the Val-de-Marne")
    t.is_(as_(agent, "/agent/site/prefecture-val-de-marne/agenda").status, 200, "opens its agenda")
    t.is_(as_(agent, "/agent/site/prefecture-rhone/agenda").status, 403, "not the Rhône's")
    t.is_(as_(agent, "/agent/admin/staff").status, 403, "nor the administration pages")

    # The account page: disable.
    acct = "/agent/admin/staff/%s" % nid
    page = as_(admin, acct)
    t.is_(page.status, 200, "the account page opens")
    t.is_(wellformed(page.body), None, "well-formed")
    fs = [x for x in forms(page, action=re.escape(acct) + "$") if x.get("action") == "disable"]
    t.ok(fs, "with a form to disable it")
    r = fs[0].submit(headers={"Cookie": admin})
    t.is_(r.status, 303, "disabling answers 303")
    t.is_(as_(agent, "/agent").status, 303, "the agent's session has ended")
    t.ok(staff_login(new_email, password) is None, "and the agent can no longer log in")
    t.is_(audit("staff.disabled", new_email, admin_email), 1, "audited")
    r = fs[0].submit(headers={"Cookie": admin})
    t.is_(r.status, 409, "the same disabling POST sent again is refused")

    # Enable and reset: a new link, the old password no longer works.
    page = as_(admin, acct)
    fs = [x for x in forms(page, action=re.escape(acct) + "$") if x.get("action") == "enable"]
    t.ok(fs and fs[0].submit(headers={"Cookie": admin}).status == 303, "the account is enabled again")
    agent = staff_login(new_email, password)
    t.ok(agent is not None, "and logs in")
    page = as_(admin, acct)
    fs = [x for x in forms(page, action=re.escape(acct) + "$") if x.get("action") == "reset"]
    r = fs[0].submit(headers={"Cookie": admin}) if fs else None
    link2 = r is not None and link_of(r)
    t.ok(r is not None and r.status == 200 and link2 and link2 != link, "a reset shows a new one-time link")
    t.is_(as_(agent, "/agent").status, 303, "ends the agent's sessions")
    t.ok(staff_login(new_email, password) is None, "and the old password no longer works")
    t.is_(audit("staff.reset", new_email, admin_email), 1, "audited")
    psql("UPDATE staff_access_links SET expires_at = now() - interval '1 second' "
         "WHERE account_id = %s AND used_at IS NULL" % nid)
    t.ok(link2 and get(link2).status in (404, 410), "an expired link no longer opens")

    # Role and sites.
    page = as_(admin, acct)
    fs = [x for x in forms(page, action=re.escape(acct) + "$") if x.get("action") == "scope"]
    t.ok(fs, "a form changes the role and sites")
    r = fs[0].submit({"role": "supervisor", "site-prefecture-val-de-marne": False, "site-prefecture-rhone": True}, headers={"Cookie": admin}) if fs else None
    t.ok(r is not None and r.status == 303, "the agent becomes a supervisor of the Rhône")
    t.is_(psql("SELECT a.role || ' ' || string_agg(s.slug, ' ') FROM staff_accounts a "
               "JOIN staff_sites ss ON ss.account_id = a.id JOIN sites s ON s.id = ss.site_id "
               "WHERE a.id = %s GROUP BY a.role" % nid), "supervisor prefecture-rhone", "as the database says")
    t.is_(audit("staff.scope", new_email, admin_email), 1, "audited")
    page = as_(admin, "/agent/admin/staff/%s" % account_id(admin_email))
    fs = [x for x in forms(page) if x.get("action") == "disable"]
    r = fs[0].submit(headers={"Cookie": admin}) if fs else None
    t.ok(r is None or r.status != 303, "an administrator cannot disable their own account")
    t.ok(as_(admin, "/agent").status == 200, "and stays logged in")

    # Procedures and their documents.
    fx = Fixture("adm")
    code = fx.procedure("docs", slots=1)
    ppath = "/agent/admin/procedures/%s" % code
    t.is_(as_(other, "/agent/admin/procedures").status, 403, "a supervisor gets 403 on the procedures")
    t.is_(as_(other, ppath).status, 403, "and on a procedure's page")
    page = as_(admin, "/agent/admin/procedures")
    t.ok(page.status == 200 and ppath in page.text, "the administrator's list links the procedure")
    page = as_(admin, ppath)
    t.is_(wellformed(page.body), None, "its page is well-formed")
    pf = form(page, has="documents")
    t.ok(pf is not None and pf.get("documents") == "Passeport\nJustificatif de domicile",
         "its form shows the documents one a line (%r)" % (pf and pf.get("documents")))
    r = pf.submit({"duration_minutes": "600", "documents": "Passeport\n" + "x" * 201}, headers={"Cookie": admin})
    t.ok(r.status == 200 and field_error(r, "duration_minutes")[0] == "true" and
         field_error(r, "documents")[0] == "true", "a length over 480 and a 201-character line are refused at their fields")
    t.ok("x" * 201 in r.text, "the documents typed are kept")
    pf = form(r, has="documents")
    pairs = pf.fill({"duration_minutes": "45",
                     "documents": "Passeport en cours de validité\r\n\r\nTrois photographies d'identité\r\n"})
    r = post_form(ppath, pairs, headers={"Cookie": admin})
    t.is_((r.status, r.header("location")), (303, ppath + "?m=saved"), "the administrator saves the procedure")
    t.is_(psql("SELECT duration_minutes || ' ' || array_to_string(documents, '|') FROM procedures WHERE code = '%s'"
               % code), "45 Passeport en cours de validité|Trois photographies d'identité",
          "its length and documents are changed, empty lines dropped")
    site_page = get("/site/%s" % fx.slug)
    t.ok("Trois photographies" in site_page.text, "the public site page lists the new documents")
    t.is_(audit("procedure.changed", code, admin_email), 1, "the change is audited")
    t.is_(post_form(ppath, pairs, headers={"Cookie": admin}).status, 409, "the same POST sent again is refused")
    r = post_form(ppath, [(k, v) for k, v in pairs if k != "csrf"], headers={"Cookie": admin})
    t.is_(r.status, 403, "a POST without the CSRF token is refused")
    t.is_(audit("procedure.changed", code, admin_email), 1, "and neither changes anything")

    # Sites: address, phone, other ways, procedures offered.
    spath = "/agent/admin/sites/%s" % fx.slug
    t.is_(as_(other, "/agent/admin/sites").status, 403, "a supervisor gets 403 on the sites")
    t.is_(as_(other, spath).status, 403, "and on a site's page")
    page = as_(admin, "/agent/admin/sites")
    t.ok(page.status == 200 and spath in page.text, "the administrator's list links the site")
    page = as_(admin, spath)
    t.is_(wellformed(page.body), None, "its page is well-formed")
    sf = form(page, has="alternative_route")
    t.ok(sf is not None and sf.get("procedure-" + code) == "yes", "its form ticks the procedure it offers")
    r = sf.submit({"postal_code": "9400", "phone": "call us"}, headers={"Cookie": admin})
    t.ok(r.status == 200 and field_error(r, "postal_code")[0] == "true" and field_error(r, "phone")[0] == "true",
         "a wrong postal code and phone are refused at their fields")
    sf = form(r, has="alternative_route")
    r = sf.submit({"postal_code": "94000", "phone": "01 49 56 60 00", "procedure-" + code: False},
                  headers={"Cookie": admin})
    t.ok(r.status == 200 and len(error_summary(r)) == 1 and 'href="#procedure"' in r.text,
         "a procedure with slots at the site cannot be withdrawn (%r)" % (error_summary(r),))
    t.is_(psql("SELECT count(*) FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id "
               "WHERE p.code = '%s'" % code), "1", "it stays offered")
    sf = form(r, has="alternative_route")
    route = "Sans internet : appelez le 01 49 56 60 00 du lundi au vendredi, %s." % word
    r = sf.submit({"postal_code": "94000", "phone": "01 49 56 60 00", "alternative_route": route,
                   "procedure-" + code: True},
                  headers={"Cookie": admin})
    t.is_((r.status, r.header("location")), (303, spath + "?m=saved"), "the administrator saves the site")
    t.ok(route in get("/site/%s" % fx.slug).text, "the public site page shows the new way to an appointment")
    t.is_(audit("site.changed", fx.slug, admin_email), 1, "the change is audited")
    psql("BEGIN; ALTER TABLE audit_log DISABLE TRIGGER audit_log_no_update;"
         "DELETE FROM audit_log WHERE site_id = (SELECT id FROM sites WHERE slug = '%s');"
         "ALTER TABLE audit_log ENABLE TRIGGER audit_log_no_update; COMMIT" % fx.slug)
    fx.drop()
finally:
    psql("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email LIKE '%%%s%%')" % word)
t.done()
