-- Extending a hold (RGAA: time limits can be extended). A person who
-- needs more time to find the code we sent can add the hold's length
-- again, up to a few times, while the hold still runs.
--
-- The functions, views and triggers of this migration are in
-- schema/code/booking.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

ALTER TABLE bookings
    ADD COLUMN hold_extensions integer NOT NULL DEFAULT 0
        CONSTRAINT bookings_hold_extensions_valid CHECK (hold_extensions >= 0);
