/* POST /booking/<token>/confirm: the code we sent turns the hold into a
 * booking (booking_confirm); 303 back to the booking with the outcome. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "req.h"
#include "response.h"

/* Confirms with the posted code and goes back to the booking page. */
int
page_booking_confirm(struct req *r)
{
	const char	*code = params_get(&r->form, "code"), *m;
	PGresult	*res;

	resp_header(r, "Cache-Control", "no-store");
	if (code == NULL || field_check(F_CODE, code, strlen(code)) == -1)
		return resp_redirect(r, booking_path(r, "?m=bad_code"));
	if ((res = db_exec(r, S_BOOKING_CONFIRM, DB_ARGS({ "token", r->args[0] },
	    { "code", code }))) == NULL)
		return db_fail(r);
	m = PQntuples(res) > 0 ? db_get(res, 0, "outcome") : "not_found";
	if (strcmp(m, "not_found") == 0)
		return resp_error(r, 404, NULL);
	if (strcmp(m, "already_confirmed") == 0)
		m = "confirmed";
	else if (strcmp(m, "cancelled") == 0)
		m = "expired";
	return resp_redirect(r, booking_path(r, arena_printf(r->arena,
	    "?m=%s", m)));
}
