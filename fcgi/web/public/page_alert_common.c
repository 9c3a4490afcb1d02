/* Shared by the alert pages (see page_alert.h). */
#include "config.h"

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "page_alert.h"
#include "req.h"
#include "response.h"
#include "template.h"

/* Loads the subscription of the token r->args[0] into *res; returns 0,
 * or 1 after answering 404 (unknown link) or the database error. */
int
alert_load(struct req *r, PGresult **res)
{
	if ((*res = db_exec(r, S_ALERT_VIEW,
	    DB_ARGS({ "token", r->args[0] }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(*res) == 0) {
		resp_error(r, 404, N_("This link does not lead to an alert. Check that you copied it whole."));
		return 1;
	}
	return 0;
}

/* Fills what every alert page shows: procedure, site, expiry, the link
 * to the procedure's page. */
void
alert_common(struct req *r, struct tpl *t, const PGresult *a)
{
	const char	*until = fmt_date(r->arena, db_get(a, 0, "expires_local"));

	tpl_title(t, arena_printf(r->arena, "%s — %s", _("Alert"),
	    db_get(a, 0, "procedure_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(a, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(a, 0, "site_name"));
	tpl_text(tpl_get(t, NULL, "until"), until != NULL ? until : "");
	tpl_attr(tpl_get(t, NULL, "procedure-link"), "href", route_url(r,
	    R_PROCEDURE, db_get(a, 0, "site_slug"), db_get(a, 0,
	    "procedure_code")));
}
