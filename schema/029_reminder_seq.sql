-- The reminders' pass (schema/code/notify.sql reminders_due) looks again
-- at a slot only when its confirmed bookings changed since its last
-- look. 028 told by the confirmed count, which can come back to the
-- value the pass saw: a booking confirmed by a transaction that began
-- before the slot entered the reminders' window, and committed after a
-- pass, then another booking of the slot cancelled before the next pass,
-- and the first was never reminded. confirmed_seq only grows: the count
-- triggers (schema/code/booking.sql) add one each time they change
-- confirmed_count, so a change and its undoing are two steps, not none.
-- reminded_count becomes reminded_seq, the confirmed_seq the pass saw.

ALTER TABLE slots ADD COLUMN confirmed_seq bigint NOT NULL DEFAULT 0;
COMMENT ON COLUMN slots.confirmed_seq IS
    'Grows by one at each change of confirmed_count (kept by the count triggers, never written by hand): reminders_due compares it with reminded_seq.';
ALTER TABLE slots RENAME COLUMN reminded_count TO reminded_seq;
ALTER TABLE slots ALTER COLUMN reminded_seq TYPE bigint;
COMMENT ON COLUMN slots.reminded_seq IS
    'confirmed_seq when reminders_due last queued the reminders of this slot (0: never); kept by reminders_due.';

-- The slots the last pass left as seen stay seen; the others (never
-- looked at, or changed since) are pending. (migrate drops the triggers,
-- the count guard among them, before the migrations and loads them after.)
UPDATE slots SET confirmed_seq = 1, reminded_seq = CASE WHEN confirmed_count = reminded_seq THEN 1 ELSE 0 END
 WHERE confirmed_count > 0;

DROP INDEX slots_reminders_idx;
CREATE INDEX slots_reminders_idx ON slots (starts_at)
    WHERE confirmed_count > 0 AND confirmed_seq <> reminded_seq;
