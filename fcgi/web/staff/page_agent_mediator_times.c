/* GET /agent/mediator/site/<site>/<procedure>: the times a mediator may
 * book in the coming weeks (places reserved for mediators, then general
 * places), by day, each a link to the booking form. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

/* Answers the list of times. */
int
page_agent_mediator_times(struct req *r)
{
	struct tpl	*t;
	struct tnode	*dproto, *tproto = NULL, *day = NULL, *row;
	PGresult	*sp, *sl;
	const char	*last = "";
	int		 i;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if ((sp = db_exec(r, S_STAFF_SITE_PROCEDURE, DB_ARGS(
	    { "site_slug", r->args[0] }, { "procedure_code", r->args[1] }))) == NULL)
		return db_fail(r);
	if (PQntuples(sp) == 0)
		return resp_error(r, 404, N_("This procedure is not offered at this site."));
	if ((sl = db_exec(r, S_CHANNEL_SLOTS, DB_ARGS(
	    { "site_id", db_get(sp, 0, "site_id") },
	    { "procedure_id", db_get(sp, 0, "procedure_id") },
	    { "channel", "mediator" }, { "published_only", "t" },
	    { "days", arena_printf(r->arena, "%d",
	    r->conf->calendar_days) }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_mediator_times")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s — %s", db_get(sp, 0, "procedure_name"),
	    db_get(sp, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(sp, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(sp, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	dproto = tpl_get(t, NULL, "day");
	for (i = 0; i < PQntuples(sl); i++) {
		if (strcmp(last, db_get(sl, i, "local_day")) != 0) {
			if (tproto != NULL)
				tpl_remove(tproto);
			last = db_get(sl, i, "local_day");
			day = tpl_clone(dproto);
			tpl_text(tpl_get(t, day, "day-label"),
			    fmt_date(r->arena, last));
			tproto = tpl_get(t, day, "time");
		}
		row = tpl_clone(tproto);
		tpl_attr(tpl_get(t, row, "time-link"), "href", route_url(r,
		    R_AGENT_MEDIATOR_BOOK, slot_ref(r->arena, db_get(sl, i,
		    "slot_id")), NULL));
		tpl_text(tpl_get(t, row, "time-label"), db_get(sl, i, "local_time"));
	}
	if (tproto != NULL)
		tpl_remove(tproto);
	tpl_remove(dproto);
	if (PQntuples(sl) > 0)
		tpl_remove(tpl_get(t, NULL, "nothing"));
	else
		tpl_remove(tpl_get(t, NULL, "calendar"));
	return tpl_send(r, t, 200);
}
