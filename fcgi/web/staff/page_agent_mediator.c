/* GET /agent/mediator: a mediator's start page: their organisation and
 * how much of its monthly quota is used, the sites and procedures they
 * may book for an applicant, and the link to the organisation's
 * bookings. */
#include "config.h"

#include <stdlib.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Answers the mediator's start page. */
int
page_agent_mediator(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*org, *ch;
	int		 i, quota, used;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if ((org = db_exec(r, S_MEDIATOR_ORG,
	    DB_ARGS({ "account", r->staff->id }))) == NULL)
		return db_fail(r);
	if (PQntuples(org) != 1)
		return resp_error(r, 403, N_("Your account does not give access to this page."));
	if ((ch = db_exec(r, S_MEDIATOR_CHOICES, NULL)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_mediator")) == NULL)
		return -1;
	quota = atoi(db_get(org, 0, "monthly_quota"));
	used = atoi(db_get(org, 0, "used"));
	tpl_text(tpl_get(t, NULL, "organisation"), db_get(org, 0, "name"));
	tpl_text(tpl_get(t, NULL, "quota"), arena_printf(r->arena,
	    ngettext("%d of %d booking used this month",
	    "%d of %d bookings used this month", quota), used, quota));
	if (used < quota)
		tpl_remove(tpl_get(t, NULL, "quota-reached"));
	proto = tpl_get(t, NULL, "choice");
	for (i = 0; i < PQntuples(ch); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "choice-link"), "href", route_url(r,
		    R_AGENT_MEDIATOR_TIMES, db_get(ch, i, "site_slug"),
		    db_get(ch, i, "procedure_code")));
		tpl_text(tpl_get(t, row, "choice-procedure"), db_get(ch, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "choice-site"), db_get(ch, i, "site_name"));
		tpl_text(tpl_get(t, row, "choice-city"), db_get(ch, i, "city"));
	}
	tpl_remove(proto);
	if (PQntuples(ch) > 0)
		tpl_remove(tpl_get(t, NULL, "no-choices"));
	else
		tpl_remove(tpl_get(t, NULL, "choices"));
	return tpl_send(r, t, 200);
}
