-- schema/code/limits.sql
--
-- Rate limits (fixed windows) and the waiting room's releases (014).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Counts one hit of p_action by p_key in the current window of p_window
-- and returns true when that makes more than p_max (the action must be
-- refused). One statement; the row lock is held until the caller's
-- transaction ends, so call it in its own short transaction (autocommit)
-- or last.
CREATE OR REPLACE FUNCTION rate_limit_hit(p_action text, p_key text, p_window interval, p_max integer)
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
CREATE OR REPLACE FUNCTION rate_limit_check(p_action text, p_scopes text[], p_keys text[])
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
CREATE OR REPLACE FUNCTION rate_limit_hits(p_action text, p_scope text, p_key text)
RETURNS integer
LANGUAGE sql STABLE
AS $$
    SELECT coalesce((SELECT l.hits FROM rate_limits l
                      WHERE l.action = p_action AND l.key = p_scope || ':' || p_key
                        AND l.window_start = date_bin(r.window_size, now(),
                                                      timestamptz '2000-01-01 00:00+00')), 0)
      FROM rate_limit_rules r WHERE r.action = p_action AND r.scope = p_scope
$$;

-- The sweep of the rate limits also forgets the form origins older
-- than any hold.
CREATE OR REPLACE FUNCTION rate_limit_sweep() RETURNS integer
LANGUAGE sql VOLATILE
AS $$
    WITH o AS (DELETE FROM hold_origins WHERE created_at <= now() - interval '1 day'),
         d AS (DELETE FROM rate_limits WHERE window_end <= now() RETURNING 1)
    SELECT count(*)::integer FROM d
$$;
COMMENT ON FUNCTION rate_limit_sweep() IS
    'Delete rate-limit counters whose window has ended and form origins older than a day (creneau-admin sweep); returns how many counters.';

-- Every booking made counts against its identity ('booking_made'): the
-- hold's own transaction bumps one counter row of that identity only.
CREATE OR REPLACE FUNCTION creneau_bookings_count_made() RETURNS trigger
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

-- For each open procedure at a site: the latest publication time of its
-- future slots between now() - p_after and now() + p_before, with the
-- site's slug, the procedure's code, the UTC offset of the site's zone at
-- that time (seconds), the procedure's name in each language of p_langs
-- ('lang:name', lang being the language the name is really in),
-- the site's name and the ids of the slots published then.
CREATE OR REPLACE FUNCTION waiting_room_releases(p_before interval, p_after interval, p_langs text[])
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
