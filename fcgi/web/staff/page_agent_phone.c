/* GET /agent/site/<site>/phone[?procedure=<code>]: the counter and phone
 * channel (issue 12). Without a procedure, the site's procedures; with
 * one, the times of the coming weeks that have a place left in the share
 * reserved for "counter or phone" at publication
 * (creneau_channel_share_free), by day, each a link to the booking form
 * /agent/site/<site>/phone/<slot>. For agents, supervisors and
 * administrators of the site (another site's URL: 403, audited). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "counter.h"
#include "db.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "secret.h"
#include "staff.h"
#include "statements.h"
#include "template.h"

/* Fills the procedures of the site, each a link to its times. */
static int
procedures(struct req *r, struct tpl *t, const struct counter_site *s)
{
	struct tnode	*proto = tpl_get(t, NULL, "choice"), *row;
	PGresult	*res;
	int		 i;

	if ((res = db_exec(r, S_STAFF_SITE_PROCEDURE_LIST,
	    DB_ARGS({ "site_slug", s->slug }))) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "choice-link"), "href", arena_printf(
		    r->arena, "%s?procedure=%s", route_url(r, R_AGENT_PHONE,
		    s->slug, NULL), db_get(res, i, "code")));
		tpl_text(tpl_get(t, row, "choice-name"), db_get(res, i, "name"));
	}
	tpl_remove(proto);
	if (PQntuples(res) > 0)
		tpl_remove(tpl_get(t, NULL, "no-choices"));
	return 0;
}

/* Fills the times of procedure code proc (a row of
 * S_STAFF_SITE_PROCEDURE in sp). */
static int
times(struct req *r, struct tpl *t, const struct counter_site *s,
    const PGresult *sp)
{
	struct tnode	*dproto, *tproto = NULL, *day, *row;
	PGresult	*sl;
	const char	*last = "";
	int		 i;

	if ((sl = db_exec(r, S_COUNTER_SHARE_SLOTS, DB_ARGS(
	    { "site_id", s->id },
	    { "procedure_id", db_get(sp, 0, "procedure_id") },
	    { "days", arena_printf(r->arena, "%d",
	    r->conf->calendar_days) }))) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(sp, 0, "procedure_name"));
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
		tpl_attr(tpl_get(t, row, "time-link"), "href",
		    route_url(r, R_AGENT_PHONE_BOOK, s->slug,
		    slot_ref(r->arena, db_get(sl, i, "slot_id"))));
		tpl_text(tpl_get(t, row, "time-label"), db_get(sl, i, "local_time"));
	}
	if (tproto != NULL)
		tpl_remove(tproto);
	tpl_remove(dproto);
	if (PQntuples(sl) > 0)
		tpl_remove(tpl_get(t, NULL, "nothing"));
	else
		tpl_remove(tpl_get(t, NULL, "days"));
	return 0;
}

/* Answers the procedures, or the times of one. */
int
page_agent_phone(struct req *r)
{
	struct counter_site	 s;
	struct tpl		*t;
	PGresult		*sp = NULL;
	const char		*proc = params_get(&r->query, "procedure");

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	if (proc != NULL && field_check(F_SLUG, proc, strlen(proc)) == 0) {
		if ((sp = db_exec(r, S_STAFF_SITE_PROCEDURE, DB_ARGS(
		    { "site_slug", s.slug }, { "procedure_code", proc }))) == NULL)
			return db_fail(r);
		if (PQntuples(sp) == 0)
			return resp_error(r, 404, N_("This procedure is not offered at this site."));
	}
	if ((t = tpl_page(r, "agent_phone")) == NULL)
		return -1;
	counter_nav(r, t, &s);
	if (sp != NULL) {
		tpl_title(t, arena_printf(r->arena, "%s — %s — %s",
		    _("Book for a caller or a visitor"),
		    db_get(sp, 0, "procedure_name"), s.name));
		tpl_remove(tpl_get(t, NULL, "choices"));
		tpl_attr(tpl_get(t, NULL, "other-procedure"), "href",
		    route_url(r, R_AGENT_PHONE, s.slug, NULL));
		if (times(r, t, &s, sp) == -1)
			return db_fail(r);
	} else {
		tpl_title(t, arena_printf(r->arena, "%s — %s",
		    _("Book for a caller or a visitor"), s.name));
		tpl_remove(tpl_get(t, NULL, "calendar"));
		if (procedures(r, t, &s) == -1)
			return db_fail(r);
	}
	return tpl_send(r, t, 200);
}
