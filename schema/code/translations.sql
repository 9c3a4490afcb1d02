-- schema/code/translations.sql
--
-- Texts of procedures and sites in the visitor's language (005).
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- The language code a caller's value stands for: lower case, region and
-- variant dropped ('en-GB', 'EN_gb' and 'en' all give 'en'); NULL stays
-- NULL. Lets the C code pass what it has without trimming it first.
CREATE OR REPLACE FUNCTION creneau_base_lang(p_lang text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT regexp_replace(lower(btrim(p_lang)), '[-_].*$', '')
$$;
COMMENT ON FUNCTION creneau_base_lang(text) IS
    'Language code without region or variant, in lower case: en-GB -> en.';

------------------------------------------------------------------------------
-- The texts of procedure p_procedure_id in language p_lang: one row (none
-- for an unknown procedure) with name, description, the documents to bring
-- one per line (as the C code shows them), and the language the texts are
-- really in: p_lang when a translation exists, otherwise the French base
-- texts and lang = 'fr'. p_lang may be NULL, 'fr', or carry a region
-- ('en-GB').
CREATE OR REPLACE FUNCTION procedure_text(p_procedure_id bigint, p_lang text)
RETURNS TABLE (name text, description text, documents text, lang text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(t.name, p.name),
           coalesce(t.description, p.description),
           array_to_string(coalesce(t.documents, p.documents), E'\n'),
           coalesce(t.lang, 'fr')
      FROM procedures p
      LEFT JOIN procedure_translations t
             ON t.procedure_id = p.id AND t.lang = creneau_base_lang(p_lang)
     WHERE p.id = p_procedure_id
$$;
COMMENT ON FUNCTION procedure_text(bigint, text) IS
    'Name, description and documents (one per line) of a procedure in the language asked for, or in French when not translated; lang says which.';

-- The alternative route of site p_site_id in language p_lang, or the
-- French one with lang = 'fr' when it is not translated; no row for an
-- unknown site.
CREATE OR REPLACE FUNCTION site_alternative_route(p_site_id bigint, p_lang text)
RETURNS TABLE (alternative_route text, lang text)
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
    SELECT coalesce(t.alternative_route, s.alternative_route),
           coalesce(t.lang, 'fr')
      FROM sites s
      LEFT JOIN site_translations t
             ON t.site_id = s.id AND t.lang = creneau_base_lang(p_lang)
     WHERE s.id = p_site_id
$$;
COMMENT ON FUNCTION site_alternative_route(bigint, text) IS
    'A site''s alternative route to an appointment in the language asked for, or in French when not translated; lang says which.';
