/* /agent/mediator/booking/<id>: a booking made by the mediator's
 * organisation (reference, person, date, time, address, documents).
 * GET: the page, with the link to the printout in the person's language
 * (/agent/mediator/booking/<id>/print, with the QR code of the
 * reference) and, while the appointment is to come, the forms that move
 * and cancel it for the person (their printout tells them to come back
 * to the mediator): POST action=move slot=<slot> or action=cancel,
 * through staff_booking_move / staff_booking_cancel (issue 12), then 303
 * back with ?m=. Each view is written to the audit log
 * (mediator.confirmation.view, mediator.confirmation.print). Bookings of
 * other organisations answer 404, as unknown ones do. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "booking.h"
#include "counter.h"
#include "db.h"
#include "fmt.h"
#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "staff.h"
#include "statements.h"
#include "template.h"

/* The page of booking id. */
static const char *
back(struct req *r, const char *id)
{
	return route_url(r, R_AGENT_MEDIATOR_BOOKING, id, NULL);
}

/* Loads the URL's booking (audited as action) into *b; answers 404 and
 * returns 1 when it is not one of the organisation's. */
static int
load(struct req *r, const char *action, PGresult **b)
{
	if ((*b = db_exec(r, S_STAFF_BOOKING_VIEW, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", "" },
	    { "booking_id", r->args[0] }, { "action", action }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(*b) != 1) {
		resp_error(r, 404, N_("This booking does not exist or was not made by your organisation."));
		return 1;
	}
	return 0;
}

/* Answers the booking's page, or acts on it (POST). */
int
page_agent_mediator_booking(struct req *r)
{
	struct tpl	*t;
	PGresult	*b;
	const char	*when, *ref;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if (r->method == M_POST)
		return counter_booking_post(r, "", r->args[0], back);
	if (load(r, "mediator.confirmation.view", &b) != 0)
		return 0;
	if ((t = tpl_page(r, "agent_mediator_booking")) == NULL)
		return -1;
	ref = booking_reference(r, db_get(b, 0, "reference"));
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s %s", _("Appointment confirmation"), ref));
	notice_show(r, t, counter_booking_notices, counter_booking_nnotices);
	if (strcmp(db_get(b, 0, "status"), "confirmed") == 0)
		tpl_remove(tpl_get(t, NULL, "not-active"));
	else
		tpl_text(tpl_get(t, NULL, "not-active"), booking_status_text(db_get(b, 0, "status")));
	tpl_text(tpl_get(t, NULL, "reference"), ref);
	tpl_text(tpl_get(t, NULL, "person"), arena_printf(r->arena, "%s %s",
	    db_get(b, 0, "surname"), db_get(b, 0, "given_names")));
	tpl_text(tpl_get(t, NULL, "birth"), fmt_date(r->arena, db_get(b, 0, "birth_date")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_get(b, 0, "time_zone")));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(b, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_text(tpl_get(t, NULL, "address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(b, 0, "site_address"), db_get(b, 0, "site_postal_code"), db_get(b, 0, "site_city")));
	if (*db_get(b, 0, "site_phone") != '\0')
		tpl_text(tpl_get(t, NULL, "site-phone"), db_get(b, 0, "site_phone"));
	else
		tpl_remove(tpl_get(t, NULL, "site-phone"));
	tpl_lines(t, NULL, "documents", "document", db_get(b, 0, "documents"));
	tpl_attr(tpl_get(t, NULL, "print-link"), "href", route_url(r,
	    R_AGENT_MEDIATOR_PRINT, r->args[0], NULL));
	if (counter_booking_actions(r, t, b, back(r, r->args[0])) == -1)
		return db_fail(r);
	return tpl_send(r, t, 200);
}

/* Answers the printout in the person's language. */
int
page_agent_mediator_print(struct req *r)
{
	PGresult	*b;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if (load(r, "mediator.confirmation.print", &b) != 0)
		return 0;
	return counter_booking_print(r, b, back(r, r->args[0]));
}
