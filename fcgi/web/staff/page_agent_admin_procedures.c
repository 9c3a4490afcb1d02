/* GET /agent/admin/procedures: the procedures, for administrators
 * (issue 12), each a link to its page (page_agent_admin_procedure.c). */
#include "config.h"

#include <string.h>

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

/* Answers the list of procedures. */
int
page_agent_admin_procedures(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*res;
	const char	*docs;
	int		 i, n;

	if (admin_require(r) != 0)
		return 0;
	if ((res = db_exec(r, S_ADMIN_PROCEDURES, DB_ARGS(
	    { "account", r->staff->id }, { "code", "" }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_admin_procedures")) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "procedure");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "procedure-link"), db_get(res, i, "name"));
		tpl_lang(r, tpl_get(t, row, "procedure-link"), "fr");
		tpl_attr(tpl_get(t, row, "procedure-link"), "href", route_url(r,
		    R_AGENT_ADMIN_PROCEDURE, db_get(res, i, "code"), NULL));
		tpl_text(tpl_get(t, row, "procedure-duration"),
		    db_get(res, i, "duration_minutes"));
		docs = db_get(res, i, "documents");
		for (n = *docs != '\0'; (docs = strchr(docs, '\n')) != NULL; docs++)
			n++;
		tpl_text(tpl_get(t, row, "procedure-documents"),
		    arena_printf(r->arena, "%d", n));
		tpl_text(tpl_get(t, row, "procedure-sites"), db_get(res, i, "sites"));
		tpl_lang(r, tpl_get(t, row, "procedure-sites"), "fr");
	}
	tpl_remove(proto);
	return tpl_send(r, t, 200);
}
