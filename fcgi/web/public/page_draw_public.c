/* GET /draw/<id>: what anyone may check about a draw. Before it: the
 * registration window, the number of places and the SHA-256 commitment of
 * the secret seed. After it: the seed and every ranked entry (public id,
 * order key, rank, whether it got an offer), so that the order can be
 * recomputed with the procedure of doc/draw.md (creneau-admin
 * draw-verify). ?format=text gives the entry ids alone, one a line, for
 * draw-verify. Nothing personal is shown. */
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
#include "template.h"

/* Sends the entry ids of a drawn draw as text/plain, one a line. */
static int
send_text(struct req *r, const PGresult *res)
{
	size_t	 n = 0, len = 0;
	char	*buf;
	int	 i;

	for (i = 0; i < PQntuples(res); i++)
		len += strlen(db_get(res, i, "public_id")) + 1;
	if ((buf = arena_alloc(r->arena, len + 1)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		strcpy(buf + n, db_get(res, i, "public_id"));
		n += strlen(db_get(res, i, "public_id"));
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	return resp_send(r, 200, "text/plain; charset=utf-8", buf, n);
}

/* Answers the public page of a draw. */
int
page_draw_public(struct req *r)
{
	const char	*fmt = params_get(&r->query, "format");
	PGresult	*d, *res = NULL;
	struct tpl	*t;
	struct tnode	*proto, *row;
	int		 i, drawn;

	if ((d = db_exec(r, S_DRAW_PUBLIC, DB_ARGS({ "draw_id", r->args[0] },
	    { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(d) == 0)
		return resp_error(r, 404, N_("There is no such draw."));
	drawn = strcmp(db_get(d, 0, "status"), "drawn") == 0;
	if (drawn && (res = db_exec(r, S_DRAW_RESULTS,
	    DB_ARGS({ "draw_id", r->args[0] }))) == NULL)
		return db_fail(r);
	if (fmt != NULL && strcmp(fmt, "text") == 0)
		return drawn ? send_text(r, res) :
		    resp_error(r, 404, N_("This draw has not taken place yet."));
	if ((t = tpl_page(r, "draw_public")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, _("Draw %s"), r->args[0]));
	tpl_text(tpl_get(t, NULL, "draw-id"), r->args[0]);
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(d, 0, "procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(d, 0, "lang"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(d, 0, "site_name"));
	tpl_attr(tpl_get(t, NULL, "register-link"), "href", route_url(r, R_DRAW,
	    db_get(d, 0, "site_slug"), db_get(d, 0, "procedure_code")));
	tpl_text(tpl_get(t, NULL, "opens"), fmt_datetime(r->arena, db_get(d, 0, "opens")));
	tpl_text(tpl_get(t, NULL, "closes"), fmt_datetime(r->arena, db_get(d, 0, "closes")));
	tpl_text(tpl_get(t, NULL, "draw-at"), fmt_datetime(r->arena, db_get(d, 0, "draw_at")));
	tpl_text(tpl_get(t, NULL, "places"), db_get(d, 0, "places"));
	tpl_text(tpl_get(t, NULL, "commitment"), db_get(d, 0, "commitment"));
	if (!drawn) {
		tpl_remove(tpl_get(t, NULL, "results"));
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "pending"));
	tpl_text(tpl_get(t, NULL, "drawn-at"), fmt_datetime(r->arena, db_get(d, 0, "drawn_at")));
	tpl_text(tpl_get(t, NULL, "seed"), db_get(d, 0, "seed_hex"));
	tpl_text(tpl_get(t, NULL, "ranked"), db_get(d, 0, "ranked"));
	tpl_attr(tpl_get(t, NULL, "text-link"), "href",
	    arena_printf(r->arena, "%s?format=text", route_url(r, R_DRAW_PUBLIC,
	    r->args[0], NULL)));
	proto = tpl_get(t, NULL, "entry");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "entry-rank"), db_get(res, i, "rank"));
		tpl_text(tpl_get(t, row, "entry-id"), db_get(res, i, "public_id"));
		tpl_text(tpl_get(t, row, "entry-key"), db_get(res, i, "order_key"));
		tpl_text(tpl_get(t, row, "entry-offered"),
		    strcmp(db_get(res, i, "offered"), "t") == 0 ? _("offered a time") : "");
	}
	tpl_remove(proto);
	return tpl_send(r, t, 200);
}
