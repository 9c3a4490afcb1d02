-- 005_translations.sql: translations of the texts that live in the
-- database (issue 7). Sites and procedures keep their French text in their
-- own rows (French is the base language, always complete); the tables here
-- hold the other languages, one row per thing and language. A missing row
-- means "not translated yet": the functions below then return the French
-- text and say so (lang = 'fr'), so the page marks that passage
-- lang="fr" and a screen reader reads it with a French voice.
--
-- Applied by `creneau-admin migrate` inside one transaction; no BEGIN/COMMIT
-- here.

-- Is `l` a language code as the catalogues name them: two or three
-- lower-case letters (ISO 639-1, or 639-2/3 where there is no 639-1 code)?
CREATE FUNCTION creneau_valid_lang(l text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT l ~ '^[a-z]{2,3}$'
$$;
COMMENT ON FUNCTION creneau_valid_lang(text) IS
    'True for a language code of two or three lower-case letters (en, ar, tzm).';

-- The language code a caller's value stands for: lower case, region and
-- variant dropped ('en-GB', 'EN_gb' and 'en' all give 'en'); NULL stays
-- NULL. Lets the C code pass what it has without trimming it first.
CREATE FUNCTION creneau_base_lang(p_lang text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT regexp_replace(lower(btrim(p_lang)), '[-_].*$', '')
$$;
COMMENT ON FUNCTION creneau_base_lang(text) IS
    'Language code without region or variant, in lower case: en-GB -> en.';

------------------------------------------------------------------------------
CREATE TABLE procedure_translations (
    procedure_id bigint NOT NULL REFERENCES procedures (id) ON DELETE CASCADE,
    lang         text NOT NULL
                 CONSTRAINT procedure_translations_lang_format CHECK (creneau_valid_lang(lang))
                 -- French is the procedures row itself: a 'fr' row here
                 -- would be a second, diverging French text.
                 CONSTRAINT procedure_translations_not_french CHECK (lang <> 'fr'),
    name         text NOT NULL CHECK (btrim(name) <> '' AND length(name) <= 200),
    description  text NOT NULL,
    documents    text[] NOT NULL DEFAULT '{}'
                 CONSTRAINT procedure_translations_documents_no_nulls
                 CHECK (array_position(documents, NULL) IS NULL),
    PRIMARY KEY (procedure_id, lang)
);
COMMENT ON TABLE procedure_translations IS
    'A procedure''s name, description and documents to bring in a language other than French. All three are translated together: a row is a complete translation.';
COMMENT ON COLUMN procedure_translations.documents IS
    'The documents to bring, one element per document, in the order of procedures.documents.';

------------------------------------------------------------------------------
CREATE TABLE site_translations (
    site_id           bigint NOT NULL REFERENCES sites (id) ON DELETE CASCADE,
    lang              text NOT NULL
                      CONSTRAINT site_translations_lang_format CHECK (creneau_valid_lang(lang))
                      CONSTRAINT site_translations_not_french CHECK (lang <> 'fr'),
    alternative_route text NOT NULL CHECK (btrim(alternative_route) <> ''),
    PRIMARY KEY (site_id, lang)
);
COMMENT ON TABLE site_translations IS
    'A site''s alternative route to an appointment (sites.alternative_route) in a language other than French.';

------------------------------------------------------------------------------
-- The texts of procedure p_procedure_id in language p_lang: one row (none
-- for an unknown procedure) with name, description, the documents to bring
-- one per line (as the C code shows them), and the language the texts are
-- really in: p_lang when a translation exists, otherwise the French base
-- texts and lang = 'fr'. p_lang may be NULL, 'fr', or carry a region
-- ('en-GB').
CREATE FUNCTION procedure_text(p_procedure_id bigint, p_lang text)
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
CREATE FUNCTION site_alternative_route(p_site_id bigint, p_lang text)
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
               'documents', to_jsonb(string_to_array(t.documents, E'\n')), 'lang', d.lang)
      FROM booking_details d CROSS JOIN LATERAL procedure_text(d.procedure_id, d.lang) t
     WHERE d.id = p_booking_id
$$;
