"""Helpers for creneau's request-level tests: TAP output, HTTP requests
against the test nginx (CRENEAU_URL), the test database (psql), the
services (CRENEAU_CTL) and well-formedness checks. Standard library only."""

import hashlib
import hmac
import html.parser
import http.client
import os
import random
import re
import socket
import string
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
        """ok(got == want), with both shown when they differ; returns it."""
        if not self.ok(got == want, desc):
            self.diag("got  %r" % (got,))
            self.diag("want %r" % (want,))
            return False
        return True

    def diag(self, msg):
        for line in str(msg).splitlines():
            print("# " + line, flush=True)

    def done(self):
        print("1..%d" % self.n, flush=True)
        sys.exit(1 if self.failed else 0)

    def catch_exceptions(self):
        """From now on, an uncaught exception is reported as one failed
        test, with its traceback as comments, and the plan is printed."""
        def hook(kind, value, tb):
            import traceback
            self.ok(False, "the test ran to its end (%s: %s)" % (kind.__name__, value))
            self.diag("".join(traceback.format_exception(kind, value, tb)))
            print("1..%d" % self.n, flush=True)
            sys.stdout.flush()
            os._exit(1)
        sys.excepthook = hook


def skip_all_unless_server():
    """Skips the whole test file when script/test did not start services."""
    if not os.environ.get("CRENEAU_URL"):
        print("1..0 # SKIP no test server (run script/test)")
        sys.exit(0)


class Response:
    def __init__(self, status, headers, body, url=None):
        self.status = status
        self.headers = headers          # lower-case name -> list of values
        self.body = body
        self.url = url                  # the path requested, for relative links

    def header(self, name):
        v = self.headers.get(name.lower())
        return v[0] if v else None

    @property
    def client_cookie(self):
        """The browser's client cookie (name=value) this answer set, or
        that the request sent: form tokens are bound to it (issue 10)."""
        for v in self.headers.get("set-cookie", []):
            m = re.match(r"((?:__Host-)?creneau-client=[^;]*)", v)
            if m:
                return m.group(1)
        return getattr(self, "sent_client", None)

    @property
    def text(self):
        return self.body.decode("utf-8", "replace")


# The test nginx keeps the pages everyone sees alike for a second
# (micro-cache, issue 15). A test that changes data and reads a public
# page at once must see the change, so requests carry
# X-Creneau-No-Cache, which only the development and test
# configuration (conf/nginx/dev.conf.in) honours;
# t/http/microcache.t, which tests the cache, sets USE_CACHE.
USE_CACHE = False


def request(method, path, body=None, headers=None, timeout=30):
    """Sends one request (no redirect following) and returns a Response.
    path is sent as it is, so tests can send malformed targets."""
    url = urllib.parse.urlsplit(os.environ["CRENEAU_URL"])
    if url.scheme == "https":
        # script/check-security's TLS front (a self-signed certificate on
        # 127.0.0.1): no verification.
        import ssl
        conn = http.client.HTTPSConnection(url.hostname, url.port, timeout=timeout,
                                           context=ssl._create_unverified_context())
    else:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=timeout)
    hdrs = {"Accept-Language": "fr"}
    if not USE_CACHE:
        hdrs["X-Creneau-No-Cache"] = "1"
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
    r = Response(resp.status, headers_, data, url=path)
    m = re.search(r"(?:^|;\s*)((?:__Host-)?creneau-client=[^;]*)", hdrs.get("Cookie", ""))
    r.sent_client = m.group(1) if m else None
    return r


def get(path, **kw):
    return request("GET", path, **kw)


def post_form(path, fields, headers=None, timeout=30):
    """POSTs fields (a list of pairs, so duplicates can be sent) as a
    browser does: application/x-www-form-urlencoded, UTF-8, spaces as +."""
    body = urllib.parse.urlencode(fields)
    h = {"Content-Type": "application/x-www-form-urlencoded"}
    h.update(headers or {})
    return request("POST", path, body=body, headers=h, timeout=timeout)


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
                         capture_output=True, text=True)
    if out.returncode != 0:
        # CalledProcessError as before, with psql's message in it.
        raise subprocess.CalledProcessError(out.returncode, "psql -c %r: %s" % (sql[:200], out.stderr.strip()),
                                            out.stdout, out.stderr)
    return out.stdout.strip()


def ctl(*args):
    """Runs script/ctl (stop/start a service of this test run)."""
    out = subprocess.run([os.environ["CRENEAU_CTL"], *args], capture_output=True, text=True)
    return out.returncode, out.stdout.strip()


def free_port():
    """A TCP port free on 127.0.0.1 now (for a service a test starts)."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def fcgi_workers(pid):
    """The pids of the creneau-fcgi workers: the children of supervisor pid."""
    kids = set()
    try:
        for task in os.listdir("/proc/%d/task" % pid):
            with open("/proc/%d/task/%s/children" % (pid, task)) as f:
                kids.update(int(x) for x in f.read().split())
    except FileNotFoundError:
        pass
    return kids


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


# --- Pages as a browser sees them: elements, links, forms -------------------
#
# The pages are well-formed XHTML, but the toolkit reads them with
# html.parser so a page that is not (a bug the tests report elsewhere) can
# still be walked. A page is a Response (its url is known: relative links
# and an empty form action resolve against it) or a str/bytes body.

VOID_ELEMENTS = frozenset("area base br col embed hr img input link meta param source track wbr".split())


class Element:
    """One element of a parsed page: tag, attrs (dict), children, parent."""

    def __init__(self, tag, attrs, parent=None):
        self.tag = tag
        self.attrs = dict(attrs)
        self.children = []      # Elements and strs, in document order
        self.parent = parent

    def get(self, name, default=None):
        return self.attrs.get(name, default)

    def iter(self, tag=None):
        """This element and its descendants (elements only), document order."""
        stack = [self]
        while stack:
            e = stack.pop()
            if tag is None or e.tag == tag:
                yield e
            stack.extend(reversed([c for c in e.children if isinstance(c, Element)]))

    def find_all(self, tag=None, **attrs):
        """Descendants with that tag whose attributes equal attrs
        (class_ for class; a compiled regex matches by search)."""
        out = []
        for e in self.iter(tag):
            if e is self:
                continue
            ok = True
            for k, want in attrs.items():
                v = e.attrs.get(k.rstrip("_").replace("_", "-") if k != "class_" else "class")
                if hasattr(want, "search"):
                    ok = v is not None and want.search(v) is not None
                elif want is True:
                    ok = v is not None
                else:
                    ok = v == want
                if not ok:
                    break
            if ok:
                out.append(e)
        return out

    def find(self, tag=None, **attrs):
        found = self.find_all(tag, **attrs)
        return found[0] if found else None

    @property
    def raw_text(self):
        parts = []
        for c in self.children:
            parts.append(c if isinstance(c, str) else c.raw_text)
        return "".join(parts)

    @property
    def text(self):
        """Text content with white space collapsed."""
        return " ".join(self.raw_text.split())

    def ancestors(self):
        p = self.parent
        while p is not None:
            yield p
            p = p.parent

    def __repr__(self):
        return "<%s %s>" % (self.tag, " ".join('%s="%s"' % kv for kv in self.attrs.items()))


class _TreeBuilder(html.parser.HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.root = Element("#document", {})
        self.cur = self.root

    def handle_starttag(self, tag, attrs):
        e = Element(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(e)
        if tag not in VOID_ELEMENTS:
            self.cur = e

    def handle_startendtag(self, tag, attrs):
        e = Element(tag, [(k, v if v is not None else "") for k, v in attrs], self.cur)
        self.cur.children.append(e)

    def handle_endtag(self, tag):
        e = self.cur
        while e is not None and e.tag != tag:
            e = e.parent
        if e is not None and e.parent is not None:
            self.cur = e.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def _body_text(page):
    if isinstance(page, Response):
        return page.text
    if isinstance(page, bytes):
        return page.decode("utf-8", "replace")
    return page


def _page_url(page):
    return getattr(page, "url", None) or "/"


def parse(page):
    """Parses a page (Response, str or bytes); returns its root Element.
    A Response caches its tree."""
    if isinstance(page, Element):
        return page
    if isinstance(page, Response):
        if getattr(page, "_tree", None) is None:
            page._tree = parse(page.text)
        return page._tree
    b = _TreeBuilder()
    b.feed(_body_text(page))
    b.close()
    return b.root


def by_id(page, ident):
    """The element with that id, or None."""
    return parse(page).find(id=ident)


def page_text(page):
    """The text of <main> (or the whole page), white space collapsed."""
    root = parse(page)
    main = root.find("main") or root
    return main.text


def resolve(base, href):
    """href (as written in a page) made into a path on the test server."""
    u = urllib.parse.urlsplit(urllib.parse.urljoin("http://creneau.test" + base, href))
    return u.path + ("?" + u.query if u.query else "")


class Link:
    def __init__(self, href, text, element, url):
        self.href = href                # as written
        self.url = url                  # resolved against the page
        self.text = text
        self.element = element

    def __repr__(self):
        return "Link(%r, %r)" % (self.href, self.text)


def links(page, text=None, href=None):
    """The <a href> of a page, in order; text and href filter by regex
    search (a str is compiled; text is matched case-insensitively)."""
    base = _page_url(page)
    out = []
    for a in parse(page).iter("a"):
        h = a.get("href")
        if h is None:
            continue
        label = a.text or a.get("aria-label", "") or a.get("title", "")
        if text is not None and not re.search(text, label, re.I):
            continue
        if href is not None and not re.search(href, h):
            continue
        out.append(Link(h, label, a, resolve(base, h)))
    return out


def link(page, text=None, href=None):
    """The first link matching (see links), or None."""
    found = links(page, text, href)
    return found[0] if found else None


class Field:
    """One form control: tag (input, select, textarea, button), name, type,
    value (what it would send), checked, disabled, options (select: list
    of (value, label, selected)), element."""

    def __init__(self, element):
        self.element = element
        self.tag = element.tag
        self.name = element.get("name")
        self.disabled = "disabled" in element.attrs or any(
            a.tag == "fieldset" and "disabled" in a.attrs for a in element.ancestors())
        self.options = []
        if self.tag == "input":
            self.type = (element.get("type") or "text").lower()
            default = "on" if self.type in ("checkbox", "radio") else ""
            self.value = element.get("value", default)
            self.checked = "checked" in element.attrs
        elif self.tag == "button":
            self.type = (element.get("type") or "submit").lower()
            self.value = element.get("value", "")
            self.checked = False
        elif self.tag == "select":
            self.type = "select-multiple" if "multiple" in element.attrs else "select-one"
            for o in element.iter("option"):
                v = o.get("value")
                label = o.text
                self.options.append((label if v is None else v, label,
                                     "selected" in o.attrs and "disabled" not in o.attrs))
            chosen = [o[0] for o in self.options if o[2]]
            if not chosen and self.options and self.type == "select-one" \
                    and int(element.get("size", "1") or 1) <= 1:
                chosen = [self.options[0][0]]
            self.value = chosen[0] if chosen else None
            self.selected = chosen
            self.checked = False
        else:  # textarea: the first newline after the start tag is dropped
            self.type = "textarea"
            v = element.raw_text
            self.value = v[1:] if v.startswith("\n") else v
            self.checked = False

    @property
    def successful(self):
        """Would a browser send it (apart from submit buttons)?"""
        if self.name is None or self.name == "" or self.disabled:
            return False
        if self.type in ("submit", "image", "reset", "button", "file"):
            return False
        if self.type in ("checkbox", "radio"):
            return self.checked
        if self.tag == "select":
            return bool(self.selected)
        return True

    def pairs(self):
        if not self.successful:
            return []
        if self.tag == "select":
            return [(self.name, v) for v in self.selected]
        return [(self.name, self.value)]

    def attr(self, name, default=None):
        return self.element.get(name, default)

    def __repr__(self):
        return "Field(%s %s=%r%s)" % (self.type, self.name, self.value, " checked" if self.checked else "")


class Form:
    """A form of a page: action (resolved path), method (GET or POST),
    fields (Field list, document order), element, page_url."""

    def __init__(self, element, page_url, cookie=None):
        self.element = element
        self.page_url = page_url
        self.cookie = cookie            # the client cookie of the page
        self.action = resolve(page_url, element.get("action") or page_url)
        self.method = (element.get("method") or "get").upper()
        self.enctype = element.get("enctype") or "application/x-www-form-urlencoded"
        self.fields = [Field(e) for e in element.iter()
                       if e.tag in ("input", "select", "textarea", "button") and e is not element]
        self.id = element.get("id")

    def field(self, name, value=None):
        """The first control named name (and with that value, for radios)."""
        for f in self.fields:
            if f.name == name and (value is None or f.value == value):
                return f
        return None

    def all(self, name):
        return [f for f in self.fields if f.name == name]

    def names(self):
        return [f.name for f in self.fields if f.name]

    def submits(self):
        return [f for f in self.fields if f.type in ("submit", "image") and not f.disabled]

    def values(self):
        """What a browser would send before anyone touches the form (no
        submit button), as a list of pairs."""
        out = []
        for f in self.fields:
            out.extend(f.pairs())
        return out

    def get(self, name, default=None):
        for k, v in self.values():
            if k == name:
                return v
        return default

    def fill(self, values=None, button=None, **kw):
        """The pairs a browser sends after a person set values (dict;
        keyword arguments too): a text control gets the string; a radio
        group or a checkbox named there is checked when its value matches
        (True/False checks/unchecks a checkbox); a select gets the option
        whose value, or else whose label, matches. A value that no option
        or radio offers is sent as is (a tampering client); None removes
        the field; names the form lacks are appended. button: the name or
        value/label of the submit button pressed (default: the first
        named one, as Enter would)."""
        want = dict(values or {})
        want.update(kw)
        out = []
        done = set()
        for f in self.fields:
            if f.type in ("submit", "image", "reset", "button"):
                continue
            if f.name not in want:
                out.extend(f.pairs())
                continue
            v = want[f.name]
            if f.name in done:
                continue
            if v is None:
                done.add(f.name)
                continue
            if f.type == "radio":
                group = self.all(f.name)
                if any(g.value == str(v) for g in group):
                    if f.value == str(v) and not f.disabled:
                        out.append((f.name, f.value))
                        done.add(f.name)
                    continue
                out.append((f.name, str(v)))
                done.add(f.name)
            elif f.type == "checkbox":
                if v is True or v == f.value:
                    out.append((f.name, f.value))
                elif v is not False:
                    out.append((f.name, str(v)))
                if v is not True or len(self.all(f.name)) == 1:
                    done.add(f.name)
            elif f.tag == "select":
                match = [o for o in f.options if o[0] == str(v)] or \
                        [o for o in f.options if o[1] == str(v)]
                out.append((f.name, match[0][0] if match else str(v)))
                done.add(f.name)
            else:
                out.append((f.name, str(v)))
                done.add(f.name)
        for k, v in want.items():
            if k not in done and v is not None and not any(f.name == k for f in self.fields):
                out.append((k, str(v)))
        pressed = None
        subs = [s for s in self.submits()]
        if button is not None:
            for s in subs:
                label = s.value if s.tag == "input" else s.element.text
                if button in (s.name, s.value, label):
                    pressed = s
                    break
            else:
                raise KeyError("no submit button %r in the form" % (button,))
        elif subs:
            pressed = subs[0]
        if pressed is not None and pressed.name:
            out.append((pressed.name, pressed.value))
        return out

    def submit(self, values=None, button=None, headers=None, timeout=30, **kw):
        """Fills (see fill) and sends the form as a browser does: POST as
        application/x-www-form-urlencoded with Origin and Referer of this
        server, GET with the query string; no redirect following."""
        pairs = self.fill(values, button, **kw)
        h = {"Origin": os.environ.get("CRENEAU_URL", "http://127.0.0.1").rstrip("/"),
             "Referer": os.environ.get("CRENEAU_URL", "").rstrip("/") + self.page_url}
        h.update(headers or {})
        if self.cookie:
            h["Cookie"] = "; ".join(x for x in (h.get("Cookie"), self.cookie) if x)
        if self.method == "POST":
            return post_form(self.action, pairs, headers=h, timeout=timeout)
        path = self.action.split("?", 1)[0] + ("?" + urllib.parse.urlencode(pairs) if pairs else "")
        return get(path, headers=h, timeout=timeout)

    def __repr__(self):
        return "Form(%s %s %r)" % (self.method, self.action, self.values())


def forms(page, action=None, has=None):
    """The forms of a page (Form list); action filters by regex search on
    the resolved action, has keeps forms with a control of that name."""
    base = _page_url(page)
    out = []
    cookie = page.client_cookie if isinstance(page, Response) else None
    for e in parse(page).iter("form"):
        f = Form(e, base, cookie)
        if action is not None and not re.search(action, f.action):
            continue
        if has is not None and f.field(has) is None:
            continue
        out.append(f)
    return out


def form(page, action=None, has=None):
    """The first form matching (see forms), or None."""
    found = forms(page, action, has)
    return found[0] if found else None


def follow(resp, timeout=30):
    """For a 3xx answer, GETs its Location (resolved against the request)
    as a browser does after a POST; returns the new Response. Other
    statuses come back unchanged."""
    loc = resp.header("location")
    if resp.status not in (301, 302, 303, 307, 308) or not loc:
        return resp
    return get(resolve(_page_url(resp), loc), timeout=timeout)


def sql_literal(s):
    """s quoted as an SQL string literal (for psql one-liners in tests)."""
    if s is None:
        return "NULL"
    return "'" + str(s).replace("'", "''") + "'"


def form_min_seconds():
    """The minimum fill time of forms in the test configuration."""
    try:
        return float(os.environ.get("CRENEAU_FORM_MIN_SECONDS", "2"))
    except ValueError:
        return 2.0


def wait_form_min(extra=1.0):
    """Sleeps as long as a person takes to fill a form in the tests (the
    configured minimum, plus a margin for whole-second clocks)."""
    time.sleep(form_min_seconds() + extra)


# --- The booking flow: identities, the booking form, codes, the DB --------

# Booking references: 8 characters without look-alikes, shown as XXXX-XXXX.
REF_ALPHABET = "ACDEFGHJKLMNPQRTUVWXY34679"
REF_RE = re.compile(r"(?<![A-Z0-9])([%s]{4})-([%s]{4})(?![A-Z0-9])" % (REF_ALPHABET, REF_ALPHABET))
# The secret page of a booking: /booking/<43-character base64url token>.
BOOKING_PATH_RE = re.compile(r"^/booking/([A-Za-z0-9_-]{43})$")
FR_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin", "juillet",
             "août", "septembre", "octobre", "novembre", "décembre"]


def run_id():
    """A string unique to this test run (letters only, so it fits names)."""
    rnd = random.SystemRandom()
    return "".join(rnd.choice(string.ascii_lowercase) for _ in range(10))


def letters(n=8):
    rnd = random.SystemRandom()
    return "".join(rnd.choice(string.ascii_lowercase) for _ in range(n))


def new_identity(tag="t", **kw):
    """A fresh identity nobody else in the database has: a random surname
    and date of birth, an e-mail unique to it (example.org), French."""
    rnd = random.SystemRandom()
    word = letters(9)
    ident = {
        "surname": "Test" + word,
        "given_names": "Jeanne Marie",
        "birth": (rnd.randint(1950, 2004), rnd.randint(1, 12), rnd.randint(1, 28)),
        "email": "%s-%s@example.org" % (tag, word),
        "lang": "fr",
    }
    ident.update(kw)
    return ident


def location_path(resp):
    """The Location of a redirect as a path of the test server, or None."""
    loc = resp.header("location")
    if loc is None:
        return None
    return resolve(getattr(resp, "url", None) or "/", loc)


def birth_values(f, birth):
    """The values a person gives for a date of birth (y, m, d) on form f:
    the three fields birth_day/birth_month/birth_year (a select gets the
    option of that number), or birth_date YYYY-MM-DD."""
    y, m, d = birth
    if f is not None and f.field("birth_day") is None and f.field("birth_date") is not None:
        return {"birth_date": "%04d-%02d-%02d" % (y, m, d)}
    out = {}
    for name, n in (("birth_day", d), ("birth_month", m), ("birth_year", y)):
        fld = f.field(name) if f is not None else None
        v = str(n)
        if fld is not None and fld.tag == "select":
            for ov, _label, _sel in fld.options:
                if ov.strip().isdigit() and int(ov) == n:
                    v = ov
                    break
        out[name] = v
    return out


def booking_values(f, ident):
    """Everything a person types into booking form f for ident (a dict as
    new_identity makes; extra keys such as phone or agdref are typed as
    they are)."""
    vals = {"surname": ident["surname"], "given_names": ident["given_names"],
            "email": ident.get("email", ""), "lang": ident.get("lang", "fr")}
    vals.update(birth_values(f, ident["birth"]))
    for k in ("phone", "agdref"):
        if k in ident:
            vals[k] = ident[k]
    return vals


def confirmation_code(recipient, timeout=10.0):
    """The last confirmation code the outbox holds for recipient, or None."""
    q = ("SELECT payload->>'code' FROM outbox WHERE kind = 'confirmation_code' "
         "AND recipient = %s ORDER BY id DESC LIMIT 1" % sql_literal(recipient))
    return wait_for(lambda: psql(q) or None, timeout=timeout, step=0.1)


def conf_value(name):
    """A setting of the test server's creneau.conf (a string), or None."""
    try:
        with open(os.environ["CRENEAU_CONF"]) as f:
            for line in f:
                m = re.match(r"\s*%s\s*=\s*(.*?)\s*$" % name, line)
                if m:
                    return m.group(1)
    except (OSError, KeyError):
        pass
    return None


def secret_mac(purpose, data):
    """secret_digest() of fcgi/common/secret.c: 32 hex digits of the HMAC, under
    the site secret's digest key, of purpose, a NUL and data."""
    with open(conf_value("secret_file"), "rb") as f:
        secret = f.read(4096)
    key = hmac.new(secret, b"creneau digest key v1", hashlib.sha256).digest()
    return hmac.new(key, purpose.encode() + b"\0" + data.encode(), hashlib.sha256).hexdigest()[:32]


def slot_ref(slot_id):
    """A slot id as URLs and forms carry it (issue 10): <id>.<mac>, the
    MAC computed from the site secret as fcgi/common/secret.c does (slot_ref)."""
    return "%s.%s" % (slot_id, secret_mac("creneau slot url v1", str(slot_id))[:16])


def book_path(slot_id):
    """The booking form of a slot: /book/<id>.<mac>."""
    return "/book/" + slot_ref(slot_id)


def book(slot_id, ident, wait=True, timeout=30):
    """A person opens /book/<slot_id>, fills the form for ident, waits the
    minimum fill time and sends it. Returns (form page, answer); answer is
    None when the page has no booking form."""
    page = get(book_path(slot_id), timeout=timeout)
    f = form(page, action=r"^/book/", has="surname")
    if f is None:
        return page, None
    if wait:
        wait_form_min()
    return page, f.submit(booking_values(f, ident), timeout=timeout)


def confirm(booking_page, recipient, timeout=30):
    """On a held booking's page, reads the code sent to recipient from the
    outbox and sends the code form. Returns (answer to the POST, page
    after it) or (None, None) when there is no code form or no code."""
    f = form(booking_page, action=r"/confirm$", has="code")
    code = confirmation_code(recipient)
    if f is None or code is None:
        return None, None
    r = f.submit({"code": code}, timeout=timeout)
    return r, follow(r, timeout=timeout)


def reference_of(page):
    """The booking reference shown on a page (XXXX-XXXX), or None."""
    m = REF_RE.search(page_text(page))
    return m.group(1) + "-" + m.group(2) if m else None


def error_summary(page):
    """The error summary's messages: the texts of in-page links ('#…',
    the skip link left out) that come before the page's first visible
    form control (the header's language switch does not count); empty
    when there is no summary."""
    msgs = []
    for e in parse(page).iter():
        if e.tag in ("input", "select", "textarea") and e.get("type") != "hidden":
            break
        if e.tag == "a" and (e.get("href") or "").startswith("#") and \
                not any("skip" in (a.get("class") or "").split() for a in e.ancestors()):
            msgs.append(e.text)
    return msgs


def field_error(page, name):
    """For form control id/name `name`: (aria-invalid value, the texts of
    the elements its aria-describedby names that exist, the ids that do
    not exist)."""
    root = parse(page)
    ctl = root.find(id=name) or next((e for e in root.iter() if e.get("name") == name
                                      and e.tag in ("input", "select", "textarea")), None)
    if ctl is None:
        return None, [], []
    texts, missing = [], []
    for ident in (ctl.get("aria-describedby") or "").split():
        e = root.find(id=ident)
        if e is None:
            missing.append(ident)
        else:
            texts.append(e.text)
    return ctl.get("aria-invalid"), texts, missing


class Fixture:
    """A site of a test's own (a slug unique to the run) with procedures,
    a counter per procedure and published future slots; drop() removes
    it with every booking, token, message and AGDREF number made on it.

        fx = Fixture("race")
        proc = fx.procedure("open", slots=20, capacity=1)
        fx.slots(proc) -> [slot ids]
    """

    def __init__(self, tag):
        self.slug = "test-%s-%s" % (tag, run_id())
        self.agdref = []
        psql("INSERT INTO sites (slug, name, kind, department_code, department_name, address, "
             "postal_code, city, phone, time_zone, alternative_route) VALUES "
             "(%s, %s, 'prefecture', '75', 'Paris', '1, rue du Test; bâtiment B', '75001', 'Paris', "
             "'01 23 45 67 89', 'Europe/Paris', 'Appelez le standard au 01 23 45 67 89.')"
             % (sql_literal(self.slug), sql_literal("Préfecture de test " + self.slug)))

    def procedure(self, name, slots=10, capacity=1, requires_agdref=False, minutes=30, days_ahead=3):
        """Adds procedure <slug>-<name> with `slots` published slots of
        `capacity` places, one after the other from 08:00 UTC days_ahead
        days from now; returns the procedure code."""
        code = "%s-%s" % (self.slug, name)
        psql("INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref, "
             "allocation_mode, documents) VALUES (%s, %s, 'Procédure de test.', %d, %s, 'open', "
             "ARRAY['Passeport', 'Justificatif de domicile']);"
             "INSERT INTO site_procedures (site_id, procedure_id) SELECT s.id, p.id FROM sites s, procedures p "
             " WHERE s.slug = %s AND p.code = %s;"
             # The draw switch (schema/020) is off for a test's procedure:
             # t/http/draw_switch.t turns it on for its own.
             "INSERT INTO draw_switch_settings (site_id, procedure_id, sellout_minutes, "
             " registration_minutes, offer_hours) SELECT s.id, p.id, 0, 60, 24 FROM sites s, procedures p "
             " WHERE s.slug = %s AND p.code = %s;"
             "INSERT INTO counters (site_id, name) SELECT id, %s FROM sites WHERE slug = %s;"
             "INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at) "
             "SELECT c.id, p.id, t0 + i * make_interval(mins => %d), t0 + (i + 1) * make_interval(mins => %d), "
             "       %d, now() - interval '1 minute' "
             "  FROM counters c JOIN sites s ON s.id = c.site_id, procedures p, "
             "       (SELECT date_trunc('day', now()) + make_interval(days => %d, hours => 8) AS t0) x, "
             "       generate_series(0, %d - 1) AS i "
             " WHERE s.slug = %s AND c.name = %s AND p.code = %s"
             % (sql_literal(code), sql_literal("Démarche de test " + name), minutes,
                "true" if requires_agdref else "false",
                sql_literal(self.slug), sql_literal(code),
                sql_literal(self.slug), sql_literal(code),
                sql_literal("Guichet " + name), sql_literal(self.slug),
                minutes, minutes, capacity, days_ahead, slots,
                sql_literal(self.slug), sql_literal("Guichet " + name), sql_literal(code)))
        return code

    def slots(self, code):
        """The slot ids of a procedure of the fixture, in time order."""
        return [int(x) for x in psql(
            "SELECT sl.id FROM slots sl JOIN procedures p ON p.id = sl.procedure_id "
            "WHERE p.code = %s ORDER BY sl.starts_at" % sql_literal(code)).split()]

    def add_agdref(self):
        """Imports a fresh AGDREF number (removed by drop); returns it."""
        rnd = random.SystemRandom()
        while True:
            n = "7" + "".join(rnd.choice(string.digits) for _ in range(9))
            if psql("INSERT INTO agdref_numbers (number) VALUES (%s) ON CONFLICT DO NOTHING "
                    "RETURNING number" % sql_literal(n)):
                self.agdref.append(n)
                return n

    def drop(self):
        """Removes the site and everything made on it."""
        s = sql_literal(self.slug)
        bk = "SELECT b.id FROM bookings b JOIN sites st ON st.id = b.site_id WHERE st.slug = %s" % s
        psql("DELETE FROM outbox WHERE booking_id IN (%s);"
             "DELETE FROM booking_tokens WHERE booking_id IN (%s);"
             "DELETE FROM bookings WHERE id IN (%s);"
             "DELETE FROM slots WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
             "DELETE FROM counters WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
             "DELETE FROM site_procedures WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
             "DELETE FROM procedures WHERE code LIKE %s;"
             "DELETE FROM sites WHERE slug = %s;"
             "DELETE FROM agdref_numbers WHERE number = ANY (%s::text[])"
             % (bk, bk, bk, s, s, s, sql_literal(self.slug + "-%"), s,
                sql_literal("{" + ",".join(self.agdref) + "}")))


# --- Staff: accounts and logging in through the real login form ------------

STAFF_COOKIE = "__Host-creneau-staff"


def staff_add(email, role, name, *scope, password):
    """Creates a staff account with creneau-admin staff-add (the password
    on standard input); scope: site slugs (agent, supervisor) or the
    organisation (mediator). Returns the CompletedProcess."""
    admin = os.path.join(os.environ.get("top_builddir", "."), "creneau-admin")
    return subprocess.run([admin, "-c", os.environ["CRENEAU_CONF"], "staff-add", email, role, name, *scope],
                          input=password + "\n", capture_output=True, text=True)


def login_cookie(page):
    """The Cookie header that sends back the pre-session cookie the login
    page set (its form token is bound to it), as a browser does; {} when
    the page set none."""
    for c in page.headers.get("set-cookie", []):
        m = re.match(r"(__Host-creneau-login=[^;]*)", c)
        if m:
            return {"Cookie": m.group(1)}
    return {}


def staff_login(email, password):
    """Logs in through /agent/login as a person does; returns the Cookie
    header value that carries the session ("__Host-creneau-staff=…"), or
    None when the login failed."""
    page = get("/agent/login")
    f = form(page, action=r"^/agent/login$")
    r = f.submit({"email": email, "password": password}, headers=login_cookie(page))
    m = re.match(r"%s=([^;]*)" % re.escape(STAFF_COOKIE), r.header("set-cookie") or "")
    if r.status != 303 or not m:
        return None
    return "%s=%s" % (STAFF_COOKIE, m.group(1))


def nu_errors(pages):
    """Runs the Nu HTML checker (node_modules/vnu-jar) on pages, a dict
    name -> Response or bytes; returns {name: [error messages]} for the
    pages with errors, or None when the checker is not installed."""
    import glob
    import json
    import shutil
    import tempfile
    top = os.environ.get("top_srcdir", os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
    jars = glob.glob(os.path.join(top, "node_modules", "vnu-jar", "build", "dist", "vnu.jar"))
    if not jars:
        return None
    tmp = tempfile.mkdtemp(prefix="creneau-vnu-")
    try:
        for name, page in pages.items():
            with open(os.path.join(tmp, name + ".html"), "wb") as fh:
                fh.write(page.body if isinstance(page, Response) else page)
        files = sorted(glob.glob(os.path.join(tmp, "*.html")))
        out = subprocess.run(["java", "-jar", jars[0], "--errors-only", "--format", "json", *files],
                             capture_output=True, text=True)
        try:
            messages = json.loads(out.stderr or out.stdout or '{"messages": []}')["messages"]
        except ValueError:
            return {"(checker)": [out.stderr[:500]]}
        errs = {}
        for m in messages:
            if m.get("type") != "error":
                continue
            name = os.path.basename(m.get("url", ""))[:-len(".html")] or "(checker)"
            errs.setdefault(name, []).append("line %s: %s" % (m.get("lastLine"), m.get("message")))
        return errs
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
