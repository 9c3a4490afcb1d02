-- t/sql/catalog.sql: prints the database's catalog as sorted lines, one
-- object a line, to compare two databases (a fresh install and an
-- upgraded one, t/admin/upgrade.t): the functions with their bodies
-- and comments, the views, the triggers, the tables' columns with their
-- defaults, the constraints and the indexes of creneau's schemas (public
-- and those the migrations make; the objects of extensions left out).
-- Run with psql -X -A -t.
WITH ext AS (
    SELECT objid FROM pg_depend WHERE deptype = 'e'
), ns AS (
    SELECT oid FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema$)'
)
SELECT line FROM (
    SELECT 'function ' || p.oid::regprocedure::text || E'\n'
           || pg_get_functiondef(p.oid)
           || E'\ncomment: ' || coalesce(obj_description(p.oid, 'pg_proc'), '') AS line
      FROM pg_proc p
     WHERE p.pronamespace IN (SELECT oid FROM ns)
       AND p.oid NOT IN (SELECT objid FROM ext)
    UNION ALL
    SELECT 'view ' || c.oid::regclass::text || E'\n' || pg_get_viewdef(c.oid)
           || E'\ncomment: ' || coalesce(obj_description(c.oid, 'pg_class'), '')
      FROM pg_class c
     WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('v', 'm')
       AND c.oid NOT IN (SELECT objid FROM ext)
    UNION ALL
    SELECT 'trigger ' || t.tgrelid::regclass::text || ' ' || t.tgname || ' '
           || pg_get_triggerdef(t.oid)
           || E'\ncomment: ' || coalesce(obj_description(t.oid, 'pg_trigger'), '')
      FROM pg_trigger t
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'column ' || c.oid::regclass::text || '.' || a.attname || ' '
           || format_type(a.atttypid, a.atttypmod)
           || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
           || coalesce(' default ' || pg_get_expr(d.adbin, d.adrelid), '')
      FROM pg_attribute a
      JOIN pg_class c ON c.oid = a.attrelid
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE c.relnamespace IN (SELECT oid FROM ns) AND c.relkind IN ('r', 'p', 'v')
       AND c.oid NOT IN (SELECT objid FROM ext)
       AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT 'constraint ' || c.conrelid::regclass::text || ' ' || c.conname || ' '
           || pg_get_constraintdef(c.oid)
      FROM pg_constraint c
     WHERE c.connamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'index ' || pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
     WHERE c.relnamespace IN (SELECT oid FROM ns)
    UNION ALL
    SELECT 'type ' || t.oid::regtype::text || ' ' || t.typtype::text
      FROM pg_type t
     WHERE t.typnamespace IN (SELECT oid FROM ns) AND t.typtype IN ('e', 'd', 'c')
       AND t.oid NOT IN (SELECT objid FROM ext)
       AND NOT EXISTS (SELECT 1 FROM pg_class c WHERE c.oid = t.typrelid AND c.relkind <> 'c')
) x
ORDER BY line;
