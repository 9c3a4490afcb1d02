/* GET and POST /agent/site/<site>/closures: the closures to come and the
 * public holidays of the coming months, and the form that closes a day
 * for the whole site or one counter. When the day has active bookings,
 * the form first asks to confirm; then close_day() cancels them all, in
 * one transaction, with a day_closed message to each applicant (their
 * language, the link to book again) and an audit entry. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "calendar.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = { "day", "counter", "reason",
	"confirm", NULL };

static const char *const messages[] = {
	"closed", N_("The day is closed. The appointments of that day are cancelled and the applicants informed."),
	NULL
};

/* Fills the list of closures. */
static void
closures(struct tpl *t, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "closure"), *row;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "c-day"), db_get(res, i, "day"));
		if (*db_get(res, i, "counter_name") != '\0') {
			tpl_text(tpl_get(t, row, "c-counter"), db_get(res, i, "counter_name"));
			tpl_remove(tpl_get(t, row, "c-site"));
		} else
			tpl_remove(tpl_get(t, row, "c-counter"));
		tpl_text(tpl_get(t, row, "c-reason"), db_get(res, i, "reason"));
		tpl_text(tpl_get(t, row, "c-cancelled"), db_get(res, i, "bookings_cancelled"));
	}
	tpl_remove(proto);
	tpl_remove(tpl_get(t, NULL, PQntuples(res) > 0 ? "no-closures" : "closures"));
}

/* Fills the list of public holidays. */
static void
holidays(struct tpl *t, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "holiday"), *row;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "h-day"), db_get(res, i, "day"));
		tpl_text(tpl_get(t, row, "h-name"), db_get(res, i, "name"));
	}
	tpl_remove(proto);
	tpl_remove(tpl_get(t, NULL, PQntuples(res) > 0 ? "no-holidays" : "holidays"));
}

/* Renders the page with f's errors (values kept). */
static int
render(struct req *r, const struct cal_site *s, struct form *f)
{
	struct tpl	*t;
	struct tnode	*proto, *o;
	PGresult	*counters, *list, *hols;
	const struct db_arg	*site = DB_ARGS({ "account", r->staff->id },
			    { "site_id", s->id });
	const char	*msg;
	int		 i;

	if ((counters = db_exec(r, S_CAL_COUNTERS, site)) == NULL ||
	    (list = db_exec(r, S_CAL_CLOSURES, site)) == NULL ||
	    (hols = db_exec(r, S_CAL_HOLIDAYS, site)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_closures")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Closures and public holidays")));
	cal_fill(r, t, s, R_AGENT_CLOSURES);
	if (f->nerrors == 0 && (msg = cal_message(r, messages)) != NULL)
		tpl_text(tpl_get(t, NULL, "done"), msg);
	else
		tpl_remove(tpl_get(t, NULL, "done"));
	proto = tpl_get(t, NULL, "counter-option");
	for (i = 0; i < PQntuples(counters); i++) {
		o = tpl_clone(proto);
		tpl_attr(o, "value", db_get(counters, i, "id"));
		tpl_text(o, db_get(counters, i, "name"));
	}
	tpl_remove(proto);
	closures(t, list);
	holidays(t, hols);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* What close_day answers ("forbidden" as every calendar page). */
static const struct outcome close_outcomes[] = {
	{ "closed", OUT_DONE, "closed", NULL, 0, OUT_NO_ARG },
	{ "no_counter", OUT_FIELD, "counter",
	    N_("Choose one of the counters of this site."), 0, OUT_NO_ARG },
	{ "past_day", OUT_FIELD, "day",
	    N_("This day is past: choose today or a later day."), 0,
	    OUT_NO_ARG },
	{ "already_closed", OUT_FIELD, "day",
	    N_("This day is already closed there."), 0, OUT_NO_ARG },
};
/* Closes the day after the checks; 303, or the form again. */
static int
close_day(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*counter, *day, *reason;
	PGresult	*res;
	int		 n;

	counter = form_get(f, F_CAL_COUNTER, 0);
	day = form_get(f, F_DATE, 1);
	reason = form_get(f, F_CAL_REASON, 1);
	if (f->nerrors > 0)
		return render(r, s, f);
	if (counter == NULL)
		counter = "";
	if (day != NULL && strcmp(day, s->today) < 0) {
		form_error(f, "day", _("This day is past: choose today or a later day."));
		return render(r, s, f);
	}
	/* A day with bookings: say how many will be cancelled, and ask. */
	if (form_get(f, F_CAL_CONFIRM, 0) == NULL) {
		if ((res = db_exec(r, S_CAL_DAY_BOOKINGS, DB_ARGS(
		    { "account", r->staff->id }, { "site_id", s->id },
		    { "counter_id", counter }, { "day", day }))) == NULL) {
			if (strcmp(r->sqlstate, "22008") != 0)
				return db_fail(r);
			form_error(f, "day", _("This date does not exist."));
			return render(r, s, f);
		}
		if ((n = atoi(db_get(res, 0, "bookings"))) > 0) {
			form_error(f, "confirm", arena_printf(r->arena, ngettext(
			    "%d appointment is booked on that day. Tick the box to cancel it and inform the applicant.",
			    "%d appointments are booked on that day. Tick the box to cancel them and inform the applicants.",
			    n), n));
			return render(r, s, f);
		}
	}
	if ((res = db_exec(r, S_CAL_CLOSE_DAY, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "counter_id", counter }, { "day", day },
	    { "reason", reason }))) == NULL) {
		if (strcmp(r->sqlstate, "22008") != 0)
			return db_fail(r);
		form_error(f, "day", _("This date does not exist."));
		return render(r, s, f);
	}
	n = cal_outcome(r, f, s, R_AGENT_CLOSURES, S_CAL_CLOSE_DAY, res,
	    OUTCOMES(close_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* Answers the closures page, or its form. */
int
page_agent_closures(struct req *r)
{
	struct cal_site	 s;
	struct form	 f;
	const char	*action;

	if (cal_begin(r, &s) != 0)
		return 0;
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &s, &f);
	if ((action = form_get(&f, F_CAL_ACTION, 1)) == NULL ||
	    strcmp(action, "close") != 0)
		return resp_error(r, 400, N_("Use one of the forms of the page."));
	return close_day(r, &s, &f);
}
