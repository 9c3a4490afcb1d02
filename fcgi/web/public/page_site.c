/* GET /site/<slug>: a site's address and time zone, its procedures with
 * duration, documents, conditions and next available time, and the
 * alternative route when online booking fails. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
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

	tpl_text(tpl_get(t, row, "procedure-name"), db_value(res, i, 1));
	tpl_lang(r, tpl_get(t, row, "procedure-name"), db_value(res, i, 8));
	tpl_lang(r, tpl_get(t, row, "procedure-description"), db_value(res, i, 8));
	tpl_lang(r, tpl_get(t, row, "documents"), db_value(res, i, 8));
	tpl_attr(tpl_get(t, row, "procedure-link"), "href", arena_printf(r->arena,
	    "/site/%s/%s", r->args[0], db_value(res, i, 0)));
	tpl_text(tpl_get(t, row, "procedure-description"), db_value(res, i, 2));
	tpl_text(tpl_get(t, row, "procedure-duration"),
	    fmt_duration(r->arena, atoi(db_value(res, i, 3))));
	if (strcmp(db_value(res, i, 4), "t") != 0)
		tpl_remove(tpl_get(t, row, "procedure-agdref"));
	next = db_value(res, i, 6);
	when = *next != '\0' ? fmt_datetime(r->arena, next) : NULL;
	if (strcmp(db_value(res, i, 7), "draw") == 0)
		when = _("Allocated by a draw among the people who register: see the procedure's page.");
	tpl_text(tpl_get(t, row, "procedure-next"), when != NULL ? when :
	    _("No appointment is available at the moment."));
	tpl_lines(t, row, "documents", "document", db_value(res, i, 5));
}

/* Answers the page of the site named by the path, or 404. */
int
page_site(struct req *r)
{
	PGresult	*site, *procs;
	struct tpl	*t;
	struct tnode	*proto;
	const char	*params[2];
	int		 i, n;

	params[0] = r->args[0];
	params[1] = r->lang;
	if ((site = db_exec(r, S_SITE, params)) == NULL)
		return db_fail(r);
	if (PQntuples(site) == 0)
		return resp_error(r, 404, N_("There is no site at this address. Choose one from the home page."));
	params[0] = db_value(site, 0, 0);
	if ((procs = db_exec(r, S_SITE_PROCEDURES, params)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "site")) == NULL)
		return -1;
	tpl_title(t, db_value(site, 0, 1));
	tpl_text(tpl_get(t, NULL, "site-name"), db_value(site, 0, 1));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-address"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-city"), "fr");
	tpl_text(tpl_get(t, NULL, "site-kind"), fmt_site_kind(db_value(site, 0, 2)));
	tpl_text(tpl_get(t, NULL, "site-address"), db_value(site, 0, 3));
	tpl_text(tpl_get(t, NULL, "site-city"), arena_printf(r->arena, "%s %s",
	    db_value(site, 0, 4), db_value(site, 0, 5)));
	if (*db_value(site, 0, 6) != '\0')
		tpl_text(tpl_get(t, NULL, "site-phone-number"), db_value(site, 0, 6));
	else
		tpl_remove(tpl_get(t, NULL, "site-phone"));
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_value(site, 0, 7)));
	tpl_text(tpl_get(t, NULL, "alternative"), db_value(site, 0, 8));
	tpl_lang(r, tpl_get(t, NULL, "alternative"), db_value(site, 0, 9));
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
