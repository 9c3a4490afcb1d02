#!/bin/sh
# Translations of database texts (schema/code/translations.sql): the
# procedure_text and site_alternative_route functions fall back to the
# French base row with lang = 'fr', a translation wins with its own lang,
# the tables refuse malformed rows, and every translation keeps its French
# row's number of documents. With the demo data loaded, every demo
# procedure and site has its English and Arabic texts.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
-- Fixture: test-proc (from tap.sql) gets documents and an English
-- translation; test-unoffered stays untranslated. test-paris gets an
-- Arabic alternative route; test-cayenne none.
UPDATE procedures SET documents = ARRAY['Passeport', 'Justificatif de domicile']
 WHERE code = 'test-proc';
INSERT INTO procedure_translations (procedure_id, lang, name, description, documents)
VALUES (pg_temp.proc('test-proc'), 'en', 'Test procedure', 'For the tests.',
        ARRAY['Passport', 'Proof of address']);
INSERT INTO site_translations (site_id, lang, alternative_route)
VALUES (pg_temp.site('test-paris'), 'ar', 'اتصلوا بنا.');

-- procedure_text
SELECT pg_temp.is((SELECT row(t.*)::text FROM procedure_text(pg_temp.proc('test-proc'), 'en') t),
                  row('Test procedure', 'For the tests.', E'Passport\nProof of address', 'en')::text,
                  'procedure_text: the translation wins, documents one per line, lang = en');
SELECT pg_temp.is((SELECT row(t.*)::text FROM procedure_text(pg_temp.proc('test-proc'), 'ar') t),
                  row('Démarche de test', 'Pour les tests.', E'Passeport\nJustificatif de domicile', 'fr')::text,
                  'procedure_text: no Arabic translation, so the French base texts with lang = fr');
SELECT pg_temp.is((SELECT t.lang FROM procedure_text(pg_temp.proc('test-proc'), 'fr') t),
                  'fr', 'procedure_text: French asked, French given');
SELECT pg_temp.is((SELECT t.lang FROM procedure_text(pg_temp.proc('test-proc'), NULL) t),
                  'fr', 'procedure_text: no language given, French');
SELECT pg_temp.is((SELECT t.name || '/' || t.lang FROM procedure_text(pg_temp.proc('test-proc'), 'en-GB') t),
                  'Test procedure/en', 'procedure_text: a region is dropped (en-GB finds en)');
SELECT pg_temp.is((SELECT t.name || '/' || t.lang FROM procedure_text(pg_temp.proc('test-proc'), 'EN') t),
                  'Test procedure/en', 'procedure_text: the code is compared in lower case');
SELECT pg_temp.is((SELECT t.name || '/' || t.lang FROM procedure_text(pg_temp.proc('test-unoffered'), 'en') t),
                  'Démarche non proposée/fr', 'procedure_text: an untranslated procedure falls back to French');
SELECT pg_temp.is((SELECT t.documents FROM procedure_text(pg_temp.proc('test-unoffered'), 'en') t),
                  '', 'procedure_text: no documents gives an empty text, not NULL');
SELECT pg_temp.is((SELECT count(*)::integer FROM procedure_text(-1, 'en')),
                  0, 'procedure_text: no row for an unknown procedure');
UPDATE procedure_translations SET name = 'Test procedure, corrected'
 WHERE procedure_id = pg_temp.proc('test-proc') AND lang = 'en';
SELECT pg_temp.is((SELECT t.name FROM procedure_text(pg_temp.proc('test-proc'), 'en') t),
                  'Test procedure, corrected', 'procedure_text: a corrected translation shows at once');

-- site_alternative_route
SELECT pg_temp.is((SELECT row(t.*)::text FROM site_alternative_route(pg_temp.site('test-paris'), 'ar') t),
                  row('اتصلوا بنا.', 'ar')::text, 'site_alternative_route: the translation wins, lang = ar');
SELECT pg_temp.is((SELECT row(t.*)::text FROM site_alternative_route(pg_temp.site('test-paris'), 'en') t),
                  row('Appelez-nous.', 'fr')::text, 'site_alternative_route: no English, so French with lang = fr');
SELECT pg_temp.is((SELECT row(t.*)::text FROM site_alternative_route(pg_temp.site('test-cayenne'), 'ar') t),
                  row('Appelez-nous.', 'fr')::text, 'site_alternative_route: an untranslated site falls back to French');
SELECT pg_temp.is((SELECT t.lang FROM site_alternative_route(pg_temp.site('test-paris'), NULL) t),
                  'fr', 'site_alternative_route: no language given, French');
SELECT pg_temp.is((SELECT count(*)::integer FROM site_alternative_route(-1, 'ar')),
                  0, 'site_alternative_route: no row for an unknown site');
SELECT pg_temp.is((SELECT string_agg(s.slug || ':' || t.lang, ' ' ORDER BY s.slug)
                     FROM sites s, LATERAL site_alternative_route(s.id, 'ar') t
                    WHERE s.slug LIKE 'test-%'),
                  'test-cayenne:fr test-other:fr test-paris:ar',
                  'site_alternative_route works per row in a LATERAL join');

-- Constraints
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (pg_temp.proc('test-unoffered'), 'en-GB', 'x', 'x')$$,
                      '23514', 'procedure_translations_lang_format', 'a language code with a region is refused');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (pg_temp.proc('test-unoffered'), 'EN', 'x', 'x')$$,
                      '23514', 'procedure_translations_lang_format', 'an upper-case language code is refused');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (pg_temp.proc('test-unoffered'), 'fr', 'x', 'x')$$,
                      '23514', 'procedure_translations_not_french', 'French is the base row, not a translation');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (pg_temp.proc('test-proc'), 'en', 'x', 'x')$$,
                      '23505', 'procedure_translations_pkey', 'one translation per procedure and language');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (pg_temp.proc('test-unoffered'), 'de', ' ', 'x')$$,
                      '23514', NULL, 'an empty name is refused');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description, documents)
                        VALUES (pg_temp.proc('test-unoffered'), 'de', 'x', 'x', ARRAY['a', NULL])$$,
                      '23514', 'procedure_translations_documents_no_nulls', 'a NULL document is refused');
SELECT pg_temp.throws($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                        VALUES (-1, 'de', 'x', 'x')$$,
                      '23503', NULL, 'a translation of an unknown procedure is refused');
SELECT pg_temp.lives($$INSERT INTO procedure_translations (procedure_id, lang, name, description)
                       VALUES (pg_temp.proc('test-unoffered'), 'tzm', 'x', 'x')$$,
                     'a three-letter language code is accepted');
SELECT pg_temp.throws($$INSERT INTO site_translations (site_id, lang, alternative_route)
                        VALUES (pg_temp.site('test-cayenne'), 'a', 'x')$$,
                      '23514', 'site_translations_lang_format', 'site_translations: a one-letter code is refused');
SELECT pg_temp.throws($$INSERT INTO site_translations (site_id, lang, alternative_route)
                        VALUES (pg_temp.site('test-cayenne'), 'fr', 'x')$$,
                      '23514', 'site_translations_not_french', 'site_translations: French is the base row');
SELECT pg_temp.throws($$INSERT INTO site_translations (site_id, lang, alternative_route)
                        VALUES (pg_temp.site('test-cayenne'), 'en', '  ')$$,
                      '23514', NULL, 'site_translations: an empty alternative route is refused');
SELECT pg_temp.throws($$INSERT INTO site_translations (site_id, lang, alternative_route)
                        VALUES (pg_temp.site('test-paris'), 'ar', 'x')$$,
                      '23505', 'site_translations_pkey', 'site_translations: one per site and language');

-- Every translation (the demo's included) lists as many documents as the
-- French row: a dropped line would send someone without a document.
SELECT pg_temp.is((SELECT string_agg(p.code || ':' || t.lang, ' ' ORDER BY p.code, t.lang)
                     FROM procedure_translations t JOIN procedures p ON p.id = t.procedure_id
                    WHERE cardinality(t.documents) <> cardinality(p.documents)),
                  NULL, 'every translation has as many documents as its French row');

-- The demo data: every demo procedure and site translated into en and ar.
SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sites WHERE slug = 'prefecture-val-de-marne')
            THEN 'ok ' || nextval('tap_n') || ' # SKIP the demo data is not loaded'
            ELSE pg_temp.is((SELECT string_agg(p.code || ':' || l, ' ' ORDER BY p.code, l)
                               FROM procedures p CROSS JOIN unnest(ARRAY['en', 'ar']) AS l
                              WHERE p.code NOT LIKE 'test-%'
                                AND (SELECT t.lang FROM procedure_text(p.id, l) t) <> l),
                            NULL, 'demo: every procedure has its English and Arabic texts')
       END;
SELECT CASE WHEN NOT EXISTS (SELECT 1 FROM sites WHERE slug = 'prefecture-val-de-marne')
            THEN 'ok ' || nextval('tap_n') || ' # SKIP the demo data is not loaded'
            ELSE pg_temp.is((SELECT string_agg(s.slug || ':' || l, ' ' ORDER BY s.slug, l)
                               FROM sites s CROSS JOIN unnest(ARRAY['en', 'ar']) AS l
                              WHERE s.slug NOT LIKE 'test-%'
                                AND (SELECT t.lang FROM site_alternative_route(s.id, l) t) <> l),
                            NULL, 'demo: every site has its alternative route in English and Arabic')
       END;
SQL
