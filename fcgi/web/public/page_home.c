/* GET /: the sites open for booking, by department, each linking to its
 * page. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "req.h"
#include "response.h"
#include "template.h"

/* Answers the home page from the site list. */
int
page_home(struct req *r)
{
	PGresult	*res;
	struct tpl	*t;
	struct tnode	*dproto, *dept = NULL, *sproto = NULL, *site;
	const char	*code, *prev = "";
	int		 i, n;

	if ((res = db_exec(r, S_SITES, NULL)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "home")) == NULL)
		return -1;
	dproto = tpl_get(t, NULL, "department");
	n = PQntuples(res);
	for (i = 0; i < n; i++) {
		code = db_get(res, i, "department_code");
		if (dept == NULL || strcmp(code, prev) != 0) {
			dept = tpl_clone(dproto);
			tpl_text(tpl_get(t, dept, "department-name"),
			    arena_printf(r->arena, "%s (%s)",
			    db_get(res, i, "department_name"), code));
			sproto = tpl_get(t, dept, "site");
			prev = code;
		}
		site = tpl_clone(sproto);
		tpl_attr(tpl_get(t, site, "site-link"), "href",
		    route_url(r, R_SITE, db_get(res, i, "slug"), NULL));
		tpl_text(tpl_get(t, site, "site-name"), db_get(res, i, "name"));
		/* Names and places are French: isolated and marked so in
		 * pages of other languages (bidi order, speech). */
		tpl_lang(r, tpl_get(t, site, "site-name"), "fr");
		tpl_lang(r, tpl_get(t, site, "site-city"), "fr");
		tpl_text(tpl_get(t, site, "site-kind"),
		    fmt_site_kind(db_get(res, i, "kind")));
		tpl_text(tpl_get(t, site, "site-city"), db_get(res, i, "city"));
		if (i + 1 == n || strcmp(db_get(res, i + 1, "department_code"), code) != 0)
			tpl_remove(sproto);
	}
	tpl_remove(dproto);
	if (n > 0)
		tpl_remove(tpl_get(t, NULL, "empty"));
	resp_shareable(r);
	return tpl_send(r, t, 200);
}
