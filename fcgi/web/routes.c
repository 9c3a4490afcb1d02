/* The route table (see routes.h) and path matching. */
#include "config.h"

#include <string.h>

#include "req.h"
#include "routes.h"
#include "secret.h"

#define NONE	{ FIELD_COUNT, FIELD_COUNT }
#define GET	(M_GET | M_HEAD)
#define FORM	(M_GET | M_HEAD | M_POST)

static const struct route routes[] = {
	{ "home",	"/",			NONE,		GET,	page_home },
	{ "healthz",	"/healthz",		NONE,		GET,	page_healthz },
	{ "language",	"/language",		NONE,		M_POST,	page_language },
	{ "site",	"/site/*",		{ F_SLUG, FIELD_COUNT }, GET, page_site },
	{ "procedure",	"/site/*/*",		{ F_SLUG, F_SLUG }, GET, page_procedure },
	{ "book",	"/book/*",		{ F_SLOT_REF, FIELD_COUNT }, FORM, page_book },
	{ "booking",	"/booking/*",		{ F_ACCESS, FIELD_COUNT }, GET, page_booking },
	{ "booking-confirm", "/booking/*/confirm", { F_ACCESS, FIELD_COUNT }, M_POST,
	    page_booking_confirm },
	{ "booking-extend", "/booking/*/extend", { F_ACCESS, FIELD_COUNT }, M_POST,
	    page_booking_extend },
	{ "booking-ics", "/booking/*/ics",	{ F_ACCESS, FIELD_COUNT }, GET, page_booking_ics },
	{ "booking-cancel", "/booking/*/cancel", { F_ACCESS, FIELD_COUNT }, FORM,
	    page_booking_cancel },
	{ "booking-reschedule", "/booking/*/reschedule", { F_ACCESS, FIELD_COUNT }, FORM,
	    page_booking_reschedule },
	{ "manage",	"/manage",		NONE,		FORM,	page_manage },
	{ "alert",	"/site/*/*/alert",	{ F_SLUG, F_SLUG }, FORM, page_alert },
	{ "alert-manage", "/alert/*",		{ F_ACCESS, FIELD_COUNT }, FORM, page_alert_manage },
	{ "alert-unsubscribe", "/alert/*/unsubscribe", { F_ACCESS, FIELD_COUNT }, FORM,
	    page_alert_unsubscribe },
	{ "accessibility", "/accessibilite",	NONE,		GET,	page_accessibility },
	{ "stats",	"/stats",		NONE,		GET,	page_stats },
	{ "stats-csv",	"/stats.csv",		NONE,		GET,	page_stats_csv },
	{ "agent",	"/agent",		NONE,		GET,	page_agent_home },
	{ "agent-login", "/agent/login",	NONE,		FORM,	page_agent_login },
	{ "agent-logout", "/agent/logout",	NONE,		M_POST,	page_agent_logout },
	{ "agent-agenda", "/agent/site/*/agenda", { F_SLUG, FIELD_COUNT }, GET,
	    page_agent_agenda },
	{ "agent-attendance", "/agent/site/*/attendance", { F_SLUG, FIELD_COUNT },
	    M_POST, page_agent_attendance },
	{ "agent-checkin", "/agent/site/*/checkin", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_checkin },
	{ "agent-search", "/agent/site/*/search", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_search },
	{ "agent-rules", "/agent/site/*/rules", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_rules },
	{ "agent-closures", "/agent/site/*/closures", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_closures },
	{ "agent-publish", "/agent/site/*/publish", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_publish },
	{ "agent-mediator", "/agent/mediator",	NONE,		GET,	page_agent_mediator },
	{ "agent-mediator-times", "/agent/mediator/site/*/*", { F_SLUG, F_SLUG }, GET,
	    page_agent_mediator_times },
	{ "agent-mediator-book", "/agent/mediator/slot/*", { F_SLOT_REF, FIELD_COUNT }, FORM,
	    page_agent_mediator_book },
	{ "agent-mediator-booking", "/agent/mediator/booking/*", { F_ID, FIELD_COUNT },
	    GET, page_agent_mediator_booking },
	{ "agent-mediator-bookings", "/agent/mediator/bookings", NONE, GET,
	    page_agent_mediator_bookings },
	{ "agent-court", "/agent/site/*/court", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_court },
	{ "agent-court-item", "/agent/site/*/court/*", { F_SLUG, F_ID }, FORM,
	    page_agent_court_item },
	{ "agent-court-all", "/agent/court",	NONE,		GET,	page_agent_court_all },
	{ "agent-audit", "/agent/audit",	NONE,		GET,	page_agent_audit },
	{ "agent-reports", "/agent/reports",	NONE,		GET,	page_agent_reports },
	{ "agent-report", "/agent/report/*/*",	{ F_ID, F_SLUG }, GET, page_agent_report },
	{ "draw",	"/site/*/*/draw",	{ F_SLUG, F_SLUG }, FORM, page_draw },
	{ "draw-entry",	"/draw-entry/*",	{ F_ACCESS, FIELD_COUNT }, FORM, page_draw_entry },
	{ "draw-public", "/draw/*",		{ F_ID, FIELD_COUNT }, GET, page_draw_public },
	{ "agent-abuse", "/agent/site/*/abuse",	{ F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_abuse },
	{ "agent-draws", "/agent/site/*/draws", { F_SLUG, FIELD_COUNT }, FORM,
	    page_agent_draws },
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
