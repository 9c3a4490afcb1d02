-- 014_fairness_limits.sql: rate limits on state-changing actions (issue 4)
-- and what the waiting room of open releases reads (its per-worker cache).
--
-- Rate limits. nginx's limit_req per client address is the first line;
-- these are the second: per action and per identity key, e-mail, phone and
-- address digest, in fixed windows. The counters live in an UNLOGGED table
-- (no WAL, no fsync at commit: a transaction that only writes it commits
-- asynchronously) and every hit is one statement, INSERT ... ON CONFLICT
-- ... DO UPDATE ... RETURNING, so the table never becomes a write hot spot;
-- a crash empties it, which only forgives a few attempts. rate_limit_sweep()
-- (creneau-admin sweep) deletes the windows that have ended.
--
-- A shared address (carrier NAT, a France Services point) must let many
-- real people through: the limits are per action and per identity; the
-- per-address rule is high and only ever refuses that action from that
-- address for the rest of its window. There is no global ban.
--
-- Keys are never personal data in clear: identity keys are already HMACs,
-- e-mail and phone are HMAC'd with the server secret here, the address is
-- the worker's keyed digest (staff_client_key()).

------------------------------------------------------------------------------
-- Rules: how many hits of an action a key of a scope may make per window.
-- Operators tune them with UPDATE; other actions (the draw registration)
-- add their own rows.
CREATE TABLE rate_limit_rules (
    action      text NOT NULL CHECK (action ~ '^[a-z_]{1,40}$'),
    scope       text NOT NULL CHECK (scope ~ '^[a-z_]{1,40}$'),
    window_size interval NOT NULL CHECK (window_size >= interval '1 second'),
    max_hits    integer NOT NULL CHECK (max_hits >= 1),
    PRIMARY KEY (action, scope)
);
COMMENT ON TABLE rate_limit_rules IS
    'Rate limits: at most max_hits hits of action per key of scope in each fixed window of window_size.';

INSERT INTO rate_limit_rules (action, scope, window_size, max_hits) VALUES
    -- Booking forms that reach booking_hold (valid fields, valid token).
    ('booking_hold', 'email',   interval '10 minutes', 10),
    ('booking_hold', 'phone',   interval '10 minutes', 10),
    -- A whole France Services point or carrier NAT books through one
    -- address: high, a brake on one machine only.
    ('booking_hold', 'address', interval '10 minutes', 3000),
    -- Bookings made per identity (held, whatever became of them): a
    -- hold-cancel-hold loop would keep places out of the pool.
    ('booking_made', 'identity', interval '1 day', 6),
    -- Draw registrations: the same brakes as booking forms.
    ('draw_register', 'email',   interval '10 minutes', 10),
    ('draw_register', 'phone',   interval '10 minutes', 10),
    ('draw_register', 'address', interval '10 minutes', 3000);

-- The counters. window_start is date_bin(window, now(), epoch): fixed
-- windows, so one row per key and window.
CREATE UNLOGGED TABLE rate_limits (
    action       text NOT NULL,
    key          text NOT NULL,
    window_start timestamptz NOT NULL,
    window_end   timestamptz NOT NULL,
    hits         integer NOT NULL DEFAULT 1,
    PRIMARY KEY (action, key, window_start)
) WITH (fillfactor = 70);
CREATE INDEX rate_limits_end_idx ON rate_limits (window_end);
COMMENT ON TABLE rate_limits IS
    'Rate-limit counters (UNLOGGED: emptied by a crash); one row per action, key and fixed window; swept by rate_limit_sweep().';

-- Counts one hit of p_action by p_key in the current window of p_window
-- and returns true when that makes more than p_max (the action must be
-- refused). One statement; the row lock is held until the caller's
-- transaction ends, so call it in its own short transaction (autocommit)
-- or last.
CREATE FUNCTION rate_limit_hit(p_action text, p_key text, p_window interval, p_max integer)
RETURNS boolean
LANGUAGE sql VOLATILE
AS $$
    INSERT INTO rate_limits AS r (action, key, window_start, window_end)
    VALUES (p_action, p_key,
            date_bin(p_window, now(), timestamptz '2000-01-01 00:00+00'),
            date_bin(p_window, now(), timestamptz '2000-01-01 00:00+00') + p_window)
    ON CONFLICT (action, key, window_start) DO UPDATE SET hits = r.hits + 1
    RETURNING r.hits > p_max
$$;
COMMENT ON FUNCTION rate_limit_hit(text, text, interval, integer) IS
    'Count one hit of an action by a key in the current fixed window; true when the count now exceeds p_max (refuse).';

-- Counts one hit of p_action for each (scope, key) pair given (NULL or
-- empty keys are skipped) under the rules of rate_limit_rules, in one
-- statement, rows locked in key order (no deadlock between two calls);
-- returns the first scope (in the order given) whose limit is exceeded, or
-- NULL. Scopes without a rule are not counted.
CREATE FUNCTION rate_limit_check(p_action text, p_scopes text[], p_keys text[])
RETURNS text
LANGUAGE sql VOLATILE
AS $$
    WITH k AS (
        SELECT s.scope, s.key, s.ord, r.window_size, r.max_hits
          FROM unnest(p_scopes, p_keys) WITH ORDINALITY AS s (scope, key, ord)
          JOIN rate_limit_rules r ON r.action = p_action AND r.scope = s.scope
         WHERE nullif(s.key, '') IS NOT NULL
    ), hit AS (
        INSERT INTO rate_limits AS r (action, key, window_start, window_end)
        SELECT p_action, k.scope || ':' || k.key,
               date_bin(k.window_size, now(), timestamptz '2000-01-01 00:00+00'),
               date_bin(k.window_size, now(), timestamptz '2000-01-01 00:00+00') + k.window_size
          FROM k ORDER BY k.scope || ':' || k.key
        ON CONFLICT (action, key, window_start) DO UPDATE SET hits = r.hits + 1
        RETURNING r.key, r.hits
    )
    SELECT k.scope FROM hit JOIN k ON hit.key = k.scope || ':' || k.key
     WHERE hit.hits > k.max_hits
     ORDER BY k.ord LIMIT 1
$$;
COMMENT ON FUNCTION rate_limit_check(text, text[], text[]) IS
    'Count one hit of an action per (scope, key) under rate_limit_rules, in one statement; the first scope over its limit, or NULL.';

-- The hits of a key in the current window of an action's rule for a scope,
-- without counting one (0 when none).
CREATE FUNCTION rate_limit_hits(p_action text, p_scope text, p_key text)
RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT l.hits FROM rate_limits l
                      WHERE l.action = p_action AND l.key = p_scope || ':' || p_key
                        AND l.window_start = date_bin(r.window_size, now(),
                                                      timestamptz '2000-01-01 00:00+00')), 0)
      FROM rate_limit_rules r WHERE r.action = p_action AND r.scope = p_scope
$$;

-- Deletes the counters of windows that have ended; returns how many.
CREATE FUNCTION rate_limit_sweep() RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    WITH d AS (DELETE FROM rate_limits WHERE window_end <= now() RETURNING 1)
    SELECT count(*)::integer FROM d
$$;
COMMENT ON FUNCTION rate_limit_sweep() IS
    'Delete rate-limit counters whose window has ended (creneau-admin sweep); returns how many.';

-- Every booking made counts against its identity ('booking_made'): the
-- hold's own transaction bumps one counter row of that identity only.
CREATE FUNCTION creneau_bookings_count_made() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    PERFORM rate_limit_check('booking_made', ARRAY['identity'],
                             ARRAY[encode(NEW.identity_key, 'hex')]);
    RETURN NULL;
END
$$;
CREATE TRIGGER bookings_count_made AFTER INSERT ON bookings
    FOR EACH ROW EXECUTE FUNCTION creneau_bookings_count_made();

-- The check the booking form makes before booking_hold, in its own
-- statement: counts the attempt per e-mail, phone and address digest and
-- looks (without counting) at the bookings this identity made in the
-- current window. Returns the scope refused ('identity', 'email', 'phone',
-- 'address') or '' when the attempt may go on. The identity key is the
-- one booking_hold will compute (AGDREF only for procedures requiring it).
CREATE FUNCTION booking_rate_check(p_slot_id bigint, p_secret bytea, p_surname text,
                                   p_given_names text, p_birth_date date, p_agdref text,
                                   p_email text, p_phone text, p_address text)
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
    v_ident := encode(creneau_identity_key(p_secret,
                          CASE WHEN v_agdref THEN p_agdref END,
                          p_surname, p_given_names, p_birth_date), 'hex');
    IF rate_limit_hits('booking_made', 'identity', v_ident)
       >= coalesce((SELECT max_hits FROM rate_limit_rules
                     WHERE action = 'booking_made' AND scope = 'identity'), 2147483647) THEN
        RETURN 'identity';
    END IF;
    v_scope := rate_limit_check('booking_hold', ARRAY['email', 'phone', 'address'],
        ARRAY[encode(hmac(convert_to(lower(nullif(btrim(p_email), '')), 'UTF8'),
                          p_secret, 'sha256'), 'hex'),
              encode(hmac(convert_to(creneau_normalise_phone(nullif(btrim(p_phone), '')), 'UTF8'),
                          p_secret, 'sha256'), 'hex'),
              p_address]);
    RETURN coalesce(v_scope, '');
END
$$;
COMMENT ON FUNCTION booking_rate_check(bigint, bytea, text, text, date, text, text, text, text) IS
    'Rate limits of the booking form, before booking_hold: '''' to go on, else the scope refused (identity, email, phone, address).';

------------------------------------------------------------------------------
-- The waiting room's view of the releases (fcgi/web/waitroom.c keeps it in a
-- per-worker cache refreshed every few seconds, so waiting costs no
-- database work).
CREATE INDEX IF NOT EXISTS slots_published_at_idx ON slots (published_at);

-- For each open procedure at a site: the latest publication time of its
-- future slots between now() - p_after and now() + p_before, with the
-- site's slug, the procedure's code, the UTC offset of the site's zone at
-- that time (seconds), the procedure's name in each language of p_langs
-- ('lang:name', lang being the language the name is really in),
-- the site's name and the ids of the slots published then.
CREATE FUNCTION waiting_room_releases(p_before interval, p_after interval, p_langs text[])
RETURNS TABLE (site_id bigint, procedure_id bigint, site_slug text, procedure_code text,
               publish_epoch bigint, utc_offset integer, site_name text,
               procedure_names text[], slot_ids bigint[])
LANGUAGE sql STABLE
AS $$
    SELECT DISTINCT ON (r.site_id, r.procedure_id)
           r.site_id, r.procedure_id, st.slug, p.code,
           extract(epoch FROM r.published_at)::bigint,
           extract(epoch FROM (r.published_at AT TIME ZONE st.time_zone)
                              - (r.published_at AT TIME ZONE 'UTC'))::integer,
           st.name,
           ARRAY(SELECT t.lang || ':' || t.name
                   FROM unnest(p_langs) WITH ORDINALITY AS l (lang, n)
                  CROSS JOIN LATERAL procedure_text(p.id, l.lang) t ORDER BY l.n),
           r.ids
      FROM (SELECT s.site_id, s.procedure_id, s.published_at,
                   array_agg(s.id ORDER BY s.id) AS ids
              FROM slots s
             WHERE s.published_at BETWEEN now() - p_after AND now() + p_before
               AND s.starts_at > now()
             GROUP BY s.site_id, s.procedure_id, s.published_at) r
      JOIN sites st ON st.id = r.site_id
      JOIN procedures p ON p.id = r.procedure_id
     WHERE p.allocation_mode = 'open'
     ORDER BY r.site_id, r.procedure_id, r.published_at DESC
$$;
COMMENT ON FUNCTION waiting_room_releases(interval, interval, text[]) IS
    'Releases the waiting room guards: per open site procedure, the latest publication time within [now - p_after, now + p_before], with slugs, UTC offset, names and slot ids.';
