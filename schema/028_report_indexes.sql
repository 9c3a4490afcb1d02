-- The nightly report at production size (issue 14) and the reminders'
-- pass (issue 15): indexes, and the column that tells which slots'
-- reminders are queued.
--
-- The report reads a range of days one day at a time through the
-- indexes (schema/code/reporting.sql): slots by starts_at (024's
-- slots_starts_at_idx, or slots_site_start_idx for one site), then the
-- confirmed bookings of each slot, the draw entry of each booking, and
-- the frozen figures, snapshots and court orders of each day.

-- The confirmed bookings of a slot (the report counts only those: a hold
-- never confirmed is not a booking).
CREATE INDEX bookings_confirmed_at_slot_idx ON bookings (slot_id) WHERE confirmed_at IS NOT NULL;
-- Court orders by their deadline (the day they are counted on), and the
-- nightly snapshot of flagged identities by day.
CREATE INDEX injunctions_deadline_idx ON injunctions (deadline);
CREATE INDEX flags_seen_day_idx ON reporting.flags_seen (day);

-- reminders_due (schema/code/notify.sql) looked at every confirmed
-- booking of its 48-hour window on every pass. A slot's reminders are
-- queued once its bookings confirmed before the window opened are all
-- reminded; a booking confirmed later cannot be reminded (it was
-- confirmed inside the window). reminded_count is the confirmed_count
-- the last pass saw: a slot whose confirmed_count differs (a booking
-- confirmed, cancelled or moved since, or never looked at) is in
-- slots_reminders_idx and the next pass looks at it again; the others
-- are not read at all.
ALTER TABLE slots ADD COLUMN reminded_count integer NOT NULL DEFAULT 0;
COMMENT ON COLUMN slots.reminded_count IS
    'confirmed_count when reminders_due last queued the reminders of this slot (0: never); kept by reminders_due.';
CREATE INDEX slots_reminders_idx ON slots (starts_at)
    WHERE confirmed_count > 0 AND confirmed_count <> reminded_count;
