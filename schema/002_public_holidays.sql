-- 002_public_holidays.sql: French public holidays (jours fériés), so that
-- slot generation skips them.
--
-- zone 'national' applies to every site; any other zone is an INSEE
-- department code whose sites get the extra holiday (abolition of slavery
-- in the overseas departments, Good Friday and St Stephen's Day in
-- Alsace-Moselle). The table is filled for 2024–2035 by computing Easter;
-- agents may add or remove rows (e.g. a new law, a local decree).

-- Gregorian Easter Sunday of `y` (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
CREATE FUNCTION creneau_easter_sunday(y integer) RETURNS date
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    WITH a AS (SELECT y % 19 AS a, y / 100 AS b, y % 100 AS c),
         b AS (SELECT a, b, c, b / 4 AS d, b % 4 AS e, (b + 8) / 25 AS f FROM a),
         c AS (SELECT a, b, c, d, e, (b - f + 1) / 3 AS g FROM b),
         d AS (SELECT a, b, c, d, e, (19 * a + b - d - g + 15) % 30 AS h,
                      c / 4 AS i, c % 4 AS k FROM c),
         e AS (SELECT a, h, (32 + 2 * e + 2 * i - h - k) % 7 AS l FROM d),
         f AS (SELECT h, l, (a + 11 * h + 22 * l) / 451 AS m FROM e)
    SELECT make_date(y, (h + l - 7 * m + 114) / 31, (h + l - 7 * m + 114) % 31 + 1) FROM f
$$;
COMMENT ON FUNCTION creneau_easter_sunday(integer) IS
    'Date of Easter Sunday in the Gregorian calendar for the given year.';

CREATE TABLE public_holidays (
    zone text NOT NULL
         CONSTRAINT public_holidays_zone_format
         CHECK (zone = 'national'
                OR zone ~ '^(0[1-9]|1[0-9]|2[1-9AB]|[3-8][0-9]|9[0-5]|97[1-6])$'),
    day  date NOT NULL,
    name text NOT NULL CHECK (btrim(name) <> ''),
    PRIMARY KEY (zone, day)
);
CREATE INDEX public_holidays_day_idx ON public_holidays (day);
COMMENT ON TABLE public_holidays IS
    'Public holidays: zone ''national'' for the whole of France, or a department code for local ones (overseas abolition days, Alsace-Moselle).';

-- Every holiday of year `y`, as (zone, day, name).
CREATE FUNCTION creneau_french_holidays(y integer)
RETURNS TABLE (zone text, day date, name text)
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    WITH e AS (SELECT creneau_easter_sunday(y) AS easter)
    SELECT v.zone, v.day, v.name FROM e, LATERAL (VALUES
        ('national', make_date(y, 1, 1),   'Jour de l’an'),
        ('national', e.easter + 1,          'Lundi de Pâques'),
        ('national', make_date(y, 5, 1),   'Fête du Travail'),
        ('national', make_date(y, 5, 8),   'Victoire 1945'),
        ('national', e.easter + 39,         'Ascension'),
        ('national', e.easter + 50,         'Lundi de Pentecôte'),
        ('national', make_date(y, 7, 14),  'Fête nationale'),
        ('national', make_date(y, 8, 15),  'Assomption'),
        ('national', make_date(y, 11, 1),  'Toussaint'),
        ('national', make_date(y, 11, 11), 'Armistice 1918'),
        ('national', make_date(y, 12, 25), 'Noël'),
        -- Alsace-Moselle (local law).
        ('57', e.easter - 2,         'Vendredi saint'),
        ('67', e.easter - 2,         'Vendredi saint'),
        ('68', e.easter - 2,         'Vendredi saint'),
        ('57', make_date(y, 12, 26), 'Saint-Étienne'),
        ('67', make_date(y, 12, 26), 'Saint-Étienne'),
        ('68', make_date(y, 12, 26), 'Saint-Étienne'),
        -- Abolition of slavery (loi du 30 juin 1983, décret n° 83-1003).
        ('971', make_date(y, 5, 27),  'Abolition de l’esclavage (Guadeloupe)'),
        ('972', make_date(y, 5, 22),  'Abolition de l’esclavage (Martinique)'),
        ('973', make_date(y, 6, 10),  'Abolition de l’esclavage (Guyane)'),
        ('974', make_date(y, 12, 20), 'Abolition de l’esclavage (La Réunion)'),
        ('976', make_date(y, 4, 27),  'Abolition de l’esclavage (Mayotte)')
    ) AS v (zone, day, name)
$$;
COMMENT ON FUNCTION creneau_french_holidays(integer) IS
    'Computed French public holidays of a year (national and per department); used to fill public_holidays.';

INSERT INTO public_holidays (zone, day, name)
SELECT h.zone, h.day, h.name
  FROM generate_series(2024, 2035) AS y, creneau_french_holidays(y) AS h
ON CONFLICT DO NOTHING;
