-- 022_global_admission.sql: creneau past one machine (issue 15).
--
-- Every application host (nginx + creneau-fcgi) registers in
-- creneau_hosts, at most once a second (one worker of the host does it,
-- after a request, fcgi/web/hosts.c). The table serves two ends:
--
--   * the waiting room admits at ONE global rate whatever the number of
--     hosts: each host lets in admission_per_minute / (live hosts) a
--     minute, the live hosts being those seen in the last LIVE seconds
--     (creneau_host_beat returns their count);
--   * the streaming standby's freshness: the rows are written on the
--     primary with the primary's clock, so on the standby
--     creneau_standby_staleness() (now minus the newest beat replayed)
--     bounds how old what the standby shows is, also when the primary has
--     nothing else to write (pg_last_xact_replay_timestamp() grows old on
--     an idle primary although the standby is current). The table is
--     logged: an UNLOGGED table is not replicated.

CREATE TABLE IF NOT EXISTS creneau_hosts (
	name	text PRIMARY KEY CHECK (length(name) BETWEEN 1 AND 300),
	seen_at	timestamptz NOT NULL DEFAULT now()
);

COMMENT ON TABLE creneau_hosts IS
	'Application hosts and when each last said it was alive (issue 15): '
	'the waiting room''s rate is shared among the live ones, and the standby '
	'measures its staleness by the newest row it has replayed.';

-- Its functions (creneau_host_beat, creneau_standby_staleness) are in
-- schema/code/hosts.sql.
