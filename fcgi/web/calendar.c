/* Shared parts of the calendar pages (see calendar.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "form.h"
#include "outcome.h"
#include "i18n.h"
#include "calendar.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "staff.h"
#include "template.h"

/* Lets a calendar request on: a logged-in agent, supervisor or
 * administrator (mediators: 403), a site that exists (404) and that the
 * account acts for (403), and on POST the session's CSRF token (403).
 * Fills s and returns 0; otherwise has answered and returns 1. */
int
cal_begin(struct req *r, struct cal_site *s)
{
	PGresult	*res;

	if (staff_require(r, CAL_ROLES) != 0)
		return 1;
	if ((res = db_exec(r, S_CAL_SITE, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, N_("There is no such site."));
		return 1;
	}
	if (strcmp(db_get(res, 0, "allowed"), "t") != 0) {
		staff_site_refuse(r, db_get(res, 0, "site_id"));
		return 1;
	}
	if (r->method == M_POST && !staff_csrf_ok(r)) {
		resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
		return 1;
	}
	s->id = db_get(res, 0, "site_id");
	s->slug = r->args[0];
	s->name = db_get(res, 0, "site_name");
	s->tz = db_get(res, 0, "time_zone");
	s->today = db_get(res, 0, "today");
	return 0;
}

/* Fills what every calendar page has: the site's name, the navigation
 * (page, R_AGENT_RULES, _CLOSURES or _PUBLISH, marked current), the form
 * actions (data-c "form-*": this page's address) and the CSRF fields
 * (data-c "csrf-*"), up to 8 of each. */
void
cal_fill(struct req *r, struct tpl *t, const struct cal_site *s,
    enum route_id page)
{
	static const struct {
		enum route_id	 id;
		const char	*nav;
	} pages[] = {
		{ R_AGENT_RULES, "nav-rules" },
		{ R_AGENT_CLOSURES, "nav-closures" },
		{ R_AGENT_PUBLISH, "nav-publish" },
	};
	static const char *const forms[] = { "form-1", "form-2", "form-3",
	    "form-4", "form-5", "form-6", "form-7", "form-8" };
	static const char *const csrfs[] = { "csrf-1", "csrf-2", "csrf-3",
	    "csrf-4", "csrf-5", "csrf-6", "csrf-7", "csrf-8" };
	const char	*self;
	struct tnode	*n;
	size_t		 i;

	tpl_text(tpl_get(t, NULL, "site-name"), s->name);
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		n = tpl_get(t, NULL, pages[i].nav);
		tpl_attr(n, "href", route_url(r, pages[i].id, s->slug, NULL));
		if (pages[i].id == page)
			tpl_attr(n, "aria-current", "page");
	}
	self = route_url(r, page, s->slug, NULL);
	for (i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
		if ((n = tpl_get(t, NULL, forms[i])) != NULL)
			tpl_attr(n, "action", self);
		if ((n = tpl_get(t, NULL, csrfs[i])) != NULL)
			tpl_attr(n, "value", r->staff->csrf);
	}
}

/* Returns the translated name of ISO weekday d (1 = Monday). */
const char *
cal_weekday(int d)
{
	static const char *const names[] = { N_("Monday"), N_("Tuesday"),
	    N_("Wednesday"), N_("Thursday"), N_("Friday"), N_("Saturday"),
	    N_("Sunday") };

	return d >= 1 && d <= 7 ? _(names[d - 1]) : "";
}

/* Returns the translated message of the query's m (messages: pairs of a
 * code and its msgid, NULL-terminated), or NULL. */
const char *
cal_message(struct req *r, const char *const *messages)
{
	const char	*m = params_get(&r->query, "m");
	size_t		 i;

	if (m == NULL)
		return NULL;
	for (i = 0; messages[i] != NULL; i += 2)
		if (strcmp(messages[i], m) == 0)
			return _(messages[i + 1]);
	return NULL;
}

/* Answers the outcome of a calendar form's statement (list says what each
 * word does): done, a 303 to the page with the entry's notice key (?m=);
 * refused, the error page, or the message recorded in f. Returns 1 when
 * the caller shows the form again, else what the answer returned. */
int
cal_outcome(struct req *r, struct form *f, const struct cal_site *s,
    enum route_id page, enum stmt st, const PGresult *res,
    const struct outcome *list, size_t n)
{
	const struct outcome	*o = outcome_of(r, st, res, list, n);

	if (o->act == OUT_DONE)
		return resp_redirect(r, arena_printf(r->arena, "%s?m=%s",
		    route_url(r, page, s->slug, NULL), o->field));
	return outcome_refuse(r, f, o) ? 0 : 1;
}
