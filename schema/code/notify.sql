-- schema/code/notify.sql
--
-- The outbox of messages (e-mail, SMS) and its worker's
-- functions, slot alerts, reminders (006).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- A message is never tried before it is due.
CREATE OR REPLACE FUNCTION creneau_outbox_due() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    NEW.next_attempt_at := greatest(NEW.due_at, coalesce(NEW.next_attempt_at, NEW.due_at));
    RETURN NEW;
END
$$;

CREATE TRIGGER outbox_due BEFORE INSERT ON outbox
    FOR EACH ROW EXECUTE FUNCTION creneau_outbox_due();

-- Wake the delivery daemons (LISTEN creneau_outbox): once per statement,
-- so that 10,000 alerts make one notification, sent at COMMIT.
CREATE OR REPLACE FUNCTION creneau_outbox_notify() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM pg_notify('creneau_outbox', '');
    RETURN NULL;
END
$$;

CREATE TRIGGER outbox_notify AFTER INSERT ON outbox
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_outbox_notify();

-- The secrets of a payload removed (once sent or given up).
CREATE OR REPLACE FUNCTION creneau_outbox_scrub(p jsonb) RETURNS jsonb
LANGUAGE sql IMMUTABLE
AS $$
    SELECT p - ARRAY['token', 'code']
$$;

-- A new secret link token: 32 random bytes in base64url, 43 characters.
CREATE OR REPLACE FUNCTION creneau_new_token() RETURNS text
LANGUAGE sql VOLATILE
AS $$
    SELECT translate(rtrim(encode(gen_random_bytes(32), 'base64'), '='), '+/', '-_')
$$;

-- Everything a template may use, as "name US value" items separated by RS
-- (ASCII 31 and 30, removed from values): the payload (documents one per
-- line), and for a message about a booking the current facts of it.
CREATE OR REPLACE FUNCTION creneau_outbox_vars(p_id bigint) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT string_agg(k || chr(31) || replace(replace(coalesce(v, ''), chr(30), ''), chr(31), ''),
                      chr(30))
      FROM outbox o
     CROSS JOIN LATERAL (
           SELECT e.key, e.value FROM jsonb_each_text(o.payload - 'documents') e
           UNION ALL
           SELECT 'documents', (SELECT string_agg(x, E'\n')
                                  FROM jsonb_array_elements_text(
                                       CASE WHEN jsonb_typeof(o.payload->'documents') = 'array'
                                            THEN o.payload->'documents' ELSE '[]' END) x)
           UNION ALL
           SELECT x.k, x.v FROM booking_details d
            CROSS JOIN LATERAL (VALUES ('ics_start', d.ics_start), ('ics_end', d.ics_end),
                                       ('site_slug', d.site_slug),
                                       ('procedure_code', d.procedure_code),
                                       ('current_starts_local', d.starts_local)) AS x (k, v)
            WHERE d.id = o.booking_id) AS kv (k, v)
     WHERE o.id = p_id
$$;

------------------------------------------------------------------------------
-- Claim up to p_limit due messages for worker p_worker for p_lease.
-- First, messages whose lease ran out go back to pending (an attempt is
-- recorded; parked after the last try). Then, for each due message in
-- order: if its recipient already had p_max_per_day messages sent (or in
-- flight) in the last 24 hours, it is held back; otherwise it becomes
-- 'sending' (attempts + 1) and is returned with its template variables.
-- Messages about a booking that link to it get a fresh secret link token
-- on first claim (kept in the payload until sent).
CREATE OR REPLACE FUNCTION outbox_claim(p_worker text, p_limit integer, p_lease interval,
                             p_max_per_day integer, p_max_attempts integer)
RETURNS TABLE (id bigint, kind text, channel text, recipient text, lang text,
               attempts integer, vars text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    r     outbox%ROWTYPE;
    v_ids bigint[];
    v_h   integer;
    v_n   integer;
    v_tok text;
BEGIN
    FOR r IN SELECT * FROM outbox o
              WHERE o.status = 'sending' AND o.claimed_until < now()
              ORDER BY o.id LIMIT 1000
                FOR UPDATE SKIP LOCKED LOOP
        INSERT INTO outbox_attempts (outbox_id, ok, detail, worker)
        VALUES (r.id, false, 'lease expired: the worker stopped before recording a result',
                r.claimed_by);
        IF r.attempts >= p_max_attempts THEN
            UPDATE outbox o SET status = 'parked', park_reason = 'max_attempts',
                                claimed_until = NULL, last_error = 'lease expired',
                                payload = creneau_outbox_scrub(o.payload)
             WHERE o.id = r.id;
        ELSE
            UPDATE outbox o SET status = 'pending', next_attempt_at = now(),
                                claimed_until = NULL, last_error = 'lease expired'
             WHERE o.id = r.id;
        END IF;
    END LOOP;

    SELECT array_agg(x.id ORDER BY x.next_attempt_at, x.id) INTO v_ids
      FROM (SELECT o.id, o.next_attempt_at FROM outbox o
             WHERE o.status = 'pending' AND o.next_attempt_at <= now()
             ORDER BY o.next_attempt_at, o.id
             LIMIT p_limit
               FOR UPDATE SKIP LOCKED) x;
    IF v_ids IS NULL THEN
        RETURN;
    END IF;
    -- Per-recipient counts are taken under a lock on the recipient, in
    -- ascending order, so two workers cannot both pass the limit.
    FOR v_h IN SELECT DISTINCT hashtext(o.recipient) FROM outbox o
                WHERE o.id = ANY (v_ids) ORDER BY 1 LOOP
        PERFORM pg_advisory_xact_lock(3101, v_h);
    END LOOP;

    FOR r IN SELECT o.* FROM outbox o WHERE o.id = ANY (v_ids)
              ORDER BY o.next_attempt_at, o.id LOOP
        IF p_max_per_day IS NOT NULL THEN
            SELECT count(*) INTO v_n FROM outbox o
             WHERE o.recipient = r.recipient AND o.id <> r.id
               AND ((o.status = 'sent' AND o.sent_at > now() - interval '1 day')
                 OR (o.status = 'sending' AND o.claimed_at > now() - interval '1 day'));
            IF v_n >= p_max_per_day THEN
                UPDATE outbox o SET status = 'held_back', park_reason = 'daily_limit',
                                    payload = creneau_outbox_scrub(o.payload)
                 WHERE o.id = r.id;
                INSERT INTO outbox_attempts (outbox_id, ok, detail, worker)
                VALUES (r.id, false, format('held back: %s messages to this recipient in 24 hours', v_n),
                        p_worker);
                CONTINUE;
            END IF;
        END IF;
        IF r.booking_id IS NOT NULL AND NOT r.payload ? 'token'
           AND r.kind IN ('booking_confirmed', 'booking_rescheduled', 'reminder') THEN
            v_tok := creneau_new_token();
            PERFORM creneau_token_add(r.booking_id, v_tok, NULL);
            r.payload := r.payload || jsonb_build_object('token', v_tok);
        END IF;
        UPDATE outbox o SET status = 'sending', attempts = o.attempts + 1,
                            claimed_at = now(), claimed_until = now() + p_lease,
                            claimed_by = p_worker, payload = r.payload
         WHERE o.id = r.id;
        RETURN QUERY SELECT r.id, r.kind, r.channel, r.recipient, r.lang,
                            r.attempts + 1, creneau_outbox_vars(r.id);
    END LOOP;
END
$$;
COMMENT ON FUNCTION outbox_claim(text, integer, interval, integer, integer) IS
    'Claim due outbox messages (SKIP LOCKED) for a worker and a lease; requeue expired leases; hold back messages over the daily per-recipient limit.';

-- Record the result of one attempt. ok: sent (payload scrubbed), whoever
-- holds the claim now. Not ok: if p_worker still holds the claim, parked
-- when p_permanent or after p_max_attempts, else pending again after
-- p_retry * 2^(attempts-1) (at most p_retry_max). Returns sent, retry,
-- parked or stale (the claim had passed to another worker).
CREATE OR REPLACE FUNCTION outbox_done(p_id bigint, p_worker text, p_ok boolean, p_permanent boolean,
                            p_detail text, p_retry interval, p_retry_max interval,
                            p_max_attempts integer)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r outbox%ROWTYPE;
BEGIN
    SELECT * INTO r FROM outbox o WHERE o.id = p_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN 'stale';
    END IF;
    INSERT INTO outbox_attempts (outbox_id, ok, detail, worker)
    VALUES (p_id, p_ok, left(p_detail, 1000), p_worker);
    IF r.status = 'sent' THEN
        RETURN 'sent';
    END IF;
    IF p_ok THEN
        UPDATE outbox o SET status = 'sent', sent_at = now(), claimed_until = NULL,
                            last_error = NULL, park_reason = NULL,
                            payload = creneau_outbox_scrub(o.payload)
         WHERE o.id = p_id;
        RETURN 'sent';
    END IF;
    IF r.status <> 'sending' OR r.claimed_by IS DISTINCT FROM p_worker THEN
        RETURN 'stale';
    END IF;
    IF p_permanent OR r.attempts >= p_max_attempts THEN
        UPDATE outbox o SET status = 'parked', claimed_until = NULL,
                            park_reason = CASE WHEN p_permanent THEN 'rejected' ELSE 'max_attempts' END,
                            last_error = left(p_detail, 1000),
                            payload = creneau_outbox_scrub(o.payload)
         WHERE o.id = p_id;
        RETURN 'parked';
    END IF;
    UPDATE outbox o SET status = 'pending', claimed_until = NULL,
                        last_error = left(p_detail, 1000),
                        next_attempt_at = now() + least(p_retry_max,
                                          p_retry * power(2, least(r.attempts - 1, 30)))
     WHERE o.id = p_id;
    RETURN 'retry';
END
$$;
COMMENT ON FUNCTION outbox_done(bigint, text, boolean, boolean, text, interval, interval, integer) IS
    'Record a delivery attempt: sent, retry (exponential backoff), parked or stale.';

-- Give back a claimed message that was not tried (worker stopping, lease
-- running short): pending again at once, the claim's attempt not counted.
CREATE OR REPLACE FUNCTION outbox_release(p_id bigint, p_worker text) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE outbox SET status = 'pending', claimed_until = NULL,
                      attempts = greatest(attempts - 1, 0), next_attempt_at = now()
     WHERE id = p_id AND status = 'sending' AND claimed_by = p_worker
$$;

-- Seconds until something is due for creneau-notify (a retry, a lease
-- running out, a publication to announce), at most p_max.
CREATE OR REPLACE FUNCTION outbox_next_due(p_max double precision) RETURNS double precision
LANGUAGE sql STABLE
AS $$
    SELECT greatest(0, least(p_max,
           extract(epoch FROM (SELECT min(next_attempt_at) FROM outbox WHERE status = 'pending') - now()),
           extract(epoch FROM (SELECT min(claimed_until) FROM outbox WHERE status = 'sending') - now()),
           extract(epoch FROM (SELECT min(published_at) FROM slots WHERE published_at > now()) - now())))
$$;

-- What supervisors look at: messages given up, held back, or failing.
CREATE OR REPLACE VIEW outbox_problems AS
    SELECT o.id, o.kind, o.channel, o.recipient, o.lang, o.status,
           coalesce(o.park_reason, 'retrying') AS reason, o.attempts, o.last_error,
           o.created_at, o.next_attempt_at,
           (SELECT max(a.at) FROM outbox_attempts a WHERE a.outbox_id = o.id) AS last_attempt_at,
           o.booking_id, o.alert_subscription_id
      FROM outbox o
     WHERE o.status IN ('parked', 'held_back')
        OR (o.status = 'pending' AND o.attempts > 0);
COMMENT ON VIEW outbox_problems IS
    'Messages parked after their last try or rejected, held back by the daily limit, or waiting for a retry; reason says which.';

------------------------------------------------------------------------------
-- Alerts.

-- A new secret link to subscription p_id; returns the token.
CREATE OR REPLACE FUNCTION creneau_alert_token(p_id bigint) RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_tok text := creneau_new_token();
BEGIN
    INSERT INTO alert_tokens (token_hash, subscription_id)
    VALUES (sha256(convert_to(v_tok, 'UTF8')), p_id);
    RETURN v_tok;
END
$$;

-- What an alert message says about its site and procedure.
CREATE OR REPLACE FUNCTION creneau_alert_payload(p_site_id bigint, p_procedure_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object('site_name', s.name, 'site_slug', s.slug, 'site_city', s.city,
                              'procedure_name', p.name, 'procedure_code', p.code)
      FROM sites s, procedures p
     WHERE s.id = p_site_id AND p.id = p_procedure_id
$$;

-- Subscribe an e-mail and/or a phone to the alerts of a site and
-- procedure: one subscription per contact (an existing one that is not
-- unsubscribed is reused: its language updated and, if never confirmed,
-- its expiry pushed back), and a confirmation message with a new link for
-- each. p_key (the form token's id) makes a resubmitted form a no-op.
-- Outcomes: subscribed, replayed, contact_required, not_offered.
CREATE OR REPLACE FUNCTION alert_subscribe(p_site_id bigint, p_procedure_id bigint, p_email text,
                                p_phone text, p_lang text, p_key text, p_days integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_email text := nullif(btrim(p_email), '');
    v_phone text := nullif(btrim(p_phone), '');
    v_key   text := nullif(btrim(p_key), '');
    v_lang  text := coalesce(nullif(p_lang, ''), 'fr');
    v_id    bigint;
    c       record;
BEGIN
    IF v_email IS NULL AND v_phone IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM site_procedures sp
                    WHERE sp.site_id = p_site_id AND sp.procedure_id = p_procedure_id) THEN
        RETURN QUERY SELECT 'not_offered'::text;
        RETURN;
    END IF;
    IF v_key IS NOT NULL THEN
        PERFORM pg_advisory_xact_lock(3102, hashtext(v_key));
        IF EXISTS (SELECT 1 FROM outbox o
                    WHERE o.idempotency_key IN ('alert_confirm:' || v_key || ':email',
                                                'alert_confirm:' || v_key || ':sms')) THEN
            RETURN QUERY SELECT 'replayed'::text;
            RETURN;
        END IF;
    END IF;
    FOR c IN SELECT * FROM (VALUES ('email', v_email, lower(v_email)),
                                   ('sms', v_phone, creneau_normalise_phone(v_phone))) x (channel, contact, norm)
              WHERE x.contact IS NOT NULL AND x.norm IS NOT NULL LOOP
        PERFORM pg_advisory_xact_lock(3103, hashtext(p_site_id || ':' || p_procedure_id || ':' || c.norm));
        SELECT a.id INTO v_id FROM alert_subscriptions a
         WHERE a.site_id = p_site_id AND a.procedure_id = p_procedure_id
           AND a.unsubscribed_at IS NULL
           AND CASE c.channel WHEN 'email' THEN lower(a.email) = c.norm
                              ELSE creneau_normalise_phone(a.phone) = c.norm END
           FOR UPDATE;
        IF FOUND THEN
            UPDATE alert_subscriptions a
               SET lang = v_lang,
                   expires_at = CASE WHEN a.confirmed_at IS NULL OR a.expires_at <= now()
                                     THEN now() + make_interval(days => p_days)
                                     ELSE a.expires_at END
             WHERE a.id = v_id;
        ELSE
            INSERT INTO alert_subscriptions (site_id, procedure_id, email, phone, lang,
                                             idempotency_key, expires_at)
            VALUES (p_site_id, p_procedure_id,
                    CASE WHEN c.channel = 'email' THEN c.contact END,
                    CASE WHEN c.channel = 'sms' THEN c.contact END,
                    v_lang, CASE WHEN v_key IS NOT NULL THEN v_key || ':' || c.channel END,
                    now() + make_interval(days => p_days))
            RETURNING id INTO v_id;
        END IF;
        INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key,
                            alert_subscription_id)
        VALUES ('alert_confirm', c.channel,
                CASE WHEN c.channel = 'email' THEN c.contact ELSE c.norm END, v_lang,
                creneau_alert_payload(p_site_id, p_procedure_id)
                  || jsonb_build_object('token', creneau_alert_token(v_id),
                                        'alert_days', p_days),
                'alert_confirm:' || coalesce(v_key, creneau_new_token()) || ':' || c.channel,
                v_id)
        ON CONFLICT (idempotency_key) DO NOTHING;
    END LOOP;
    RETURN QUERY SELECT 'subscribed'::text;
END
$$;
COMMENT ON FUNCTION alert_subscribe(bigint, bigint, text, text, text, text, integer) IS
    'Subscribe contacts to alerts for a site and procedure and queue the confirmation messages; outcome subscribed, replayed, contact_required or not_offered.';

-- The subscription a token leads to, with what its pages show: status
-- (pending, active, expired, unsubscribed), channel, site and procedure
-- names and codes, expiry date (YYYY-MM-DD, site's time zone).
CREATE OR REPLACE FUNCTION alert_view(p_token text)
RETURNS TABLE (subscription_id bigint, status text, channel text, site_name text,
               site_slug text, procedure_name text, procedure_code text, expires_local text)
LANGUAGE sql STABLE
AS $$
    SELECT a.id,
           CASE WHEN a.unsubscribed_at IS NOT NULL THEN 'unsubscribed'
                WHEN a.expires_at <= now() THEN 'expired'
                WHEN a.confirmed_at IS NULL THEN 'pending'
                ELSE 'active' END,
           CASE WHEN a.email IS NOT NULL THEN 'email' ELSE 'sms' END,
           s.name, s.slug, p.name, p.code,
           to_char(a.expires_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD')
      FROM alert_tokens t
      JOIN alert_subscriptions a ON a.id = t.subscription_id
      JOIN sites s ON s.id = a.site_id
      JOIN procedures p ON p.id = a.procedure_id
     WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8'))
$$;

-- Confirm (first time) or renew a subscription: active until now() +
-- p_days. Outcomes: confirmed, renewed, unsubscribed (a link of an ended
-- subscription does nothing), not_found.
CREATE OR REPLACE FUNCTION alert_confirm(p_token text, p_days integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    a alert_subscriptions%ROWTYPE;
BEGIN
    SELECT s.* INTO a FROM alert_tokens t JOIN alert_subscriptions s ON s.id = t.subscription_id
     WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8'))
       FOR UPDATE OF s;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF a.unsubscribed_at IS NOT NULL THEN
        RETURN QUERY SELECT 'unsubscribed'::text;
        RETURN;
    END IF;
    UPDATE alert_subscriptions s
       SET confirmed_at = coalesce(s.confirmed_at, now()),
           renewed_at = CASE WHEN s.confirmed_at IS NOT NULL THEN now() END,
           expires_at = now() + make_interval(days => p_days)
     WHERE s.id = a.id;
    RETURN QUERY SELECT CASE WHEN a.confirmed_at IS NULL THEN 'confirmed' ELSE 'renewed' END;
END
$$;

-- Unsubscribe (idempotent). Outcomes: unsubscribed, not_found. Messages
-- not yet sent for it are parked.
CREATE OR REPLACE FUNCTION alert_unsubscribe(p_token text)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id bigint;
BEGIN
    SELECT t.subscription_id INTO v_id FROM alert_tokens t
     WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8'));
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    UPDATE alert_subscriptions s SET unsubscribed_at = coalesce(s.unsubscribed_at, now())
     WHERE s.id = v_id;
    UPDATE outbox o SET status = 'parked', park_reason = 'unsubscribed',
                        payload = creneau_outbox_scrub(o.payload)
     WHERE o.alert_subscription_id = v_id AND o.status = 'pending' AND o.kind <> 'alert_confirm';
    RETURN QUERY SELECT 'unsubscribed'::text;
END
$$;

-- Queue one message of p_kind (alert_slots, alert_draw, …) to every
-- active subscriber of a site and procedure, keyed by p_event so that the
-- same event never reaches a subscriber twice; each message carries a new
-- link to the subscription (renew, unsubscribe). The hook the draw issue
-- calls when registration opens: alert_announce(site, procedure,
-- 'alert_draw', 'draw:<id>', extra). Returns how many were queued.
CREATE OR REPLACE FUNCTION alert_announce(p_site_id bigint, p_procedure_id bigint, p_kind text,
                               p_event text, p_extra jsonb)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_n integer;
BEGIN
    WITH subs AS MATERIALIZED (
        SELECT a.id, a.lang, a.email, a.phone, creneau_new_token() AS tok
          FROM alert_subscriptions a
         WHERE a.site_id = p_site_id AND a.procedure_id = p_procedure_id
           AND a.confirmed_at IS NOT NULL AND a.unsubscribed_at IS NULL
           AND a.expires_at > now()
           AND NOT EXISTS (SELECT 1 FROM outbox o
                            WHERE o.idempotency_key = p_kind || ':' || p_event || ':' || a.id)
    ), toks AS (
        INSERT INTO alert_tokens (token_hash, subscription_id)
        SELECT sha256(convert_to(s.tok, 'UTF8')), s.id FROM subs s
    ), ins AS (
        INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key,
                            alert_subscription_id)
        SELECT p_kind, CASE WHEN s.email IS NOT NULL THEN 'email' ELSE 'sms' END,
               coalesce(btrim(s.email), creneau_normalise_phone(s.phone)), s.lang,
               base.j || coalesce(p_extra, '{}') || jsonb_build_object('token', s.tok),
               p_kind || ':' || p_event || ':' || s.id, s.id
          FROM subs s, (SELECT creneau_alert_payload(p_site_id, p_procedure_id) AS j) base
        ON CONFLICT (idempotency_key) DO NOTHING
        RETURNING 1
    )
    SELECT count(*) INTO v_n FROM ins;
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION alert_announce(bigint, bigint, text, text, jsonb) IS
    'Queue one p_kind message per active subscriber of a site and procedure for event p_event (idempotent); the draw issue''s hook.';

-- Announce the publications of the last p_window not yet announced: per
-- site and procedure (open allocation), every publication time that has
-- passed, with future slots that have free places, is recorded in
-- alert_publications and one message per subscriber is queued for all of
-- them together. One run at a time (another returns 0 at once). Returns
-- how many messages were queued.
CREATE OR REPLACE FUNCTION alerts_due(p_window interval DEFAULT interval '1 day') RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    r   record;
    v_n integer := 0;
    v_k integer;
BEGIN
    IF NOT pg_try_advisory_xact_lock(3104, 0) THEN
        RETURN 0;
    END IF;
    FOR r IN
        SELECT s.site_id, s.procedure_id, max(s.published_at) AS last_pub,
               array_agg(DISTINCT s.published_at) AS pubs, count(*)::integer AS n,
               sum(s.capacity - s.booked)::integer AS places,
               to_char(min(s.starts_at) AT TIME ZONE min(st.time_zone), 'YYYY-MM-DD HH24:MI') AS first_local
          FROM slots s
          JOIN procedures p ON p.id = s.procedure_id
          JOIN sites st ON st.id = s.site_id
         WHERE s.published_at <= now() AND s.published_at > now() - p_window
           AND s.starts_at > now() AND s.booked < s.capacity
           AND p.allocation_mode = 'open'
           AND NOT EXISTS (SELECT 1 FROM alert_publications ap
                            WHERE ap.site_id = s.site_id AND ap.procedure_id = s.procedure_id
                              AND ap.published_at = s.published_at)
         GROUP BY s.site_id, s.procedure_id
    LOOP
        INSERT INTO alert_publications (site_id, procedure_id, published_at, slots)
        SELECT r.site_id, r.procedure_id, u, r.n FROM unnest(r.pubs) u
        ON CONFLICT DO NOTHING;
        GET DIAGNOSTICS v_k = ROW_COUNT;
        CONTINUE WHEN v_k = 0;
        v_k := alert_announce(r.site_id, r.procedure_id, 'alert_slots',
                              'slots:' || r.site_id || ':' || r.procedure_id || ':'
                              || (extract(epoch FROM r.last_pub) * 1000000)::bigint,
                              jsonb_build_object('slots', r.n, 'places', r.places,
                                                 'first_local', r.first_local));
        UPDATE alert_publications SET messages = v_k
         WHERE site_id = r.site_id AND procedure_id = r.procedure_id
           AND published_at = r.last_pub;
        v_n := v_n + v_k;
    END LOOP;
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION alerts_due(interval) IS
    'Announce each new publication of slots (within p_window) once to the alert subscribers: one message per subscriber; returns the count queued.';

-- 006's reminders, from the slots with confirmed bookings in the window
-- that changed since the last pass (029: slots.confirmed_seq and
-- reminded_seq, slots_reminders_idx). A booking is reminded when it was
-- confirmed before the window reached its slot; one confirmed later,
-- inside the window, is not. So once a pass has queued the reminders of a
-- slot, the slot needs another look only if its confirmed bookings
-- change: the pass records the confirmed_seq it saw (which grows at each
-- change of the confirmed count, so a confirmation and a cancellation
-- between two passes still show), and the slots whose confirmed_seq
-- still equals it are not read again. The value is the one read before
-- the bookings: a booking confirmed meanwhile leaves the slot differing
-- (the UPDATE matches only the value seen), to be looked at next pass.
CREATE OR REPLACE FUNCTION reminders_due(p_hours integer) RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id     bigint;
    v_n      integer := 0;
    v_ids    bigint[];
    v_seqs   bigint[];
BEGIN
    SELECT coalesce(array_agg(s.id), '{}'), coalesce(array_agg(s.confirmed_seq), '{}')
      INTO v_ids, v_seqs
      FROM slots s
     WHERE s.confirmed_count > 0 AND s.confirmed_seq <> s.reminded_seq
       AND s.starts_at > now()
       AND s.starts_at <= now() + make_interval(hours => p_hours);
    IF cardinality(v_ids) = 0 THEN
        RETURN 0;
    END IF;
    FOR v_id IN
        SELECT b.id FROM slots s JOIN bookings b ON b.slot_id = s.id
         WHERE s.id = ANY (v_ids)
           AND b.status = 'confirmed'
           AND b.confirmed_at <= s.starts_at - make_interval(hours => p_hours)
           AND NOT EXISTS (SELECT 1 FROM outbox o WHERE o.booking_id = b.id AND o.kind = 'reminder')
         ORDER BY b.id
    LOOP
        PERFORM creneau_outbox_add('reminder', 'reminder', v_id, NULL);
        v_n := v_n + 1;
    END LOOP;
    UPDATE slots s SET reminded_seq = u.n
      FROM unnest(v_ids, v_seqs) AS u (id, n)
     WHERE s.id = u.id AND s.confirmed_seq = u.n;
    RETURN v_n;
END
$$;
COMMENT ON FUNCTION reminders_due(integer) IS
    'Queue a reminder (per channel, key reminder:<booking>:<channel>) for confirmed bookings starting within p_hours; returns how many bookings.';
