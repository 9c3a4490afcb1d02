#!/usr/bin/env python3
"""Benchmark (not a test): N confirmed alert subscribers (default 10,000)
of one site and procedure, one publication of slots, K creneau-notify
daemons (default 4) delivering to a real SMTP server (aiosmtpd) on
loopback. Prints queueing time, delivery time, messages per second and
the most messages any recipient got. Needs the services of script/test
(CRENEAU_URL, CRENEAU_CONF, PG*):

    t/notify/bench_alerts.py [subscribers] [daemons]
"""

import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_test import (Mailbox, SmsGateway, write_conf, start_daemon, stop_daemon,  # noqa: E402
                         drop_fixture, publish_slots, skip_all_unless_ready)
from creneau_test import Fixture, psql, sql_literal, run_id  # noqa: E402

skip_all_unless_ready()
n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
k = int(sys.argv[2]) if len(sys.argv) > 2 else 4
tmp = tempfile.mkdtemp(prefix="notify-bench-")
mb = Mailbox().start()
gw = SmsGateway().start()
conf = write_conf(os.path.join(tmp, "creneau.conf"), mb, gw, notify_batch=50,
                  notify_poll_seconds=1, notify_lease_seconds=120, notify_timeout_seconds=10)
fx = Fixture("bench")
rid = run_id()
daemons = []
try:
    code = fx.procedure("b", slots=1)
    psql("INSERT INTO alert_publications (site_id, procedure_id, published_at, slots) "
         "SELECT site_id, procedure_id, published_at, 1 FROM slots s JOIN procedures p ON p.id = s.procedure_id "
         "WHERE p.code = %s ON CONFLICT DO NOTHING" % sql_literal(code))
    psql("INSERT INTO alert_subscriptions (site_id, procedure_id, email, lang, expires_at, confirmed_at) "
         "SELECT s.id, p.id, 'b' || i || '-' || %s || '@example.org', (ARRAY['fr','en','ar'])[1 + i %% 3], "
         "       now() + interval '30 days', now() "
         "  FROM sites s, procedures p, generate_series(1, %d) i WHERE s.slug = %s AND p.code = %s"
         % (sql_literal(rid), n, sql_literal(fx.slug), sql_literal(code)))
    log = os.path.join(tmp, "notify.log")
    for _ in range(k):
        daemons.append(start_daemon(conf, log))
    time.sleep(1)
    pub = publish_slots(fx, code, n=10, delay="1 second", days_ahead=10)
    t0 = time.time()
    while mb.count() < n and time.time() - t0 < 900:
        time.sleep(0.2)
    t1 = time.time()
    queued = psql("SELECT extract(epoch FROM announced_at - published_at)::numeric(8,3) FROM alert_publications ap "
                  "JOIN procedures p ON p.id = ap.procedure_id WHERE p.code = %s ORDER BY published_at DESC LIMIT 1"
                  % sql_literal(code))
    time.sleep(2)
    per = {}
    with mb.lock:
        for rcpt, _m in mb.messages:
            for a in rcpt:
                per[a] = per.get(a, 0) + 1
    total = t1 - t0 - 1.0
    print("subscribers:            %d" % n)
    print("creneau-notify daemons: %d" % k)
    print("publication -> alerts_due: %s s after publication (%d outbox rows queued)" % (queued, n))
    print("delivered:              %d messages to %d recipients" % (sum(per.values()), len(per)))
    print("total time:             %.1f s from publication to the last message" % total)
    print("throughput:             %.0f messages/s" % (mb.count() / total if total > 0 else 0))
    print("max per recipient:      %d" % (max(per.values()) if per else 0))
    print("status:                 %s" % psql("SELECT string_agg(status || '=' || c, ' ') FROM (SELECT o.status, "
                                             "count(*) c FROM outbox o JOIN alert_subscriptions a ON a.id = "
                                             "o.alert_subscription_id JOIN procedures p ON p.id = a.procedure_id "
                                             "WHERE p.code = %s GROUP BY 1) x" % sql_literal(code)))
finally:
    for d in daemons:
        stop_daemon(d)
    mb.stop()
    gw.stop()
    drop_fixture(fx)
