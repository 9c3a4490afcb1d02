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
--
-- The functions, views and triggers of this migration are in
-- schema/code/booking.sql, schema/code/limits.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- 1. The release time.

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
