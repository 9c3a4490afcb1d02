-- schema/code/bootstrap.sql
--
-- The functions the tables themselves call (CHECK constraints,
-- index expressions) and those the numbered migrations' data changes
-- call: applied before the migrations as well as with the other files.
-- Built-ins only: nothing here may read a table a migration creates.
--
-- Code, not data: `creneau-admin migrate` drops every function, view
-- and trigger and loads the files of schema/code/ORDER again, after
-- the numbered migrations, in one transaction. What this file says is
-- what runs: change a function here, never in a migration (HACKING.md,
-- "Schema layout").

-- Is `tz` the name of a time zone PostgreSQL knows (an IANA name such as
-- 'Europe/Paris' or 'America/Cayenne')? Returns false for misspellings and
-- for what AT TIME ZONE accepts but is no zone name: POSIX strings ('UTC+3'),
-- other casings ('europe/paris'). Declared IMMUTABLE so it can sit in a
-- CHECK: the zone list only changes with a tzdata update, and a
-- zone is never removed from it, only aliased.
CREATE OR REPLACE FUNCTION creneau_valid_time_zone(tz text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT EXISTS (SELECT 1 FROM pg_catalog.pg_timezone_names WHERE name = tz)
$$;
COMMENT ON FUNCTION creneau_valid_time_zone(text) IS
    'True when the argument is a full time zone name known to PostgreSQL (IANA tz database).';

-- Is `s` a lower-case slug: words of [a-z0-9] joined by single hyphens?
CREATE OR REPLACE FUNCTION creneau_valid_slug(s text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT s ~ '^[a-z0-9]+(-[a-z0-9]+)*$' AND length(s) <= 64
$$;
COMMENT ON FUNCTION creneau_valid_slug(text) IS
    'True for a slug: [a-z0-9] words joined by single hyphens, at most 64 characters.';

-- Gregorian Easter Sunday of `y` (anonymous Gregorian algorithm, Meeus/Jones/Butcher).
CREATE OR REPLACE FUNCTION creneau_easter_sunday(y integer) RETURNS date
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

-- Every holiday of year `y`, as (zone, day, name).
CREATE OR REPLACE FUNCTION creneau_french_holidays(y integer)
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

-- Phone number as compared for the per-phone cap: digits only, with a
-- leading '+' kept; '00' becomes '+'; a 10-digit number starting with a
-- single 0 (French national form) becomes +33 and the 9 other digits.
-- Overseas numbers written nationally (0694…) therefore become +33694…,
-- not +594694…: a number written both ways counts as two (the cap is a
-- brake, not an identity). NULL for NULL or no digits.
CREATE OR REPLACE FUNCTION creneau_normalise_phone(p_phone text) RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT CASE
           WHEN d = '' THEN NULL
           WHEN plus THEN '+' || d
           WHEN d ~ '^00[1-9]' THEN '+' || substr(d, 3)
           WHEN d ~ '^0[1-9][0-9]{8}$' THEN '+33' || substr(d, 2)
           ELSE d END
      FROM (SELECT regexp_replace(p_phone, '[^0-9]', '', 'g') AS d,
                   btrim(p_phone) LIKE '+%' AS plus) AS x
$$;
COMMENT ON FUNCTION creneau_normalise_phone(text) IS
    'Phone as compared for the per-phone cap: +digits (00 and French national 0X form rewritten), else digits.';

-- Is `l` a language code as the catalogues name them: two or three
-- lower-case letters (ISO 639-1, or 639-2/3 where there is no 639-1 code)?
CREATE OR REPLACE FUNCTION creneau_valid_lang(l text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT l ~ '^[a-z]{2,3}$'
$$;
COMMENT ON FUNCTION creneau_valid_lang(text) IS
    'True for a language code of two or three lower-case letters (en, ar, tzm).';

-- Channels: how a booking was made. online (the public pages), mediator
-- (France Services and the like, for people without e-mail), counter (at
-- the desk or by phone), court (an injunction of the administrative court).
CREATE OR REPLACE FUNCTION creneau_valid_channel(p text) RETURNS boolean
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
AS $$
    SELECT p IN ('online', 'mediator', 'counter', 'court')
$$;
