/* GET /agent/mediator/booking/<id>: the printable confirmation of a
 * booking made by the mediator's organisation (reference, person, date,
 * time, address, documents), printed for the applicant on the spot. Each
 * view is written to the audit log (mediator_confirmation). Bookings of
 * other organisations answer 404, as unknown ones do. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "db.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Returns the wording of a booking status that is not "confirmed". */
static const char *
status_text(const char *st)
{
	if (strcmp(st, "cancelled") == 0)
		return _("This appointment is cancelled.");
	if (strcmp(st, "completed") == 0)
		return _("This appointment has taken place.");
	return _("This appointment is not confirmed.");
}

/* Answers the confirmation page. */
int
page_agent_mediator_booking(struct req *r)
{
	struct tpl	*t;
	PGresult	*b;
	const char	*when, *ref;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if ((b = db_exec(r, S_MEDIATOR_CONFIRMATION, DB_ARGS(
	    { "account", r->staff->id }, { "booking_id", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(b) != 1)
		return resp_error(r, 404, N_("This booking does not exist or was not made by your organisation."));
	if ((t = tpl_page(r, "agent_mediator_booking")) == NULL)
		return -1;
	ref = db_get(b, 0, "reference");
	ref = arena_printf(r->arena, "%.4s-%s", ref, strlen(ref) > 4 ? ref + 4 : "");
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s %s", _("Appointment confirmation"), ref));
	if (strcmp(db_get(b, 0, "status"), "confirmed") == 0)
		tpl_remove(tpl_get(t, NULL, "not-active"));
	else
		tpl_text(tpl_get(t, NULL, "not-active"), status_text(db_get(b, 0, "status")));
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
	return tpl_send(r, t, 200);
}
