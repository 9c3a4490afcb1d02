/* GET /agent/audit: the audit log for supervisors (the entries of their
 * sites) and administrators (every entry), filtered by day and action,
 * 50 entries a page, newest first. Reading it is itself audited (in
 * audit_view, which also checks the role again). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "court.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

#define AUDIT_PAGE	50

/* Returns the query parameter name when it is a valid value of id (and
 * for a day, a day that exists), else NULL. */
static const char *
query(struct req *r, const char *name, enum field_id id)
{
	const char	*v = params_get(&r->query, name);

	if (v == NULL || *v == '\0' || field_check(id, v, strlen(v)) == -1)
		return NULL;
	if (id == F_DATE && !court_day_exists(v))
		return NULL;
	return v;
}

/* Returns the URL of page n with the filters. */
static const char *
page_url(struct req *r, const char *day, const char *action, int n)
{
	return arena_printf(r->arena, "%s?day=%s&action=%s&page=%d",
	    route_url(r, R_AGENT_AUDIT, NULL, NULL), day != NULL ? day : "",
	    action != NULL ? action : "", n);
}

/* Fills the rows; returns the total of matching entries. */
static long
fill_rows(struct req *r, struct tpl *t, const PGresult *l)
{
	struct tnode	*proto = tpl_get(t, NULL, "row"), *row;
	int		 i;

	for (i = 0; i < PQntuples(l); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "row-at"), db_get(l, i, "at_local"));
		tpl_text(tpl_get(t, row, "row-who"), db_get(l, i, "account_name"));
		tpl_text(tpl_get(t, row, "row-role"), db_get(l, i, "account_role"));
		tpl_text(tpl_get(t, row, "row-site"), db_get(l, i, "site_name"));
		tpl_text(tpl_get(t, row, "row-action"), db_get(l, i, "action"));
		tpl_text(tpl_get(t, row, "row-object"), db_get(l, i, "object"));
		tpl_text(tpl_get(t, row, "row-details"), db_get(l, i, "details"));
	}
	tpl_remove(proto);
	return PQntuples(l) > 0 ? atol(db_get(l, 0, "total")) : 0;
}

/* Answers the audit log page. */
int
page_agent_audit(struct req *r)
{
	struct tpl	*t;
	PGresult	*l;
	const char	*day, *action, *pg;
	long		 total;
	int		 page;

	if (staff_require(r, ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	day = query(r, "day", F_DATE);
	action = query(r, "action", F_AUDIT_ACTION);
	pg = query(r, "page", F_PAGE);
	page = pg != NULL ? atoi(pg) : 1;
	if ((l = db_exec(r, S_AUDIT_VIEW, DB_ARGS({ "account", r->staff->id },
	    { "day", day }, { "action", action },
	    { "skip", arena_printf(r->arena, "%d", (page - 1) * AUDIT_PAGE) },
	    { "max_rows", arena_printf(r->arena, "%d", AUDIT_PAGE) }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_audit")) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "scope"), r->staff->role == ROLE_ADMIN ?
	    _("Every entry of the log.") :
	    _("The entries about the sites you supervise."));
	if (day != NULL)
		tpl_value(tpl_get(t, NULL, "input-day"), day);
	if (action != NULL)
		tpl_value(tpl_get(t, NULL, "input-action"), action);
	total = fill_rows(r, t, l);
	tpl_text(tpl_get(t, NULL, "count"), arena_printf(r->arena,
	    ngettext("%ld entry", "%ld entries", total), total));
	if (total == 0)
		tpl_remove(tpl_get(t, NULL, "table"));
	if (page > 1)
		tpl_attr(tpl_get(t, NULL, "prev-link"), "href",
		    page_url(r, day, action, page - 1));
	else
		tpl_remove(tpl_get(t, NULL, "prev"));
	if ((long)page * AUDIT_PAGE < total)
		tpl_attr(tpl_get(t, NULL, "next-link"), "href",
		    page_url(r, day, action, page + 1));
	else
		tpl_remove(tpl_get(t, NULL, "next"));
	if (page <= 1 && (long)page * AUDIT_PAGE >= total)
		tpl_remove(tpl_get(t, NULL, "pages"));
	return tpl_send(r, t, 200);
}
