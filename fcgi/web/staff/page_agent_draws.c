/* GET and POST /agent/site/<site>/draws: the draws of a site for its
 * agents, supervisors and administrators. Lists each draw (window, draw
 * time, the published commitment, entries, places), schedules a new one
 * for a procedure allocated by draw (draw_schedule: the seed is made and
 * kept secret by PostgreSQL, only its SHA-256 is shown), and runs a due
 * draw at once (draw_run, one transaction). Times are the site's. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "outcome.h"
#include "notice.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = {
	"procedure", "opens_at", "closes_at", "draw_at", "offer_hours", "from",
	"to", NULL
};

static const struct notice notices[] = {
	{ "scheduled", N_("The draw is scheduled. Its commitment is published on the draw's public page."), 0 },
	{ "drawn", N_("The draw has been run: the first entries in the order received an offer."), 0 },
	{ "too_early", N_("This draw cannot be run before its time."), 1 },
	{ "already_drawn", N_("This draw has already been run."), 1 },
};

/* Fills the table of draws and their run-now forms. */
static void
draws(struct req *r, struct tpl *t, const PGresult *d)
{
	struct tnode	*proto = tpl_get(t, NULL, "draw"), *row, *run;
	int		 i;

	for (i = 0; i < PQntuples(d); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "draw-procedure"), strcmp(db_get(d, i, "by_switch"), "t") == 0 ?
		    arena_printf(r->arena, "%s (%s)", db_get(d, i, "procedure_name"),
		    _("made from a batch by the draw switch")) : db_get(d, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "draw-window"), arena_printf(r->arena,
		    "%s → %s", db_get(d, i, "opens"), db_get(d, i, "closes")));
		tpl_text(tpl_get(t, row, "draw-at"), db_get(d, i, "draw_at"));
		tpl_text(tpl_get(t, row, "draw-status"),
		    strcmp(db_get(d, i, "status"), "drawn") == 0 ? _("Drawn") : _("Scheduled"));
		tpl_text(tpl_get(t, row, "draw-entries"), db_get(d, i, "verified_entries"));
		tpl_text(tpl_get(t, row, "draw-places"), db_get(d, i, "places"));
		tpl_text(tpl_get(t, row, "draw-commitment"), db_get(d, i, "commitment"));
		tpl_attr(tpl_get(t, row, "draw-public"), "href",
		    route_url(r, R_DRAW_PUBLIC, db_get(d, i, "id"), NULL));
		run = tpl_get(t, row, "run-form");
		if (strcmp(db_get(d, i, "due"), "t") != 0) {
			tpl_remove(run);
			continue;
		}
		tpl_attr(run, "action", route_url(r, R_AGENT_DRAWS, r->args[0],
		    NULL));
		tpl_attr(tpl_get(t, run, "run-csrf"), "value", r->staff->csrf);
		tpl_attr(tpl_get(t, run, "run-draw"), "value", db_get(d, i, "id"));
	}
	tpl_remove(proto);
	if (PQntuples(d) > 0)
		tpl_remove(tpl_get(t, NULL, "no-draws"));
}

/* Renders the page of site row s (S_STAFF_SITE_ACCESS) with f's errors. */
static int
render(struct req *r, const PGresult *s, struct form *f)
{
	struct tpl	*t;
	struct tnode	*proto, *opt;
	PGresult	*d, *procs;
	int		 i;

	if ((d = db_exec(r, S_AGENT_DRAWS, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }))) == NULL)
		return db_fail(r);
	if ((procs = db_exec(r, S_AGENT_DRAW_PROCEDURES,
	    DB_ARGS({ "site_id", db_get(s, 0, "site_id") }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_draws")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s", f->nerrors > 0 ?
	    _("Error: ") : "", _("Draws"), db_get(s, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(s, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	notice_show(r, t, NOTICES(notices));
	draws(r, t, d);
	proto = tpl_get(t, NULL, "procedure-option");
	for (i = 0; i < PQntuples(procs); i++) {
		opt = tpl_clone(proto);
		tpl_attr(opt, "value", db_get(procs, i, "id"));
		tpl_text(opt, db_get(procs, i, "name"));
	}
	tpl_remove(proto);
	if (PQntuples(procs) == 0)
		tpl_remove(tpl_get(t, NULL, "schedule-form"));
	else
		tpl_remove(tpl_get(t, NULL, "no-procedures"));
	tpl_attr(tpl_get(t, NULL, "schedule-form"), "action",
	    route_url(r, R_AGENT_DRAWS, r->args[0], NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* What draw_schedule answers. */
static const struct outcome schedule_outcomes[] = {
	{ "scheduled", OUT_DONE, "scheduled", NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this site."), 403,
	    OUT_NO_ARG },
	{ "not_draw", OUT_FIELD, "procedure",
	    N_("This procedure is not allocated by draw at this site."), 0,
	    OUT_NO_ARG },
	{ "no_slots", OUT_FIELD, "from",
	    N_("There is no free slot of this procedure on these days after the draw and its offers: generate the slots first, unpublished."),
	    0, OUT_NO_ARG },
	{ "bad_window", OUT_FIELD, "opens_at",
	    N_("Registration must open before it closes, close no later than the draw, and the draw must be in the future."),
	    0, OUT_NO_ARG },
};

/* Schedules a draw from the form; 303 or re-render. */
static int
schedule(struct req *r, const PGresult *s, struct form *f)
{
	const char	*proc, *opens, *closes, *draw_at, *hours, *first, *last;
	const struct outcome	*o;
	PGresult	*res;

	proc = form_get(f, F_CAL_PROCEDURE, 1);
	opens = form_get(f, F_DRAW_OPENS, 1);
	closes = form_get(f, F_DRAW_CLOSES, 1);
	draw_at = form_get(f, F_DRAW_AT, 1);
	hours = form_get(f, F_DRAW_OFFER_HOURS, 1);
	first = form_get(f, F_CAL_FROM, 1);
	last = form_get(f, F_CAL_TO, 1);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_AGENT_DRAW_SCHEDULE, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", db_get(s, 0, "site_id") },
	    { "procedure_id", proc }, { "opens", opens }, { "closes", closes },
	    { "draw_at", draw_at }, { "offer_hours", hours },
	    { "first_day", first }, { "last_day", last }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_AGENT_DRAW_SCHEDULE, res, OUTCOMES(schedule_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, arena_printf(r->arena, "%s?m=scheduled",
		    route_url(r, R_AGENT_DRAWS, r->args[0], NULL)));
	return outcome_refuse(r, f, o) ? 0 : render(r, s, f);
}

/* What draw_run answers: the notices above say it. */
static const struct outcome run_outcomes[] = {
	{ "drawn", OUT_DONE, "drawn", NULL, 0, OUT_NO_ARG },
	{ "too_early", OUT_NOTICE, "too_early", NULL, 0, OUT_NO_ARG },
	{ "already_drawn", OUT_NOTICE, "already_drawn", NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this draw."), 403,
	    OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL,
	    N_("Your account does not give access to this draw."), 403,
	    OUT_NO_ARG },
};

/* Runs a due draw now; 303 with the outcome. */
static int
run(struct req *r)
{
	const char	*draw = params_get(&r->form, "draw");
	PGresult	*res;

	if (draw == NULL || field_check(F_DRAW_ID, draw, strlen(draw)) == -1)
		return resp_error(r, 400, NULL);
	if ((res = db_exec(r, S_AGENT_DRAW_RUN, DB_ARGS({ "draw_id", draw },
	    { "account", r->staff->id }))) == NULL)
		return db_fail(r);
	return outcome_redirect(r, outcome_of(r, S_AGENT_DRAW_RUN, res,
	    OUTCOMES(run_outcomes)), route_url(r, R_AGENT_DRAWS, r->args[0],
	    NULL));
}

/* Answers the draws page, or one of its forms. */
int
page_agent_draws(struct req *r)
{
	struct form	 f;
	PGresult	*s;
	const char	*action;

	if (staff_require(r, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	if (r->method == M_POST && !staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if ((s = db_exec(r, S_STAFF_SITE_ACCESS, DB_ARGS(
	    { "account", r->staff->id }, { "site_slug", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(s) == 0)
		return resp_error(r, 404, N_("This site does not exist."));
	if (strcmp(db_get(s, 0, "allowed"), "t") != 0)
		return staff_site_refuse(r, db_get(s, 0, "site_id"));
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, s, &f);
	action = params_get(&r->form, "action");
	if (action != NULL && strcmp(action, "run") == 0)
		return run(r);
	return schedule(r, s, &f);
}
