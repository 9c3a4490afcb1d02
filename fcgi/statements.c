/* The named prepared statements (see statements.h). Each is one round
 * trip; results are read by column number in the handler that owns them. */
#include "config.h"

#include "statements.h"

const struct statement statements[STMT_COUNT] = {
	[S_HEALTH] = { "health", 0, 1, "SELECT 1" },

	/* Home page: every site, grouped by department; columns: slug, name,
	 * kind, city, department_code, department_name. */
	[S_SITES] = { "sites", 0, 1,
	    "SELECT slug, name, kind, city, department_code, department_name"
	    "  FROM sites"
	    " ORDER BY department_code, kind, name" },

	/* Site page header; $1 = slug, $2 = language; columns: id, name,
	 * kind, address, postal_code, city, phone, time_zone, alternative
	 * route (translated when it can be), the language of that text. */
	[S_SITE] = { "site", 2, 1,
	    "SELECT s.id, s.name, s.kind, s.address, s.postal_code, s.city,"
	    "       coalesce(s.phone, ''), s.time_zone, a.alternative_route, a.lang"
	    "  FROM sites s"
	    "  CROSS JOIN LATERAL site_alternative_route(s.id, $2) a"
	    " WHERE s.slug = $1" },

	/* Procedures offered at a site with the next published free slot in
	 * the site's time zone; $1 = site id; columns: code, name,
	 * description, duration_minutes, requires_agdref, documents (one per
	 * line), next slot (local 'YYYY-MM-DD HH24:MI' or empty; always empty
	 * for a procedure allocated by draw), allocation mode, language of
	 * the texts; $2 = language. */
	[S_SITE_PROCEDURES] = { "site_procedures", 2, 1,
	    "SELECT p.code, t.name, t.description, p.duration_minutes,"
	    "       p.requires_agdref, t.documents,"
	    "       coalesce(to_char(n.starts_at AT TIME ZONE s.time_zone,"
	    "                        'YYYY-MM-DD HH24:MI'), ''), p.allocation_mode,"
	    "       t.lang"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $2) t"
	    "  LEFT JOIN LATERAL ("
	    "       SELECT sl.starts_at FROM slots sl"
	    "        WHERE sl.site_id = sp.site_id"
	    "          AND sl.procedure_id = sp.procedure_id"
	    "          AND sl.starts_at > now()"
	    "          AND sl.published_at <= now()"
	    "          AND sl.booked < sl.capacity"
	    "        ORDER BY sl.starts_at LIMIT 1) n ON p.allocation_mode = 'open'"
	    " WHERE sp.site_id = $1"
	    " ORDER BY t.name" },

	/* Procedure page; $1 = site slug, $2 = procedure code; columns:
	 * site id, site name, time zone, alternative route, procedure id,
	 * name, description, duration, requires_agdref, documents,
	 * allocation mode, address, postal code, city, language of the
	 * procedure texts, language of the alternative route; $3 = language. */
	[S_SITE_PROCEDURE] = { "site_procedure", 3, 1,
	    "SELECT s.id, s.name, s.time_zone, a.alternative_route, p.id,"
	    "       t.name, t.description, p.duration_minutes, p.requires_agdref,"
	    "       t.documents, p.allocation_mode,"
	    "       s.address, s.postal_code, s.city, t.lang, a.lang"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $3) t"
	    "  CROSS JOIN LATERAL site_alternative_route(s.id, $3) a"
	    " WHERE s.slug = $1 AND p.code = $2" },

	/* Local days with free places; $1 site, $2 procedure, $3 days;
	 * columns: day (YYYY-MM-DD), free places. */
	[S_SLOT_DAYS] = { "slot_days", 3, 1,
	    "SELECT day::text, free FROM slot_days($1::bigint, $2::bigint, $3::int)"
	    " ORDER BY day" },

	/* Free times of a local day; $1 site, $2 procedure, $3 day;
	 * columns: slot id, local time (HH24:MI), free places. */
	[S_SLOT_TIMES] = { "slot_times", 3, 1,
	    "SELECT slot_id, local_time, free"
	    "  FROM slot_times($1::bigint, $2::bigint, $3::date)"
	    " ORDER BY local_time" },

	/* When the next slots will be published, local to the site; $1
	 * site, $2 procedure, $3 time zone; one column, empty if unknown. */
	[S_NEXT_PUBLICATION] = { "next_publication", 3, 1,
	    "SELECT coalesce(to_char(procedure_next_publication($1::bigint,"
	    "       $2::bigint) AT TIME ZONE $3, 'YYYY-MM-DD HH24:MI'), '')" },

	/* A slot with what the booking form shows; $1 slot id; columns:
	 * local start, available (t/f), site name, site slug, address,
	 * postal code, city, time zone, procedure name, procedure code,
	 * duration, requires_agdref, language of the procedure name;
	 * $2 = language. */
	[S_SLOT] = { "slot", 2, 1,
	    "SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI'),"
	    "       (sl.published_at <= now() AND sl.starts_at > now()"
	    "        AND sl.booked < sl.capacity AND p.allocation_mode = 'open'),"
	    "       s.name, s.slug, s.address, s.postal_code, s.city, s.time_zone,"
	    "       t.name, p.code, p.duration_minutes, p.requires_agdref, t.lang"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $2) t"
	    " WHERE sl.id = $1::bigint" },

	/* Holds a slot (schema/004_booking.sql); columns: outcome, booking
	 * id, reference. */
	[S_BOOKING_HOLD] = { "booking_hold", 15, 0,
	    "SELECT outcome, booking_id, reference FROM booking_hold("
	    "  $1::bigint, $2::bytea, $3, $4, $5::date, $6, $7, $8, $9, $10,"
	    "  $11, $12, make_interval(mins => $13::int), $14::int, $15::int)" },

	/* A booking by its secret token; $1 = token; columns: status,
	 * reference, hold end (local HH24:MI), hold passed (t/f), local start,
	 * site name, address, postal code, city, phone, time zone, procedure
	 * name, documents, e-mail, phone, site slug, procedure code, start
	 * and end in UTC (iCalendar form), duration in minutes, language of
	 * the procedure texts; $2 = language. */
	[S_BOOKING_VIEW] = { "booking_view", 2, 1,
	    "SELECT d.status, d.reference, coalesce(d.hold_expires_local, ''),"
	    "       coalesce(d.hold_expires_at < now(), false), d.starts_local,"
	    "       d.site_name, d.site_address, d.site_postal_code, d.site_city,"
	    "       coalesce(d.site_phone, ''), d.time_zone, t.name,"
	    "       t.documents, coalesce(d.email, ''),"
	    "       coalesce(d.phone, ''), d.site_slug, d.procedure_code,"
	    "       to_char(d.starts_at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"'),"
	    "       to_char(d.ends_at AT TIME ZONE 'UTC', 'YYYYMMDD\"T\"HH24MISS\"Z\"'),"
	    "       (extract(epoch FROM d.ends_at - d.starts_at) / 60)::int, t.lang"
	    "  FROM booking_tokens k JOIN booking_details d ON d.id = k.booking_id"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, $2) t"
	    " WHERE k.token_hash = sha256(convert_to($1, 'UTF8'))"
	    "   AND (k.expires_at IS NULL OR k.expires_at > now())" },

	/* $1 token, $2 code; column: outcome. */
	[S_BOOKING_CONFIRM] = { "booking_confirm", 2, 0,
	    "SELECT outcome FROM booking_confirm($1, $2)" },

	/* $1 token, $2 and $3 release delay bounds (minutes); outcome. */
	[S_BOOKING_CANCEL] = { "booking_cancel", 3, 0,
	    "SELECT outcome FROM booking_cancel($1,"
	    "  make_interval(mins => $2::int), make_interval(mins => $3::int))" },

	/* $1 token, $2 new slot, $3 and $4 release bounds; outcome, id. */
	[S_BOOKING_RESCHEDULE] = { "booking_reschedule", 4, 0,
	    "SELECT outcome, booking_id FROM booking_reschedule($1, $2::bigint,"
	    "  make_interval(mins => $3::int), make_interval(mins => $4::int))" },

	/* $1 reference, $2 date of birth, $3 new token; outcome. */
	[S_BOOKING_ACCESS] = { "booking_access", 3, 0,
	    "SELECT outcome FROM booking_access($1, $2::date, $3)" },

	/* $1 token, $2 minutes, $3 most extensions; outcome. */
	[S_BOOKING_EXTEND] = { "booking_extend", 3, 0,
	    "SELECT outcome FROM booking_extend($1, $2::int, $3::int)" },

	/* Staff (schema/009_staff.sql). $1 session token, $2 idle minutes;
	 * columns: id, e-mail, name, role, organisation id, CSRF secret. */
	[S_STAFF_SESSION] = { "staff_session", 2, 0,
	    "SELECT account_id, email, name, role,"
	    "       coalesce(organisation_id::text, ''), csrf"
	    "  FROM staff_session($1, make_interval(mins => $2::int))" },

	/* $1 e-mail, $2 address digest; columns: account id, argon2id hash
	 * (both empty when unknown), seconds to wait. */
	[S_STAFF_LOGIN_BEGIN] = { "staff_login_begin", 2, 1,
	    "SELECT coalesce(account_id::text, ''), coalesce(password_hash, ''),"
	    "       wait FROM staff_login_begin($1, $2)" },

	/* $1 e-mail, $2 address digest; column: seconds to wait now. */
	[S_STAFF_LOGIN_FAILED] = { "staff_login_failed", 2, 0,
	    "SELECT staff_login_failed($1, $2)" },

	/* $1 account, $2 session token, $3 CSRF secret, $4 lifetime (hours). */
	[S_STAFF_LOGIN_SUCCEEDED] = { "staff_login_succeeded", 4, 0,
	    "SELECT staff_login_succeeded($1::bigint, $2, $3,"
	    "       make_interval(hours => $4::int))" },

	/* $1 session token; column: whether a session was open. */
	[S_STAFF_LOGOUT] = { "staff_logout", 1, 0,
	    "SELECT staff_logout($1)" },

	/* Sites an account may act for; $1 account; columns: slug, name,
	 * city. */
	[S_STAFF_SITES] = { "staff_sites", 1, 1,
	    "SELECT s.slug, s.name, s.city FROM sites s"
	    " WHERE staff_can_site($1::bigint, s.id)"
	    " ORDER BY s.department_code, s.name" },
};
