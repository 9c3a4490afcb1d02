-- Reporting (issue 14): the figures of the nightly report, the public
-- statistics and the back-office, each defined once, in a schema of its
-- own; the daily snapshots that cannot be recomputed later; the frozen
-- figures that outlive the purge; and the purge itself (retention of
-- personal data).
--
-- One definition of each figure: reporting.figure_defs names them, the
-- *_facts views say what each row of the base tables counts as, and
-- reporting.live_figures() turns them into one long table
-- (day, site, procedure, figure, value). Every output (creneau-report's
-- CSV and XHTML, the back-office, the public page) reads
-- reporting.report_figures(), which is the frozen rows of the days
-- already frozen and the live ones of the others.
--
-- "day" is the local date (site's time zone) of the appointment for
-- figures about places and bookings, of the draw for draws, of the
-- message's creation for messages, of the deadline for court orders, of
-- the snapshot for figures seen each night.
--
-- Its functions, views and triggers are in schema/code/reporting.sql (the
-- purge's exceptions to the guards of bookings, draw entries and the audit
-- log: in booking.sql, draws.sql and staff.sql).

CREATE SCHEMA reporting;
COMMENT ON SCHEMA reporting IS
    'Figures of the nightly report, the public statistics and the back-office (issue 14); no personal data.';

------------------------------------------------------------------------------
-- 0. Who cancelled a booking. The booking functions do not say, so a
-- trigger records it when a booking becomes cancelled: a closure
-- (close_day sets release_at = infinity), staff (a staff function sets
-- creneau.cancelled_by = 'staff' for its transaction), otherwise the
-- person (booking_cancel, booking_reschedule: a reschedule is told apart
-- by the booking that replaced it). Kept through the purge.
ALTER TABLE bookings
    ADD COLUMN cancelled_by text
        CONSTRAINT bookings_cancelled_by_valid CHECK (cancelled_by IN ('person', 'staff', 'closure')),
    ADD COLUMN purged_at timestamptz;
COMMENT ON COLUMN bookings.cancelled_by IS
    'Who cancelled: person, staff or closure (set by a trigger when status becomes cancelled).';
COMMENT ON COLUMN bookings.purged_at IS
    'When the retention purge replaced the person''s data by nothing (reporting.purge); the row stays for the figures.';

UPDATE bookings SET cancelled_by = CASE WHEN release_at = 'infinity' THEN 'closure' ELSE 'person' END
 WHERE status = 'cancelled';

------------------------------------------------------------------------------
-- 1. The figures and their definitions (the report prints these texts).
CREATE TABLE reporting.figure_defs (
    figure      text PRIMARY KEY CHECK (figure ~ '^[a-z_0-9]+$'),
    ord         integer NOT NULL UNIQUE,
    grp         text NOT NULL,
    unit        text NOT NULL CHECK (unit IN ('count', 'days', 'percent')),
    additive    boolean NOT NULL,
    definition  text NOT NULL
);
COMMENT ON TABLE reporting.figure_defs IS
    'Every figure of the reports, once: group, unit, whether it adds up over days and sites, and its definition in words.';

INSERT INTO reporting.figure_defs (figure, ord, grp, unit, additive, definition) VALUES
 ('places_published',   10, 'places', 'count', true,  'Places of slots published (published_at reached), by day of the appointment.'),
 ('places_never_booked',11, 'places', 'count', true,  'Places of published slots that no confirmed booking ever took.'),
 ('booked',             20, 'bookings', 'count', true, 'Confirmed bookings (a hold never confirmed is not a booking), by day of the appointment; = honoured + no_show + unmarked + the four cancellations.'),
 ('honoured',           21, 'bookings', 'count', true, 'Confirmed bookings marked honoured at the counter.'),
 ('no_show',            22, 'bookings', 'count', true, 'Confirmed bookings marked no-show.'),
 ('unmarked',           23, 'bookings', 'count', true, 'Confirmed bookings not cancelled and not (yet) marked.'),
 ('cancelled_person',   24, 'bookings', 'count', true, 'Confirmed bookings cancelled by the person (not moved).'),
 ('rescheduled',        25, 'bookings', 'count', true, 'Confirmed bookings the person moved to another time (counted on the day left).'),
 ('cancelled_staff',    26, 'bookings', 'count', true, 'Confirmed bookings cancelled by staff.'),
 ('cancelled_closure',  27, 'bookings', 'count', true, 'Confirmed bookings cancelled by the closure of their day.'),
 ('booked_online',      30, 'channels', 'count', true, 'Confirmed bookings made online (first come).'),
 ('booked_draw',        31, 'channels', 'count', true, 'Confirmed bookings offered by a draw.'),
 ('booked_mediator',    32, 'channels', 'count', true, 'Confirmed bookings made by a mediator.'),
 ('booked_counter',     33, 'channels', 'count', true, 'Confirmed bookings made at the counter or by phone.'),
 ('booked_court',       34, 'channels', 'count', true, 'Confirmed bookings made for a court order.'),
 ('wait_count',         40, 'wait', 'count', true,  'Bookings whose wait is measured: confirmed and not moved.'),
 ('wait_median_days',   41, 'wait', 'days', false,  'Median days from the request (the hold, or the draw registration) to the appointment.'),
 ('wait_p90_days',      42, 'wait', 'days', false,  '90th percentile of the same.'),
 ('first_free_days',    43, 'wait', 'days', false,  'Days from that day to the first free online place, as seen by the nightly snapshot.'),
 ('draws_held',         50, 'draws', 'count', true, 'Draws run, by day of the draw.'),
 ('draw_entries',       51, 'draws', 'count', true, 'Verified entries of those draws.'),
 ('draw_identities',    52, 'draws', 'count', true, 'Distinct identities among them.'),
 ('draw_winners',       53, 'draws', 'count', true, 'Entries offered a place.'),
 ('draw_confirmed',     54, 'draws', 'count', true, 'Entries that confirmed the place offered.'),
 ('draw_confirmation_rate', 55, 'draws', 'percent', false, 'draw_confirmed / draw_winners, in percent.'),
 ('entries_voided',     60, 'abuse', 'count', true, 'Draw entries voided by the abuse review, by day of their draw.'),
 ('flagged_identities', 61, 'abuse', 'count', false, 'Identities in an abuse flag of the site, as seen by the nightly snapshot.'),
 ('ratelimit_refusals', 62, 'abuse', 'count', true, 'Requests refused by a rate limit (all sites), by day of the window, as seen by the nightly snapshot.'),
 ('messages_sent',      70, 'messages', 'count', true, 'Messages (e-mail, SMS) delivered, by day of creation.'),
 ('messages_failed',    71, 'messages', 'count', true, 'Messages tried and not yet delivered (being retried).'),
 ('messages_parked',    72, 'messages', 'count', true, 'Messages given up (parked) after their attempts.'),
 ('court_due',          80, 'court', 'count', true, 'Court orders whose deadline is that day.'),
 ('court_met',          81, 'court', 'count', true, 'Of those, met by a booking made by the deadline.'),
 ('court_late',         82, 'court', 'count', true, 'Of those, met after the deadline, or still open with the deadline passed.'),
 ('court_open',         83, 'court', 'count', true, 'Of those, still open and not yet late.');

-- A report of all sites reads ranges of days: these reach them.
CREATE INDEX slots_starts_at_idx ON slots (starts_at);
CREATE INDEX outbox_created_at_idx ON outbox (created_at);
CREATE INDEX draws_draw_at_idx ON draws (draw_at);

------------------------------------------------------------------------------
-- 3. What the nightly job sees and nobody can recompute later.
CREATE TABLE reporting.first_free_seen (
    day          date NOT NULL,
    site_id      bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    procedure_id bigint NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    first_free   date,
    free_places  integer NOT NULL,
    seen_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (site_id, procedure_id, day)
);
CREATE INDEX first_free_seen_day_idx ON reporting.first_free_seen (day);
COMMENT ON TABLE reporting.first_free_seen IS
    'Each night: the first local date with a free online place of each site and procedure (NULL: none), and the free online places then.';

CREATE TABLE reporting.flags_seen (
    day          date NOT NULL,
    site_id      bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    identities   integer NOT NULL,
    PRIMARY KEY (site_id, day)
);
COMMENT ON TABLE reporting.flags_seen IS
    'Each night: how many identities an abuse flag of the site concerns (abuse_flags).';

CREATE TABLE reporting.refusals_seen (
    day          date NOT NULL,
    action       text NOT NULL,
    refusals     integer NOT NULL,
    PRIMARY KEY (day, action)
);
COMMENT ON TABLE reporting.refusals_seen IS
    'Requests refused by the rate limits per day of the window and action, read each night from the unlogged rate_limits (which a standby cannot read).';

------------------------------------------------------------------------------
-- 5. Frozen figures: computed once for a past day, kept after the purge
-- removed what they were counted from.
CREATE TABLE reporting.figures (
    day          date NOT NULL,
    site_id      bigint REFERENCES sites (id) ON DELETE CASCADE,
    procedure_id bigint REFERENCES procedures (id) ON DELETE CASCADE,
    figure       text NOT NULL REFERENCES reporting.figure_defs (figure),
    value        numeric NOT NULL
);
CREATE UNIQUE INDEX figures_key ON reporting.figures (day, site_id, procedure_id, figure) NULLS NOT DISTINCT;
CREATE INDEX figures_site_day_idx ON reporting.figures (site_id, day);

CREATE TABLE reporting.frozen_days (
    day       date PRIMARY KEY,
    frozen_at timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE reporting.frozen_days IS
    'Days whose figures are kept in reporting.figures and no longer recomputed.';

------------------------------------------------------------------------------
-- 6. The public statistics (refreshed nightly by creneau-report publish),
-- per week (Monday), site and procedure. No personal data.
CREATE TABLE reporting.public_weekly (
    week             date NOT NULL,
    site_id          bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    procedure_id     bigint NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    wait_count       integer NOT NULL DEFAULT 0,
    wait_median_days numeric,
    wait_p90_days    numeric,
    first_free       date,
    first_free_days  numeric,
    places_online    integer NOT NULL DEFAULT 0,
    places_mediator  integer NOT NULL DEFAULT 0,
    places_counter   integer NOT NULL DEFAULT 0,
    places_court     integer NOT NULL DEFAULT 0,
    draws_held       integer NOT NULL DEFAULT 0,
    draw_entries     integer NOT NULL DEFAULT 0,
    PRIMARY KEY (site_id, procedure_id, week)
);
CREATE INDEX public_weekly_week_idx ON reporting.public_weekly (week);
COMMENT ON TABLE reporting.public_weekly IS
    'The public statistics page (/stats): per week, site and procedure, waits (as wait_* figures), the latest first free date seen, places offered per channel, draws and entries.';

------------------------------------------------------------------------------
-- 7. The latest report per site, for the back-office (written by
-- creneau-report on the primary after it wrote its files).
CREATE TABLE reporting.runs (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id     bigint REFERENCES sites (id) ON DELETE CASCADE,
    date_from   date NOT NULL,
    date_to     date NOT NULL,
    directory   text NOT NULL,
    made_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX runs_site_idx ON reporting.runs (site_id, made_at);
COMMENT ON TABLE reporting.runs IS
    'Reports written by creneau-report: site (NULL: all sites), range and directory of the files.';

------------------------------------------------------------------------------
-- 8. Retention. Pseudonymising keeps a row for the figures and removes
-- the person: names, birth date, AGDREF number, e-mail, phone. Keyed
-- digests (identity_key, email_key, phone_key: HMAC with the site secret)
-- stay: they cannot be reversed without the secret.
ALTER TABLE bookings DROP CONSTRAINT bookings_contact_required;
ALTER TABLE bookings ADD CONSTRAINT bookings_contact_required
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR channel <> 'online' OR purged_at IS NOT NULL);
ALTER TABLE draw_entries ADD COLUMN purged_at timestamptz;
ALTER TABLE draw_entries DROP CONSTRAINT draw_entries_contact_required;
ALTER TABLE draw_entries ADD CONSTRAINT draw_entries_contact_required
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR purged_at IS NOT NULL);
ALTER TABLE injunctions ADD COLUMN purged_at timestamptz;
