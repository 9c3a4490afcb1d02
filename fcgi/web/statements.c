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
	    "                        'YYYY-MM-DD HH24:MI'), ''),"
	    "       creneau_allocation_mode(s.id, p.id),"
	    "       t.lang"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $2) t"
	    "  LEFT JOIN LATERAL ("
	    "       SELECT b.starts_at"
	    "         FROM creneau_bookable_slots(sp.site_id, sp.procedure_id) b"
	    "        ORDER BY b.starts_at LIMIT 1) n ON true"
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
	    "       t.documents, creneau_public_mode(s.id, p.id),"
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
	    "        AND creneau_slot_free(sl) > 0"
	    "        AND creneau_allocation_mode(s.id, p.id) = 'open'),"
	    "       s.name, s.slug, s.address, s.postal_code, s.city, s.time_zone,"
	    "       t.name, p.code, p.duration_minutes, p.requires_agdref, t.lang"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $2) t"
	    " WHERE sl.id = $1::bigint" },

	/* Holds a slot (schema/016_booking_path.sql); $1 slot, $2 the
	 * person (identity_json), $3 idempotency key, $4 access token, $5
	 * code, $6 hold minutes, $7 most per e-mail, $8 most per phone;
	 * columns: outcome, booking id, reference. */
	[S_BOOKING_HOLD] = { "booking_hold", 8, 0,
	    "SELECT outcome, booking_id, reference FROM booking_hold("
	    "  $1::bigint, $2::jsonb, $3, $4, $5, make_interval(mins => $6::int),"
	    "  $7::int, $8::int)" },

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

	/* $1 reference, $2 date of birth, $3 new token, $4 address digest,
	 * $5 most live links; outcome (ok, not_found, wait), seconds to
	 * wait. */
	[S_BOOKING_ACCESS] = { "booking_access_guarded", 5, 0,
	    "SELECT outcome, wait FROM booking_access_guarded($1, $2::date, $3,"
	    "       $4, $5::int)" },

	/* $1 token, $2 minutes more, $3 longest hold in all; outcome. */
	[S_BOOKING_EXTEND] = { "booking_extend", 3, 0,
	    "SELECT outcome FROM booking_extend($1, $2::int, $3::int)" },

	/* Alerts (schema/006_notify.sql): subscribe ($1 site, $2 procedure,
	 * $3 e-mail, $4 phone, $5 language, $6 token, $7 days); outcome. */
	[S_ALERT_SUBSCRIBE] = { "alert_subscribe", 7, 0,
	    "SELECT outcome FROM alert_subscribe($1::bigint, $2::bigint, $3, $4,"
	    "  $5, $6, $7::int)" },
	/* $1 token; the subscription it leads to. */
	[S_ALERT_VIEW] = { "alert_view", 1, 1,
	    "SELECT subscription_id, status, channel, site_name, site_slug,"
	    "       procedure_name, procedure_code, expires_local"
	    "  FROM alert_view($1)" },
	/* $1 token, $2 days; outcome. */
	[S_ALERT_CONFIRM] = { "alert_confirm", 2, 0,
	    "SELECT outcome FROM alert_confirm($1, $2::int)" },
	/* $1 token; outcome. */
	[S_ALERT_UNSUBSCRIBE] = { "alert_unsubscribe", 1, 0,
	    "SELECT outcome FROM alert_unsubscribe($1)" },

	/* Staff (schema/009_staff.sql). $1 session token, $2 idle minutes;
	 * columns: id, e-mail, name, role, organisation id, CSRF secret. */
	[S_STAFF_SESSION] = { "staff_session", 2, 0,
	    "SELECT account_id, email, name, role,"
	    "       coalesce(organisation_id::text, ''), csrf"
	    "  FROM staff_session($1, make_interval(mins => $2::int))" },

	/* $1 e-mail, $2 address digest, $3 known device id or NULL;
	 * columns: account id, argon2id hash (both empty when unknown),
	 * seconds to wait, why (device, pair, address, account). */
	[S_STAFF_LOGIN_BEGIN] = { "staff_login_start", 3, 0,
	    "SELECT coalesce(account_id::text, ''), coalesce(password_hash, ''),"
	    "       wait, coalesce(scope, '') FROM staff_login_start($1, $2, $3)" },

	/* $1 e-mail, $2 address digest, $3 known device id or NULL;
	 * column: seconds to wait now. */
	[S_STAFF_LOGIN_FAILED] = { "staff_login_wrong", 3, 0,
	    "SELECT staff_login_wrong($1, $2, $3)" },

	/* $1 account, $2 session token, $3 CSRF secret, $4 lifetime (hours),
	 * $5 address digest, $6 known device id or NULL. */
	[S_STAFF_LOGIN_SUCCEEDED] = { "staff_login_right", 6, 0,
	    "SELECT staff_login_right($1::bigint, $2, $3,"
	    "       make_interval(hours => $4::int), $5, $6)" },

	/* $1 session token; column: whether a session was open. */
	[S_STAFF_LOGOUT] = { "staff_logout", 1, 0,
	    "SELECT staff_logout($1)" },

	/* Sites an account may act for; $1 account; columns: slug, name,
	 * city. */
	[S_STAFF_SITES] = { "staff_sites", 1, 1,
	    "SELECT s.slug, s.name, s.city FROM sites s"
	    " WHERE staff_can_site($1::bigint, s.id)"
	    " ORDER BY s.department_code, s.name" },

	/* The day at the counter (schema/011_counter.sql). A site for an
	 * account; $1 account, $2 slug, $3 day (YYYY-MM-DD, or empty for
	 * today); columns: id, name, time zone, day, previous day, next
	 * day, today, allowed (t/f). */
	[S_COUNTER_SITE] = { "counter_site", 3, 1,
	    "SELECT site_id, name, time_zone, day::text, prev_day::text,"
	    "       next_day::text, today::text, allowed"
	    "  FROM counter_site($1::bigint, $2, nullif($3, ''))" },

	/* A day's bookings (logged); $1 account, $2 site, $3 day, $4
	 * counter (empty: all); columns: booking id, local time, counter,
	 * reference, surname, given names, procedure, channel, status,
	 * attendance, attendance time, can honour, can no-show. */
	[S_COUNTER_AGENDA] = { "counter_agenda", 4, 0,
	    "SELECT booking_id, local_time, counter_name, reference, surname,"
	    "       given_names, procedure_name, channel, status,"
	    "       coalesce(attendance, ''), attendance_time, can_honour,"
	    "       can_no_show"
	    "  FROM counter_agenda($1::bigint, $2::bigint, $3::date,"
	    "       nullif($4, '')::bigint)" },

	/* Counters of a site; $1 account, $2 site; columns: id, name. */
	[S_COUNTER_COUNTERS] = { "counter_counters", 2, 1,
	    "SELECT counter_id, name FROM counter_counters($1::bigint, $2::bigint)" },

	/* Marks attendance (logged); $1 account, $2 site, $3 reference (or
	 * empty), $4 booking id (or empty), $5 mark; columns: outcome,
	 * reference, surname, given names, procedure, local start, counter. */
	[S_COUNTER_MARK] = { "counter_mark", 5, 0,
	    "SELECT outcome, coalesce(reference, ''), coalesce(surname, ''),"
	    "       coalesce(given_names, ''), coalesce(procedure_name, ''),"
	    "       coalesce(local_time, ''), coalesce(counter_name, '')"
	    "  FROM counter_mark($1::bigint, $2::bigint, nullif($3, ''),"
	    "       nullif($4, '')::bigint, $5)" },

	/* Searches the account's sites (logged); $1 account, $2 site of the
	 * page, $3 reference, $4 surname, $5 given names, $6 birth date, $7
	 * AGDREF (each empty when not given), $8 most rows; columns:
	 * reference, surname, given names, birth date, AGDREF, procedure,
	 * site slug, site name, local start, day, status, attendance. */
	[S_COUNTER_SEARCH] = { "counter_search", 8, 0,
	    "SELECT reference, surname, given_names, birth_date::text,"
	    "       coalesce(agdref, ''), procedure_name, site_slug, site_name,"
	    "       local_start, day::text, status, coalesce(attendance, '')"
	    "  FROM counter_search($1::bigint, $2::bigint, nullif($3, ''),"
	    "       nullif($4, ''), nullif($5, ''), nullif($6, '')::date,"
	    "       nullif($7, ''), $8::int)" },

	/* Mediators, court orders, audit log (schema/012_mediation_court.sql). */

	/* $1 account, $2 site slug; columns: site id, name, whether the
	 * account may act for it (t/f). */
	[S_STAFF_SITE_ACCESS] = { "staff_site_access", 2, 1,
	    "SELECT s.id, s.name, staff_can_site($1::bigint, s.id)"
	    "  FROM sites s WHERE s.slug = $2" },

	/* $1 site slug, $2 procedure code; columns: site id, site name,
	 * procedure id, procedure name, requires_agdref, time zone. */
	[S_STAFF_SITE_PROCEDURE] = { "staff_site_procedure", 2, 1,
	    "SELECT s.id, s.name, p.id, p.name, p.requires_agdref, s.time_zone"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE s.slug = $1 AND p.code = $2" },

	/* Procedures of a site; $1 site slug; columns: code, name. */
	[S_STAFF_SITE_PROCEDURE_LIST] = { "staff_site_procedure_list", 1, 1,
	    "SELECT p.code, p.name FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE s.slug = $1 ORDER BY p.name, p.code" },

	/* Slots a channel may take; $1 site, $2 procedure, $3 channel, $4
	 * published only (t/f), $5 days; columns: slot id, local day, local
	 * time, places for the channel. */
	[S_CHANNEL_SLOTS] = { "channel_slots", 5, 1,
	    "SELECT slot_id, local_day::text, local_time, free"
	    "  FROM creneau_channel_slots($1::bigint, $2::bigint, $3, $4::boolean, $5::int)" },

	/* $1 account; columns: organisation id, name, monthly quota, bookings
	 * made this month (no row unless a mediator). */
	[S_MEDIATOR_ORG] = { "mediator_org", 1, 1,
	    "SELECT organisation_id, name, monthly_quota, used"
	    "  FROM mediator_organisation($1::bigint)" },

	/* Sites and procedures open to booking; columns: site slug, site
	 * name, city, procedure code, procedure name. */
	[S_MEDIATOR_CHOICES] = { "mediator_choices", 0, 1,
	    "SELECT s.slug, s.name, s.city, p.code, p.name FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE p.allocation_mode = 'open'"
	    " ORDER BY s.department_code, s.name, p.name" },

	/* A slot as the mediator's form shows it; $1 slot id; columns: local
	 * start, bookable by a mediator (t/f), site name, site slug, address,
	 * postal code, city, procedure name, procedure code, requires_agdref. */
	[S_MEDIATOR_SLOT] = { "mediator_slot", 1, 1,
	    "SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       (sl.published_at <= now() AND sl.starts_at > now()"
	    "        AND p.allocation_mode = 'open'"
	    "        AND creneau_slot_channel_free(sl, 'mediator') > 0),"
	    "       s.name, s.slug, s.address, s.postal_code, s.city,"
	    "       p.name, p.code, p.requires_agdref"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    " WHERE sl.id = $1::bigint" },

	/* $1 account, $2 slot, $3 the person (identity_json), $4
	 * idempotency key, $5 most bookings per phone; columns: outcome,
	 * booking id, reference. */
	[S_MEDIATOR_BOOK] = { "mediator_book", 5, 0,
	    "SELECT outcome, coalesce(booking_id::text, ''), coalesce(reference, '')"
	    "  FROM mediator_book($1::bigint, $2::bigint, $3::jsonb, $4, $5::int)" },

	/* The printable confirmation (audited); $1 account, $2 booking;
	 * columns: reference, status, local start, site name, address, postal
	 * code, city, site phone, time zone, procedure name, documents,
	 * surname, given names, date of birth, duration (minutes). */
	[S_MEDIATOR_CONFIRMATION] = { "mediator_confirmation", 2, 0,
	    "SELECT reference, status, starts_local, site_name, site_address,"
	    "       site_postal_code, site_city, coalesce(site_phone, ''), time_zone,"
	    "       procedure_name, coalesce(documents, ''), surname, given_names,"
	    "       birth_date::text, duration_minutes"
	    "  FROM mediator_confirmation($1::bigint, $2::bigint)" },

	/* The organisation's bookings (audited); $1 account, $2 limit;
	 * columns: booking id, reference, status, local start, site name,
	 * procedure name, surname, given names, mediator's name. */
	[S_MEDIATOR_BOOKINGS] = { "mediator_bookings", 2, 0,
	    "SELECT booking_id, reference, status, starts_local, site_name,"
	    "       procedure_name, surname, given_names, made_by"
	    "  FROM mediator_bookings_list($1::bigint, $2::int)" },

	/* $1 account, $2 site slug, $3 procedure code, $4 tribunal, $5 case
	 * number, $6 decision date, $7 deadline, $8 surname, $9 given names,
	 * $10 birth date, $11 AGDREF, $12 e-mail, $13 phone, $14 language;
	 * columns: outcome, injunction id. */
	[S_COURT_RECORD] = { "court_record", 14, 0,
	    "SELECT outcome, coalesce(injunction_id::text, '')"
	    "  FROM court_record($1::bigint, $2, $3, $4, $5, $6::date, $7::date,"
	    "       $8, $9, $10::date, $11, $12, $13, $14)" },

	/* Injunctions (audited); $1 account, $2 site slug (NULL: every site
	 * of the account), $3 limit; columns: id, site slug, site name,
	 * procedure name, tribunal, case number, decision date, deadline,
	 * days left, surname, given names, fulfilled (t/f), reference, local
	 * start of the booking. */
	[S_COURT_LIST] = { "court_list", 3, 0,
	    "SELECT injunction_id, site_slug, site_name, procedure_name, tribunal,"
	    "       case_number, decision_date::text, deadline::text, days_left,"
	    "       surname, given_names, fulfilled, coalesce(reference, ''),"
	    "       coalesce(starts_local, '')"
	    "  FROM court_list($1::bigint, $2, $3::int)" },

	/* One injunction (audited); $1 account, $2 site slug, $3 id; columns:
	 * id, site id, procedure id, procedure name, tribunal, case number,
	 * decision date, deadline, days left, surname, given names, birth
	 * date, AGDREF, e-mail, phone, language, fulfilled (t/f), reference,
	 * local start, booking status. */
	[S_COURT_VIEW] = { "court_view", 3, 0,
	    "SELECT injunction_id, site_id, procedure_id, procedure_name, tribunal,"
	    "       case_number, decision_date::text, deadline::text, days_left,"
	    "       surname, given_names, birth_date::text, coalesce(agdref, ''),"
	    "       coalesce(email, ''), coalesce(phone, ''), lang, fulfilled,"
	    "       coalesce(reference, ''), coalesce(starts_local, ''),"
	    "       coalesce(booking_status, '')"
	    "  FROM court_view($1::bigint, $2, $3::bigint)" },

	/* $1 account, $2 site slug, $3 injunction, $4 slot, $5 the
	 * applicant's keys (identity_json); columns: outcome, booking id,
	 * reference. */
	[S_COURT_BOOK] = { "court_book", 5, 0,
	    "SELECT outcome, coalesce(booking_id::text, ''), coalesce(reference, '')"
	    "  FROM court_book($1::bigint, $2, $3::bigint, $4::bigint, $5::jsonb)" },

	/* The audit log (audited); $1 account, $2 day or NULL, $3 action or
	 * NULL, $4 offset, $5 limit; columns: local time, account name, role,
	 * site name, action, object, details, total matching. */
	[S_AUDIT_VIEW] = { "audit_view", 5, 0,
	    "SELECT at_local, account_name, account_role, site_name, action,"
	    "       object, details, total"
	    "  FROM audit_view($1::bigint, $2::date, $3, $4::int, $5::int)" },

	/* Calendars (schema/010_calendars.sql). Every statement names the
	 * account and checks staff_can_site() in SQL. */

	/* $1 account, $2 site slug; columns: site id, name, time zone,
	 * today (local), allowed (t/f), department code. */
	[S_CAL_SITE] = { "cal_site", 2, 1,
	    "SELECT s.id, s.name, s.time_zone, (now() AT TIME ZONE s.time_zone)::date::text,"
	    "       staff_can_site($1::bigint, s.id), s.department_code"
	    "  FROM sites s WHERE s.slug = $2" },

	/* $1 account, $2 site; columns: counter id, name. */
	[S_CAL_COUNTERS] = { "cal_counters", 2, 1,
	    "SELECT c.id, c.name FROM counters c"
	    " WHERE c.site_id = $2::bigint AND staff_can_site($1::bigint, c.site_id)"
	    " ORDER BY c.name, c.id" },

	/* $1 account, $2 site; columns: procedure id, name, allocation
	 * mode, shares (mediator, counter, court, online). */
	[S_CAL_PROCEDURES] = { "cal_procedures", 2, 1,
	    "SELECT p.id, p.name, p.allocation_mode,"
	    "       coalesce(m.percent, 0), coalesce(k.percent, 0), coalesce(c.percent, 0),"
	    "       100 - coalesce(m.percent, 0) - coalesce(k.percent, 0) - coalesce(c.percent, 0)"
	    "  FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id"
	    "  LEFT JOIN channel_shares m ON m.site_id = sp.site_id"
	    "       AND m.procedure_id = sp.procedure_id AND m.channel = 'mediator'"
	    "  LEFT JOIN channel_shares k ON k.site_id = sp.site_id"
	    "       AND k.procedure_id = sp.procedure_id AND k.channel = 'counter'"
	    "  LEFT JOIN channel_shares c ON c.site_id = sp.site_id"
	    "       AND c.procedure_id = sp.procedure_id AND c.channel = 'court'"
	    " WHERE sp.site_id = $2::bigint AND staff_can_site($1::bigint, sp.site_id)"
	    " ORDER BY p.name, p.id" },

	/* $1 account, $2 site; columns: rule id, counter, procedure,
	 * weekday (1-7), opens, closes, slot minutes, capacity, first day,
	 * last day (or empty), in force or to come (t/f). */
	[S_CAL_RULES] = { "cal_rules", 2, 1,
	    "SELECT r.id, c.name, p.name, r.weekday, to_char(r.opens, 'HH24:MI'),"
	    "       to_char(r.closes, 'HH24:MI'), r.slot_minutes, r.capacity,"
	    "       r.valid_from::text, coalesce(r.valid_until::text, ''),"
	    "       (r.valid_until IS NULL OR r.valid_until >= (now() AT TIME ZONE s.time_zone)::date)"
	    "  FROM opening_rules r JOIN counters c ON c.id = r.counter_id"
	    "  JOIN procedures p ON p.id = r.procedure_id JOIN sites s ON s.id = r.site_id"
	    " WHERE r.site_id = $2::bigint AND staff_can_site($1::bigint, r.site_id)"
	    " ORDER BY c.name, p.name, r.weekday, r.opens, r.valid_from" },

	/* Closures from the site's today on; $1 account, $2 site; columns:
	 * day, counter (empty: whole site), reason, bookings cancelled. */
	[S_CAL_CLOSURES] = { "cal_closures", 2, 1,
	    "SELECT cl.day::text, coalesce(c.name, ''), cl.reason,"
	    "       coalesce((SELECT (a.details->>'bookings_cancelled') FROM audit_log a"
	    "                  WHERE a.site_id = cl.site_id AND a.action = 'closure.add'"
	    "                    AND a.object = 'closure:' || cl.id LIMIT 1), '0')"
	    "  FROM closures cl JOIN sites s ON s.id = cl.site_id"
	    "  LEFT JOIN counters c ON c.id = cl.counter_id"
	    " WHERE cl.site_id = $2::bigint AND staff_can_site($1::bigint, cl.site_id)"
	    "   AND cl.day >= (now() AT TIME ZONE s.time_zone)::date"
	    " ORDER BY cl.day, c.name NULLS FIRST" },

	/* Public holidays of the coming 3 months at a site; $1 account, $2
	 * site; columns: day, name. */
	[S_CAL_HOLIDAYS] = { "cal_holidays", 2, 1,
	    "SELECT h.day::text, h.name FROM public_holidays h JOIN sites s"
	    "    ON h.zone IN ('national', s.department_code)"
	    " WHERE s.id = $2::bigint AND staff_can_site($1::bigint, s.id)"
	    "   AND h.day >= (now() AT TIME ZONE s.time_zone)::date"
	    "   AND h.day < (now() AT TIME ZONE s.time_zone)::date + 92"
	    " ORDER BY h.day, h.name" },

	/* Active bookings a closure would cancel; $1 account, $2 site, $3
	 * counter (empty: all), $4 day; column: how many. */
	[S_CAL_DAY_BOOKINGS] = { "cal_day_bookings", 4, 1,
	    "SELECT count(*) FROM bookings b JOIN slots sl ON sl.id = b.slot_id"
	    "  JOIN sites s ON s.id = sl.site_id"
	    " WHERE sl.site_id = $2::bigint AND staff_can_site($1::bigint, sl.site_id)"
	    "   AND ($3 = '' OR sl.counter_id = nullif($3, '')::bigint)"
	    "   AND b.status IN ('held', 'confirmed')"
	    "   AND sl.starts_at >= ($4::date::timestamp AT TIME ZONE s.time_zone)"
	    "   AND sl.starts_at < (($4::date + 1)::timestamp AT TIME ZONE s.time_zone)" },

	/* Batches to come (future slots not yet published, by procedure and
	 * publication time, and the batches the draw switch made draws whose
	 * registration has not opened: schema/020); $1 account, $2 site;
	 * columns: procedure id, procedure name, allocation mode (draw for
	 * those), publication (local), batch key (microseconds), slots,
	 * places, reserved places, first and last slot (local). */
	[S_CAL_BATCHES] = { "cal_batches", 2, 1,
	    "SELECT p.id, p.name, CASE WHEN d.id IS NULL THEN p.allocation_mode ELSE 'draw' END,"
	    "       to_char(coalesce(sl.published_at, d.auto_batch) AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI'),"
	    "       (extract(epoch FROM coalesce(sl.published_at, d.auto_batch)) * 1000000)::bigint,"
	    "       count(*), sum(sl.capacity),"
	    "       coalesce(sum((SELECT sum(r.places) FROM slot_reservations r"
	    "                       WHERE r.slot_id = sl.id)), 0),"
	    "       to_char(min(sl.starts_at) AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(max(sl.starts_at) AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI')"
	    "  FROM slots sl JOIN procedures p ON p.id = sl.procedure_id"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  LEFT JOIN draw_slots ds ON ds.slot_id = sl.id"
	    "  LEFT JOIN draws d ON d.id = ds.draw_id AND d.auto_batch IS NOT NULL"
	    "       AND d.status = 'scheduled' AND d.registration_opens_at > now()"
	    " WHERE sl.site_id = $2::bigint AND staff_can_site($1::bigint, sl.site_id)"
	    "   AND (sl.published_at > now() OR d.id IS NOT NULL) AND sl.starts_at > now()"
	    " GROUP BY p.id, p.name, p.allocation_mode, d.id IS NULL,"
	    "       coalesce(sl.published_at, d.auto_batch), s.time_zone"
	    " ORDER BY coalesce(sl.published_at, d.auto_batch), p.name" },

	/* $1 account, $2 site, $3 name; columns: outcome, counter id. */
	[S_CAL_COUNTER_ADD] = { "cal_counter_add", 3, 0,
	    "SELECT outcome, coalesce(id::text, '')"
	    "  FROM calendar_counter_add($1::bigint, $2::bigint, $3)" },

	/* $1 account, $2 site, $3 counter, $4 procedure, $5 weekday, $6
	 * opens, $7 closes, $8 slot minutes, $9 capacity, $10 first day,
	 * $11 last day (empty: none); columns: outcome, rule id. */
	[S_CAL_RULE_ADD] = { "cal_rule_add", 11, 0,
	    "SELECT outcome, coalesce(id::text, '')"
	    "  FROM calendar_rule_add($1::bigint, $2::bigint, $3::bigint, $4::bigint,"
	    "       $5::int, $6::time, $7::time, $8::int, $9::int, $10::date,"
	    "       nullif($11, '')::date)" },

	/* $1 account, $2 site, $3 rule, $4 last day; column: outcome. */
	[S_CAL_RULE_END] = { "cal_rule_end", 4, 0,
	    "SELECT outcome FROM calendar_rule_end($1::bigint, $2::bigint,"
	    "       $3::bigint, $4::date)" },

	/* $1 account, $2 site, $3 counter (empty: whole site), $4 day, $5
	 * reason; columns: outcome, closure id, bookings cancelled. */
	[S_CAL_CLOSE_DAY] = { "cal_close_day", 5, 0,
	    "SELECT outcome, coalesce(closure_id::text, ''), cancelled"
	    "  FROM close_day($1::bigint, $2::bigint, nullif($3, '')::bigint,"
	    "       $4::date, $5)" },

	/* $1 account, $2 site, $3 procedure, $4 mediator %, $5 counter %,
	 * $6 court %; column: outcome. */
	[S_CAL_SHARES] = { "cal_shares", 6, 0,
	    "SELECT outcome FROM calendar_shares_set($1::bigint, $2::bigint,"
	    "       $3::bigint, $4::int, $5::int, $6::int)" },

	/* $1 account, $2 site, $3 from, $4 to, $5 publication (local
	 * 'YYYY-MM-DD HH:MM', empty: now), $6 time zone; columns: outcome,
	 * slots created, places reserved. */
	[S_CAL_GENERATE] = { "cal_generate", 6, 0,
	    "SELECT outcome, created, reserved FROM calendar_generate($1::bigint,"
	    "       $2::bigint, $3::date, $4::date,"
	    "       coalesce(nullif($5, '')::timestamp AT TIME ZONE $6, now()))" },

	/* $1 account, $2 site, $3 procedure, $4 batch key; columns:
	 * outcome, slots published. */
	[S_CAL_PUBLISH] = { "cal_publish", 4, 0,
	    "SELECT outcome, published FROM calendar_publish_now($1::bigint,"
	    "       $2::bigint, $3::bigint, $4::bigint)" },

	/* Waiting room (schema/014_fairness_limits.sql): the releases its
	 * per-worker cache holds; $1 minutes before, $2 minutes after the
	 * publication, $3 languages ('{fr,en}'); columns: site id,
	 * procedure id, site slug, procedure code, publication (epoch), UTC
	 * offset (seconds), site name, procedure names ("lang:name", one
	 * per language, separated by U+001F), slot ids (comma-separated),
	 * whether places published before it are free (t/f). */
	[S_WAIT_RELEASES] = { "wait_releases", 3, 1,
	    "SELECT site_id, procedure_id, site_slug, procedure_code,"
	    "       publish_epoch, utc_offset, site_name,"
	    "       array_to_string(procedure_names, chr(31)),"
	    "       array_to_string(slot_ids, ','),"
	    /* places free before the release: they are not queued */
	    "       EXISTS (SELECT 1 FROM creneau_bookable_slots(site_id, procedure_id) b"
	    "                 JOIN slots s ON s.id = b.slot_id"
	    "                WHERE s.published_at < to_timestamp(publish_epoch))"
	    "  FROM waiting_room_releases(make_interval(mins => $1::int),"
	    "       make_interval(mins => $2::int), $3::text[])" },

	/* S_SLOT_DAYS and S_SLOT_TIMES for someone not admitted to a
	 * release (issue 10): only the slots published before $4 (epoch s),
	 * so the places already free are not queued. */
	[S_SLOT_DAYS_BEFORE] = { "slot_days_before", 4, 1,
	    "SELECT b.local_start::date::text, sum(b.free)::integer"
	    "  FROM creneau_bookable_slots($1::bigint, $2::bigint) b"
	    "  JOIN slots s ON s.id = b.slot_id"
	    " WHERE s.published_at < to_timestamp($4::bigint)"
	    "   AND b.local_start::date < (SELECT (now() AT TIME ZONE st.time_zone)::date"
	    "                                FROM sites st WHERE st.id = $1::bigint)"
	    "                             + greatest($3::int, 0)"
	    " GROUP BY 1 ORDER BY 1" },
	[S_SLOT_TIMES_BEFORE] = { "slot_times_before", 4, 1,
	    "SELECT b.slot_id, to_char(b.local_start, 'HH24:MI'), b.free"
	    "  FROM creneau_bookable_slots($1::bigint, $2::bigint) b"
	    "  JOIN slots s ON s.id = b.slot_id"
	    " WHERE s.published_at < to_timestamp($4::bigint)"
	    "   AND b.local_start >= $3::date AND b.local_start < $3::date + 1"
	    " ORDER BY b.starts_at, b.slot_id" },

	/* Rate limits of the booking form, before booking_hold; $1 slot,
	 * $2 the person (identity_json: only its keys count), $3 address
	 * digest, $4 the form token's id (counts the live holds: schema/017);
	 * column: the scope refused, or empty. */
	[S_BOOKING_RATE_CHECK] = { "booking_rate_check", 4, 0,
	    "SELECT booking_rate_check($1::bigint, $2::jsonb, $3, $4)" },

	/* A form booking_hold refused stops counting as a live hold on its
	 * way (schema/017); $1 the form token's id. */
	[S_BOOKING_RATE_FORGET] = { "booking_rate_forget", 1, 0,
	    "SELECT booking_rate_forget($1)" },

	/* Draws (schema/013_draws.sql). $1 site slug, $2 procedure code,
	 * $3 language; columns: procedure name, site name, language of the
	 * procedure name, site id, procedure id. */
	[S_DRAW_PROCEDURE] = { "draw_procedure", 3, 1,
	    "SELECT t.name, s.name, t.lang, s.id, p.id"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, $3) t"
	    " WHERE s.slug = $1 AND p.code = $2" },

	/* The current draw of $1 site id, $2 procedure id; columns: id,
	 * site name, procedure name, opens, closes, draw (local
	 * 'YYYY-MM-DD HH24:MI'), places, commitment, status, registration
	 * open (t/f), requires_agdref, effective mode, (unused), offer
	 * hours. */
	[S_DRAW_PAGE] = { "draw_page", 2, 1,
	    "SELECT d.id, d.site_name, d.procedure_name,"
	    "       to_char(d.registration_opens_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       d.places, d.commitment, d.status, d.registration_open,"
	    "       p.requires_agdref, creneau_allocation_mode(d.site_id, d.procedure_id),"
	    "       '', d.offer_hours"
	    "  FROM draw_public d JOIN procedures p ON p.id = d.procedure_id"
	    " WHERE d.id = draw_current($1::bigint, $2::bigint)" },

	/* Registers; $1 draw, $2 the person (identity_json), $3
	 * idempotency key, $4 token, $5 code, $6 network digest; columns:
	 * outcome, entry id, public id. */
	[S_DRAW_REGISTER] = { "draw_register", 6, 0,
	    "SELECT outcome, entry_id, public_id FROM draw_register($1::bigint,"
	    "  $2::jsonb, $3, $4, $5, $6)" },

	/* An entry by its secret token; $1 token, $2 language; columns:
	 * status, public id, draw id, procedure name, site name, closes,
	 * draw (local), draw status, e-mail, phone, rank, commitment,
	 * language of the procedure name. */
	[S_DRAW_ENTRY_VIEW] = { "draw_entry_view", 2, 1,
	    "SELECT e.status, e.public_id, d.id, t.name, d.site_name,"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       d.status, coalesce(e.email, ''), coalesce(e.phone, ''),"
	    "       coalesce(e.rank::text, ''), d.commitment, t.lang"
	    "  FROM draw_entries e JOIN draw_public d ON d.id = e.draw_id"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, $2) t"
	    " WHERE e.id = draw_entry_by_token($1)" },

	/* $1 token, $2 code; column: outcome. */
	[S_DRAW_ENTRY_CONFIRM] = { "draw_entry_confirm", 2, 0,
	    "SELECT outcome FROM draw_entry_confirm($1, $2)" },

	/* $1 token; column: outcome. */
	[S_DRAW_ENTRY_WITHDRAW] = { "draw_entry_withdraw", 1, 0,
	    "SELECT outcome FROM draw_entry_withdraw($1)" },

	/* A draw for its public page; $1 id, $2 language; columns: site
	 * name, procedure name, opens, closes, draw, places, commitment,
	 * status, drawn at (local), seed (hex, once drawn), entries ranked,
	 * site slug, procedure code, language of the procedure name. */
	[S_DRAW_PUBLIC] = { "draw_public", 2, 1,
	    "SELECT d.site_name, t.name,"
	    "       to_char(d.registration_opens_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       d.places, d.commitment, d.status,"
	    "       coalesce(to_char(d.drawn_at AT TIME ZONE d.time_zone, 'YYYY-MM-DD HH24:MI'), ''),"
	    "       coalesce(d.seed_hex, ''), d.ranked, d.site_slug, d.procedure_code, t.lang"
	    "  FROM draw_public d"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, $2) t"
	    " WHERE d.id = $1::bigint" },

	/* The ranked entries of a drawn draw; $1 id; columns: public id,
	 * order key, rank, offered (t/f). */
	[S_DRAW_RESULTS] = { "draw_results", 1, 1,
	    "SELECT public_id, order_key, rank, offered FROM draw_results($1::bigint)" },

	/* Abuse review. $1 account, $2 site slug; columns: site id, site
	 * name, may review (t/f). */
	[S_ABUSE_SITE] = { "abuse_site", 2, 1,
	    "SELECT s.id, s.name, creneau_draw_staff_ok($1::bigint, s.id, true)"
	    "  FROM sites s WHERE s.slug = $2" },

	/* $1 account, $2 site id; columns: kind, subject, count, voidable
	 * entry ids (space-separated). */
	[S_ABUSE_REVIEW] = { "abuse_review", 2, 1,
	    "SELECT kind, subject, n, voidable"
	    "  FROM abuse_review($1::bigint, $2::bigint)" },

	/* Disposable domains; no parameter; column: domain. */
	[S_ABUSE_DOMAINS] = { "abuse_domains", 0, 1,
	    "SELECT domain FROM disposable_domains ORDER BY domain" },

	/* $1 account, $2 site id, $3 entry public id, $4 reason; outcome. */
	[S_ABUSE_VOID] = { "abuse_void", 4, 0,
	    "SELECT outcome FROM abuse_void_entry($1::bigint, $2::bigint, $3, $4)" },

	/* $1 account, $2 site id, $3 domain, $4 listed (t/f); outcome. */
	[S_ABUSE_DOMAIN_SET] = { "abuse_domain_set", 4, 0,
	    "SELECT outcome FROM disposable_domain_set($1::bigint, $2::bigint,"
	    "       $3, $4::boolean)" },

	/* Draws of a site for its staff; $1 account, $2 site slug; columns:
	 * id, procedure name, status, opens, closes, draw (local), commitment,
	 * verified entries, places, due to be drawn (t/f), made by the draw
	 * switch (t/f, schema/020). */
	[S_AGENT_DRAWS] = { "agent_draws", 2, 1,
	    "SELECT d.id, p.name, d.status,"
	    "       to_char(d.registration_opens_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.registration_closes_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       to_char(d.draw_at AT TIME ZONE s.time_zone, 'YYYY-MM-DD HH24:MI'),"
	    "       d.commitment,"
	    "       (SELECT count(*) FROM draw_entries e WHERE e.draw_id = d.id"
	    "           AND e.verified_at IS NOT NULL AND e.status <> 'voided'),"
	    "       (SELECT count(*) FROM draw_slots x WHERE x.draw_id = d.id),"
	    "       (d.status = 'scheduled' AND d.draw_at <= now()),"
	    "       d.auto_batch IS NOT NULL"
	    "  FROM draws d JOIN sites s ON s.id = d.site_id"
	    "  JOIN procedures p ON p.id = d.procedure_id"
	    " WHERE s.slug = $2 AND staff_can_site($1::bigint, s.id)"
	    " ORDER BY d.draw_at DESC LIMIT 50" },

	/* Procedures of a site allocated by draw; $1 site id; columns: id,
	 * name. */
	[S_AGENT_DRAW_PROCEDURES] = { "agent_draw_procedures", 1, 1,
	    "SELECT p.id, p.name FROM site_procedures sp"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE sp.site_id = $1::bigint"
	    "   AND creneau_allocation_mode(sp.site_id, sp.procedure_id) = 'draw'"
	    " ORDER BY p.name" },

	/* Schedules a draw; $1 account, $2 site id, $3 procedure id, $4 opens,
	 * $5 closes, $6 draw (local times of the site), $7 offer hours, $8 and
	 * $9 the days of the slots; columns: outcome, draw id, commitment. */
	[S_AGENT_DRAW_SCHEDULE] = { "agent_draw_schedule", 9, 0,
	    "SELECT d.outcome, d.draw_id, d.commitment FROM sites s,"
	    "  LATERAL draw_schedule($1::bigint, s.id, $3::bigint,"
	    "    $4::timestamp AT TIME ZONE s.time_zone,"
	    "    $5::timestamp AT TIME ZONE s.time_zone,"
	    "    $6::timestamp AT TIME ZONE s.time_zone,"
	    "    $7::int, $8::date, $9::date) d"
	    " WHERE s.id = $2::bigint" },

	/* Runs a due draw now; $1 draw, $2 account; outcome, offers, entries. */
	[S_AGENT_DRAW_RUN] = { "agent_draw_run", 2, 0,
	    "SELECT outcome, offers, entries FROM draw_run($1::bigint, $2::bigint)" },

	/* Rate limits of a draw registration ($1 the person: its e-mail and
	 * phone keys, $2 address digest); the first scope over its limit, or
	 * empty. */
	[S_DRAW_RATE_CHECK] = { "draw_rate_check", 2, 0,
	    "SELECT draw_rate_check($1::jsonb, $2)" },

	/* The draw switch of each procedure of a site; $1 account, $2 site;
	 * columns: procedure id, name, next mode, override, automatic mode,
	 * reason kind (sold_out, left_over or empty), release (local),
	 * places, seconds, draw id, places left, sellout limit (minutes),
	 * changed at (local), allocated by draw anyway (t/f). */
	[S_CAL_SWITCH_STATUS] = { "cal_switch_status", 2, 1,
	    "SELECT procedure_id, name, next_mode, override, auto_mode, reason_kind,"
	    "       release_local, coalesce(places::text, ''), coalesce(seconds::text, ''),"
	    "       coalesce(draw_id::text, ''), coalesce(places_left::text, ''),"
	    "       limit_minutes, changed_local, by_draw"
	    "  FROM draw_switch_status($1::bigint, $2::bigint)" },

	/* Staff override of the draw switch; $1 account, $2 site, $3
	 * procedure, $4 mode (auto, open, draw); columns: outcome, batches
	 * changed. */
	[S_CAL_SWITCH_SET] = { "cal_switch_set", 4, 0,
	    "SELECT outcome, changed FROM draw_switch_override($1::bigint, $2::bigint,"
	    "       $3::bigint, $4)" },

	/* The public statistics of the last $1 weeks (reporting.public_weekly,
	 * written nightly by creneau-report publish); columns: week (Monday),
	 * site slug, site name, procedure code, procedure name, waits
	 * counted, median wait, 90th percentile (days; empty when none),
	 * first free date, its distance in days (empty when none), places
	 * online, mediator, counter, court, draws held, draw entries. */
	[S_STATS_WEEKS] = { "stats_weeks", 1, 1,
	    "SELECT w.week::text, st.slug, st.name, p.code, p.name, w.wait_count,"
	    "       coalesce(w.wait_median_days::text, ''), coalesce(w.wait_p90_days::text, ''),"
	    "       coalesce(w.first_free::text, ''), coalesce(w.first_free_days::text, ''),"
	    "       w.places_online, w.places_mediator, w.places_counter, w.places_court,"
	    "       w.draws_held, w.draw_entries"
	    "  FROM reporting.public_weekly w"
	    "  JOIN sites st ON st.id = w.site_id"
	    "  JOIN procedures p ON p.id = w.procedure_id"
	    " WHERE w.week > current_date - 7 * $1::int"
	    " ORDER BY st.department_code, st.name, st.id, p.name, p.id, w.week" },

	/* The latest report of each site the account may see (administrators:
	 * every site and the all-sites report); $1 account; columns: run id,
	 * site slug (empty: all sites), site name, from, to, made at (UTC). */
	[S_REPORT_RUNS] = { "report_runs", 1, 1,
	    "SELECT DISTINCT ON (r.site_id) r.id, coalesce(st.slug, ''), coalesce(st.name, ''),"
	    "       r.date_from::text, r.date_to::text,"
	    "       to_char(r.made_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
	    "  FROM reporting.runs r"
	    "  LEFT JOIN sites st ON st.id = r.site_id"
	    "  JOIN staff_accounts a ON a.id = $1::bigint AND a.active"
	    " WHERE a.role = 'administrator'"
	    "    OR (a.role = 'supervisor' AND r.site_id IN"
	    "        (SELECT ss.site_id FROM staff_sites ss WHERE ss.account_id = a.id))"
	    " ORDER BY r.site_id NULLS FIRST, r.made_at DESC, r.id DESC" },

	/* One report the account may see; $1 account, $2 run id; columns:
	 * directory, site slug (or all), from, to. */
	[S_REPORT_RUN] = { "report_run", 2, 1,
	    "SELECT r.directory, coalesce(st.slug, 'all'), r.date_from::text, r.date_to::text"
	    "  FROM reporting.runs r"
	    "  LEFT JOIN sites st ON st.id = r.site_id"
	    "  JOIN staff_accounts a ON a.id = $1::bigint AND a.active"
	    " WHERE r.id = $2::bigint"
	    "   AND (a.role = 'administrator'"
	    "        OR (a.role = 'supervisor' AND r.site_id IN"
	    "            (SELECT ss.site_id FROM staff_sites ss WHERE ss.account_id = a.id)))" },
};
