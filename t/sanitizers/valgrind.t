#!/usr/bin/env python3
"""One creneau-fcgi worker under valgrind's memcheck (issue 13): a
supervisor with a single worker, on a FastCGI socket of its own beside the
test state's (same configuration otherwise), answers a few hundred varied
requests sent straight over FastCGI (public pages in three languages,
calendars, the booking form and bad POSTs to it, staff pages seen
anonymously, errors: bad cookies, bad Accept-Language, impossible dates,
overlong and malformed targets, unknown methods and content types) and
every staff page of t/a11y/flow.py's fixture (a site with bookings in
every state, logged in as its supervisor, as a mediator and as an
administrator: agenda, check-in, search and its results, rules,
closures, publication, draws, court orders, abuse review, audit, phone
bookings, reports, mediator pages, administration). Then
it stops (TERM) and valgrind checks the worker and the supervisor as they
leave: any memory error or any definitely or indirectly lost block fails.
Run twice, with N and 4N requests: what is still reachable at the
worker's exit must not grow with the number of requests (a per-request
leak into something still referenced).
   CRENEAU_VALGRIND_ROUNDS  rounds of the request mix for N (default 3)
   CRENEAU_VALGRIND_ARGS    more valgrind options (e.g. --show-leak-kinds=all
                            to see what is still reachable)"""

import json
import os
import re
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import TAP, Response, forms, links, skip_all_unless_server  # noqa: E402

skip_all_unless_server()
if shutil.which("valgrind") is None:
    print("1..0 # SKIP valgrind is missing (apt-get install valgrind)")
    sys.exit(0)

t = TAP()
t.catch_exceptions()
TOP = os.environ.get("top_srcdir") or os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("top_builddir") or TOP
ROUNDS = int(os.environ.get("CRENEAU_VALGRIND_ROUNDS", "3"))
VAR = os.environ["CRENEAU_VAR"]
DIR = os.path.join(VAR, "valgrind")
RUN = os.path.join(os.path.realpath(os.path.join(VAR, "run")), "vg")
AS_ROOT = os.getuid() == 0


# --- a FastCGI client (responder role, one request a connection) ------------

def _record(kind, content, rid=1):
    pad = (8 - len(content) % 8) % 8
    return struct.pack(">BBHHBB", 1, kind, rid, len(content), pad, 0) + content + b"\0" * pad


def _pair(name, value):
    out = b""
    for n in (len(name), len(value)):
        out += struct.pack(">B", n) if n < 128 else struct.pack(">I", n | 0x80000000)
    return out + name + value


def fcgi(sock_path, method, target, body=b"", headers=None, timeout=60):
    """Sends one request as nginx's fastcgi_params would describe it;
    returns a Response (status from the Status header, 200 without)."""
    path, _, query = target.partition("?")
    params = {
        "REQUEST_METHOD": method, "REQUEST_URI": target, "DOCUMENT_URI": path,
        "SCRIPT_NAME": path, "QUERY_STRING": query, "SERVER_PROTOCOL": "HTTP/1.1",
        "REQUEST_SCHEME": "http", "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
        "SERVER_ADDR": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "REMOTE_PORT": "40000",
        "GATEWAY_INTERFACE": "CGI/1.1", "HTTP_HOST": "127.0.0.1",
        "CONTENT_LENGTH": str(len(body)) if body else "",
        "CONTENT_TYPE": "",
    }
    for k, v in (headers or {}).items():
        if k.lower() == "content-type":
            params["CONTENT_TYPE"] = v
        else:
            params["HTTP_" + k.upper().replace("-", "_")] = v
    enc = b"".join(_pair(k.encode(), v.encode("utf-8", "surrogateescape")) for k, v in params.items())
    msg = _record(1, struct.pack(">HB5x", 1, 0))
    for i in range(0, len(enc), 65535):
        msg += _record(4, enc[i:i + 65535])
    msg += _record(4, b"")
    for i in range(0, len(body), 65535):
        msg += _record(5, body[i:i + 65535])
    msg += _record(5, b"")
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(timeout)
    s.connect(sock_path)
    s.sendall(msg)
    data = b""
    while True:
        chunk = s.recv(65536)
        if not chunk:
            break
        data += chunk
    s.close()
    out, pos, ended = b"", 0, False
    while pos + 8 <= len(data):
        _, kind, _, clen, pad, _ = struct.unpack(">BBHHBB", data[pos:pos + 8])
        content = data[pos + 8:pos + 8 + clen]
        pos += 8 + clen + pad
        if kind == 6:
            out += content
        elif kind == 3:
            ended = True
    if not ended:
        return Response(0, {}, b"", url=target)
    head, _, payload = out.partition(b"\r\n\r\n")
    hdrs, status = {}, 200
    for line in head.decode("latin-1").split("\r\n"):
        k, _, v = line.partition(":")
        hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        if k.strip().lower() == "status":
            status = int(v.split()[0])
    return Response(status, hdrs, payload, url=path)


# --- the staff's fixture ---------------------------------------------------------

FLOW = os.path.join(TOP, "t", "a11y", "flow.py")
# flow.py's groups of staff pages and the session each is seen with.
STAFF_GROUPS = (("agent", "staff_cookie"), ("mediator", "mediator_cookie"), ("admin", "admin_cookie"))


def staff_fixture():
    """flow.py setup (through the test server): its JSON, or None."""
    r = subprocess.run([sys.executable, FLOW, "setup"], capture_output=True, text=True, timeout=900)
    if r.returncode != 0:
        t.diag("flow.py setup failed: %s" % (r.stderr.strip() or r.stdout.strip())[-2000:])
        return None
    return json.loads(r.stdout)


# --- the request mix ----------------------------------------------------------

def mix(sock, rounds, staff):
    """Sends rounds x the mix; returns (requests sent, statuses seen,
    {staff page: statuses})."""
    sent, statuses, staff_seen = 0, {}, {}

    def go(method, target, body=b"", **headers):
        nonlocal sent
        headers.setdefault("Accept-Language", "fr")
        r = fcgi(sock, method, target, body, headers)
        sent += 1
        statuses[r.status] = statuses.get(r.status, 0) + 1
        return r

    for _ in range(rounds):
        home = go("GET", "/")
        go("GET", "/", **{"Accept-Language": "ar, en;q=0.5, *;q=0.1"})
        go("GET", "/", **{"Accept-Language": "en-GB,en;q=0.9" + ",xx;q=0.1" * 80})
        go("GET", "/", Cookie="a=b; ;;=; %%%; lang=\x7f; creneau-client=" + "A" * 300)
        go("HEAD", "/")
        go("OPTIONS", "/")
        go("PUT", "/", b"x=1", **{"Content-Type": "application/x-www-form-urlencoded"})
        go("GET", "/healthz")
        sites = [l.href for l in links(home, href=r"^/site/[^/?#]+$")][:2]
        booked = False
        for site in sites:
            page = go("GET", site)
            go("GET", site, **{"Accept-Language": "en"})
            for proc in [l.href for l in links(page, href=r"^/site/[^/?#]+/[^/?#]+$")][:3]:
                cal = go("GET", proc)
                go("GET", proc + "?day=2026-02-30")
                go("GET", proc + "?day=9999-99-99&day=x")
                go("GET", proc + "?month=" + "9" * 500)
                days = [l.href for l in links(cal, href=r"[?&]day=")][:1]
                for day in days:
                    if booked:
                        break
                    booked = True
                    dp = go("GET", day.split("#")[0])
                    for book in [l.href for l in links(dp, href=r"^/book/")][:1]:
                        bp = go("GET", book)
                        cookie = bp.client_cookie or ""
                        for f in forms(bp, has="email")[:1]:
                            bad = f.fill({"email": "not an e-mail", "given_names": "\x01\x02",
                                          "surname": "x" * 300, "phone": "+33 6 12",
                                          "birth_day": "30", "birth_month": "2", "birth_year": "2001"})
                            go("POST", f.action, urllib.parse.urlencode(bad).encode(),
                               **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
                            go("POST", f.action, b"%zz=%%&&==&" + b"a" * 5000,
                               **{"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
                        go("POST", book, b"{}", **{"Content-Type": "application/json"})
        go("GET", "/site/no-such-site")
        go("GET", "/site/no-such-site/no-such-procedure")
        go("GET", "/booking/" + "Z" * 40)
        go("GET", "/booking/x/ics")
        go("POST", "/booking/x/cancel", b"token=x", **{"Content-Type": "application/x-www-form-urlencoded"})
        go("GET", "/book/not-a-slot")
        go("GET", "/draw/999999999")
        go("GET", "/alert/garbage")
        go("GET", "/stats")
        go("GET", "/stats.csv")
        go("GET", "/accessibilite")
        go("GET", "/manage")
        go("POST", "/manage", b"reference=ABC&email=a%40b.c", **{"Content-Type": "application/x-www-form-urlencoded"})
        go("POST", "/language", b"lang=en&back=%2F", **{"Content-Type": "application/x-www-form-urlencoded"})
        go("GET", "/agent")
        go("GET", "/agent/login")
        go("POST", "/agent/login", b"email=a%40b.c&password=x",
           **{"Content-Type": "application/x-www-form-urlencoded"})
        go("GET", "/agent/site/x/agenda")
        go("GET", "/agent/mediator")
        go("GET", "/agent/admin/staff")
        go("GET", "/%00/x")
        go("GET", "/%C3%28?q=%FF%FE")
        go("GET", "/?" + "a=1&" * 3000)
        go("GET", "/" + "x" * 1100)
        go("POST", "/manage", b"a=1", **{"Content-Type": "application/x-www-form-urlencoded; charset=latin1"})
        go("POST", "/manage", b"a" * 70000, **{"Content-Type": "application/x-www-form-urlencoded"})
        if staff:
            for group, who in STAFF_GROUPS:
                for name, path in sorted(staff[group].items()):
                    r = go("GET", path, Cookie=staff[who])
                    staff_seen.setdefault("%s %s" % (group, name), []).append(r.status)
            a, cs = staff["agent"], staff["staff_cookie"]
            form_type = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cs}
            go("GET", a["agenda"] + "?day=2026-02-31", Cookie=cs)
            go("GET", a["agenda"] + "?day=" + "9" * 300 + "&counter=x", Cookie=cs)
            sp = go("GET", a["search"], Cookie=cs)
            for f in forms(sp, has="surname")[:1]:
                go("POST", f.action, urllib.parse.urlencode(f.fill({"surname": staff["desk_surname"]})).encode(),
                   **form_type)
                go("POST", f.action, urllib.parse.urlencode(f.fill({"surname": "\x01" * 500})).encode(),
                   **form_type)
            go("POST", a["checkin"], b"reference=ZZZZ&csrf=" + b"x" * 43, **form_type)
            go("POST", a["search"], b"%zz=%%&csrf=&&==", **form_type)
    return sent, statuses, staff_seen


# --- one run under valgrind -----------------------------------------------

def leak_figures(text):
    """{kind: (bytes, blocks)} from a valgrind leak summary."""
    out = {}
    for kind in ("definitely lost", "indirectly lost", "possibly lost", "still reachable"):
        m = re.search(kind + r": ([\d,]+) bytes in ([\d,]+) blocks", text)
        out[kind] = tuple(int(x.replace(",", "")) for x in m.groups()) if m else (0, 0)
    return out


def as_user(cmd):
    return ["runuser", "-u", "creneau", "--"] + cmd if AS_ROOT else cmd


def run(label, rounds, staff):
    """Starts the worker under valgrind, sends the mix, stops it; returns
    (requests, statuses, {staff page: statuses}, {pid: log text},
    supervisor pid, seconds, exit status, log directory)."""
    logs = os.path.join(DIR, label)
    shutil.rmtree(logs, ignore_errors=True)
    os.makedirs(logs)
    os.makedirs(RUN, exist_ok=True)
    sock = os.path.join(RUN, "fcgi.sock")
    pidf = os.path.join(RUN, "creneau-fcgi.pid")
    conf = os.path.join(DIR, "creneau.conf")
    with open(os.environ["CRENEAU_CONF"]) as f:
        base = f.read()
    with open(conf, "w") as f:
        f.write(base + "\n# t/sanitizers/valgrind.t\nworkers = 1\nsocket = %s\npid_file = %s\n" % (sock, pidf))
    if AS_ROOT:
        subprocess.run(["chown", "-R", "creneau:creneau", DIR, RUN], check=True)
    for p in (sock, pidf):
        if os.path.exists(p):
            os.unlink(p)
    cmd = ["valgrind", "--tool=memcheck", "--leak-check=full",
           "--show-leak-kinds=definite,indirect", "--errors-for-leak-kinds=definite,indirect",
           "--error-exitcode=99", "--num-callers=30", "--child-silent-after-fork=no",
           "--log-file=" + os.path.join(logs, "vg.%p")] + os.environ.get("CRENEAU_VALGRIND_ARGS", "").split() + [
           os.path.join(BUILD, "creneau-fcgi"), "-c", conf]
    t0 = time.time()
    out = open(os.path.join(logs, "output"), "w")
    proc = subprocess.Popen(as_user(cmd), stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT,
                            cwd=DIR, start_new_session=True)
    sent, statuses, staff_seen, sup = 0, {}, {}, None
    try:
        deadline = time.time() + 180
        # The pid file may exist a moment before its number is in it
        # (a busy machine shows it): wait for both the socket and the number.
        while sup is None:
            if os.path.exists(sock) and os.path.exists(pidf):
                with open(pidf) as f:
                    words = f.read().split()
                if words and words[0].isdigit():
                    sup = int(words[0])
                    break
            if proc.poll() is not None or time.time() > deadline:
                raise RuntimeError("creneau-fcgi under valgrind did not start (%s)" % logs)
            time.sleep(0.2)
        sent, statuses, staff_seen = mix(sock, rounds, staff)
    finally:
        if sup is None:
            os.killpg(proc.pid, signal.SIGTERM)
        else:
            os.kill(sup, signal.SIGTERM)
        try:
            proc.wait(timeout=180)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
        out.close()
    texts = {}
    for name in os.listdir(logs):
        if name.startswith("vg."):
            with open(os.path.join(logs, name), errors="replace") as f:
                texts[int(name[3:])] = f.read()
    return sent, statuses, staff_seen, texts, sup, time.time() - t0, proc.returncode, logs


def check(label, rounds):
    """One run of rounds x the mix under valgrind, and its tests."""
    sent, statuses, staff_seen, texts, sup, secs, rc, logs = run(label, rounds, staff)
    t.diag("%s: %d requests in %d rounds, statuses %s, %.0f s under valgrind"
           % (label, sent, rounds, dict(sorted(statuses.items())), secs))
    t.ok(sent > 0 and statuses.get(200, 0) > 0, "%s: the worker under valgrind answered (%d requests)" % (label, sent))
    if staff:
        # Straight over FastCGI, with the sessions made through nginx:
        # each staff page must be the page, not the login (or the test
        # would look at the login page 30 times).
        bad = {k: v for k, v in staff_seen.items() if set(v) != {200}}
        t.ok(staff_seen and not bad, "%s: the %d staff pages answered 200 each round with their sessions%s"
             % (label, len(staff_seen), (" (not: %s)" % bad) if bad else ""))
    t.ok(0 not in statuses and 500 not in statuses, "%s: every request got a whole answer, none a 500" % label)
    workers = {pid: txt for pid, txt in texts.items() if pid != sup}
    t.ok(sup in texts and len(workers) == 1,
         "%s: valgrind followed the supervisor and its one worker (%d logs)" % (label, len(texts)))
    for pid, txt in sorted(texts.items()):
        who = "supervisor" if pid == sup else "worker %d" % pid
        m = re.search(r"ERROR SUMMARY: ([\d,]+) errors", txt)
        errors = int(m.group(1).replace(",", "")) if m else None
        lf = leak_figures(txt)
        if not t.ok(errors == 0, "%s: %s: no memory error, nothing definitely or indirectly lost" % (label, who)):
            t.diag("valgrind log %s/vg.%d:" % (logs, pid))
            t.diag("\n".join(txt.splitlines()[:150]))
        t.diag("%s %s: %s" % (label, who, ", ".join("%s %d bytes in %d blocks" % (k, *v) for k, v in lf.items())))
        if pid != sup:
            worker = lf["still reachable"]
        else:
            inherited = lf["still reachable"]
    if sup in texts and len(workers) == 1:
        # What the worker holds beyond what it inherited from the
        # supervisor: libxml2's dictionaries of the templates, filled at
        # start, differ by some kilobytes from one start to the next.
        figures[label] = (sent, (worker[0] - inherited[0], worker[1] - inherited[1]))
    t.ok(rc == 0, "%s: creneau-fcgi under valgrind exited with status 0 (got %s)" % (label, rc))


staff = staff_fixture()
t.ok(staff is not None, "the staff's fixture (t/a11y/flow.py setup): a site, its bookings, three staff sessions")
figures = {}
try:
    for label, rounds in (("n", ROUNDS), ("4n", 4 * ROUNDS)):
        check(label, rounds)
finally:
    if staff:
        subprocess.run([sys.executable, FLOW, "drop", staff["slug"]], capture_output=True, text=True, timeout=600)

if "n" in figures and "4n" in figures:
    (n1, (b1, k1)), (n4, (b4, k4)) = figures["n"], figures["4n"]
    extra = n4 - n1
    # A leak into something still referenced grows by a block for each
    # request that leaks; caches filled once do not. What the worker
    # holds when TERM comes (it leaves at once when idle) varies by some
    # blocks: the limits allow one block per 10 requests, 256 bytes per
    # request.
    t.ok(k4 - k1 < extra / 10 and b4 - b1 < extra * 256,
         "still reachable in the worker (beyond what it inherited) does not grow with the requests: "
         "%d blocks (%d bytes) after %d requests, %d blocks (%d bytes) after %d"
         % (k1, b1, n1, k4, b4, n4))
t.done()
