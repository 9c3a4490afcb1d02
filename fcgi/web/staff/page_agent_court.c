/* GET and POST /agent/site/<site>/court: the court orders of a site. GET
 * lists its injunctions (open ones first, overdue first, by deadline; the
 * list is audited, it shows names) and the form to record one; POST
 * records an injunction (court_record, audited) and answers 303 to it, or
 * the form again with its errors. Agents and supervisors of the site and
 * administrators only: staff_can_site() decides, in SQL. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "court.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = {
	"tribunal", "case_number", "decision_date", "deadline", "procedure",
	"surname", "given_names", "birth_day", "birth_month", "birth_year",
	"agdref", "email", "phone", "lang", NULL
};

/* Fills the list of injunctions; returns 0 or -1 (database). */
static int
fill_list(struct req *r, struct tpl *t)
{
	struct tnode	*proto, *row, *st;
	PGresult	*l;
	const char	*cls;
	int		 i;

	if ((l = db_exec(r, S_COURT_LIST, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }, { "max_rows", "500" }))) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "row");
	for (i = 0; i < PQntuples(l); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "row-link"), "href", route_url(r,
		    R_AGENT_COURT_ITEM, r->args[0], db_get(l, i,
		    "injunction_id")));
		tpl_text(tpl_get(t, row, "row-deadline"), db_get(l, i, "deadline"));
		st = tpl_get(t, row, "row-state");
		tpl_text(st, court_state(r, atoi(db_get(l, i, "days_left")),
		    strcmp(db_get(l, i, "fulfilled"), "t") == 0, db_get(l, i, "reference"), &cls));
		tpl_add_class(st, cls);
		tpl_add_class(row, cls);
		tpl_text(tpl_get(t, row, "row-name"), arena_printf(r->arena,
		    "%s %s", db_get(l, i, "surname"), db_get(l, i, "given_names")));
		tpl_text(tpl_get(t, row, "row-tribunal"), db_get(l, i, "tribunal"));
		tpl_text(tpl_get(t, row, "row-case"), db_get(l, i, "case_number"));
		tpl_text(tpl_get(t, row, "row-procedure"), db_get(l, i, "procedure_name"));
	}
	tpl_remove(proto);
	if (PQntuples(l) > 0)
		tpl_remove(tpl_get(t, NULL, "empty"));
	else
		tpl_remove(tpl_get(t, NULL, "table"));
	return 0;
}

/* Renders the page for site row s (S_STAFF_SITE_ACCESS) with f's values
 * and errors. */
static int
render(struct req *r, const PGresult *s, struct form *f)
{
	struct tpl	*t;
	struct tnode	*proto, *opt;
	PGresult	*pl;
	int		 i;

	if ((pl = db_exec(r, S_STAFF_SITE_PROCEDURE_LIST,
	    DB_ARGS({ "site_slug", r->args[0] }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_court")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", _("Court orders"),
	    db_get(s, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(s, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	if (fill_list(r, t) == -1)
		return db_fail(r);
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_COURT, r->args[0], NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	proto = tpl_get(t, NULL, "procedure-option");
	for (i = 0; i < PQntuples(pl); i++) {
		opt = tpl_clone(proto);
		tpl_attr(opt, "value", db_get(pl, i, "code"));
		tpl_text(opt, db_get(pl, i, "name"));
	}
	tpl_remove(proto);
	tpl_languages(r, t, "lang-option", NULL, NULL);
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), r->lang);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Reads a date field that must exist; NULL with an error otherwise. */
static const char *
get_day(struct form *f, enum field_id id)
{
	const char	*v = form_get(f, id, 1);

	if (v != NULL && !court_day_exists(v)) {
		form_error(f, fields[id].name, _("This date does not exist. Check the day and the month."));
		return NULL;
	}
	return v;
}

/* What court_record answers. */
static const struct outcome record_outcomes[] = {
	{ "recorded", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "exists", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this site."), 403,
	    OUT_NO_ARG },
	{ "not_found", OUT_FIELD, "procedure",
	    N_("Choose one of the procedures offered."), 0, OUT_NO_ARG },
	{ "deadline_before_decision", OUT_FIELD, "deadline",
	    N_("The deadline cannot be before the decision."), 0, OUT_NO_ARG },
};
/* Records the injunction: 303 to it, or the form with its errors. */
static int
submit(struct req *r, const PGresult *s, struct form *f)
{
	const char	*proc, *tribunal, *case_number, *decided, *deadline;
	const char	*surname, *given, *agdref, *email, *phone, *lang;
	const struct outcome	*o;
	char		 birth[11];
	PGresult	*res;

	proc = form_get(f, F_PROCEDURE, 1);
	tribunal = form_get(f, F_TRIBUNAL, 1);
	case_number = form_get(f, F_CASE_NUMBER, 1);
	decided = get_day(f, F_DECISION_DATE);
	deadline = get_day(f, F_DEADLINE);
	surname = form_get(f, F_SURNAME, 1);
	given = form_get(f, F_GIVEN_NAMES, 1);
	form_birth_date(f, birth);
	agdref = form_get(f, F_AGDREF, 0);
	email = form_get(f, F_EMAIL, 0);
	phone = form_get(f, F_PHONE, 0);
	lang = form_get(f, F_MSG_LANG, 1);
	if (lang != NULL && !conf_has_language(r->conf, lang))
		form_error(f, "lang", _("Choose one of the languages offered."));
	if (decided != NULL && deadline != NULL && strcmp(deadline, decided) < 0)
		form_error(f, "deadline", _("The deadline cannot be before the decision."));
	if (f->nerrors > 0)
		return render(r, s, f);
	if ((res = db_exec(r, S_COURT_RECORD, DB_ARGS(
	    { "account", r->staff->id }, { "site_slug", r->args[0] },
	    { "procedure_code", proc }, { "tribunal", tribunal },
	    { "case_number", case_number }, { "decision_date", decided },
	    { "deadline", deadline }, { "surname", surname },
	    { "given_names", given }, { "birth_date", birth },
	    { "agdref", agdref }, { "email", email }, { "phone", phone },
	    { "lang", lang }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_COURT_RECORD, res, OUTCOMES(record_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_AGENT_COURT_ITEM,
		    r->args[0], db_get(res, 0, "injunction_id")));
	return outcome_refuse(r, f, o) ? 0 : render(r, s, f);
}

/* Answers the court orders of a site (GET) or a new one (POST). */
int
page_agent_court(struct req *r)
{
	struct form	 f;
	PGresult	*s;

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
	return submit(r, s, &f);
}
