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
#include "statements.h"
#include "req.h"
#include "response.h"

/* Extends the hold and goes back to the booking page. */
int
page_booking_extend(struct req *r)
{
	const char	*m;
	PGresult	*res;

	resp_header(r, "Cache-Control", "no-store");
	if ((res = db_exec(r, S_BOOKING_EXTEND, DB_ARGS({ "token", r->args[0] },
	    { "minutes", arena_printf(r->arena, "%d",
	    r->conf->hold_extend_minutes) },
	    { "max_minutes", arena_printf(r->arena, "%d",
	    r->conf->hold_max_minutes) }))) == NULL)
		return db_fail(r);
	m = PQntuples(res) > 0 ? db_get(res, 0, "outcome") : "not_found";
	if (strcmp(m, "not_found") == 0)
		return resp_error(r, 404, NULL);
	if (strcmp(m, "not_held") == 0)
		return resp_redirect(r, booking_path(r, ""));
	return resp_redirect(r, booking_path(r, arena_printf(r->arena,
	    "?m=%s", strcmp(m, "extended") == 0 ? "extended" :
	    strcmp(m, "too_many") == 0 ? "extend_limit" : "expired")));
}
