-- schema/code/core.sql
--
-- Sites, counters, opening rules, closures and slots
-- (001_core.sql): site_id filled from the counter.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Fill NEW.site_id from NEW.counter_id when the caller left it NULL, so
-- inserts into opening_rules, closures and slots may name only the counter;
-- the composite foreign keys then check any site_id that was given.
CREATE OR REPLACE FUNCTION creneau_fill_site_id() RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
    IF NEW.site_id IS NULL AND NEW.counter_id IS NOT NULL THEN
        SELECT c.site_id INTO NEW.site_id FROM counters c WHERE c.id = NEW.counter_id;
    END IF;
    RETURN NEW;
END
$$;
COMMENT ON FUNCTION creneau_fill_site_id() IS
    'Trigger: default site_id to the site of counter_id.';

CREATE TRIGGER opening_rules_fill_site_id BEFORE INSERT ON opening_rules
    FOR EACH ROW EXECUTE FUNCTION creneau_fill_site_id();

CREATE TRIGGER closures_fill_site_id BEFORE INSERT ON closures
    FOR EACH ROW EXECUTE FUNCTION creneau_fill_site_id();

CREATE TRIGGER slots_fill_site_id BEFORE INSERT ON slots
    FOR EACH ROW EXECUTE FUNCTION creneau_fill_site_id();
