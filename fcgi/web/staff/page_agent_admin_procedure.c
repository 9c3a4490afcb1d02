/* GET and POST /agent/admin/procedures/<code>: a procedure's French
 * name, description, appointment length, documents to bring (one a
 * line) and whether it asks for an AGDREF number, for administrators
 * (issue 12). POST saves through staff_admin_procedure_save() (audited
 * with the values before and after; single-use nonce, a POST sent again
 * is refused with 409), then 303 back. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "form.h"
#include "i18n.h"
#include "notice.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = { "name", "description",
    "duration_minutes", "documents", "requires_agdref", NULL };

static const struct notice notices[] = {
	{ "saved", N_("The procedure is saved."), 0 },
};

static const struct outcome save_outcomes[] = {
	{ "saved", OUT_DONE, "saved", NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this page."), 403, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, N_("There is no such procedure."), 404,
	    OUT_NO_ARG },
	{ "replayed", OUT_FIELD, NULL,
	    N_("This form was already sent: nothing was changed again. The page shows the procedure as it is now."),
	    0, OUT_NO_ARG },
	{ "bad_duration", OUT_FIELD, "duration_minutes",
	    N_("Enter a length from 1 to 480 minutes."), 0, OUT_NO_ARG },
};

/* Returns v with CR and other control characters but LF left out, for
 * a textarea. */
static const char *
lines_clean(struct req *r, const char *v)
{
	char	*out, *o;

	if ((out = arena_alloc(r->arena, strlen(v) + 1)) == NULL)
		return "";
	for (o = out; *v != '\0'; v++)
		if ((unsigned char)*v >= 0x20 || *v == '\n')
			*o++ = *v;
	*o = '\0';
	return out;
}

/* Answers the page with f's errors; on a GET, the procedure's values. */
static int
render(struct req *r, struct form *f, int status)
{
	struct tpl	*t;
	PGresult	*res;
	const char	*docs;

	if ((res = db_exec(r, S_ADMIN_PROCEDURES, DB_ARGS(
	    { "account", r->staff->id }, { "code", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(res) != 1)
		return resp_error(r, 404, N_("There is no such procedure."));
	if ((t = tpl_page(r, "agent_admin_procedure")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Procedure")));
	notice_show(r, t, NOTICES(notices));
	tpl_text(tpl_get(t, NULL, "title"), db_get(res, 0, "name"));
	tpl_lang(r, tpl_get(t, NULL, "title"), "fr");
	tpl_text(tpl_get(t, NULL, "sites"), *db_get(res, 0, "sites") != '\0' ?
	    db_get(res, 0, "sites") : _("no site"));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_ADMIN_PROCEDURE, r->args[0], NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "nonce"), "value", admin_nonce(r));
	if (r->method != M_POST || f->nerrors == 0) {
		tpl_value(tpl_get(t, NULL, "input-name"), db_get(res, 0, "name"));
		tpl_value(tpl_get(t, NULL, "input-description"),
		    db_get(res, 0, "description"));
		tpl_value(tpl_get(t, NULL, "input-duration_minutes"),
		    db_get(res, 0, "duration_minutes"));
		tpl_value(tpl_get(t, NULL, "input-documents"),
		    db_get(res, 0, "documents"));
		if (strcmp(db_get(res, 0, "requires_agdref"), "t") == 0)
			tpl_value(tpl_get(t, NULL, "input-requires_agdref"), "yes");
	}
	form_render(f, t, form_fields);
	if (r->method == M_POST && f->nerrors > 0 &&
	    (docs = params_get(&r->form, "documents")) != NULL)
		tpl_value(tpl_get(t, NULL, "input-documents"), lines_clean(r, docs));
	return tpl_send(r, t, status);
}

/* Checks the documents, one a line: returns 0, or -1 with an error at
 * the field naming the first wrong line. */
static int
documents_check(struct form *f, const char *docs)
{
	const char	*p = docs, *end;
	size_t		 n;
	int		 line = 1;

	for (; *p != '\0'; p = *end != '\0' ? end + 1 : end, line++) {
		end = p + strcspn(p, "\n");
		n = (size_t)(end - p);
		if (n > 0 && p[n - 1] == '\r')
			n--;
		if (n == 0 || strspn(p, " \t") >= n)
			continue;
		if (field_check(F_PROC_DOCUMENT, arena_strndup(f->r->arena, p, n), n) == -1) {
			form_error(f, "documents", arena_printf(f->r->arena,
			    _("Line %d of the documents is too long or holds a character that cannot be typed: at most 200 characters a line."),
			    line));
			return -1;
		}
	}
	return 0;
}

/* Saves the POST. */
static int
save(struct req *r)
{
	struct form		 f;
	const char		*nonce, *name, *desc, *dur, *docs, *agdref;
	const struct outcome	*o;
	PGresult		*res;

	form_init(&f, r);
	if ((nonce = admin_nonce_check(r)) == NULL)
		form_error(&f, NULL, _("This form has expired. Fill it in again."));
	name = admin_field(&f, F_PROC_NAME, _("Enter the procedure's name."),
	    _("The name must be on one line, at most 200 characters."));
	desc = admin_field(&f, F_PROC_DESCRIPTION, NULL,
	    _("The description must be on one line, at most 2,000 characters."));
	dur = admin_field(&f, F_PROC_DURATION,
	    _("Enter the length of an appointment, in minutes."),
	    _("Enter a length from 1 to 480 minutes."));
	if (dur != NULL && atoi(dur) > 480) {
		form_error(&f, "duration_minutes", _("Enter a length from 1 to 480 minutes."));
		dur = NULL;
	}
	docs = params_get(&r->form, "documents");
	if (docs == NULL)
		docs = "";
	documents_check(&f, docs);
	agdref = params_get(&r->form, "requires_agdref");
	if (f.nerrors > 0)
		return render(r, &f, 200);
	if ((res = db_exec(r, S_ADMIN_PROCEDURE_SAVE, DB_ARGS(
	    { "account", r->staff->id }, { "nonce", nonce },
	    { "code", r->args[0] }, { "name", name },
	    { "description", desc != NULL ? desc : "" },
	    { "duration_minutes", dur },
	    { "requires_agdref", agdref != NULL && strcmp(agdref, "yes") == 0 ?
	    "true" : "false" }, { "documents", docs }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_ADMIN_PROCEDURE_SAVE, res, OUTCOMES(save_outcomes));
	return admin_answer(r, &f, o,
	    route_url(r, R_AGENT_ADMIN_PROCEDURE, r->args[0], NULL), render);
}

/* Answers the procedure's page, or saves it. */
int
page_agent_admin_procedure(struct req *r)
{
	return admin_page(r, render, save);
}
