"""Helpers for creneau's request-level tests: TAP output, HTTP requests
against the test nginx (CRENEAU_URL), the test database (psql), the
services (CRENEAU_CTL) and well-formedness checks. Standard library only."""

import http.client
import os
import subprocess
import sys
import time
import urllib.parse
import xml.dom.minidom


class TAP:
    """Prints TAP lines; the plan comes at the end (done_testing)."""

    def __init__(self):
        self.n = 0
        self.failed = 0

    def ok(self, cond, desc):
        self.n += 1
        desc = desc.replace("\n", " ").replace("#", "\\#")
        print(("ok %d - %s" if cond else "not ok %d - %s") % (self.n, desc), flush=True)
        if not cond:
            self.failed += 1
        return bool(cond)

    def is_(self, got, want, desc):
        if not self.ok(got == want, desc):
            self.diag("got  %r" % (got,))
            self.diag("want %r" % (want,))

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)


def skip_all_unless_server():
    """Skips the whole test file when script/test did not start services."""
    if not os.environ.get("CRENEAU_URL"):
        print("1..0 # SKIP no test server (run script/test)")
        sys.exit(0)


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers          # lower-case name -> list of values
        self.body = body

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


def request(method, path, body=None, headers=None, timeout=30):
    """Sends one request (no redirect following) and returns a Response.
    path is sent as it is, so tests can send malformed targets."""
    url = urllib.parse.urlsplit(os.environ["CRENEAU_URL"])
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    hdrs = {"Accept-Language": "fr"}
    hdrs.update(headers or {})
    if body is not None and isinstance(body, str):
        body = body.encode("utf-8")
    conn.putrequest(method, path, skip_accept_encoding=True)
    for k, v in hdrs.items():
        conn.putheader(k, v)
    if body is not None:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body)
    resp = conn.getresponse()
    data = resp.read()
    headers_ = {}
    for k, v in resp.getheaders():
        headers_.setdefault(k.lower(), []).append(v)
    conn.close()
    return Response(resp.status, headers_, data)


def get(path, **kw):
    return request("GET", path, **kw)


def post_form(path, fields, headers=None):
    """POSTs fields (a list of pairs, so duplicates can be sent)."""
    body = urllib.parse.urlencode(fields)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return request("POST", path, body=body, headers=h)


def wellformed(body):
    """Returns None when body parses as XML, else the parser's message."""
    try:
        xml.dom.minidom.parseString(body)
        return None
    except Exception as e:  # expat raises several types
        return str(e)


def psql(sql):
    """Runs sql on the test database and returns its unaligned output."""
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True, check=True)
    return out.stdout.strip()


def ctl(*args):
    """Runs script/ctl (stop/start a service of this test run)."""
    out = subprocess.run([os.environ["CRENEAU_CTL"], *args], capture_output=True, text=True)
    return out.returncode, out.stdout.strip()


def wait_for(pred, timeout=30.0, step=0.2):
    """Polls pred() until it is true or timeout; returns its last value."""
    deadline = time.time() + timeout
    while True:
        v = pred()
        if v or time.time() > deadline:
            return v
        time.sleep(step)


def save_page(name, body):
    """Keeps a fetched page for the validity test (CRENEAU_VAR/pages)."""
    d = os.path.join(os.environ["CRENEAU_VAR"], "pages")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, name), "wb") as f:
        f.write(body)
