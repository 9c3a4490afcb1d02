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

-- The settings in force for a pair: its own row, else the global one.
CREATE FUNCTION creneau_draw_switch_setting(p_site_id bigint, p_procedure_id bigint)
RETURNS draw_switch_settings
LANGUAGE sql STABLE
AS $$
    SELECT s.* FROM draw_switch_settings s
     WHERE (s.site_id = p_site_id AND s.procedure_id = p_procedure_id)
        OR (s.site_id IS NULL AND s.procedure_id IS NULL)
     ORDER BY s.site_id NULLS LAST
     LIMIT 1
$$;

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

-- How the next publication of a pair is allocated: 'draw' when the
-- procedure is allocated by draw at the site (013), else the override,
-- else the automatic mode.
CREATE FUNCTION creneau_next_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw' THEN 'draw'
                ELSE coalesce((SELECT CASE WHEN w.override = 'auto' THEN w.auto_mode ELSE w.override END
                                 FROM draw_switch w
                                WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id),
                              'open') END
$$;
COMMENT ON FUNCTION creneau_next_mode(bigint, bigint) IS
    'draw or open: how the batches of a pair still to be published are allocated (procedure mode, staff override, automatic switch).';

-- What the public procedure page offers: 'draw' when the pair is allocated
-- by draw or a draw of the pair takes registrations now or will (its
-- page, /site/<site>/<procedure>/draw, shows the window to come).
CREATE FUNCTION creneau_public_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw'
                  OR EXISTS (SELECT 1 FROM draws d
                              WHERE d.site_id = p_site_id AND d.procedure_id = p_procedure_id
                                AND d.status = 'scheduled' AND d.registration_closes_at > now())
                THEN 'draw' ELSE creneau_allocation_mode(p_site_id, p_procedure_id) END
$$;

------------------------------------------------------------------------------
-- 3. A batch becomes a draw, a draw becomes a batch again.

-- Makes the batch of a pair published at p_batch a draw: registration
-- from p_batch for registration_minutes, the draw when it closes; the
-- slots of the batch that start after the draw plus the offer time and
-- have a free place are the draw's (the others stay first-come). The seed
-- and commitment as in draw_schedule (013). Returns the draw id, or NULL
-- when no slot qualifies.
CREATE FUNCTION draw_switch_batch_to_draw(p_site_id bigint, p_procedure_id bigint,
                                          p_batch timestamptz, p_account bigint)
RETURNS bigint
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    cfg     draw_switch_settings;
    v_seed  bytea := gen_random_bytes(32);
    v_hex   text;
    v_close timestamptz;
    v_id    bigint;
    v_n     integer;
BEGIN
    cfg := creneau_draw_switch_setting(p_site_id, p_procedure_id);
    v_close := p_batch + make_interval(mins => cfg.registration_minutes);
    IF NOT EXISTS (SELECT 1 FROM slots s
                    WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
                      AND s.published_at = p_batch
                      AND s.starts_at > v_close + make_interval(hours => cfg.offer_hours)
                      AND s.booked < s.capacity
                      AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)) THEN
        RETURN NULL;
    END IF;
    v_hex := encode(sha256(v_seed), 'hex');
    INSERT INTO draws (site_id, procedure_id, registration_opens_at, registration_closes_at,
                       draw_at, offer_hours, commitment, created_by, auto_batch)
    VALUES (p_site_id, p_procedure_id, p_batch, v_close, v_close, cfg.offer_hours, v_hex,
            p_account, p_batch)
    RETURNING id INTO v_id;
    INSERT INTO draw_seeds (draw_id, seed) VALUES (v_id, v_seed);
    INSERT INTO draw_slots (draw_id, slot_id)
    SELECT v_id, s.id FROM slots s
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at = p_batch
       AND s.starts_at > v_close + make_interval(hours => cfg.offer_hours)
       AND s.booked < s.capacity
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
     ORDER BY s.id
       FOR UPDATE OF s;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    UPDATE slots s SET published_at = NULL
      FROM draw_slots ds WHERE ds.draw_id = v_id AND ds.slot_id = s.id;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw.scheduled', v_id::text,
            jsonb_build_object('slots', v_n, 'commitment', v_hex, 'draw_at', v_close,
                               'automatic', true, 'procedure', p_procedure_id,
                               'batch', p_batch));
    RETURN v_id;
END
$$;

-- Undoes draw_switch_batch_to_draw for a draw whose registration has not
-- opened and that has no entry: the draw goes, its slots are published at
-- the batch's time again. Returns true when done.
CREATE FUNCTION draw_switch_draw_to_batch(p_draw_id bigint, p_account bigint)
RETURNS boolean
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    d     draws%ROWTYPE;
    v_ids bigint[];
BEGIN
    SELECT x.* INTO d FROM draws x WHERE x.id = p_draw_id FOR UPDATE;
    IF NOT FOUND OR d.auto_batch IS NULL OR d.status <> 'scheduled'
       OR d.registration_opens_at <= now()
       OR EXISTS (SELECT 1 FROM draw_entries e WHERE e.draw_id = d.id) THEN
        RETURN false;
    END IF;
    SELECT array_agg(ds.slot_id ORDER BY ds.slot_id) INTO v_ids
      FROM draw_slots ds WHERE ds.draw_id = d.id;
    DELETE FROM draw_slots ds WHERE ds.draw_id = d.id;
    DELETE FROM draw_seeds x WHERE x.draw_id = d.id;
    DELETE FROM draws x WHERE x.id = d.id;
    UPDATE slots s SET published_at = d.auto_batch WHERE s.id = ANY (v_ids);
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, d.site_id, 'draw.unscheduled', d.id::text,
            jsonb_build_object('automatic', true, 'procedure', d.procedure_id,
                               'batch', d.auto_batch, 'slots', coalesce(cardinality(v_ids), 0)));
    RETURN true;
END
$$;

-- Brings the batches of a pair in line with its next mode: in draw mode,
-- every batch still to be published becomes a draw; in first-come mode,
-- every automatic draw not yet open becomes a batch again. Returns the
-- number of batches changed.
CREATE FUNCTION draw_switch_apply(p_site_id bigint, p_procedure_id bigint, p_account bigint)
RETURNS integer
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_batch timestamptz;
    v_id    bigint;
    n       integer := 0;
BEGIN
    IF creneau_allocation_mode(p_site_id, p_procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN 0;           -- not offered, or allocated by draw anyway (013)
    END IF;
    IF creneau_next_mode(p_site_id, p_procedure_id) = 'draw' THEN
        FOR v_batch IN SELECT DISTINCT s.published_at FROM slots s
                        WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
                          AND s.published_at > now() AND s.starts_at > now()
                          AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
                        ORDER BY 1 LOOP
            IF draw_switch_batch_to_draw(p_site_id, p_procedure_id, v_batch, p_account) IS NOT NULL THEN
                n := n + 1;
            END IF;
        END LOOP;
    ELSE
        FOR v_id IN SELECT d.id FROM draws d
                     WHERE d.site_id = p_site_id AND d.procedure_id = p_procedure_id
                       AND d.auto_batch IS NOT NULL AND d.status = 'scheduled'
                       AND d.registration_opens_at > now()
                     ORDER BY d.id LOOP
            IF draw_switch_draw_to_batch(v_id, p_account) THEN
                n := n + 1;
            END IF;
        END LOOP;
    END IF;
    RETURN n;
END
$$;

-- Sets the automatic mode of a pair (with its reason), logs it, and
-- applies it when it changes what the next publication is.
CREATE FUNCTION draw_switch_set_auto(p_site_id bigint, p_procedure_id bigint, p_mode text,
                                     p_reason jsonb)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_before text := creneau_next_mode(p_site_id, p_procedure_id);
    v_old    text;
    v_n      integer := 0;
BEGIN
    SELECT w.auto_mode INTO v_old FROM draw_switch w
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id FOR UPDATE;
    INSERT INTO draw_switch AS w (site_id, procedure_id, auto_mode, reason, changed_at)
    VALUES (p_site_id, p_procedure_id, p_mode, p_reason, now())
    ON CONFLICT (site_id, procedure_id)
    DO UPDATE SET auto_mode = EXCLUDED.auto_mode, reason = EXCLUDED.reason, changed_at = now();
    IF creneau_next_mode(p_site_id, p_procedure_id) IS DISTINCT FROM v_before THEN
        v_n := draw_switch_apply(p_site_id, p_procedure_id, NULL);
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (NULL, p_site_id, 'draw_switch.auto', 'procedure:' || p_procedure_id,
            p_reason || jsonb_build_object('from', coalesce(v_old, 'open'), 'to', p_mode,
                                           'next_mode', creneau_next_mode(p_site_id, p_procedure_id),
                                           'batches_changed', v_n));
END
$$;

------------------------------------------------------------------------------
-- 4. The rules.

-- A slot of a first-come release gets its last online place taken: if the
-- release was published less than sellout_minutes ago and none of its
-- future slots has an online place left, it sold out fast: the pair
-- switches to draws.
CREATE FUNCTION creneau_draw_switch_sellout() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    cfg      draw_switch_settings;
    v_places integer;
BEGIN
    IF NEW.published_at IS NULL OR NEW.published_at > now() OR NEW.booked <= OLD.booked THEN
        RETURN NULL;
    END IF;
    cfg := creneau_draw_switch_setting(NEW.site_id, NEW.procedure_id);
    IF cfg.sellout_minutes IS NULL OR cfg.sellout_minutes = 0
       OR now() - NEW.published_at > make_interval(mins => cfg.sellout_minutes)
       OR creneau_slot_channel_free(NEW, 'online') > 0
       OR creneau_allocation_mode(NEW.site_id, NEW.procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN NULL;
    END IF;
    -- The last fills of a release may run at once: one at a time per pair,
    -- each statement below seeing the others' committed fills.
    PERFORM pg_advisory_xact_lock(3401, hashtext(NEW.site_id || ':' || NEW.procedure_id));
    IF EXISTS (SELECT 1 FROM draw_switch_sellouts x
                WHERE x.site_id = NEW.site_id AND x.procedure_id = NEW.procedure_id
                  AND x.published_at = NEW.published_at)
       OR EXISTS (SELECT 1 FROM slots s
                   WHERE s.site_id = NEW.site_id AND s.procedure_id = NEW.procedure_id
                     AND s.published_at = NEW.published_at AND s.starts_at > now()
                     AND s.id <> NEW.id AND creneau_slot_channel_free(s, 'online') > 0) THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(s.capacity), 0)::integer INTO v_places FROM slots s
     WHERE s.site_id = NEW.site_id AND s.procedure_id = NEW.procedure_id
       AND s.published_at = NEW.published_at;
    -- The booking that took the last place must not fail because of the
    -- switch: an error here is logged and the switch left as it was.
    BEGIN
        INSERT INTO draw_switch_sellouts (site_id, procedure_id, published_at, places, sold_out_at)
        VALUES (NEW.site_id, NEW.procedure_id, NEW.published_at, v_places, now());
        PERFORM draw_switch_set_auto(NEW.site_id, NEW.procedure_id, 'draw',
            jsonb_build_object('kind', 'sold_out', 'release', NEW.published_at,
                               'places', v_places,
                               'seconds', floor(extract(epoch FROM now() - NEW.published_at))::integer,
                               'limit_minutes', cfg.sellout_minutes));
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'draw switch of site % procedure %: % (%)', NEW.site_id, NEW.procedure_id,
            SQLERRM, SQLSTATE;
    END;
    RETURN NULL;
END
$$;
CREATE TRIGGER slots_draw_switch_sellout AFTER UPDATE OF booked ON slots
    FOR EACH ROW WHEN (NEW.booked > OLD.booked AND NEW.published_at IS NOT NULL)
    EXECUTE FUNCTION creneau_draw_switch_sellout();

-- A draw has run (checked at commit, once its offers are made): if places
-- are left over, the pair goes back to first-come, and the draw's slots
-- that nobody got are published at once.
CREATE FUNCTION creneau_draw_switch_left_over() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    v_left  integer;
    v_ids   bigint[];
BEGIN
    IF NEW.auto_batch IS NULL
       OR creneau_allocation_mode(NEW.site_id, NEW.procedure_id) IS DISTINCT FROM 'open' THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(sl.capacity - sl.booked), 0)::integer INTO v_left
      FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
     WHERE ds.draw_id = NEW.id AND sl.starts_at > now();
    IF v_left <= 0 THEN
        RETURN NULL;
    END IF;
    PERFORM draw_switch_set_auto(NEW.site_id, NEW.procedure_id, 'open',
        jsonb_build_object('kind', 'left_over', 'draw', NEW.id,
                           'places', coalesce(NEW.places, 0), 'left', v_left));
    IF creneau_next_mode(NEW.site_id, NEW.procedure_id) = 'open' THEN
        SELECT array_agg(sl.id ORDER BY sl.id) INTO v_ids
          FROM draw_slots ds JOIN slots sl ON sl.id = ds.slot_id
         WHERE ds.draw_id = NEW.id AND sl.starts_at > now() AND sl.booked = 0
           AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.slot_id = sl.id);
        IF v_ids IS NOT NULL THEN
            DELETE FROM draw_slots ds WHERE ds.draw_id = NEW.id AND ds.slot_id = ANY (v_ids);
            UPDATE slots s SET published_at = now() WHERE s.id = ANY (v_ids);
            INSERT INTO draw_switch_sellouts (site_id, procedure_id, published_at, places, left_over)
            SELECT NEW.site_id, NEW.procedure_id, now(), sum(s.capacity)::integer, true
              FROM slots s WHERE s.id = ANY (v_ids)
            ON CONFLICT DO NOTHING;
            INSERT INTO audit_log (account_id, site_id, action, object, details)
            VALUES (NULL, NEW.site_id, 'draw.left_over_published', NEW.id::text,
                    jsonb_build_object('slots', cardinality(v_ids), 'procedure', NEW.procedure_id));
        END IF;
    END IF;
    RETURN NULL;
END
$$;
CREATE CONSTRAINT TRIGGER draws_draw_switch_left_over AFTER UPDATE OF status ON draws
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.status = 'scheduled' AND NEW.status = 'drawn')
    EXECUTE FUNCTION creneau_draw_switch_left_over();

-- Slots generated for a later publication while a pair is in draw mode
-- become a draw at once.
CREATE FUNCTION creneau_draw_switch_new_slots() RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
    p record;
BEGIN
    FOR p IN SELECT DISTINCT n.site_id, n.procedure_id FROM new_slots n
              WHERE n.published_at > now() LOOP
        IF creneau_next_mode(p.site_id, p.procedure_id) = 'draw' THEN
            PERFORM draw_switch_apply(p.site_id, p.procedure_id, NULL);
        END IF;
    END LOOP;
    RETURN NULL;
END
$$;
CREATE TRIGGER slots_draw_switch_new AFTER INSERT ON slots
    REFERENCING NEW TABLE AS new_slots
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_draw_switch_new_slots();

------------------------------------------------------------------------------
-- 5. Staff.

-- Forces first-come or draws for the next publications of a pair, or
-- gives it back to the automatic rule (p_mode auto, open or draw), with an
-- audit entry. Agents and supervisors of the site, administrators.
-- Outcomes: set (batches changed), unchanged, forbidden, no_procedure
-- (not offered at the site), by_draw (the procedure is allocated by draw
-- there anyway), invalid.
CREATE FUNCTION draw_switch_override(p_account bigint, p_site_id bigint, p_procedure_id bigint,
                                     p_mode text)
RETURNS TABLE (outcome text, changed integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_before text;
    v_old    text;
    v_n      integer := 0;
BEGIN
    IF NOT creneau_draw_staff_ok(p_account, p_site_id, false) OR p_account IS NULL THEN
        RETURN QUERY SELECT 'forbidden'::text, 0;
        RETURN;
    END IF;
    IF p_mode IS NULL OR p_mode NOT IN ('auto', 'open', 'draw') THEN
        RETURN QUERY SELECT 'invalid'::text, 0;
        RETURN;
    END IF;
    IF NOT EXISTS (SELECT 1 FROM site_procedures sp
                    WHERE sp.site_id = p_site_id AND sp.procedure_id = p_procedure_id) THEN
        RETURN QUERY SELECT 'no_procedure'::text, 0;
        RETURN;
    END IF;
    IF creneau_allocation_mode(p_site_id, p_procedure_id) = 'draw' THEN
        RETURN QUERY SELECT 'by_draw'::text, 0;
        RETURN;
    END IF;
    INSERT INTO draw_switch (site_id, procedure_id) VALUES (p_site_id, p_procedure_id)
    ON CONFLICT (site_id, procedure_id) DO NOTHING;
    SELECT w.override INTO v_old FROM draw_switch w
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id FOR UPDATE;
    IF v_old = p_mode THEN
        RETURN QUERY SELECT 'unchanged'::text, 0;
        RETURN;
    END IF;
    v_before := creneau_next_mode(p_site_id, p_procedure_id);
    UPDATE draw_switch w SET override = p_mode, override_by = p_account, override_at = now()
     WHERE w.site_id = p_site_id AND w.procedure_id = p_procedure_id;
    IF creneau_next_mode(p_site_id, p_procedure_id) IS DISTINCT FROM v_before THEN
        v_n := draw_switch_apply(p_site_id, p_procedure_id, p_account);
    END IF;
    INSERT INTO audit_log (account_id, site_id, action, object, details)
    VALUES (p_account, p_site_id, 'draw_switch.override', 'procedure:' || p_procedure_id,
            jsonb_build_object('from', v_old, 'to', p_mode,
                               'next_mode', creneau_next_mode(p_site_id, p_procedure_id),
                               'batches_changed', v_n));
    RETURN QUERY SELECT 'set'::text, v_n;
END
$$;
COMMENT ON FUNCTION draw_switch_override(bigint, bigint, bigint, text) IS
    'Staff override of the draw switch of a pair (auto, open, draw), audited; outcome set, unchanged, forbidden, no_procedure, by_draw or invalid.';

-- The switch of each procedure of a site, for its staff: procedure id,
-- name, next mode, override, automatic mode, reason kind, release
-- (local), places, seconds, draw, places left, sellout limit, changed at
-- (local).
CREATE FUNCTION draw_switch_status(p_account bigint, p_site_id bigint)
RETURNS TABLE (procedure_id bigint, name text, next_mode text, override text, auto_mode text,
               reason_kind text, release_local text, places integer, seconds integer,
               draw_id bigint, places_left integer, limit_minutes integer, changed_local text,
               by_draw boolean)
LANGUAGE sql STABLE
AS $$
    SELECT p.id, p.name, creneau_next_mode(sp.site_id, p.id),
           coalesce(w.override, 'auto'), coalesce(w.auto_mode, 'open'),
           coalesce(w.reason ->> 'kind', ''),
           coalesce(to_char((w.reason ->> 'release')::timestamptz AT TIME ZONE st.time_zone,
                            'YYYY-MM-DD HH24:MI:SS'), ''),
           (w.reason ->> 'places')::integer, (w.reason ->> 'seconds')::integer,
           (w.reason ->> 'draw')::bigint, (w.reason ->> 'left')::integer,
           (creneau_draw_switch_setting(sp.site_id, p.id)).sellout_minutes,
           coalesce(to_char(w.changed_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI'), ''),
           creneau_allocation_mode(sp.site_id, p.id) = 'draw'
      FROM site_procedures sp
      JOIN procedures p ON p.id = sp.procedure_id
      JOIN sites st ON st.id = sp.site_id
      LEFT JOIN draw_switch w ON w.site_id = sp.site_id AND w.procedure_id = sp.procedure_id
     WHERE sp.site_id = p_site_id AND staff_can_site(p_account, sp.site_id)
     ORDER BY p.name, p.id
$$;

-- "Publish now" also opens now the registration of a batch the switch
-- made a draw (its window and draw move as much earlier). Outcomes:
-- published (how many slots), draw_opened (how many slots in the draw),
-- forbidden, not_found.
CREATE OR REPLACE FUNCTION calendar_publish_now(p_account bigint, p_site bigint, p_procedure bigint,
                                                p_batch bigint)
RETURNS TABLE (outcome text, published integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n     integer;
    d       draws%ROWTYPE;
    v_shift interval;
BEGIN
    IF NOT staff_can_site(p_account, p_site) THEN
        RETURN QUERY SELECT 'forbidden'::text, 0;
        RETURN;
    END IF;
    UPDATE slots s SET published_at = now()
     WHERE s.site_id = p_site AND s.procedure_id = p_procedure
       AND s.published_at > now()
       AND (extract(epoch FROM s.published_at) * 1000000)::bigint = p_batch;
    GET DIAGNOSTICS v_n = ROW_COUNT;
    IF v_n > 0 THEN
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        VALUES (p_account, p_site, 'slots.publish', 'procedure:' || p_procedure,
                jsonb_build_object('batch', to_timestamp(p_batch / 1000000.0), 'slots', v_n));
    END IF;
    SELECT x.* INTO d FROM draws x
     WHERE x.site_id = p_site AND x.procedure_id = p_procedure AND x.auto_batch IS NOT NULL
       AND x.status = 'scheduled' AND x.registration_opens_at > now()
       AND (extract(epoch FROM x.auto_batch) * 1000000)::bigint = p_batch
     ORDER BY x.id LIMIT 1
       FOR UPDATE;
    IF FOUND THEN
        v_shift := d.registration_opens_at - now();
        UPDATE draws x SET registration_opens_at = x.registration_opens_at - v_shift,
                           registration_closes_at = x.registration_closes_at - v_shift,
                           draw_at = x.draw_at - v_shift
         WHERE x.id = d.id;
        INSERT INTO audit_log (account_id, site_id, action, object, details)
        VALUES (p_account, p_site, 'draw.opened', d.id::text,
                jsonb_build_object('batch', d.auto_batch, 'procedure', p_procedure,
                                   'draw_at', d.draw_at - v_shift));
        IF v_n = 0 THEN
            RETURN QUERY SELECT 'draw_opened'::text,
                                (SELECT count(*)::integer FROM draw_slots ds WHERE ds.draw_id = d.id);
            RETURN;
        END IF;
    END IF;
    IF v_n = 0 THEN
        RETURN QUERY SELECT 'not_found'::text, 0;
        RETURN;
    END IF;
    RETURN QUERY SELECT 'published'::text, v_n;
END
$$;
