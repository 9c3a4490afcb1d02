-- 006_notify.sql: notification delivery (issue 6). The outbox of 004
-- becomes a queue that creneau-notify works through:
--
--   pending --claim--> sending --done(ok)--> sent            (payload scrubbed)
--                        |  \--done(fail)--> pending, next_attempt_at = now + backoff
--                        |  \--done(fail, last try or permanent)--> parked
--                        \--lease (claimed_until) passed: the worker died
--                           --> pending again (or parked after the last try)
--   pending --claim, recipient already got notify_max_per_day messages
--             in the last 24 hours--> held_back                (final)
--
-- Claiming (outbox_claim) and recording (outbox_done) are two short
-- transactions; the message is sent between them with no transaction
-- open. A worker killed after sending but before recording leaves the row
-- 'sending' until its lease runs out; another worker then sends it again
-- (the e-mail keeps its Message-ID, so a mail client can tell; an SMS
-- gateway cannot). Every attempt, including a lease that ran out and a
-- message held back, is a row of outbox_attempts.
--
-- Alerts: people subscribe to a site and procedure (alert_subscriptions,
-- double opt-in, one link to unsubscribe); alerts_due(), run by
-- creneau-notify at each pass, announces each publication of slots once
-- (alert_publications), one message per subscriber. reminders_due()
-- queues a reminder before each confirmed appointment.
--
-- Lock order: outbox rows (SKIP LOCKED, never waited for), then advisory
-- locks (3101, hash of recipient) in ascending order.
--
-- The functions, views and triggers of this migration are in
-- schema/code/notify.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- Kinds of messages: a table, so that later migrations add theirs with an
-- INSERT instead of rewriting a CHECK constraint.
CREATE TABLE outbox_kinds (
    kind        text PRIMARY KEY CHECK (kind ~ '^[a-z][a-z_]*$'),
    description text NOT NULL
);
INSERT INTO outbox_kinds (kind, description) VALUES
    ('confirmation_code', 'the code (and link) confirming a held booking'),
    ('booking_confirmed', 'a booking is confirmed (ICS attached to the e-mail)'),
    ('booking_cancelled', 'a booking is cancelled'),
    ('booking_rescheduled', 'a booking moved to another time'),
    ('reminder', 'a reminder before the appointment, with the cancel link'),
    ('alert_confirm', 'confirm an alert subscription (double opt-in)'),
    ('alert_slots', 'new slots published for a site and procedure'),
    ('alert_draw', 'a draw opens for registration (hook for the draw issue)');
COMMENT ON TABLE outbox_kinds IS
    'Kinds of outbox messages; creneau-notify has a template templates/mail/<kind>.xhtml for each.';

ALTER TABLE outbox DROP CONSTRAINT outbox_kind_valid;
ALTER TABLE outbox ADD CONSTRAINT outbox_kind_fk
    FOREIGN KEY (kind) REFERENCES outbox_kinds (kind);

------------------------------------------------------------------------------
-- Alert subscriptions (before the outbox columns that refer to them).
CREATE TABLE alert_subscriptions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL,
    procedure_id    bigint NOT NULL,
    email           text CHECK (length(email) <= 254),
    phone           text CHECK (length(phone) <= 32),
    lang            text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    idempotency_key text UNIQUE CHECK (length(idempotency_key) <= 200),
    created_at      timestamptz NOT NULL DEFAULT now(),
    confirmed_at    timestamptz,
    renewed_at      timestamptz,
    expires_at      timestamptz NOT NULL,
    unsubscribed_at timestamptz,
    -- One contact per subscription: a form with both makes two.
    CONSTRAINT alert_subscriptions_one_contact CHECK (num_nonnulls(email, phone) = 1),
    CONSTRAINT alert_subscriptions_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
CREATE UNIQUE INDEX alert_subscriptions_email_key
    ON alert_subscriptions (site_id, procedure_id, lower(email))
    WHERE unsubscribed_at IS NULL AND email IS NOT NULL;
CREATE UNIQUE INDEX alert_subscriptions_phone_key
    ON alert_subscriptions (site_id, procedure_id, creneau_normalise_phone(phone))
    WHERE unsubscribed_at IS NULL AND phone IS NOT NULL;
CREATE INDEX alert_subscriptions_active_idx
    ON alert_subscriptions (site_id, procedure_id)
    WHERE confirmed_at IS NOT NULL AND unsubscribed_at IS NULL;
COMMENT ON TABLE alert_subscriptions IS
    'Someone asks to be told when slots of a procedure at a site are published: active once confirmed (double opt-in), until expires_at (renewed by the link in each alert) or unsubscribed_at.';

-- Secret links to a subscription: one per message sent (the token is in
-- the message's payload until it is sent), only the SHA-256 kept here.
CREATE TABLE alert_tokens (
    token_hash      bytea PRIMARY KEY CHECK (length(token_hash) = 32),
    subscription_id bigint NOT NULL REFERENCES alert_subscriptions (id) ON DELETE CASCADE,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX alert_tokens_subscription_idx ON alert_tokens (subscription_id);

-- Which publications were already announced: one row per (site,
-- procedure, publication time).
CREATE TABLE alert_publications (
    site_id       bigint NOT NULL,
    procedure_id  bigint NOT NULL,
    published_at  timestamptz NOT NULL,
    announced_at  timestamptz NOT NULL DEFAULT now(),
    slots         integer NOT NULL,
    messages      integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, procedure_id, published_at)
);
COMMENT ON TABLE alert_publications IS
    'Publications of slots already announced to alert subscribers (alerts_due), with how many messages were queued.';
CREATE INDEX slots_published_at_idx ON slots (published_at);

------------------------------------------------------------------------------
-- The outbox as a queue.
ALTER TABLE outbox
    ADD COLUMN attempts        integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    ADD COLUMN next_attempt_at timestamptz,
    ADD COLUMN claimed_at      timestamptz,
    ADD COLUMN claimed_until   timestamptz,
    ADD COLUMN claimed_by      text,
    ADD COLUMN last_error      text,
    ADD COLUMN park_reason     text,
    ADD COLUMN alert_subscription_id bigint
        REFERENCES alert_subscriptions (id) ON DELETE SET NULL;
UPDATE outbox SET next_attempt_at = due_at;
ALTER TABLE outbox ALTER COLUMN next_attempt_at SET NOT NULL,
                   ALTER COLUMN next_attempt_at SET DEFAULT now();
ALTER TABLE outbox ADD CONSTRAINT outbox_status_valid
    CHECK (status IN ('pending', 'sending', 'sent', 'parked', 'held_back'));
ALTER TABLE outbox ADD CONSTRAINT outbox_sending_lease
    CHECK (status <> 'sending' OR claimed_until IS NOT NULL);
DROP INDEX outbox_pending_idx;
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX outbox_lease_idx ON outbox (claimed_until) WHERE status = 'sending';
CREATE INDEX outbox_recipient_idx ON outbox (recipient) WHERE status IN ('sent', 'sending');
CREATE INDEX outbox_problems_idx ON outbox (id) WHERE status IN ('parked', 'held_back');
CREATE INDEX outbox_alert_subscription_idx ON outbox (alert_subscription_id)
    WHERE alert_subscription_id IS NOT NULL;
COMMENT ON COLUMN outbox.next_attempt_at IS
    'When the message may be (re)tried: due_at at first, then after each failure now() + notify_retry_seconds * 2^(attempts-1), capped.';
COMMENT ON COLUMN outbox.claimed_until IS
    'Lease of the worker sending it (status sending); once passed, another worker takes the message again.';

-- Every try to deliver a message, and its result.
CREATE TABLE outbox_attempts (
    id        bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    outbox_id bigint NOT NULL REFERENCES outbox (id) ON DELETE CASCADE,
    at        timestamptz NOT NULL DEFAULT now(),
    ok        boolean NOT NULL,
    detail    text CHECK (length(detail) <= 1000),
    worker    text
);
CREATE INDEX outbox_attempts_outbox_idx ON outbox_attempts (outbox_id);
COMMENT ON TABLE outbox_attempts IS
    'One row per delivery attempt of an outbox message: result and the transport''s answer (never the message text).';
