-- 020_draw_switch.sql: first-come procedures switch to draws by
-- themselves when their places sell out too fast (issue 10).
--
-- A reseller who books with the buyer's own, real identity passes every
-- identity check; on a first-come procedure, speed is all they sell. Only a
-- draw makes speed worthless. The rule (doc/draw.md says it for the public):
--
--   * a *release* is the slots of a procedure at a site published at one
--     time (slots.published_at, as in the waiting room of 014);
--   * when every place a release offers online has gone (held or booked)
--     within `sellout_minutes` of its publication, there are more people
--     than places: the pair (site, procedure) switches to draws. Every
--     batch still waiting for publication becomes a draw at once (and so
--     does every batch generated later while the switch holds): its
--     registration opens at the batch's publication time and lasts
--     `registration_minutes`, the draw runs when it closes (draw_run of
--     013, by the timer or by staff), offers last `offer_hours`;
--   * when a draw of the pair leaves places over (fewer verified entries,
--     waiting ones of earlier draws included, than places), there are
--     fewer people than places: the pair switches back to first-come. Its
--     batches converted to draws whose registration has not opened yet are
--     published first-come again at their time, and the draw's places that
--     nobody got are published at once;
--   * staff can force first-come or draws, or leave it automatic
--     (draw_switch_override), site by site; every switch, automatic or
--     not, is in the audit log with its reason.
--
-- Settings: draw_switch_settings, one row per (site, procedure), or the
-- global row (both NULL). sellout_minutes = 0 turns the rule off.
--
-- Lock order: as in 004 and 013 (slot rows by id, booking rows, draw rows);
-- the sellout check takes an advisory lock per pair (3401) after the slot.
--
-- The functions, views and triggers of this migration are in
-- schema/code/calendars.sql, schema/code/draws.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

------------------------------------------------------------------------------
-- 1. Settings.
CREATE TABLE draw_switch_settings (
    site_id              bigint,
    procedure_id         bigint,
    sellout_minutes      integer NOT NULL CHECK (sellout_minutes BETWEEN 0 AND 10080),
    registration_minutes integer NOT NULL CHECK (registration_minutes BETWEEN 1 AND 10080),
    offer_hours          integer NOT NULL CHECK (offer_hours BETWEEN 1 AND 720),
    CONSTRAINT draw_switch_settings_scope CHECK ((site_id IS NULL) = (procedure_id IS NULL)),
    CONSTRAINT draw_switch_settings_key UNIQUE NULLS NOT DISTINCT (site_id, procedure_id),
    CONSTRAINT draw_switch_settings_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id) ON DELETE CASCADE
);
COMMENT ON TABLE draw_switch_settings IS
    'When a first-come release sold out within sellout_minutes (0: never switch), the next publications of the pair become draws: registration_minutes of registration from the publication time, then the draw, offers held offer_hours. One row per (site, procedure), or the global row (both NULL).';
INSERT INTO draw_switch_settings (site_id, procedure_id, sellout_minutes, registration_minutes, offer_hours)
VALUES (NULL, NULL, 10, 60, 24);

------------------------------------------------------------------------------
-- 2. State of each pair: the automatic mode and why, the staff override.
CREATE TABLE draw_switch (
    site_id      bigint NOT NULL,
    procedure_id bigint NOT NULL,
    auto_mode    text NOT NULL DEFAULT 'open'
                 CONSTRAINT draw_switch_auto_mode_valid CHECK (auto_mode IN ('open', 'draw')),
    override     text NOT NULL DEFAULT 'auto'
                 CONSTRAINT draw_switch_override_valid CHECK (override IN ('auto', 'open', 'draw')),
    reason       jsonb NOT NULL DEFAULT '{}',
    changed_at   timestamptz,
    override_by  bigint REFERENCES staff_accounts (id),
    override_at  timestamptz,
    PRIMARY KEY (site_id, procedure_id),
    CONSTRAINT draw_switch_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id) ON DELETE CASCADE
);
COMMENT ON TABLE draw_switch IS
    'How the next publications of a first-come pair are allocated: auto_mode (set by the sellout and left-over rules, reason says why), unless staff override it (open or draw).';
COMMENT ON COLUMN draw_switch.reason IS
    'Why auto_mode is what it is: {"kind":"sold_out","release":ts,"places":n,"seconds":s} or {"kind":"left_over","draw":id,"places":n,"left":n}.';

-- The releases that sold out fast (each counted once), and the releases
-- of a draw's left-over places, which the rule leaves out (left_over): a
-- place nobody wanted in a draw, taken at once, says nothing of demand.
CREATE TABLE draw_switch_sellouts (
    site_id      bigint NOT NULL,
    procedure_id bigint NOT NULL,
    published_at timestamptz NOT NULL,
    places       integer NOT NULL,
    sold_out_at  timestamptz,
    left_over    boolean NOT NULL DEFAULT false,
    PRIMARY KEY (site_id, procedure_id, published_at),
    CONSTRAINT draw_switch_sellouts_site_procedure_fk
        FOREIGN KEY (site_id, procedure_id) REFERENCES site_procedures (site_id, procedure_id) ON DELETE CASCADE,
    CONSTRAINT draw_switch_sellouts_kind CHECK (left_over OR sold_out_at IS NOT NULL)
);
COMMENT ON TABLE draw_switch_sellouts IS
    'Releases whose online places all went within the sellout time of their publication (sold_out_at), and releases of left-over draw places, which never count (left_over).';

-- Which draws replaced a batch (the publication time the batch had).
ALTER TABLE draws ADD COLUMN auto_batch timestamptz;
COMMENT ON COLUMN draws.auto_batch IS
    'Set for a draw made by the draw switch: the publication time of the first-come batch it replaced.';
