-- 002_public_holidays.sql: French public holidays (jours fériés), so that
-- slot generation skips them.
--
-- zone 'national' applies to every site; any other zone is an INSEE
-- department code whose sites get the extra holiday (abolition of slavery
-- in the overseas departments, Good Friday and St Stephen's Day in
-- Alsace-Moselle). The table is filled for 2024–2035 by computing Easter;
-- agents may add or remove rows (e.g. a new law, a local decree).
--
-- The functions, views and triggers of this migration are in
-- schema/code/bootstrap.sql, reloaded whole by every
-- `creneau-admin migrate` (HACKING.md, "Schema layout").

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

INSERT INTO public_holidays (zone, day, name)
SELECT h.zone, h.day, h.name
  FROM generate_series(2024, 2035) AS y, creneau_french_holidays(y) AS h
ON CONFLICT DO NOTHING;
