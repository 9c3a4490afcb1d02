/* GET and POST /agent/site/<site>/search: find appointments of the
 * account's sites by reference, surname (+ given names), date of birth
 * or AGDREF number (combined). A search of personal data is a POST that
 * re-renders the form with its results, so no criterion lands in a URL
 * or a log of URLs; counter_search records every search (who, when, the
 * kinds of criteria and the number of results) in the audit log. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "booking.h"
#include "counter.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

#define SEARCH_MAX	50

static const char *const form_fields[] = {
	"reference", "surname", "given_names", "birth_date", "agdref", NULL
};

/* Fills the results table from res (SEARCH_MAX + 1 rows at most). */
static void
results(struct req *r, struct tpl *t, const PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "row"), *row;
	const char	*when;
	int		 i, n = PQntuples(res);

	if (n == 0) {
		tpl_remove(tpl_get(t, NULL, "table"));
		tpl_remove(tpl_get(t, NULL, "more"));
		return;
	}
	tpl_remove(tpl_get(t, NULL, "none"));
	if (n <= SEARCH_MAX)
		tpl_remove(tpl_get(t, NULL, "more"));
	else
		n = SEARCH_MAX;
	tpl_text(tpl_get(t, NULL, "caption"), arena_printf(r->arena,
	    ngettext("%d appointment found", "%d appointments found", n), n));
	for (i = 0; i < n; i++) {
		row = tpl_clone(proto);
		when = fmt_datetime(r->arena, db_get(res, i, "local_start"));
		tpl_text(tpl_get(t, row, "when"), when != NULL ? when :
		    db_get(res, i, "local_start"));
		tpl_attr(tpl_get(t, row, "when"), "href", arena_printf(r->arena,
		    "%s?day=%s", route_url(r, R_AGENT_AGENDA, db_get(res, i,
		    "site_slug"), NULL), db_get(res, i, "day")));
		tpl_text(tpl_get(t, row, "reference"),
		    booking_reference(r, db_get(res, i, "reference")));
		/* Issue 12: the booking's page, to move or cancel it. */
		tpl_attr(tpl_get(t, row, "reference"), "href", route_url(r,
		    R_AGENT_BOOKING, db_get(res, i, "site_slug"),
		    db_get(res, i, "booking_id")));
		tpl_text(tpl_get(t, row, "name"), arena_printf(r->arena,
		    "%s %s", db_get(res, i, "surname"), db_get(res, i, "given_names")));
		tpl_text(tpl_get(t, row, "birth"), db_get(res, i, "birth_date"));
		tpl_text(tpl_get(t, row, "agdref"), db_get(res, i, "agdref"));
		tpl_text(tpl_get(t, row, "procedure"), db_get(res, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "site"), db_get(res, i, "site_name"));
		tpl_text(tpl_get(t, row, "status"), counter_status_row(r, res, i));
	}
	tpl_remove(proto);
}

/* Renders the form with f's values and errors, and the results of res
 * when a search was made (NULL otherwise). */
static int
render(struct req *r, struct form *f, const struct counter_site *s,
    const PGresult *res)
{
	struct tpl	*t;

	if ((t = tpl_page(r, "agent_search")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", _("Search"), s->name));
	counter_nav(r, t, s);
	tpl_attr(tpl_get(t, NULL, "search-form"), "action",
	    route_url(r, R_AGENT_SEARCH, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	form_render(f, t, form_fields);
	if (res != NULL)
		results(r, t, res);
	else
		tpl_remove(tpl_get(t, NULL, "results"));
	return tpl_send(r, t, 200);
}

/* Returns 1 when day (YYYY-MM-DD, already matched by its pattern) is a
 * date of the calendar, not in the future. */
static int
real_past_date(const char *day)
{
	struct tm	 tm;
	time_t		 t;
	int		 y, m, d;

	if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm.tm_mday == d && tm.tm_mon == m - 1 && t <= time(NULL) + 86400;
}

/* Answers the search form, or searches. */
int
page_agent_search(struct req *r)
{
	struct counter_site	 s;
	struct form		 f;
	PGresult		*res;
	const char		*ref, *surname, *given, *birth, *agdref;

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &f, &s, NULL);
	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	ref = form_get(&f, F_REFERENCE, 0);
	surname = form_get(&f, F_SURNAME, 0);
	given = form_get(&f, F_GIVEN_NAMES, 0);
	birth = form_get(&f, F_BIRTH_DATE, 0);
	agdref = form_get(&f, F_AGDREF, 0);
	if (birth != NULL && !real_past_date(birth)) {
		form_error(&f, "birth_date", _("This date does not exist or is in the future."));
		birth = NULL;
	}
	if (given != NULL && surname == NULL && f.nerrors == 0)
		form_error(&f, "surname", _("Give the surname with the given names."));
	if (f.nerrors == 0 && ref == NULL && surname == NULL && birth == NULL &&
	    agdref == NULL)
		form_error(&f, "reference", _("Give at least one criterion: reference, surname, date of birth or AGDREF number."));
	if (f.nerrors > 0)
		return render(r, &f, &s, NULL);
	if ((res = db_exec(r, S_COUNTER_SEARCH, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s.id }, { "reference", ref != NULL ? ref : "" },
	    { "surname", surname != NULL ? surname : "" },
	    { "given_names", given != NULL ? given : "" },
	    { "birth_date", birth != NULL ? birth : "" },
	    { "agdref", agdref != NULL ? agdref : "" },
	    { "max_rows", arena_printf(r->arena, "%d", SEARCH_MAX + 1) }))) == NULL)
		return db_fail(r);
	return render(r, &f, &s, res);
}
