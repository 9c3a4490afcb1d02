/* GET /alert/<token>/unsubscribe asks; POST stops the alert
 * (alert_unsubscribe) and answers 303 back with ?m=done. The address is
 * the one of the List-Unsubscribe header of alert e-mails: a one-click
 * POST (RFC 8058, body List-Unsubscribe=One-Click) stops it too. */
#include "config.h"

#include <string.h>

#include "page_alert.h"
#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "template.h"

/* Asks (GET) or unsubscribes (POST). */
int
page_alert_unsubscribe(struct req *r)
{
	PGresult	*a, *res;
	struct tpl	*t;
	const char	*m;
	int		 done;

	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Referrer-Policy", "no-referrer");
	if (alert_load(r, &a) != 0)
		return 0;
	if (r->method == M_POST) {
		if ((res = db_exec(r, S_ALERT_UNSUBSCRIBE,
		    DB_ARGS({ "token", r->args[0] }))) == NULL)
			return db_fail(r);
		return resp_redirect(r, arena_printf(r->arena, "%s?m=done",
		    route_url(r, R_ALERT_UNSUBSCRIBE, r->args[0], NULL)));
	}
	if ((t = tpl_page(r, "alert_unsubscribe")) == NULL)
		return -1;
	alert_common(r, t, a);
	m = params_get(&r->query, "m");
	done = strcmp(db_get(a, 0, "status"), "unsubscribed") == 0;
	if (!done || m == NULL || strcmp(m, "done") != 0)
		tpl_remove(tpl_get(t, NULL, "notice"));
	if (done) {
		tpl_remove(tpl_get(t, NULL, "form"));
		tpl_remove(tpl_get(t, NULL, "ask"));
	} else {
		tpl_remove(tpl_get(t, NULL, "stopped"));
		tpl_attr(tpl_get(t, NULL, "form"), "action", route_url(r,
		    R_ALERT_UNSUBSCRIBE, r->args[0], NULL));
		tpl_attr(tpl_get(t, NULL, "keep-link"), "href",
		    route_url(r, R_ALERT_MANAGE, r->args[0], NULL));
	}
	return tpl_send(r, t, 200);
}
