#!/bin/sh
# Public holidays: Easter computation and the holidays of 2026–2027.
. "$(dirname "$0")/tap.sh"

sql_tap_run <<'SQL'
SELECT pg_temp.is(array_agg(creneau_easter_sunday(y) ORDER BY y),
                  ARRAY[date '2024-03-31', '2025-04-20', '2026-04-05', '2027-03-28',
                        '2028-04-16', '2035-03-25', '2038-04-25', '2285-03-22'],
                  'Easter Sunday for known years, including the extremes of 25 April and 22 March')
  FROM unnest(ARRAY[2024, 2025, 2026, 2027, 2028, 2035, 2038, 2285]) AS y;
SELECT pg_temp.is((SELECT array_agg(day ORDER BY day) FROM public_holidays
                    WHERE zone = 'national' AND day BETWEEN '2026-01-01' AND '2026-12-31'),
                  ARRAY[date '2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08', '2026-05-14',
                        '2026-05-25', '2026-07-14', '2026-08-15', '2026-11-01', '2026-11-11',
                        '2026-12-25'],
                  'the eleven national holidays of 2026');
SELECT pg_temp.is((SELECT array_agg(day ORDER BY day) FROM public_holidays
                    WHERE zone = 'national' AND day BETWEEN '2027-01-01' AND '2027-12-31'),
                  ARRAY[date '2027-01-01', '2027-03-29', '2027-05-01', '2027-05-06', '2027-05-08',
                        '2027-05-17', '2027-07-14', '2027-08-15', '2027-11-01', '2027-11-11',
                        '2027-12-25'],
                  'the eleven national holidays of 2027');
SELECT pg_temp.is((SELECT array_agg(day ORDER BY day) FROM public_holidays
                    WHERE zone = '973' AND day BETWEEN '2026-01-01' AND '2027-12-31'),
                  ARRAY[date '2026-06-10', '2027-06-10'], 'Guyane: 10 June, abolition of slavery');
SELECT pg_temp.is((SELECT array_agg(day ORDER BY day) FROM public_holidays
                    WHERE zone = '67' AND day BETWEEN '2027-01-01' AND '2027-12-31'),
                  ARRAY[date '2027-03-26', '2027-12-26'], 'Bas-Rhin: Good Friday and 26 December');
SELECT pg_temp.throws($$INSERT INTO public_holidays (zone, day, name) VALUES ('metropole', '2027-01-02', 'x')$$,
                      '23514', 'public_holidays_zone_format', 'an unknown holiday zone is refused');
SELECT pg_temp.throws($$INSERT INTO public_holidays (zone, day, name) VALUES ('national', '2027-01-01', 'x')$$,
                      '23505', 'public_holidays_pkey', 'a holiday cannot be entered twice');
SQL
