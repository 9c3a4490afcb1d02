"""Helpers for the creneau-notify tests: a real SMTP server (aiosmtpd) and
a Kannel-style SMS endpoint (http.server) on free loopback ports, a
configuration for creneau-notify pointing at them, running the program,
and reading what arrived. Standard library and python3-aiosmtpd only."""

import email
import email.policy
import http.server
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "lib"))
from creneau_test import psql, sql_literal, wait_for  # noqa: E402

# Debian's python3-aiosmtpd, also when python3 is not Debian's own.
try:
    import aiosmtpd  # noqa: F401
except ImportError:
    for d in ("/usr/lib/python3/dist-packages",):
        if os.path.isdir(os.path.join(d, "aiosmtpd")) and d not in sys.path:
            sys.path.append(d)

TOP = os.environ.get("top_builddir") or os.path.abspath(
    os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))


def notify_binary():
    """The creneau-notify program to test: $CRENEAU_NOTIFY, else the build's."""
    return os.environ.get("CRENEAU_NOTIFY") or os.path.join(TOP, "creneau-notify")


def skip_all_unless_ready():
    """Skips the test file without services, the program or aiosmtpd."""
    if not os.environ.get("CRENEAU_URL"):
        print("1..0 # SKIP no test server (run script/test)")
        sys.exit(0)
    if not os.access(notify_binary(), os.X_OK):
        print("1..0 # SKIP creneau-notify is not built")
        sys.exit(0)
    try:
        import aiosmtpd  # noqa: F401
    except ImportError:
        print("1..0 # SKIP python3-aiosmtpd is not installed")
        sys.exit(0)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


class Mailbox:
    """An aiosmtpd server on 127.0.0.1 keeping every message received;
    stop() and start() again on the same port (the 'relay down' tests).
    reject (a set of addresses) answers 550 to RCPT for them."""

    def __init__(self, port=None):
        # While the relay is down, its port stays bound (not listening:
        # a connection is refused), so that no other program, such as a
        # second test run beside this one, takes it meanwhile.
        self.holder = None
        self.port = port or self._hold(0)
        self.messages = []          # (envelope recipients, email.message.EmailMessage)
        self.lock = threading.Lock()
        self.controller = None
        self.reject = set()
        self.delay = 0.0            # seconds to wait before answering DATA

    def _hold(self, port):
        """Binds port (0: any free one) without listening; returns it."""
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", port))
        self.holder = s
        return s.getsockname()[1]

    def start(self):
        from aiosmtpd.controller import Controller
        box = self
        if self.holder is not None:
            self.holder.close()
            self.holder = None

        class Handler:
            async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
                if address in box.reject:
                    return "550 5.1.1 no such user"
                envelope.rcpt_tos.append(address)
                return "250 OK"

            async def handle_DATA(self, server, session, envelope):
                if box.delay:
                    import asyncio
                    await asyncio.sleep(box.delay)
                msg = email.message_from_bytes(envelope.content, policy=email.policy.default)
                with box.lock:
                    box.messages.append((list(envelope.rcpt_tos), msg))
                return "250 2.0.0 Ok: queued"

        self.controller = Controller(Handler(), hostname="127.0.0.1", port=self.port,
                                     data_size_limit=1 << 20)
        self.controller.start()
        return self

    def stop(self):
        if self.controller is not None:
            self.controller.stop()
            self.controller = None
            try:
                self._hold(self.port)
            except OSError:
                pass

    def to(self, address):
        """Messages received for address, in order."""
        with self.lock:
            return [m for rcpt, m in self.messages if address in rcpt]

    def count(self):
        with self.lock:
            return len(self.messages)


class SmsGateway:
    """A Kannel sendsms endpoint: GET /cgi-bin/sendsms?username&password&
    to&text&charset[&coding]; answers 202 '0: Accepted for delivery' when
    the credentials are right, 403 otherwise; fail=True answers 503."""

    def __init__(self, user="creneau", password="s3cret-sms"):
        self.port = free_port()
        self.user, self.password = user, password
        self.received = []          # dicts of the query parameters
        self.fail = False
        self.lock = threading.Lock()
        gw = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                u = urllib.parse.urlsplit(self.path)
                q = dict(urllib.parse.parse_qsl(u.query, keep_blank_values=True))
                if u.path != "/cgi-bin/sendsms":
                    code, body = 404, "Not found"
                elif gw.fail:
                    code, body = 503, "Temporal failure, try again later."
                elif q.get("username") != gw.user or q.get("password") != gw.password:
                    code, body = 403, "Authorization failed for sendsms"
                else:
                    with gw.lock:
                        gw.received.append(q)
                    code, body = 202, "0: Accepted for delivery"
                data = body.encode()
                self.send_response(code)
                self.send_header("Content-Type", "text/plain")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), H)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def start(self):
        self.thread.start()
        return self

    def stop(self):
        self.server.shutdown()

    def to(self, number):
        with self.lock:
            return [q for q in self.received if q.get("to") == number]

    @property
    def url(self):
        return "http://127.0.0.1:%d/cgi-bin/sendsms" % self.port


def write_conf(path, mailbox, sms, **overrides):
    """Writes a configuration for creneau-notify: $CRENEAU_CONF with the
    notification keys set for these servers (and overrides); returns path."""
    with open(os.environ["CRENEAU_CONF"]) as f:
        lines = f.read().splitlines()
    pw = path + ".sms-password"
    with open(pw, "w") as f:
        f.write(sms.password + "\n")
    os.chmod(pw, 0o600)
    keys = {
        "base_url": os.environ["CRENEAU_URL"],
        "smtp_url": "smtp://127.0.0.1:%d" % mailbox.port,
        "smtp_from": "creneau@prefecture.test",
        "sms_url": sms.url,
        "sms_user": sms.user,
        "sms_password_file": pw,
        "notify_max_attempts": "3",
        "notify_retry_seconds": "1",
        "notify_retry_max_seconds": "4",
        "notify_poll_seconds": "2",
        "notify_lease_seconds": "10",
        "notify_timeout_seconds": "5",
        "notify_batch": "20",
        "notify_max_per_day": "10",
    }
    keys.update({k: str(v) for k, v in overrides.items()})
    out = [ln for ln in lines if ln.split("=", 1)[0].strip() not in keys]
    out += ["%s = %s" % kv for kv in keys.items()]
    with open(path, "w") as f:
        f.write("\n".join(out) + "\n")
    return path


def run_once(conf, timeout=120):
    """Runs creneau-notify -1; returns (status, stderr)."""
    p = subprocess.run([notify_binary(), "-c", conf, "-1"], capture_output=True,
                       text=True, timeout=timeout)
    return p.returncode, p.stderr


def start_daemon(conf, log):
    """Starts creneau-notify in the background (stderr to log); returns the Popen."""
    return subprocess.Popen([notify_binary(), "-c", conf], stdout=subprocess.DEVNULL,
                            stderr=open(log, "a"), start_new_session=True)


def stop_daemon(p, sig=signal.SIGTERM, timeout=20):
    if p.poll() is None:
        p.send_signal(sig)
        try:
            p.wait(timeout)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait()


def bodies(msg):
    """(plain text, html, [attachments (content type, filename, bytes)]) of an e-mail."""
    text = html = None
    att = []
    for part in msg.walk():
        ct = part.get_content_type()
        if part.is_multipart():
            continue
        if part.get_filename():
            att.append((ct, part.get_filename(), part.get_payload(decode=True)))
        elif ct == "text/plain" and text is None:
            text = part.get_content()
        elif ct == "text/html" and html is None:
            html = part.get_content()
    return text, html, att


def links_in(text):
    """The URLs in a text, in order."""
    return re.findall(r"https?://[^\s<>\"]+", text or "")


def outbox_rows(where):
    """(id, kind, channel, status, attempts) of outbox rows matching where."""
    out = psql("SELECT id, kind, channel, status, attempts FROM outbox WHERE %s ORDER BY id" % where)
    return [tuple(r.split("|")) for r in out.splitlines() if r]


def drop_fixture(fx):
    """Removes a Fixture with its alert subscriptions and their messages."""
    s = sql_literal(fx.slug)
    psql("DELETE FROM outbox WHERE alert_subscription_id IN (SELECT a.id FROM alert_subscriptions a "
         " JOIN sites st ON st.id = a.site_id WHERE st.slug = %s);"
         "DELETE FROM alert_subscriptions WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
         "DELETE FROM alert_publications WHERE site_id = (SELECT id FROM sites WHERE slug = %s);"
         % (s, s, s))
    fx.drop()


def subscribe_sql(fx, code, email=None, phone=None, lang="fr", confirmed=True):
    """Adds an alert subscription straight in the database (confirmed by
    default); returns its id."""
    return int(psql(
        "INSERT INTO alert_subscriptions (site_id, procedure_id, email, phone, lang, expires_at, confirmed_at) "
        "SELECT s.id, p.id, %s, %s, %s, now() + interval '30 days', %s FROM sites s, procedures p "
        "WHERE s.slug = %s AND p.code = %s RETURNING id"
        % (sql_literal(email), sql_literal(phone), sql_literal(lang),
           "now()" if confirmed else "NULL", sql_literal(fx.slug), sql_literal(code))))


def publish_slots(fx, code, n=3, delay="1 second", days_ahead=5, capacity=1):
    """Adds n slots of procedure code published delay from now; returns
    the publication time (text)."""
    return psql(
        "INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at) "
        "SELECT c.id, p.id, t0 + i * interval '30 minutes', t0 + (i + 1) * interval '30 minutes', %d, pub "
        "  FROM counters c JOIN sites s ON s.id = c.site_id, procedures p, "
        "       (SELECT date_trunc('day', now()) + make_interval(days => %d, hours => 12) AS t0, "
        "               now() + interval %s AS pub) x, generate_series(0, %d - 1) i "
        " WHERE s.slug = %s AND p.code = %s AND c.name = 'Guichet ' || %s "
        "RETURNING published_at" % (capacity, days_ahead, sql_literal(delay), n, sql_literal(fx.slug),
                           sql_literal(code), sql_literal(code.split("-")[-1]))).splitlines()[0]


def queue_alert_confirms(fx, code, emails, lang="fr"):
    """Queues one alert_confirm message per address (alert_subscribe)."""
    vals = ",".join("(%s)" % sql_literal(e) for e in emails)
    psql("SELECT alert_subscribe(s.id, p.id, v.e, NULL, %s, NULL, 30) FROM sites s, procedures p, "
         "(VALUES %s) v (e) WHERE s.slug = %s AND p.code = %s"
         % (sql_literal(lang), vals, sql_literal(fx.slug), sql_literal(code)))
