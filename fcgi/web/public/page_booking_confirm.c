/* POST /booking/<token>/confirm: the code we sent turns the hold into a
 * booking (booking_confirm); 303 back to the booking with the outcome. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "db.h"
#include "outcome.h"
#include "statements.h"
#include "fields.h"
#include "req.h"
#include "response.h"


/* What booking_confirm answers: the booking page's notice says it. */
static const struct outcome confirm_outcomes[] = {
	{ "confirmed", OUT_DONE, "confirmed", NULL, 0, OUT_NO_ARG },
	{ "already_confirmed", OUT_DONE, "confirmed", NULL, 0, OUT_NO_ARG },
	{ "wrong_code", OUT_NOTICE, "wrong_code", NULL, 0, OUT_NO_ARG },
	{ "too_many_attempts", OUT_NOTICE, "too_many_attempts", NULL, 0,
	    OUT_NO_ARG },
	{ "expired", OUT_NOTICE, "expired", NULL, 0, OUT_NO_ARG },
	{ "cancelled", OUT_NOTICE, "expired", NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
};

/* Confirms with the posted code and goes back to the booking page. */
int
page_booking_confirm(struct req *r)
{
	const char	*code = params_get(&r->form, "code");
	PGresult	*res;

	resp_header(r, "Cache-Control", "no-store");
	if (code == NULL || field_check(F_CODE, code, strlen(code)) == -1)
		return resp_redirect(r, booking_path(r, "?m=bad_code"));
	if ((res = db_exec(r, S_BOOKING_CONFIRM, DB_ARGS({ "token", r->args[0] },
	    { "code", code }))) == NULL)
		return db_fail(r);
	return outcome_redirect(r, outcome_of(r, S_BOOKING_CONFIRM, res,
	    OUTCOMES(confirm_outcomes)), booking_path(r, ""));
}
