/* The named prepared statements (see statements.h and db.h). Each is one
 * round trip. Parameters are written :name and bound by name (DB_ARGS);
 * the last field lists the result columns, in order, as PostgreSQL names
 * them (checked when the statement is prepared); pages read them by name
 * (db_get). */
#include "config.h"

#include "statements.h"

const struct statement statements[STMT_COUNT] = {
	[S_HEALTH] = { "health", 1, "SELECT 1 AS ok", "ok" },

	/* Home page: every site, grouped by department. */
	[S_SITES] = { "sites", DB_STANDBY,
	    "SELECT slug, name, kind, city, department_code, department_name"
	    "  FROM sites"
	    " ORDER BY department_code, kind, name",
	    "slug name kind city department_code department_name" },

	/* Site page header; alternative_route is translated when it can be,
	 * route_lang is the language of that text. */
	[S_SITE] = { "site", DB_STANDBY,
	    "SELECT s.id, s.name, s.kind, s.address, s.postal_code, s.city,"
	    "       coalesce(s.phone, '') AS phone, s.time_zone,"
	    "       a.alternative_route, a.lang AS route_lang"
	    "  FROM sites s"
	    "  CROSS JOIN LATERAL site_alternative_route(s.id, :lang) a"
	    " WHERE s.slug = :slug",
	    "id name kind address postal_code city phone time_zone"
	    " alternative_route route_lang" },

	/* Procedures offered at a site with the next published free slot in
	 * the site's time zone: documents one per line, next_slot local
	 * 'YYYY-MM-DD HH24:MI' or empty (always empty for a procedure
	 * allocated by draw), lang the language of the texts. */
	[S_SITE_PROCEDURES] = { "site_procedures", DB_STANDBY,
	    "SELECT p.code, t.name, t.description, p.duration_minutes,"
	    "       p.requires_agdref, t.documents,"
	    "       coalesce(to_char(n.starts_at AT TIME ZONE s.time_zone,"
	    "                        'YYYY-MM-DD HH24:MI'), '') AS next_slot,"
	    "       creneau_allocation_mode(s.id, p.id) AS allocation_mode,"
	    "       t.lang"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, :lang) t"
	    "  LEFT JOIN LATERAL ("
	    "       SELECT b.starts_at"
	    "         FROM creneau_bookable_slots(sp.site_id,"
	    "         sp.procedure_id) b"
	    "        ORDER BY b.starts_at LIMIT 1) n ON true"
	    " WHERE sp.site_id = :site_id"
	    " ORDER BY t.name",
	    "code name description duration_minutes requires_agdref documents"
	    " next_slot allocation_mode lang" },

	/* Procedure page: a procedure of a site with its texts in :lang (lang
	 * is the language they came in, route_lang that of the alternative
	 * route); public_mode is how the public books it (open or draw). */
	[S_SITE_PROCEDURE] = { "site_procedure", DB_STANDBY,
	    "SELECT s.id AS site_id, s.name AS site_name, s.time_zone,"
	    "       a.alternative_route, p.id AS procedure_id,"
	    "       t.name AS procedure_name, t.description,"
	    "       p.duration_minutes, p.requires_agdref,"
	    "       t.documents,"
	    "       creneau_public_mode(s.id, p.id) AS public_mode,"
	    "       s.address, s.postal_code, s.city, t.lang,"
	    "       a.lang AS route_lang"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, :lang) t"
	    "  CROSS JOIN LATERAL site_alternative_route(s.id, :lang) a"
	    " WHERE s.slug = :site_slug AND p.code = :procedure_code",
	    "site_id site_name time_zone alternative_route procedure_id"
	    " procedure_name description duration_minutes requires_agdref"
	    " documents public_mode address postal_code city lang route_lang" },

	/* Local days (YYYY-MM-DD) with free places in the next :days days. */
	[S_SLOT_DAYS] = { "slot_days", DB_STANDBY,
	    "SELECT day::text, free FROM slot_days(:site_id::bigint,"
	    "       :procedure_id::bigint, :days::int)"
	    " ORDER BY day",
	    "day free" },

	/* Free times (HH24:MI) of local :day. */
	[S_SLOT_TIMES] = { "slot_times", DB_STANDBY,
	    "SELECT slot_id, local_time, free"
	    "  FROM slot_times(:site_id::bigint, :procedure_id::bigint,"
	    "       :day::date)"
	    " ORDER BY local_time",
	    "slot_id local_time free" },

	/* When the next slots will be published, local to the site ('YYYY-MM-
	 * DD HH24:MI'), empty if unknown. */
	[S_NEXT_PUBLICATION] = { "next_publication", DB_STANDBY,
	    "SELECT coalesce(to_char(procedure_next_publication(:site_id::bigint,"
	    "       :procedure_id::bigint) AT TIME ZONE :time_zone,"
	    "       'YYYY-MM-DD HH24:MI'), '')"
	    "       AS next_publication",
	    "next_publication" },

	/* A slot with what the booking form shows: available says whether it
	 * can be booked online now; lang is the language of the procedure
	 * name. */
	[S_SLOT] = { "slot", 1,
	    "SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS starts_local,"
	    "       (sl.published_at <= now() AND sl.starts_at > now()"
	    "        AND creneau_slot_free(sl) > 0"
	    "        AND creneau_allocation_mode(s.id, p.id) = 'open')"
	    "           AS available,"
	    "       s.name AS site_name, s.slug AS site_slug, s.address,"
	    "       s.postal_code, s.city, s.time_zone,"
	    "       t.name AS procedure_name, p.code AS procedure_code,"
	    "       p.duration_minutes, p.requires_agdref, t.lang"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, :lang) t"
	    " WHERE sl.id = :slot_id::bigint",
	    "starts_local available site_name site_slug address postal_code"
	    " city time_zone procedure_name procedure_code duration_minutes"
	    " requires_agdref lang" },

	/* Holds a slot (schema/016_booking_path.sql); :identity is
	 * identity_json, :token the secret of the booking's link, :code the
	 * confirmation code, :max_per_email and :max_per_phone the caps on
	 * live bookings. */
	[S_BOOKING_HOLD] = { "booking_hold", 0,
	    "SELECT outcome, booking_id, reference FROM booking_hold("
	    "  :slot_id::bigint, :identity::jsonb, :idempotency_key, :token,"
	    "       :code, make_interval(mins => :hold_minutes::int),"
	    "  :max_per_email::int, :max_per_phone::int)",
	    "outcome booking_id reference" },

	/* A booking by the secret :token of its link: hold_expires_local
	 * HH24:MI, hold_passed t/f, starts_utc and ends_utc in iCalendar
	 * form, lang the language of the procedure texts. */
	[S_BOOKING_VIEW] = { "booking_view", 1,
	    "SELECT d.status, d.reference,"
	    "       coalesce(d.hold_expires_local, '') AS hold_expires_local,"
	    "       coalesce(d.hold_expires_at < now(), false) AS hold_passed,"
	    "       d.starts_local,"
	    "       d.site_name, d.site_address, d.site_postal_code,"
	    "       d.site_city,"
	    "       coalesce(d.site_phone, '') AS site_phone, d.time_zone,"
	    "       t.name AS procedure_name,"
	    "       t.documents, coalesce(d.email, '') AS email,"
	    "       coalesce(d.phone, '') AS phone, d.site_slug,"
	    "       d.procedure_code,"
	    "       to_char(d.starts_at AT TIME ZONE 'UTC',"
	    "       'YYYYMMDD\"T\"HH24MISS\"Z\"') AS starts_utc,"
	    "       to_char(d.ends_at AT TIME ZONE 'UTC',"
	    "       'YYYYMMDD\"T\"HH24MISS\"Z\"') AS ends_utc,"
	    "       (extract(epoch FROM d.ends_at - d.starts_at) / 60)::int AS duration_minutes,"
	    "       t.lang, d.ics_sequence, d.moved"
	    "  FROM booking_tokens k JOIN booking_details d ON d.id = k.booking_id"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, :lang) t"
	    " WHERE k.token_hash = sha256(convert_to(:token, 'UTF8'))"
	    "   AND (k.expires_at IS NULL OR k.expires_at > now())",
	    "status reference hold_expires_local hold_passed starts_local"
	    " site_name site_address site_postal_code site_city site_phone"
	    " time_zone procedure_name documents email phone site_slug"
	    " procedure_code starts_utc ends_utc duration_minutes lang"
	    " ics_sequence moved" },

	/* Confirms a held booking with the code sent to the person. */
	[S_BOOKING_CONFIRM] = { "booking_confirm", 0,
	    "SELECT outcome FROM booking_confirm(:token, :code)",
	    "outcome" },

	/* Cancels a booking; :release_min and :release_max bound the delay
	 * (minutes) before the place is offered again. */
	[S_BOOKING_CANCEL] = { "booking_cancel", 0,
	    "SELECT outcome FROM booking_cancel(:token,"
	    "  make_interval(mins => :release_min::int),"
	    "       make_interval(mins => :release_max::int))",
	    "outcome" },

	/* Moves a booking to :slot_id; release bounds as S_BOOKING_CANCEL. */
	[S_BOOKING_RESCHEDULE] = { "booking_reschedule", 0,
	    "SELECT outcome, booking_id FROM booking_reschedule(:token,"
	    "       :slot_id::bigint,"
	    "  make_interval(mins => :release_min::int),"
	    "       make_interval(mins => :release_max::int))",
	    "outcome booking_id" },

	/* A new link to a booking from its reference and date of birth,
	 * :token being the new link's secret, :address the address digest,
	 * :max_links the most live links; outcome ok, not_found or wait, and
	 * the seconds to wait. */
	[S_BOOKING_ACCESS] = { "booking_access_guarded", 0,
	    "SELECT outcome, wait FROM booking_access_guarded(:reference,"
	    "       :birth_date::date, :token,"
	    "       :address, :max_links::int)",
	    "outcome wait" },

	/* Extends a hold by :minutes, up to :max_minutes in all. */
	[S_BOOKING_EXTEND] = { "booking_extend", 0,
	    "SELECT outcome FROM booking_extend(:token, :minutes::int,"
	    "       :max_minutes::int)",
	    "outcome" },

	/* Alerts (schema/006_notify.sql): a subscription to new places of a
	 * procedure for :days days; :token is its link's secret. */
	[S_ALERT_SUBSCRIBE] = { "alert_subscribe", 0,
	    "SELECT outcome FROM alert_subscribe(:site_id::bigint,"
	    "       :procedure_id::bigint, :email, :phone,"
	    "  :lang, :token, :days::int)",
	    "outcome" },
	/* The subscription the secret :token leads to. */
	[S_ALERT_VIEW] = { "alert_view", 1,
	    "SELECT subscription_id, status, channel, site_name, site_slug,"
	    "       procedure_name, procedure_code, expires_local"
	    "  FROM alert_view(:token)",
	    "subscription_id status channel site_name site_slug"
	    " procedure_name procedure_code expires_local" },
	/* Confirms a subscription for :days days. */
	[S_ALERT_CONFIRM] = { "alert_confirm", 0,
	    "SELECT outcome FROM alert_confirm(:token, :days::int)",
	    "outcome" },
	/* Ends a subscription. */
	[S_ALERT_UNSUBSCRIBE] = { "alert_unsubscribe", 0,
	    "SELECT outcome FROM alert_unsubscribe(:token)",
	    "outcome" },

	/* Staff (schema/009_staff.sql): the session of a cookie, idle for at
	 * most :idle_minutes; organisation_id is empty unless a mediator. */
	[S_STAFF_SESSION] = { "staff_session", 0,
	    "SELECT account_id, email, name, role,"
	    "       coalesce(organisation_id::text, '') AS organisation_id,"
	    "       csrf"
	    "  FROM staff_session(:token,"
	    "       make_interval(mins => :idle_minutes::int))",
	    "account_id email name role organisation_id csrf" },

	/* Starts a login: :address is the address digest, :device a known
	 * device id or NULL; account_id and password_hash (argon2id) are
	 * empty for an unknown e-mail, wait the seconds to wait, scope why
	 * (device, pair, address, account). */
	[S_STAFF_LOGIN_BEGIN] = { "staff_login_start", 0,
	    "SELECT coalesce(account_id::text, '') AS account_id,"
	    "       coalesce(password_hash, '') AS password_hash, wait,"
	    "       coalesce(scope, '') AS scope"
	    "  FROM staff_login_start(:email, :address, :device)",
	    "account_id password_hash wait scope" },

	/* Counts a wrong password; wait: seconds to wait now. */
	[S_STAFF_LOGIN_FAILED] = { "staff_login_wrong", 0,
	    "SELECT staff_login_wrong(:email, :address, :device) AS wait",
	    "wait" },

	/* Opens a session of :lifetime_hours for :account with cookie :token
	 * and CSRF secret :csrf. */
	[S_STAFF_LOGIN_SUCCEEDED] = { "staff_login_right", 0,
	    "SELECT staff_login_right(:account::bigint, :token, :csrf,"
	    "       make_interval(hours => :lifetime_hours::int), :address,"
	    "       :device) AS opened",
	    "opened" },

	/* Ends the session of cookie :token; was_open says whether there was
	 * one. */
	[S_STAFF_LOGOUT] = { "staff_logout", 0,
	    "SELECT staff_logout(:token) AS was_open",
	    "was_open" },

	/* Sites an account may act for. */
	[S_STAFF_SITES] = { "staff_sites", 1,
	    "SELECT s.slug, s.name, s.city FROM sites s"
	    " WHERE staff_can_site(:account::bigint, s.id)"
	    " ORDER BY s.department_code, s.name",
	    "slug name city" },

	/* The day at the counter (schema/011_counter.sql). A site for an
	 * account; :day is YYYY-MM-DD, or empty for today. */
	[S_COUNTER_SITE] = { "counter_site", 1,
	    "SELECT site_id, name, time_zone, day::text, prev_day::text,"
	    "       next_day::text, today::text, allowed"
	    "  FROM counter_site(:account::bigint, :site_slug,"
	    "       nullif(:day, ''))",
	    "site_id name time_zone day prev_day next_day today allowed" },

	/* A day's bookings (logged); :counter_id empty for all counters. */
	[S_COUNTER_AGENDA] = { "counter_agenda", 0,
	    "SELECT booking_id, local_time, counter_name, reference, surname,"
	    "       given_names, procedure_name, channel, status,"
	    "       coalesce(attendance, '') AS attendance, attendance_time,"
	    "       can_honour,"
	    "       can_no_show,"
	    /* Where a moved booking went (issue 12): its live row. */
	    "       CASE WHEN status = 'moved' THEN coalesce((SELECT"
	    "         d.starts_local FROM booking_details d"
	    "         WHERE d.rescheduled_from = a.booking_id), '')"
	    "         ELSE '' END AS moved_to"
	    "  FROM counter_agenda(:account::bigint, :site_id::bigint,"
	    "       :day::date,"
	    "       nullif(:counter_id, '')::bigint, :grace::int) a",
	    "booking_id local_time counter_name reference surname given_names"
	    " procedure_name channel status attendance attendance_time"
	    " can_honour can_no_show moved_to" },

	/* Counters of a site. */
	[S_COUNTER_COUNTERS] = { "counter_counters", 1,
	    "SELECT counter_id, name FROM counter_counters(:account::bigint,"
	    "       :site_id::bigint)",
	    "counter_id name" },

	/* Marks attendance (logged) of the booking with :reference or
	 * :booking_id (the other empty); local_time is the local start. */
	[S_COUNTER_MARK] = { "counter_mark", 0,
	    "SELECT outcome, coalesce(reference, '') AS reference,"
	    "       coalesce(surname, '') AS surname,"
	    "       coalesce(given_names, '') AS given_names,"
	    "       coalesce(procedure_name, '') AS procedure_name,"
	    "       coalesce(local_time, '') AS local_time,"
	    "       coalesce(counter_name, '') AS counter_name"
	    "  FROM counter_mark(:account::bigint, :site_id::bigint,"
	    "       nullif(:reference, ''),"
	    "       nullif(:booking_id, '')::bigint, :mark, :grace::int)",
	    "outcome reference surname given_names procedure_name local_time"
	    " counter_name" },

	/* Searches the account's sites (logged); each criterion empty when
	 * not given; at most :max_rows rows. */
	[S_COUNTER_SEARCH] = { "counter_search", 0,
	    "SELECT booking_id, reference, surname, given_names,"
	    "       birth_date::text,"
	    "       coalesce(agdref, '') AS agdref, procedure_name,"
	    "       site_slug, site_name,"
	    "       local_start, day::text, status,"
	    "       coalesce(attendance, '') AS attendance,"
	    /* Where a moved booking went (issue 12). */
	    "       CASE WHEN status = 'moved' THEN coalesce((SELECT"
	    "         d.starts_local FROM booking_details d"
	    "         WHERE d.rescheduled_from = s.booking_id), '')"
	    "         ELSE '' END AS moved_to"
	    "  FROM counter_search(:account::bigint, :site_id::bigint,"
	    "       nullif(:reference, ''),"
	    "       nullif(:surname, ''), nullif(:given_names, ''),"
	    "       nullif(:birth_date, '')::date,"
	    "       nullif(:agdref, ''), :max_rows::int) s",
	    "booking_id reference surname given_names birth_date agdref"
	    " procedure_name site_slug site_name local_start day status"
	    " attendance moved_to" },

	/* Mediators, court orders, audit log (schema/012_mediation_court.sql). */

	/* A site by slug, and whether the account may act for it. */
	[S_STAFF_SITE_ACCESS] = { "staff_site_access", 1,
	    "SELECT s.id AS site_id, s.name AS site_name,"
	    "       staff_can_site(:account::bigint, s.id) AS allowed"
	    "  FROM sites s WHERE s.slug = :site_slug",
	    "site_id site_name allowed" },

	/* A procedure of a site, by slug and code. */
	[S_STAFF_SITE_PROCEDURE] = { "staff_site_procedure", 1,
	    "SELECT s.id AS site_id, s.name AS site_name, p.id AS procedure_id,"
	    "       p.name AS procedure_name, p.requires_agdref, s.time_zone"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE s.slug = :site_slug AND p.code = :procedure_code",
	    "site_id site_name procedure_id procedure_name requires_agdref"
	    " time_zone" },

	/* Procedures of a site. */
	[S_STAFF_SITE_PROCEDURE_LIST] = { "staff_site_procedure_list", 1,
	    "SELECT p.code, p.name FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE s.slug = :site_slug ORDER BY p.name, p.code",
	    "code name" },

	/* Slots :channel may take in the next :days days (:published_only
	 * t/f); free is the places for the channel. */
	[S_CHANNEL_SLOTS] = { "channel_slots", 1,
	    "SELECT slot_id, local_day::text, local_time, free"
	    "  FROM creneau_channel_slots(:site_id::bigint,"
	    "       :procedure_id::bigint, :channel,"
	    "       :published_only::boolean, :days::int)",
	    "slot_id local_day local_time free" },

	/* A mediator's organisation with its monthly quota and the bookings
	 * made this month (no row unless a mediator). */
	[S_MEDIATOR_ORG] = { "mediator_org", 1,
	    "SELECT organisation_id, name, monthly_quota, used"
	    "  FROM mediator_organisation(:account::bigint)",
	    "organisation_id name monthly_quota used" },

	/* Sites and procedures open to booking. */
	[S_MEDIATOR_CHOICES] = { "mediator_choices", 1,
	    "SELECT s.slug AS site_slug, s.name AS site_name, s.city,"
	    "       p.code AS procedure_code, p.name AS procedure_name"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE p.allocation_mode = 'open'"
	    " ORDER BY s.department_code, s.name, p.name",
	    "site_slug site_name city procedure_code procedure_name" },

	/* A slot as the mediator's form shows it; available: bookable by a
	 * mediator. */
	[S_MEDIATOR_SLOT] = { "mediator_slot", 1,
	    "SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone,"
	    "       'YYYY-MM-DD HH24:MI')"
	    "       AS starts_local,"
	    "       (sl.published_at <= now() AND sl.starts_at > now()"
	    "        AND p.allocation_mode = 'open'"
	    "        AND creneau_slot_channel_free(sl,"
	    "        'mediator') > 0) AS available,"
	    "       s.name AS site_name, s.slug AS site_slug, s.address,"
	    "       s.postal_code, s.city,"
	    "       p.name AS procedure_name, p.code AS procedure_code,"
	    "       p.requires_agdref"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    " WHERE sl.id = :slot_id::bigint",
	    "starts_local available site_name site_slug address postal_code"
	    " city procedure_name procedure_code requires_agdref" },

	/* Books for a mediator; :identity is identity_json. */
	[S_MEDIATOR_BOOK] = { "mediator_book", 0,
	    "SELECT outcome, coalesce(booking_id::text, '') AS booking_id,"
	    "       coalesce(reference, '') AS reference"
	    "  FROM mediator_book(:account::bigint, :slot_id::bigint,"
	    "       :identity::jsonb, :idempotency_key, :max_per_phone::int)",
	    "outcome booking_id reference" },

	/* The organisation's bookings (audited); made_by is the mediator's
	 * name. */
	[S_MEDIATOR_BOOKINGS] = { "mediator_bookings", 0,
	    "SELECT booking_id, reference, status, starts_local, site_name,"
	    "       procedure_name, surname, given_names, made_by"
	    "  FROM mediator_bookings_list(:account::bigint, :max_rows::int)",
	    "booking_id reference status starts_local site_name"
	    " procedure_name surname given_names made_by" },

	/* Records an injunction for the applicant it names. */
	[S_COURT_RECORD] = { "court_record", 0,
	    "SELECT outcome, coalesce(injunction_id::text, '') AS injunction_id"
	    "  FROM court_record(:account::bigint, :site_slug,"
	    "       :procedure_code, :tribunal, :case_number,"
	    "       :decision_date::date, :deadline::date,"
	    "       :surname, :given_names, :birth_date::date, :agdref,"
	    "       :email, :phone, :lang)",
	    "outcome injunction_id" },

	/* Injunctions (audited); :site_slug NULL for every site of the
	 * account; reference and starts_local are the booking's, if any. */
	[S_COURT_LIST] = { "court_list", 0,
	    "SELECT injunction_id, site_slug, site_name, procedure_name,"
	    "       tribunal,"
	    "       case_number, decision_date::text, deadline::text,"
	    "       days_left,"
	    "       surname, given_names, fulfilled,"
	    "       coalesce(reference, '') AS reference,"
	    "       coalesce(starts_local, '') AS starts_local"
	    "  FROM court_list(:account::bigint, :site_slug, :max_rows::int)",
	    "injunction_id site_slug site_name procedure_name tribunal"
	    " case_number decision_date deadline days_left surname"
	    " given_names fulfilled reference starts_local" },

	/* One injunction (audited), with the booking that fulfils it, if
	 * any. */
	[S_COURT_VIEW] = { "court_view", 0,
	    "SELECT injunction_id, site_id, procedure_id, procedure_name,"
	    "       tribunal,"
	    "       case_number, decision_date::text, deadline::text,"
	    "       days_left,"
	    "       surname, given_names, birth_date::text,"
	    "       coalesce(agdref, '') AS agdref,"
	    "       coalesce(email, '') AS email,"
	    "       coalesce(phone, '') AS phone, lang,"
	    "       fulfilled, coalesce(reference, '') AS reference,"
	    "       coalesce(starts_local, '') AS starts_local,"
	    "       coalesce(booking_status, '') AS booking_status"
	    "  FROM court_view(:account::bigint, :site_slug,"
	    "       :injunction_id::bigint)",
	    "injunction_id site_id procedure_id procedure_name tribunal"
	    " case_number decision_date deadline days_left surname"
	    " given_names birth_date agdref email phone lang fulfilled"
	    " reference starts_local booking_status" },

	/* Books the slot of an injunction; :identity holds the applicant's
	 * keys (identity_json). */
	[S_COURT_BOOK] = { "court_book", 0,
	    "SELECT outcome, coalesce(booking_id::text, '') AS booking_id,"
	    "       coalesce(reference, '') AS reference"
	    "  FROM court_book(:account::bigint, :site_slug,"
	    "       :injunction_id::bigint, :slot_id::bigint,"
	    "       :identity::jsonb)",
	    "outcome booking_id reference" },

	/* The audit log (audited); :day and :action NULL for all; total is
	 * the count of matching rows. */
	[S_AUDIT_VIEW] = { "audit_view", 0,
	    "SELECT at_local, account_name, account_role, site_name, action,"
	    "       object, details, total"
	    "  FROM audit_view(:account::bigint, :day::date, :action,"
	    "       :skip::int, :max_rows::int)",
	    "at_local account_name account_role site_name action object"
	    " details total" },

	/* Calendars (schema/010_calendars.sql). Every statement names the
	 * account and checks staff_can_site() in SQL. */

	/* A site by slug, its local today, and whether the account may act
	 * for it. */
	[S_CAL_SITE] = { "cal_site", 1,
	    "SELECT s.id AS site_id, s.name AS site_name, s.time_zone,"
	    "       (now() AT TIME ZONE s.time_zone)::date::text AS today,"
	    "       staff_can_site(:account::bigint, s.id) AS allowed,"
	    "       s.department_code"
	    "  FROM sites s WHERE s.slug = :site_slug",
	    "site_id site_name time_zone today allowed department_code" },

	/* Counters of a site. */
	[S_CAL_COUNTERS] = { "cal_counters", 1,
	    "SELECT c.id, c.name FROM counters c"
	    " WHERE c.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, c.site_id)"
	    " ORDER BY c.name, c.id",
	    "id name" },

	/* Procedures of a site with the shares of places per channel. */
	[S_CAL_PROCEDURES] = { "cal_procedures", 1,
	    "SELECT p.id, p.name, p.allocation_mode,"
	    "       coalesce(m.percent, 0) AS mediator_percent,"
	    "       coalesce(k.percent, 0) AS counter_percent,"
	    "       coalesce(c.percent, 0) AS court_percent,"
	    "       100 - coalesce(m.percent, 0) - coalesce(k.percent, 0)"
	    "           - coalesce(c.percent, 0) AS online_percent"
	    "  FROM site_procedures sp JOIN procedures p ON p.id = sp.procedure_id"
	    "  LEFT JOIN channel_shares m ON m.site_id = sp.site_id"
	    "       AND m.procedure_id = sp.procedure_id"
	    "           AND m.channel = 'mediator'"
	    "  LEFT JOIN channel_shares k ON k.site_id = sp.site_id"
	    "       AND k.procedure_id = sp.procedure_id"
	    "           AND k.channel = 'counter'"
	    "  LEFT JOIN channel_shares c ON c.site_id = sp.site_id"
	    "       AND c.procedure_id = sp.procedure_id"
	    "           AND c.channel = 'court'"
	    " WHERE sp.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, sp.site_id)"
	    " ORDER BY p.name, p.id",
	    "id name allocation_mode mediator_percent counter_percent"
	    " court_percent online_percent" },

	/* Opening rules of a site: weekday 1-7, valid_until empty when open-
	 * ended, current whether in force or to come. */
	[S_CAL_RULES] = { "cal_rules", 1,
	    "SELECT r.id, c.name AS counter_name, p.name AS procedure_name,"
	    "       r.weekday,"
	    "       to_char(r.opens, 'HH24:MI') AS opens,"
	    "       to_char(r.closes, 'HH24:MI') AS closes, r.slot_minutes,"
	    "       r.capacity,"
	    "       r.valid_from::text,"
	    "       coalesce(r.valid_until::text, '') AS valid_until,"
	    "       (r.valid_until IS NULL"
	    "        OR r.valid_until >= (now()"
	    "            AT TIME ZONE s.time_zone)::date) AS current"
	    "  FROM opening_rules r JOIN counters c ON c.id = r.counter_id"
	    "  JOIN procedures p ON p.id = r.procedure_id JOIN sites s ON s.id = r.site_id"
	    " WHERE r.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, r.site_id)"
	    " ORDER BY c.name, p.name, r.weekday, r.opens, r.valid_from",
	    "id counter_name procedure_name weekday opens closes slot_minutes"
	    " capacity valid_from valid_until current" },

	/* Closures from the site's today on (counter_name empty: the whole
	 * site). */
	[S_CAL_CLOSURES] = { "cal_closures", 1,
	    "SELECT cl.day::text, coalesce(c.name, '') AS counter_name,"
	    "       cl.reason,"
	    "       coalesce((SELECT (a.details->>'bookings_cancelled') FROM audit_log a"
	    "                  WHERE a.site_id = cl.site_id"
	    "                      AND a.action = 'closure.add'"
	    "                    AND a.object = 'closure:' || cl.id LIMIT 1),"
	    "                    '0')"
	    "       AS bookings_cancelled"
	    "  FROM closures cl JOIN sites s ON s.id = cl.site_id"
	    "  LEFT JOIN counters c ON c.id = cl.counter_id"
	    " WHERE cl.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, cl.site_id)"
	    "   AND cl.day >= (now() AT TIME ZONE s.time_zone)::date"
	    " ORDER BY cl.day, c.name NULLS FIRST",
	    "day counter_name reason bookings_cancelled" },

	/* Public holidays of the coming 3 months at a site. */
	[S_CAL_HOLIDAYS] = { "cal_holidays", 1,
	    "SELECT h.day::text, h.name FROM public_holidays h JOIN sites s"
	    "    ON h.zone IN ('national', s.department_code)"
	    " WHERE s.id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, s.id)"
	    "   AND h.day >= (now() AT TIME ZONE s.time_zone)::date"
	    "   AND h.day < (now() AT TIME ZONE s.time_zone)::date + 92"
	    " ORDER BY h.day, h.name",
	    "day name" },

	/* How many active bookings a closure would cancel (:counter_id empty:
	 * all). */
	[S_CAL_DAY_BOOKINGS] = { "cal_day_bookings", 1,
	    "SELECT count(*) AS bookings FROM bookings b JOIN slots sl ON sl.id = b.slot_id"
	    "  JOIN sites s ON s.id = sl.site_id"
	    " WHERE sl.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, sl.site_id)"
	    "   AND (:counter_id = ''"
	    "        OR sl.counter_id = nullif(:counter_id, '')::bigint)"
	    "   AND b.status IN ('held', 'confirmed')"
	    "   AND sl.starts_at >= (:day::date::timestamp"
	    "           AT TIME ZONE s.time_zone)"
	    "   AND sl.starts_at < ((:day::date + 1)::timestamp"
	    "           AT TIME ZONE s.time_zone)",
	    "bookings" },

	/* Batches to come (future slots not yet published, by procedure and
	 * publication time, and the batches the draw switch made draws whose
	 * registration has not opened: schema/020): allocation_mode is draw
	 * for those, publication local, batch_key in microseconds, first_slot
	 * and last_slot local. */
	[S_CAL_BATCHES] = { "cal_batches", 1,
	    "SELECT p.id AS procedure_id, p.name AS procedure_name,"
	    "       CASE WHEN d.id IS NULL THEN p.allocation_mode ELSE 'draw' END"
	    "           AS allocation_mode,"
	    "       to_char(coalesce(sl.published_at, d.auto_batch)"
	    "           AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS publication,"
	    "       (extract(epoch FROM coalesce(sl.published_at,"
	    "       d.auto_batch))"
	    "        * 1000000)::bigint AS batch_key,"
	    "       count(*) AS slots, sum(sl.capacity) AS places,"
	    "       coalesce(sum((SELECT sum(r.places) FROM slot_reservations r"
	    "                       WHERE r.slot_id = sl.id)), 0) AS reserved,"
	    "       to_char(min(sl.starts_at) AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS first_slot,"
	    "       to_char(max(sl.starts_at) AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS last_slot"
	    "  FROM slots sl JOIN procedures p ON p.id = sl.procedure_id"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  LEFT JOIN draw_slots ds ON ds.slot_id = sl.id"
	    "  LEFT JOIN draws d ON d.id = ds.draw_id"
	    "           AND d.auto_batch IS NOT NULL"
	    "       AND d.status = 'scheduled'"
	    "           AND d.registration_opens_at > now()"
	    " WHERE sl.site_id = :site_id::bigint"
	    "           AND staff_can_site(:account::bigint, sl.site_id)"
	    "   AND (sl.published_at > now() OR d.id IS NOT NULL)"
	    "           AND sl.starts_at > now()"
	    " GROUP BY p.id, p.name, p.allocation_mode, d.id IS NULL,"
	    "       coalesce(sl.published_at, d.auto_batch), s.time_zone"
	    " ORDER BY coalesce(sl.published_at, d.auto_batch), p.name",
	    "procedure_id procedure_name allocation_mode publication"
	    " batch_key slots places reserved first_slot last_slot" },

	/* Adds a counter. */
	[S_CAL_COUNTER_ADD] = { "cal_counter_add", 0,
	    "SELECT outcome, coalesce(id::text, '') AS counter_id"
	    "  FROM calendar_counter_add(:account::bigint, :site_id::bigint,"
	    "       :name)",
	    "outcome counter_id" },

	/* Adds an opening rule (:valid_until empty: none). */
	[S_CAL_RULE_ADD] = { "cal_rule_add", 0,
	    "SELECT outcome, coalesce(id::text, '') AS rule_id"
	    "  FROM calendar_rule_add(:account::bigint, :site_id::bigint,"
	    "       :counter_id::bigint, :procedure_id::bigint,"
	    "       :weekday::int, :opens::time, :closes::time,"
	    "       :slot_minutes::int, :capacity::int, :valid_from::date,"
	    "       nullif(:valid_until, '')::date)",
	    "outcome rule_id" },

	/* Ends a rule on :valid_until. */
	[S_CAL_RULE_END] = { "cal_rule_end", 0,
	    "SELECT outcome FROM calendar_rule_end(:account::bigint,"
	    "       :site_id::bigint,"
	    "       :rule_id::bigint, :valid_until::date)",
	    "outcome" },

	/* Closes a day (:counter_id empty: the whole site), cancelling its
	 * bookings. */
	[S_CAL_CLOSE_DAY] = { "cal_close_day", 0,
	    "SELECT outcome, coalesce(closure_id::text, '') AS closure_id,"
	    "       cancelled"
	    "  FROM close_day(:account::bigint, :site_id::bigint,"
	    "       nullif(:counter_id, '')::bigint,"
	    "       :day::date, :reason)",
	    "outcome closure_id cancelled" },

	/* Sets the percent of places of each channel. */
	[S_CAL_SHARES] = { "cal_shares", 0,
	    "SELECT outcome FROM calendar_shares_set(:account::bigint,"
	    "       :site_id::bigint,"
	    "       :procedure_id::bigint, :mediator_percent::int,"
	    "       :counter_percent::int, :court_percent::int)",
	    "outcome" },

	/* Generates slots from the rules; :publication local 'YYYY-MM-DD
	 * HH:MM' in :time_zone, empty for now. */
	[S_CAL_GENERATE] = { "cal_generate", 0,
	    "SELECT outcome, created, reserved,"
	    "       places FROM calendar_generate(:account::bigint,"
	    "       :site_id::bigint, :from_day::date, :to_day::date,"
	    "       coalesce(nullif(:publication, '')::timestamp"
	    "           AT TIME ZONE :time_zone, now()),"
	    "       nullif(:procedure_id, '')::bigint)",
	    "outcome created reserved places" },

	/* Publishes a batch now. */
	[S_CAL_PUBLISH] = { "cal_publish", 0,
	    "SELECT outcome, published FROM calendar_publish_now(:account::bigint,"
	    "       :site_id::bigint, :procedure_id::bigint,"
	    "       :batch_key::bigint)",
	    "outcome published" },

	/* Waiting room (schema/014_fairness_limits.sql): the releases its
	 * per-worker cache holds, from :minutes_before to :minutes_after the
	 * publication, :languages as '{fr,en}'; publish_epoch in seconds,
	 * utc_offset in seconds, procedure_names "lang:name" separated by
	 * U+001F, slot_ids comma-separated, free_before whether places
	 * published before it are free. */
	[S_WAIT_RELEASES] = { "wait_releases", 1,
	    "SELECT site_id, procedure_id, site_slug, procedure_code,"
	    "       publish_epoch, utc_offset, site_name,"
	    "       array_to_string(procedure_names,"
	    "       chr(31)) AS procedure_names,"
	    "       array_to_string(slot_ids, ',') AS slot_ids,"
	    /* places free before the release: they are not queued */
	    "       EXISTS (SELECT 1 FROM creneau_bookable_slots(site_id,"
	    "       procedure_id) b"
	    "                 JOIN slots s ON s.id = b.slot_id"
	    "                WHERE s.published_at < to_timestamp(publish_epoch))"
	    "           AS free_before"
	    "  FROM waiting_room_releases(make_interval(mins => :minutes_before::int),"
	    "       make_interval(mins => :minutes_after::int),"
	    "       :languages::text[])",
	    "site_id procedure_id site_slug procedure_code publish_epoch"
	    " utc_offset site_name procedure_names slot_ids free_before" },

	/* S_SLOT_DAYS and S_SLOT_TIMES for someone not admitted to a release
	 * (issue 10): only the slots published before :published_before
	 * (epoch s), so the places already free are not queued. */
	/* creneau_bookable_slots is inlined (schema/code/slots.sql): the
	 * bounds on b.starts_at (a day wider than the local days) reach the
	 * index, so only the window is read. */
	[S_SLOT_DAYS_BEFORE] = { "slot_days_before", DB_STANDBY,
	    "SELECT b.local_start::date::text AS day,"
	    "       sum(b.free)::integer AS free"
	    "  FROM sites st"
	    "  CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE st.time_zone)::date"
	    "                             + greatest(:days::int, 0) AS upto) w"
	    "  CROSS JOIN LATERAL creneau_bookable_slots(:site_id::bigint,"
	    "       :procedure_id::bigint) b"
	    "  JOIN slots s ON s.id = b.slot_id"
	    " WHERE st.id = :site_id::bigint"
	    "   AND s.published_at < to_timestamp(:published_before::bigint)"
	    "   AND b.starts_at < (w.upto + 1)::timestamp AT TIME ZONE st.time_zone"
	    "   AND b.local_start::date < w.upto"
	    " GROUP BY 1 ORDER BY 1",
	    "day free" },
	[S_SLOT_TIMES_BEFORE] = { "slot_times_before", DB_STANDBY,
	    "SELECT b.slot_id, to_char(b.local_start, 'HH24:MI') AS local_time,"
	    "       b.free"
	    "  FROM sites st"
	    "  CROSS JOIN LATERAL creneau_bookable_slots(:site_id::bigint,"
	    "       :procedure_id::bigint) b"
	    "  JOIN slots s ON s.id = b.slot_id"
	    " WHERE st.id = :site_id::bigint"
	    "   AND s.published_at < to_timestamp(:published_before::bigint)"
	    "   AND b.starts_at >= (:day::date - 1)::timestamp AT TIME ZONE st.time_zone"
	    "   AND b.starts_at < (:day::date + 2)::timestamp AT TIME ZONE st.time_zone"
	    "   AND b.local_start >= :day::date AND b.local_start < :day::date + 1"
	    " ORDER BY b.starts_at, b.slot_id",
	    "slot_id local_time free" },

	/* Rate limits of the booking form, before booking_hold: :identity
	 * counts by its keys, :address is the address digest, :form_id the
	 * form token's id (counts the live holds: schema/017); refused_scope
	 * empty when none. */
	[S_BOOKING_RATE_CHECK] = { "booking_rate_check", 0,
	    "SELECT booking_rate_check(:slot_id::bigint, :identity::jsonb,"
	    "       :address, :form_id)"
	    "       AS refused_scope",
	    "refused_scope" },

	/* The AGDREF number of a form with other errors, checked in the
	 * same round and counted as a booking attempt of the address. */
	[S_BOOKING_AGDREF_CHECK] = { "booking_agdref_check", 0,
	    "SELECT booking_agdref_check(:slot_id::bigint, :agdref, :address)"
	    "       AS outcome",
	    "outcome" },

	/* A form booking_hold refused stops counting as a live hold on its
	 * way (schema/017). */
	[S_BOOKING_RATE_FORGET] = { "booking_rate_forget", 0,
	    "SELECT booking_rate_forget(:form_id) AS forgotten",
	    "forgotten" },

	/* Draws (schema/013_draws.sql). A procedure of a site with its name
	 * in :lang. */
	[S_DRAW_PROCEDURE] = { "draw_procedure", 1,
	    "SELECT t.name AS procedure_name, s.name AS site_name, t.lang,"
	    "       s.id AS site_id, p.id AS procedure_id"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  CROSS JOIN LATERAL procedure_text(p.id, :lang) t"
	    " WHERE s.slug = :site_slug AND p.code = :procedure_code",
	    "procedure_name site_name lang site_id procedure_id" },

	/* The current draw of a procedure of a site: opens, closes and
	 * draw_at local 'YYYY-MM-DD HH24:MI'; mode the effective allocation
	 * mode. */
	[S_DRAW_PAGE] = { "draw_page", 1,
	    "SELECT d.id, d.site_name, d.procedure_name,"
	    "       to_char(d.registration_opens_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS opens,"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS closes,"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS draw_at,"
	    "       d.places, d.commitment, d.status, d.registration_open,"
	    "       p.requires_agdref,"
	    "       creneau_allocation_mode(d.site_id, d.procedure_id) AS mode,"
	    "       d.offer_hours"
	    "  FROM draw_public d JOIN procedures p ON p.id = d.procedure_id"
	    " WHERE d.id = draw_current(:site_id::bigint,"
	    "       :procedure_id::bigint)",
	    "id site_name procedure_name opens closes draw_at places"
	    " commitment status registration_open requires_agdref mode"
	    " offer_hours" },

	/* Registers for a draw; :identity is identity_json, :network the
	 * network digest. */
	[S_DRAW_REGISTER] = { "draw_register", 0,
	    "SELECT outcome, entry_id,"
	    "       public_id FROM draw_register(:draw_id::bigint,"
	    "  :identity::jsonb, :idempotency_key, :token, :code, :network)",
	    "outcome entry_id public_id" },

	/* An entry by the secret :token of its link; closes and draw_at
	 * local; lang the language of the procedure name. */
	[S_DRAW_ENTRY_VIEW] = { "draw_entry_view", 1,
	    "SELECT e.status, e.public_id, d.id AS draw_id,"
	    "       t.name AS procedure_name,"
	    "       d.site_name,"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS closes,"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS draw_at,"
	    "       d.status AS draw_status, coalesce(e.email, '') AS email,"
	    "       coalesce(e.phone, '') AS phone,"
	    "       coalesce(e.rank::text, '') AS rank,"
	    "       d.commitment, t.lang"
	    "  FROM draw_entries e JOIN draw_public d ON d.id = e.draw_id"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, :lang) t"
	    " WHERE e.id = draw_entry_by_token(:token)",
	    "status public_id draw_id procedure_name site_name closes draw_at"
	    " draw_status email phone rank commitment lang" },

	/* Confirms an entry with its code. */
	[S_DRAW_ENTRY_CONFIRM] = { "draw_entry_confirm", 0,
	    "SELECT outcome FROM draw_entry_confirm(:token, :code)",
	    "outcome" },

	/* Withdraws an entry. */
	[S_DRAW_ENTRY_WITHDRAW] = { "draw_entry_withdraw", 0,
	    "SELECT outcome FROM draw_entry_withdraw(:token)",
	    "outcome" },

	/* A draw for its public page: times local, seed_hex once drawn,
	 * ranked the number of entries ranked. */
	[S_DRAW_PUBLIC] = { "draw_public", 1,
	    "SELECT d.site_name, t.name AS procedure_name,"
	    "       to_char(d.registration_opens_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS opens,"
	    "       to_char(d.registration_closes_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS closes,"
	    "       to_char(d.draw_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS draw_at,"
	    "       d.places, d.commitment, d.status,"
	    "       coalesce(to_char(d.drawn_at AT TIME ZONE d.time_zone,"
	    "               'YYYY-MM-DD HH24:MI'), '') AS drawn_at,"
	    "       coalesce(d.seed_hex, '') AS seed_hex, d.ranked,"
	    "       d.site_slug, d.procedure_code, t.lang"
	    "  FROM draw_public d"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, :lang) t"
	    " WHERE d.id = :draw_id::bigint",
	    "site_name procedure_name opens closes draw_at places commitment"
	    " status drawn_at seed_hex ranked site_slug procedure_code lang" },

	/* The ranked entries of a drawn draw. */
	[S_DRAW_RESULTS] = { "draw_results", 1,
	    "SELECT public_id, order_key, rank,"
	    "       offered FROM draw_results(:draw_id::bigint)",
	    "public_id order_key rank offered" },

	/* Abuse review: a site by slug, and whether the account may review
	 * it. */
	[S_ABUSE_SITE] = { "abuse_site", 1,
	    "SELECT s.id AS site_id, s.name AS site_name,"
	    "       creneau_draw_staff_ok(:account::bigint, s.id,"
	    "       true) AS allowed"
	    "  FROM sites s WHERE s.slug = :site_slug",
	    "site_id site_name allowed" },

	/* What looks abusive at a site: n is the count, voidable the entry
	 * ids (space-separated). */
	[S_ABUSE_REVIEW] = { "abuse_review", 1,
	    "SELECT kind, subject, n, voidable"
	    "  FROM abuse_review(:account::bigint, :site_id::bigint)",
	    "kind subject n voidable" },

	/* Disposable e-mail domains. */
	[S_ABUSE_DOMAINS] = { "abuse_domains", 1,
	    "SELECT domain FROM disposable_domains ORDER BY domain",
	    "domain" },

	/* Voids a draw entry. */
	[S_ABUSE_VOID] = { "abuse_void", 0,
	    "SELECT outcome FROM abuse_void_entry(:account::bigint,"
	    "       :site_id::bigint, :public_id, :reason)",
	    "outcome" },

	/* Adds (:listed t) or removes a disposable domain. */
	[S_ABUSE_DOMAIN_SET] = { "abuse_domain_set", 0,
	    "SELECT outcome FROM disposable_domain_set(:account::bigint,"
	    "       :site_id::bigint,"
	    "       :domain, :listed::boolean)",
	    "outcome" },

	/* Draws of a site for its staff: times local, places the slots drawn
	 * for, due whether it is due to be drawn, by_switch whether the draw
	 * switch made it (schema/020). */
	[S_AGENT_DRAWS] = { "agent_draws", 1,
	    "SELECT d.id, p.name AS procedure_name, d.status,"
	    "       to_char(d.registration_opens_at AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS opens,"
	    "       to_char(d.registration_closes_at AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS closes,"
	    "       to_char(d.draw_at AT TIME ZONE s.time_zone,"
	    "               'YYYY-MM-DD HH24:MI') AS draw_at,"
	    "       d.commitment,"
	    "       (SELECT count(*) FROM draw_entries e WHERE e.draw_id = d.id"
	    "           AND e.verified_at IS NOT NULL AND e.status <> 'voided')"
	    "           AS verified_entries,"
	    "       (SELECT count(*) FROM draw_slots x WHERE x.draw_id = d.id) AS places,"
	    "       (d.status = 'scheduled' AND d.draw_at <= now()) AS due,"
	    "       d.auto_batch IS NOT NULL AS by_switch"
	    "  FROM draws d JOIN sites s ON s.id = d.site_id"
	    "  JOIN procedures p ON p.id = d.procedure_id"
	    " WHERE s.slug = :site_slug"
	    "           AND staff_can_site(:account::bigint, s.id)"
	    " ORDER BY d.draw_at DESC LIMIT 50",
	    "id procedure_name status opens closes draw_at commitment"
	    " verified_entries places due by_switch" },

	/* Procedures of a site allocated by draw. */
	[S_AGENT_DRAW_PROCEDURES] = { "agent_draw_procedures", 1,
	    "SELECT p.id, p.name FROM site_procedures sp"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    " WHERE sp.site_id = :site_id::bigint"
	    "   AND creneau_allocation_mode(sp.site_id,"
	    "       sp.procedure_id) = 'draw'"
	    " ORDER BY p.name",
	    "id name" },

	/* Schedules a draw: :opens, :closes and :draw_at local times of the
	 * site, :first_day and :last_day the days of its slots. */
	[S_AGENT_DRAW_SCHEDULE] = { "agent_draw_schedule", 0,
	    "SELECT d.outcome, d.draw_id, d.commitment FROM sites s,"
	    "  LATERAL draw_schedule(:account::bigint, s.id,"
	    "       :procedure_id::bigint,"
	    "    :opens::timestamp AT TIME ZONE s.time_zone,"
	    "    :closes::timestamp AT TIME ZONE s.time_zone,"
	    "    :draw_at::timestamp AT TIME ZONE s.time_zone,"
	    "    :offer_hours::int, :first_day::date, :last_day::date) d"
	    " WHERE s.id = :site_id::bigint",
	    "outcome draw_id commitment" },

	/* Runs a due draw now. */
	[S_AGENT_DRAW_RUN] = { "agent_draw_run", 0,
	    "SELECT outcome, offers,"
	    "       entries FROM draw_run(:draw_id::bigint, :account::bigint)",
	    "outcome offers entries" },

	/* Rate limits of a draw registration (:identity counts by its e-mail
	 * and phone keys, :address the address digest): the first scope over
	 * its limit, or empty. */
	[S_DRAW_RATE_CHECK] = { "draw_rate_check", 0,
	    "SELECT draw_rate_check(:identity::jsonb, :address)"
	    "       AS refused_scope",
	    "refused_scope" },

	/* The draw switch of each procedure of a site: reason_kind sold_out,
	 * left_over or empty; release_local and changed_local local;
	 * limit_minutes the sellout limit; by_draw whether allocated by draw
	 * anyway. */
	[S_CAL_SWITCH_STATUS] = { "cal_switch_status", 1,
	    "SELECT procedure_id, name, next_mode, override, auto_mode,"
	    "       reason_kind,"
	    "       release_local, coalesce(places::text, '') AS places,"
	    "       coalesce(seconds::text, '') AS seconds,"
	    "       coalesce(draw_id::text, '') AS draw_id,"
	    "       coalesce(places_left::text, '') AS places_left,"
	    "       limit_minutes, changed_local, by_draw"
	    "  FROM draw_switch_status(:account::bigint, :site_id::bigint)",
	    "procedure_id name next_mode override auto_mode reason_kind"
	    " release_local places seconds draw_id places_left limit_minutes"
	    " changed_local by_draw" },

	/* Staff override of the draw switch (:mode auto, open or draw);
	 * changed is the batches changed. */
	[S_CAL_SWITCH_SET] = { "cal_switch_set", 0,
	    "SELECT outcome, changed FROM draw_switch_override(:account::bigint, :site_id::bigint,"
	    "       :procedure_id::bigint, :mode)",
	    "outcome changed" },

	/* This host is alive (fcgi/web/hosts.c, at most once a second per
	 * host); live is the number of live hosts, those seen within
	 * :live_seconds. */
	[S_HOST_BEAT] = { "host_beat", 0,
	    "SELECT creneau_host_beat(:host, :live_seconds::int) AS live",
	    "live" },
	/* Administration pages (issue 12, schema/026_staff_admin.sql):
	 * every function checks that :account is an administrator. */

	/* Audits a refused administration page. */
	[S_ADMIN_REFUSED] = { "admin_refused", 0,
	    "SELECT staff_admin_refused(:account::bigint, :path) AS logged",
	    "logged" },

	/* The staff accounts (:account_id empty) or one; site_names
	 * comma-separated, site_slugs space-separated. */
	[S_ADMIN_ACCOUNTS] = { "admin_accounts", 1,
	    "SELECT account_id, email, name, role, active, has_password,"
	    "       organisation, site_names, site_slugs, link_pending"
	    "  FROM staff_admin_accounts(:account::bigint,"
	    "       nullif(:account_id, '')::bigint)",
	    "account_id email name role active has_password organisation"
	    " site_names site_slugs link_pending" },

	/* Every site, for the site checkboxes. */
	[S_ADMIN_SITES] = { "admin_sites", 1,
	    "SELECT slug, name, city FROM sites"
	    " ORDER BY department_code, name",
	    "slug name city" },

	/* Creates an account (staff_account_add) with a one-time link
	 * :link_token valid :link_hours; :sites slugs space-separated. */
	[S_ADMIN_CREATE] = { "admin_create", 0,
	    "SELECT outcome, coalesce(account_id::text, '') AS account_id"
	    "  FROM staff_admin_create(:account::bigint, :nonce, :email, :name,"
	    "       :role, nullif(:organisation, ''),"
	    "       coalesce(string_to_array(nullif(:sites, ''), ' '), '{}'),"
	    "       :link_token, :link_hours::int)",
	    "outcome account_id" },

	/* Disables, enables, resets or rescopes an account (:action). */
	[S_ADMIN_CHANGE] = { "admin_change", 0,
	    "SELECT staff_admin_change(:account::bigint, :nonce,"
	    "       :account_id::bigint, :action, nullif(:role, ''),"
	    "       nullif(:organisation, ''),"
	    "       coalesce(string_to_array(nullif(:sites, ''), ' '), '{}'),"
	    "       nullif(:link_token, ''), :link_hours::int) AS outcome",
	    "outcome" },

	/* The account of a valid one-time link (no row otherwise). */
	[S_STAFF_LINK_ACCOUNT] = { "staff_link_account", 1,
	    "SELECT account_id, email, name FROM staff_link_account(:token)",
	    "account_id email name" },

	/* Sets the password through a one-time link; email empty when the
	 * link is not valid. */
	[S_STAFF_LINK_USE] = { "staff_link_use", 0,
	    "SELECT coalesce(staff_link_use(:token, :password_hash), '')"
	    "       AS email",
	    "email" },

	/* Procedures (:code empty: all) with their documents one a line. */
	[S_ADMIN_PROCEDURES] = { "admin_procedures", 1,
	    "SELECT code, name, description, duration_minutes,"
	    "       requires_agdref, documents, sites"
	    "  FROM staff_admin_procedures(:account::bigint, nullif(:code, ''))",
	    "code name description duration_minutes requires_agdref documents"
	    " sites" },

	/* Saves a procedure's texts; :documents one a line. */
	[S_ADMIN_PROCEDURE_SAVE] = { "admin_procedure_save", 0,
	    "SELECT staff_admin_procedure_save(:account::bigint, :nonce, :code,"
	    "       :name, :description, :duration_minutes::int,"
	    "       :requires_agdref::boolean,"
	    "       regexp_split_to_array(:documents, E'\\r?\\n')) AS outcome",
	    "outcome" },

	/* Sites (:slug empty: all) with their procedures and counters. */
	[S_ADMIN_SITE_LIST] = { "admin_site_list", 1,
	    "SELECT slug, name, address, postal_code, city, phone,"
	    "       alternative_route, procedure_codes, procedure_names, counters"
	    "  FROM staff_admin_sites(:account::bigint, nullif(:slug, ''))",
	    "slug name address postal_code city phone alternative_route"
	    " procedure_codes procedure_names counters" },

	/* Saves a site; :procedures codes space-separated. */
	[S_ADMIN_SITE_SAVE] = { "admin_site_save", 0,
	    "SELECT staff_admin_site_save(:account::bigint, :nonce, :slug,"
	    "       :address, :postal_code, :city, :phone, :alternative_route,"
	    "       coalesce(string_to_array(nullif(:procedures, ''), ' '),"
	    "       '{}')) AS outcome",
	    "outcome" },

	/* Reporting (schema/024_reporting.sql). */

	/* The public statistics of the last :weeks weeks
	 * (reporting.public_weekly, written nightly by creneau-report
	 * publish): week is its Monday; the waits and first free date in
	 * days, empty when none. */
	[S_STATS_WEEKS] = { "stats_weeks", DB_READONLY,
	    "SELECT w.week::text AS week, st.slug AS site_slug,"
	    "       st.name AS site_name, p.code AS procedure_code,"
	    "       p.name AS procedure_name, w.wait_count,"
	    "       coalesce(w.wait_median_days::text, '') AS wait_median_days,"
	    "       coalesce(w.wait_p90_days::text, '') AS wait_p90_days,"
	    "       coalesce(w.first_free::text, '') AS first_free,"
	    "       coalesce(w.first_free_days::text, '') AS first_free_days,"
	    "       w.places_online, w.places_mediator, w.places_counter,"
	    "       w.places_court, w.draws_held, w.draw_entries"
	    "  FROM reporting.public_weekly w"
	    "  JOIN sites st ON st.id = w.site_id"
	    "  JOIN procedures p ON p.id = w.procedure_id"
	    " WHERE w.week > current_date - 7 * :weeks::int"
	    " ORDER BY st.department_code, st.name, st.id, p.name, p.id, w.week",
	    "week site_slug site_name procedure_code procedure_name wait_count"
	    " wait_median_days wait_p90_days first_free first_free_days"
	    " places_online places_mediator places_counter places_court"
	    " draws_held draw_entries" },

	/* The latest report of each site :account may see (administrators:
	 * every site and the all-sites report, whose site_slug is empty);
	 * made_at in UTC. */
	[S_REPORT_RUNS] = { "report_runs", DB_READONLY,
	    "SELECT DISTINCT ON (r.site_id) r.id AS run_id,"
	    "       coalesce(st.slug, '') AS site_slug,"
	    "       coalesce(st.name, '') AS site_name,"
	    "       r.date_from::text AS date_from, r.date_to::text AS date_to,"
	    "       to_char(r.made_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI')"
	    "       AS made_at"
	    "  FROM reporting.runs r"
	    "  LEFT JOIN sites st ON st.id = r.site_id"
	    "  JOIN staff_accounts a ON a.id = :account::bigint AND a.active"
	    " WHERE a.role = 'administrator'"
	    "    OR (a.role = 'supervisor' AND r.site_id IN"
	    "        (SELECT ss.site_id FROM staff_sites ss WHERE ss.account_id = a.id))"
	    " ORDER BY r.site_id NULLS FIRST, r.made_at DESC, r.id DESC",
	    "run_id site_slug site_name date_from date_to made_at" },

	/* One report :account may see; site_slug 'all' for all sites. */
	[S_REPORT_RUN] = { "report_run", DB_READONLY,
	    "SELECT r.directory, coalesce(st.slug, 'all') AS site_slug,"
	    "       r.date_from::text AS date_from, r.date_to::text AS date_to"
	    "  FROM reporting.runs r"
	    "  LEFT JOIN sites st ON st.id = r.site_id"
	    "  JOIN staff_accounts a ON a.id = :account::bigint AND a.active"
	    " WHERE r.id = :run_id::bigint"
	    "   AND (a.role = 'administrator'"
	    "        OR (a.role = 'supervisor' AND r.site_id IN"
	    "            (SELECT ss.site_id FROM staff_sites ss WHERE ss.account_id = a.id)))",
	    "directory site_slug date_from date_to" },
	/* --- The counter and phone channel, staff move and cancel (issue
	 * 12; schema/code/counter.sql). --- */

	/* A site page refused to an account (another site's URL): logged. */
	[S_STAFF_SITE_REFUSED] = { "staff_site_refused", 0,
	    "SELECT true AS logged FROM staff_site_refused(:account::bigint,"
	    "       :site_id::bigint, :page)",
	    "logged" },

	/* Times with a place left in the counter's share, in the next :days
	 * days. */
	[S_COUNTER_SHARE_SLOTS] = { "counter_share_slots", 1,
	    "SELECT slot_id, local_day::text, local_time, free"
	    "  FROM counter_share_slots(:site_id::bigint,"
	    "       :procedure_id::bigint, :days::int)",
	    "slot_id local_day local_time free" },

	/* A slot of the site as the counter's form shows it; available:
	 * a place is left in the counter's share. */
	[S_COUNTER_PHONE_SLOT] = { "counter_phone_slot", 1,
	    "SELECT to_char(sl.starts_at AT TIME ZONE s.time_zone,"
	    "       'YYYY-MM-DD HH24:MI') AS starts_local,"
	    "       (sl.published_at <= now() AND sl.starts_at > now()"
	    "        AND p.allocation_mode = 'open'"
	    "        AND creneau_channel_share_free(sl, 'counter') > 0)"
	    "       AS available,"
	    "       s.name AS site_name, s.address, s.postal_code, s.city,"
	    "       p.name AS procedure_name, p.code AS procedure_code,"
	    "       p.requires_agdref"
	    "  FROM slots sl"
	    "  JOIN sites s ON s.id = sl.site_id"
	    "  JOIN procedures p ON p.id = sl.procedure_id"
	    " WHERE sl.id = :slot_id::bigint AND sl.site_id = :site_id::bigint",
	    "starts_local available site_name address postal_code city"
	    " procedure_name procedure_code requires_agdref" },

	/* Books for a caller or visitor; :identity is identity_json. */
	[S_COUNTER_BOOK] = { "counter_book", 0,
	    "SELECT outcome, coalesce(booking_id::text, '') AS booking_id,"
	    "       coalesce(reference, '') AS reference"
	    "  FROM counter_book(:account::bigint, :site_id::bigint,"
	    "       :slot_id::bigint, :identity::jsonb, :idempotency_key,"
	    "       :max_per_phone::int)",
	    "outcome booking_id reference" },

	/* A booking the account may act on (:site_id empty for a
	 * mediator), audited as :action; person_* are the procedure's texts
	 * in the person's language. */
	[S_STAFF_BOOKING_VIEW] = { "staff_booking_view", 0,
	    "SELECT d.id AS booking_id, d.slot_id, d.reference, d.status,"
	    "       d.starts_local, d.site_id, d.site_slug, d.site_name,"
	    "       d.site_address, d.site_postal_code, d.site_city,"
	    "       coalesce(d.site_phone, '') AS site_phone, d.time_zone,"
	    "       d.procedure_id, d.procedure_name, d.surname,"
	    "       d.given_names, d.birth_date::text, d.lang, d.channel,"
	    "       coalesce(d.phone, '') AS phone,"
	    "       coalesce(d.email, '') AS email,"
	    "       (d.starts_at > now()) AS future,"
	    "       coalesce(d.documents, '') AS documents,"
	    "       t.name AS person_procedure_name,"
	    "       coalesce(t.documents, '') AS person_documents,"
	    "       t.lang AS person_text_lang"
	    "  FROM staff_booking_view(:account::bigint,"
	    "       nullif(:site_id, '')::bigint, :booking_id::bigint, :action) d"
	    "  CROSS JOIN LATERAL procedure_text(d.procedure_id, d.lang) t",
	    "booking_id slot_id reference status starts_local site_id site_slug"
	    " site_name site_address site_postal_code site_city site_phone"
	    " time_zone procedure_id procedure_name surname given_names"
	    " birth_date lang channel phone email future documents"
	    " person_procedure_name person_documents person_text_lang" },

	/* Staff cancel for the person (audited). */
	[S_STAFF_BOOKING_CANCEL] = { "staff_booking_cancel", 0,
	    "SELECT outcome FROM staff_booking_cancel(:account::bigint,"
	    "       nullif(:site_id, '')::bigint, :booking_id::bigint)",
	    "outcome" },

	/* Staff move for the person (audited); booking_id is the booking
	 * after the move. */
	[S_STAFF_BOOKING_MOVE] = { "staff_booking_move", 0,
	    "SELECT outcome, booking_id FROM staff_booking_move("
	    "       :account::bigint, nullif(:site_id, '')::bigint,"
	    "       :booking_id::bigint, :slot_id::bigint)",
	    "outcome booking_id" },

	/* The public calendar's window of :days days (issue 12): from_day
	 * is :from (not before today), else :day when it lies beyond the
	 * first window, else today; prev_from the window before ('' from
	 * today); next_from the first later day with a free place ('' when
	 * none: the furthest published place is shown). :published_before
	 * ('' for everyone) hides the places of a release the person is not
	 * admitted to (waitroom.c). */
	[S_SLOT_WINDOW] = { "slot_window", DB_STANDBY,
	    "SELECT w.f::text AS from_day,"
	    "       CASE WHEN w.f > w.today"
	    "            THEN greatest(w.f - greatest(:days::int, 1), w.today)::text"
	    "            ELSE '' END AS prev_from,"
	    /* The first free place after the window, in time order: the
	     * index walk stops there (a min() over the dates read every
	     * bookable place of the horizon, 14,664 buffers at a year of
	     * places; the local date never decreases with the time). */
	    "       coalesce((SELECT b.local_start::date"
	    "                   FROM creneau_bookable_slots(:site_id::bigint,"
	    "                        :procedure_id::bigint) b"
	    "                   JOIN slots s ON s.id = b.slot_id"
	    "                  WHERE b.starts_at >= (w.f + greatest(:days::int, 1) - 1)::timestamp"
	    "                                       AT TIME ZONE st.time_zone"
	    "                    AND b.local_start::date >= w.f + greatest(:days::int, 1)"
	    "                    AND (:published_before = ''"
	    "                         OR s.published_at < to_timestamp(nullif(:published_before, '')::bigint))"
	    "                  ORDER BY b.starts_at LIMIT 1"
	    "                )::text, '') AS next_from"
	    "  FROM sites st"
	    "  CROSS JOIN LATERAL (SELECT (now() AT TIME ZONE st.time_zone)::date AS today) t"
	    "  CROSS JOIN LATERAL (SELECT t.today, CASE"
	    "       WHEN :from <> '' THEN greatest(t.today, nullif(:from, '')::date)"
	    "       WHEN :day <> '' AND nullif(:day, '')::date >= t.today + greatest(:days::int, 1)"
	    "            THEN nullif(:day, '')::date"
	    "       ELSE t.today END AS f) w"
	    " WHERE st.id = :site_id::bigint",
	    "from_day prev_from next_from" },

	/* Days with free places of the window [:from, :from + :days), as
	 * S_SLOT_DAYS (and S_SLOT_DAYS_BEFORE when :published_before is not
	 * ''). */
	[S_SLOT_DAYS_FROM] = { "slot_days_from", DB_STANDBY,
	    "SELECT b.local_start::date::text AS day,"
	    "       sum(b.free)::integer AS free"
	    "  FROM sites st"
	    "  CROSS JOIN LATERAL creneau_bookable_slots(:site_id::bigint,"
	    "       :procedure_id::bigint) b"
	    "  JOIN slots s ON s.id = b.slot_id"
	    " WHERE st.id = :site_id::bigint"
	    "   AND (:published_before = ''"
	    "        OR s.published_at < to_timestamp(nullif(:published_before, '')::bigint))"
	    "   AND b.starts_at >= (:from::date - 1)::timestamp AT TIME ZONE st.time_zone"
	    "   AND b.starts_at < (:from::date + greatest(:days::int, 1) + 1)::timestamp"
	    "                     AT TIME ZONE st.time_zone"
	    "   AND b.local_start::date >= :from::date"
	    "   AND b.local_start::date < :from::date + greatest(:days::int, 1)"
	    " GROUP BY 1 ORDER BY 1",
	    "day free" },
};
