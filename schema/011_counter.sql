-- 011_counter.sql: the day at the counter (issue 5): the agenda of a site
-- by day and counter, attendance (honoured or no-show, marked by an agent),
-- and the search of bookings by reference, name, date of birth or AGDREF
-- number.
--
-- Every function takes the staff account acting and checks its scope with
-- staff_can_site() itself: the site id the page passes comes from the URL,
-- and the SQL never trusts it. Every call that reads personal data or
-- changes state writes audit_log in the same transaction (the function's).
--
-- The functions, views and triggers of this migration are in
-- schema/code/counter.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- Attendance: whether the person came. Orthogonal to status (a confirmed
-- booking becomes completed when its slot ends, whether or not the person
-- came). attendance_at is the arrival time for 'honoured' and the time the
-- no-show was recorded for 'no_show'; attendance_by the agent. The
-- identity trigger of 004 compares its own list of columns, so these may
-- change while identity, slot and reference still may not.
ALTER TABLE bookings
    ADD COLUMN attendance     text
        CONSTRAINT bookings_attendance_valid CHECK (attendance IN ('honoured', 'no_show')),
    ADD COLUMN attendance_at  timestamptz,
    ADD COLUMN attendance_by  bigint REFERENCES staff_accounts (id),
    ADD CONSTRAINT bookings_attendance_state CHECK (
        (attendance IS NULL) = (attendance_at IS NULL));
COMMENT ON COLUMN bookings.attendance IS
    'honoured (the person came: attendance_at is the arrival) or no_show (recorded at attendance_at); NULL until an agent marks it.';
COMMENT ON COLUMN bookings.attendance_by IS
    'The staff account that marked the attendance.';

-- The agenda of a day (bookings of a site's slots) and the search by
-- AGDREF number. The search by reference uses the UNIQUE index and by
-- date of birth bookings_birth_date_idx (004); by surname alone it scans
-- the bookings of the account's sites (creneau_normalise_name is STABLE,
-- so it cannot be indexed).
CREATE INDEX bookings_site_slot_idx ON bookings (site_id, slot_id);
CREATE INDEX bookings_agdref_idx ON bookings (agdref) WHERE agdref IS NOT NULL;
