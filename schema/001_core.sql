-- 001_core.sql: the core tables of creneau (sites, procedures, counters,
-- opening rules, closures, slots).
--
-- Applied by `creneau-admin migrate` inside one transaction; no BEGIN/COMMIT
-- here. The constraints are the point: the C code relies on them instead of
-- re-checking.
--
-- The functions, views and triggers of this migration are in
-- schema/code/bootstrap.sql, schema/code/core.sql, schema/code/booking.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

-- btree_gist lets one exclusion constraint mix "same counter" (=) with
-- "overlapping time" (&&). It is a trusted extension: the database owner
-- may create it without superuser rights.
CREATE EXTENSION IF NOT EXISTS btree_gist;

------------------------------------------------------------------------------
CREATE TABLE sites (
    id                bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    slug              text NOT NULL UNIQUE
                      CONSTRAINT sites_slug_format CHECK (creneau_valid_slug(slug)),
    name              text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    kind              text NOT NULL CHECK (kind IN ('prefecture', 'sous-prefecture')),
    -- INSEE department code: 01–95 (no 20), 2A, 2B, 971–976.
    department_code   text NOT NULL
                      CONSTRAINT sites_department_code_format
                      CHECK (department_code ~ '^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$'),
    department_name   text NOT NULL CHECK (btrim(department_name) <> ''),
    address           text NOT NULL CHECK (btrim(address) <> ''),
    postal_code       text NOT NULL
                      CONSTRAINT sites_postal_code_format CHECK (postal_code ~ '^[0-9]{5}$'),
    city              text NOT NULL CHECK (btrim(city) <> ''),
    phone             text
                      CONSTRAINT sites_phone_format CHECK (phone ~ '^\+?[0-9][0-9 .]{5,24}$'),
    time_zone         text NOT NULL
                      CONSTRAINT sites_time_zone_valid CHECK (creneau_valid_time_zone(time_zone)),
    alternative_route text NOT NULL CHECK (btrim(alternative_route) <> ''),
    created_at        timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE sites IS
    'A prefecture or sous-préfecture that receives the public; each has its own time zone and the alternative route to an appointment (Conseil d''État, 3 June 2022).';
COMMENT ON COLUMN sites.time_zone IS
    'IANA zone of the site; opening rules are local wall-clock times in this zone.';
COMMENT ON COLUMN sites.alternative_route IS
    'How to get an appointment when online booking fails: phone, post, counter, nearby mediators. Shown on every "nothing available" page.';

------------------------------------------------------------------------------
CREATE TABLE procedures (
    id               bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    code             text NOT NULL UNIQUE
                     CONSTRAINT procedures_code_format CHECK (creneau_valid_slug(code)),
    name             text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description      text NOT NULL,
    duration_minutes integer NOT NULL CHECK (duration_minutes > 0 AND duration_minutes <= 480),
    requires_agdref  boolean NOT NULL DEFAULT false,
    allocation_mode  text NOT NULL DEFAULT 'open' CHECK (allocation_mode IN ('open', 'draw')),
    documents        text[] NOT NULL DEFAULT '{}'
                     CONSTRAINT procedures_documents_no_nulls CHECK (array_position(documents, NULL) IS NULL)
);
COMMENT ON TABLE procedures IS
    'A kind of appointment (first residence permit, renewal, naturalisation…): its French name, duration, documents to bring, and whether slots go first-come (open) or by draw.';
COMMENT ON COLUMN procedures.requires_agdref IS
    'The applicant must give an AGDREF number (foreigner file number) to book.';
COMMENT ON COLUMN procedures.allocation_mode IS
    'open: published slots are booked directly; draw: slots are allocated by an audited draw among entrants.';

------------------------------------------------------------------------------
CREATE TABLE site_procedures (
    site_id      bigint NOT NULL REFERENCES sites (id),
    procedure_id bigint NOT NULL REFERENCES procedures (id),
    PRIMARY KEY (site_id, procedure_id)
);
CREATE INDEX site_procedures_procedure_idx ON site_procedures (procedure_id);
COMMENT ON TABLE site_procedures IS
    'Which sites offer which procedures; opening rules and slots can only exist for these pairs.';

------------------------------------------------------------------------------
CREATE TABLE counters (
    id      bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id bigint NOT NULL REFERENCES sites (id),
    name    text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 100),
    UNIQUE (site_id, name),
    UNIQUE (id, site_id)
);
COMMENT ON TABLE counters IS
    'A counter (guichet) of a site where one agent receives applicants; the (id, site_id) key lets other tables prove a counter belongs to their site.';

------------------------------------------------------------------------------
CREATE TABLE opening_rules (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      bigint NOT NULL,
    counter_id   bigint NOT NULL,
    procedure_id bigint NOT NULL,
    weekday      smallint NOT NULL CHECK (weekday BETWEEN 1 AND 7),
    opens        time NOT NULL,
    closes       time NOT NULL,
    slot_minutes integer NOT NULL CHECK (slot_minutes > 0 AND slot_minutes <= 480),
    capacity     integer NOT NULL CHECK (capacity > 0 AND capacity <= 1000),
    valid_from   date NOT NULL,
    valid_until  date,
    CONSTRAINT opening_rules_opens_before_closes CHECK (opens < closes),
    CONSTRAINT opening_rules_one_slot_fits
        CHECK (closes <= opens OR extract(epoch FROM closes - opens) >= slot_minutes * 60),
    CONSTRAINT opening_rules_valid_range CHECK (valid_until IS NULL OR valid_until >= valid_from),
    CONSTRAINT opening_rules_counter_site_fk
        FOREIGN KEY (counter_id, site_id) REFERENCES counters (id, site_id),
    CONSTRAINT opening_rules_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id),
    -- One counter serves one procedure at a time: two rules of a counter
    -- may not overlap on the same weekday during overlapping validity.
    CONSTRAINT opening_rules_no_overlap EXCLUDE USING gist (
        counter_id WITH =,
        weekday WITH =,
        tsrange(DATE '2000-01-01' + opens, DATE '2000-01-01' + closes) WITH &&,
        daterange(valid_from, valid_until, '[]') WITH &&
    )
);
CREATE INDEX opening_rules_site_idx ON opening_rules (site_id, procedure_id);
COMMENT ON TABLE opening_rules IS
    'Weekly pattern from which slots are generated: on ISO weekday (1 = Monday) from opens to closes, local time of the site, one slot of slot_minutes with capacity places, between valid_from and valid_until (NULL = open-ended).';
COMMENT ON COLUMN opening_rules.site_id IS
    'Site of the counter (filled from counter_id when NULL); ties the procedure to a site that offers it.';

------------------------------------------------------------------------------
CREATE TABLE closures (
    id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id    bigint NOT NULL REFERENCES sites (id),
    counter_id bigint,
    day        date NOT NULL,
    reason     text NOT NULL CHECK (btrim(reason) <> ''),
    CONSTRAINT closures_counter_site_fk
        FOREIGN KEY (counter_id, site_id) REFERENCES counters (id, site_id),
    -- NULLS NOT DISTINCT: only one site-wide closure (counter_id NULL) per day.
    CONSTRAINT closures_site_counter_day_key UNIQUE NULLS NOT DISTINCT (site_id, counter_id, day)
);
CREATE INDEX closures_day_idx ON closures (day);
COMMENT ON TABLE closures IS
    'Days on which a whole site (counter_id NULL) or one counter is closed; generate_slots creates no slot there.';

------------------------------------------------------------------------------
CREATE TABLE slots (
    id           bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    site_id      bigint NOT NULL,
    counter_id   bigint NOT NULL,
    procedure_id bigint NOT NULL,
    starts_at    timestamptz NOT NULL,
    ends_at      timestamptz NOT NULL,
    capacity     integer NOT NULL CHECK (capacity > 0),
    booked       integer NOT NULL DEFAULT 0,
    published_at timestamptz,
    CONSTRAINT slots_ends_after_start CHECK (ends_at > starts_at),
    -- The invariant "a slot never holds more active bookings than its
    -- capacity": booking code increments booked and lets this CHECK refuse.
    CONSTRAINT slots_booked_within_capacity CHECK (booked >= 0 AND booked <= capacity),
    CONSTRAINT slots_counter_procedure_start_key UNIQUE (counter_id, procedure_id, starts_at),
    CONSTRAINT slots_counter_site_fk
        FOREIGN KEY (counter_id, site_id) REFERENCES counters (id, site_id),
    CONSTRAINT slots_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id),
    -- A counter never has two slots at once.
    CONSTRAINT slots_counter_no_overlap EXCLUDE USING gist (
        counter_id WITH =,
        tstzrange(starts_at, ends_at) WITH &&
    )
);
-- "Next available slots of a procedure at a site".
CREATE INDEX slots_site_procedure_start_idx ON slots (site_id, procedure_id, starts_at);
-- Agenda of a day at a site, and reporting by date.
CREATE INDEX slots_site_start_idx ON slots (site_id, starts_at);
-- Foreign key on procedure_id alone (deletes/updates of procedures).
CREATE INDEX slots_procedure_idx ON slots (procedure_id);
COMMENT ON TABLE slots IS
    'One appointment time at one counter for one procedure, with capacity places of which booked are taken; visible to the public once published_at <= now().';
COMMENT ON COLUMN slots.booked IS
    'Number of active bookings; the CHECK booked <= capacity is the over-booking guard.';
COMMENT ON COLUMN slots.published_at IS
    'When the slot becomes visible; NULL = not yet scheduled for publication.';
