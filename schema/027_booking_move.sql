-- 027_booking_move.sql: a reschedule is a move (issue 12).
--
-- A moved booking keeps its reference and its calendar UID
-- (reference@creneau): booking_reschedule (schema/code/booking.sql) still
-- inserts the row of the new slot, so that the old one keeps holding its
-- place until its random release time (the fair release), but the new row
-- takes the old one's reference and the next ics_sequence, and the old row
-- is marked moved (status cancelled, release_at set as before). The
-- reference is unique among the rows not moved: the live booking.

ALTER TABLE bookings ADD COLUMN IF NOT EXISTS moved boolean NOT NULL DEFAULT false;
ALTER TABLE bookings ADD COLUMN IF NOT EXISTS ics_sequence integer NOT NULL DEFAULT 0
    CONSTRAINT bookings_ics_sequence_range CHECK (ics_sequence BETWEEN 0 AND 100000);
ALTER TABLE bookings ADD CONSTRAINT bookings_moved_cancelled
    CHECK (NOT moved OR (status = 'cancelled' AND cancelled_at IS NOT NULL AND release_at IS NOT NULL));

COMMENT ON COLUMN bookings.moved IS
    'The row of a booking''s old slot after a move: cancelled, holds its place until release_at; the booking goes on in the row whose rescheduled_from is this one, with the same reference.';
COMMENT ON COLUMN bookings.ics_sequence IS
    'SEQUENCE of the booking''s calendar event (RFC 5545): + 1 at each move and at the cancellation.';

ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_reference_key;
CREATE UNIQUE INDEX IF NOT EXISTS bookings_reference_key ON bookings (reference) WHERE NOT moved;
-- Every row with a reference, moved or not (a new reference must be new).
CREATE INDEX IF NOT EXISTS bookings_reference_all_idx ON bookings (reference);
