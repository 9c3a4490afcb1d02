/* GET and POST /agent/admin/staff: the staff accounts, for
 * administrators (issue 12). GET lists them with a form to create one;
 * POST creates it through staff_admin_create() (which calls
 * staff_account_add(), as creneau-admin staff-add does), without a
 * password, and shows its one-time link once. CSRF token, single-use
 * nonce (a POST sent again is refused with 409), audit in SQL. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "form.h"
#include "i18n.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "secret.h"
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = { "name", "email", "role",
    "organisation", "site", NULL };

static const struct outcome create_outcomes[] = {
	{ "created", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this page."), 403, OUT_NO_ARG },
	{ "replayed", OUT_FIELD, NULL,
	    N_("This form was already sent: nothing was changed again. Check the list of accounts, then fill in the form below if needed."),
	    0, OUT_NO_ARG },
	{ "bad_role", OUT_FIELD, "role", N_("Choose one of the roles offered."),
	    0, OUT_NO_ARG },
	{ "email_taken", OUT_FIELD, "email",
	    N_("An account already uses this e-mail address. Open it in the list to change it."),
	    0, OUT_NO_ARG },
	{ "no_site", OUT_FIELD, "site",
	    N_("Tick at least one site for an agent or a supervisor."), 0, OUT_NO_ARG },
	{ "organisation_needed", OUT_FIELD, "organisation",
	    N_("Enter the organisation of the mediator."), 0, OUT_NO_ARG },
	{ "organisation_not_allowed", OUT_FIELD, "organisation",
	    N_("Only a mediator belongs to an organisation: leave this field empty, or choose the role Mediator."),
	    0, OUT_NO_ARG },
};

/* Answers the page: the list, the creation form with f's errors and
 * values, and, when link is not NULL, the account just created (name)
 * with its link. status: 200, or 409 for a replayed POST. */
static int
render(struct req *r, struct form *f, const char *name, const char *link,
    int status)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*res;
	const char	*scope;
	int		 i;

	if ((res = db_exec(r, S_ADMIN_ACCOUNTS,
	    DB_ARGS({ "account", r->staff->id }, { "account_id", "" }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_admin_staff")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Staff accounts")));
	if (link == NULL)
		tpl_remove(tpl_get(t, NULL, "created"));
	else {
		tpl_text(tpl_get(t, NULL, "created-name"), name);
		tpl_text(tpl_get(t, NULL, "created-link"), link);
	}
	proto = tpl_get(t, NULL, "account");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "account-link"), db_get(res, i, "name"));
		tpl_attr(tpl_get(t, row, "account-link"), "href", route_url(r,
		    R_AGENT_ADMIN_ACCOUNT, db_get(res, i, "account_id"), NULL));
		tpl_text(tpl_get(t, row, "account-email"), db_get(res, i, "email"));
		tpl_text(tpl_get(t, row, "account-role"),
		    admin_role_text(db_get(res, i, "role")));
		scope = *db_get(res, i, "organisation") != '\0' ?
		    db_get(res, i, "organisation") : db_get(res, i, "site_names");
		tpl_text(tpl_get(t, row, "account-scope"), scope);
		tpl_text(tpl_get(t, row, "account-state"),
		    strcmp(db_get(res, i, "active"), "t") != 0 ? _("Disabled") :
		    strcmp(db_get(res, i, "has_password"), "t") != 0 ?
		    _("Waiting for its one-time link") : _("Active"));
	}
	tpl_remove(proto);
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "nonce"), "value", admin_nonce(r));
	if (admin_sites_render(r, t, NULL, link == NULL && r->method == M_POST ?
	    admin_boxes_posted(r, "site-") : "") == -1)
		return 0;
	if (link != NULL)	/* created: an empty form for the next one */
		r->form.n = 0;
	form_render(f, t, form_fields);
	return tpl_send(r, t, status);
}

/* Creates the account of the POST. */
static int
create(struct req *r)
{
	struct form		 f;
	const char		*name, *email, *role, *org, *sites, *nonce, *token;
	const struct outcome	*o;
	PGresult		*res;

	form_init(&f, r);
	if ((nonce = admin_nonce_check(r)) == NULL)
		form_error(&f, NULL, _("This form has expired. Fill it in again."));
	name = admin_field(&f, F_STAFF_NAME,
	    _("Enter the person's name, as colleagues know it."),
	    _("The name may hold letters, digits, spaces, apostrophes, hyphens and full stops, up to 100 characters: for example Camille Martin."));
	email = admin_field(&f, F_STAFF_EMAIL,
	    _("Enter the person's professional e-mail address: it is their login."),
	    _("This is not an e-mail address: write it as name@example.gouv.fr, without spaces."));
	role = admin_field(&f, F_STAFF_ROLE, _("Choose one of the roles offered."),
	    _("Choose one of the roles offered."));
	org = admin_field(&f, F_ORGANISATION, NULL,
	    _("The organisation's name may hold letters, digits, spaces and the signs ' . , ( ) / & -, up to 200 characters."));
	if ((sites = admin_boxes_posted(r, "site-")) == NULL)
		return -1;
	if (f.nerrors > 0)
		return render(r, &f, NULL, NULL, 200);
	if ((token = random_token(r->arena)) == NULL)
		return -1;
	if ((res = db_exec(r, S_ADMIN_CREATE, DB_ARGS(
	    { "account", r->staff->id }, { "nonce", nonce }, { "email", email },
	    { "name", name }, { "role", role },
	    { "organisation", org != NULL ? org : "" }, { "sites", sites },
	    { "link_token", token },
	    { "link_hours", arena_printf(r->arena, "%d", ADMIN_LINK_HOURS) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_ADMIN_CREATE, res, OUTCOMES(create_outcomes));
	if (o->act == OUT_DONE)
		return render(r, &f, name, admin_link_url(r, token), 200);
	if (outcome_refuse(r, &f, o))
		return 0;
	return render(r, &f, NULL, NULL,
	    strcmp(o->word, "replayed") == 0 ? 409 : 200);
}

/* Answers the page without an account just created. */
static int
render_page(struct req *r, struct form *f, int status)
{
	return render(r, f, NULL, NULL, status);
}

/* Answers the page, or creates an account. */
int
page_agent_admin_staff(struct req *r)
{
	return admin_page(r, render_page, create);
}
