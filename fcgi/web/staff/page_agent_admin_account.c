/* GET and POST /agent/admin/staff/<id>: one staff account, for
 * administrators (issue 12): disable or enable it, reset its password
 * with a new one-time link (shown once), change its role and sites.
 * Every change goes through staff_admin_change() (audited, single-use
 * nonce: a POST sent again is refused with 409); disable, reset and a
 * change of rights end the account's sessions. */
#include "config.h"

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
#include "secret.h"
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = { "role", "organisation", "site",
    NULL };

static const struct notice notices[] = {
	{ "disabled", N_("The account is disabled: it can no longer log in, and its sessions have ended."), 0 },
	{ "enabled", N_("The account is enabled again."), 0 },
	{ "scope", N_("The role and sites are saved. They apply from the next login."), 0 },
};

static const struct outcome change_outcomes[] = {
	{ "done", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this page."), 403, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, N_("There is no such account."), 404,
	    OUT_NO_ARG },
	{ "replayed", OUT_FIELD, NULL,
	    N_("This form was already sent: nothing was changed again. The page shows the account as it is now."),
	    0, OUT_NO_ARG },
	{ "self", OUT_FIELD, NULL,
	    N_("You cannot disable, reset or change your own account: ask another administrator."),
	    0, OUT_NO_ARG },
	{ "bad_role", OUT_FIELD, "role", N_("Choose one of the roles offered."),
	    0, OUT_NO_ARG },
	{ "bad_action", OUT_FIELD, NULL,
	    N_("Use one of the forms of the page."), 0, OUT_NO_ARG },
	{ "no_site", OUT_FIELD, "site",
	    N_("Tick at least one site for an agent or a supervisor."), 0, OUT_NO_ARG },
	{ "organisation_needed", OUT_FIELD, "organisation",
	    N_("Enter the organisation of the mediator."), 0, OUT_NO_ARG },
};

/* Answers the page of the account with f's errors; link: the new
 * one-time link after a reset, else NULL. */
static int
render(struct req *r, struct form *f, const char *link, int status)
{
	static const char *const forms[] = { "form-disable", "form-enable",
	    "form-reset", "form-scope" };
	struct tpl	*t;
	struct tnode	*scope;
	PGresult	*res;
	const char	*self, *sites;
	size_t		 k;
	int		 active;

	if ((res = db_exec(r, S_ADMIN_ACCOUNTS, DB_ARGS(
	    { "account", r->staff->id }, { "account_id", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(res) != 1)
		return resp_error(r, 404, N_("There is no such account."));
	if ((t = tpl_page(r, "agent_admin_account")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Staff account")));
	notice_show(r, t, NOTICES(notices));
	self = route_url(r, R_AGENT_ADMIN_ACCOUNT, r->args[0], NULL);
	active = strcmp(db_get(res, 0, "active"), "t") == 0;
	tpl_text(tpl_get(t, NULL, "name"), db_get(res, 0, "name"));
	tpl_text(tpl_get(t, NULL, "email"), db_get(res, 0, "email"));
	tpl_text(tpl_get(t, NULL, "role"), admin_role_text(db_get(res, 0, "role")));
	tpl_text(tpl_get(t, NULL, "scope"), *db_get(res, 0, "organisation") != '\0' ?
	    db_get(res, 0, "organisation") : db_get(res, 0, "site_names"));
	tpl_text(tpl_get(t, NULL, "state"), !active ? _("Disabled") :
	    strcmp(db_get(res, 0, "has_password"), "t") == 0 ? _("Active") :
	    strcmp(db_get(res, 0, "link_pending"), "t") == 0 ?
	    _("Waiting for its one-time link") :
	    _("No password and no valid link: reset it to make a new link"));
	if (link == NULL)
		tpl_remove(tpl_get(t, NULL, "link-made"));
	else
		tpl_text(tpl_get(t, NULL, "link"), link);
	for (k = 0; k < sizeof(forms) / sizeof(forms[0]); k++) {
		scope = tpl_get(t, NULL, forms[k]);
		tpl_attr(scope, "action", self);
		tpl_attr(tpl_get(t, scope, "csrf"), "value", r->staff->csrf);
		tpl_attr(tpl_get(t, scope, "nonce"), "value", admin_nonce(r));
	}
	tpl_remove(tpl_get(t, NULL, active ? "form-enable" : "form-disable"));
	/* The scope form shows what the POST asked, else the account. */
	sites = db_get(res, 0, "site_slugs");
	if (r->method == M_POST && f->nerrors > 0 && params_get(&r->form, "role") != NULL)
		sites = admin_boxes_posted(r, "site-");
	else {
		tpl_value(tpl_get(t, NULL, "input-role"), db_get(res, 0, "role"));
		tpl_value(tpl_get(t, NULL, "input-organisation"),
		    db_get(res, 0, "organisation"));
	}
	if (admin_sites_render(r, t, tpl_get(t, NULL, "form-scope"), sites) == -1)
		return 0;
	form_render(f, t, form_fields);
	return tpl_send(r, t, status);
}

/* Applies the POST's action. */
static int
change(struct req *r)
{
	struct form		 f;
	const char		*action, *nonce, *role = "", *org = NULL, *sites = "";
	const char		*token = "";
	const struct outcome	*o;
	PGresult		*res;

	form_init(&f, r);
	action = params_get(&r->form, "action");
	if (action == NULL)
		action = "";
	if ((nonce = admin_nonce_check(r)) == NULL)
		form_error(&f, NULL, _("This form has expired. Fill it in again."));
	if (strcmp(action, "scope") == 0) {
		role = admin_field(&f, F_STAFF_ROLE,
		    _("Choose one of the roles offered."),
		    _("Choose one of the roles offered."));
		org = admin_field(&f, F_ORGANISATION, NULL,
		    _("The organisation's name may hold letters, digits, spaces and the signs ' . , ( ) / & -, up to 200 characters."));
		sites = admin_boxes_posted(r, "site-");
	} else if (strcmp(action, "reset") == 0 &&
	    (token = random_token(r->arena)) == NULL)
		return -1;
	if (f.nerrors > 0)
		return render(r, &f, NULL, 200);
	if ((res = db_exec(r, S_ADMIN_CHANGE, DB_ARGS(
	    { "account", r->staff->id }, { "nonce", nonce },
	    { "account_id", r->args[0] }, { "action", action },
	    { "role", role != NULL ? role : "" },
	    { "organisation", org != NULL ? org : "" },
	    { "sites", sites != NULL ? sites : "" }, { "link_token", token },
	    { "link_hours", arena_printf(r->arena, "%d", ADMIN_LINK_HOURS) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_ADMIN_CHANGE, res, OUTCOMES(change_outcomes));
	if (o->act == OUT_DONE) {
		if (strcmp(action, "reset") == 0)
			return render(r, &f, admin_link_url(r, token), 200);
		return resp_redirect(r, arena_printf(r->arena, "%s?m=%s",
		    route_url(r, R_AGENT_ADMIN_ACCOUNT, r->args[0], NULL),
		    strcmp(action, "disable") == 0 ? "disabled" :
		    strcmp(action, "enable") == 0 ? "enabled" : "scope"));
	}
	if (outcome_refuse(r, &f, o))
		return 0;
	return render(r, &f, NULL, strcmp(o->word, "replayed") == 0 ? 409 : 200);
}

/* Answers the account page without a new link. */
static int
render_page(struct req *r, struct form *f, int status)
{
	return render(r, f, NULL, status);
}

/* Answers the account page, or changes the account. */
int
page_agent_admin_account(struct req *r)
{
	return admin_page(r, render_page, change);
}
