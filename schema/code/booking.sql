-- schema/code/booking.sql
--
-- The booking path: what is bookable (free places per channel,
-- the calendar listing, available_slots), the person and its keys, the
-- one insert of a booking (creneau_booking_insert) and its steps, the
-- online hold (booking_hold), confirm, cancel, extend, reschedule, the
-- release of freed places and the sweep, bookings made by staff,
-- mediators and court orders, and the booking form's rate checks.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

------------------------------------------------------------------------------
-- Normalisation and identity.

-- Upper-case, accent-free form of a name used for the identity key: NFKC,
-- unaccent, upper case, apostrophes, hyphens and runs of white space to one
-- space, trimmed. 'Jean-Pierre  d’Arc' and 'JEAN PIERRE D ARC' are equal.
-- Scripts without case or accents (Arabic, Chinese) pass through NFKC
-- only. STABLE, not IMMUTABLE: unaccent reads its dictionary.
CREATE OR REPLACE FUNCTION creneau_normalise_name(p_name text) RETURNS text
LANGUAGE sql STABLE STRICT PARALLEL SAFE
AS $$
    SELECT btrim(regexp_replace(upper(unaccent(normalize(p_name, NFKC))),
                                '[[:space:]''’‘ʼ`´‐‑‒–—-]+', ' ', 'g'))
$$;
COMMENT ON FUNCTION creneau_normalise_name(text) IS
    'Name as compared for the identity key: NFKC, unaccented, upper case, apostrophes/hyphens/white space folded to single spaces, trimmed.';

-- The identity key of a person: HMAC-SHA256 under the server secret of
-- 'A:' || the AGDREF number (digits only) when one is given, otherwise
-- 'N:' || normalised surname || '|' || normalised given names || '|' ||
-- birth date (YYYY-MM-DD). 32 bytes. Without the secret the key cannot be
-- recomputed from a guessed name, so the column is not personal data in
-- clear.
CREATE OR REPLACE FUNCTION creneau_identity_key(p_secret bytea, p_agdref text, p_surname text,
                                     p_given_names text, p_birth date)
RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT hmac(convert_to(
               CASE WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NOT NULL
                    THEN 'A:' || regexp_replace(p_agdref, '[^0-9]', '', 'g')
                    ELSE 'N:' || coalesce(creneau_normalise_name(p_surname), '')
                         || '|' || coalesce(creneau_normalise_name(p_given_names), '')
                         || '|' || coalesce(to_char(p_birth, 'YYYY-MM-DD'), '')
               END, 'UTF8'), p_secret, 'sha256')
$$;
COMMENT ON FUNCTION creneau_identity_key(bytea, text, text, text, date) IS
    'HMAC-SHA256 (keyed by the server secret) of the AGDREF number when given, else of normalised surname, given names and birth date.';

-- A new booking reference: 8 characters from an alphabet without look-alikes
-- (no B/8, I/1, O/0, S/5, Z/2), drawn with pgcrypto's gen_random_bytes and
-- rejection sampling (bytes >= 234 = 9 × 26 are skipped) so every character
-- is equally likely: 26^8 ≈ 2·10^11 references. Uniqueness is the caller's
-- business (UNIQUE constraint, retry).
CREATE OR REPLACE FUNCTION creneau_new_reference() RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    alphabet constant text := 'ACDEFGHJKLMNPQRTUVWXY34679';
    ref   text := '';
    bytes bytea;
    b     integer;
BEGIN
    WHILE length(ref) < 8 LOOP
        bytes := gen_random_bytes(16);
        FOR i IN 0 .. 15 LOOP
            b := get_byte(bytes, i);
            IF b < 234 AND length(ref) < 8 THEN
                ref := ref || substr(alphabet, b % 26 + 1, 1);
            END IF;
        END LOOP;
    END LOOP;
    RETURN ref;
END
$$;
COMMENT ON FUNCTION creneau_new_reference() IS
    'Random 8-character booking reference over ACDEFGHJKLMNPQRTUVWXY34679 (uniform).';

-- Refuse any change of the fields that identify a booking and its place,
-- except once, by the retention purge (reporting.purge in reporting.sql).
CREATE OR REPLACE FUNCTION creneau_bookings_identity_immutable() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    -- The purge blanks the person, and only that way.
    IF NEW.purged_at IS NOT NULL AND OLD.purged_at IS NULL
       AND NEW.surname = '-' AND NEW.given_names = '' AND NEW.birth_date = DATE '1900-01-01'
       AND NEW.agdref IS NULL
       AND NEW.identity_key = OLD.identity_key AND NEW.slot_id = OLD.slot_id
       AND NEW.site_id = OLD.site_id AND NEW.procedure_id = OLD.procedure_id
       AND NEW.reference = OLD.reference THEN
        RETURN NEW;
    END IF;
    IF NEW.identity_key IS DISTINCT FROM OLD.identity_key
       OR NEW.surname IS DISTINCT FROM OLD.surname
       OR NEW.given_names IS DISTINCT FROM OLD.given_names
       OR NEW.birth_date IS DISTINCT FROM OLD.birth_date
       OR NEW.agdref IS DISTINCT FROM OLD.agdref
       OR NEW.slot_id IS DISTINCT FROM OLD.slot_id
       OR NEW.site_id IS DISTINCT FROM OLD.site_id
       OR NEW.procedure_id IS DISTINCT FROM OLD.procedure_id
       OR NEW.reference IS DISTINCT FROM OLD.reference THEN
        RAISE EXCEPTION 'the identity, slot and reference of booking % cannot be changed', OLD.id
            USING ERRCODE = 'restrict_violation',
                  CONSTRAINT = 'bookings_identity_immutable',
                  TABLE = 'bookings',
                  HINT = 'Cancel the booking and make a new one.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER bookings_identity_immutable BEFORE UPDATE ON bookings
    FOR EACH ROW EXECUTE FUNCTION creneau_bookings_identity_immutable();

-- The booking a token leads to, or NULL (unknown or expired token).
CREATE OR REPLACE FUNCTION booking_by_token(p_token text) RETURNS bigint
LANGUAGE sql STABLE
AS $$
    SELECT t.booking_id FROM booking_tokens t
     WHERE t.token_hash = sha256(convert_to(p_token, 'UTF8'))
       AND (t.expires_at IS NULL OR t.expires_at > now())
$$;
COMMENT ON FUNCTION booking_by_token(text) IS
    'Id of the booking a secret token leads to; NULL when unknown or expired.';

------------------------------------------------------------------------------
-- Read helpers for the pages.

-- One row per booking with what every booking page and message shows.
-- Local times are in the site's zone; ics_start/ics_end are UTC in
-- iCalendar form (YYYYMMDDTHHMMSSZ).
CREATE OR REPLACE VIEW booking_details AS
    SELECT b.id, b.reference, b.status, b.hold_expires_at,
           to_char(b.hold_expires_at AT TIME ZONE st.time_zone, 'HH24:MI') AS hold_expires_local,
           sl.starts_at, sl.ends_at,
           to_char(sl.starts_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI') AS starts_local,
           to_char(sl.ends_at AT TIME ZONE st.time_zone, 'YYYY-MM-DD HH24:MI') AS ends_local,
           st.id AS site_id, st.slug AS site_slug, st.name AS site_name,
           st.address AS site_address, st.postal_code AS site_postal_code,
           st.city AS site_city, st.phone AS site_phone, st.time_zone,
           p.id AS procedure_id, p.code AS procedure_code, p.name AS procedure_name,
           array_to_string(p.documents, E'\n') AS documents,
           b.email, b.phone, b.lang, b.surname, b.given_names, b.birth_date,
           -- Beyond the list the pages were written against:
           b.slot_id, b.agdref, b.channel, b.confirm_attempts, b.created_at,
           b.confirmed_at, b.cancelled_at, b.release_at, b.released, b.rescheduled_from,
           b.moved, b.ics_sequence,
           p.duration_minutes, st.alternative_route AS site_alternative_route,
           to_char(sl.starts_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS ics_start,
           to_char(sl.ends_at AT TIME ZONE 'UTC', 'YYYYMMDD"T"HH24MISS"Z"') AS ics_end
      FROM bookings b
      JOIN slots sl ON sl.id = b.slot_id
      JOIN sites st ON st.id = b.site_id
      JOIN procedures p ON p.id = b.procedure_id;
COMMENT ON VIEW booking_details IS
    'A booking with its slot, site and procedure, local times in the site''s zone; filter by id (e.g. id = booking_by_token($1)).';

-- The mode in force for a procedure at a site (NULL when the site does
-- not offer it).
CREATE OR REPLACE FUNCTION creneau_allocation_mode(p_site_id bigint, p_procedure_id bigint)
RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(sp.allocation_mode, p.allocation_mode)
      FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id
     WHERE sp.site_id = p_site_id AND sp.procedure_id = p_procedure_id
$$;
COMMENT ON FUNCTION creneau_allocation_mode(bigint, bigint) IS
    'Effective allocation mode (open or draw) of a procedure at a site: the site''s override, else the procedure''s.';

------------------------------------------------------------------------------
-- Free-place counts (021, issue 15): held_back, next_release_at and
-- confirmed_count on slots, kept by statement triggers on bookings and
-- slot_reservations in the same transaction, guarded against any other
-- change; creneau_slot_channel_free answers from them while they are exact
-- (HACKING.md, "Free-place counts").

-- The counts of slots p_ids, recounted from their bookings and
-- reservations (set-wise: a hash join for many slots, index probes for a
-- few).
CREATE OR REPLACE FUNCTION creneau_slot_counts(p_ids bigint[])
RETURNS TABLE (slot_id bigint, held_back integer, next_release_at timestamptz, confirmed_count integer)
LANGUAGE sql STABLE
AS $$
    WITH ids AS (
        SELECT DISTINCT x.id FROM unnest(p_ids) AS x (id) WHERE x.id IS NOT NULL
    ), b AS (
        SELECT b.slot_id, b.channel,
               count(*) FILTER (WHERE NOT b.released) AS taken,
               min(b.release_at) FILTER (WHERE NOT b.released) AS next_release,
               count(*) FILTER (WHERE b.status = 'confirmed') AS confirmed
          FROM bookings b
         WHERE b.slot_id IN (SELECT id FROM ids)
         GROUP BY b.slot_id, b.channel
    ), r AS (
        SELECT r.slot_id, sum(greatest(0, r.places - coalesce(b.taken, 0))) AS held_back
          FROM slot_reservations r
          LEFT JOIN b ON b.slot_id = r.slot_id AND b.channel = r.channel
         WHERE r.slot_id IN (SELECT id FROM ids) AND r.channel <> 'online'
         GROUP BY r.slot_id
    ), bs AS (
        SELECT b.slot_id, min(b.next_release) AS next_release, sum(b.confirmed) AS confirmed
          FROM b GROUP BY b.slot_id
    )
    SELECT ids.id, coalesce(r.held_back, 0)::integer, bs.next_release,
           coalesce(bs.confirmed, 0)::integer
      FROM ids
      LEFT JOIN r ON r.slot_id = ids.id
      LEFT JOIN bs ON bs.slot_id = ids.id
$$;
COMMENT ON FUNCTION creneau_slot_counts(bigint[]) IS
    'held_back, next_release_at and confirmed_count of the given slots, recounted from their bookings and reservations.';

-- Bring the counts of slots p_ids up to date; only the rows that change
-- are written (all are locked first). confirmed_seq grows by one at each change of
-- confirmed_count (029: the reminders' pass, which must see a change
-- undone as two changes). Called by the triggers below only: the guard
-- lets a change of the counts through only from inside a trigger.
CREATE OR REPLACE FUNCTION creneau_slot_counts_sync(p_ids bigint[]) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id bigint;
BEGIN
    -- plpgsql keeps the plans of these statements for the session. A
    -- booking touches one slot: three index probes by slot_id, planned
    -- once; a statement over many slots (a closure, the sweep's
    -- completions, a bulk load) recounts them set-wise.
    -- The slots are locked before they are recounted: the recount is
    -- then the next statement, whose snapshot holds what the transaction
    -- that held the lock committed. Recounting first and waiting at the
    -- UPDATE would write counts read before that commit (a reservation
    -- changed while a booking of the slot was being confirmed lost the
    -- confirmation from confirmed_count).
    IF cardinality(p_ids) <= 16 THEN
        FOREACH v_id IN ARRAY p_ids LOOP
            PERFORM 1 FROM slots s WHERE s.id = v_id FOR UPDATE;
            UPDATE slots s
               SET held_back = c.held_back, next_release_at = c.next_release_at,
                   confirmed_count = c.confirmed_count,
                   confirmed_seq = s.confirmed_seq + (s.confirmed_count <> c.confirmed_count)::integer
              FROM (SELECT coalesce((
                               SELECT sum(greatest(0, r.places - (
                                          SELECT count(*) FROM bookings b
                                           WHERE b.slot_id = r.slot_id AND b.channel = r.channel
                                             AND NOT b.released)))
                                 FROM slot_reservations r
                                WHERE r.slot_id = v_id AND r.channel <> 'online'), 0)::integer AS held_back,
                           (SELECT min(b.release_at) FROM bookings b
                             WHERE b.slot_id = v_id AND NOT b.released) AS next_release_at,
                           (SELECT count(*) FROM bookings b
                             WHERE b.slot_id = v_id AND b.status = 'confirmed')::integer AS confirmed_count) c
             WHERE s.id = v_id
               AND (s.held_back, s.next_release_at, s.confirmed_count)
                   IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);
        END LOOP;
    ELSE
        PERFORM 1 FROM slots s WHERE s.id = ANY (p_ids) ORDER BY s.id FOR UPDATE;
        UPDATE slots s
           SET held_back = c.held_back, next_release_at = c.next_release_at,
               confirmed_count = c.confirmed_count,
               confirmed_seq = s.confirmed_seq + (s.confirmed_count <> c.confirmed_count)::integer
          FROM creneau_slot_counts(p_ids) c
         WHERE s.id = c.slot_id
           AND (s.held_back, s.next_release_at, s.confirmed_count)
               IS DISTINCT FROM (c.held_back, c.next_release_at, c.confirmed_count);
    END IF;
END
$$;
COMMENT ON FUNCTION creneau_slot_counts_sync(bigint[]) IS
    'Recount held_back, next_release_at and confirmed_count of the given slots and write those that changed (trigger use only).';

-- After every statement on bookings or slot_reservations: the slots of
-- the rows it inserted, changed or deleted.
CREATE OR REPLACE FUNCTION creneau_slot_counts_trigger() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT DISTINCT n.slot_id FROM new_rows n));
    ELSIF TG_OP = 'DELETE' THEN
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT DISTINCT o.slot_id FROM old_rows o));
    ELSIF TG_TABLE_NAME = 'bookings' THEN
        -- Only the bookings whose counted fields changed (an attendance,
        -- a wrong code, an extension leave the slot alone, unlocked).
        PERFORM creneau_slot_counts_sync(ARRAY(
            SELECT n.slot_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE (n.status, n.released, n.release_at, n.channel, n.slot_id)
                   IS DISTINCT FROM (o.status, o.released, o.release_at, o.channel, o.slot_id)
            UNION
            SELECT o.slot_id FROM new_rows n JOIN old_rows o ON o.id = n.id
             WHERE n.slot_id IS DISTINCT FROM o.slot_id));
    ELSE
        PERFORM creneau_slot_counts_sync(ARRAY(SELECT n.slot_id FROM new_rows n
                                               UNION SELECT o.slot_id FROM old_rows o));
    END IF;
    RETURN NULL;
END
$$;
COMMENT ON FUNCTION creneau_slot_counts_trigger() IS
    'Statement trigger on bookings and slot_reservations: bring the counts of the slots the statement touched up to date.';

CREATE TRIGGER bookings_slot_counts_insert AFTER INSERT ON bookings
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

CREATE TRIGGER bookings_slot_counts_update AFTER UPDATE ON bookings
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

CREATE TRIGGER bookings_slot_counts_delete AFTER DELETE ON bookings
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

CREATE TRIGGER slot_reservations_counts_insert AFTER INSERT ON slot_reservations
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

CREATE TRIGGER slot_reservations_counts_update AFTER UPDATE ON slot_reservations
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

CREATE TRIGGER slot_reservations_counts_delete AFTER DELETE ON slot_reservations
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION creneau_slot_counts_trigger();

-- The counts change only through the triggers above: a new slot has no
-- bookings and no reservations (its counts are the defaults), and an
-- UPDATE naming a count outside a trigger is refused.
CREATE OR REPLACE FUNCTION creneau_slots_counts_guard() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        NEW.held_back := 0;
        NEW.next_release_at := NULL;
        NEW.confirmed_count := 0;
        NEW.confirmed_seq := 0;
    ELSIF pg_trigger_depth() < 2 THEN
        RAISE EXCEPTION 'slots.held_back, next_release_at, confirmed_count and confirmed_seq are kept by the database from the bookings and reservations of the slot'
            USING ERRCODE = 'integrity_constraint_violation',
                  HINT = 'Change the bookings or slot_reservations; the counts follow.';
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER slots_counts_guard
    BEFORE INSERT OR UPDATE OF held_back, next_release_at, confirmed_count, confirmed_seq ON slots
    FOR EACH ROW EXECUTE FUNCTION creneau_slots_counts_guard();

------------------------------------------------------------------------------
-- 2. The rule, answered from the counts when they are exact.

-- 017's recount, kept under its own name: the bookings of the slot read
-- one by one. creneau_slot_channel_free falls back to it for the other
-- channels and for a slot whose next release time has come.
CREATE OR REPLACE FUNCTION creneau_slot_recount_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    WITH used AS (
        SELECT b.channel,
               count(*) FILTER (WHERE creneau_booking_occupies(b.released, b.release_at))::integer AS taken,
               count(*) FILTER (WHERE NOT b.released AND b.release_at <= now())::integer AS due
          FROM bookings b
         WHERE b.slot_id = p_slot.id AND NOT b.released
         GROUP BY b.channel
    )
    SELECT p_slot.capacity - p_slot.booked
           + coalesce((SELECT sum(u.due) FROM used u), 0)::integer
           - CASE WHEN p_slot.starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE coalesce((
                       SELECT sum(greatest(0, r.places - coalesce(u.taken, 0)))::integer
                         FROM slot_reservations r
                         LEFT JOIN used u ON u.channel = r.channel
                        WHERE r.slot_id = p_slot.id
                          AND r.channel <> coalesce(p_channel, 'online')), 0)
             END
$$;
COMMENT ON FUNCTION creneau_slot_recount_free(slots, text) IS
    'The rule of 017 computed from the slot''s bookings one by one: capacity - bookings occupying a place - unused places reserved for other channels.';

-- Are the counts of a slot exact for the online channel now? True while
-- no booking of the slot has reached its release time.
CREATE OR REPLACE FUNCTION creneau_slot_counts_current(p_next_release_at timestamptz) RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_next_release_at IS NULL OR p_next_release_at > now()
$$;

-- Online free places from the counts (valid when the counts are current).
-- Inlined by the planner: no subquery, no table.
CREATE OR REPLACE FUNCTION creneau_slot_counted_free(p_capacity integer, p_booked integer,
                                          p_held_back integer, p_starts_at timestamptz)
RETURNS integer
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT p_capacity - p_booked
           - CASE WHEN p_starts_at - creneau_reservation_lapse() <= now() THEN 0
                  ELSE p_held_back END
$$;

------------------------------------------------------------------------------
-- One rule for the free places of a slot.

CREATE OR REPLACE FUNCTION creneau_slot_channel_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN coalesce(p_channel, 'online') = 'online'
                     AND creneau_slot_counts_current(p_slot.next_release_at)
                THEN creneau_slot_counted_free(p_slot.capacity, p_slot.booked,
                                               p_slot.held_back, p_slot.starts_at)
                ELSE creneau_slot_recount_free(p_slot, p_channel) END
$$;
COMMENT ON FUNCTION creneau_slot_channel_free(slots, text) IS
    'THE rule: places of a slot a channel may take now = capacity - bookings occupying a place (creneau_booking_occupies) - unused places reserved for other channels (none from 48 hours before the slot). For online, read from the counts (021) while no release time of the slot has come.';

-- Places of slot p_slot left in the share reserved for p_channel (its
-- slot_reservations less the bookings of the channel occupying a place),
-- never more than creneau_slot_channel_free; from 48 hours before the slot,
-- when reservations lapse, simply creneau_slot_channel_free. The counter
-- and phone channel books on its share only (issue 12): an agent cannot
-- take a place the public could have booked online.
CREATE OR REPLACE FUNCTION creneau_channel_share_free(p_slot slots, p_channel text) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT CASE WHEN p_slot.starts_at - creneau_reservation_lapse() <= now()
                THEN creneau_slot_channel_free(p_slot, p_channel)
                ELSE least(creneau_slot_channel_free(p_slot, p_channel),
                           coalesce((SELECT r.places FROM slot_reservations r
                                      WHERE r.slot_id = p_slot.id AND r.channel = p_channel), 0)
                           - (SELECT count(*)::integer FROM bookings b
                               WHERE b.slot_id = p_slot.id AND b.channel = p_channel
                                 AND creneau_booking_occupies(b.released, b.release_at)))
           END
$$;
COMMENT ON FUNCTION creneau_channel_share_free(slots, text) IS
    'Places of a slot left in the share reserved for a channel (never more than creneau_slot_channel_free; from 48 hours before, creneau_slot_channel_free).';

-- The public's (online) free places of a slot: the rule for online. (An
-- expired hold is no longer "as good as free": it keeps its place until
-- its random release time.)
CREATE OR REPLACE FUNCTION creneau_slot_free(p_slot slots) RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT creneau_slot_channel_free(p_slot, 'online')
$$;
COMMENT ON FUNCTION creneau_slot_free(slots) IS
    'Free places of a slot for online booking: creneau_slot_channel_free(slot, ''online'').';

------------------------------------------------------------------------------
-- 3. The pages.


-- One SELECT, inlined into the caller (LANGUAGE sql, STABLE, not STRICT),
-- so that ORDER BY starts_at LIMIT 1 or a range of starts_at reaches
-- slots_bookable_idx (section 1). free is the rule, creneau_slot_channel_free(slot,
-- 'online'), itself inlined: the counts when current, else the recount.
CREATE OR REPLACE FUNCTION creneau_bookable_slots(p_site_id bigint, p_procedure_id bigint)
RETURNS TABLE (slot_id bigint, starts_at timestamptz, local_start timestamp, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT s.id, s.starts_at, s.starts_at AT TIME ZONE st.time_zone, f.free
      FROM sites st
      JOIN site_procedures sp ON sp.site_id = st.id
      JOIN procedures p ON p.id = sp.procedure_id
      JOIN slots s ON s.site_id = sp.site_id AND s.procedure_id = sp.procedure_id
     CROSS JOIN LATERAL (SELECT creneau_slot_channel_free(s, 'online') AS free) f
     WHERE st.id = p_site_id AND sp.procedure_id = p_procedure_id
       AND coalesce(sp.allocation_mode, p.allocation_mode) = 'open'
       AND (s.booked < s.capacity OR s.next_release_at IS NOT NULL)
       AND s.published_at <= now() AND s.starts_at > now()
       AND NOT EXISTS (SELECT 1 FROM draw_slots ds WHERE ds.slot_id = s.id)
       AND f.free > 0
$$;
COMMENT ON FUNCTION creneau_bookable_slots(bigint, bigint) IS
    'Published, future, open-mode slots of a procedure at a site with their free places for online booking (creneau_slot_channel_free); inlined by the planner, so a caller''s LIMIT or range of starts_at reads only those slots.';

-- The calendar's days: the window of days is turned into a range of
-- starts_at (one day wider, for time zones whose midnight may not exist),
-- then cut exactly on the local day.
CREATE OR REPLACE FUNCTION slot_days(p_site_id bigint, p_procedure_id bigint, p_days integer)
RETURNS TABLE (day date, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.local_start::date, sum(b.free)::integer
      FROM sites st
     CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE st.time_zone)::date + greatest(p_days, 0) AS upto) w
     CROSS JOIN LATERAL creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE st.id = p_site_id
       AND b.starts_at < (w.upto + 1)::timestamp AT TIME ZONE st.time_zone
       AND b.local_start::date < w.upto
     GROUP BY 1
     ORDER BY 1
$$;
COMMENT ON FUNCTION slot_days(bigint, bigint, integer) IS
    'Days (local to the site, from its today, p_days of them) with free bookable places of a procedure, and how many.';

-- A day's times: the slots of that local day only.
CREATE OR REPLACE FUNCTION slot_times(p_site_id bigint, p_procedure_id bigint, p_day date)
RETURNS TABLE (slot_id bigint, local_time text, free integer)
LANGUAGE sql STABLE
AS $$
    SELECT b.slot_id, to_char(b.local_start, 'HH24:MI'), b.free
      FROM sites st
     CROSS JOIN LATERAL creneau_bookable_slots(p_site_id, p_procedure_id) b
     WHERE st.id = p_site_id
       AND b.starts_at >= (p_day - 1)::timestamp AT TIME ZONE st.time_zone
       AND b.starts_at < (p_day + 2)::timestamp AT TIME ZONE st.time_zone
       AND b.local_start >= p_day AND b.local_start < p_day + 1
     ORDER BY b.starts_at, b.slot_id
$$;
COMMENT ON FUNCTION slot_times(bigint, bigint, date) IS
    'Bookable slots of one local day with their local time (HH24:MI) and free places, in time order.';

-- When the next slots of a procedure at a site will be published (NULL if
-- nothing is scheduled).
CREATE OR REPLACE FUNCTION procedure_next_publication(p_site_id bigint, p_procedure_id bigint)
RETURNS timestamptz
LANGUAGE sql STABLE
AS $$
    SELECT min(s.published_at) FROM slots s
     WHERE s.site_id = p_site_id AND s.procedure_id = p_procedure_id
       AND s.published_at > now() AND s.starts_at > now()
$$;
COMMENT ON FUNCTION procedure_next_publication(bigint, bigint) IS
    'Earliest future publication time of a future slot of the procedure at the site, or NULL.';

-- Messages about a booking name the procedure and its documents in the
-- applicant's language (booking_details.lang), as the pages do: the same
-- payload as in 004_booking.sql, with procedure_text().
CREATE OR REPLACE FUNCTION creneau_booking_payload(p_booking_id bigint) RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_build_object(
               'booking_id', d.id, 'reference', d.reference, 'status', d.status,
               'site_name', d.site_name, 'site_address', d.site_address,
               'site_postal_code', d.site_postal_code, 'site_city', d.site_city,
               'site_phone', d.site_phone, 'procedure_name', t.name,
               'procedure_code', d.procedure_code,
               'starts_local', d.starts_local, 'ends_local', d.ends_local,
               'time_zone', d.time_zone, 'hold_expires_local', d.hold_expires_local,
               'documents', to_jsonb(string_to_array(t.documents, E'\n')), 'lang', d.lang,
               'ics_sequence', d.ics_sequence)
      FROM booking_details d CROSS JOIN LATERAL procedure_text(d.procedure_id, d.lang) t
     WHERE d.id = p_booking_id
$$;

-- Messages go to the E.164 number when known.
CREATE OR REPLACE FUNCTION creneau_outbox_add(p_kind text, p_key text, p_booking_id bigint, p_extra jsonb)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO outbox (kind, channel, recipient, lang, payload, idempotency_key, booking_id)
    SELECT p_kind, c.channel, c.recipient, b.lang,
           creneau_booking_payload(b.id) || coalesce(p_extra, '{}'::jsonb),
           p_key || ':' || b.id || ':' || c.channel, b.id
      FROM bookings b
     CROSS JOIN LATERAL (VALUES ('email', btrim(b.email)),
                                ('sms', coalesce(b.phone_e164, creneau_normalise_phone(b.phone))))
                        AS c (channel, recipient)
     WHERE b.id = p_booking_id AND c.recipient IS NOT NULL
    ON CONFLICT (idempotency_key) DO NOTHING
$$;

-- Store a secret token for a booking (idempotent).
CREATE OR REPLACE FUNCTION creneau_token_add(p_booking_id bigint, p_token text, p_expires timestamptz)
RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF p_token IS NULL OR length(p_token) < 16 THEN
        RAISE EXCEPTION 'booking token must be at least 16 characters'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    INSERT INTO booking_tokens (token_hash, booking_id, expires_at)
    VALUES (sha256(convert_to(p_token, 'UTF8')), p_booking_id, p_expires)
    ON CONFLICT (token_hash) DO NOTHING;
END
$$;

-- A random delay between two bounds (NULL = 0; swapped if reversed).
CREATE OR REPLACE FUNCTION creneau_random_delay(p_min interval, p_max interval) RETURNS interval
LANGUAGE sql VOLATILE
AS $$
    SELECT least(coalesce(p_min, '0'), coalesce(p_max, '0'))
           + random() * (greatest(coalesce(p_min, '0'), coalesce(p_max, '0'))
                         - least(coalesce(p_min, '0'), coalesce(p_max, '0')))
$$;

------------------------------------------------------------------------------
-- Everything that frees a place sets a release time.

-- Sweep one slot: its holds past their end become expired, their place
-- kept until a random release time (creneau_release_time); the bookings
-- whose release time has come are marked released and give their place
-- back to slots.booked. Locks the slot row first (lock order) and skips
-- bookings another transaction holds locked. Returns (holds expired,
-- places released).
CREATE OR REPLACE FUNCTION booking_sweep_slot(p_slot_id bigint)
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    n_expired  integer;
    n_released integer;
BEGIN
    PERFORM 1 FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 0, 0;
        RETURN;
    END IF;

    UPDATE bookings b SET status = 'expired', release_at = creneau_release_time(b.channel)
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND x.status = 'held'
                       AND x.hold_expires_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_expired = ROW_COUNT;

    UPDATE bookings b SET released = true
     WHERE b.id IN (SELECT x.id FROM bookings x
                     WHERE x.slot_id = p_slot_id AND NOT x.released
                       AND x.release_at <= now()
                       FOR UPDATE SKIP LOCKED);
    GET DIAGNOSTICS n_released = ROW_COUNT;

    IF n_released > 0 THEN
        UPDATE slots s SET booked = s.booked - n_released WHERE s.id = p_slot_id;
    END IF;
    RETURN QUERY SELECT n_expired, n_released;
END
$$;
COMMENT ON FUNCTION booking_sweep_slot(bigint) IS
    'Expire the overdue holds of one slot (release time drawn at random) and release the bookings whose release time has come; returns (expired, released).';

------------------------------------------------------------------------------
-- 4. The jobs.


-- 017's sweep; the completion of ended appointments starts from the slots
-- with confirmed bookings that have started (slots_confirmed_start_idx),
-- not from every confirmed booking, and locks each slot before its
-- bookings.
CREATE OR REPLACE FUNCTION booking_sweep()
RETURNS TABLE (expired integer, released integer)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    sid   bigint;
    t_exp integer := 0;
    t_rel integer := 0;
    r     record;
BEGIN
    FOR sid IN
        SELECT x.slot_id FROM (
            SELECT b.slot_id FROM bookings b
             WHERE b.status = 'held' AND b.hold_expires_at <= now()
            UNION
            SELECT b.slot_id FROM bookings b
             WHERE NOT b.released AND b.release_at IS NOT NULL AND b.release_at <= now()) x
         ORDER BY 1
    LOOP
        -- A slot locked by a booking in progress is left for the next run
        -- (that booking sweeps it anyway).
        PERFORM 1 FROM slots s WHERE s.id = sid FOR UPDATE SKIP LOCKED;
        CONTINUE WHEN NOT FOUND;
        SELECT * INTO r FROM booking_sweep_slot(sid);
        t_exp := t_exp + r.expired;
        t_rel := t_rel + r.released;
    END LOOP;

    -- The slot is locked before its bookings (004's lock order): the
    -- trigger then writes the slot's confirmed_count.
    UPDATE bookings b SET status = 'completed'
     WHERE b.id IN (SELECT x.id FROM slots s JOIN bookings x ON x.slot_id = s.id
                     WHERE s.confirmed_count > 0 AND s.starts_at < now() AND s.ends_at <= now()
                       AND x.status = 'confirmed'
                       FOR UPDATE OF s, x SKIP LOCKED);

    RETURN QUERY SELECT t_exp, t_rel;
END
$$;
COMMENT ON FUNCTION booking_sweep() IS
    'Expire overdue holds (random release time) and release the places whose release time has come, everywhere; mark ended confirmed bookings completed; returns (expired, released).';

-- The first steps of every booking of a place, on every channel: the
-- procedure's AGDREF rule applied to the person (creneau_agdref_outcome),
-- then the slot locked, its overdue holds and releases swept
-- (creneau_slot_for_booking). refusal is NULL when the booking may go on
-- with proc and slot; else agdref_required, agdref_unknown or
-- slot_unavailable. What a channel may book of the slot is its own
-- check, after this one.
CREATE OR REPLACE FUNCTION creneau_booking_start(p_slot_id bigint, p_person jsonb,
                                                 OUT refusal text, OUT proc procedures,
                                                 OUT slot slots)
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    SELECT p.* INTO proc FROM slots s JOIN procedures p ON p.id = s.procedure_id
     WHERE s.id = p_slot_id;
    refusal := creneau_agdref_outcome(proc.requires_agdref, p_person ->> 'agdref');
    IF refusal IS NOT NULL THEN
        RETURN;
    END IF;
    slot := creneau_slot_for_booking(p_slot_id);
    IF slot.id IS NULL THEN
        refusal := 'slot_unavailable';
    END IF;
END
$$;

------------------------------------------------------------------------------
-- The online hold (the person comes as p_person).
--
-- Outcomes, in the order they are checked:
--   replayed         this form token (idempotency key) made a booking for
--                    the same identity and contact: p_token becomes another
--                    link to it
--   token_used       this form token made a booking for someone else:
--                    refused, nothing of that booking is returned
--   contact_required neither e-mail nor phone
--   agdref_required, agdref_unknown   creneau_agdref_outcome()
--   slot_unavailable no such slot, not published, started, full, not free
--                    for the channel, or a procedure allocated by draw
--   email_cap, phone_cap, identity_active   creneau_booking_insert()
--   held             done: a confirmation_code message queued per channel
CREATE OR REPLACE FUNCTION booking_hold(p_slot_id bigint, p_person jsonb, p_idempotency_key text,
                             p_token text, p_code text, p_hold interval,
                             p_max_per_email integer, p_max_per_phone integer,
                             p_channel text DEFAULT 'online')
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_proc  procedures%ROWTYPE;
    v_slot  slots%ROWTYPE;
    v_new   bookings%ROWTYPE;
    v_sub   bytea;
    v_id    bigint;
    v_ref   text;
    r       record;
BEGIN
    IF p_code IS NULL OR p_code !~ '^[0-9]{6}$' THEN
        RAISE EXCEPTION 'booking_hold: the confirmation code must be 6 digits'
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    -- The slot's procedure, read without a lock (it never changes).
    SELECT p.* INTO v_proc FROM slots s JOIN procedures p ON p.id = s.procedure_id
     WHERE s.id = p_slot_id;

    -- (a) Idempotency: one booking per key, answered only to the same
    -- submission.
    IF v_key IS NOT NULL THEN
        PERFORM creneau_lock('idempotency', v_key);
        SELECT b.id, b.reference, b.submission_key INTO v_id, v_ref, v_sub
          FROM bookings b WHERE b.idempotency_key = v_key;
        IF FOUND THEN
            IF v_sub IS NOT NULL AND v_sub = creneau_submission_key(
                   creneau_person_identity(p_person, coalesce(v_proc.requires_agdref, false)),
                   p_person) THEN
                PERFORM creneau_token_add(v_id, p_token, NULL);
                RETURN QUERY SELECT 'replayed'::text, v_id, v_ref;
            ELSE
                RETURN QUERY SELECT 'token_used'::text, NULL::bigint, NULL::text;
            END IF;
            RETURN;
        END IF;
    END IF;

    -- (b) A way to send the code.
    IF creneau_person_text(p_person, 'email') IS NULL
       AND creneau_person_text(p_person, 'phone') IS NULL THEN
        RETURN QUERY SELECT 'contact_required'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (c) AGDREF, (d) the slot, locked; overdue holds and releases swept
    -- first (creneau_booking_start, the first steps of every booking).
    SELECT * INTO r FROM creneau_booking_start(p_slot_id, p_person);
    IF r.refusal IS NOT NULL THEN
        RETURN QUERY SELECT r.refusal, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    v_slot := r.slot;
    IF v_slot.published_at IS NULL OR v_slot.published_at > now()
       OR v_slot.starts_at <= now()
       OR v_slot.booked >= v_slot.capacity
       OR creneau_slot_channel_free(v_slot, coalesce(p_channel, 'online')) <= 0
       OR creneau_allocation_mode(v_slot.site_id, v_slot.procedure_id) <> 'open' THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    -- (e) The booking, caps and identity rule (creneau_booking_insert).
    v_new := creneau_person_booking(p_person, v_proc.requires_agdref, v_slot);
    IF NOT v_proc.requires_agdref THEN
        v_new.agdref := NULL;
    END IF;
    v_new.channel := coalesce(p_channel, 'online');
    v_new.status := 'held';
    v_new.hold_expires_at := now() + coalesce(p_hold, interval '10 minutes');
    v_new.code_hash := sha256(convert_to(p_code, 'UTF8'));
    v_new.idempotency_key := v_key;
    SELECT * INTO r FROM creneau_booking_insert(v_new, p_max_per_email, p_max_per_phone);
    IF r.outcome <> 'inserted' THEN
        RETURN QUERY SELECT r.outcome, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    PERFORM creneau_token_add(r.booking_id, p_token, NULL);
    PERFORM creneau_outbox_add('confirmation_code', 'code', r.booking_id,
                               jsonb_build_object('token', p_token, 'code', p_code));
    RETURN QUERY SELECT 'held'::text, r.booking_id, r.reference;
END
$$;
COMMENT ON FUNCTION booking_hold(bigint, jsonb, text, text, text, interval, integer, integer, text) IS
    'Hold a place of a slot for a person (fcgi/common/identity.c) until confirmed; outcome held, replayed, token_used, contact_required, agdref_required, agdref_unknown, slot_unavailable, email_cap, phone_cap or identity_active.';

------------------------------------------------------------------------------
-- Find the booking of a token and lock it after its slot (the lock order).
-- Returns the locked booking row, or no row when the token leads nowhere.
-- If the token moved to another booking meanwhile (a reschedule), starts
-- again with that one.
CREATE OR REPLACE FUNCTION creneau_lock_booking_by_token(p_token text) RETURNS SETOF bookings
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_id   bigint;
    v_slot bigint;
    v_row  bookings%ROWTYPE;
BEGIN
    FOR attempt IN 1 .. 5 LOOP
        v_id := booking_by_token(p_token);
        IF v_id IS NULL THEN
            RETURN;
        END IF;
        SELECT b.slot_id INTO v_slot FROM bookings b WHERE b.id = v_id;
        PERFORM 1 FROM slots s WHERE s.id = v_slot FOR UPDATE;
        SELECT b.* INTO v_row FROM bookings b WHERE b.id = v_id FOR UPDATE;
        IF booking_by_token(p_token) IS NOT DISTINCT FROM v_id THEN
            RETURN NEXT v_row;
            RETURN;
        END IF;
    END LOOP;
    RAISE EXCEPTION 'booking token keeps moving' USING ERRCODE = 'serialization_failure';
END
$$;

-- Give one place of a slot back (the caller holds the slot's lock).
CREATE OR REPLACE FUNCTION creneau_slot_release_one(p_slot_id bigint) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE slots SET booked = booked - 1 WHERE id = p_slot_id
$$;

-- Confirm a hold with the code that was sent, the place of a hold
-- that ends here (run out, fifth wrong code) kept until its random release
-- time. Outcomes unchanged: confirmed, wrong_code, too_many_attempts,
-- expired, already_confirmed, cancelled, not_found.
CREATE OR REPLACE FUNCTION booking_confirm(p_token text, p_code text)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    max_attempts constant integer := 5;
    b bookings%ROWTYPE;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    IF b.status = 'cancelled' THEN
        RETURN QUERY SELECT 'cancelled'::text, b.id;
        RETURN;
    END IF;
    IF b.status = 'expired' THEN
        RETURN QUERY SELECT CASE WHEN b.confirm_attempts >= max_attempts
                                 THEN 'too_many_attempts' ELSE 'expired' END, b.id;
        RETURN;
    END IF;
    IF b.status IN ('confirmed', 'completed') THEN
        RETURN QUERY SELECT 'already_confirmed'::text, b.id;
        RETURN;
    END IF;
    -- Held.
    IF b.hold_expires_at <= now() THEN
        PERFORM creneau_hold_end(b.id, false);
        RETURN QUERY SELECT 'expired'::text, b.id;
        RETURN;
    END IF;
    IF p_code IS NULL OR b.code_hash IS DISTINCT FROM sha256(convert_to(p_code, 'UTF8')) THEN
        IF b.confirm_attempts + 1 >= max_attempts THEN
            PERFORM creneau_hold_end(b.id, true);
            RETURN QUERY SELECT 'too_many_attempts'::text, b.id;
        ELSE
            UPDATE bookings SET confirm_attempts = confirm_attempts + 1 WHERE id = b.id;
            RETURN QUERY SELECT 'wrong_code'::text, b.id;
        END IF;
        RETURN;
    END IF;
    UPDATE bookings SET status = 'confirmed', confirmed_at = now() WHERE id = b.id;
    PERFORM creneau_outbox_add('booking_confirmed', 'confirmed', b.id, NULL);
    RETURN QUERY SELECT 'confirmed'::text, b.id;
END
$$;
COMMENT ON FUNCTION booking_confirm(text, text) IS
    'Confirm a held booking with its code; outcome confirmed, wrong_code, too_many_attempts, expired, already_confirmed, cancelled or not_found. A hold that ends here keeps its place until a random release time.';

-- Cancel: held or confirmed, the place returns at a random time in
-- [now() + p_release_min, now() + p_release_max]: a hold cancelled by its
-- holder is no hand-over. A booking_cancelled message is queued for
-- confirmed bookings only (a hold never proved its contact). Outcomes
-- unchanged: cancelled, already_cancelled, too_late, not_found.
CREATE OR REPLACE FUNCTION booking_cancel(p_token text, p_release_min interval, p_release_max interval)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    b       bookings%ROWTYPE;
    v_start timestamptz;
BEGIN
    SELECT * INTO b FROM creneau_lock_booking_by_token(p_token);
    IF b.id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    IF b.status IN ('cancelled', 'expired') THEN
        RETURN QUERY SELECT 'already_cancelled'::text;
        RETURN;
    END IF;
    SELECT s.starts_at INTO v_start FROM slots s WHERE s.id = b.slot_id;
    IF v_start <= now() OR b.status = 'completed' THEN
        RETURN QUERY SELECT 'too_late'::text;
        RETURN;
    END IF;
    UPDATE bookings
       SET status = 'cancelled', cancelled_at = now(),
           ics_sequence = ics_sequence + CASE WHEN b.status = 'confirmed' THEN 1 ELSE 0 END,
           release_at = creneau_release_time(b.channel, p_release_min, p_release_max)
     WHERE id = b.id;
    IF b.status = 'confirmed' THEN
        PERFORM creneau_outbox_add('booking_cancelled', 'cancelled', b.id, NULL);
    END IF;
    RETURN QUERY SELECT 'cancelled'::text;
END
$$;
COMMENT ON FUNCTION booking_cancel(text, interval, interval) IS
    'Cancel a held or confirmed booking; its place returns after a random delay in [min, max]; outcome cancelled, already_cancelled, too_late or not_found.';

------------------------------------------------------------------------------
-- Rescheduling inserts through the same path as a hold.
CREATE OR REPLACE FUNCTION booking_reschedule(p_token text, p_new_slot_id bigint,
                                              p_release_min interval, p_release_max interval)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id     bigint;
    v_old    slots%ROWTYPE;
    v_new    slots%ROWTYPE;
    b        bookings%ROWTYPE;
    n        bookings%ROWTYPE;
    r        record;
BEGIN
    FOR attempt IN 1 .. 5 LOOP
        v_id := booking_by_token(p_token);
        IF v_id IS NULL THEN
            RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
            RETURN;
        END IF;
        SELECT x.* INTO b FROM bookings x WHERE x.id = v_id;
        PERFORM 1 FROM slots s WHERE s.id IN (b.slot_id, p_new_slot_id) ORDER BY s.id FOR UPDATE;
        SELECT x.* INTO b FROM bookings x WHERE x.id = v_id FOR UPDATE;
        EXIT WHEN booking_by_token(p_token) IS NOT DISTINCT FROM v_id;
        IF attempt = 5 THEN
            RAISE EXCEPTION 'booking token keeps moving' USING ERRCODE = 'serialization_failure';
        END IF;
    END LOOP;

    IF b.status <> 'confirmed' THEN
        RETURN QUERY SELECT 'not_confirmed'::text, b.id;
        RETURN;
    END IF;
    SELECT s.* INTO v_old FROM slots s WHERE s.id = b.slot_id;
    IF v_old.starts_at <= now() THEN
        RETURN QUERY SELECT 'too_late'::text, b.id;
        RETURN;
    END IF;
    IF p_new_slot_id = b.slot_id THEN
        RETURN QUERY SELECT 'same_slot'::text, b.id;
        RETURN;
    END IF;
    SELECT s.* INTO v_new FROM slots s WHERE s.id = p_new_slot_id;
    IF NOT FOUND THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, b.id;
        RETURN;
    END IF;
    IF v_new.site_id <> b.site_id OR v_new.procedure_id <> b.procedure_id THEN
        RETURN QUERY SELECT 'other_procedure'::text, b.id;
        RETURN;
    END IF;
    v_new := creneau_slot_for_booking(p_new_slot_id);
    IF v_new.published_at IS NULL OR v_new.published_at > now()
       OR v_new.starts_at <= now()
       OR creneau_slot_channel_free(v_new, b.channel) <= 0 THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, b.id;
        RETURN;
    END IF;

    -- The old booking stops being active first (the identity index), in
    -- the same transaction: if anything below fails, all of it rolls back.
    -- It is marked moved at once: the reference passes to the new row (027).
    UPDATE bookings SET status = 'cancelled', cancelled_at = now(), moved = true,
                        release_at = now() + creneau_random_delay(p_release_min, p_release_max)
     WHERE id = b.id;
    n := b;
    n.ics_sequence := b.ics_sequence + 1;
    n.slot_id := v_new.id;
    n.status := 'confirmed';
    n.confirmed_at := now();
    n.idempotency_key := NULL;
    n.submission_key := NULL;
    n.rescheduled_from := b.id;
    SELECT * INTO r FROM creneau_booking_insert(n, NULL, NULL);
    IF r.outcome <> 'inserted' THEN
        RAISE EXCEPTION 'booking_reschedule: %', r.outcome;
    END IF;
    UPDATE booking_tokens SET booking_id = r.booking_id WHERE booking_id = b.id;
    PERFORM creneau_outbox_add('booking_rescheduled', 'rescheduled', r.booking_id,
                               jsonb_build_object('old_reference', b.reference,
                                                  'old_starts_local',
                                                  to_char(v_old.starts_at AT TIME ZONE st.time_zone,
                                                          'YYYY-MM-DD HH24:MI')))
      FROM sites st WHERE st.id = b.site_id;
    RETURN QUERY SELECT 'rescheduled'::text, r.booking_id;
END
$$;
COMMENT ON FUNCTION booking_reschedule(text, bigint, interval, interval) IS
    'Move a confirmed booking to another slot of the same site and procedure atomically, keeping its reference (the old row is moved and holds its place until its random release time; SEQUENCE + 1); outcome rescheduled (new id), not_found, not_confirmed, too_late, same_slot, other_procedure or slot_unavailable.';

------------------------------------------------------------------------------
-- Reach a booking with its reference and the holder's birth date.
--
-- The reference is compared ignoring case, hyphens and spaces (KD7F-M3QA =
-- kd7fm3qa). ok: p_token becomes a link to the booking for 24 hours (to
-- the booking that replaced it, if it was rescheduled);
-- not_found otherwise, the same whether the reference or the date is wrong.
CREATE OR REPLACE FUNCTION booking_access(p_reference text, p_birth_date date, p_token text)
RETURNS TABLE (outcome text, booking_id bigint)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id   bigint;
    v_next bigint;
BEGIN
    SELECT b.id INTO v_id FROM bookings b
     WHERE b.reference = upper(regexp_replace(coalesce(p_reference, ''), '[-[:space:]]', '', 'g'))
       AND b.birth_date = p_birth_date
     ORDER BY b.created_at DESC, b.id DESC
     LIMIT 1;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text, NULL::bigint;
        RETURN;
    END IF;
    -- A rescheduled booking leads to the one that replaced it.
    LOOP
        SELECT b.id INTO v_next FROM bookings b WHERE b.rescheduled_from = v_id;
        EXIT WHEN v_next IS NULL;
        v_id := v_next;
    END LOOP;
    PERFORM creneau_token_add(v_id, p_token, now() + interval '24 hours');
    RETURN QUERY SELECT 'ok'::text, v_id;
END
$$;
COMMENT ON FUNCTION booking_access(text, date, text) IS
    'Give a 24-hour link (p_token) to the booking with this reference and birth date; outcome ok or not_found.';

-- booking_reschedule already cancels the old booking with a random
-- release time (its explicit bounds); close_day (calendars.sql) with release_at =
-- infinity (the place never returns). Both are covered by the rule above
-- without change.

------------------------------------------------------------------------------
-- A short hold with a bounded total (RGAA / WCAG 2.2.1).
--
-- The hold lasts hold_minutes (creneau.conf, 10 by default); the person
-- may ask for more time with one button while it runs, p_minutes each
-- time (hold_extend_minutes, 5), as long as the hold ends no later than
-- p_max_minutes after it began (hold_max_minutes, 20). Outcomes:
-- extended, too_many (the total is reached), expired (the hold has
-- ended), not_held (confirmed, cancelled…), not_found. (008_hold_extend had
-- booking_extend(token, minutes, most extensions).)
CREATE OR REPLACE FUNCTION booking_extend(p_token text, p_minutes integer, p_max_minutes integer)
RETURNS TABLE (outcome text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_id  bigint := booking_by_token(p_token);
    b     bookings%ROWTYPE;
    v_end timestamptz;
BEGIN
    IF p_minutes IS NULL OR p_minutes < 1 OR p_minutes > 120
       OR p_max_minutes IS NULL OR p_max_minutes < 1 OR p_max_minutes > 240 THEN
        RAISE EXCEPTION 'booking_extend: minutes out of range: % (total %)', p_minutes, p_max_minutes
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    IF v_id IS NULL THEN
        RETURN QUERY SELECT 'not_found'::text;
        RETURN;
    END IF;
    SELECT * INTO b FROM bookings x WHERE x.id = v_id FOR UPDATE;
    v_end := least(b.hold_expires_at + make_interval(mins => p_minutes),
                   b.created_at + make_interval(mins => p_max_minutes));
    IF b.status <> 'held' THEN
        RETURN QUERY SELECT 'not_held'::text;
    ELSIF b.hold_expires_at <= now() THEN
        RETURN QUERY SELECT 'expired'::text;
    ELSIF v_end <= b.hold_expires_at THEN
        RETURN QUERY SELECT 'too_many'::text;
    ELSE
        UPDATE bookings SET hold_expires_at = v_end, hold_extensions = hold_extensions + 1
         WHERE id = v_id;
        RETURN QUERY SELECT 'extended'::text;
    END IF;
END
$$;
COMMENT ON FUNCTION booking_extend(text, integer, integer) IS
    'Extend a running hold by p_minutes, never beyond p_max_minutes after it began (RGAA: adjustable time limits, bounded for a scarce place); outcome extended, too_many, expired, not_held or not_found.';

------------------------------------------------------------------------------
-- Bookings made by staff: the same path as the public's.
-- Outcomes: agdref_required, agdref_unknown, slot_unavailable,
-- phone_cap, identity_active, booked.
CREATE OR REPLACE FUNCTION creneau_staff_booking(p_slot_id bigint, p_channel text, p_published boolean,
                                      p_person jsonb, p_idempotency_key text,
                                      p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_proc  procedures%ROWTYPE;
    v_slot  slots%ROWTYPE;
    v_new   bookings%ROWTYPE;
    r       record;
BEGIN
    SELECT * INTO r FROM creneau_booking_start(p_slot_id, p_person);
    IF r.refusal IS NOT NULL THEN
        RETURN QUERY SELECT r.refusal, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    v_proc := r.proc;
    v_slot := r.slot;
    IF v_slot.starts_at <= now()
       OR (p_published AND (v_slot.published_at IS NULL OR v_slot.published_at > now()
                            OR v_proc.allocation_mode <> 'open'))
       OR creneau_slot_channel_free(v_slot, p_channel) <= 0
       OR (p_channel = 'counter' AND creneau_channel_share_free(v_slot, p_channel) <= 0) THEN
        RETURN QUERY SELECT 'slot_unavailable'::text, NULL::bigint, NULL::text;
        RETURN;
    END IF;

    v_new := creneau_person_booking(p_person, v_proc.requires_agdref, v_slot);
    v_new.channel := p_channel;
    v_new.status := 'confirmed';
    v_new.confirmed_at := now();
    v_new.idempotency_key := nullif(btrim(p_idempotency_key), '');
    SELECT * INTO r FROM creneau_booking_insert(v_new, NULL, p_max_per_phone);
    IF r.outcome <> 'inserted' THEN
        RETURN QUERY SELECT r.outcome, NULL::bigint, NULL::text;
        RETURN;
    END IF;
    PERFORM creneau_outbox_add('booking_confirmed', 'confirmed', r.booking_id, NULL);
    RETURN QUERY SELECT 'booked'::text, r.booking_id, r.reference;
END
$$;

-- The booking form's rate limits, on keyed digests only.
CREATE OR REPLACE FUNCTION booking_rate_check(p_slot_id bigint, p_person jsonb, p_address text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_ident  text;
    v_agdref boolean;
    v_scope  text;
BEGIN
    SELECT p.requires_agdref INTO v_agdref
      FROM slots s JOIN procedures p ON p.id = s.procedure_id WHERE s.id = p_slot_id;
    v_ident := encode(creneau_person_identity(p_person, coalesce(v_agdref, false)), 'hex');
    IF rate_limit_hits('booking_made', 'identity', v_ident)
       >= coalesce((SELECT max_hits FROM rate_limit_rules
                     WHERE action = 'booking_made' AND scope = 'identity'), 2147483647) THEN
        RETURN 'identity';
    END IF;
    v_scope := rate_limit_check('booking_hold', ARRAY['email', 'phone', 'address'],
        ARRAY[creneau_person_text(p_person, 'email_key'),
              creneau_person_text(p_person, 'phone_key'), p_address]);
    RETURN coalesce(v_scope, '');
END
$$;
COMMENT ON FUNCTION booking_rate_check(bigint, jsonb, text) IS
    'Rate limits of the booking form, before booking_hold, on keyed digests: '''' to go on, else the scope refused (identity, email, phone, address).';

-- The AGDREF number of a booking form that has other errors, checked in
-- the same round (issue 12) rather than only once they are fixed:
-- outcome agdref_unknown (the hold's own word and message), agdref_known,
-- not_needed (the procedure asks for no number), or rate_limited. So that
-- forms sent wrong on purpose are no faster an oracle of valid numbers than
-- the booking form itself, each check counts as one booking attempt of the
-- client address ('booking_hold', scope address: the limit of a valid form
-- too); over that limit the number is not looked up. The page asks only
-- when the form's token is good, so each check also costs a fresh form.
CREATE OR REPLACE FUNCTION booking_agdref_check(p_slot_id bigint, p_agdref text, p_address text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_requires boolean;
BEGIN
    SELECT p.requires_agdref INTO v_requires
      FROM slots s JOIN procedures p ON p.id = s.procedure_id WHERE s.id = p_slot_id;
    IF NOT coalesce(v_requires, false) OR nullif(btrim(p_agdref), '') IS NULL THEN
        RETURN 'not_needed';
    END IF;
    IF rate_limit_check('booking_hold', ARRAY['address'], ARRAY[p_address]) IS NOT NULL THEN
        RETURN 'rate_limited';
    END IF;
    RETURN coalesce(creneau_agdref_outcome(true, p_agdref), 'agdref_known');
END
$$;
COMMENT ON FUNCTION booking_agdref_check(bigint, text, text) IS
    'The AGDREF number of a booking form with other errors, counted as a booking attempt of the address: agdref_unknown, agdref_known, not_needed or rate_limited.';

-- The booking form's check with the live holds: '' to go on, else
-- the scope refused: identity, email, phone, address (too many forms in
-- the window), live_address, live_email, live_phone (too many live
-- unconfirmed holds). p_person is the person of fcgi/common/identity.c (only its
-- keyed digests count); p_idempotency_key is the form token's id (NULL:
-- live holds are not counted).
CREATE OR REPLACE FUNCTION booking_rate_check(p_slot_id bigint, p_person jsonb, p_address text,
                                   p_idempotency_key text)
RETURNS text
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v_scope text;
    v_key   text := nullif(btrim(p_idempotency_key), '');
    v_keys  text[];
    v_names constant text[] := ARRAY['address', 'email', 'phone'];
    r       rate_limit_rules%ROWTYPE;
BEGIN
    v_scope := booking_rate_check(p_slot_id, p_person, p_address);
    IF v_scope <> '' OR v_key IS NULL THEN
        RETURN v_scope;
    END IF;
    v_keys := ARRAY[nullif(p_address, ''),
                    nullif(creneau_person_text(p_person, 'email_key'), ''),
                    nullif(creneau_person_text(p_person, 'phone_key'), '')];
    -- One check at a time per key (in a fixed order: no deadlock).
    FOR i IN 1 .. 3 LOOP
        IF v_keys[i] IS NOT NULL THEN
            PERFORM creneau_lock('hold_live', v_names[i] || ':' || v_keys[i]);
        END IF;
    END LOOP;
    FOR i IN 1 .. 3 LOOP
        SELECT * INTO r FROM rate_limit_rules x WHERE x.action = 'hold_live' AND x.scope = v_names[i];
        IF FOUND AND v_keys[i] IS NOT NULL
           AND creneau_live_holds(v_names[i], v_keys[i], v_key, r.window_size) >= r.max_hits THEN
            RETURN 'live_' || v_names[i];
        END IF;
    END LOOP;
    INSERT INTO hold_origins (idempotency_key, address_key, email_key, phone_key)
    VALUES (v_key, v_keys[1], v_keys[2], v_keys[3])
    ON CONFLICT (idempotency_key) DO NOTHING;
    RETURN '';
END
$$;
COMMENT ON FUNCTION booking_rate_check(bigint, jsonb, text, text) IS
    'Rate limits of the booking form, before booking_hold, and the live holds per client address, e-mail and phone (keyed digests): '''' to go on, else the scope refused (identity, email, phone, address, live_address, live_email, live_phone).';

-- The advisory-lock class of each kind of lock (the first argument of
-- pg_advisory_xact_lock(int, int)); the second is hashtext() of the key.
CREATE OR REPLACE FUNCTION creneau_lock_key(p_name text) RETURNS integer
LANGUAGE plpgsql IMMUTABLE STRICT PARALLEL SAFE
AS $$
BEGIN
    RETURN CASE p_name
        WHEN 'idempotency'      THEN 3001   -- a form's idempotency key
        WHEN 'email_cap'        THEN 3002   -- the cap of an e-mail key
        WHEN 'phone_cap'        THEN 3003   -- the cap of a phone key
        WHEN 'mediator_quota'   THEN 3010   -- an organisation's monthly quota
        WHEN 'outbox_recipient' THEN 3101   -- creneau-notify, per recipient
        WHEN 'alert_subscribe'  THEN 3102   -- an alert form's key
        WHEN 'alert_contact'    THEN 3103   -- an alert's contact
        WHEN 'slot_generation'  THEN 3201   -- calendar_generate per site
        WHEN 'draw_queue'       THEN 3301   -- draw allocation per site and procedure
        WHEN 'hold_live'        THEN 3401   -- live holds of a contact or address (017)
        END;
END
$$;
COMMENT ON FUNCTION creneau_lock_key(text) IS
    'The advisory-lock class of a named lock (idempotency, email_cap, phone_cap, mediator_quota, outbox_recipient, alert_subscribe, alert_contact, slot_generation, draw_queue, hold_live).';

-- Takes the transaction-scoped advisory lock p_name on p_key.
CREATE OR REPLACE FUNCTION creneau_lock(p_name text, p_key text) RETURNS void
LANGUAGE plpgsql VOLATILE
AS $$
BEGIN
    IF creneau_lock_key(p_name) IS NULL THEN
        RAISE EXCEPTION 'creneau_lock: no lock named %', p_name
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    PERFORM pg_advisory_xact_lock(creneau_lock_key(p_name), hashtext(p_key));
END
$$;

------------------------------------------------------------------------------
-- The person, as the pages send it.
--
-- p_person is a jsonb object built by fcgi/common/identity.c:
--   surname, given_names, birth_date (YYYY-MM-DD), agdref, email, phone,
--   lang                      as typed (shown back, printed);
--   phone_e164                the canonical number SMS go to;
--   name_key                  hex HMAC of the canonical name and birth date;
--   agdref_key                hex HMAC of the AGDREF number (when given);
--   email_key, phone_key      hex keyed digests of the canonical contacts.
-- Missing members and empty strings are NULL.

CREATE OR REPLACE FUNCTION creneau_person_text(p_person jsonb, p_member text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT nullif(btrim(p_person ->> p_member), '')
$$;

CREATE OR REPLACE FUNCTION creneau_person_bytes(p_person jsonb, p_member text) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT decode(nullif(p_person ->> p_member, ''), 'hex')
$$;

-- The identity key for a procedure: the AGDREF key where the procedure
-- requires the number, the name key otherwise (so an optional number
-- cannot dodge the one-booking rule).
CREATE OR REPLACE FUNCTION creneau_person_identity(p_person jsonb, p_requires_agdref boolean) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT creneau_person_bytes(p_person,
               CASE WHEN p_requires_agdref THEN 'agdref_key' ELSE 'name_key' END)
$$;

-- What binds a form's idempotency key to one submission: a digest of its
-- identity and contact keys (already keyed digests).
CREATE OR REPLACE FUNCTION creneau_submission_key(p_identity bytea, p_person jsonb) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT sha256(coalesce(p_identity, '\x'::bytea)
                  || '\x7c'::bytea || coalesce(creneau_person_bytes(p_person, 'email_key'), '\x'::bytea)
                  || '\x7c'::bytea || coalesce(creneau_person_bytes(p_person, 'phone_key'), '\x'::bytea))
$$;

-- A staff form sent again (its idempotency key already booked booking
-- with submission key p_submission and identity key p_identity): replayed
-- when p_person is the same submission, else token_used (the mediator's
-- and the counter's forms).
CREATE OR REPLACE FUNCTION creneau_staff_replay(p_submission bytea, p_identity bytea, p_person jsonb)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT CASE WHEN p_submission IS NOT NULL
                     AND p_submission = creneau_submission_key(p_identity, p_person)
                     AND p_identity IN (creneau_person_bytes(p_person, 'name_key'),
                                        creneau_person_bytes(p_person, 'agdref_key'))
                THEN 'replayed' ELSE 'token_used' END
$$;

-- The person built in SQL, for the SQL tests and operators' scripts that
-- call the booking functions directly: keys from 004's SQL normalisation
-- (creneau_identity_key, lower-case e-mail, creneau_normalise_phone) under
-- p_secret. The pages never use it: fcgi/common/identity.c builds the person
-- from the canonical forms (ICU, libphonenumber), which SQL does not have.
CREATE OR REPLACE FUNCTION creneau_person_sql(p_secret bytea, p_surname text, p_given_names text,
                                   p_birth_date date, p_agdref text, p_email text,
                                   p_phone text, p_lang text)
RETURNS jsonb
LANGUAGE sql STABLE
AS $$
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'surname', p_surname, 'given_names', p_given_names,
        'birth_date', to_char(p_birth_date, 'YYYY-MM-DD'), 'agdref', p_agdref,
        'email', nullif(btrim(p_email), ''), 'phone', nullif(btrim(p_phone), ''),
        'lang', p_lang,
        'phone_e164', CASE WHEN creneau_normalise_phone(nullif(btrim(p_phone), '')) ~ '^\+[1-9][0-9]{5,14}$'
                           THEN creneau_normalise_phone(nullif(btrim(p_phone), '')) END,
        'name_key', encode(creneau_identity_key(p_secret, NULL, p_surname, p_given_names,
                                                p_birth_date), 'hex'),
        'agdref_key', CASE WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NOT NULL
                           THEN encode(creneau_identity_key(p_secret, p_agdref, p_surname,
                                                            p_given_names, p_birth_date), 'hex') END,
        'email_key', encode(substr(hmac(convert_to('email:' || lower(nullif(btrim(p_email), '')), 'UTF8'),
                                        p_secret, 'sha256'), 1, 16), 'hex'),
        'phone_key', encode(substr(hmac(convert_to('phone:' || creneau_normalise_phone(nullif(btrim(p_phone), '')), 'UTF8'),
                                        p_secret, 'sha256'), 1, 16), 'hex')))
$$;
COMMENT ON FUNCTION creneau_person_sql(bytea, text, text, date, text, text, text, text) IS
    'The p_person of the booking functions built with SQL normalisation, for tests and scripts; the pages use fcgi/common/identity.c.';

------------------------------------------------------------------------------
-- 3b. A slot about to be booked: its row locked, its overdue holds and
-- releases swept, and read again; NULL when there is no such slot.
-- Every function that books a place starts here.
CREATE OR REPLACE FUNCTION creneau_slot_for_booking(p_slot_id bigint) RETURNS slots
LANGUAGE plpgsql VOLATILE
AS $$
DECLARE
    v slots;
BEGIN
    PERFORM 1 FROM slots s WHERE s.id = p_slot_id FOR UPDATE;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    PERFORM booking_sweep_slot(p_slot_id);
    SELECT s.* INTO v FROM slots s WHERE s.id = p_slot_id;
    RETURN v;
END
$$;

------------------------------------------------------------------------------
-- The AGDREF check: NULL when the procedure does not need a number or
-- the number is known, else agdref_required or agdref_unknown.
CREATE OR REPLACE FUNCTION creneau_agdref_outcome(p_requires boolean, p_agdref text) RETURNS text
LANGUAGE sql STABLE
AS $$
    SELECT CASE
           WHEN NOT coalesce(p_requires, false) THEN NULL
           WHEN nullif(regexp_replace(coalesce(p_agdref, ''), '[^0-9]', '', 'g'), '') IS NULL
                THEN 'agdref_required'
           WHEN NOT EXISTS (SELECT 1 FROM agdref_numbers a
                             WHERE a.number = regexp_replace(p_agdref, '[^0-9]', '', 'g'))
                THEN 'agdref_unknown'
           END
$$;

------------------------------------------------------------------------------
-- The one INSERT INTO bookings.
--
-- p_new carries every column the caller sets (slot_id, site_id,
-- procedure_id, identity_key, the person's fields and keys, lang, channel,
-- status, hold_expires_at, code_hash, confirm_attempts, confirmed_at,
-- idempotency_key, submission_key, rescheduled_from, network_digest);
-- the reference is drawn here. The caller holds the slot's row lock and
-- has decided the place is bookable. In order (the lock order of every booking path):
--   email_cap, phone_cap  p_max_per_email / p_max_per_phone active future
--                         bookings have this contact key (NULL: no cap),
--                         counted under an advisory lock on the key;
--   (the identity's confirmed bookings of the procedure whose appointment
--   has ended become completed, so they no longer block)
--   identity_active       the identity has an active booking for the
--                         procedure (the partial unique index);
--   inserted              done: slots.booked + 1.
CREATE OR REPLACE FUNCTION creneau_booking_insert(p_new bookings, p_max_per_email integer,
                                       p_max_per_phone integer)
RETURNS TABLE (outcome text, booking_id bigint, reference text)
LANGUAGE plpgsql VOLATILE
AS $$
#variable_conflict use_column
DECLARE
    v_n    integer;
    v_id   bigint;
    v_ref  text;
    v_cons text;
BEGIN
    IF p_new.email_key IS NOT NULL AND p_max_per_email IS NOT NULL THEN
        PERFORM creneau_lock('email_cap', encode(p_new.email_key, 'hex'));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.email_key = p_new.email_key AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_email THEN
            RETURN QUERY SELECT 'email_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;
    IF p_new.phone_key IS NOT NULL AND p_max_per_phone IS NOT NULL THEN
        PERFORM creneau_lock('phone_cap', encode(p_new.phone_key, 'hex'));
        SELECT count(*) INTO v_n FROM bookings b JOIN slots s ON s.id = b.slot_id
         WHERE b.phone_key = p_new.phone_key AND b.status IN ('held', 'confirmed')
           AND s.starts_at > now();
        IF v_n >= p_max_per_phone THEN
            RETURN QUERY SELECT 'phone_cap'::text, NULL::bigint, NULL::text;
            RETURN;
        END IF;
    END IF;

    UPDATE bookings b SET status = 'completed'
      FROM slots s
     WHERE s.id = b.slot_id AND b.identity_key = p_new.identity_key
       AND b.procedure_id = p_new.procedure_id
       AND b.status = 'confirmed' AND s.ends_at <= now();

    LOOP
        BEGIN
            IF p_new.rescheduled_from IS NOT NULL THEN
                -- A move (booking_reschedule): the booking keeps its
                -- reference (and so its calendar UID); the old row is moved.
                SELECT b.reference INTO v_ref FROM bookings b WHERE b.id = p_new.rescheduled_from;
            ELSE
                -- A new reference is new among moved rows too (027).
                LOOP
                    v_ref := creneau_new_reference();
                    EXIT WHEN NOT EXISTS (SELECT 1 FROM bookings b WHERE b.reference = v_ref);
                END LOOP;
            END IF;
            INSERT INTO bookings (reference, slot_id, site_id, procedure_id, identity_key,
                                  surname, given_names, birth_date, agdref, email, phone,
                                  email_key, phone_key, phone_e164, lang, channel, status,
                                  hold_expires_at, code_hash, confirm_attempts, confirmed_at,
                                  idempotency_key, submission_key, rescheduled_from,
                                  network_digest, ics_sequence)
            VALUES (v_ref, p_new.slot_id, p_new.site_id, p_new.procedure_id, p_new.identity_key,
                    btrim(p_new.surname), btrim(coalesce(p_new.given_names, '')),
                    p_new.birth_date, p_new.agdref, p_new.email, p_new.phone,
                    p_new.email_key, p_new.phone_key, p_new.phone_e164,
                    coalesce(nullif(p_new.lang, ''), 'fr'), coalesce(p_new.channel, 'online'),
                    p_new.status, p_new.hold_expires_at, p_new.code_hash,
                    coalesce(p_new.confirm_attempts, 0), p_new.confirmed_at,
                    p_new.idempotency_key, p_new.submission_key, p_new.rescheduled_from,
                    p_new.network_digest, coalesce(p_new.ics_sequence, 0))
            RETURNING id INTO v_id;
            EXIT;
        EXCEPTION WHEN unique_violation THEN
            GET STACKED DIAGNOSTICS v_cons = CONSTRAINT_NAME;
            IF v_cons = 'bookings_identity_active_key' THEN
                RETURN QUERY SELECT 'identity_active'::text, NULL::bigint, NULL::text;
                RETURN;
            ELSIF v_cons = 'bookings_reference_key' AND p_new.rescheduled_from IS NULL THEN
                CONTINUE;   -- another reference
            END IF;
            RAISE;
        END;
    END LOOP;
    UPDATE slots s SET booked = s.booked + 1 WHERE s.id = p_new.slot_id;
    RETURN QUERY SELECT 'inserted'::text, v_id, v_ref;
END
$$;
COMMENT ON FUNCTION creneau_booking_insert(bookings, integer, integer) IS
    'The only INSERT INTO bookings: caps per contact key under advisory locks, the identity''s ended bookings completed, the reference retry loop, slots.booked + 1; outcome inserted, email_cap, phone_cap or identity_active.';

-- A bookings row with the person's fields and keys filled from p_person,
-- for creneau_booking_insert (the caller fills the rest).
CREATE OR REPLACE FUNCTION creneau_person_booking(p_person jsonb, p_requires_agdref boolean, p_slot slots)
RETURNS bookings
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    b bookings%ROWTYPE;
BEGIN
    b.slot_id      := p_slot.id;
    b.site_id      := p_slot.site_id;
    b.procedure_id := p_slot.procedure_id;
    b.identity_key := creneau_person_identity(p_person, p_requires_agdref);
    b.surname      := creneau_person_text(p_person, 'surname');
    b.given_names  := coalesce(creneau_person_text(p_person, 'given_names'), '');
    b.birth_date   := creneau_person_text(p_person, 'birth_date')::date;
    b.agdref       := nullif(regexp_replace(coalesce(p_person ->> 'agdref', ''), '[^0-9]', '', 'g'), '');
    b.email        := creneau_person_text(p_person, 'email');
    b.phone        := creneau_person_text(p_person, 'phone');
    b.email_key    := creneau_person_bytes(p_person, 'email_key');
    b.phone_key    := creneau_person_bytes(p_person, 'phone_key');
    b.phone_e164   := creneau_person_text(p_person, 'phone_e164');
    b.lang         := coalesce(creneau_person_text(p_person, 'lang'), 'fr');
    b.submission_key := creneau_submission_key(b.identity_key, p_person);
    RETURN b;
END
$$;

-- When a place freed now by a booking of p_channel returns to the pool:
-- at once for the draw channel (the draw order decides who gets it), else
-- now() + a random delay in [p_min, p_max]; NULL bounds take the release
-- window the programs set on their connection (creneau.release_min_minutes
-- and creneau.release_max_minutes, from creneau.conf; 15 and 180 minutes
-- when unset, as for a psql session).
CREATE OR REPLACE FUNCTION creneau_release_time(p_channel text, p_min interval DEFAULT NULL,
                                     p_max interval DEFAULT NULL)
RETURNS timestamptz
LANGUAGE sql VOLATILE
AS $$
    SELECT CASE WHEN p_channel = 'draw' THEN now()
                ELSE now() + creneau_random_delay(
                    coalesce(p_min, make_interval(mins => coalesce(
                        nullif(current_setting('creneau.release_min_minutes', true), '')::integer, 15))),
                    coalesce(p_max, make_interval(mins => coalesce(
                        nullif(current_setting('creneau.release_max_minutes', true), '')::integer, 180))))
           END
$$;
COMMENT ON FUNCTION creneau_release_time(text, interval, interval) IS
    'When a place freed now returns to the pool: now() for the draw channel, else now() + a random delay in [p_min, p_max] (default: the connection''s creneau.release_min_minutes/release_max_minutes, else 15–180 minutes).';

-- Does a booking occupy its place now? Until its release time has come.
-- The one definition every count of free places uses.
CREATE OR REPLACE FUNCTION creneau_booking_occupies(p_released boolean, p_release_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT NOT p_released AND (p_release_at IS NULL OR p_release_at > now())
$$;
COMMENT ON FUNCTION creneau_booking_occupies(boolean, timestamptz) IS
    'True while a booking takes its place: not released and its release time (if any) not come.';

-- The places bookable online now (the view the public pages read), on
-- the same rule.
CREATE OR REPLACE VIEW available_slots AS
    SELECT s.id, s.site_id, s.counter_id, s.procedure_id, s.starts_at, s.ends_at,
           s.capacity, s.booked, creneau_slot_channel_free(s, 'online') AS remaining
      FROM slots s
     WHERE s.published_at <= now()
       AND s.starts_at > now()
       AND creneau_slot_channel_free(s, 'online') > 0;
COMMENT ON VIEW available_slots IS
    'Published, future slots with at least one place free for online booking (creneau_slot_channel_free); filter by site_id and procedure_id.';

-- Ends a hold now (too many wrong codes, or found past its end): expired,
-- its place kept until a random release time. The caller holds the slot
-- and booking locks.
CREATE OR REPLACE FUNCTION creneau_hold_end(p_booking_id bigint, p_wrong_code boolean)
RETURNS void
LANGUAGE sql VOLATILE
AS $$
    UPDATE bookings
       SET status = 'expired', release_at = creneau_release_time(channel),
           confirm_attempts = confirm_attempts + CASE WHEN p_wrong_code THEN 1 ELSE 0 END
     WHERE id = p_booking_id
$$;

-- How long a form let through counts as on its way to booking_hold: as
-- long as nginx waits for an answer (fastcgi_read_timeout, 30 s), longer
-- than booking_hold waits for its locks when a crowd takes a few slots at
-- an opening, so parallel forms of one contact cannot slip past the count
-- while they queue. A form refused is forgotten at once
-- (booking_rate_forget).
CREATE OR REPLACE FUNCTION creneau_hold_in_flight() RETURNS interval
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
    SELECT interval '30 seconds'
$$;

-- Live holds (and forms on their way) of a key of a scope (address,
-- email or phone), other than the form p_own. One statement per scope, so
-- that each uses its own index.
CREATE OR REPLACE FUNCTION creneau_live_holds(p_scope text, p_key text, p_own text, p_window interval)
RETURNS integer
LANGUAGE plpgsql STABLE
AS $$
DECLARE
    n integer;
BEGIN
    IF p_scope NOT IN ('address', 'email', 'phone') THEN
        RAISE EXCEPTION 'creneau_live_holds: unknown scope %', p_scope
            USING ERRCODE = 'invalid_parameter_value';
    END IF;
    EXECUTE format(
        'SELECT count(*)::integer FROM hold_origins o'
        '  LEFT JOIN bookings b ON b.idempotency_key = o.idempotency_key'
        ' WHERE o.%I = $1 AND o.created_at > now() - $2 AND o.idempotency_key <> $3'
        '   AND CASE WHEN b.id IS NULL THEN o.created_at > now() - creneau_hold_in_flight()'
        '            ELSE b.status = ''held'' AND b.hold_expires_at > now() END',
        p_scope || '_key')
      INTO n USING p_key, p_window, coalesce(p_own, '');
    RETURN n;
END
$$;

-- A form booking_hold refused (no booking with its key) stops counting as
-- a hold on its way: the page calls this after the refusal.
CREATE OR REPLACE FUNCTION booking_rate_forget(p_idempotency_key text) RETURNS void
LANGUAGE sql VOLATILE
AS $$
    DELETE FROM hold_origins o
     WHERE o.idempotency_key = p_idempotency_key
       AND NOT EXISTS (SELECT 1 FROM bookings b WHERE b.idempotency_key = o.idempotency_key)
$$;
COMMENT ON FUNCTION booking_rate_forget(text) IS
    'Forget the origin of a form that booking_hold refused, so that it no longer counts as a live hold on its way.';

-- Adds AGDREF numbers (10 digits each; the table's CHECK refuses any
-- other) to the reference list; returns how many were new.
CREATE OR REPLACE FUNCTION agdref_import(p_numbers text[])
RETURNS integer
LANGUAGE plpgsql AS $$
DECLARE
    v_new integer;
BEGIN
    INSERT INTO agdref_numbers (number)
        SELECT DISTINCT n FROM unnest(p_numbers) AS n
        ON CONFLICT DO NOTHING;
    GET DIAGNOSTICS v_new = ROW_COUNT;
    RETURN v_new;
END;
$$;
