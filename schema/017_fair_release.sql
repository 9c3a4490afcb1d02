-- 017_fair_release.sql: every release is a fair release (issue 10), and one
-- rule says whether a place is free for a channel (issue 11).
--
-- Before this file, a cancelled CONFIRMED booking kept its place for a
-- random delay, but a place freed any other way came back at once: a hold
-- cancelled by its holder, a hold run out, five wrong codes. A reseller
-- held a place with any name, cancelled it, and the buyer's client,
-- waiting with the slot's form, held it 0.1 s later (t/http/hold_handover.t).
--
-- THE RELEASE RULE. A booking takes its place from the moment it is made
-- until its release time has come:
--   * an active booking (held, confirmed, completed) has no release time;
--   * whatever ends it sets one: a cancellation (by the person, held or
--     confirmed), a reschedule (the old booking), a hold run out or five
--     wrong codes (status expired), a closed day (release_at = infinity:
--     the place never comes back);
--   * the release time is now() + a random delay drawn in the release
--     window (creneau.conf release_min_minutes .. release_max_minutes;
--     creneau_release_time()), so nobody, not even the person who frees
--     the place, knows when it comes back. The one exception is a place
--     of a draw (channel draw): it goes down the draw order, where speed
--     plays no part, at once.
-- At its release time the place is free for everyone at once: the calendar,
-- the booking form and booking_hold all count it free from that instant
-- (creneau_booking_occupies), before any sweep. The sweep then only keeps
-- the books: released = true and slots.booked - 1, so that for every slot
-- booked = its bookings not released (004's invariant, unchanged).
--
-- THE BOOKABILITY RULE (issue 11): creneau_slot_channel_free(slot,
-- channel) is the one definition of "how many places of this slot may
-- this channel take now": capacity, minus the bookings that occupy a place
-- (creneau_booking_occupies), minus the places still reserved for the
-- other channels and not used by them (until 48 hours before the slot).
-- Every check of one slot calls it (booking_hold, booking_reschedule,
-- creneau_staff_booking, the booking form's S_SLOT through
-- creneau_slot_free, the mediator's and the agents' lists through
-- creneau_channel_slots); the public calendar (creneau_bookable_slots)
-- computes the same numbers set-wise, in one pass, and
-- t/sql/available_slots.t checks they agree.
--
-- THE HOLD. A hold is bound to the identity of the first POST (its
-- identity key never changes: 004's trigger), short (hold_minutes, 10 by
-- default), extended only up to a total (hold_max_minutes, 20), and few at
-- a time: booking_rate_check refuses a form when its client address or its
-- e-mail or phone already has too many live unconfirmed holds (rules
-- 'hold_live' of rate_limit_rules). A held place has no resale value:
-- it cannot change hands, and when its holder lets it go it returns at a
-- moment nobody knows.

------------------------------------------------------------------------------
-- 1. The release time.

-- When a place freed now by a booking of p_channel returns to the pool:
-- at once for the draw channel (the draw order decides who gets it), else
-- now() + a random delay in [p_min, p_max]; NULL bounds take the release
-- window the programs set on their connection (creneau.release_min_minutes
-- and creneau.release_max_minutes, from creneau.conf; 15 and 180 minutes
-- when unset, as for a psql session).
CREATE FUNCTION creneau_release_time(p_channel text, p_min interval DEFAULT NULL,
                                     p_max interval DEFAULT NULL)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN p_channel = 'draw' THEN now()
                ELSE now() + creneau_random_delay(
                    coalesce(p_min, make_interval(mins => coalesce(
                        nullif(current_setting('creneau.release_min_minutes', true), '')::integer, 15))),
                    coalesce(p_max, make_interval(mins => coalesce(
                        nullif(current_setting('creneau.release_max_minutes', true), '')::integer, 180))))
           END
$$;
COMMENT ON FUNCTION creneau_release_time(text, interval, interval) IS
    'When a place freed now returns to the pool: now() for the draw channel, else now() + a random delay in [p_min, p_max] (default: the connection''s creneau.release_min_minutes/release_max_minutes, else 15–180 minutes).';

-- Does a booking occupy its place now? Until its release time has come.
-- The one definition every count of free places uses.
CREATE FUNCTION creneau_booking_occupies(p_released boolean, p_release_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NOT p_released AND (p_release_at IS NULL OR p_release_at > now())
$$;
COMMENT ON FUNCTION creneau_booking_occupies(boolean, timestamptz) IS
    'True while a booking takes its place: not released and its release time (if any) not come.';

-- An expired hold now keeps its place until its release time, like a
-- cancellation: released may be false for expired, and every ended
-- booking has a release time.
ALTER TABLE bookings DROP CONSTRAINT bookings_released_state;
UPDATE bookings SET release_at = coalesce(hold_expires_at, created_at)
 WHERE status = 'expired' AND release_at IS NULL;
ALTER TABLE bookings ADD CONSTRAINT bookings_released_state CHECK (
    status IN ('cancelled', 'expired') OR NOT released);
ALTER TABLE bookings ADD CONSTRAINT bookings_release_time CHECK (
    status NOT IN ('cancelled', 'expired') OR release_at IS NOT NULL);
COMMENT ON COLUMN bookings.release_at IS
    'For a cancelled or expired booking: when its place goes back to the pool (now() + a random delay in the release window, so nobody can catch it; infinity for a closed day).';
COMMENT ON COLUMN bookings.released IS
    'The sweep has taken the place out of slots.booked (its release_at has passed).';

-- The bookings whose place is still to come back (few: the sweep's list).
CREATE INDEX bookings_pending_release_idx ON bookings (release_at)
    WHERE NOT released AND release_at IS NOT NULL;

------------------------------------------------------------------------------
-- 2. One rule for the free places of a slot.

-- Places of slot p_slot that channel p_channel may take now: capacity,
-- minus the bookings that occupy a place (creneau_booking_occupies: a
-- place whose release time has come is free, swept or not), minus the
-- places reserved for the other channels and not used by them, until 48
-- hours before the slot (creneau_reservation_lapse). Bookings of a
-- channel use its reservation first. Online is the channel of the public.
-- The occupied places are counted as slots.booked (every booking not
-- released: 004's invariant) less those whose release time has come.
CREATE OR REPLACE FUNCTION creneau_slot_channel_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    WITH used AS (
        SELECT b.channel,
               count(*) FILTER (WHERE creneau_booking_occupies(b.released, b.release_at))::integer AS taken,
               count(*) FILTER (WHERE NOT b.released AND b.release_at <= now())::integer AS due
          FROM bookings b
         WHERE b.slot_id = p_slot.id AND NOT b.released
         GROUP BY b.channel
    )
    SELECT p_slot.capacity - p_slot.booked
           + coalesce((SELECT sum(u.due) FROM used u), 0)::integer
           - CASE WHEN p_slot.starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE coalesce((
                       SELECT sum(greatest(0, r.places - coalesce(u.taken, 0)))::integer
                         FROM slot_reservations r
                         LEFT JOIN used u ON u.channel = r.channel
                        WHERE r.slot_id = p_slot.id
                          AND r.channel <> coalesce(p_channel, 'online')), 0)
             END
$$;
COMMENT ON FUNCTION creneau_slot_channel_free(slots, text) IS
    'THE rule: places of a slot a channel may take now = capacity - bookings occupying a place (creneau_booking_occupies) - unused places reserved for other channels (none from 48 hours before the slot).';

-- The public's (online) free places of a slot: the rule for online. (An
-- expired hold is no longer "as good as free": it keeps its place until
-- its random release time.)
CREATE OR REPLACE FUNCTION creneau_slot_free(p_slot slots) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT creneau_slot_channel_free(p_slot, 'online')
$$;
COMMENT ON FUNCTION creneau_slot_free(slots) IS
    'Free places of a slot for online booking: creneau_slot_channel_free(slot, ''online'').';

-- The public calendar: published, future slots of an open procedure
-- (not of a draw) with their free places for online, computed set-wise in
-- one pass over the procedure's slots, their bookings and reservations.
-- The numbers are creneau_slot_channel_free(slot, 'online'), term by term:
-- booked, the bookings whose release time has come (due), the unused
-- reservations of the other channels until the lapse (held_back, from the
-- occupying bookings per channel: used).
CREATE OR REPLACE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    WITH s AS (
        SELECT s.id, s.starts_at, s.capacity, s.booked, st.time_zone
          FROM slots s
          JOIN sites st ON st.id = s.site_id
         WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
           AND s.published_at <= now() AND s.starts_at > now()
           AND creneau_allocation_mode(p_site_id, p_procedure_id) = 'open'
           AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
    ), used AS (
        -- Bookings not released: those whose release time has come are
        -- due, the others occupy a place (creneau_booking_occupies).
        SELECT x.slot_id, x.channel, x.n - x.due AS taken, x.due
          FROM (SELECT b.slot_id, b.channel, count(*) AS n,
                       count(*) FILTER (WHERE b.release_at <= now()) AS due
                  FROM bookings b
                 WHERE b.slot_id IN (SELECT id FROM s) AND NOT b.released
                 GROUP BY b.slot_id, b.channel) x
    ), due AS (
        SELECT u.slot_id, sum(u.due) AS places FROM used u GROUP BY u.slot_id
    ), held_back AS (
        SELECT r.slot_id, sum(greatest(0, r.places - coalesce(u.taken, 0))) AS places
          FROM slot_reservations r
          JOIN s ON s.id = r.slot_id
          LEFT JOIN used u ON u.slot_id = r.slot_id AND u.channel = r.channel
         WHERE s.starts_at - creneau_reservation_lapse() > now()
           AND r.channel <> 'online'
         GROUP BY r.slot_id
    ), f AS (
        SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE s.time_zone AS local_start,
               (s.capacity - s.booked + coalesce(k.places, 0) - coalesce(h.places, 0))::integer AS free
          FROM s
          LEFT JOIN due k ON k.slot_id = s.id
          LEFT JOIN held_back h ON h.slot_id = s.id
    )
    SELECT f.id, f.starts_at, f.local_start, f.free FROM f WHERE f.free > 0
$$;
COMMENT ON FUNCTION creneau_bookable_slots(bigint, bigint) IS
    'Published, future, open-mode slots of a procedure at a site with their free places for online booking: creneau_slot_channel_free(slot, ''online''), computed in one pass.';

-- The view of 001, on the same rule (online places).
CREATE OR REPLACE VIEW available_slots AS
    SELECT s.id, s.site_id, s.counter_id, s.procedure_id, s.starts_at, s.ends_at,
           s.capacity, s.booked, creneau_slot_channel_free(s, 'online') AS remaining
      FROM slots s
     WHERE s.published_at <= now()
       AND s.starts_at > now()
       AND creneau_slot_channel_free(s, 'online') > 0;
COMMENT ON VIEW available_slots IS
    'Published, future slots with at least one place free for online booking (creneau_slot_channel_free); filter by site_id and procedure_id.';

------------------------------------------------------------------------------
-- 3. Everything that frees a place sets a release time.

-- Sweep one slot: its holds past their end become expired, their place
-- kept until a random release time (creneau_release_time); the bookings
-- whose release time has come are marked released and give their place
-- back to slots.booked. Locks the slot row first (lock order) and skips
-- bookings another transaction holds locked. Returns (holds expired,
-- places released).
CREATE OR REPLACE FUNCTION booking_sweep_slot(p_slot_id bigint)
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    n_expired  integer;
    n_released integer;
BEGIN
    PERFORM 1 FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0, 0;
        RETURN;
    END IF;

    UPDATE bookings b SET status = 'expired', release_at = creneau_release_time(b.channel)
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND x.status = 'held'
                       AND x.hold_expires_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_expired = ROW_COUNT;

    UPDATE bookings b SET released = true
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND NOT x.released
                       AND x.release_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_released = ROW_COUNT;

    IF n_released > 0 THEN
        UPDATE slots s SET booked = s.booked - n_released WHERE s.id = p_slot_id;
    END IF;
    RETURN QUERY SELECT n_expired, n_released;
END
$$;
COMMENT ON FUNCTION booking_sweep_slot(bigint) IS
    'Expire the overdue holds of one slot (release time drawn at random) and release the bookings whose release time has come; returns (expired, released).';

-- Sweep every slot that has something due (creneau-admin sweep, every
-- minute), slot by slot in id order, never waiting for a lock; mark the
-- confirmed bookings whose appointment has ended completed.
CREATE OR REPLACE FUNCTION booking_sweep()
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    sid   bigint;
    t_exp integer := 0;
    t_rel integer := 0;
    r     record;
BEGIN
    FOR sid IN
        SELECT x.slot_id FROM (
            SELECT b.slot_id FROM bookings b
             WHERE b.status = 'held' AND b.hold_expires_at <= now()
            UNION
            SELECT b.slot_id FROM bookings b
             WHERE NOT b.released AND b.release_at IS NOT NULL AND b.release_at <= now()) x
         ORDER BY 1
    LOOP
        -- A slot locked by a booking in progress is left for the next run
        -- (that booking sweeps it anyway).
        PERFORM 1 FROM slots s WHERE s.id = sid FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO r FROM booking_sweep_slot(sid);
        t_exp := t_exp + r.expired;
        t_rel := t_rel + r.released;
    END LOOP;

    UPDATE bookings b SET status = 'completed'
     WHERE b.id IN (SELECT x.id FROM bookings x JOIN slots s ON s.id = x.slot_id
                     WHERE x.status = 'confirmed' AND s.ends_at <= now()
                       FOR UPDATE OF x SKIP LOCKED);

    RETURN QUERY SELECT t_exp, t_rel;
END
$$;
COMMENT ON FUNCTION booking_sweep() IS
    'Expire overdue holds (random release time) and release the places whose release time has come, everywhere; mark ended confirmed bookings completed; returns (expired, released).';

-- Ends a hold now (too many wrong codes, or found past its end): expired,
-- its place kept until a random release time. The caller holds the slot
-- and booking locks.
CREATE FUNCTION creneau_hold_end(p_booking_id bigint, p_wrong_code boolean)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE bookings
       SET status = 'expired', release_at = creneau_release_time(channel),
           confirm_attempts = confirm_attempts + CASE WHEN p_wrong_code THEN 1 ELSE 0 END
     WHERE id = p_booking_id
$$;

-- Confirm a hold with the code that was sent (004), the place of a hold
-- that ends here (run out, fifth wrong code) kept until its random release
-- time. Outcomes unchanged: confirmed, wrong_code, too_many_attempts,
-- expired, already_confirmed, cancelled, not_found.
CREATE OR REPLACE FUNCTION booking_confirm(p_token text, p_code text)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    max_attempts constant integer := 5;
    b bookings%ROWTYPE;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF b.status = 'cancelled' THEN
        RETURN QUERY SELECT 'cancelled'::text, b.id;
        RETURN;
    END IF;
    IF b.status = 'expired' THEN
        RETURN QUERY SELECT CASE WHEN b.confirm_attempts >= max_attempts
                                 THEN 'too_many_attempts' ELSE 'expired' END, b.id;
        RETURN;
    END IF;
    IF b.status IN ('confirmed', 'completed') THEN
        RETURN QUERY SELECT 'already_confirmed'::text, b.id;
        RETURN;
    END IF;
    -- Held.
    IF b.hold_expires_at <= now() THEN
        PERFORM creneau_hold_end(b.id, false);
        RETURN QUERY SELECT 'expired'::text, b.id;
        RETURN;
    END IF;
    IF p_code IS NULL OR b.code_hash IS DISTINCT FROM sha256(convert_to(p_code, 'UTF8')) THEN
        IF b.confirm_attempts + 1 >= max_attempts THEN
            PERFORM creneau_hold_end(b.id, true);
            RETURN QUERY SELECT 'too_many_attempts'::text, b.id;
        ELSE
            UPDATE bookings SET confirm_attempts = confirm_attempts + 1 WHERE id = b.id;
            RETURN QUERY SELECT 'wrong_code'::text, b.id;
        END IF;
        RETURN;
    END IF;
    UPDATE bookings SET status = 'confirmed', confirmed_at = now() WHERE id = b.id;
    PERFORM creneau_outbox_add('booking_confirmed', 'confirmed', b.id, NULL);
    RETURN QUERY SELECT 'confirmed'::text, b.id;
END
$$;
COMMENT ON FUNCTION booking_confirm(text, text) IS
    'Confirm a held booking with its code; outcome confirmed, wrong_code, too_many_attempts, expired, already_confirmed, cancelled or not_found. A hold that ends here keeps its place until a random release time.';

-- Cancel (004): held or confirmed, the place returns at a random time in
-- [now() + p_release_min, now() + p_release_max]: a hold cancelled by its
-- holder is no hand-over. A booking_cancelled message is queued for
-- confirmed bookings only (a hold never proved its contact). Outcomes
-- unchanged: cancelled, already_cancelled, too_late, not_found.
CREATE OR REPLACE FUNCTION booking_cancel(p_token text, p_release_min interval, p_release_max interval)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    b       bookings%ROWTYPE;
    v_start timestamptz;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF b.status IN ('cancelled', 'expired') THEN
        RETURN QUERY SELECT 'already_cancelled'::text;
        RETURN;
    END IF;
    SELECT s.starts_at INTO v_start FROM slots s WHERE s.id = b.slot_id;
    IF v_start <= now() OR b.status = 'completed' THEN
        RETURN QUERY SELECT 'too_late'::text;
        RETURN;
    END IF;
    UPDATE bookings
       SET status = 'cancelled', cancelled_at = now(),
           release_at = creneau_release_time(b.channel, p_release_min, p_release_max)
     WHERE id = b.id;
    IF b.status = 'confirmed' THEN
        PERFORM creneau_outbox_add('booking_cancelled', 'cancelled', b.id, NULL);
    END IF;
    RETURN QUERY SELECT 'cancelled'::text;
END
$$;
COMMENT ON FUNCTION booking_cancel(text, interval, interval) IS
    'Cancel a held or confirmed booking; its place returns after a random delay in [min, max]; outcome cancelled, already_cancelled, too_late or not_found.';

-- booking_reschedule (004) already cancels the old booking with a random
-- release time (its explicit bounds); close_day (010) with release_at =
-- infinity (the place never returns). Both are covered by the rule above
-- without change.

------------------------------------------------------------------------------
-- 4. A short hold with a bounded total (RGAA / WCAG 2.2.1).
--
-- The hold lasts hold_minutes (creneau.conf, 10 by default); the person
-- may ask for more time with one button while it runs, p_minutes each
-- time (hold_extend_minutes, 5), as long as the hold ends no later than
-- p_max_minutes after it began (hold_max_minutes, 20). Outcomes:
-- extended, too_many (the total is reached), expired (the hold has
-- ended), not_held (confirmed, cancelled…), not_found. Replaces 008's
-- booking_extend(token, minutes, most extensions).
DROP FUNCTION booking_extend(text, integer, integer);
CREATE FUNCTION booking_extend(p_token text, p_minutes integer, p_max_minutes integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id  bigint := booking_by_token(p_token);
    b     bookings%ROWTYPE;
    v_end timestamptz;
BEGIN
    IF p_minutes IS NULL OR p_minutes < 1 OR p_minutes > 120
       OR p_max_minutes IS NULL OR p_max_minutes < 1 OR p_max_minutes > 240 THEN
        RAISE EXCEPTION 'booking_extend: minutes out of range: % (total %)', p_minutes, p_max_minutes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    SELECT * INTO b FROM bookings x WHERE x.id = v_id FOR UPDATE;
    v_end := least(b.hold_expires_at + make_interval(mins => p_minutes),
                   b.created_at + make_interval(mins => p_max_minutes));
    IF b.status <> 'held' THEN
        RETURN QUERY SELECT 'not_held'::text;
    ELSIF b.hold_expires_at <= now() THEN
        RETURN QUERY SELECT 'expired'::text;
    ELSIF v_end <= b.hold_expires_at THEN
        RETURN QUERY SELECT 'too_many'::text;
    ELSE
        UPDATE bookings SET hold_expires_at = v_end, hold_extensions = hold_extensions + 1
         WHERE id = v_id;
        RETURN QUERY SELECT 'extended'::text;
    END IF;
END
$$;
COMMENT ON FUNCTION booking_extend(text, integer, integer) IS
    'Extend a running hold by p_minutes, never beyond p_max_minutes after it began (RGAA: adjustable time limits, bounded for a scarce place); outcome extended, too_many, expired, not_held or not_found.';

------------------------------------------------------------------------------
-- 5. Few live holds per client address, e-mail and phone.
--
-- booking_rate_check records, under the form token's id (the booking's
-- idempotency key), the keyed digests of the client address, e-mail and
-- phone of each form it lets through (hold_origins); a live hold is a
-- booking with that key, still held and not run out. A form is refused
-- when its address, e-mail or phone already has max_hits live holds
-- (rules 'hold_live' in rate_limit_rules; window_size: how far back a
-- hold may have begun, longer than any hold). A form let through a few
-- seconds ago that has no booking yet counts too (it is on its way to
-- booking_hold), so parallel forms cannot all slip past the count, until
-- the page, told by booking_hold that it is refused, forgets it
-- (booking_rate_forget); the checks of one key are serialised by an
-- advisory lock.
CREATE TABLE hold_origins (
    idempotency_key text PRIMARY KEY CHECK (length(idempotency_key) <= 200),
    address_key     text,
    email_key       text,
    phone_key       text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX hold_origins_address_idx ON hold_origins (address_key, created_at) WHERE address_key IS NOT NULL;
CREATE INDEX hold_origins_email_idx ON hold_origins (email_key, created_at) WHERE email_key IS NOT NULL;
CREATE INDEX hold_origins_phone_idx ON hold_origins (phone_key, created_at) WHERE phone_key IS NOT NULL;
CREATE INDEX hold_origins_created_idx ON hold_origins (created_at);
COMMENT ON TABLE hold_origins IS
    'Keyed digests (never personal data in clear) of the client address, e-mail and phone of each booking form let through, by idempotency key: counts the live holds per key.';

INSERT INTO rate_limit_rules (action, scope, window_size, max_hits) VALUES
    -- A France Services point or a carrier NAT serves many people: high,
    -- a brake on one machine (nginx's per-address rate is the first).
    ('hold_live', 'address', interval '4 hours', 100),
    -- One person confirms a time before holding another.
    ('hold_live', 'email',   interval '4 hours', 2),
    ('hold_live', 'phone',   interval '4 hours', 2);

-- How long a form let through counts as on its way to booking_hold: as
-- long as nginx waits for an answer (fastcgi_read_timeout, 30 s), longer
-- than booking_hold waits for its locks when a crowd takes a few slots at
-- an opening, so parallel forms of one contact cannot slip past the count
-- while they queue. A form refused is forgotten at once
-- (booking_rate_forget).
CREATE FUNCTION creneau_hold_in_flight() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT interval '30 seconds'
$$;

-- Live holds (and forms on their way) of a key of a scope (address,
-- email or phone), other than the form p_own. One statement per scope, so
-- that each uses its own index.
CREATE FUNCTION creneau_live_holds(p_scope text, p_key text, p_own text, p_window interval)
RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n integer;
BEGIN
    IF p_scope NOT IN ('address', 'email', 'phone') THEN
        RAISE EXCEPTION 'creneau_live_holds: unknown scope %', p_scope
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format(
        'SELECT count(*)::integer FROM hold_origins o'
        '  LEFT JOIN bookings b ON b.idempotency_key = o.idempotency_key'
        ' WHERE o.%I = $1 AND o.created_at > now() - $2 AND o.idempotency_key <> $3'
        '   AND CASE WHEN b.id IS NULL THEN o.created_at > now() - creneau_hold_in_flight()'
        '            ELSE b.status = ''held'' AND b.hold_expires_at > now() END',
        p_scope || '_key')
      INTO n USING p_key, p_window, coalesce(p_own, '');
    RETURN n;
END
$$;

-- The booking form's check (016) with the live holds: '' to go on, else
-- the scope refused: identity, email, phone, address (too many forms in
-- the window), live_address, live_email, live_phone (too many live
-- unconfirmed holds). p_person is the person of fcgi/common/identity.c (only its
-- keyed digests count); p_idempotency_key is the form token's id (NULL:
-- live holds are not counted).
CREATE FUNCTION booking_rate_check(p_slot_id bigint, p_person jsonb, p_address text,
                                   p_idempotency_key text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_scope text;
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_keys  text[];
    v_names constant text[] := ARRAY['address', 'email', 'phone'];
    r       rate_limit_rules%ROWTYPE;
BEGIN
    v_scope := booking_rate_check(p_slot_id, p_person, p_address);
    IF v_scope <> '' OR v_key IS NULL THEN
        RETURN v_scope;
    END IF;
    v_keys := ARRAY[nullif(p_address, ''),
                    nullif(creneau_person_text(p_person, 'email_key'), ''),
                    nullif(creneau_person_text(p_person, 'phone_key'), '')];
    -- One check at a time per key (in a fixed order: no deadlock).
    FOR i IN 1 .. 3 LOOP
        IF v_keys[i] IS NOT NULL THEN
            PERFORM creneau_lock('hold_live', v_names[i] || ':' || v_keys[i]);
        END IF;
    END LOOP;
    FOR i IN 1 .. 3 LOOP
        SELECT * INTO r FROM rate_limit_rules x WHERE x.action = 'hold_live' AND x.scope = v_names[i];
        IF FOUND AND v_keys[i] IS NOT NULL
           AND creneau_live_holds(v_names[i], v_keys[i], v_key, r.window_size) >= r.max_hits THEN
            RETURN 'live_' || v_names[i];
        END IF;
    END LOOP;
    INSERT INTO hold_origins (idempotency_key, address_key, email_key, phone_key)
    VALUES (v_key, v_keys[1], v_keys[2], v_keys[3])
    ON CONFLICT (idempotency_key) DO NOTHING;
    RETURN '';
END
$$;
COMMENT ON FUNCTION booking_rate_check(bigint, jsonb, text, text) IS
    'Rate limits of the booking form, before booking_hold, and the live holds per client address, e-mail and phone (keyed digests): '''' to go on, else the scope refused (identity, email, phone, address, live_address, live_email, live_phone).';

-- A form booking_hold refused (no booking with its key) stops counting as
-- a hold on its way: the page calls this after the refusal.
CREATE FUNCTION booking_rate_forget(p_idempotency_key text) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    DELETE FROM hold_origins o
     WHERE o.idempotency_key = p_idempotency_key
       AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.idempotency_key = o.idempotency_key)
$$;
COMMENT ON FUNCTION booking_rate_forget(text) IS
    'Forget the origin of a form that booking_hold refused, so that it no longer counts as a live hold on its way.';

-- The sweep of the rate limits (014) also forgets the form origins older
-- than any hold.
CREATE OR REPLACE FUNCTION rate_limit_sweep() RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    WITH o AS (DELETE FROM hold_origins WHERE created_at <= now() - interval '1 day'),
         d AS (DELETE FROM rate_limits WHERE window_end <= now() RETURNING 1)
    SELECT count(*)::integer FROM d
$$;
COMMENT ON FUNCTION rate_limit_sweep() IS
    'Delete rate-limit counters whose window has ended and form origins older than a day (creneau-admin sweep); returns how many counters.';
