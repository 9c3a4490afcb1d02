#!/usr/bin/env python3
"""Staff login, sessions and their protections, through the real pages:
argon2id passwords, a __Host- cookie (Secure, HttpOnly, SameSite=Strict)
renewed at each login, 30-minute idle and 12-hour limits enforced on the
server, logout that ends the session on the server, CSRF refusal, login
throttling per account and per address, an append-only audit log."""

import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (TAP, by_id, form, get, letters, login_cookie, post_form, psql,  # noqa: E402
                          skip_all_unless_server, wellformed)

skip_all_unless_server()
t = TAP()
COOKIE = "__Host-creneau-staff"
word = letters(8)
email = "agent-%s@test.example" % word
password = "correct horse %s" % word
admin = os.path.join(os.environ.get("top_builddir", "."), "creneau-admin")


def staff_add(mail, role, name, *rest, pw=password):
    return subprocess.run([admin, "-c", os.environ["CRENEAU_CONF"], "staff-add", mail, role, name, *rest],
                          input=pw + "\n", capture_output=True, text=True)


def login(mail, pw):
    page = get("/agent/login")
    f = form(page, action=r"^/agent/login$")
    return f.submit({"email": mail, "password": pw}, headers=login_cookie(page))


def cookie_of(resp):
    m = re.match(r"%s=([^;]*)" % re.escape(COOKIE), resp.header("set-cookie") or "")
    return m.group(1) if m else None


def home(tok):
    return get("/agent", headers={"Cookie": "%s=%s" % (COOKIE, tok)})


try:
    r = staff_add(email, "agent", "Agent Test", "prefecture-rhone")
    t.is_(r.returncode, 0, "creneau-admin staff-add creates an agent (%s)" % r.stderr.strip())
    t.ok(staff_add("short-" + email, "agent", "X", pw="tooshort").returncode != 0,
         "a password under 12 characters is refused")
    t.ok(psql("SELECT password_hash LIKE '$argon2id$%%' FROM staff_accounts WHERE email = '%s'" % email) == "t",
         "the password is stored as an argon2id hash")

    r = get("/agent")
    t.is_((r.status, r.header("location")), (303, "/agent/login"), "without a session, /agent goes to the login page")
    page = get("/agent/login")
    t.is_(page.status, 200, "the login page answers")
    t.is_(wellformed(page.body), None, "and is well-formed")
    t.ok(by_id(page, "password-error") is None and by_id(page, "email-error") is None,
         "a first load shows no error message under any field (issue 12)")

    r = login(email, "wrong password here")
    t.is_(r.status, 200, "a wrong password re-renders the form")
    t.ok("ne correspondent" in r.text or "do not match" in r.text, "with a message")
    t.ok(cookie_of(r) is None, "and no session")

    r = login(email, password)
    t.is_((r.status, r.header("location")), (303, "/agent"), "the right password answers 303 to /agent")
    sc = r.header("set-cookie") or ""
    t.ok(sc.startswith(COOKIE + "=") and "Secure" in sc and "HttpOnly" in sc and
         "SameSite=Strict" in sc and "Path=/" in sc and "Domain" not in sc,
         "the session cookie is __Host-, Secure, HttpOnly, SameSite=Strict")
    tok = cookie_of(r)
    h = home(tok)
    t.is_(h.status, 200, "the session opens /agent")
    t.ok("Agent Test" in h.text and "Préfecture du Rhône" in h.text, "which names the agent and their site")
    t.ok("Val-de-Marne" not in h.text, "and no other site")
    t.is_(h.header("cache-control"), "no-store", "staff pages are not cached")
    t.ok(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
              "WHERE s.email = '%s' AND a.action = 'login'" % email) == "1", "the login is in the audit log")

    tok2 = cookie_of(login(email, password))
    t.ok(tok2 is not None and tok2 != tok, "each login gives a new session (no fixation)")
    t.is_(home("A" * 43).status, 303, "a forged session token is refused")

    # Logout: CSRF first, then the session ends on the server.
    csrf = form(home(tok2), action=r"^/agent/logout$").field("csrf").value
    r = post_form("/agent/logout", [("csrf", "x" * 43)], headers={"Cookie": "%s=%s" % (COOKIE, tok2)})
    t.is_(r.status, 403, "logout with a wrong CSRF token is refused")
    r = post_form("/agent/logout", [], headers={"Cookie": "%s=%s" % (COOKIE, tok2)})
    t.is_(r.status, 403, "logout without a CSRF token is refused")
    t.is_(home(tok2).status, 200, "and the session is still open")
    r = post_form("/agent/logout", [("csrf", csrf)], headers={"Cookie": "%s=%s" % (COOKIE, tok2)})
    t.is_((r.status, r.header("location")), (303, "/agent/login?m=out"), "logout answers 303")
    t.ok("Max-Age=0" in (r.header("set-cookie") or ""), "and clears the cookie")
    t.is_(home(tok2).status, 303, "the old cookie no longer opens anything: ended on the server")

    # Idle timeout (30 minutes) and lifetime (12 hours), checked by the server.
    psql("UPDATE staff_sessions SET last_seen_at = now() - interval '31 minutes' "
         "WHERE token_hash = sha256(convert_to('%s', 'UTF8'))" % tok)
    t.is_(home(tok).status, 303, "a session idle for 31 minutes has expired")
    tok3 = cookie_of(login(email, password))
    psql("UPDATE staff_sessions SET created_at = now() - interval '13 hours', "
         "expires_at = now() - interval '1 hour' WHERE token_hash = sha256(convert_to('%s', 'UTF8'))" % tok3)
    t.is_(home(tok3).status, 303, "a session past its 12 hours has expired, however active")
    t.ok(psql("SELECT bool_and(s.expires_at - s.created_at <= interval '12 hours') FROM staff_sessions s "
              "JOIN staff_accounts a ON a.id = s.account_id WHERE a.email = '%s'" % email) == "t",
         "sessions are opened for 12 hours at most")

    # Throttling per (account, address), for a browser that never logged in:
    # 5 failures, then a growing wait even for the right password
    # (t/http/access_abuse.t: the agent's own browser and other addresses).
    psql("DELETE FROM access_throttle")
    for i in range(5):
        r = login(email, "wrong password %d" % i)
    t.ok("Patientez" in r.text or "Wait" in r.text or "tentatives" in r.text,
         "after 5 failures from one address, the account must wait there")
    r = login(email, password)
    t.is_(r.status, 200, "during the wait even the right password is refused")
    t.ok(cookie_of(r) is None, "and opens no session")
    w1 = psql("SELECT extract(epoch FROM locked_until - now())::int FROM access_throttle "
              "WHERE key LIKE 'login_pair:%s %%'" % email)
    login(email, "wrong again")
    psql("UPDATE access_throttle SET locked_until = now() WHERE key LIKE 'login_pair:%s %%'" % email)
    login(email, "wrong once more")
    w2 = psql("SELECT extract(epoch FROM locked_until - now())::int FROM access_throttle "
              "WHERE key LIKE 'login_pair:%s %%'" % email)
    t.ok(int(w2) > int(w1), "the wait grows with each failure (%ss, then %ss)" % (w1, w2))
    t.ok(psql("SELECT count(*) FROM audit_log a JOIN staff_accounts s ON s.id = a.account_id "
              "WHERE s.email = '%s' AND a.action = 'login.failed'" % email) != "0",
         "failures are in the audit log")

    # Throttling per address: many accounts tried from one address.
    psql("DELETE FROM access_throttle")
    for i in range(31):
        r = login("nobody-%d-%s@test.example" % (i, word), "guessing passwords")
    r = login(email, password)
    t.ok(cookie_of(r) is None and ("Patientez" in r.text or "Wait" in r.text),
         "after 30 failures from one address, that address must wait")
    t.ok(psql("SELECT count(*) FROM access_throttle WHERE key LIKE 'login_address:%' AND key NOT LIKE '%127.0.0.1%'") == "1",
         "the address is counted under a keyed digest, not stored")
    psql("DELETE FROM access_throttle")
    t.ok(cookie_of(login(email, password)) is not None, "once the wait is over, the right password works")

    # The audit log is append-only.
    r = subprocess.run(["psql", "-X", "-q", "-c", "UPDATE audit_log SET action = 'x'"], capture_output=True, text=True)
    t.ok(r.returncode != 0 and "append-only" in r.stderr, "the audit log refuses UPDATE")
    r = subprocess.run(["psql", "-X", "-q", "-c", "DELETE FROM audit_log"], capture_output=True, text=True)
    t.ok(r.returncode != 0, "and DELETE")
finally:
    psql("DELETE FROM access_throttle")
    psql("DELETE FROM staff_sessions WHERE account_id IN (SELECT id FROM staff_accounts WHERE email LIKE '%%%s%%')" % word)
    psql("DELETE FROM staff_sites WHERE account_id IN (SELECT id FROM staff_accounts WHERE email LIKE '%%%s%%')" % word)
t.done()
