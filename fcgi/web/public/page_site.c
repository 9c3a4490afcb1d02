/* GET /site/<slug>: a site's address and time zone, its procedures with
 * duration, documents, conditions and next available time, and the
 * alternative route when online booking fails. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "template.h"

/* Fills one procedure row from row i of res (S_SITE_PROCEDURES). */
static void
fill_procedure(struct req *r, struct tpl *t, struct tnode *row,
    const PGresult *res, int i)
{
	char		*when;
	const char	*next;

	tpl_text(tpl_get(t, row, "procedure-name"), db_get(res, i, "name"));
	tpl_lang(r, tpl_get(t, row, "procedure-name"), db_get(res, i, "lang"));
	tpl_lang(r, tpl_get(t, row, "procedure-description"), db_get(res, i, "lang"));
	tpl_lang(r, tpl_get(t, row, "documents"), db_get(res, i, "lang"));
	tpl_attr(tpl_get(t, row, "procedure-link"), "href", route_url(r,
	    R_PROCEDURE, r->args[0], db_get(res, i, "code")));
	tpl_text(tpl_get(t, row, "procedure-description"), db_get(res, i, "description"));
	tpl_text(tpl_get(t, row, "procedure-duration"),
	    fmt_duration(r->arena, atoi(db_get(res, i, "duration_minutes"))));
	if (strcmp(db_get(res, i, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, row, "procedure-agdref"));
	next = db_get(res, i, "next_slot");
	when = *next != '\0' ? fmt_datetime(r->arena, next) : NULL;
	if (strcmp(db_get(res, i, "allocation_mode"), "draw") == 0)
		when = _("Allocated by a draw among the people who register: see the procedure's page.");
	tpl_text(tpl_get(t, row, "procedure-next"), when != NULL ? when :
	    _("No appointment is available at the moment."));
	tpl_lines(t, row, "documents", "document", db_get(res, i, "documents"));
}

/* Answers the page of the site named by the path, or 404. */
int
page_site(struct req *r)
{
	PGresult	*site, *procs;
	struct tpl	*t;
	struct tnode	*proto;
	int		 i, n;

	if ((site = db_exec(r, S_SITE, DB_ARGS({ "slug", r->args[0] },
	    { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(site) == 0)
		return resp_error(r, 404, N_("There is no site at this address. Choose one from the home page."));
	if ((procs = db_exec(r, S_SITE_PROCEDURES, DB_ARGS(
	    { "site_id", db_get(site, 0, "id") }, { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "site")) == NULL)
		return -1;
	tpl_title(t, db_get(site, 0, "name"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(site, 0, "name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-address"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-city"), "fr");
	tpl_text(tpl_get(t, NULL, "site-kind"), fmt_site_kind(db_get(site, 0, "kind")));
	tpl_text(tpl_get(t, NULL, "site-address"), db_get(site, 0, "address"));
	tpl_text(tpl_get(t, NULL, "site-city"), arena_printf(r->arena, "%s %s",
	    db_get(site, 0, "postal_code"), db_get(site, 0, "city")));
	if (*db_get(site, 0, "phone") != '\0')
		tpl_text(tpl_get(t, NULL, "site-phone-number"), db_get(site, 0, "phone"));
	else
		tpl_remove(tpl_get(t, NULL, "site-phone"));
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_get(site, 0, "time_zone")));
	tpl_text(tpl_get(t, NULL, "alternative"), db_get(site, 0, "alternative_route"));
	tpl_lang(r, tpl_get(t, NULL, "alternative"), db_get(site, 0, "route_lang"));
	proto = tpl_get(t, NULL, "procedure");
	n = PQntuples(procs);
	for (i = 0; i < n; i++)
		fill_procedure(r, t, tpl_clone(proto), procs, i);
	tpl_remove(proto);
	if (n > 0)
		tpl_remove(tpl_get(t, NULL, "no-procedure"));
	resp_shareable(r);
	return tpl_send(r, t, 200);
}
