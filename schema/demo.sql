-- demo.sql: demonstration data for creneau (NOT a migration).
--
-- Load after the migrations: psql -v ON_ERROR_STOP=1 -f schema/demo.sql
-- Re-runnable: every insert is keyed on a natural key (slug, code, counter
-- name…) and skips rows that already exist; it never deletes, so slots and
-- whatever refers to them survive a reload. Generates three weeks of
-- published slots from today, then adds slots published in a few days
-- (Nogent-sur-Marne, licence exchange) and the demo AGDREF numbers.
--
-- Addresses and switchboard numbers are the public ones as best known when
-- written; check them before showing the demo to anyone from those sites.

BEGIN;

------------------------------------------------------------------------------
-- Sites
INSERT INTO sites (slug, name, kind, department_code, department_name, address,
                   postal_code, city, phone, time_zone, alternative_route)
VALUES
('prefecture-val-de-marne', 'Préfecture du Val-de-Marne', 'prefecture', '94', 'Val-de-Marne',
 '21-29, avenue du Général-de-Gaulle', '94000', 'Créteil', '01 49 56 60 00', 'Europe/Paris',
 'Si aucun rendez-vous n’est disponible en ligne, vous avez d’autres moyens d’obtenir un rendez-vous : '
 || 'appeler le standard de la préfecture au 01 49 56 60 00, du lundi au vendredi de 9 h à 16 h ; '
 || 'écrire à la Préfecture du Val-de-Marne, direction des migrations et de l’intégration, 21-29, avenue du Général-de-Gaulle, 94038 Créteil Cedex, '
 || 'en joignant la copie de votre passeport ou de votre titre de séjour et un moyen de vous joindre ; '
 || 'vous présenter à l’accueil général de la préfecture aux heures d’ouverture. '
 || 'Un espace France Services ou un point d’accueil numérique proche de chez vous peut faire la démarche avec vous (liste sur france-services.gouv.fr). '
 || 'Gardez une trace de vos tentatives (captures d’écran datées) : elles vous serviront si vous devez saisir le tribunal administratif.'),
('sous-prefecture-nogent-sur-marne', 'Sous-préfecture de Nogent-sur-Marne', 'sous-prefecture', '94', 'Val-de-Marne',
 '4, avenue de Lattre-de-Tassigny', '94130', 'Nogent-sur-Marne', '01 49 56 60 00', 'Europe/Paris',
 'Si aucun rendez-vous n’est disponible en ligne, appelez le standard de la préfecture du Val-de-Marne au 01 49 56 60 00 (du lundi au vendredi, de 9 h à 16 h), '
 || 'écrivez à la Sous-préfecture de Nogent-sur-Marne, 4, avenue de Lattre-de-Tassigny, 94130 Nogent-sur-Marne, '
 || 'ou présentez-vous à l’accueil aux heures d’ouverture. '
 || 'Les rendez-vous de la préfecture à Créteil et de la sous-préfecture de L’Haÿ-les-Roses sont aussi ouverts aux habitants de l’arrondissement. '
 || 'Un espace France Services proche de chez vous peut vous aider (liste sur france-services.gouv.fr).'),
('sous-prefecture-l-hay-les-roses', 'Sous-préfecture de L’Haÿ-les-Roses', 'sous-prefecture', '94', 'Val-de-Marne',
 '2, avenue Larroumès', '94240', 'L’Haÿ-les-Roses', '01 49 56 60 00', 'Europe/Paris',
 'Si aucun rendez-vous n’est disponible en ligne, appelez le standard de la préfecture du Val-de-Marne au 01 49 56 60 00 (du lundi au vendredi, de 9 h à 16 h), '
 || 'écrivez à la Sous-préfecture de L’Haÿ-les-Roses, 2, avenue Larroumès, 94240 L’Haÿ-les-Roses, '
 || 'ou présentez-vous à l’accueil aux heures d’ouverture. '
 || 'Un espace France Services proche de chez vous peut vous aider (liste sur france-services.gouv.fr).'),
('prefecture-rhone', 'Préfecture du Rhône', 'prefecture', '69', 'Rhône',
 '106, rue Pierre-Corneille', '69003', 'Lyon', '04 72 61 60 60', 'Europe/Paris',
 'Si aucun rendez-vous n’est disponible en ligne : appelez le standard de la préfecture au 04 72 61 60 60, du lundi au vendredi ; '
 || 'écrivez à la Préfecture du Rhône, direction des migrations et de l’intégration, 106, rue Pierre-Corneille, 69419 Lyon Cedex 03, '
 || 'avec la copie de votre passeport ou de votre titre et vos coordonnées ; '
 || 'ou présentez-vous à l’accueil général aux heures d’ouverture. '
 || 'Les espaces France Services et les associations d’aide aux étrangers du Rhône peuvent prendre rendez-vous pour vous (liste sur france-services.gouv.fr).'),
('prefecture-guyane', 'Préfecture de la Guyane', 'prefecture', '973', 'Guyane',
 '1, rue Fiedmond', '97300', 'Cayenne', '05 94 39 45 00', 'America/Cayenne',
 'Si aucun rendez-vous n’est disponible en ligne : appelez le standard de la préfecture au 05 94 39 45 00, du lundi au vendredi ; '
 || 'écrivez à la Préfecture de la Guyane, direction générale de la sécurité, de la réglementation et des contrôles, 1, rue Fiedmond, BP 7008, 97307 Cayenne Cedex ; '
 || 'ou présentez-vous à l’accueil de la préfecture aux heures d’ouverture. '
 || 'Les habitants de l’Ouest guyanais peuvent s’adresser à la sous-préfecture de Saint-Laurent-du-Maroni. '
 || 'Un espace France Services proche de chez vous peut vous aider (liste sur france-services.gouv.fr).'),
('prefecture-la-reunion', 'Préfecture de La Réunion', 'prefecture', '974', 'La Réunion',
 '6, rue des Messageries', '97400', 'Saint-Denis', '02 62 40 77 77', 'Indian/Reunion',
 'Si aucun rendez-vous n’est disponible en ligne : appelez le standard de la préfecture au 02 62 40 77 77, du lundi au vendredi ; '
 || 'écrivez à la Préfecture de La Réunion, 6, rue des Messageries, 97405 Saint-Denis Cedex ; '
 || 'ou présentez-vous à l’accueil aux heures d’ouverture. '
 || 'Les sous-préfectures de Saint-Pierre, Saint-Paul et Saint-Benoît reçoivent aussi le public. '
 || 'Un espace France Services proche de chez vous peut vous aider (liste sur france-services.gouv.fr).')
ON CONFLICT (slug) DO NOTHING;

------------------------------------------------------------------------------
-- Procedures
INSERT INTO procedures (code, name, description, duration_minutes, requires_agdref,
                        allocation_mode, documents)
VALUES
('premiere-demande-titre-sejour', 'Première demande de titre de séjour',
 'Dépôt d’une première demande de carte de séjour (vie privée et familiale, étudiant, salarié…) lorsque la démarche ne peut pas être faite en ligne sur le site de l’ANEF. '
 || 'Vos empreintes et votre photo sont recueillies au guichet.',
 45, false, 'open',
 ARRAY['Passeport en cours de validité (toutes les pages)',
       'Acte de naissance avec filiation, traduit en français par un traducteur assermenté',
       'Justificatif de domicile de moins de 6 mois',
       '3 photographies d’identité récentes aux normes',
       'Justificatifs liés au motif du séjour (contrat de travail, certificat de scolarité, acte de mariage…)',
       'Timbre fiscal (acheté sur timbres.impots.gouv.fr), selon le titre demandé']),
('renouvellement-titre-sejour', 'Renouvellement d’un titre de séjour',
 'Renouvellement d’une carte de séjour arrivant à expiration, lorsque la demande ne peut pas être faite en ligne. '
 || 'Prenez rendez-vous dans les trois mois qui précèdent l’expiration de votre titre. Le numéro étranger (AGDREF, 10 chiffres, imprimé sur votre titre) est demandé.',
 30, true, 'open',
 ARRAY['Titre de séjour en cours de validité ou récépissé',
       'Passeport en cours de validité',
       'Justificatif de domicile de moins de 6 mois',
       '3 photographies d’identité récentes aux normes',
       'Justificatifs du maintien des conditions du titre (bulletins de salaire, certificat de scolarité…)',
       'Timbre fiscal, selon le titre demandé']),
('remise-titre-sejour', 'Remise d’un titre de séjour',
 'Retrait de votre carte de séjour lorsque vous avez reçu le SMS ou le courrier vous indiquant qu’elle est prête. Le titre doit être retiré en personne.',
 15, true, 'open',
 ARRAY['SMS ou courrier indiquant que le titre est disponible',
       'Passeport en cours de validité',
       'Ancien titre de séjour ou récépissé',
       'Timbre fiscal, si vous ne l’avez pas encore fourni']),
('naturalisation', 'Naturalisation par décret : entretien',
 'Entretien d’assimilation et vérification des pièces originales de votre demande de naturalisation déposée en ligne. '
 || 'Les places étant rares, elles sont attribuées par tirage au sort parmi les demandeurs inscrits.',
 60, false, 'draw',
 ARRAY['Convocation ou numéro de dossier de la demande en ligne',
       'Passeport et titre de séjour en cours de validité',
       'Originaux des actes d’état civil fournis en ligne',
       'Diplôme ou attestation de niveau de français (B1 oral et écrit)',
       'Trois derniers avis d’imposition']),
('echange-permis-etranger', 'Échange d’un permis de conduire étranger',
 'Dépôt de l’original de votre permis étranger en vue de son échange contre un permis français, lorsque votre demande en ligne l’exige. '
 || 'La demande doit être faite dans l’année qui suit l’obtention de votre premier titre de séjour.',
 30, false, 'open',
 ARRAY['Permis de conduire étranger original et sa traduction officielle',
       'Titre de séjour en cours de validité',
       'Justificatif de domicile de moins de 6 mois',
       'Attestation de droits à conduire délivrée par l’autorité qui a délivré le permis, de moins de 3 mois',
       'Numéro de la demande en ligne (ANTS)'])
ON CONFLICT (code) DO NOTHING;

------------------------------------------------------------------------------
-- Which site offers what. L’Haÿ-les-Roses offers first requests but has no
-- opening rule for them: the "nothing available" case.
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id
  FROM (VALUES
        ('prefecture-val-de-marne', 'premiere-demande-titre-sejour'),
        ('prefecture-val-de-marne', 'renouvellement-titre-sejour'),
        ('prefecture-val-de-marne', 'remise-titre-sejour'),
        ('prefecture-val-de-marne', 'naturalisation'),
        ('prefecture-val-de-marne', 'echange-permis-etranger'),
        ('sous-prefecture-nogent-sur-marne', 'renouvellement-titre-sejour'),
        ('sous-prefecture-nogent-sur-marne', 'remise-titre-sejour'),
        ('sous-prefecture-l-hay-les-roses', 'premiere-demande-titre-sejour'),
        ('sous-prefecture-l-hay-les-roses', 'renouvellement-titre-sejour'),
        ('sous-prefecture-l-hay-les-roses', 'remise-titre-sejour'),
        ('prefecture-rhone', 'premiere-demande-titre-sejour'),
        ('prefecture-rhone', 'renouvellement-titre-sejour'),
        ('prefecture-rhone', 'remise-titre-sejour'),
        ('prefecture-rhone', 'naturalisation'),
        ('prefecture-rhone', 'echange-permis-etranger'),
        ('prefecture-guyane', 'premiere-demande-titre-sejour'),
        ('prefecture-guyane', 'renouvellement-titre-sejour'),
        ('prefecture-guyane', 'remise-titre-sejour'),
        ('prefecture-guyane', 'naturalisation'),
        ('prefecture-la-reunion', 'renouvellement-titre-sejour'),
        ('prefecture-la-reunion', 'remise-titre-sejour'),
        ('prefecture-la-reunion', 'echange-permis-etranger')
       ) AS v (site_slug, procedure_code)
  JOIN sites s ON s.slug = v.site_slug
  JOIN procedures p ON p.code = v.procedure_code
ON CONFLICT DO NOTHING;

------------------------------------------------------------------------------
-- Counters
INSERT INTO counters (site_id, name)
SELECT s.id, v.name
  FROM (VALUES
        ('prefecture-val-de-marne', 'Guichet 1'),
        ('prefecture-val-de-marne', 'Guichet 2'),
        ('prefecture-val-de-marne', 'Guichet 3'),
        ('prefecture-val-de-marne', 'Guichet 4'),
        ('prefecture-val-de-marne', 'Bureau des naturalisations'),
        ('sous-prefecture-nogent-sur-marne', 'Guichet A'),
        ('sous-prefecture-nogent-sur-marne', 'Guichet B'),
        ('sous-prefecture-l-hay-les-roses', 'Guichet unique'),
        ('prefecture-rhone', 'Guichet 1'),
        ('prefecture-rhone', 'Guichet 2'),
        ('prefecture-rhone', 'Guichet 3'),
        ('prefecture-rhone', 'Bureau des naturalisations'),
        ('prefecture-guyane', 'Guichet 1'),
        ('prefecture-guyane', 'Guichet 2'),
        ('prefecture-la-reunion', 'Guichet 1'),
        ('prefecture-la-reunion', 'Guichet 2')
       ) AS v (site_slug, name)
  JOIN sites s ON s.slug = v.site_slug
ON CONFLICT (site_id, name) DO NOTHING;

------------------------------------------------------------------------------
-- Opening rules: local wall-clock times of each site; weekdays are ISO
-- (1 = Monday). A rule that overlaps an existing one on the same counter is
-- skipped (ON CONFLICT DO NOTHING covers the exclusion constraint), which is
-- what makes a reload harmless.
INSERT INTO opening_rules (site_id, counter_id, procedure_id, weekday, opens, closes,
                           slot_minutes, capacity, valid_from, valid_until)
SELECT c.site_id, c.id, p.id, wd, v.opens::time, v.closes::time, v.slot_minutes,
       v.capacity, DATE '2026-01-01', v.valid_until::date
  FROM (VALUES
        -- Créteil
        ('prefecture-val-de-marne', 'Guichet 1', 'premiere-demande-titre-sejour', '{1,2,3,4,5}', '09:00', '12:00', 45, 1, NULL),
        ('prefecture-val-de-marne', 'Guichet 1', 'renouvellement-titre-sejour',   '{1,2,3,4}',   '13:30', '16:30', 30, 1, NULL),
        ('prefecture-val-de-marne', 'Guichet 2', 'renouvellement-titre-sejour',   '{1,2,3,4,5}', '09:00', '12:00', 30, 1, NULL),
        ('prefecture-val-de-marne', 'Guichet 2', 'remise-titre-sejour',           '{1,2,3,4}',   '13:30', '16:00', 15, 2, NULL),
        ('prefecture-val-de-marne', 'Guichet 3', 'remise-titre-sejour',           '{1,2,3,4,5}', '09:00', '12:00', 15, 2, NULL),
        ('prefecture-val-de-marne', 'Guichet 4', 'echange-permis-etranger',       '{2,4}',       '09:00', '12:00', 30, 1, NULL),
        ('prefecture-val-de-marne', 'Bureau des naturalisations', 'naturalisation', '{1,2,4}',   '09:00', '12:00', 60, 1, NULL),
        ('prefecture-val-de-marne', 'Bureau des naturalisations', 'naturalisation', '{1,2,4}',   '14:00', '16:00', 60, 1, NULL),
        -- Nogent-sur-Marne
        ('sous-prefecture-nogent-sur-marne', 'Guichet A', 'renouvellement-titre-sejour', '{1,2,4,5}', '09:00', '12:00', 30, 1, NULL),
        ('sous-prefecture-nogent-sur-marne', 'Guichet B', 'remise-titre-sejour',         '{1,2,3,4,5}', '09:00', '12:00', 15, 1, NULL),
        ('sous-prefecture-nogent-sur-marne', 'Guichet B', 'remise-titre-sejour',         '{1,3}',       '13:30', '15:30', 15, 1, NULL),
        -- L’Haÿ-les-Roses: no rule for first requests.
        ('sous-prefecture-l-hay-les-roses', 'Guichet unique', 'renouvellement-titre-sejour', '{2,4}', '09:00', '12:00', 30, 1, NULL),
        ('sous-prefecture-l-hay-les-roses', 'Guichet unique', 'remise-titre-sejour',         '{2,4}', '13:30', '15:30', 15, 1, NULL),
        -- Lyon
        ('prefecture-rhone', 'Guichet 1', 'premiere-demande-titre-sejour', '{1,2,3,4,5}', '08:45', '11:45', 45, 1, NULL),
        ('prefecture-rhone', 'Guichet 1', 'echange-permis-etranger',       '{1,3}',       '13:30', '15:30', 30, 1, NULL),
        ('prefecture-rhone', 'Guichet 2', 'renouvellement-titre-sejour',   '{1,2,3,4,5}', '08:45', '11:45', 30, 1, NULL),
        ('prefecture-rhone', 'Guichet 2', 'renouvellement-titre-sejour',   '{1,2,3,4}',   '13:30', '16:00', 30, 1, NULL),
        ('prefecture-rhone', 'Guichet 3', 'remise-titre-sejour',           '{1,2,3,4,5}', '08:45', '12:00', 15, 2, NULL),
        ('prefecture-rhone', 'Bureau des naturalisations', 'naturalisation', '{2,4}',     '09:00', '12:00', 60, 1, NULL),
        -- Cayenne (America/Cayenne, UTC−3 all year)
        ('prefecture-guyane', 'Guichet 1', 'premiere-demande-titre-sejour', '{1,2,3,4,5}', '08:00', '11:00', 45, 1, NULL),
        ('prefecture-guyane', 'Guichet 1', 'naturalisation',                '{2}',         '13:00', '15:00', 60, 1, NULL),
        ('prefecture-guyane', 'Guichet 2', 'renouvellement-titre-sejour',   '{1,2,3,4,5}', '08:00', '12:00', 30, 1, NULL),
        ('prefecture-guyane', 'Guichet 2', 'remise-titre-sejour',           '{1,3}',       '13:00', '15:00', 15, 2, NULL),
        -- Saint-Denis de La Réunion (Indian/Reunion, UTC+4 all year)
        ('prefecture-la-reunion', 'Guichet 1', 'renouvellement-titre-sejour', '{1,2,3,4,5}', '08:00', '12:00', 30, 1, NULL),
        ('prefecture-la-reunion', 'Guichet 2', 'remise-titre-sejour',         '{1,2,3,4,5}', '08:00', '11:00', 15, 2, NULL),
        ('prefecture-la-reunion', 'Guichet 2', 'echange-permis-etranger',     '{2,4}',       '13:00', '15:00', 30, 1, '2027-12-31')
       ) AS v (site_slug, counter_name, procedure_code, weekdays, opens, closes,
               slot_minutes, capacity, valid_until)
  JOIN sites s ON s.slug = v.site_slug
  JOIN counters c ON c.site_id = s.id AND c.name = v.counter_name
  JOIN procedures p ON p.code = v.procedure_code
 CROSS JOIN LATERAL unnest(v.weekdays::smallint[]) AS wd
ON CONFLICT DO NOTHING;

------------------------------------------------------------------------------
-- Closures, relative to today so that they fall inside the generated weeks:
-- Créteil is closed all day on the first Wednesday at least 8 days ahead;
-- Lyon's Guichet 2 on the first Monday at least 3 days ahead.
INSERT INTO closures (site_id, counter_id, day, reason)
SELECT s.id, c.id, v.day, v.reason
  FROM (VALUES
        ('prefecture-val-de-marne', NULL,
         current_date + 8 + (3 - extract(isodow FROM current_date + 8)::integer + 7) % 7,
         'Fermeture exceptionnelle de l’accueil du public (formation des agents)'),
        ('prefecture-rhone', 'Guichet 2',
         current_date + 3 + (1 - extract(isodow FROM current_date + 3)::integer + 7) % 7,
         'Guichet fermé : maintenance du matériel de recueil des empreintes')
       ) AS v (site_slug, counter_name, day, reason)
  JOIN sites s ON s.slug = v.site_slug
  LEFT JOIN counters c ON c.site_id = s.id AND c.name = v.counter_name
ON CONFLICT DO NOTHING;

------------------------------------------------------------------------------
-- Three weeks of published slots from today.
SELECT generate_slots(NULL, current_date, current_date + 21) AS slots_created;

------------------------------------------------------------------------------
-- "Next slots will be published on …": Nogent-sur-Marne offers the exchange
-- of a foreign driving licence on Wednesday mornings at Guichet A (free on
-- Wednesdays), but its slots are not public yet: they are published at
-- 08:00 local time three days from the day this file is loaded. They are
-- inserted directly (no opening rule), so the generate_slots call above
-- never publishes them; a reload adds the later Wednesdays, each batch
-- with its own publication date, and leaves existing slots alone.
INSERT INTO site_procedures (site_id, procedure_id)
SELECT s.id, p.id FROM sites s, procedures p
 WHERE s.slug = 'sous-prefecture-nogent-sur-marne' AND p.code = 'echange-permis-etranger'
ON CONFLICT DO NOTHING;

INSERT INTO slots (site_id, counter_id, procedure_id, starts_at, ends_at, capacity, published_at)
SELECT c.site_id, c.id, p.id,
       (d.day + time '09:00' + make_interval(mins => 30 * k)) AT TIME ZONE s.time_zone,
       (d.day + time '09:30' + make_interval(mins => 30 * k)) AT TIME ZONE s.time_zone,
       1, (current_date + 3 + time '08:00') AT TIME ZONE s.time_zone
  FROM sites s
  JOIN counters c ON c.site_id = s.id AND c.name = 'Guichet A'
  JOIN procedures p ON p.code = 'echange-permis-etranger'
 CROSS JOIN LATERAL (SELECT current_date + i AS day FROM generate_series(7, 35) AS i) AS d
 CROSS JOIN generate_series(0, 5) AS k
 WHERE s.slug = 'sous-prefecture-nogent-sur-marne'
   AND extract(isodow FROM d.day) = 3
   AND NOT EXISTS (SELECT 1 FROM public_holidays h
                    WHERE h.day = d.day AND h.zone IN ('national', s.department_code))
ON CONFLICT DO NOTHING;

------------------------------------------------------------------------------
-- AGDREF numbers the renewal and collection procedures accept (the file
-- staff would import): 7501234567, 7509876543, 9401234567, 9407654321,
-- 6901234567, 6905555555, 9731234567, 9737654321, 9741234567, 9749876543.
INSERT INTO agdref_numbers (number)
SELECT v.number
  FROM (VALUES ('7501234567'), ('7509876543'), ('9401234567'), ('9407654321'),
               ('6901234567'), ('6905555555'), ('9731234567'), ('9737654321'),
               ('9741234567'), ('9749876543')) AS v (number)
ON CONFLICT (number) DO NOTHING;

COMMIT;

------------------------------------------------------------------------------
-- Translations (005_translations.sql): English and Arabic texts of every
-- demo procedure and of every demo site's alternative route. Keyed on the
-- procedure code / site slug and the language; a reload overwrites them
-- with the texts below (ON CONFLICT DO UPDATE), so a correction here takes
-- effect on the next load. Postal addresses, place names, AGDREF, ANEF,
-- ANTS and France Services stay as they are written in France.
--
-- In the Arabic texts, a space between two digits becomes a NO-BREAK SPACE
-- (chr(160)): for the bidi algorithm it is a number separator, so a phone
-- number such as 01 49 56 60 00 keeps its groups in order in
-- right-to-left text (with plain spaces they would show as 00 60 56 49 01).
BEGIN;

INSERT INTO procedure_translations (procedure_id, lang, name, description, documents)
SELECT p.id, v.lang, v.name,
       CASE WHEN v.lang = 'ar' THEN regexp_replace(v.description, '([0-9]) (?=[0-9])', '\1' || chr(160), 'g')
            ELSE v.description END,
       v.documents
  FROM (VALUES
('premiere-demande-titre-sejour', 'en', 'First application for a residence permit',
 'Filing a first application for a residence permit (private and family life, student, employee…) when it cannot be done online on the ANEF website. '
 || 'Your fingerprints and photo are taken at the counter.',
 ARRAY['Valid passport (all pages)',
       'Birth certificate showing your parents’ names, translated into French by a sworn translator',
       'Proof of address less than 6 months old',
       '3 recent identity photos that meet the standards',
       'Documents for the reason of your stay (employment contract, certificate of enrolment, marriage certificate…)',
       'Tax stamp (bought on timbres.impots.gouv.fr), depending on the permit applied for']),
('premiere-demande-titre-sejour', 'ar', 'الطلب الأول لتصريح الإقامة',
 'تقديم طلب أول للحصول على بطاقة إقامة (حياة خاصة وعائلية، طالب، أجير…) عندما لا يمكن تقديمه عبر الإنترنت على موقع ANEF. '
 || 'تؤخذ بصماتك وصورتك في الشباك.',
 ARRAY['جواز سفر ساري المفعول (جميع الصفحات)',
       'شهادة ميلاد تتضمن اسمي الوالدين، مترجمة إلى الفرنسية من قبل مترجم محلَّف',
       'إثبات سكن لا يزيد عمره على ستة أشهر',
       'ثلاث صور شخصية حديثة مطابقة للمعايير',
       'الوثائق المتعلقة بسبب الإقامة (عقد عمل، شهادة تسجيل دراسي، عقد زواج…)',
       'طابع جبائي (يُشترى من الموقع timbres.impots.gouv.fr)، حسب نوع التصريح المطلوب']),
('renouvellement-titre-sejour', 'en', 'Renewal of a residence permit',
 'Renewal of a residence permit that is about to expire, when the application cannot be made online. '
 || 'Book within the three months before your permit expires. Your foreign national number (AGDREF, 10 digits, printed on your permit) is required.',
 ARRAY['Valid residence permit or receipt (récépissé)',
       'Valid passport',
       'Proof of address less than 6 months old',
       '3 recent identity photos that meet the standards',
       'Proof that you still meet the conditions of your permit (payslips, certificate of enrolment…)',
       'Tax stamp, depending on the permit applied for']),
('renouvellement-titre-sejour', 'ar', 'تجديد تصريح الإقامة',
 'تجديد بطاقة إقامة توشك صلاحيتها على الانتهاء، عندما لا يمكن تقديم الطلب عبر الإنترنت. '
 || 'يُرجى حجز الموعد خلال الأشهر الثلاثة التي تسبق انتهاء صلاحية تصريحك. يُطلب رقم الأجنبي (AGDREF، 10 أرقام، مطبوع على تصريحك).',
 ARRAY['تصريح إقامة ساري المفعول أو وصل إيداع (récépissé)',
       'جواز سفر ساري المفعول',
       'إثبات سكن لا يزيد عمره على ستة أشهر',
       'ثلاث صور شخصية حديثة مطابقة للمعايير',
       'وثائق تثبت أنك ما زلت تستوفي شروط التصريح (كشوف الراتب، شهادة تسجيل دراسي…)',
       'طابع جبائي، حسب نوع التصريح المطلوب']),
('remise-titre-sejour', 'en', 'Collection of a residence permit',
 'Collecting your residence permit once you have received the text message or letter telling you it is ready. You must collect the permit in person.',
 ARRAY['The text message or letter saying that the permit is ready',
       'Valid passport',
       'Previous residence permit or receipt (récépissé)',
       'Tax stamp, if you have not provided it yet']),
('remise-titre-sejour', 'ar', 'استلام تصريح الإقامة',
 'استلام بطاقة إقامتك بعد أن تصلك الرسالة النصية أو الرسالة البريدية التي تخبرك بأنها جاهزة. يجب استلام التصريح شخصيًا.',
 ARRAY['الرسالة النصية أو الرسالة البريدية التي تخبرك بأن التصريح جاهز',
       'جواز سفر ساري المفعول',
       'تصريح الإقامة السابق أو وصل الإيداع (récépissé)',
       'طابع جبائي، إذا لم يسبق لك تقديمه']),
('naturalisation', 'en', 'Naturalisation by decree: interview',
 'Assimilation interview and check of the original documents of the naturalisation application you filed online. '
 || 'Places are scarce, so they are allocated by a draw among the registered applicants.',
 ARRAY['Notice to attend, or file number of the online application',
       'Valid passport and residence permit',
       'Originals of the civil status documents provided online',
       'Diploma or certificate of your level of French (B1, spoken and written)',
       'Last three tax notices']),
('naturalisation', 'ar', 'التجنس بمرسوم: المقابلة',
 'مقابلة الاندماج والتحقق من الوثائق الأصلية لطلب التجنس الذي قدّمته عبر الإنترنت. '
 || 'الأماكن قليلة، لذلك تُوزَّع بالقرعة بين مقدمي الطلبات المسجلين.',
 ARRAY['الاستدعاء، أو رقم ملف الطلب المقدَّم عبر الإنترنت',
       'جواز سفر وتصريح إقامة ساريا المفعول',
       'أصول وثائق الحالة المدنية المقدَّمة عبر الإنترنت',
       'شهادة أو إفادة بمستوى اللغة الفرنسية (B1 شفهيًا وكتابيًا)',
       'آخر ثلاثة إشعارات ضريبية']),
('echange-permis-etranger', 'en', 'Exchange of a foreign driving licence',
 'Handing in your original foreign licence so that it can be exchanged for a French licence, when your online application requires it. '
 || 'The application must be made within one year of getting your first residence permit.',
 ARRAY['Original foreign driving licence and its official translation',
       'Valid residence permit',
       'Proof of address less than 6 months old',
       'Certificate of driving entitlement from the authority that issued the licence, less than 3 months old',
       'Number of the online application (ANTS)']),
('echange-permis-etranger', 'ar', 'استبدال رخصة قيادة أجنبية',
 'تسليم رخصة القيادة الأجنبية الأصلية لاستبدالها برخصة فرنسية، عندما يتطلب ذلك طلبك المقدَّم عبر الإنترنت. '
 || 'يجب تقديم الطلب خلال السنة التي تلي حصولك على أول تصريح إقامة.',
 ARRAY['رخصة القيادة الأجنبية الأصلية وترجمتها الرسمية',
       'تصريح إقامة ساري المفعول',
       'إثبات سكن لا يزيد عمره على ستة أشهر',
       'شهادة حقوق القيادة صادرة عن الجهة التي أصدرت الرخصة، لا يزيد عمرها على ثلاثة أشهر',
       'رقم الطلب المقدَّم عبر الإنترنت (ANTS)'])
       ) AS v (procedure_code, lang, name, description, documents)
  JOIN procedures p ON p.code = v.procedure_code
ON CONFLICT (procedure_id, lang) DO UPDATE
   SET name = EXCLUDED.name, description = EXCLUDED.description, documents = EXCLUDED.documents;

INSERT INTO site_translations (site_id, lang, alternative_route)
SELECT s.id, v.lang,
       CASE WHEN v.lang = 'ar' THEN regexp_replace(v.route, '([0-9]) (?=[0-9])', '\1' || chr(160), 'g')
            ELSE v.route END
  FROM (VALUES
('prefecture-val-de-marne', 'en',
 'If no appointment is available online, there are other ways to get one: '
 || 'call the prefecture’s switchboard on 01 49 56 60 00, Monday to Friday, 9 am to 4 pm; '
 || 'write to Préfecture du Val-de-Marne, direction des migrations et de l’intégration, 21-29, avenue du Général-de-Gaulle, 94038 Créteil Cedex, '
 || 'with a copy of your passport or residence permit and a way to reach you; '
 || 'or go to the prefecture’s main reception desk during opening hours. '
 || 'A France Services centre or a digital help point near you can do this with you (list on france-services.gouv.fr). '
 || 'Keep a record of your attempts (dated screenshots): you will need it if you have to go to the administrative court.'),
('prefecture-val-de-marne', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، توجد طرق أخرى للحصول على موعد. '
 || 'يمكنك الاتصال بمقسم المحافظة على الرقم 01 49 56 60 00، من الاثنين إلى الجمعة، من الساعة 9 صباحًا إلى الساعة 4 بعد الظهر. '
 || 'ويمكنك الكتابة بالبريد إلى: Préfecture du Val-de-Marne, direction des migrations et de l’intégration, 21-29, avenue du Général-de-Gaulle, 94038 Créteil Cedex. '
 || 'يجب إرفاق نسخة من جواز سفرك أو من تصريح إقامتك، ووسيلة للتواصل معك. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال العام في المحافظة خلال ساعات العمل. '
 || 'يمكن لمركز France Services أو لنقطة مساعدة رقمية قريبة منك القيام بهذا الإجراء معك (القائمة على الموقع france-services.gouv.fr). '
 || 'يُرجى الاحتفاظ بما يثبت محاولاتك (صور شاشة عليها التاريخ): فهي مفيدة إذا اضطررت إلى اللجوء إلى المحكمة الإدارية.'),
('sous-prefecture-nogent-sur-marne', 'en',
 'If no appointment is available online, call the switchboard of the Val-de-Marne prefecture on 01 49 56 60 00 (Monday to Friday, 9 am to 4 pm), '
 || 'write to Sous-préfecture de Nogent-sur-Marne, 4, avenue de Lattre-de-Tassigny, 94130 Nogent-sur-Marne, '
 || 'or go to the reception desk during opening hours. '
 || 'Appointments at the prefecture in Créteil and at the sub-prefecture of L’Haÿ-les-Roses are also open to people living in the arrondissement. '
 || 'A France Services centre near you can help you (list on france-services.gouv.fr).'),
('sous-prefecture-nogent-sur-marne', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، يمكنك الاتصال بمقسم محافظة Val-de-Marne على الرقم 01 49 56 60 00 (من الاثنين إلى الجمعة، من الساعة 9 صباحًا إلى الساعة 4 بعد الظهر). '
 || 'ويمكنك الكتابة بالبريد إلى: Sous-préfecture de Nogent-sur-Marne, 4, avenue de Lattre-de-Tassigny, 94130 Nogent-sur-Marne. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال خلال ساعات العمل. '
 || 'مواعيد المحافظة في Créteil والمحافظة الفرعية في L’Haÿ-les-Roses مفتوحة أيضًا لسكان الدائرة. '
 || 'يمكن لمركز France Services قريب منك أن يساعدك (القائمة على الموقع france-services.gouv.fr).'),
('sous-prefecture-l-hay-les-roses', 'en',
 'If no appointment is available online, call the switchboard of the Val-de-Marne prefecture on 01 49 56 60 00 (Monday to Friday, 9 am to 4 pm), '
 || 'write to Sous-préfecture de L’Haÿ-les-Roses, 2, avenue Larroumès, 94240 L’Haÿ-les-Roses, '
 || 'or go to the reception desk during opening hours. '
 || 'A France Services centre near you can help you (list on france-services.gouv.fr).'),
('sous-prefecture-l-hay-les-roses', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، يمكنك الاتصال بمقسم محافظة Val-de-Marne على الرقم 01 49 56 60 00 (من الاثنين إلى الجمعة، من الساعة 9 صباحًا إلى الساعة 4 بعد الظهر). '
 || 'ويمكنك الكتابة بالبريد إلى: Sous-préfecture de L’Haÿ-les-Roses, 2, avenue Larroumès, 94240 L’Haÿ-les-Roses. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال خلال ساعات العمل. '
 || 'يمكن لمركز France Services قريب منك أن يساعدك (القائمة على الموقع france-services.gouv.fr).'),
('prefecture-rhone', 'en',
 'If no appointment is available online: call the prefecture’s switchboard on 04 72 61 60 60, Monday to Friday; '
 || 'write to Préfecture du Rhône, direction des migrations et de l’intégration, 106, rue Pierre-Corneille, 69419 Lyon Cedex 03, '
 || 'with a copy of your passport or permit and your contact details; '
 || 'or go to the main reception desk during opening hours. '
 || 'France Services centres and the associations that help foreigners in the Rhône can book an appointment for you (list on france-services.gouv.fr).'),
('prefecture-rhone', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، يمكنك الاتصال بمقسم المحافظة على الرقم 04 72 61 60 60، من الاثنين إلى الجمعة. '
 || 'ويمكنك الكتابة بالبريد إلى: Préfecture du Rhône, direction des migrations et de l’intégration, 106, rue Pierre-Corneille, 69419 Lyon Cedex 03. '
 || 'يجب إرفاق نسخة من جواز سفرك أو من تصريح إقامتك، ومعلومات الاتصال بك. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال العام خلال ساعات العمل. '
 || 'يمكن لمراكز France Services وللجمعيات التي تساعد الأجانب في Rhône أن تحجز موعدًا نيابة عنك (القائمة على الموقع france-services.gouv.fr).'),
('prefecture-guyane', 'en',
 'If no appointment is available online: call the prefecture’s switchboard on 05 94 39 45 00, Monday to Friday; '
 || 'write to Préfecture de la Guyane, direction générale de la sécurité, de la réglementation et des contrôles, 1, rue Fiedmond, BP 7008, 97307 Cayenne Cedex; '
 || 'or go to the prefecture’s reception desk during opening hours. '
 || 'People living in western French Guiana can go to the sub-prefecture of Saint-Laurent-du-Maroni. '
 || 'A France Services centre near you can help you (list on france-services.gouv.fr).'),
('prefecture-guyane', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، يمكنك الاتصال بمقسم المحافظة على الرقم 05 94 39 45 00، من الاثنين إلى الجمعة. '
 || 'ويمكنك الكتابة بالبريد إلى: Préfecture de la Guyane, direction générale de la sécurité, de la réglementation et des contrôles, 1, rue Fiedmond, BP 7008, 97307 Cayenne Cedex. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال في المحافظة خلال ساعات العمل. '
 || 'يمكن لسكان غرب Guyane التوجه إلى المحافظة الفرعية في Saint-Laurent-du-Maroni. '
 || 'يمكن لمركز France Services قريب منك أن يساعدك (القائمة على الموقع france-services.gouv.fr).'),
('prefecture-la-reunion', 'en',
 'If no appointment is available online: call the prefecture’s switchboard on 02 62 40 77 77, Monday to Friday; '
 || 'write to Préfecture de La Réunion, 6, rue des Messageries, 97405 Saint-Denis Cedex; '
 || 'or go to the reception desk during opening hours. '
 || 'The sub-prefectures of Saint-Pierre, Saint-Paul and Saint-Benoît also receive the public. '
 || 'A France Services centre near you can help you (list on france-services.gouv.fr).'),
('prefecture-la-reunion', 'ar',
 'إذا لم يكن هناك أي موعد متاح عبر الإنترنت، يمكنك الاتصال بمقسم المحافظة على الرقم 02 62 40 77 77، من الاثنين إلى الجمعة. '
 || 'ويمكنك الكتابة بالبريد إلى: Préfecture de La Réunion, 6, rue des Messageries, 97405 Saint-Denis Cedex. '
 || 'ويمكنك أيضًا التوجه إلى مكتب الاستقبال خلال ساعات العمل. '
 || 'المحافظات الفرعية في Saint-Pierre وSaint-Paul وSaint-Benoît تستقبل الجمهور أيضًا. '
 || 'يمكن لمركز France Services قريب منك أن يساعدك (القائمة على الموقع france-services.gouv.fr).')
       ) AS v (site_slug, lang, route)
  JOIN sites s ON s.slug = v.site_slug
ON CONFLICT (site_id, lang) DO UPDATE
   SET alternative_route = EXCLUDED.alternative_route;

COMMIT;
