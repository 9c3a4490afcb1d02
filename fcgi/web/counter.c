/* Shared by the counter pages (see counter.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "counter.h"
#include "db.h"
#include "fmt.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Lets an agent, supervisor or administrator of the URL's site on (the
 * route's first segment): fills *s and returns 0. Otherwise answers
 * (login, 403 for a mediator or another site's agent, 404 for an unknown
 * site, 503) and returns 1. day is the day asked for, or NULL. */
int
counter_site_load(struct req *r, const char *day, struct counter_site *s)
{
	PGresult	*res;

	if (staff_require(r, COUNTER_ROLES) != 0)
		return 1;
	if ((res = db_exec(r, S_COUNTER_SITE, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }, { "day", day != NULL ? day : "" }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, NULL);
		return 1;
	}
	if (strcmp(db_get(res, 0, "allowed"), "t") != 0) {
		resp_error(r, 403, N_("Your account does not act for this site."));
		return 1;
	}
	s->id = db_get(res, 0, "site_id");
	s->slug = r->args[0];
	s->name = db_get(res, 0, "name");
	s->tz = db_get(res, 0, "time_zone");
	s->day = db_get(res, 0, "day");
	s->prev = db_get(res, 0, "prev_day");
	s->next = db_get(res, 0, "next_day");
	s->today = db_get(res, 0, "today");
	return 0;
}

/* Returns the wording of a booking's status and attendance. */
const char *
counter_status(const char *status, const char *attendance)
{
	if (strcmp(attendance, "honoured") == 0)
		return _("Arrived");
	if (strcmp(attendance, "no_show") == 0)
		return _("Did not come");
	if (strcmp(status, "moved") == 0)
		return _("Moved");
	if (strcmp(status, "cancelled") == 0)
		return _("Cancelled");
	if (strcmp(status, "completed") == 0)
		return _("Past, not marked");
	if (strcmp(status, "confirmed") == 0)
		return _("Expected");
	return status;
}

/* Returns the wording of a booking channel (creneau_valid_channel). */
const char *
counter_channel(const char *channel)
{
	if (strcmp(channel, "online") == 0)
		return _("Online");
	if (strcmp(channel, "mediator") == 0)
		return _("Mediator");
	if (strcmp(channel, "counter") == 0)
		return _("Counter or phone");
	if (strcmp(channel, "court") == 0)
		return _("Court order");
	return channel;
}

/* Fills the navigation shared by the counter pages: the site's name and
 * the links to its agenda, check-in and search. */
void
counter_nav(struct req *r, struct tpl *t, const struct counter_site *s)
{
	tpl_text(tpl_get(t, NULL, "site-name"), s->name);
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "nav-agenda"), "href",
	    route_url(r, R_AGENT_AGENDA, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "nav-checkin"), "href",
	    route_url(r, R_AGENT_CHECKIN, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "nav-search"), "href",
	    route_url(r, R_AGENT_SEARCH, s->slug, NULL));
}

/* Returns the status of a booking row of the agenda or the search, with
 * where it went when it was moved (issue 12): "Moved to <date time>". */
const char *
counter_status_row(struct req *r, const PGresult *res, int i)
{
	const char	*to = db_get(res, i, "moved_to"), *when;

	if (*to == '\0')
		return counter_status(db_get(res, i, "status"),
		    db_get(res, i, "attendance"));
	when = fmt_datetime(r->arena, to);
	return arena_printf(r->arena, _("Moved to %s"), when != NULL ? when : to);
}
