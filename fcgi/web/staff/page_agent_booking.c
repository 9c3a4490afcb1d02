/* /agent/site/<site>/booking/<id> and .../print: a booking of the site as
 * its agents act on it for the person (issue 12).
 *
 * GET: reference, person, time, channel and status, the link to the
 * printable confirmation, and the forms that move it (to a time its
 * channel may take: the counter's share for a counter booking) and
 * cancel it. POST action=move slot=<slot> or action=cancel: through
 * staff_booking_move / staff_booking_cancel (booking_reschedule and
 * booking_cancel: one active booking, the freed place back at the fair
 * release time, the usual messages, audited), then 303 back with ?m=.
 *
 * GET .../print: the confirmation to hand or read to the person, in the
 * language chosen for them (not the agent's), with the QR code of the
 * reference; audited as counter.confirmation.print.
 *
 * Agents, supervisors and administrators of the site only; a booking of
 * another site answers 404, another site's URL 403 (audited). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "conf.h"
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

/* The booking page of booking id on the URL's site. */
static const char *
back(struct req *r, const char *id)
{
	return route_url(r, R_AGENT_BOOKING, r->args[0], id);
}

/* Loads the booking of the URL for the site s (audited as action) into
 * *b; answers 404 and returns 1 when the account may not act on it. */
static int
load(struct req *r, const struct counter_site *s, const char *action,
    PGresult **b)
{
	if ((*b = db_exec(r, S_STAFF_BOOKING_VIEW, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", s->id },
	    { "booking_id", r->args[1] }, { "action", action }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(*b) != 1) {
		resp_error(r, 404, N_("This appointment is not one of this site."));
		return 1;
	}
	return 0;
}

/* Answers the staff page of a booking, or acts on it (POST). */
int
page_agent_booking(struct req *r)
{
	struct counter_site	 s;
	struct tpl		*t;
	PGresult		*b;
	const char		*ref, *when;

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	if (r->method == M_POST)
		return counter_booking_post(r, s.id, r->args[1], back);
	if (load(r, &s, "counter.booking.view", &b) != 0)
		return 0;
	if ((t = tpl_page(r, "agent_booking")) == NULL)
		return -1;
	ref = booking_reference(r, db_get(b, 0, "reference"));
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s %s — %s", _("Appointment"), ref, s.name));
	counter_nav(r, t, &s);
	notice_show(r, t, counter_booking_notices, counter_booking_nnotices);
	tpl_text(tpl_get(t, NULL, "reference"), ref);
	tpl_text(tpl_get(t, NULL, "status"), booking_status_text(db_get(b, 0, "status")));
	tpl_text(tpl_get(t, NULL, "person"), arena_printf(r->arena, "%s %s",
	    db_get(b, 0, "surname"), db_get(b, 0, "given_names")));
	tpl_text(tpl_get(t, NULL, "birth"), fmt_date(r->arena, db_get(b, 0, "birth_date")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "channel"), counter_channel(db_get(b, 0, "channel")));
	tpl_text(tpl_get(t, NULL, "language"), i18n_native_name(db_get(b, 0, "lang")));
	tpl_text(tpl_get(t, NULL, "contact"), arena_printf(r->arena, "%s%s%s",
	    db_get(b, 0, "phone"), *db_get(b, 0, "phone") != '\0' &&
	    *db_get(b, 0, "email") != '\0' ? ", " : "", db_get(b, 0, "email")));
	if (*db_get(b, 0, "phone") == '\0' && *db_get(b, 0, "email") == '\0')
		tpl_text(tpl_get(t, NULL, "contact"), _("None: the person gets no message."));
	tpl_attr(tpl_get(t, NULL, "print-link"), "href", arena_printf(r->arena,
	    "%s/print", back(r, r->args[1])));
	if (counter_booking_actions(r, t, b, back(r, r->args[1])) == -1)
		return db_fail(r);
	return tpl_send(r, t, 200);
}

/* Answers the printable confirmation of booking row b
 * (S_STAFF_BOOKING_VIEW) in the person's language, with back the page
 * it was reached from; shared with the mediator's printout. */
int
counter_booking_print(struct req *r, const PGresult *b, const char *back_url)
{
	struct tpl	*t;
	const char	*ref, *when, *lang;

	/* The page speaks the person's language from here on. */
	lang = db_get(b, 0, "lang");
	if (conf_has_language(r->conf, lang)) {
		r->lang = lang;
		i18n_set(lang);
	}
	if ((t = tpl_page(r, "agent_booking_print")) == NULL)
		return -1;
	ref = booking_reference(r, db_get(b, 0, "reference"));
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s %s", _("Appointment confirmation"), ref));
	tpl_attr(tpl_get(t, NULL, "back-link"), "href", back_url);
	if (strcmp(db_get(b, 0, "status"), "confirmed") == 0)
		tpl_remove(tpl_get(t, NULL, "not-active"));
	else
		tpl_text(tpl_get(t, NULL, "not-active"), booking_status_text(db_get(b, 0, "status")));
	tpl_text(tpl_get(t, NULL, "reference"), ref);
	booking_qr(r, t, db_get(b, 0, "reference"));
	tpl_text(tpl_get(t, NULL, "person"), arena_printf(r->arena, "%s %s",
	    db_get(b, 0, "surname"), db_get(b, 0, "given_names")));
	tpl_text(tpl_get(t, NULL, "birth"), fmt_date(r->arena, db_get(b, 0, "birth_date")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "person_procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "person_text_lang"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_get(b, 0, "time_zone")));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(b, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_text(tpl_get(t, NULL, "address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(b, 0, "site_address"),
	    db_get(b, 0, "site_postal_code"), db_get(b, 0, "site_city")));
	tpl_lang(r, tpl_get(t, NULL, "address"), "fr");
	if (*db_get(b, 0, "site_phone") != '\0') {
		tpl_text(tpl_get(t, NULL, "site-phone"), db_get(b, 0, "site_phone"));
		tpl_attr(tpl_get(t, NULL, "site-phone"), "dir", "ltr");
	} else
		tpl_remove(tpl_get(t, NULL, "site-phone"));
	tpl_lines(t, NULL, "documents", "document", db_get(b, 0, "person_documents"));
	tpl_lang(r, tpl_get(t, NULL, "documents"), db_get(b, 0, "person_text_lang"));
	return tpl_send(r, t, 200);
}

/* Answers the printable confirmation of the URL's booking. */
int
page_agent_booking_print(struct req *r)
{
	struct counter_site	 s;
	PGresult		*b;

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	if (load(r, &s, "counter.confirmation.print", &b) != 0)
		return 0;
	return counter_booking_print(r, b, back(r, r->args[1]));
}
