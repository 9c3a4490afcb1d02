/* GET /agent/mediator/bookings: the bookings made by the mediator's
 * organisation, newest first, each a link to its printable confirmation.
 * The list shows names: reading it is written to the audit log. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Returns the wording of a booking status. */
static const char *
status_text(const char *st)
{
	if (strcmp(st, "confirmed") == 0)
		return _("Confirmed");
	if (strcmp(st, "cancelled") == 0)
		return _("Cancelled");
	if (strcmp(st, "completed") == 0)
		return _("Taken place");
	return st;
}

/* Answers the list. */
int
page_agent_mediator_bookings(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*b;
	const char	*when;
	int		 i;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if ((b = db_exec(r, S_MEDIATOR_BOOKINGS, DB_ARGS(
	    { "account", r->staff->id }, { "max_rows", "500" }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_mediator_bookings")) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "row");
	for (i = 0; i < PQntuples(b); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "row-link"), "href", route_url(r,
		    R_AGENT_MEDIATOR_BOOKING, db_get(b, i, "booking_id"),
		    NULL));
		tpl_text(tpl_get(t, row, "row-reference"), arena_printf(r->arena,
		    "%.4s-%s", db_get(b, i, "reference"), db_get(b, i, "reference") + 4));
		tpl_text(tpl_get(t, row, "row-name"), arena_printf(r->arena,
		    "%s %s", db_get(b, i, "surname"), db_get(b, i, "given_names")));
		when = fmt_datetime(r->arena, db_get(b, i, "starts_local"));
		tpl_text(tpl_get(t, row, "row-when"), when != NULL ? when : "");
		tpl_text(tpl_get(t, row, "row-procedure"), db_get(b, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "row-site"), db_get(b, i, "site_name"));
		tpl_text(tpl_get(t, row, "row-status"), status_text(db_get(b, i, "status")));
		tpl_text(tpl_get(t, row, "row-by"), db_get(b, i, "made_by"));
	}
	tpl_remove(proto);
	if (PQntuples(b) > 0)
		tpl_remove(tpl_get(t, NULL, "empty"));
	else
		tpl_remove(tpl_get(t, NULL, "table"));
	return tpl_send(r, t, 200);
}
