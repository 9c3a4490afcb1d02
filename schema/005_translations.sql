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
--
-- The functions, views and triggers of this migration are in
-- schema/code/bootstrap.sql, schema/code/booking.sql, schema/code/translations.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

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
