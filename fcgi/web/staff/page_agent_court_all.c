/* GET /agent/court: the court orders of every site the account acts for
 * (a supervisor sees all those of their sites), open ones first, overdue
 * first, by deadline, so none is missed; audited (it shows names). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "court.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Answers the list of every site's injunctions. */
int
page_agent_court_all(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row, *st, *site;
	PGresult	*l, *sites;
	const char	*cls;
	int		 i;

	if (staff_require(r, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	if ((l = db_exec(r, S_COURT_LIST, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", NULL }, { "max_rows", "500" }))) == NULL ||
	    (sites = db_exec(r, S_STAFF_SITES,
	    DB_ARGS({ "account", r->staff->id }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_court_all")) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "row");
	for (i = 0; i < PQntuples(l); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "row-link"), "href", route_url(r,
		    R_AGENT_COURT_ITEM, db_get(l, i, "site_slug"), db_get(l, i,
		    "injunction_id")));
		tpl_text(tpl_get(t, row, "row-deadline"), db_get(l, i, "deadline"));
		st = tpl_get(t, row, "row-state");
		tpl_text(st, court_state(r, atoi(db_get(l, i, "days_left")),
		    strcmp(db_get(l, i, "fulfilled"), "t") == 0, db_get(l, i, "reference"), &cls));
		tpl_add_class(st, cls);
		tpl_add_class(row, cls);
		site = tpl_get(t, row, "row-site");
		tpl_attr(site, "href", route_url(r, R_AGENT_COURT, db_get(l, i,
		    "site_slug"), NULL));
		tpl_text(site, db_get(l, i, "site_name"));
		tpl_text(tpl_get(t, row, "row-name"), arena_printf(r->arena,
		    "%s %s", db_get(l, i, "surname"), db_get(l, i, "given_names")));
		tpl_text(tpl_get(t, row, "row-tribunal"), db_get(l, i, "tribunal"));
		tpl_text(tpl_get(t, row, "row-case"), db_get(l, i, "case_number"));
	}
	tpl_remove(proto);
	if (PQntuples(l) > 0)
		tpl_remove(tpl_get(t, NULL, "empty"));
	else
		tpl_remove(tpl_get(t, NULL, "table"));
	proto = tpl_get(t, NULL, "site");
	for (i = 0; i < PQntuples(sites); i++) {
		row = tpl_clone(proto);
		site = tpl_get(t, row, "site-link");
		tpl_attr(site, "href", route_url(r, R_AGENT_COURT, db_get(sites,
		    i, "slug"), NULL));
		tpl_text(site, db_get(sites, i, "name"));
	}
	tpl_remove(proto);
	if (PQntuples(sites) == 0)
		tpl_remove(tpl_get(t, NULL, "sites"));
	return tpl_send(r, t, 200);
}
