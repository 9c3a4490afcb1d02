-- 010_calendars.sql: the calendars of the staff back-office (issue 5):
-- counters, opening rules, closures that cancel the bookings of a day,
-- slot generation and publication in batches, and places reserved per
-- channel so that people without internet keep a way in.
--
-- Every state change is one function call taking the staff account first;
-- each checks staff_can_site(account, site) itself (a site id never comes
-- from a form: the page passes the site of its URL, and every other id the
-- form names is checked to belong to that site), and writes audit_log in
-- the same transaction. Each returns a row whose first column is `outcome`.
--
-- The functions, views and triggers of this migration are in
-- schema/code/bootstrap.sql, schema/code/booking.sql, schema/code/calendars.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- Messages.
INSERT INTO outbox_kinds (kind, description) VALUES
    ('day_closed', 'the site or counter closes on the day of a booking: cancelled, with the link to book again');

------------------------------------------------------------------------------

-- The share of each slot's capacity reserved for a channel other than
-- online, per site and procedure; online gets what the others leave.
CREATE TABLE channel_shares (
    site_id      bigint NOT NULL,
    procedure_id bigint NOT NULL,
    channel      text NOT NULL
                 CONSTRAINT channel_shares_channel_valid
                 CHECK (creneau_valid_channel(channel) AND channel <> 'online'),
    percent      integer NOT NULL CHECK (percent BETWEEN 0 AND 100),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, procedure_id, channel),
    CONSTRAINT channel_shares_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
COMMENT ON TABLE channel_shares IS
    'Percentage of the capacity of newly generated slots reserved per channel (mediator, counter, court); the sum is at most 100, online gets the rest.';

-- Places of a slot reserved for a channel, computed at generation.
CREATE TABLE slot_reservations (
    slot_id bigint NOT NULL REFERENCES slots (id) ON DELETE CASCADE,
    channel text NOT NULL
            CONSTRAINT slot_reservations_channel_valid
            CHECK (creneau_valid_channel(channel) AND channel <> 'online'),
    places  integer NOT NULL CHECK (places > 0),
    PRIMARY KEY (slot_id, channel)
);
COMMENT ON TABLE slot_reservations IS
    'Places of a slot only a channel other than online may take, until 48 hours before the slot: then the unused ones return to online (computed, no job).';
