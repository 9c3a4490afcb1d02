#!/usr/bin/env python3
"""creneau-notify under failure: with the SMTP relay down messages wait
(a retry is scheduled) and go once it is back; after the last try a
message is parked and shows in outbox_problems; a rejected recipient is
parked at once; killing the daemon (SIGKILL) mid-batch and starting it
again delivers every message; the daily limit per recipient holds."""

import os
import signal
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from notify_test import (Mailbox, SmsGateway, write_conf, run_once, start_daemon, stop_daemon,  # noqa: E402
                         skip_all_unless_ready, drop_fixture, queue_alert_confirms)
from creneau_test import TAP, Fixture, psql, sql_literal, wait_for, run_id  # noqa: E402

skip_all_unless_ready()
t = TAP()
t.catch_exceptions()
tmp = tempfile.mkdtemp(prefix="notify-resilience-")
mb = Mailbox()
gw = SmsGateway().start()
conf = write_conf(os.path.join(tmp, "creneau.conf"), mb, gw, notify_max_attempts=3,
                  notify_retry_seconds=1, notify_retry_max_seconds=2,
                  notify_lease_seconds=6, notify_timeout_seconds=3, notify_batch=10)
fx = Fixture("notres")
rid = run_id()
procs = []
daemons = []
try:
    code = fx.procedure("a", slots=1)

    def status_of(addr):
        return psql("SELECT status || ':' || attempts FROM outbox WHERE recipient = %s" % sql_literal(addr))

    # --- Relay down: the message waits, then goes ---------------------------
    a1 = "down-%s@example.org" % rid
    queue_alert_confirms(fx, code, [a1])
    rc, err = run_once(conf)
    t.is_(rc, 0, "creneau-notify -1 runs") or t.diag(err)
    t.is_(status_of(a1), "pending:1", "relay down: the message stays pending after one attempt")
    t.is_(psql("SELECT next_attempt_at > now() FROM outbox WHERE recipient = %s" % sql_literal(a1)), "t",
          "a retry is scheduled")
    t.is_(psql("SELECT reason FROM outbox_problems WHERE recipient = %s" % sql_literal(a1)), "retrying",
          "outbox_problems shows it retrying")
    t.is_(psql("SELECT count(*) || ':' || bool_and(NOT ok) FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id "
               "WHERE o.recipient = %s" % sql_literal(a1)), "1:true", "the failed attempt is recorded")
    t.ok("smtp" in err and a1 not in err, "the log line names no address") or t.diag(err)
    mb.start()
    time.sleep(1.5)
    run_once(conf)
    t.is_(len(mb.to(a1)), 1, "relay back: the message is delivered once")
    t.is_(status_of(a1), "sent:2", "sent at the second attempt")

    # --- Last try: parked ---------------------------------------------------
    mb.stop()
    a2 = "park-%s@example.org" % rid
    queue_alert_confirms(fx, code, [a2])
    for i in range(3):
        run_once(conf)
        time.sleep(2.2)
    t.is_(status_of(a2), "parked:3", "after 3 tries the message is parked")
    t.is_(psql("SELECT status || ':' || reason FROM outbox_problems WHERE recipient = %s" % sql_literal(a2)),
          "parked:max_attempts", "outbox_problems shows it parked (max_attempts)")
    t.is_(psql("SELECT payload ? 'token' FROM outbox WHERE recipient = %s" % sql_literal(a2)), "f",
          "its secret link is scrubbed")
    mb.start()
    run_once(conf)
    t.is_(len(mb.to(a2)), 0, "a parked message is not sent again")

    # --- A rejected recipient is parked at once ---------------------------------
    a3 = "reject-%s@example.org" % rid
    mb.reject.add(a3)
    queue_alert_confirms(fx, code, [a3])
    run_once(conf)
    t.is_(psql("SELECT status || ':' || park_reason FROM outbox WHERE recipient = %s" % sql_literal(a3)),
          "parked:rejected", "SMTP 550: parked as rejected, no retry")

    # --- SIGKILL mid-batch, start again: nothing lost -------------------------
    n = 40
    addrs = ["kill%02d-%s@example.org" % (i, rid) for i in range(n)]
    queue_alert_confirms(fx, code, addrs)
    mb.delay = 0.1
    log = os.path.join(tmp, "daemon.log")
    d = start_daemon(conf, log)
    daemons.append(d)
    wait_for(lambda: sum(len(mb.to(a)) for a in addrs) >= 5, timeout=30, step=0.05)
    os.killpg(d.pid, signal.SIGKILL)
    d.wait()
    got = sum(1 for a in addrs if mb.to(a))
    in_flight = int(psql("SELECT count(*) FROM outbox WHERE recipient = ANY (%s) AND status = 'sending'"
                         % sql_literal("{" + ",".join(addrs) + "}")))
    t.ok(0 < got < n, "killed mid-batch: %d of %d delivered" % (got, n))
    t.ok(in_flight > 0, "claimed messages are left 'sending' under a lease (%d)" % in_flight)
    mb.delay = 0.0
    d = start_daemon(conf, log)
    daemons.append(d)
    done = wait_for(lambda: psql("SELECT count(*) FROM outbox WHERE recipient = ANY (%s) AND status = 'sent'"
                                 % sql_literal("{" + ",".join(addrs) + "}")) == str(n), timeout=60)
    stop_daemon(d)
    t.ok(done, "started again: every message is sent")
    missing = [a for a in addrs if not mb.to(a)]
    t.is_(missing, [], "every recipient got its message (none lost)")
    dups = sum(max(0, len(mb.to(a)) - 1) for a in addrs)
    t.ok(dups <= 1, "at most the message in flight at the kill came twice (%d)" % dups)
    t.ok(int(psql("SELECT count(*) FROM outbox_attempts a JOIN outbox o ON o.id = a.outbox_id "
                  "WHERE o.recipient = ANY (%s) AND a.detail LIKE 'lease expired%%'"
                  % sql_literal("{" + ",".join(addrs) + "}"))) == in_flight,
         "each expired lease is recorded as an attempt")

    # --- Daily limit -----------------------------------------------------------
    a4 = "limit-%s@example.org" % rid
    extra = [fx.procedure("l%d" % i, slots=1) for i in range(12)]
    for c in extra:
        queue_alert_confirms(fx, c, [a4])
    run_once(conf)
    t.is_(len(mb.to(a4)), 10, "12 messages for one recipient: 10 delivered (notify_max_per_day)")
    t.is_(psql("SELECT count(*) FROM outbox_problems WHERE recipient = %s AND status = 'held_back' "
               "AND reason = 'daily_limit'" % sql_literal(a4)), "2",
          "the other 2 are held back, visible in outbox_problems")
finally:
    for d in daemons:
        if d.poll() is None:
            os.killpg(d.pid, signal.SIGKILL)
    mb.stop()
    gw.stop()
    drop_fixture(fx)
t.done()
