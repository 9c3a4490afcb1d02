-- schema/code/hosts.sql
--
-- The application hosts and their beats (022): one global admission
-- rate for the waiting room whatever the number of hosts, and how stale
-- a streaming standby is.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Registers host p_name as alive now; returns how many hosts are alive
-- (seen within p_live_seconds, this one included). Rows of hosts gone for
-- a day are removed.
CREATE OR REPLACE FUNCTION creneau_host_beat(p_name text, p_live_seconds int)
RETURNS int
LANGUAGE sql
AS $$
	DELETE FROM creneau_hosts WHERE seen_at < now() - interval '1 day';
	INSERT INTO creneau_hosts (name, seen_at) VALUES (p_name, now())
	ON CONFLICT (name) DO UPDATE SET seen_at = excluded.seen_at;
	SELECT count(*)::int FROM creneau_hosts
	 WHERE seen_at > now() - make_interval(secs => greatest(p_live_seconds, 1));
$$;

-- On a standby: seconds between now and the newest host beat replayed,
-- an upper bound of how stale its data is (plus the beat interval, one
-- second). NULL on a server that is not in recovery (a primary, or a
-- promoted standby while the configuration still calls it the standby:
-- reading from it could show another history) and when no beat was ever
-- replayed.
CREATE OR REPLACE FUNCTION creneau_standby_staleness()
RETURNS double precision
LANGUAGE sql
STABLE
AS $$
	SELECT CASE WHEN pg_is_in_recovery()
		THEN extract(epoch FROM clock_timestamp() - max(seen_at))::double precision
		END
	  FROM creneau_hosts;
$$;
