/* Shared by the booking pages (see booking.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "db.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"

/* Loads the booking whose token is the route's first segment into *res.
 * Returns 0, or answers the error page (404 for an unknown or expired
 * link, 503/500 for the database) and returns 1. Personal pages are
 * never stored by caches. */
int
booking_load(struct req *r, PGresult **res)
{
	resp_header(r, "Cache-Control", "no-store");
	if ((*res = db_exec(r, S_BOOKING_VIEW,
	    DB_ARGS({ "token", r->args[0] }, { "lang", r->lang }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(*res) == 0) {
		resp_error(r, 404, N_("This link does not lead to an appointment, or it has expired. Use the link from the last message we sent you, or find your appointment with its reference."));
		return 1;
	}
	return 0;
}

/* Returns the reference as it is shown and read aloud: KD7F-M3QA. */
const char *
booking_reference(struct req *r, const char *ref)
{
	if (strlen(ref) != 8)
		return ref;
	return arena_printf(r->arena, "%.4s-%.4s", ref, ref + 4);
}

/* Returns /booking/<token><suffix> for this request's booking. */
const char *
booking_path(struct req *r, const char *suffix)
{
	return arena_printf(r->arena, "%s%s",
	    route_url(r, R_BOOKING, r->args[0], NULL), suffix);
}
