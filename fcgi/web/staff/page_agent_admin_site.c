/* GET and POST /agent/admin/sites/<slug>: a site's address, phone,
 * alternative route (French) and the procedures it offers, for
 * administrators (issue 12). POST saves through staff_admin_site_save()
 * (audited with the values before and after; single-use nonce, a POST
 * sent again is refused with 409), then 303 back. Counters and opening
 * rules stay on the site's rules page, linked from here. */
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
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = { "address", "postal_code", "city",
    "phone", "alternative_route", "procedure", NULL };

static const struct notice notices[] = {
	{ "saved", N_("The site is saved."), 0 },
};

static const struct outcome save_outcomes[] = {
	{ "saved", OUT_DONE, "saved", NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this page."), 403, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, N_("There is no such site."), 404,
	    OUT_NO_ARG },
	{ "replayed", OUT_FIELD, NULL,
	    N_("This form was already sent: nothing was changed again. The page shows the site as it is now."),
	    0, OUT_NO_ARG },
	{ "no_procedure", OUT_FIELD, "procedure",
	    N_("Tick only procedures of the list."), 0, OUT_NO_ARG },
	{ "in_use", OUT_FIELD, "procedure",
	    N_("A procedure you untick still has opening rules or slots at this site: end its rules and close its days first. Nothing was saved."),
	    0, OUT_NO_ARG },
};

/* Answers the page with f's errors; on a GET or after a save, the
 * site's values. */
static int
render(struct req *r, struct form *f, int status)
{
	static const char *const cols[] = { "address", "postal_code", "city",
	    "phone", "alternative_route" };
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*res, *procs;
	const char	*chosen;
	size_t		 k;
	int		 i;

	if ((res = db_exec(r, S_ADMIN_SITE_LIST, DB_ARGS(
	    { "account", r->staff->id }, { "slug", r->args[0] }))) == NULL ||
	    (procs = db_exec(r, S_ADMIN_PROCEDURES, DB_ARGS(
	    { "account", r->staff->id }, { "code", "" }))) == NULL)
		return db_fail(r);
	if (PQntuples(res) != 1)
		return resp_error(r, 404, N_("There is no such site."));
	if ((t = tpl_page(r, "agent_admin_site")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "), _("Site")));
	notice_show(r, t, NOTICES(notices));
	tpl_text(tpl_get(t, NULL, "title"), db_get(res, 0, "name"));
	tpl_lang(r, tpl_get(t, NULL, "title"), "fr");
	tpl_text(tpl_get(t, NULL, "counters"), *db_get(res, 0, "counters") != '\0' ?
	    db_get(res, 0, "counters") : _("none"));
	tpl_attr(tpl_get(t, NULL, "rules"), "href",
	    route_url(r, R_AGENT_RULES, r->args[0], NULL));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_ADMIN_SITE, r->args[0], NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "nonce"), "value", admin_nonce(r));
	chosen = db_get(res, 0, "procedure_codes");
	if (r->method == M_POST && f->nerrors > 0)
		chosen = admin_boxes_posted(r, "procedure-");
	else
		for (k = 0; k < sizeof(cols) / sizeof(cols[0]); k++)
			tpl_value(tpl_get(t, NULL, arena_printf(r->arena,
			    "input-%s", cols[k])), db_get(res, 0, cols[k]));
	proto = tpl_get(t, NULL, "procedure-choice");
	for (i = 0; i < PQntuples(procs); i++) {
		row = tpl_clone(proto);
		admin_box(r, t, row, "procedure", db_get(procs, i, "code"),
		    db_get(procs, i, "name"),
		    admin_in_list(chosen, db_get(procs, i, "code")));
	}
	tpl_remove(proto);
	form_render(f, t, form_fields);
	return tpl_send(r, t, status);
}

/* Saves the POST. */
static int
save(struct req *r)
{
	struct form		 f;
	const char		*nonce, *address, *postal, *city, *phone, *route;
	const char		*procs;
	const struct outcome	*o;
	PGresult		*res;

	form_init(&f, r);
	if ((nonce = admin_nonce_check(r)) == NULL)
		form_error(&f, NULL, _("This form has expired. Fill it in again."));
	address = admin_field(&f, F_SITE_ADDRESS, _("Enter the site's address."),
	    _("The address must be on one line, at most 200 characters."));
	postal = admin_field(&f, F_SITE_POSTAL_CODE, _("Enter the postal code."),
	    _("The postal code is five digits, for example 94000."));
	city = admin_field(&f, F_SITE_CITY, _("Enter the city."),
	    _("The city must be on one line, at most 100 characters."));
	phone = admin_field(&f, F_SITE_PHONE, NULL,
	    _("Write the phone number with digits, spaces or dots, for example 01 49 56 60 00."));
	route = admin_field(&f, F_SITE_ROUTE,
	    _("Say how to get an appointment without the website: the courts require another way."),
	    _("The other ways to an appointment must be on one line, at most 1,000 characters."));
	if ((procs = admin_boxes_posted(r, "procedure-")) == NULL)
		return -1;
	if (f.nerrors > 0)
		return render(r, &f, 200);
	if ((res = db_exec(r, S_ADMIN_SITE_SAVE, DB_ARGS(
	    { "account", r->staff->id }, { "nonce", nonce },
	    { "slug", r->args[0] }, { "address", address },
	    { "postal_code", postal }, { "city", city },
	    { "phone", phone != NULL ? phone : "" },
	    { "alternative_route", route }, { "procedures", procs }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_ADMIN_SITE_SAVE, res, OUTCOMES(save_outcomes));
	return admin_answer(r, &f, o,
	    route_url(r, R_AGENT_ADMIN_SITE, r->args[0], NULL), render);
}

/* Answers the site's page, or saves it. */
int
page_agent_admin_site(struct req *r)
{
	return admin_page(r, render, save);
}
