/* GET and POST /agent/site/<site>/publish: the procedures of a site with
 * their allocation mode and the share of places reserved per channel; the
 * batches to come (slots generated, not yet published, by publication
 * time) each with a "publish now" form; the form that generates slots
 * from the opening rules for a period, published now or at a given time;
 * and the form that sets the channel shares; the draw switch of each
 * procedure (first come or draw for the next publications, and why: the
 * release that sold out and in how long, or the draw that left places
 * over) with the form that forces a mode or gives it back to the
 * automatic rule (schema/020). Each POST is one SQL function call that
 * checks the account's right and writes the audit log. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "calendar.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = { "from", "to", "publish_at",
	"gen_procedure", "procedure", "share_mediator", "share_counter", "share_court", NULL };

static const char *const messages[] = {
	"generated", N_("The slots are generated."),
	"published", N_("The batch is published: the slots are now offered to the public."),
	"shares", N_("The shares are saved. They apply to the slots generated from now on."),
	"draw_opened", N_("Registration for the draw of this batch is open now; the draw runs when it closes."),
	"switch", N_("The allocation of the next publications is saved."),
	"switch_same", N_("Nothing changed: that was already the allocation chosen."),
	NULL
};

/* Shows the allocation mode of row (mode "open" or "draw"). */
static void
mode(struct tpl *t, struct tnode *row, const char *prefix, const char *m)
{
	char	 open[16], draw[16];

	snprintf(open, sizeof(open), "%s-open", prefix);
	snprintf(draw, sizeof(draw), "%s-draw", prefix);
	tpl_remove(tpl_get(t, row, strcmp(m, "draw") == 0 ? open : draw));
}

/* Fills the procedures table and the procedure choices (shares; the
 * generate form, where the one chosen is kept). */
static void
procedures(struct req *r, struct tpl *t, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "procedure"), *row, *o;
	struct tnode	*oproto = tpl_get(t, NULL, "procedure-option");
	struct tnode	*gproto = tpl_get(t, NULL, "gen-procedure-option");
	const char	*gen = r->method == M_POST ?
			    params_get(&r->form, "gen_procedure") : NULL;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "p-name"), db_get(res, i, "name"));
		mode(t, row, "p", db_get(res, i, "allocation_mode"));
		tpl_text(tpl_get(t, row, "p-mediator"), db_get(res, i, "mediator_percent"));
		tpl_text(tpl_get(t, row, "p-counter"), db_get(res, i, "counter_percent"));
		tpl_text(tpl_get(t, row, "p-court"), db_get(res, i, "court_percent"));
		tpl_text(tpl_get(t, row, "p-online"), db_get(res, i, "online_percent"));
		o = tpl_clone(oproto);
		tpl_attr(o, "value", db_get(res, i, "id"));
		tpl_text(o, db_get(res, i, "name"));
		o = tpl_clone(gproto);
		tpl_attr(o, "value", db_get(res, i, "id"));
		tpl_text(o, db_get(res, i, "name"));
		if (gen != NULL && strcmp(gen, db_get(res, i, "id")) == 0)
			tpl_attr(o, "selected", "selected");
	}
	tpl_remove(proto);
	tpl_remove(oproto);
	tpl_remove(gproto);
	tpl_remove(tpl_get(t, NULL, PQntuples(res) > 0 ? "no-procedures" : "procedures"));
}

/* Fills the batches to come, each with its publish-now form. */
static void
batches(struct req *r, struct tpl *t, const struct cal_site *s, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "batch"), *row;
	const char	*self = route_url(r, R_AGENT_PUBLISH, s->slug, NULL);
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "b-when"), db_get(res, i, "publication"));
		tpl_text(tpl_get(t, row, "b-procedure"), db_get(res, i, "procedure_name"));
		mode(t, row, "b", db_get(res, i, "allocation_mode"));
		tpl_text(tpl_get(t, row, "b-slots"), db_get(res, i, "slots"));
		tpl_text(tpl_get(t, row, "b-places"), db_get(res, i, "places"));
		tpl_text(tpl_get(t, row, "b-reserved"), db_get(res, i, "reserved"));
		tpl_text(tpl_get(t, row, "b-first"), db_get(res, i, "first_slot"));
		tpl_text(tpl_get(t, row, "b-last"), db_get(res, i, "last_slot"));
		tpl_attr(tpl_get(t, row, "b-form"), "action", self);
		tpl_attr(tpl_get(t, row, "b-csrf"), "value", r->staff->csrf);
		tpl_attr(tpl_get(t, row, "b-proc"), "value", db_get(res, i, "procedure_id"));
		tpl_attr(tpl_get(t, row, "b-batch"), "value", db_get(res, i, "batch_key"));
	}
	tpl_remove(proto);
	tpl_remove(tpl_get(t, NULL, PQntuples(res) > 0 ? "no-batches" : "batches"));
}

/* A time taken in words: "45 seconds", "3 minutes", "3 min 20 s". */
static const char *
elapsed(struct req *r, int s)
{
	if (s < 60)
		return arena_printf(r->arena, ngettext("%d second", "%d seconds", s), s);
	if (s % 60 == 0)
		return arena_printf(r->arena, ngettext("%d minute", "%d minutes", s / 60), s / 60);
	return arena_printf(r->arena, _("%d min %02d s"), s / 60, s % 60);
}

/* Why the next publications of row i are what they are. */
static const char *
why(struct req *r, PGresult *res, int i)
{
	const char	*kind = db_get(res, i, "reason_kind");

	if (strcmp(db_get(res, i, "by_draw"), "t") == 0)
		return _("This procedure is always allocated by draw at this site.");
	if (strcmp(kind, "sold_out") == 0)
		return arena_printf(r->arena, _("The %s places published on %s all went in %s (the limit is %s)."),
		    db_get(res, i, "places"),
		    fmt_datetime(r->arena, db_get(res, i, "release_local")),
		    elapsed(r, atoi(db_get(res, i, "seconds"))),
		    fmt_duration(r->arena, atoi(db_get(res, i, "limit_minutes"))));
	if (strcmp(kind, "left_over") == 0)
		return arena_printf(r->arena, _("Draw %s, run on %s, left %s of its %s places without an applicant."),
		    db_get(res, i, "draw_id"),
		    fmt_datetime(r->arena, db_get(res, i, "changed_local")),
		    db_get(res, i, "places_left"), db_get(res, i, "places"));
	if (atoi(db_get(res, i, "limit_minutes")) == 0)
		return _("The automatic switch is off for this procedure.");
	return arena_printf(r->arena, _("No publication has sold out within %s so far."),
	    fmt_duration(r->arena, atoi(db_get(res, i, "limit_minutes"))));
}

/* Fills the draw switch of each procedure, with its form. */
static void
switches(struct req *r, struct tpl *t, const struct cal_site *s, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "switch"), *row;
	const char	*self = route_url(r, R_AGENT_PUBLISH, s->slug, NULL);
	const char	*ov, *opt;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "s-name"), db_get(res, i, "name"));
		tpl_remove(tpl_get(t, row, strcmp(db_get(res, i, "next_mode"), "draw") == 0 ?
		    "s-open" : "s-draw"));
		tpl_text(tpl_get(t, row, "s-why"), why(r, res, i));
		ov = db_get(res, i, "override");
		if (strcmp(ov, "open") == 0)
			tpl_text(tpl_get(t, row, "s-forced"), _("First come is forced by staff."));
		else if (strcmp(ov, "draw") == 0)
			tpl_text(tpl_get(t, row, "s-forced"), _("Draws are forced by staff."));
		else
			tpl_remove(tpl_get(t, row, "s-forced"));
		if (strcmp(db_get(res, i, "by_draw"), "t") == 0) {
			tpl_remove(tpl_get(t, row, "s-form"));
			continue;
		}
		opt = strcmp(ov, "open") == 0 ? "s-force-open" :
		    strcmp(ov, "draw") == 0 ? "s-force-draw" : "s-auto";
		tpl_attr(tpl_get(t, row, opt), "selected", "selected");
		tpl_attr(tpl_get(t, row, "s-form"), "action", self);
		tpl_attr(tpl_get(t, row, "s-csrf"), "value", r->staff->csrf);
		tpl_attr(tpl_get(t, row, "s-proc"), "value", db_get(res, i, "procedure_id"));
		tpl_attr(tpl_get(t, row, "s-select"), "aria-label", arena_printf(r->arena,
		    "%s — %s", _("Allocation of the next publications"), db_get(res, i, "name")));
	}
	tpl_remove(proto);
	if (PQntuples(res) == 0)
		tpl_remove(tpl_get(t, NULL, "switches"));
}

/* Returns 1 when v is a count written in digits (at most 9), else 0. */
static int
count_ok(const char *v)
{
	size_t	 n = v != NULL ? strlen(v) : 0;

	return n > 0 && n <= 9 && strspn(v, "0123456789") == n;
}

/* The message after a generation (?m=generated&slots=N&places=M): how
 * many slots and places it created; NULL for another page state. */
static const char *
generated(struct req *r)
{
	const char	*m = params_get(&r->query, "m");
	const char	*sl = params_get(&r->query, "slots");
	const char	*pl = params_get(&r->query, "places");
	long		 ns, np;

	if (m == NULL || strcmp(m, "generated") != 0 || !count_ok(sl) ||
	    !count_ok(pl))
		return NULL;
	ns = atol(sl);
	np = atol(pl);
	if (ns == 0)
		return _("No slot was created: they exist already, or no opening rule of the procedure covers these days.");
	/* TRANSLATORS: "12 slots, 36 places created." */
	return arena_printf(r->arena, _("%s, %s created."),
	    arena_printf(r->arena, ngettext("%ld slot", "%ld slots", ns), ns),
	    arena_printf(r->arena, ngettext("%ld place", "%ld places", np), np));
}

/* Renders the page with f's errors (values kept). */
static int
render(struct req *r, const struct cal_site *s, struct form *f)
{
	struct tpl	*t;
	PGresult	*procs, *list, *sw;
	const struct db_arg	*site = DB_ARGS({ "account", r->staff->id },
				    { "site_id", s->id });
	const char	*msg;

	if ((procs = db_exec(r, S_CAL_PROCEDURES, site)) == NULL ||
	    (list = db_exec(r, S_CAL_BATCHES, site)) == NULL ||
	    (sw = db_exec(r, S_CAL_SWITCH_STATUS, site)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_publish")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Slots and publication")));
	cal_fill(r, t, s, R_AGENT_PUBLISH);
	if (f->nerrors == 0 && (msg = generated(r)) != NULL)
		tpl_text(tpl_get(t, NULL, "done"), msg);
	else if (f->nerrors == 0 && (msg = cal_message(r, messages)) != NULL)
		tpl_text(tpl_get(t, NULL, "done"), msg);
	else
		tpl_remove(tpl_get(t, NULL, "done"));
	procedures(r, t, procs);
	switches(r, t, s, sw);
	batches(r, t, s, list);
	if (r->method != M_POST) {
		tpl_value(tpl_get(t, NULL, "input-from"), s->today);
		tpl_value(tpl_get(t, NULL, "input-to"), s->today);
	}
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* What calendar_generate, calendar_shares_set, calendar_publish_now and
 * draw_switch_override answer ("forbidden" as every calendar page:
 * outcome.c); the notice key of a switch carries the anchor to scroll
 * back to. */
static const struct outcome generate_outcomes[] = {
	{ "generated", OUT_DONE, "generated", NULL, 0, OUT_NO_ARG },
	{ "no_procedure", OUT_FIELD, "gen_procedure",
	    N_("Choose one of the procedures offered at this site."), 0,
	    OUT_NO_ARG },
	{ "range", OUT_FIELD, "to",
	    N_("The last day must be on or after the first day, and at most 400 days later."),
	    0, OUT_NO_ARG },
	{ "past", OUT_FIELD, "from",
	    N_("The first day must be today or later."), 0, OUT_NO_ARG },
};
static const struct outcome shares_outcomes[] = {
	{ "set", OUT_DONE, "shares", NULL, 0, OUT_NO_ARG },
	{ "no_procedure", OUT_FIELD, "procedure",
	    N_("Choose one of the procedures offered at this site."), 0,
	    OUT_NO_ARG },
	{ "too_much", OUT_FIELD, "share_mediator",
	    N_("The shares add up to more than 100%."), 0, OUT_NO_ARG },
};
static const struct outcome publish_outcomes[] = {
	{ "published", OUT_DONE, "published", NULL, 0, OUT_NO_ARG },
	{ "draw_opened", OUT_DONE, "draw_opened", NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_FIELD, NULL,
	    N_("This batch is no longer waiting: it was published already."),
	    0, OUT_NO_ARG },
};
static const struct outcome switch_outcomes[] = {
	{ "set", OUT_DONE, "switch#switch-title", NULL, 0, OUT_NO_ARG },
	{ "unchanged", OUT_DONE, "switch_same#switch-title", NULL, 0,
	    OUT_NO_ARG },
	{ "no_procedure", OUT_FIELD, NULL,
	    N_("Choose one of the procedures offered at this site."), 0,
	    OUT_NO_ARG },
	{ "by_draw", OUT_FIELD, NULL,
	    N_("This procedure is always allocated by draw at this site: there is nothing to switch."),
	    0, OUT_NO_ARG },
	{ "invalid", OUT_FIELD, NULL,
	    N_("Choose automatic, first come or draw."), 0, OUT_NO_ARG },
};
/* The generate form: one call to calendar_generate. */
static int
generate(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*from, *to, *at, *proc;
	int		 n;
	PGresult	*res;

	proc = form_get(f, F_CAL_GEN_PROCEDURE, 0);
	from = form_get(f, F_CAL_FROM, 1);
	to = form_get(f, F_CAL_TO, 1);
	at = form_get(f, F_CAL_PUBLISH_AT, 0);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_GENERATE, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "from_day", from }, { "to_day", to },
	    { "publication", at != NULL ? at : "" },
	    { "time_zone", s->tz },
	    { "procedure_id", proc != NULL ? proc : "" }))) == NULL) {
		if (strcmp(r->sqlstate, "22008") != 0)
			return db_fail(r);
		form_error(f, "from", _("One of these dates does not exist."));
		return render(r, s, f);
	}
	/* Done: back to the page with the counts (N slots, M places). */
	if (PQntuples(res) > 0 && strcmp(db_get(res, 0, "outcome"), "generated") == 0)
		return resp_redirect(r, arena_printf(r->arena,
		    "%s?m=generated&slots=%s&places=%s",
		    route_url(r, R_AGENT_PUBLISH, s->slug, NULL),
		    db_get(res, 0, "created"), db_get(res, 0, "places")));
	n = cal_outcome(r, f, s, R_AGENT_PUBLISH, S_CAL_GENERATE, res,
	    OUTCOMES(generate_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* The shares form: one call to calendar_shares_set. */
static int
shares(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*proc, *mediator, *counter, *court;
	int		 n;
	PGresult	*res;

	proc = form_get(f, F_CAL_PROCEDURE, 1);
	mediator = form_get(f, F_CAL_SHARE_MEDIATOR, 1);
	counter = form_get(f, F_CAL_SHARE_COUNTER, 1);
	court = form_get(f, F_CAL_SHARE_COURT, 1);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_SHARES, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "procedure_id", proc },
	    { "mediator_percent", mediator }, { "counter_percent", counter },
	    { "court_percent", court }))) == NULL)
		return db_fail(r);
	n = cal_outcome(r, f, s, R_AGENT_PUBLISH, S_CAL_SHARES, res,
	    OUTCOMES(shares_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* A publish-now form: one call to calendar_publish_now. */
static int
publish(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*proc, *batch;
	int		 n;
	PGresult	*res;

	proc = form_get(f, F_CAL_PROCEDURE, 1);
	batch = form_get(f, F_CAL_BATCH, 1);
	if (f->nerrors > 0)
		return resp_error(r, 400, N_("Use one of the forms of the page."));
	if ((res = db_exec(r, S_CAL_PUBLISH, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "procedure_id", proc },
	    { "batch_key", batch }))) == NULL)
		return db_fail(r);
	n = cal_outcome(r, f, s, R_AGENT_PUBLISH, S_CAL_PUBLISH, res,
	    OUTCOMES(publish_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* The draw switch form: one call to draw_switch_override. */
static int
set_switch(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*proc, *mode;
	int		 n;
	PGresult	*res;

	proc = form_get(f, F_CAL_PROCEDURE, 1);
	mode = form_get(f, F_CAL_SWITCH, 1);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_SWITCH_SET, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", s->id },
	    { "procedure_id", proc }, { "mode", mode }))) == NULL)
		return db_fail(r);
	n = cal_outcome(r, f, s, R_AGENT_PUBLISH, S_CAL_SWITCH_SET, res,
	    OUTCOMES(switch_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* Answers the publication page, or one of its forms. */
int
page_agent_publish(struct req *r)
{
	struct cal_site	 s;
	struct form	 f;
	const char	*action;

	if (cal_begin(r, &s) != 0)
		return 0;
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &s, &f);
	if ((action = form_get(&f, F_CAL_ACTION, 1)) == NULL)
		return resp_error(r, 400, N_("Use one of the forms of the page."));
	if (strcmp(action, "generate") == 0)
		return generate(r, &s, &f);
	if (strcmp(action, "shares") == 0)
		return shares(r, &s, &f);
	if (strcmp(action, "publish") == 0)
		return publish(r, &s, &f);
	if (strcmp(action, "switch") == 0)
		return set_switch(r, &s, &f);
	return resp_error(r, 400, N_("Use one of the forms of the page."));
}
