-- 012_mediation_court.sql: bookings made by staff for someone else (issue
-- 5): mediators booking for an applicant without e-mail, within their
-- organisation's monthly quota; court orders (injunctions to convene an
-- applicant) recorded by the agents of a site and fulfilled by a booking
-- in the court channel; and the audit log as supervisors and
-- administrators read it.
--
-- Every function that reads personal data or changes state checks the
-- account's right inside SQL (staff_can_site, the organisation of a
-- mediator) and writes audit_log in the same transaction. Outcomes are
-- fixed English words the pages turn into messages, as in 004.
--
-- Lock order, as in 004: advisory lock on the idempotency key, then the
-- organisation's quota lock or the injunction row, then the slot row,
-- then booking rows, then advisory locks on the phone cap.
--
-- The functions, views and triggers of this migration are in
-- schema/code/mediation_court.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- A booking made at a counter, by a mediator or for a court order has no
-- confirmation code to send: it needs no contact. Online bookings still
-- need an e-mail address or a phone number.
ALTER TABLE bookings DROP CONSTRAINT IF EXISTS bookings_contact_required;
ALTER TABLE bookings ADD CONSTRAINT bookings_contact_required
    CHECK (email IS NOT NULL OR phone IS NOT NULL OR channel <> 'online');

------------------------------------------------------------------------------
-- Which organisation's mediator made a booking (the quota counts these,
-- the mediator pages only show their own organisation's).
CREATE TABLE mediator_bookings (
    booking_id      bigint PRIMARY KEY REFERENCES bookings (id),
    organisation_id bigint NOT NULL REFERENCES organisations (id),
    account_id      bigint NOT NULL REFERENCES staff_accounts (id),
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX mediator_bookings_organisation_idx
    ON mediator_bookings (organisation_id, created_at);
COMMENT ON TABLE mediator_bookings IS
    'Bookings made by a mediator (channel mediator), with their organisation: the monthly quota and the organisation''s list.';

------------------------------------------------------------------------------
-- Court orders: a tribunal orders the prefecture to give an applicant an
-- appointment before a deadline.
CREATE TABLE injunctions (
    id              bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id         bigint NOT NULL REFERENCES sites (id),
    procedure_id    bigint NOT NULL,
    tribunal        text NOT NULL CHECK (btrim(tribunal) <> '' AND length(tribunal) <= 200),
    case_number     text NOT NULL CHECK (btrim(case_number) <> '' AND length(case_number) <= 40),
    decision_date   date NOT NULL,
    deadline        date NOT NULL,
    surname         text NOT NULL CHECK (btrim(surname) <> '' AND length(surname) <= 200),
    given_names     text NOT NULL CHECK (length(given_names) <= 200),
    birth_date      date NOT NULL,
    agdref          text CHECK (agdref ~ '^[0-9]{10}$'),
    email           text CHECK (length(email) <= 254),
    phone           text CHECK (length(phone) <= 32),
    lang            text NOT NULL CHECK (lang ~ '^[a-z]{2,3}(-[A-Za-z0-9]{2,8})*$'),
    created_by      bigint NOT NULL REFERENCES staff_accounts (id),
    created_at      timestamptz NOT NULL DEFAULT now(),
    booking_id      bigint UNIQUE REFERENCES bookings (id),
    fulfilled_at    timestamptz,
    fulfilled_by    bigint REFERENCES staff_accounts (id),
    CONSTRAINT injunctions_deadline_after_decision CHECK (deadline >= decision_date),
    CONSTRAINT injunctions_fulfilled CHECK ((booking_id IS NULL) = (fulfilled_at IS NULL)),
    CONSTRAINT injunctions_case_key UNIQUE (site_id, tribunal, case_number),
    CONSTRAINT injunctions_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id)
);
CREATE INDEX injunctions_open_idx ON injunctions (site_id, deadline) WHERE booking_id IS NULL;
COMMENT ON TABLE injunctions IS
    'Court orders to convene an applicant before a deadline; fulfilled by a booking in the court channel.';
