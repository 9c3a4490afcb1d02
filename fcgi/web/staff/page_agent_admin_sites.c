/* GET /agent/admin/sites: the sites, for administrators (issue 12), each
 * a link to its page (page_agent_admin_site.c) and to its opening rules
 * and counters (the calendar pages, open to administrators). */
#include "config.h"

#include "arena.h"
#include "db.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

/* Answers the list of sites. */
int
page_agent_admin_sites(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*res;
	const char	*slug;
	int		 i;

	if (admin_require(r) != 0)
		return 0;
	if ((res = db_exec(r, S_ADMIN_SITE_LIST, DB_ARGS(
	    { "account", r->staff->id }, { "slug", "" }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_admin_sites")) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "site");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		slug = db_get(res, i, "slug");
		tpl_text(tpl_get(t, row, "site-link"), arena_printf(r->arena,
		    "%s, %s", db_get(res, i, "name"), db_get(res, i, "city")));
		tpl_lang(r, tpl_get(t, row, "site-link"), "fr");
		tpl_attr(tpl_get(t, row, "site-link"), "href",
		    route_url(r, R_AGENT_ADMIN_SITE, slug, NULL));
		tpl_text(tpl_get(t, row, "site-procedures"),
		    db_get(res, i, "procedure_names"));
		tpl_lang(r, tpl_get(t, row, "site-procedures"), "fr");
		tpl_text(tpl_get(t, row, "site-counters"), db_get(res, i, "counters"));
		tpl_lang(r, tpl_get(t, row, "site-counters"), "fr");
		tpl_attr(tpl_get(t, row, "site-rules"), "href",
		    route_url(r, R_AGENT_RULES, slug, NULL));
	}
	tpl_remove(proto);
	return tpl_send(r, t, 200);
}
