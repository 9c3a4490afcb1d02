#!/usr/bin/env python3
"""The opening stampede (issue 15): a load generator that replays a
calendar opening against a running creneau (nginx on CRENEAU_URL, its
database through psql and the PG* variables).

It creates a site of its own with one open procedure whose PLACES places
(slots of --capacity) are published --lead seconds after the first
arrival, then lets APPLICANTS people arrive, evenly spread over --window
seconds. Each follows the pages as a person does, with a browser's cookie
jar and one of 253 loopback source addresses (a crowd behind many
networks): the calendar (the waiting room while it is one, refreshed
after a pause), a day, a time, the booking form, a pause to fill it, the
POST, the held booking's page, the code (read from the outbox in the
database, where a mailbox would deliver it), the code form and the
confirmed page. A person refused a time takes another; one who finds
nothing free keeps refreshing the calendar a few times before giving up.

It prints the throughput, p50/p99/max latency per step and the answers
by status, then checks the database: no place over capacity, no identity
with two live bookings, and every confirmed booking matched by a person
who was shown its reference (and nobody shown one without it), and the
5xx answers by kind: the overload page (503 with Retry-After, from nginx
or from the application) and unintended ones (anything else); issue 15's
target is no 5xx at all. Exit status 1 when an invariant fails or an
unintended 5xx was answered. --url may name several hosts. --json writes the figures and the
references people were shown (t/http/stampede_small.t reads them).

Standard library only (asyncio; one connection a request, Connection:
close). The client shares the machine with the server: its own CPU time
is printed beside the figures."""

import argparse
import asyncio
import json
import os
import random
import re
import resource
import string
import subprocess
import sys
import time
import urllib.parse

REF_RE = re.compile(r'class="reference"[^>]*>([ACDEFGHJKLMNPQRTUVWXY34679]{4})-([ACDEFGHJKLMNPQRTUVWXY34679]{4})<')
DAY_RE = re.compile(r'href="([^"#]*[?&](?:amp;)?day=\d{4}-\d{2}-\d{2})(?:#[^"]*)?"')
TIME_RE = re.compile(r'href="(/book/\d+\.[0-9a-f]{16})"')
FORM_RE = re.compile(r"<form\b([^>]*)>(.*?)</form>", re.S)
INPUT_RE = re.compile(r"<input\b([^>]*)/?>")
ATTR_RE = re.compile(r'([a-zA-Z_:-]+)="([^"]*)"')
ERRORS_RE = re.compile(r'class="alert alert-error error-summary".*?</div>', re.S)
UNAVAILABLE_RE = re.compile(r'class="alert alert-info"[^>]*>\s*<p>([^<]*)<')
STEPS = ("wait", "calendar", "day", "form", "post", "held", "confirm", "confirmed", "refresh")


def psql(sql):
    out = subprocess.run(["psql", "-X", "-A", "-t", "-q", "-v", "ON_ERROR_STOP=1", "-c", sql],
                         capture_output=True, text=True)
    if out.returncode != 0:
        raise RuntimeError("psql: %s" % out.stderr.strip())
    return out.stdout.strip()


def lit(s):
    return "'" + str(s).replace("'", "''") + "'"


def unescape(s):
    return s.replace("&amp;", "&").replace("&quot;", '"').replace("&lt;", "<").replace("&gt;", ">")


def attrs(s):
    return {k: unescape(v) for k, v in ATTR_RE.findall(s)}


def find_form(body, action_re):
    """(action, {hidden and prefilled fields}) of the first form whose
    action matches, or None."""
    for fa, inner in FORM_RE.findall(body):
        a = attrs(fa)
        if re.search(action_re, a.get("action", "")):
            fields = {}
            for ia in INPUT_RE.findall(inner):
                i = attrs(ia)
                if i.get("name") and i.get("type", "text") in ("hidden", "text", "email", "tel") \
                        and i.get("name") != "website":
                    fields[i["name"]] = i.get("value", "")
            return a["action"], fields
    return None


class Stats:
    def __init__(self):
        self.lat = {s: [] for s in STEPS}
        self.wire = {s: [] for s in STEPS}
        self.status = {}
        self.requests = 0
        self.per_host = {}
        self.per_second = {}
        self.t0 = time.monotonic()
        self.fives = {}         # (step, status, kind, host) -> count

    def add_5xx(self, step, status, kind, host):
        k = (step, status, kind, host)
        self.fives[k] = self.fives.get(k, 0) + 1

    def add(self, step, status, seconds, wire, host=0):
        self.requests += 1
        self.per_host[host] = self.per_host.get(host, 0) + 1
        self.lat[step].append(seconds)
        self.wire[step].append(wire)
        self.status[(step, status)] = self.status.get((step, status), 0) + 1
        sec = int(time.monotonic() - self.t0)
        self.per_second[sec] = self.per_second.get(sec, 0) + 1


# The page nginx answers when it cannot reach the application (a full
# listen queue, a worker that died, a timeout: error_page 502 504 =503
# @unavailable in conf/nginx/); the application's own 503 says otherwise.
NGINX_UNAVAILABLE = "Service briefly unavailable"


def kind_5xx(status, hdrs, body):
    """What a 5xx answer was: "overload" for the 503 page with Retry-After
    that the application or nginx means to give when it cannot serve (the
    intended answer, though still a failure of "zero 5xx"), with "nginx"
    when nginx could not reach the application; "unintended" for anything
    else (500, a bare 502 or 504, a 503 without Retry-After)."""
    if status == 503 and hdrs.get("retry-after"):
        return "overload (nginx)" if NGINX_UNAVAILABLE.encode() in body else "overload (application)"
    return "unintended"


class Client:
    """The HTTP side: one connection a request from a chosen loopback
    address, at most `inflight` requests at once, to one of the hosts."""

    def __init__(self, urls, inflight, timeout, stats):
        self.hosts = []
        for url in urls:
            u = urllib.parse.urlsplit(url)
            self.hosts.append((u.hostname, u.port or 80, u.netloc))
        self.sem = asyncio.Semaphore(inflight)
        self.timeout = timeout
        self.stats = stats

    async def request(self, step, method, path, src, jar, body=None, lang="fr", host=0):
        """Sends one request to host number `host`; returns (status, headers
        dict lower-case -> list, body str). status is 0 for a timeout or a
        broken connection. The time counted starts when the person clicks
        (a wait for a free client connection included)."""
        t0 = t1 = time.monotonic()
        try:
            async with self.sem:
                t1 = time.monotonic()
                st, hdrs, data = await asyncio.wait_for(
                    self._send(self.hosts[host % len(self.hosts)], method, path, src, jar, body, lang),
                    self.timeout)
        except (asyncio.TimeoutError, OSError, ValueError, IndexError):
            st, hdrs, data = 0, {}, b""
        t2 = time.monotonic()
        self.stats.add(step, st, t2 - t0, t2 - t1, host % len(self.hosts))
        if st >= 500:
            self.stats.add_5xx(step, st, kind_5xx(st, hdrs, data), host % len(self.hosts))
        for v in hdrs.get("set-cookie", []):
            nv = v.split(";", 1)[0]
            name, _, value = nv.partition("=")
            if "max-age=0" in v.lower() or value == "":
                jar.pop(name.strip(), None)
            else:
                jar[name.strip()] = value
        return st, hdrs, data.decode("utf-8", "replace")

    async def _send(self, target, method, path, src, jar, body, lang):
        host, port, hosthdr = target
        reader, writer = await asyncio.open_connection(host, port, local_addr=(src, 0))
        try:
            lines = ["%s %s HTTP/1.1" % (method, path), "Host: " + hosthdr,
                     "Connection: close", "Accept-Language: " + lang,
                     "User-Agent: creneau-stampede"]
            if jar:
                lines.append("Cookie: " + "; ".join("%s=%s" % kv for kv in jar.items()))
            payload = b""
            if body is not None:
                payload = urllib.parse.urlencode(body).encode()
                origin = "http://" + hosthdr
                lines += ["Content-Type: application/x-www-form-urlencoded",
                          "Content-Length: %d" % len(payload), "Origin: " + origin,
                          "Referer: " + origin + path]
            writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + payload)
            raw = await reader.read()
        finally:
            writer.close()
        head, _, data = raw.partition(b"\r\n\r\n")
        hl = head.decode("latin-1").split("\r\n")
        status = int(hl[0].split()[1])
        hdrs = {}
        for line in hl[1:]:
            k, _, v = line.partition(":")
            hdrs.setdefault(k.strip().lower(), []).append(v.strip())
        if "chunked" in ",".join(hdrs.get("transfer-encoding", [])):
            out, rest = b"", data
            while rest:
                size, _, rest = rest.partition(b"\r\n")
                n = int(size.split(b";")[0], 16)
                if n == 0:
                    break
                out += rest[:n]
                rest = rest[n + 2:]
            data = out
        return status, hdrs, data


class Codes:
    """The confirmation codes from the outbox, read every 0.3 s in one
    query (what a mailbox would deliver)."""

    def __init__(self, site_id):
        self.site_id = site_id
        self.last = 0
        self.codes = {}
        self.polls = 0

    async def run(self, stop):
        loop = asyncio.get_running_loop()
        while not stop.is_set():
            q = ("SELECT id, recipient, payload->>'code' FROM outbox WHERE kind = 'confirmation_code' "
                 "AND id > %d AND booking_id IN (SELECT id FROM bookings WHERE site_id = %d "
                 "AND status = 'held') ORDER BY id" % (self.last, self.site_id))
            try:
                out = await loop.run_in_executor(None, psql, q)
            except RuntimeError:
                out = ""
            self.polls += 1
            for line in out.splitlines():
                i, rcpt, code = line.split("|")
                self.last = max(self.last, int(i))
                self.codes[rcpt] = code
            try:
                await asyncio.wait_for(stop.wait(), 0.3)
            except asyncio.TimeoutError:
                pass

    async def get(self, email, timeout=60.0):
        t0 = time.monotonic()
        while time.monotonic() - t0 < timeout:
            if email in self.codes:
                return self.codes.pop(email)
            await asyncio.sleep(0.2)
        return None


class Person:
    def __init__(self, n, run, run_number):
        rnd = random.Random("%s-%d" % (run, n))
        self.n = n
        self.src = "127.0.0.%d" % (2 + n % 253)
        self.jar = {}
        word = "".join(rnd.choice(string.ascii_lowercase) for _ in range(8))
        self.surname = "Ruee" + word.capitalize()
        self.given = rnd.choice(["Jeanne", "Marie", "Amina", "Karim", "Lucas", "Fatou", "Nguyen", "Sofia"])
        self.birth = (rnd.randint(1950, 2005), rnd.randint(1, 12), rnd.randint(1, 28))
        self.email = "st-%s-%d@example.org" % (run, n)
        # A French mobile number of its own: 06, or 07 then 3 to 9, and
        # digits that differ with the person and the run.
        x = "%07d" % ((run_number * 1000003 + n) % 10 ** 7)
        self.phone = ("06 %s%s %s %s %s" if n % 2 == 0 else "07 %s%s %s %s %s") % (
            str(n % 10) if n % 2 == 0 else str(3 + n % 7), x[0], x[1:3], x[3:5], x[5:7])
        self.outcome = "gave up"
        self.reference = None
        self.attempts = 0


OVERLOAD = (0, 429, 502, 503, 504)


async def think(lo, hi):
    await asyncio.sleep(random.uniform(lo, hi))


async def reload(ctx, step, method, path, p, body=None, tries=10):
    """A request, sent again after a pause while the answer says the
    server is busy (a timeout, 429, 502 to 504), as a person presses
    reload; a form is sent again the same way (its token makes that
    safe)."""
    for _ in range(tries):
        st, h, page = await ctx.http.request(step, method, path, p.src, p.jar, body=body, host=p.n)
        if st not in OVERLOAD:
            break
        await think(2, 5)
    return st, h, page


async def follow_calendar(ctx, p, path):
    """GETs the calendar until it is not the waiting room; returns the
    page, or None when the person gave up."""
    step = "calendar"
    for _ in range(ctx.a.max_waits):
        if time.monotonic() > ctx.stop_at:
            p.outcome = "stopped at --deadline"
            return None
        st, h, body = await ctx.http.request(step, "GET", path, p.src, p.jar, host=p.n)
        if st == 200 and "refresh" in h:
            # The waiting room: come back later (after Refresh, or
            # sooner, pressing F5, as impatient people do).
            step = "wait"
            try:
                r = float(h["refresh"][0].split(";")[0])
            except ValueError:
                r = 20.0
            await asyncio.sleep(min(r, random.uniform(1.0, ctx.a.impatience)))
            continue
        if st in OVERLOAD:
            await think(2, 5)
            continue
        return body if st == 200 else None
    return None


async def applicant(ctx, p, arrive_at):
    a = ctx.a
    await asyncio.sleep(max(0.0, arrive_at - time.monotonic()))
    refreshes = 0
    cal_path = ctx.cal
    while p.attempts < a.attempts:
        cal = await follow_calendar(ctx, p, cal_path)
        if cal is None:
            if p.outcome == "gave up" and time.monotonic() <= ctx.stop_at:
                p.outcome = "gave up waiting"
            return
        days = [unescape(d) for d in DAY_RE.findall(cal)]
        if not days:
            # Nothing free: refresh the calendar a few times.
            refreshes += 1
            if refreshes > a.refreshes:
                p.outcome = "nothing free"
                return
            await think(2, 6)
            st, h, cal2 = await reload(ctx, "refresh", "GET", cal_path, p)
            if st == 200 and DAY_RE.search(cal2) and "refresh" not in h:
                continue
            await think(2, 6)
            continue
        await think(0.5, 2)
        st, h, day = await reload(ctx, "day", "GET", random.choice(days[:4]), p)
        if st != 200 or "refresh" in h:
            await think(1, 3)
            continue
        times = TIME_RE.findall(day)
        if not times:
            continue
        await think(0.5, 2)
        book = random.choice(times)
        st, h, page = await reload(ctx, "form", "GET", book, p)
        if st == 200 and "refresh" in h:
            await think(1, a.impatience)
            continue
        f = find_form(page, r"^/book/") if st == 200 else None
        if f is None:
            p.attempts += 1
            await think(1, 2)
            continue
        action, fields = f
        y, m, d = p.birth
        fields.update({"surname": p.surname, "given_names": p.given, "birth_day": str(d),
                       "birth_month": str(m), "birth_year": str(y), "email": p.email,
                       "phone": p.phone, "lang": "fr", "website": ""})
        await asyncio.sleep(a.fill + random.uniform(0.2, a.fill_extra))
        p.attempts += 1
        st, h, page = await reload(ctx, "post", "POST", action, p, body=fields)
        loc = (h.get("location") or [""])[0]
        if st == 303 and "/booking/" in loc:
            bpath = urllib.parse.urlsplit(loc).path
            await confirm(ctx, p, bpath)
            return
        # Refused (taken, or a limit): back to the calendar.
        ctx.refusals[refusal(st, page)] = ctx.refusals.get(refusal(st, page), 0) + 1
    p.outcome = p.outcome if p.outcome != "gave up" else "refused"


def refusal(status, page):
    """Why a booking POST did not hold a place: the page's messages."""
    if status != 200:
        return "status %s" % ("timeout" if status == 0 else status)
    m = ERRORS_RE.search(page)
    if m:
        items = re.findall(r"<li[^>]*>(.*?)</li>", m.group(0), re.S)
        return "; ".join(sorted(set(unescape(re.sub(r"<[^>]*>", "", i)).strip() for i in items))) or "errors"
    m = UNAVAILABLE_RE.search(page)
    return unescape(m.group(1)).strip() if m else "other"


async def confirm(ctx, p, bpath):
    p.outcome = "held"
    st, h, page = await reload(ctx, "held", "GET", bpath, p)
    f = find_form(page, r"/confirm$") if st == 200 else None
    if f is None:
        p.outcome = "held, no code form (%d)" % st
        return
    code = await ctx.codes.get(p.email, timeout=300.0)
    if code is None:
        p.outcome = "held, no code"
        return
    await think(1, 3)
    action, fields = f
    fields["code"] = code
    cst, h, page = await reload(ctx, "confirm", "POST", action, p, body=fields)
    # Whatever the answer, the person looks at the booking's page (its
    # link is in the message): what it shows is what they were told.
    st, h, page = await reload(ctx, "confirmed", "GET", bpath, p, tries=30)
    m = REF_RE.search(page) if st == 200 else None
    if m and 'name="code"' not in page:
        p.reference = m.group(1) + m.group(2)
        p.outcome = "confirmed"
    else:
        p.outcome = "not confirmed (code form %d, page %d)" % (cst, st)


class Ctx:
    pass


def setup(a, run):
    """Creates the site, procedure, counter and slots; returns (site id,
    procedure id, calendar path, opening epoch)."""
    slug = "ruee-%s" % run
    code = "%s-titre" % slug
    nslots = (a.places + a.capacity - 1) // a.capacity
    per_day = (nslots + a.days - 1) // a.days
    psql("INSERT INTO sites (slug, name, kind, department_code, department_name, address, postal_code, city, "
         "phone, time_zone, alternative_route) VALUES (%s, %s, 'prefecture', '94', 'Val-de-Marne', "
         "'21-29, avenue du Général-de-Gaulle', '94000', 'Créteil', '01 49 56 60 00', 'Europe/Paris', "
         "'Appelez le standard.');"
         "INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref, allocation_mode, "
         "documents) VALUES (%s, 'Titre de séjour (ruée)', 'Première demande.', 15, false, 'open', "
         "ARRAY['Passeport']);"
         "INSERT INTO site_procedures (site_id, procedure_id) SELECT s.id, p.id FROM sites s, procedures p "
         " WHERE s.slug = %s AND p.code = %s;"
         "INSERT INTO draw_switch_settings (site_id, procedure_id, sellout_minutes, registration_minutes, "
         " offer_hours) SELECT s.id, p.id, 0, 60, 24 FROM sites s, procedures p WHERE s.slug = %s AND p.code = %s;"
         "INSERT INTO counters (site_id, name) SELECT id, 'Guichet 1' FROM sites WHERE slug = %s;"
         % (lit(slug), lit("Préfecture de la ruée " + run), lit(code), lit(slug), lit(code), lit(slug),
            lit(code), lit(slug)))
    opening = float(psql(
        "INSERT INTO slots (counter_id, procedure_id, starts_at, ends_at, capacity, published_at) "
        "SELECT c.id, p.id, t0 + (i / %d) * interval '1 day' + (i %% %d) * interval '15 minutes', "
        "       t0 + (i / %d) * interval '1 day' + (i %% %d + 1) * interval '15 minutes', %d, "
        "       date_trunc('second', now()) + make_interval(secs => %f) "
        "  FROM counters c JOIN sites s ON s.id = c.site_id, procedures p, "
        "       (SELECT date_trunc('day', now()) + interval '7 days 7 hours' AS t0) x, "
        "       generate_series(0, %d - 1) AS i "
        " WHERE s.slug = %s AND p.code = %s "
        "RETURNING extract(epoch FROM published_at)"
        % (per_day, per_day, per_day, per_day, a.capacity, a.settle + a.lead, nslots, lit(slug),
           lit(code))).split()[0])
    site_id, proc_id = psql("SELECT s.id, p.id FROM sites s, procedures p WHERE s.slug = %s AND p.code = %s"
                            % (lit(slug), lit(code))).split("|")
    return int(site_id), int(proc_id), "/site/%s/%s" % (slug, code), opening


def drop(site_id):
    bk = "SELECT id FROM bookings WHERE site_id = %d" % site_id
    psql("DELETE FROM outbox WHERE booking_id IN (%s);"
         "DELETE FROM booking_tokens WHERE booking_id IN (%s);"
         "DELETE FROM bookings WHERE id IN (%s);"
         "DELETE FROM slots WHERE site_id = %d;"
         "DELETE FROM counters WHERE site_id = %d;"
         "DELETE FROM draw_switch_settings WHERE site_id = %d;"
         "DELETE FROM site_procedures WHERE site_id = %d;"
         "DELETE FROM procedures WHERE code LIKE (SELECT slug || '-%%' FROM sites WHERE id = %d);"
         "DELETE FROM sites WHERE id = %d"
         % (bk, bk, bk, site_id, site_id, site_id, site_id, site_id, site_id))


def check_db(proc_id, told):
    """The invariants after a run; told: {reference: e-mail} of the people
    shown a confirmed booking. Returns (problems, facts)."""
    problems = []
    # A booking holds its place until it is released (an expired hold or
    # a cancellation gives it back later, schema/017).
    over = psql("SELECT count(*) FROM slots s WHERE s.procedure_id = %d AND (s.booked > s.capacity OR "
                "(SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released) > s.capacity)"
                % proc_id)
    if over != "0":
        problems.append("%s slot(s) over capacity" % over)
    drift = psql("SELECT count(*) FROM slots s WHERE s.procedure_id = %d AND s.booked <> "
                 "(SELECT count(*) FROM bookings b WHERE b.slot_id = s.id AND NOT b.released)" % proc_id)
    if drift != "0":
        problems.append("%s slot(s) whose count of booked places differs from their bookings" % drift)
    twice = psql("SELECT count(*) FROM (SELECT identity_key FROM bookings WHERE procedure_id = %d AND status IN "
                 "('held', 'confirmed', 'completed') GROUP BY identity_key HAVING count(*) > 1) x" % proc_id)
    if twice != "0":
        problems.append("%s identit(y/ies) with two live bookings" % twice)
    twice_mail = psql("SELECT count(*) FROM (SELECT lower(email) FROM bookings WHERE procedure_id = %d AND status "
                      "IN ('held', 'confirmed', 'completed') GROUP BY 1 HAVING count(*) > 1) x" % proc_id)
    if twice_mail != "0":
        problems.append("%s e-mail(s) with two live bookings" % twice_mail)
    rows = psql("SELECT reference, email FROM bookings WHERE procedure_id = %d AND status = 'confirmed'" % proc_id)
    confirmed = dict(line.split("|", 1) for line in rows.splitlines() if line)
    not_told = sorted(set(confirmed) - set(told))
    if not_told:
        problems.append("%d confirmed booking(s) nobody was told of: %s" % (len(not_told), not_told[:5]))
    told_wrong = sorted(r for r in told if r not in confirmed or confirmed[r] != told[r])
    if told_wrong:
        problems.append("%d person(s) told 'confirmed' without that booking: %s" % (len(told_wrong), told_wrong[:5]))
    # Places taken (bookings made) in each minute after the opening.
    by_minute = psql("SELECT floor(extract(epoch FROM b.created_at - s.published_at) / 60)::int, count(*) "
                     "FROM bookings b JOIN slots s ON s.id = b.slot_id WHERE b.procedure_id = %d "
                     "GROUP BY 1 ORDER BY 1" % proc_id)
    facts = {"by_minute": [tuple(int(x) for x in line.split("|")) for line in by_minute.splitlines() if line],
             "confirmed": len(confirmed),
             "held": int(psql("SELECT count(*) FROM bookings WHERE procedure_id = %d AND status = 'held'" % proc_id)),
             "expired": int(psql("SELECT count(*) FROM bookings WHERE procedure_id = %d AND status = 'expired'"
                                 % proc_id)),
             "places": int(psql("SELECT coalesce(sum(capacity), 0) FROM slots WHERE procedure_id = %d" % proc_id)),
             "booked": int(psql("SELECT coalesce(sum(booked), 0) FROM slots WHERE procedure_id = %d" % proc_id))}
    return problems, facts


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(q * len(xs)))]


def report(a, stats, people, elapsed, cpu, problems, facts, opening_in, refusals):
    out = []
    out.append("stampede: %d applicants over %d s for %d places (capacity %d a time), opening %.0f s after "
               "the first arrival; %d requests at most in flight; %s" % (
                   a.applicants, a.window, facts["places"], a.capacity, opening_in, a.inflight,
                   "1 host" if len(a.urls) == 1 else "%d hosts, each person on one of them" % len(a.urls)))
    out.append("ran %.1f s: %d requests, %.0f req/s on average, %d req/s in the busiest second; "
               "the client used %.1f s of CPU" % (elapsed, stats.requests, stats.requests / max(elapsed, 0.001),
                                                  max(stats.per_second.values() or [0]), cpu))
    out.append("")
    out.append("Latency from the click (a wait for one of the client's connections included) and on the wire "
               "(from the connection to the last byte), in ms:")
    out.append("")
    out.append("| step | requests | p50 | p99 | max | wire p50 | wire p99 | wire max | answers |")
    out.append("|---|---|---|---|---|---|---|---|---|")
    for s in STEPS:
        xs, ws = stats.lat[s], stats.wire[s]
        if not xs:
            continue
        codes = sorted((st, n) for (step, st), n in stats.status.items() if step == s)
        out.append("| %s | %d | %.0f | %.0f | %.0f | %.0f | %.0f | %.0f | %s |" % (
            s, len(xs), pct(xs, 0.5) * 1e3, pct(xs, 0.99) * 1e3, max(xs) * 1e3,
            pct(ws, 0.5) * 1e3, pct(ws, 0.99) * 1e3, max(ws) * 1e3,
            " ".join("%s:%d" % ("timeout" if st == 0 else st, n) for st, n in codes)))
    errors = {}
    for (step, st), n in stats.status.items():
        if st not in (200, 303):
            errors[st] = errors.get(st, 0) + n
    out.append("")
    out.append("answers other than 200 and 303: %s" % (", ".join("%s: %d" % ("timeout" if k == 0 else k, v)
                                                                for k, v in sorted(errors.items())) or "none"))
    fives = five_counts(stats)
    out.append("5xx: %d in all; %d unintended (500, a bare 502/504, a 503 without Retry-After); "
               "%d overload pages (503 with Retry-After: %d from nginx, the application out of reach; "
               "%d from the application)" % (fives["all"], fives["unintended"], fives["overload"],
                                             fives["overload (nginx)"], fives["overload (application)"]))
    if fives["all"]:
        by = {}
        for (step, st, kind, host), n in stats.fives.items():
            k = "%s %d %s%s" % (step, st, kind, " host %d" % (host + 1) if len(stats.per_host) > 1 else "")
            by[k] = by.get(k, 0) + n
        out.append("5xx by step, status and kind: %s" % ", ".join("%s: %d" % kv for kv in sorted(by.items())))
    if len(stats.per_host) > 1:
        out.append("requests by host: %s" % ", ".join("host %d: %d" % (h + 1, n)
                                                      for h, n in sorted(stats.per_host.items())))
    outcomes = {}
    for p in people:
        outcomes[p.outcome] = outcomes.get(p.outcome, 0) + 1
    out.append("people: %s" % ", ".join("%s %d" % kv for kv in sorted(outcomes.items(), key=lambda kv: -kv[1])))
    if refusals:
        out.append("booking POSTs refused: %s" % ", ".join(
            "%s: %d" % kv for kv in sorted(refusals.items(), key=lambda kv: -kv[1])[:6]))
    out.append("database: %d places, %d booked, %d confirmed, %d still held, %d holds expired" % (
        facts["places"], facts["booked"], facts["confirmed"], facts["held"], facts["expired"]))
    if facts.get("by_minute"):
        out.append("places taken in each minute after the opening: %s" % ", ".join(
            "+%d: %d" % m for m in facts["by_minute"]))
    out.append("invariants: %s" % ("all hold (no place over capacity, the slots' counts match their bookings, "
                                   "no identity twice, every confirmed "
                                   "booking told to its person and nobody told without one)"
                                   if not problems else "FAILED: " + "; ".join(problems)))
    slow = [s for s in STEPS if stats.lat[s] and pct(stats.lat[s], 0.99) >= 1.0]
    out.append("issue 15's target: zero 5xx %s; no place over capacity and no identity twice %s; "
               "p99 under 1 s at every step %s" % (
                   "MET" if fives["all"] == 0 else "NOT MET (%d)" % fives["all"],
                   "MET" if not problems else "NOT MET",
                   "MET" if not slow else "NOT MET (%s)" % ", ".join(slow)))
    return "\n".join(out)


def five_counts(stats):
    """The 5xx answers: all, unintended, overload (and by origin)."""
    c = {"all": 0, "unintended": 0, "overload": 0, "overload (nginx)": 0, "overload (application)": 0}
    for (step, st, kind, host), n in stats.fives.items():
        c["all"] += n
        c[kind] += n
        if kind != "unintended":
            c["overload"] += n
    return c


async def main_async(a):
    run = "".join(random.SystemRandom().choice(string.ascii_lowercase) for _ in range(8))
    site_id, proc_id, cal, opening = setup(a, run)
    try:
        # Every worker's cache of releases (5 s) sees the opening.
        await asyncio.sleep(a.settle)
        ctx = Ctx()
        ctx.a = a
        ctx.cal = cal
        stats = Stats()
        ctx.http = Client(a.urls, a.inflight, a.timeout, stats)
        ctx.codes = Codes(site_id)
        ctx.refusals = {}
        stop = asyncio.Event()
        poller = asyncio.ensure_future(ctx.codes.run(stop))
        run_number = random.SystemRandom().randrange(10 ** 7)
        people = [Person(i, run, run_number) for i in range(a.applicants)]
        start = time.monotonic()
        # Past the deadline, nobody starts anything new; those holding a
        # booking still confirm it.
        ctx.stop_at = start + a.deadline
        opening_in = opening - time.time()
        cpu0 = resource.getrusage(resource.RUSAGE_SELF)
        tasks = [asyncio.ensure_future(applicant(ctx, p, start + a.window * i / max(1, a.applicants)))
                 for i, p in enumerate(people)]
        await asyncio.gather(*tasks)
        elapsed = time.monotonic() - start
        cpu1 = resource.getrusage(resource.RUSAGE_SELF)
        stop.set()
        await poller
        told = {p.reference: p.email for p in people if p.reference}
        problems, facts = check_db(proc_id, told)
        cpu = cpu1.ru_utime + cpu1.ru_stime - cpu0.ru_utime - cpu0.ru_stime
        text = report(a, stats, people, elapsed, cpu, problems, facts, opening_in, ctx.refusals)
        print(text, flush=True)
        if a.json:
            with open(a.json, "w") as f:
                json.dump({"proc_id": proc_id, "site_id": site_id, "told": told, "problems": problems,
                           "facts": facts, "elapsed": elapsed, "requests": stats.requests,
                           "status": {"%s %s" % k: v for k, v in stats.status.items()},
                           "fives": five_counts(stats),
                           "p99": {s: pct(stats.lat[s], 0.99) for s in STEPS if stats.lat[s]},
                           "per_host": {str(h + 1): n for h, n in stats.per_host.items()},
                           "outcomes": [p.outcome for p in people], "report": text}, f)
        # The invariants, and no unintended 5xx: an overload page with
        # Retry-After is what the server means to answer when it cannot
        # serve (printed above against the target of zero 5xx).
        return 1 if problems or five_counts(stats)["unintended"] else 0
    finally:
        if a.drop:
            drop(site_id)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--url", default=os.environ.get("CRENEAU_URL"),
                    help="creneau's address (CRENEAU_URL); several, separated by commas, for several hosts: "
                         "each person uses one of them, as behind a balancer that hashes on the client")
    ap.add_argument("--applicants", type=int, default=20000)
    ap.add_argument("--places", type=int, default=1000)
    ap.add_argument("--capacity", type=int, default=2, help="places a time")
    ap.add_argument("--days", type=int, default=10, help="days the times are spread over")
    ap.add_argument("--window", type=float, default=60.0, help="seconds over which people arrive")
    ap.add_argument("--lead", type=float, default=30.0, help="seconds from the first arrival to the opening")
    ap.add_argument("--settle", type=float, default=6.0, help="seconds for the workers to see the release")
    ap.add_argument("--inflight", type=int, default=512, help="requests at most in flight")
    ap.add_argument("--timeout", type=float, default=30.0)
    ap.add_argument("--fill", type=float, default=float(os.environ.get("CRENEAU_FORM_MIN_SECONDS", "3")),
                    help="seconds at least to fill the form (the server's form_min_seconds)")
    ap.add_argument("--fill-extra", type=float, default=3.0, help="seconds more, at most, to fill it")
    ap.add_argument("--impatience", type=float, default=30.0,
                    help="people in the waiting room reload after 1 to this many seconds, "
                         "or when the page refreshes itself (Refresh: 20 to 30 s) if that comes first")
    ap.add_argument("--max-waits", type=int, default=400)
    ap.add_argument("--attempts", type=int, default=4, help="times a person tries to book")
    ap.add_argument("--refreshes", type=int, default=4, help="calendar refreshes when nothing is free")
    ap.add_argument("--deadline", type=float, default=1800.0,
                    help="seconds after the first arrival when people stop starting anything new")
    ap.add_argument("--json", help="write the figures and the references shown here")
    ap.add_argument("--drop", action="store_true", help="remove the site and its bookings afterwards")
    a = ap.parse_args()
    if not a.url:
        ap.error("no --url and no CRENEAU_URL")
    a.urls = [u.strip() for u in a.url.split(",") if u.strip()]
    a.fill = max(a.fill, 0.0) + 1.0
    sys.exit(asyncio.run(main_async(a)))


if __name__ == "__main__":
    main()
