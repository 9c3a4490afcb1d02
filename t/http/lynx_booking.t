#!/usr/bin/env python3
"""A person books an appointment in Arabic with lynx, JavaScript-free,
from the home page to the confirmed booking (issue 7's acceptance).

One lynx session, in a pseudo-terminal, reads its keystrokes from a
command script (-cmd_script) that is a named pipe: the test writes the
keys of each step (`key 4`, `key ^J`, `key Down Arrow`, ...) when that
step can start, so it can wait the minimum form fill time and read the
confirmation code from the outbox between two keystrokes, as a person
does. Everything lynx shows is saved by lynx itself (the P)rint menu's
"Save to a local file", of the page and of its source through `\\`);
the test reads those files to find the number lynx gives a link or a
field (-number_fields, keypad mode "links and form fields are
numbered"), checks the page is Arabic (<html lang="ar" dir="rtl">,
Arabic text on the screen), and types that number. lynx encodes and
sends the forms itself. The keys sent are kept in
CRENEAU_VAR/lynx/session.cmd and replay with `lynx -cmd_script=...`.

The booking happens on a site of the test's own (Fixture), dropped at
the end. Every wait has a deadline; lynx is killed at the end."""

import os
import pty
import re
import select
import shutil
import signal
import struct
import subprocess
import sys
import threading
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import (REF_RE, TAP, Fixture, confirmation_code, get, new_identity, parse,  # noqa: E402
                          psql, skip_all_unless_server, sql_literal, wait_form_min)

skip_all_unless_server()
if shutil.which("lynx") is None:
    print("1..0 # SKIP lynx is not installed")
    sys.exit(0)

t = TAP()
t.catch_exceptions()

ARABIC = re.compile(r"[\u0600-\u06FF]")
STEP_TIMEOUT = 20.0         # seconds for lynx to show one page
WHOLE_TIMEOUT = 240         # seconds for the whole test


class Lynx:
    """One lynx session in a pseudo-terminal, driven through a named
    pipe used as its command script."""

    def __init__(self, workdir, url, cols=132, rows=50):
        self.dir = workdir
        self.n = 0
        home = workdir
        # Digits type link and field numbers (lynx's "keypad mode");
        # nothing else of a user's own configuration is read.
        with open(os.path.join(home, ".lynxrc"), "w") as f:
            f.write("keypad_mode=LINKS_AND_FORM_FIELDS_ARE_NUMBERED\n")
        self.fifo = os.path.join(workdir, "keys")
        os.mkfifo(self.fifo)
        self.transcript = open(os.path.join(workdir, "session.cmd"), "w")
        self.cookies = os.path.join(workdir, "cookies")
        open(self.cookies, "w").close()
        master, slave = pty.openpty()
        import fcntl
        import termios
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", rows, cols, 0, 0))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LYNX", "WWW_", "http_", "HTTP"))}
        env.update({"HOME": home, "TERM": "vt100", "LANG": "C.UTF-8", "LC_ALL": "C.UTF-8",
                    "no_proxy": "*", "COLUMNS": str(cols), "LINES": str(rows)})
        self.argv = ["lynx", "-cmd_script=" + self.fifo, "-nopause", "-nocolor",
                     "-accept_all_cookies", "-cookie_file=" + self.cookies,
                     "-cookie_save_file=" + self.cookies, "-display_charset=utf-8",
                     "-assume_charset=utf-8", "-number_fields", "-useragent=Lynx/creneau-test", url]
        self.proc = subprocess.Popen(self.argv, stdin=slave, stdout=slave, stderr=slave, env=env,
                                     cwd=workdir, start_new_session=True)
        os.close(slave)
        self.master = master
        self.screen = bytearray()
        self.reader = threading.Thread(target=self._drain, daemon=True)
        self.reader.start()
        # Opening the pipe waits for lynx to open its end: bounded.
        fd = None
        deadline = time.time() + STEP_TIMEOUT
        while fd is None:
            try:
                fd = os.open(self.fifo, os.O_WRONLY | os.O_NONBLOCK)
            except OSError:
                if time.time() > deadline or self.proc.poll() is not None:
                    raise RuntimeError("lynx did not open its command script")
                time.sleep(0.05)
        os.set_blocking(fd, True)
        self.keys_fd = fd

    def _drain(self):
        """Reads (and keeps the tail of) what lynx draws, so it never
        blocks on a full terminal."""
        while True:
            try:
                r, _, _ = select.select([self.master], [], [], 0.5)
                if r:
                    data = os.read(self.master, 65536)
                    if not data:
                        return
                    self.screen += data
                    del self.screen[:-20000]
                elif self.proc.poll() is not None:
                    return
            except OSError:
                return

    def key(self, *keys):
        """Sends keys: single characters or lynx key names (^J, Down Arrow)."""
        lines = "".join("key %s\n" % ("<space>" if k == " " else k) for k in keys)
        self.transcript.write(lines)
        self.transcript.flush()
        os.write(self.keys_fd, lines.encode("utf-8"))

    def type(self, text):
        self.key(*list(text))

    def note(self, comment):
        self.transcript.write("# %s\n" % comment)

    def _save(self, path):
        """P)rint → "Save to a local file" (the first link) → the name."""
        self.key("p", "^J", "^U")
        self.type(path)
        self.key("^J")

    def _wait_file(self, path):
        deadline = time.time() + STEP_TIMEOUT
        last = -1
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("lynx exited (%s)" % self.proc.returncode)
            if os.path.exists(path):
                size = os.path.getsize(path)
                if size > 0 and size == last:
                    with open(path, encoding="utf-8", errors="replace") as f:
                        return f.read()
                last = size
            time.sleep(0.15)
        raise RuntimeError("lynx did not save %s in %ds; its screen ends with:\n%s"
                           % (os.path.basename(path), STEP_TIMEOUT, self.last_screen()))

    def last_screen(self):
        """The text lynx drew last, escape sequences taken out (roughly)."""
        raw = bytes(self.screen[-6000:]).decode("utf-8", "replace")
        raw = re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>78]|[\x00-\x08\x0e-\x1f]", " ", raw)
        return "\n".join(" ".join(ln.split()) for ln in raw.splitlines() if ln.strip())[-3000:]

    def page(self, name):
        """The page lynx shows now: (its source, its screen text), both
        saved by lynx. Viewing the source reloads the page, so the
        screen is saved last: the page lynx is left on is the one whose
        screen we read."""
        self.n += 1
        src = "%02d-%s.html" % (self.n, name)
        txt = "%02d-%s.txt" % (self.n, name)
        self.note("page %d: %s (source, then screen)" % (self.n, name))
        self.key("\\")
        self._save(src)
        source = self._wait_file(os.path.join(self.dir, src))
        self.key("\\")
        self._save(txt)
        text = self._wait_file(os.path.join(self.dir, txt))
        m = re.match(r"<!-- X-URL: (\S+) -->", source)
        self.url = m.group(1) if m else None
        return source, text

    def close(self):
        """Quits (Q: no question asked), or kills lynx after 5 seconds."""
        try:
            self.key("Q")
            os.close(self.keys_fd)
        except OSError:
            pass
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=5)
        self.transcript.close()


def numbered(source):
    """What lynx numbers on a page, in its order: links (a href) and
    form controls other than hidden inputs. Returns Elements."""
    out = []
    for e in parse(source).iter():
        if e.tag == "a" and e.get("href") is not None:
            out.append(e)
        elif e.tag == "input" and (e.get("type") or "text").lower() != "hidden":
            out.append(e)
        elif e.tag in ("select", "textarea", "button"):
            out.append(e)
    return out


def is_submit(e):
    return (e.tag == "button" and (e.get("type") or "submit") == "submit") or \
        (e.tag == "input" and e.get("type") == "submit")


def submit_of(source, field):
    """lynx's number of the (first) submit button of the form that holds
    the control named field, or None. Other forms (the language switch)
    have buttons too."""
    items = numbered(source)
    ctl = next((e for e in items if e.get("name") == field), None)
    frm = next((a for a in ctl.ancestors() if a.tag == "form"), None) if ctl is not None else None
    for i, e in enumerate(items, 1):
        if frm is not None and is_submit(e) and frm in e.ancestors():
            return i
    return None


def number_of(source, pred):
    """lynx's number (1-based) of the first numbered element pred accepts, or None."""
    for i, e in enumerate(numbered(source), 1):
        if pred(e):
            return i
    return None


def arabic_passages(source):
    """The texts of the page's <main> written in Arabic, white space
    collapsed; of nested ones, the innermost. Site and procedure names are data (in
    French), and a language switch or the list of message languages
    names "العربية" on pages in any language: texts in an element with
    its own lang attribute, and options, do not count."""
    def own_text(e):
        return "".join(c if isinstance(c, str) else "" if skipped(c) else own_text(c) for c in e.children)

    def skipped(e):
        return e.tag in ("option", "select", "script", "style") or e.get("lang") is not None

    root = parse(source)
    main = root.find("main") or root
    found = []
    for e in main.iter():
        if skipped(e) or any(skipped(a) for a in e.ancestors() if a.tag != "html"):
            continue
        text = " ".join(own_text(e).split())
        if len(ARABIC.findall(text)) >= 3:
            found.append(text)
    innermost = [f for f in found if not any(g != f and g in f for g in found)]
    return sorted(set(innermost))


def is_arabic_switch(e):
    """Is e the language switch's choice of Arabic: a submit button
    lang=ar of a form, or a link to the Arabic version?"""
    if e.tag in ("button", "input") and e.get("name") == "lang" and e.get("value") == "ar":
        return (e.get("type") or ("submit" if e.tag == "button" else "text")) == "submit"
    return e.tag == "a" and e.get("href") is not None and \
        (e.get("hreflang") == "ar" or re.search(r"[?&]lang=ar\b", e.get("href")) is not None)


def html_tag(source):
    m = re.search(r"<html\b[^>]*>", source)
    return m.group(0) if m else ""


def main():
    started = time.time()
    fx = Fixture("lynx")
    lx = None
    try:
        proc = fx.procedure("open", slots=6, capacity=1, days_ahead=3)
        slot_ids = fx.slots(proc)
        t.ok(len(slot_ids) == 6, "the fixture has its slots (%d)" % len(slot_ids))
        work = os.path.join(os.environ["CRENEAU_VAR"], "lynx")
        shutil.rmtree(work, ignore_errors=True)
        os.makedirs(work)
        base = os.environ["CRENEAU_URL"].rstrip("/")

        # Where a person asks for Arabic: the language switch of the home
        # page if there is one (a button or a link to Arabic), else the
        # first address carries ?lang=ar. After that, every page must
        # stay in Arabic by itself (cookie or links).
        home_fr = get("/")
        switch = next((e for e in parse(home_fr).iter() if is_arabic_switch(e)), None)
        start = "/" if switch is not None else "/?lang=ar"
        t.diag("%s; starting at %s%s" % (subprocess.run(["lynx", "-version"], capture_output=True,
                                                          text=True).stdout.splitlines()[0],
                                         start, " (then the language switch)" if switch else ""))
        lx = Lynx(work, base + start)

        def check_arabic(name, source, text):
            tag = html_tag(source)
            t.ok(re.search(r'\blang="ar"', tag) and re.search(r'\bdir="rtl"', tag),
                 "%s: lynx gets <html lang=\"ar\" dir=\"rtl\"> (%s)" % (name, tag[:80]))
            # lynx 2.9 garbles a line where a form field follows Arabic
            # text (it counts UTF-8 bytes as columns when it draws the
            # field and its [N]): the labels next to fields. Half the
            # passages of a page are enough; the others are listed.
            passages = arabic_passages(source)
            screen = " ".join(text.split())
            shown = [p for p in passages if p in screen]
            t.ok(passages and len(shown) * 2 >= len(passages),
                 "%s: lynx shows the page's text in Arabic (%d of %d passages)" % (name, len(shown), len(passages)))
            if len(shown) < len(passages):
                t.diag("garbled or missing on lynx's screen: %s" % [p[:30] for p in passages if p not in shown][:4])

        def go(source, text, what, pred):
            """Types the number of the first link pred accepts, then Enter."""
            n = number_of(source, pred)
            if not t.ok(n is not None, "lynx can reach %s" % what):
                t.diag(text[:1500])
                raise SystemExit
            t.ok("[%d]" % n in text, "lynx shows %s as [%d]" % (what, n))
            lx.note("follow %s" % what)
            lx.type(str(n))
            lx.key("^J")
            if numbered(source)[n - 1].tag != "a":
                lx.key("^J")    # the number moved to a button: press it

        def href_is(rx):
            return lambda e: e.tag == "a" and re.search(rx, e.get("href") or "") is not None

        source, text = lx.page("home")
        if switch is not None:
            go(source, text, "the language switch's Arabic choice", is_arabic_switch)
            source, text = lx.page("home-ar")
        check_arabic("the home page", source, text)

        go(source, text, "the test site from the home page", href_is(r"/site/%s(\?|$)" % re.escape(fx.slug)))
        source, text = lx.page("site")
        check_arabic("the site page", source, text)
        t.ok(fx.slug in text or "test" in text.lower(), "lynx is on the test site's page")

        go(source, text, "the procedure's calendar", href_is(r"/site/%s/%s(\?|$)" % (re.escape(fx.slug),
                                                                                     re.escape(proc))))
        source, text = lx.page("calendar")
        check_arabic("the calendar", source, text)

        day1 = psql("SELECT to_char(starts_at AT TIME ZONE 'Europe/Paris', 'YYYY-MM-DD') FROM slots WHERE id = %d"
                    % slot_ids[0])
        go(source, text, "the day of the first free time (%s)" % day1, href_is(r"[?&]day=%s" % day1))
        source, text = lx.page("day")
        check_arabic("the day's times", source, text)

        go(source, text, "the first free time", href_is(r"^/book/%d\.[0-9a-f]{16}(\?|$)" % slot_ids[0]))
        form_source, text = lx.page("form")
        check_arabic("the booking form", form_source, text)

        # The booking form, typed field by field. Fields come one after
        # the other in lynx's numbering: the first one is reached by its
        # number, the next ones with Down Arrow (digits would be typed
        # into a text field).
        me = new_identity("lynx", lang="ar")
        y, m, d = me["birth"]
        values = [("surname", me["surname"]), ("given_names", "Amina"),
                  ("birth_day", str(d)), ("birth_month", str(m)), ("birth_year", str(y)),
                  ("email", me["email"])]
        nums = {}
        for name in [v[0] for v in values] + ["lang"]:
            nums[name] = number_of(form_source, lambda e, nm=name: e.get("name") == nm and e.tag in
                                   ("input", "select", "textarea"))
        submit = submit_of(form_source, "surname")
        missing = [k for k, v in nums.items() if v is None]
        if not t.ok(not missing and submit and submit > max(nums.values()),
                    "the booking form has the fields lynx fills, then its button (%s)" % (missing or "all")):
            raise SystemExit
        cur = None
        lx.note("fill the booking form")
        for name, value in values:
            n = nums[name]
            if cur is None:
                lx.type(str(n))
                lx.key("^J")
            else:
                lx.key(*(["Down Arrow"] * (n - cur) if n > cur else ["Up Arrow"] * (cur - n)))
            lx.type(value)
            cur = n

        # The language of the messages: a <select>; the person picks
        # Arabic if the page did not already choose it.
        sel = next(e for e in parse(form_source).iter("select") if e.get("name") == "lang")
        opts = [o for o in sel.iter("option")]
        values_ = [o.get("value") for o in opts]
        chosen = next((i for i, o in enumerate(opts) if o.get("selected") is not None), 0)
        t.ok("ar" in values_, "the messages' language can be Arabic (%s)" % values_)
        if "ar" in values_ and values_[chosen] != "ar":
            t.diag("the form preselects %r; choosing ar in the list" % values_[chosen])
            n = nums["lang"]
            lx.key(*(["Down Arrow"] * (n - cur)))
            cur = n
            moves = values_.index("ar") - chosen
            lx.key("^J", *(["Down Arrow"] * moves if moves > 0 else ["Up Arrow"] * -moves), "^J")
        else:
            t.ok(True, "the Arabic page preselects Arabic for the messages")

        # As fast as a person: the form is sent after the minimum time.
        wait_form_min()
        lx.note("send the booking form (after the minimum fill time)")
        lx.key(*(["Down Arrow"] * (submit - cur)))
        lx.key("^J")
        source, text = lx.page("held")
        check_arabic("the held booking", source, text)
        booking_url = (lx.url or "").split("?")[0].split("#")[0]
        t.ok(re.search(r"/booking/[A-Za-z0-9_-]{43}$", booking_url) is not None,
             "after sending the form lynx is on /booking/<token> (%s…)" % booking_url[:40])
        held = psql("SELECT status || '|' || lang || '|' || slot_id FROM bookings WHERE email = %s"
                    % sql_literal(me["email"]))
        t.is_(held, "held|ar|%d" % slot_ids[0], "lynx's form made a held booking, messages in Arabic")
        if not held:
            t.diag(text[:2000])
            raise SystemExit
        t.ok(me["email"] in text, "the page says where the code was sent")

        code = confirmation_code(me["email"])
        t.ok(code is not None and re.fullmatch(r"\d{6}", code) is not None, "the outbox has the code")
        t.is_(psql("SELECT lang FROM outbox WHERE kind = 'confirmation_code' AND recipient = %s "
                   "ORDER BY id DESC LIMIT 1" % sql_literal(me["email"])), "ar", "the code message is in Arabic")
        cn = number_of(source, lambda e: e.get("name") == "code" and e.tag == "input")
        cs = submit_of(source, "code")
        if not t.ok(cn is not None and cs is not None and cs > cn and code,
                    "the held booking has a code form lynx can fill"):
            raise SystemExit
        lx.note("type the code and send it")
        lx.type(str(cn))
        lx.key("^J")
        lx.type(code)
        lx.key(*(["Down Arrow"] * (cs - cn)))
        lx.key("^J")
        source, text = lx.page("confirmed")
        check_arabic("the confirmed booking", source, text)
        t.is_((lx.url or "").split("?")[0].split("#")[0], booking_url,
              "after sending the code lynx is back on the booking's page")
        mref = REF_RE.search(text)
        ref = mref.group(1) + "-" + mref.group(2) if mref else None
        t.ok(ref is not None, "the page lynx shows has the booking's reference (%s)" % ref)
        row = psql("SELECT status || '|' || slot_id FROM bookings WHERE reference = %s"
                   % sql_literal((ref or "").replace("-", "")))
        t.is_(row, "confirmed|%d" % slot_ids[0], "the database has it confirmed, at the chosen time")
        hm = psql("SELECT to_char(starts_at AT TIME ZONE 'Europe/Paris', 'HH24:MI') FROM slots WHERE id = %d"
                  % slot_ids[0])
        t.ok(hm in text, "the confirmed page shows the time (%s)" % hm)
        t.ok("rue du Test" in text, "and the address")
        t.ok("code" not in [e.get("name") for e in parse(source).iter("input")],
             "and no longer asks for a code")
        t.diag("lynx's pages and keys are in %s (%.1fs)" % (work, time.time() - started))
    except SystemExit:
        pass
    finally:
        if lx is not None:
            lx.close()
        fx.drop()


def too_long(_sig, _frame):
    raise RuntimeError("the test took over %ds" % WHOLE_TIMEOUT)


signal.signal(signal.SIGALRM, too_long)
signal.alarm(WHOLE_TIMEOUT)
main()
signal.alarm(0)
t.done()
