/* Shared by the booking pages (see booking.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "db.h"
#include "statements.h"
#include "i18n.h"
#include "qr.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "template.h"

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

/* Draws the QR code of a booking reference into the page's element
 * data-c="qr" (an svg), which the counter's scanner types into the
 * check-in form, or removes its figure "qr-figure" when it cannot be
 * made. */
void
booking_qr(struct req *r, struct tpl *t, const char *ref)
{
	struct tnode	*svg = tpl_get(t, NULL, "qr");
	char		*d;
	int		 size;

	if ((d = qr_svg_path(r->arena, ref, &size)) == NULL ||
	    tpl_svg_path(svg, arena_printf(r->arena, "0 0 %d %d", size, size),
	    d) != 0) {
		tpl_remove(tpl_get(t, NULL, "qr-figure"));
		return;
	}
	tpl_attr(svg, "aria-label", arena_printf(r->arena,
	    _("QR code of the booking reference %s"), booking_reference(r, ref)));
}

/* Returns the wording of a booking's status on a staff page or a
 * printout. */
const char *
booking_status_text(const char *st)
{
	if (strcmp(st, "confirmed") == 0)
		return _("Confirmed");
	if (strcmp(st, "cancelled") == 0)
		return _("This appointment is cancelled.");
	if (strcmp(st, "completed") == 0)
		return _("This appointment has taken place.");
	return _("This appointment is not confirmed.");
}
