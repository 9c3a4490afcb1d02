/* POST /booking/<token>/extend: gives a held time hold_extend_minutes
 * more, for people who need longer to find the code, never beyond
 * hold_max_minutes after the hold began (a scarce place: see HACKING,
 * "The hold"); 303 back to the booking with the outcome. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "conf.h"
#include "db.h"
#include "outcome.h"
#include "statements.h"
#include "req.h"
#include "response.h"


/* What booking_extend answers: the booking page's notice says it (a
 * booking no longer held just shows again). */
static const struct outcome extend_outcomes[] = {
	{ "extended", OUT_DONE, "extended", NULL, 0, OUT_NO_ARG },
	{ "too_many", OUT_NOTICE, "extend_limit", NULL, 0, OUT_NO_ARG },
	{ "expired", OUT_NOTICE, "expired", NULL, 0, OUT_NO_ARG },
	{ "not_held", OUT_NOTICE, NULL, NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
};

/* Extends the hold and goes back to the booking page. */
int
page_booking_extend(struct req *r)
{
	PGresult	*res;

	resp_header(r, "Cache-Control", "no-store");
	if ((res = db_exec(r, S_BOOKING_EXTEND, DB_ARGS({ "token", r->args[0] },
	    { "minutes", arena_printf(r->arena, "%d",
	    r->conf->hold_extend_minutes) },
	    { "max_minutes", arena_printf(r->arena, "%d",
	    r->conf->hold_max_minutes) }))) == NULL)
		return db_fail(r);
	return outcome_redirect(r, outcome_of(r, S_BOOKING_EXTEND, res,
	    OUTCOMES(extend_outcomes)), booking_path(r, ""));
}
