/* GET and POST /agent/site/<site>/rules: the opening rules of a site by
 * counter and procedure, and three forms: add a rule (overlaps refused
 * with a message: opening_rules_no_overlap), end a rule (its last day;
 * never deleted) and add a counter. Agents and supervisors of the site
 * and administrators (calendar.c); each POST is one SQL function call
 * that checks the account's right and writes the audit log. */
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

static const char *const form_fields[] = { "counter", "procedure", "weekday",
	"opens", "closes", "slot_minutes", "capacity", "valid_from",
	"valid_until", "rule", "end_day", "counter_name", NULL };

static const char *const messages[] = {
	"rule-added", N_("The rule is added. Generate the slots on the publication page."),
	"rule-ended", N_("The rule is ended."),
	"counter-added", N_("The counter is added."),
	NULL
};

/* Fills the options of select mark from res (value id, label name). */
static void
options(struct tpl *t, const char *mark, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, mark), *o;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		o = tpl_clone(proto);
		tpl_attr(o, "value", db_get(res, i, "id"));
		tpl_text(o, db_get(res, i, "name"));
	}
	tpl_remove(proto);
}

/* Fills the table of rules and the choice of a rule to end. */
static void
rules(struct req *r, struct tpl *t, PGresult *res)
{
	struct tnode	*proto = tpl_get(t, NULL, "rule"), *row, *o;
	struct tnode	*oproto = tpl_get(t, NULL, "rule-option");
	int		 i, active;

	for (i = 0; i < PQntuples(res); i++) {
		active = strcmp(db_get(res, i, "current"), "t") == 0;
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "r-counter"), db_get(res, i, "counter_name"));
		tpl_text(tpl_get(t, row, "r-procedure"), db_get(res, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "r-weekday"), cal_weekday(atoi(db_get(res, i, "weekday"))));
		tpl_text(tpl_get(t, row, "r-opens"), db_get(res, i, "opens"));
		tpl_text(tpl_get(t, row, "r-closes"), db_get(res, i, "closes"));
		tpl_text(tpl_get(t, row, "r-minutes"), db_get(res, i, "slot_minutes"));
		tpl_text(tpl_get(t, row, "r-capacity"), db_get(res, i, "capacity"));
		tpl_text(tpl_get(t, row, "r-from"), db_get(res, i, "valid_from"));
		if (*db_get(res, i, "valid_until") != '\0')
			tpl_text(tpl_get(t, row, "r-until"), db_get(res, i, "valid_until"));
		else
			tpl_remove(tpl_get(t, row, "r-until-part"));
		if (active)
			tpl_remove(tpl_get(t, row, "r-ended"));
		if (!active)
			continue;
		o = tpl_clone(oproto);
		tpl_attr(o, "value", db_get(res, i, "id"));
		tpl_text(o, arena_printf(r->arena, "%s — %s — %s %s–%s (%s %s)",
		    db_get(res, i, "counter_name"), db_get(res, i, "procedure_name"),
		    cal_weekday(atoi(db_get(res, i, "weekday"))), db_get(res, i, "opens"),
		    db_get(res, i, "closes"), _("from"), db_get(res, i, "valid_from")));
	}
	tpl_remove(proto);
	tpl_remove(oproto);
	if (PQntuples(res) > 0)
		tpl_remove(tpl_get(t, NULL, "no-rules"));
	else
		tpl_remove(tpl_get(t, NULL, "rules"));
}

/* Renders the page with f's errors (values kept). */
static int
render(struct req *r, const struct cal_site *s, struct form *f)
{
	struct tpl	*t;
	PGresult	*counters, *procs, *list;
	const struct db_arg	*site = DB_ARGS({ "account", r->staff->id },
				    { "site_id", s->id });
	const char	*msg;

	if ((counters = db_exec(r, S_CAL_COUNTERS, site)) == NULL ||
	    (procs = db_exec(r, S_CAL_PROCEDURES, site)) == NULL ||
	    (list = db_exec(r, S_CAL_RULES, site)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_rules")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Opening rules")));
	cal_fill(r, t, s, R_AGENT_RULES);
	if (f->nerrors == 0 && (msg = cal_message(r, messages)) != NULL)
		tpl_text(tpl_get(t, NULL, "done"), msg);
	else
		tpl_remove(tpl_get(t, NULL, "done"));
	options(t, "counter-option", counters);
	options(t, "procedure-option", procs);
	rules(r, t, list);
	if (r->method != M_POST) {
		tpl_value(tpl_get(t, NULL, "input-valid_from"), s->today);
		tpl_value(tpl_get(t, NULL, "input-slot_minutes"), "30");
		tpl_value(tpl_get(t, NULL, "input-capacity"), "1");
	}
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Reads a whole number field that passed its pattern; checks min..max. */
static int
number(struct form *f, enum field_id id, int min, int max, const char *msg)
{
	const char	*v = form_get(f, id, 1);
	int		 n;

	if (v == NULL)
		return -1;
	n = atoi(v);
	if (n < min || n > max) {
		form_error(f, fields[id].name, msg);
		return -1;
	}
	return n;
}

/* What calendar_rule_add, calendar_rule_end and calendar_counter_add
 * answer ("forbidden" as every calendar page: outcome.c). */
static const struct outcome rule_add_outcomes[] = {
	{ "added", OUT_DONE, "rule-added", NULL, 0, OUT_NO_ARG },
	{ "no_counter", OUT_FIELD, "counter",
	    N_("Choose one of the counters of this site."), 0, OUT_NO_ARG },
	{ "no_procedure", OUT_FIELD, "procedure",
	    N_("Choose one of the procedures offered at this site."), 0,
	    OUT_NO_ARG },
	{ "hours", OUT_FIELD, "closes",
	    N_("The closing time must be after the opening time."), 0,
	    OUT_NO_ARG },
	{ "too_short", OUT_FIELD, "slot_minutes",
	    N_("Not one slot of this length fits between these hours."), 0,
	    OUT_NO_ARG },
	{ "range", OUT_FIELD, "valid_until",
	    N_("The last day must not be before the first day."), 0,
	    OUT_NO_ARG },
	{ "overlap", OUT_FIELD, "counter",
	    N_("This counter already has a rule on that day of the week at overlapping hours and dates. End that rule first, or choose other hours or another counter."),
	    0, OUT_NO_ARG },
};
static const struct outcome rule_end_outcomes[] = {
	{ "ended", OUT_DONE, "rule-ended", NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_FIELD, "rule",
	    N_("Choose one of the rules of this site."), 0, OUT_NO_ARG },
	{ "range", OUT_FIELD, "end_day",
	    N_("The last day must not be before the rule's first day."), 0,
	    OUT_NO_ARG },
	{ "overlap", OUT_FIELD, "end_day",
	    N_("With this last day the rule would overlap another rule of the counter."),
	    0, OUT_NO_ARG },
};
static const struct outcome counter_add_outcomes[] = {
	{ "added", OUT_DONE, "counter-added", NULL, 0, OUT_NO_ARG },
	{ "exists", OUT_FIELD, "counter_name",
	    N_("This site already has a counter of that name."), 0,
	    OUT_NO_ARG },
};

/* The add-rule form: one call to calendar_rule_add. */
static int
add_rule(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*counter, *proc, *weekday, *opens, *closes, *from, *until;
	int		 n;
	PGresult	*res;

	counter = form_get(f, F_CAL_COUNTER, 1);
	proc = form_get(f, F_CAL_PROCEDURE, 1);
	weekday = form_get(f, F_CAL_WEEKDAY, 1);
	opens = form_get(f, F_CAL_OPENS, 1);
	closes = form_get(f, F_CAL_CLOSES, 1);
	number(f, F_CAL_SLOT_MINUTES, 5, 480,
	    _("Length of a slot: a number of minutes from 5 to 480."));
	number(f, F_CAL_CAPACITY, 1, 100, _("People per slot: a number from 1 to 100."));
	from = form_get(f, F_CAL_VALID_FROM, 1);
	until = form_get(f, F_CAL_VALID_UNTIL, 0);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_RULE_ADD, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "counter_id", counter },
	    { "procedure_id", proc }, { "weekday", weekday },
	    { "opens", opens }, { "closes", closes },
	    { "slot_minutes", params_get(&r->form, "slot_minutes") },
	    { "capacity", params_get(&r->form, "capacity") },
	    { "valid_from", from },
	    { "valid_until", until != NULL ? until : "" }))) == NULL) {
		if (strcmp(r->sqlstate, "22008") != 0 && strcmp(r->sqlstate, "22007") != 0)
			return db_fail(r);
		form_error(f, "valid_from", _("This date does not exist."));
		return render(r, s, f);
	}
	n = cal_outcome(r, f, s, R_AGENT_RULES, S_CAL_RULE_ADD, res,
	    OUTCOMES(rule_add_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* The end-rule form: one call to calendar_rule_end. */
static int
end_rule(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*rule, *last;
	int		 n;
	PGresult	*res;

	rule = form_get(f, F_CAL_RULE, 1);
	last = form_get(f, F_CAL_END_DAY, 1);
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_RULE_END, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s->id }, { "rule_id", rule },
	    { "valid_until", last }))) == NULL) {
		if (strcmp(r->sqlstate, "22008") != 0 && strcmp(r->sqlstate, "22007") != 0)
			return db_fail(r);
		form_error(f, "end_day", _("This date does not exist."));
		return render(r, s, f);
	}
	n = cal_outcome(r, f, s, R_AGENT_RULES, S_CAL_RULE_END, res,
	    OUTCOMES(rule_end_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* The add-counter form: one call to calendar_counter_add. */
static int
add_counter(struct req *r, const struct cal_site *s, struct form *f)
{
	const char	*name;
	int		 n;
	PGresult	*res;

	if ((name = form_get(f, F_CAL_COUNTER_NAME, 1)) == NULL)
		return render(r, s, f);
	if ((res = db_exec(r, S_CAL_COUNTER_ADD, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", s->id },
	    { "name", name }))) == NULL)
		return db_fail(r);
	n = cal_outcome(r, f, s, R_AGENT_RULES, S_CAL_COUNTER_ADD, res,
	    OUTCOMES(counter_add_outcomes));
	return n == 1 ? render(r, s, f) : n;
}

/* Answers the rules page, or one of its forms. */
int
page_agent_rules(struct req *r)
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
	if (strcmp(action, "add-rule") == 0)
		return add_rule(r, &s, &f);
	if (strcmp(action, "end-rule") == 0)
		return end_rule(r, &s, &f);
	if (strcmp(action, "add-counter") == 0)
		return add_counter(r, &s, &f);
	return resp_error(r, 400, N_("Use one of the forms of the page."));
}
