-- 016_booking_path.sql: one path for a booking (issues 10 and 11).
--
-- Before, the steps of a booking (the AGDREF check, the caps per e-mail
-- and per phone under advisory locks, the identity key, the reference
-- retry loop) were pasted into booking_hold, creneau_staff_booking,
-- draw_allocate and booking_reschedule, and the identity and the caps
-- compared text normalised in SQL ("Dupont." and "Dupont" were two
-- people, "x+1@gmail.com" and "x@gmail.com" two addresses, "+330612…"
-- and "0612…" two phones). Now:
--
--   * the person comes from the pages as one jsonb value (creneau_person
--     below), built by fcgi/common/identity.c from the canonical forms of
--     fcgi/common/canon.h: the identity keys (name and birth date; AGDREF
--     number) and the contact keys are keyed digests (HMAC with the site
--     secret) computed there; SQL compares keys, never raw text. What the
--     person typed is kept for display; SMS go to the E.164 number;
--   * creneau_booking_insert() is the only INSERT INTO bookings: caps under
--     advisory locks, ended bookings of the identity completed, the
--     reference retry loop, slots.booked + 1; every channel calls it;
--   * creneau_agdref_outcome() is the only AGDREF check;
--   * advisory-lock keys are named (creneau_lock_key), outcomes are listed
--     in one table (creneau_outcomes);
--   * a form token replayed with another person's details is refused
--     (token_used) instead of leading to the first person's booking: the
--     idempotency key is bound to a digest of the submission's identity
--     and contact (submission_key).
--
-- Whether a place is bookable is not decided here: the callers keep
-- calling creneau_slot_channel_free() and friends.
--
-- Rows written before this migration have no contact keys: they no longer
-- count in the caps (the caps are a brake; they last as long as those
-- bookings are active). Their identity keys came from SQL normalisation
-- and differ from the new ones: an identity with an active booking from
-- before may book once more after the upgrade.
--
-- The functions, views and triggers of this migration are in
-- schema/code/booking.sql, schema/code/draws.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- 1. Named constants.

-- The outcomes of the booking functions, declared once: what each word
-- means. The pages map them to messages (fcgi/common/identity.c, page_*.c).
CREATE TABLE creneau_outcomes (
    outcome text PRIMARY KEY CHECK (outcome ~ '^[a-z_]+$'),
    meaning text NOT NULL
);
COMMENT ON TABLE creneau_outcomes IS
    'The outcome words of the booking functions (booking_hold, creneau_staff_booking, mediator_book, court_book, draw_register, creneau_booking_insert) and what each means.';
INSERT INTO creneau_outcomes (outcome, meaning) VALUES
    ('held',              'booking_hold: the place is held until the code is typed'),
    ('booked',            'creneau_staff_booking, mediator_book: a confirmed booking was made'),
    ('fulfilled',         'court_book: the injunction''s booking was made'),
    ('already_fulfilled', 'court_book: the injunction has its booking already'),
    ('inserted',          'creneau_booking_insert: the booking row exists'),
    ('registered',        'draw_register: the entry exists, unverified'),
    ('replayed',          'the same submission was sent again: the earlier result'),
    ('token_used',        'the form token was used by a different submission: refused, nothing shown'),
    ('contact_required',  'neither e-mail nor phone'),
    ('agdref_required',   'the procedure needs an AGDREF number and none was given'),
    ('agdref_unknown',    'the AGDREF number is not in agdref_numbers'),
    ('slot_unavailable',  'the place cannot be booked on this channel now'),
    ('email_cap',         'the e-mail key has the most active bookings allowed'),
    ('phone_cap',         'the phone key has the most active bookings allowed'),
    ('identity_active',   'the identity has an active booking for the procedure'),
    ('quota_reached',     'mediator_book: the organisation''s monthly quota is used'),
    ('forbidden',         'the account may not do this'),
    ('not_found',         'no such object'),
    ('other_procedure',   'the slot is of another site or procedure'),
    ('closed',            'draw_register: outside the registration window'),
    ('already_registered','draw_register: the identity has an entry in this draw'),
    ('already_entered',   'draw_register: the identity has an active entry in another draw');

------------------------------------------------------------------------------
-- 3. Key columns.
ALTER TABLE bookings
    ADD COLUMN email_key bytea CONSTRAINT bookings_email_key_length CHECK (length(email_key) = 16),
    ADD COLUMN phone_key bytea CONSTRAINT bookings_phone_key_length CHECK (length(phone_key) = 16),
    ADD COLUMN phone_e164 text CONSTRAINT bookings_phone_e164_format CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,14}$'),
    ADD COLUMN submission_key bytea CONSTRAINT bookings_submission_key_length CHECK (length(submission_key) = 32);
COMMENT ON COLUMN bookings.email_key IS
    'Keyed digest of the canonical e-mail address (fcgi/common/identity.c): the cap per e-mail compares these.';
COMMENT ON COLUMN bookings.phone_key IS
    'Keyed digest of the E.164 phone number (fcgi/common/identity.c): the cap per phone compares these.';
COMMENT ON COLUMN bookings.phone_e164 IS
    'The phone number in E.164 form, where SMS go (phone is kept as typed).';
COMMENT ON COLUMN bookings.submission_key IS
    'creneau_submission_key(): a replay of the form token is answered only for the same identity and contact.';
CREATE INDEX bookings_active_email_key_idx ON bookings (email_key)
    WHERE status IN ('held', 'confirmed') AND email_key IS NOT NULL;
CREATE INDEX bookings_active_phone_key_idx ON bookings (phone_key)
    WHERE status IN ('held', 'confirmed') AND phone_key IS NOT NULL;

ALTER TABLE draw_entries
    ADD COLUMN email_key bytea CONSTRAINT draw_entries_email_key_length CHECK (length(email_key) = 16),
    ADD COLUMN phone_key bytea CONSTRAINT draw_entries_phone_key_length CHECK (length(phone_key) = 16),
    ADD COLUMN phone_e164 text CONSTRAINT draw_entries_phone_e164_format CHECK (phone_e164 ~ '^\+[1-9][0-9]{5,14}$');
CREATE INDEX draw_entries_email_key_idx ON draw_entries (email_key) WHERE email_key IS NOT NULL;
CREATE INDEX draw_entries_phone_key_idx ON draw_entries (phone_key) WHERE phone_key IS NOT NULL;
