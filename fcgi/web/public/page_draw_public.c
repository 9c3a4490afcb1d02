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
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "template.h"

/* Columns of S_DRAW_PUBLIC. */
enum {
	P_SITE, P_PROCEDURE, P_OPENS, P_CLOSES, P_DRAW_AT, P_PLACES,
	P_COMMITMENT, P_STATUS, P_DRAWN_AT, P_SEED, P_RANKED, P_SITE_SLUG,
	P_PROCEDURE_CODE, P_TEXT_LANG
};

/* Sends the entry ids of a drawn draw as text/plain, one a line. */
static int
send_text(struct req *r, const PGresult *res)
{
	size_t	 n = 0, len = 0;
	char	*buf;
	int	 i;

	for (i = 0; i < PQntuples(res); i++)
		len += strlen(db_value(res, i, 0)) + 1;
	if ((buf = arena_alloc(r->arena, len + 1)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		strcpy(buf + n, db_value(res, i, 0));
		n += strlen(db_value(res, i, 0));
		buf[n++] = '\n';
	}
	buf[n] = '\0';
	return resp_send(r, 200, "text/plain; charset=utf-8", buf, n);
}

/* Answers the public page of a draw. */
int
page_draw_public(struct req *r)
{
	const char	*p[2], *fmt = params_get(&r->query, "format");
	PGresult	*d, *res = NULL;
	struct tpl	*t;
	struct tnode	*proto, *row;
	int		 i, drawn;

	p[0] = r->args[0];
	p[1] = r->lang;
	if ((d = db_exec(r, S_DRAW_PUBLIC, p)) == NULL)
		return db_fail(r);
	if (PQntuples(d) == 0)
		return resp_error(r, 404, N_("There is no such draw."));
	drawn = strcmp(db_value(d, 0, P_STATUS), "drawn") == 0;
	if (drawn && (res = db_exec(r, S_DRAW_RESULTS, p)) == NULL)
		return db_fail(r);
	if (fmt != NULL && strcmp(fmt, "text") == 0)
		return drawn ? send_text(r, res) :
		    resp_error(r, 404, N_("This draw has not taken place yet."));
	if ((t = tpl_page(r, "draw_public")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, _("Draw %s"), r->args[0]));
	tpl_text(tpl_get(t, NULL, "draw-id"), r->args[0]);
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_value(d, 0, P_PROCEDURE));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_value(d, 0, P_TEXT_LANG));
	tpl_text(tpl_get(t, NULL, "site-name"), db_value(d, 0, P_SITE));
	tpl_attr(tpl_get(t, NULL, "register-link"), "href", arena_printf(r->arena,
	    "/site/%s/%s/draw", db_value(d, 0, P_SITE_SLUG), db_value(d, 0, P_PROCEDURE_CODE)));
	tpl_text(tpl_get(t, NULL, "opens"), fmt_datetime(r->arena, db_value(d, 0, P_OPENS)));
	tpl_text(tpl_get(t, NULL, "closes"), fmt_datetime(r->arena, db_value(d, 0, P_CLOSES)));
	tpl_text(tpl_get(t, NULL, "draw-at"), fmt_datetime(r->arena, db_value(d, 0, P_DRAW_AT)));
	tpl_text(tpl_get(t, NULL, "places"), db_value(d, 0, P_PLACES));
	tpl_text(tpl_get(t, NULL, "commitment"), db_value(d, 0, P_COMMITMENT));
	if (!drawn) {
		tpl_remove(tpl_get(t, NULL, "results"));
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "pending"));
	tpl_text(tpl_get(t, NULL, "drawn-at"), fmt_datetime(r->arena, db_value(d, 0, P_DRAWN_AT)));
	tpl_text(tpl_get(t, NULL, "seed"), db_value(d, 0, P_SEED));
	tpl_text(tpl_get(t, NULL, "ranked"), db_value(d, 0, P_RANKED));
	tpl_attr(tpl_get(t, NULL, "text-link"), "href",
	    arena_printf(r->arena, "/draw/%s?format=text", r->args[0]));
	proto = tpl_get(t, NULL, "entry");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "entry-rank"), db_value(res, i, 2));
		tpl_text(tpl_get(t, row, "entry-id"), db_value(res, i, 0));
		tpl_text(tpl_get(t, row, "entry-key"), db_value(res, i, 1));
		tpl_text(tpl_get(t, row, "entry-offered"),
		    strcmp(db_value(res, i, 3), "t") == 0 ? _("offered a time") : "");
	}
	tpl_remove(proto);
	return tpl_send(r, t, 200);
}
