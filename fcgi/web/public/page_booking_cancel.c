/* GET /booking/<token>/cancel asks; POST cancels (booking_cancel), the
 * place returning to the pool only after a random delay, and answers 303
 * to the booking page. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "conf.h"
#include "db.h"
#include "outcome.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "template.h"


/* What booking_cancel answers: the booking page's notice says it. */
static const struct outcome cancel_outcomes[] = {
	{ "cancelled", OUT_DONE, "cancelled", NULL, 0, OUT_NO_ARG },
	{ "already_cancelled", OUT_DONE, "cancelled", NULL, 0, OUT_NO_ARG },
	{ "too_late", OUT_NOTICE, "too_late", NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
};

/* Asks for confirmation (GET) or cancels (POST). */
int
page_booking_cancel(struct req *r)
{
	PGresult	*b, *res;
	struct tpl	*t;
	const char	*when;

	if (booking_load(r, &b) != 0)
		return 0;
	if (r->method == M_POST) {
		if ((res = db_exec(r, S_BOOKING_CANCEL, DB_ARGS(
		    { "token", r->args[0] },
		    { "release_min", arena_printf(r->arena, "%d",
		    r->conf->release_min_minutes) },
		    { "release_max", arena_printf(r->arena, "%d",
		    r->conf->release_max_minutes) }))) == NULL)
			return db_fail(r);
		return outcome_redirect(r, outcome_of(r, S_BOOKING_CANCEL, res,
		    OUTCOMES(cancel_outcomes)), booking_path(r, ""));
	}
	if (strcmp(db_get(b, 0, "status"), "confirmed") != 0 &&
	    strcmp(db_get(b, 0, "status"), "held") != 0)
		return resp_redirect(r, booking_path(r, ""));
	if ((t = tpl_page(r, "cancel")) == NULL)
		return -1;
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(b, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "cancel-form"), "action",
	    booking_path(r, "/cancel"));
	tpl_attr(tpl_get(t, NULL, "keep-link"), "href", booking_path(r, ""));
	return tpl_send(r, t, 200);
}
