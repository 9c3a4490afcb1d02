/* GET /alert/<token>: an alert subscription, reached by the link of a
 * message: says whether it waits for confirmation, runs (until when), has
 * expired or was stopped, with one button: confirm (the double opt-in),
 * renew, or restart. POST does it (alert_confirm) and answers 303 back
 * with ?m=. GET never changes anything. */
#include "config.h"

#include <string.h>

#include "page_alert.h"
#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "outcome.h"
#include "response.h"
#include "template.h"

static const struct {
	const char	*key;
	const char	*msg;
} notices[] = {
	{ "confirmed", N_("Your alert is on. We will tell you when appointments are published.") },
	{ "renewed", N_("Your alert is renewed.") },
	{ "unsubscribed", N_("This alert was stopped: it can no longer be renewed. You can subscribe again from the procedure's page.") },
};

/* What alert_confirm answers: the notices above say it. */
static const struct outcome confirm_outcomes[] = {
	{ "confirmed", OUT_DONE, "confirmed", NULL, 0, OUT_NO_ARG },
	{ "renewed", OUT_DONE, "renewed", NULL, 0, OUT_NO_ARG },
	{ "unsubscribed", OUT_NOTICE, "unsubscribed", NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
};

/* Answers the page (GET) or confirms / renews (POST). */
int
page_alert_manage(struct req *r)
{
	PGresult	*a, *res;
	struct tpl	*t;
	const char	*status, *m;
	size_t		 i;

	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Referrer-Policy", "no-referrer");
	if (alert_load(r, &a) != 0)
		return 0;
	if (r->method == M_POST) {
		if ((res = db_exec(r, S_ALERT_CONFIRM, DB_ARGS(
		    { "token", r->args[0] }, { "days", arena_printf(r->arena,
		    "%d", r->conf->alert_days) }))) == NULL)
			return db_fail(r);
		return outcome_redirect(r, outcome_of(r, S_ALERT_CONFIRM, res,
		    OUTCOMES(confirm_outcomes)),
		    route_url(r, R_ALERT_MANAGE, r->args[0], NULL));
	}
	if ((t = tpl_page(r, "alert_manage")) == NULL)
		return -1;
	status = db_get(a, 0, "status");
	alert_common(r, t, a);
	m = params_get(&r->query, "m");
	for (i = 0; i < sizeof(notices) / sizeof(notices[0]); i++)
		if (m != NULL && strcmp(m, notices[i].key) == 0)
			break;
	if (i < sizeof(notices) / sizeof(notices[0]))
		tpl_text(tpl_get(t, NULL, "notice"), _(notices[i].msg));
	else
		tpl_remove(tpl_get(t, NULL, "notice"));
	/* One state block stays: pending, active, expired or unsubscribed. */
	if (strcmp(status, "pending") != 0)
		tpl_remove(tpl_get(t, NULL, "state-pending"));
	if (strcmp(status, "active") != 0)
		tpl_remove(tpl_get(t, NULL, "state-active"));
	if (strcmp(status, "expired") != 0)
		tpl_remove(tpl_get(t, NULL, "state-expired"));
	if (strcmp(status, "unsubscribed") != 0)
		tpl_remove(tpl_get(t, NULL, "state-unsubscribed"));
	if (strcmp(status, "unsubscribed") == 0) {
		tpl_remove(tpl_get(t, NULL, "form"));
		tpl_remove(tpl_get(t, NULL, "stop"));
	} else {
		tpl_attr(tpl_get(t, NULL, "form"), "action",
		    route_url(r, R_ALERT_MANAGE, r->args[0], NULL));
		if (strcmp(status, "pending") != 0)
			tpl_remove(tpl_get(t, NULL, "button-confirm"));
		if (strcmp(status, "pending") == 0)
			tpl_remove(tpl_get(t, NULL, "button-renew"));
		tpl_attr(tpl_get(t, NULL, "stop-link"), "href",
		    route_url(r, R_ALERT_UNSUBSCRIBE, r->args[0], NULL));
	}
	return tpl_send(r, t, 200);
}
