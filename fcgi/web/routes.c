/* The route table (see routes.h) and path matching. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "req.h"
#include "routes.h"
#include "secret.h"

#define NONE	{ FIELD_COUNT, FIELD_COUNT }
#define GET	(M_GET | M_HEAD)
#define FORM	(M_GET | M_HEAD | M_POST)

static const struct route routes[ROUTE_COUNT] = {
	[R_HOME] = { "home", "/", NONE, GET, page_home },
	[R_HEALTHZ] = { "healthz", "/healthz", NONE, GET, page_healthz },
	[R_LANGUAGE] = { "language", "/language", NONE, M_POST,
	    page_language },
	[R_SITE] = { "site", "/site/*", { F_SLUG, FIELD_COUNT }, GET,
	    page_site },
	[R_PROCEDURE] = { "procedure", "/site/*/*", { F_SLUG, F_SLUG }, GET,
	    page_procedure },
	[R_BOOK] = { "book", "/book/*", { F_SLOT_REF, FIELD_COUNT }, FORM,
	    page_book },
	[R_BOOKING] = { "booking", "/booking/*", { F_ACCESS, FIELD_COUNT },
	    GET, page_booking },
	[R_BOOKING_CONFIRM] = { "booking-confirm", "/booking/*/confirm",
	    { F_ACCESS, FIELD_COUNT }, M_POST, page_booking_confirm },
	[R_BOOKING_EXTEND] = { "booking-extend", "/booking/*/extend",
	    { F_ACCESS, FIELD_COUNT }, M_POST, page_booking_extend },
	[R_BOOKING_ICS] = { "booking-ics", "/booking/*/ics",
	    { F_ACCESS, FIELD_COUNT }, GET, page_booking_ics },
	[R_BOOKING_CANCEL] = { "booking-cancel", "/booking/*/cancel",
	    { F_ACCESS, FIELD_COUNT }, FORM, page_booking_cancel },
	[R_BOOKING_RESCHEDULE] = { "booking-reschedule",
	    "/booking/*/reschedule", { F_ACCESS, FIELD_COUNT }, FORM,
	    page_booking_reschedule },
	[R_MANAGE] = { "manage", "/manage", NONE, FORM, page_manage },
	[R_ALERT] = { "alert", "/site/*/*/alert", { F_SLUG, F_SLUG }, FORM,
	    page_alert },
	[R_ALERT_MANAGE] = { "alert-manage", "/alert/*",
	    { F_ACCESS, FIELD_COUNT }, FORM, page_alert_manage },
	[R_ALERT_UNSUBSCRIBE] = { "alert-unsubscribe", "/alert/*/unsubscribe",
	    { F_ACCESS, FIELD_COUNT }, FORM, page_alert_unsubscribe },
	[R_ACCESSIBILITY] = { "accessibility", "/accessibilite", NONE, GET,
	    page_accessibility },
	[R_AGENT] = { "agent", "/agent", NONE, GET, page_agent_home },
	[R_AGENT_LOGIN] = { "agent-login", "/agent/login", NONE, FORM,
	    page_agent_login },
	[R_AGENT_LOGOUT] = { "agent-logout", "/agent/logout", NONE, M_POST,
	    page_agent_logout },
	[R_AGENT_AGENDA] = { "agent-agenda", "/agent/site/*/agenda",
	    { F_SLUG, FIELD_COUNT }, GET, page_agent_agenda },
	[R_AGENT_ATTENDANCE] = { "agent-attendance",
	    "/agent/site/*/attendance", { F_SLUG, FIELD_COUNT }, M_POST,
	    page_agent_attendance },
	[R_AGENT_CHECKIN] = { "agent-checkin", "/agent/site/*/checkin",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_checkin },
	[R_AGENT_SEARCH] = { "agent-search", "/agent/site/*/search",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_search },
	[R_AGENT_RULES] = { "agent-rules", "/agent/site/*/rules",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_rules },
	[R_AGENT_CLOSURES] = { "agent-closures", "/agent/site/*/closures",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_closures },
	[R_AGENT_PUBLISH] = { "agent-publish", "/agent/site/*/publish",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_publish },
	[R_AGENT_MEDIATOR] = { "agent-mediator", "/agent/mediator", NONE, GET,
	    page_agent_mediator },
	[R_AGENT_MEDIATOR_TIMES] = { "agent-mediator-times",
	    "/agent/mediator/site/*/*", { F_SLUG, F_SLUG }, GET,
	    page_agent_mediator_times },
	[R_AGENT_MEDIATOR_BOOK] = { "agent-mediator-book",
	    "/agent/mediator/slot/*", { F_SLOT_REF, FIELD_COUNT }, FORM,
	    page_agent_mediator_book },
	[R_AGENT_MEDIATOR_BOOKING] = { "agent-mediator-booking",
	    "/agent/mediator/booking/*", { F_ID, FIELD_COUNT }, FORM,
	    page_agent_mediator_booking },
	[R_AGENT_MEDIATOR_BOOKINGS] = { "agent-mediator-bookings",
	    "/agent/mediator/bookings", NONE, GET,
	    page_agent_mediator_bookings },
	[R_AGENT_COURT] = { "agent-court", "/agent/site/*/court",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_court },
	[R_AGENT_COURT_ITEM] = { "agent-court-item", "/agent/site/*/court/*",
	    { F_SLUG, F_ID }, FORM, page_agent_court_item },
	[R_AGENT_COURT_ALL] = { "agent-court-all", "/agent/court", NONE, GET,
	    page_agent_court_all },
	[R_AGENT_AUDIT] = { "agent-audit", "/agent/audit", NONE, GET,
	    page_agent_audit },
	[R_DRAW] = { "draw", "/site/*/*/draw", { F_SLUG, F_SLUG }, FORM,
	    page_draw },
	[R_DRAW_ENTRY] = { "draw-entry", "/draw-entry/*",
	    { F_ACCESS, FIELD_COUNT }, FORM, page_draw_entry },
	[R_DRAW_PUBLIC] = { "draw-public", "/draw/*", { F_ID, FIELD_COUNT },
	    GET, page_draw_public },
	[R_AGENT_ABUSE] = { "agent-abuse", "/agent/site/*/abuse",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_abuse },
	[R_AGENT_DRAWS] = { "agent-draws", "/agent/site/*/draws",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_draws },
	/* Administration pages (issue 12): administrators only; the
	 * password page is opened by a one-time link, without a session. */
	[R_AGENT_ADMIN_STAFF] = { "agent-admin-staff", "/agent/admin/staff",
	    NONE, FORM, page_agent_admin_staff },
	[R_AGENT_ADMIN_ACCOUNT] = { "agent-admin-account",
	    "/agent/admin/staff/*", { F_ID, FIELD_COUNT }, FORM,
	    page_agent_admin_account },
	[R_AGENT_PASSWORD] = { "agent-password", "/agent/password/*",
	    { F_ACCESS, FIELD_COUNT }, FORM, page_agent_password },
	[R_AGENT_ADMIN_PROCEDURES] = { "agent-admin-procedures",
	    "/agent/admin/procedures", NONE, GET, page_agent_admin_procedures },
	[R_AGENT_ADMIN_PROCEDURE] = { "agent-admin-procedure",
	    "/agent/admin/procedures/*", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_admin_procedure },
	[R_AGENT_ADMIN_SITES] = { "agent-admin-sites", "/agent/admin/sites",
	    NONE, GET, page_agent_admin_sites },
	[R_AGENT_ADMIN_SITE] = { "agent-admin-site", "/agent/admin/sites/*",
	    { F_SLUG, FIELD_COUNT }, FORM, page_agent_admin_site },
	/* Reporting (issue 14). */
	[R_STATS] = { "stats", "/stats", NONE, GET, page_stats },
	[R_STATS_CSV] = { "stats-csv", "/stats.csv", NONE, GET, page_stats_csv },
	[R_AGENT_REPORTS] = { "agent-reports", "/agent/reports", NONE, GET,
	    page_agent_reports },
	[R_AGENT_REPORT] = { "agent-report", "/agent/report/*/*",
	    { F_ID, F_SLUG }, GET, page_agent_report },
	/* The counter and phone channel (issue 12). */
	[R_AGENT_PHONE] = { "agent-phone", "/agent/site/*/phone",
	    { F_SLUG, FIELD_COUNT }, GET, page_agent_phone },
	[R_AGENT_PHONE_BOOK] = { "agent-phone-book", "/agent/site/*/phone/*",
	    { F_SLUG, F_SLOT_REF }, FORM, page_agent_phone_book },
	[R_AGENT_BOOKING] = { "agent-booking", "/agent/site/*/booking/*",
	    { F_SLUG, F_ID }, FORM, page_agent_booking },
	[R_AGENT_BOOKING_PRINT] = { "agent-booking-print",
	    "/agent/site/*/booking/*/print", { F_SLUG, F_ID }, GET,
	    page_agent_booking_print },
	[R_AGENT_MEDIATOR_PRINT] = { "agent-mediator-print",
	    "/agent/mediator/booking/*/print", { F_ID, FIELD_COUNT }, GET,
	    page_agent_mediator_print },
};

/* Matches path against one pattern, copying '*' segments into buf and
 * pointing args at them. Returns 1 on a match, 0 when the shape differs,
 * -1 when the shape matches but a segment fails its validator. */
static int
match_one(const struct route *rt, const char *path, const char **args,
    char *buf, size_t bufsize)
{
	const char	*p = rt->pattern, *q = path, *end;
	size_t		 n, used = 0;
	int		 k = 0, bad = 0;

	while (*p != '\0' && *q != '\0') {
		if (*p == '*') {
			end = strchr(q, '/');
			n = end != NULL ? (size_t)(end - q) : strlen(q);
			if (n == 0 || k == ROUTE_ARGS || used + n + 1 > bufsize)
				return 0;
			memcpy(buf + used, q, n);
			buf[used + n] = '\0';
			if (field_check(rt->arg[k], buf + used, n) == -1)
				bad = 1;
			/* A slot in a URL carries the MAC of its id: a
			 * guessed or forged one is not found; the page
			 * gets the bare id. */
			else if (rt->arg[k] == F_SLOT_REF &&
			    slot_ref_open(buf + used) == -1)
				bad = 1;
			args[k++] = buf + used;
			used += n + 1;
			p++;
			q += n;
			continue;
		}
		if (*p != *q)
			return 0;
		p++;
		q++;
	}
	if (*p != '\0' || *q != '\0')
		return 0;
	return bad ? -1 : 1;
}

/* Returns the route for path, with its '*' segments in args (copied into
 * buf); NULL when nothing matches. *bad_arg is set when a route's shape
 * matched but a segment failed its validator (the caller answers 404). */
const struct route *
route_match(const char *path, const char *args[ROUTE_ARGS], char *buf,
    size_t bufsize, int *bad_arg)
{
	size_t	 i;
	int	 m;

	*bad_arg = 0;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		args[0] = args[1] = NULL;
		m = match_one(&routes[i], path, args, buf, bufsize);
		if (m == 1)
			return &routes[i];
		if (m == -1)
			*bad_arg = 1;
	}
	args[0] = args[1] = NULL;
	return NULL;
}

/* The path of route id with its '*' segments filled with a0 then a1 (as
 * route_match gives them back: a slot as its slot_ref), in the request's
 * arena; the caller adds a query string if need be. A missing argument
 * leaves its segment empty, which no route matches. */
const char *
route_url(struct req *r, enum route_id id, const char *a0, const char *a1)
{
	const char	*args[ROUTE_ARGS] = { a0, a1 }, *p;
	size_t		 len = 1, k = 0, n;
	char		*out, *o;

	for (p = routes[id].pattern; *p != '\0'; p++)
		if (*p != '*')
			len++;
		else if (k < ROUTE_ARGS && args[k++] != NULL)
			len += strlen(args[k - 1]);
	if ((out = arena_alloc(r->arena, len)) == NULL)
		return "";
	for (o = out, k = 0, p = routes[id].pattern; *p != '\0'; p++) {
		if (*p != '*') {
			*o++ = *p;
			continue;
		}
		if (k < ROUTE_ARGS && args[k] != NULL) {
			n = strlen(args[k]);
			memcpy(o, args[k], n);
			o += n;
		}
		k++;
	}
	*o = '\0';
	return out;
}
