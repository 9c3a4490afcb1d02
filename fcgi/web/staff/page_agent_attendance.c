/* POST /agent/site/<site>/attendance: the agenda's buttons. Marks one
 * booking of the site (booking = its id) honoured or no-show
 * (counter_mark checks the site, the scope and the times, and logs it),
 * then answers 303 back to the agenda of the day with the outcome. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "counter.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"

/* Returns v when it passes field id's check, else "". */
static const char *
valid_or_empty(const char *v, enum field_id id)
{
	if (v == NULL || field_check(id, v, strlen(v)) == -1)
		return "";
	return v;
}

/* Marks the attendance and goes back to the agenda. */
int
page_agent_attendance(struct req *r)
{
	struct counter_site	 s;
	PGresult		*res;
	const char		*booking, *mark, *day, *counter, *out;

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	booking = valid_or_empty(params_get(&r->form, "booking"), F_ID);
	mark = params_get(&r->form, "mark");
	day = valid_or_empty(params_get(&r->form, "day"), F_DATE);
	counter = valid_or_empty(params_get(&r->form, "counter"), F_ID);
	if (*booking == '\0' || mark == NULL || (strcmp(mark, "honoured") != 0 &&
	    strcmp(mark, "no_show") != 0))
		return resp_error(r, 400, NULL);
	if ((res = db_exec(r, S_COUNTER_MARK, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s.id }, { "reference", "" }, { "booking_id", booking },
	    { "mark", mark }, { "grace", arena_printf(r->arena, "%d",
	    r->conf->no_show_grace_minutes) }))) == NULL)
		return db_fail(r);
	out = db_get(res, 0, "outcome");
	if (strcmp(out, "forbidden") == 0)
		return resp_error(r, 403, N_("Your account does not act for this site."));
	return resp_redirect(r, arena_printf(r->arena, "%s?day=%s%s%s&m=%s",
	    route_url(r, R_AGENT_AGENDA, s.slug, NULL),
	    *day != '\0' ? day : s.today, *counter != '\0' ? "&counter=" : "",
	    counter, out));
}
