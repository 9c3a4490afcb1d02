/* GET /booking/<token>: one booking, by its secret link. While held: the
 * form for the code we sent and when the hold ends; once confirmed: the
 * reference, date, time, address, documents and what can be done (ICS,
 * reschedule, cancel, print); cancelled or expired: says so and how to
 * book again. ?m= carries the outcome of the last action (PRG). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "booking.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "response.h"
#include "template.h"

static const struct notice notices[] = {
	{ "confirmed", N_("Your appointment is confirmed."), 0 },
	{ "wrong_code", N_("This code is not the one we sent. Check it and type it again."), 1 },
	{ "too_many_attempts", N_("Too many wrong codes were typed: the time has been released. Choose a time again."), 1 },
	{ "expired", N_("The time to confirm has passed and the time has been released. Choose a time again."), 1 },
	{ "cancelled", N_("Your appointment is cancelled. Thank you for freeing the time for someone else."), 0 },
	{ "too_late", N_("The appointment has already started: it can no longer be changed online."), 1 },
	{ "rescheduled", N_("Your appointment has been moved to the new time."), 0 },
	{ "bad_code", N_("The code has 6 digits. Check it and type it again."), 1 },
	{ "extended", N_("The time is held for longer: you can take your time to type the code."), 0 },
	{ "extend_limit", N_("The hold cannot be extended again. If the code does not come, book again once the hold has ended."), 1 },
};

/* Fills what every state shows: procedure, site, date and time. */
static void
common(struct req *r, struct tpl *t, const PGresult *b)
{
	const char	*when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));

	tpl_title(t, arena_printf(r->arena, "%s — %s",
	    db_get(b, 0, "procedure_name"), db_get(b, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "lang"));
	tpl_lang(r, tpl_get(t, NULL, "documents"), db_get(b, 0, "lang"));
	/* Every state lists the procedure's real documents (issue 12: the
	 * held, cancelled and expired pages showed the template's sample). */
	tpl_lines(t, NULL, "documents", "document", db_get(b, 0, "documents"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(b, 0, "site_name"));
	tpl_text(tpl_get(t, NULL, "address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(b, 0, "site_address"),
	    db_get(b, 0, "site_postal_code"), db_get(b, 0, "site_city")));
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Local time of the site (%s)."), db_get(b, 0, "time_zone")));
	/* The site's name and address are French: left to right, isolated
	 * in a right-to-left page (issue 12). */
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "address"), "fr");
}

/* Fills the held state: code form and the end of the hold. */
static void
held(struct req *r, struct tpl *t, const PGresult *b)
{
	const char	*code = params_get(&r->query, "code");
	const char	*to;

	to = *db_get(b, 0, "email") != '\0' ? db_get(b, 0, "email") :
	    db_get(b, 0, "phone");
	if (*db_get(b, 0, "email") != '\0' && *db_get(b, 0, "phone") != '\0')
		to = arena_printf(r->arena, "%s, %s", db_get(b, 0, "email"),
		    db_get(b, 0, "phone"));
	tpl_text(tpl_get(t, NULL, "sent-to"), to);
	tpl_text(tpl_get(t, NULL, "hold-end"), db_get(b, 0, "hold_expires_local"));
	tpl_attr(tpl_get(t, NULL, "confirm-form"), "action",
	    booking_path(r, "/confirm"));
	tpl_attr(tpl_get(t, NULL, "extend-form"), "action",
	    booking_path(r, "/extend"));
	/* Said before it matters: how much each press adds and the bound
	 * (a held place is scarce: HACKING, "Fair release and the hold"). */
	tpl_text(tpl_get(t, NULL, "extend-hint"), arena_printf(r->arena,
	    ngettext("Each press adds %d minute. The time cannot be held for more than %d minutes in all, so that others can book it.",
	    "Each press adds %d minutes. The time cannot be held for more than %d minutes in all, so that others can book it.",
	    r->conf->hold_extend_minutes), r->conf->hold_extend_minutes,
	    r->conf->hold_max_minutes));
	if (code != NULL && field_check(F_CODE, code, strlen(code)) == 0)
		tpl_value(tpl_get(t, NULL, "input-code"), code);
}

/* Fills the confirmed state. */
static void
confirmed(struct req *r, struct tpl *t, const PGresult *b)
{
	tpl_text(tpl_get(t, NULL, "reference"),
	    booking_reference(r, db_get(b, 0, "reference")));
	booking_qr(r, t, db_get(b, 0, "reference"));
	tpl_attr(tpl_get(t, NULL, "ics-link"), "href", booking_path(r, "/ics"));
	tpl_attr(tpl_get(t, NULL, "reschedule-link"), "href",
	    booking_path(r, "/reschedule"));
	tpl_attr(tpl_get(t, NULL, "cancel-link"), "href",
	    booking_path(r, "/cancel"));
}

/* Answers the booking page in its current state. */
int
page_booking(struct req *r)
{
	static const char *const states[] = {
		"held", "confirmed", "cancelled", "expired", NULL
	};
	PGresult	*b;
	struct tpl	*t;
	struct tnode	*n;
	const char	*status, *mark;
	size_t		 i;

	if (booking_load(r, &b) != 0)
		return 0;
	status = db_get(b, 0, "status");
	if (strcmp(status, "completed") == 0)
		status = "confirmed";	/* a past appointment */
	if (strcmp(status, "held") == 0 &&
	    strcmp(db_get(b, 0, "hold_passed"), "t") == 0)
		status = "expired";
	if ((t = tpl_page(r, "booking")) == NULL)
		return -1;
	common(r, t, b);
	notice_show(r, t, NOTICES(notices));
	for (i = 0; states[i] != NULL; i++) {
		if (strcmp(states[i], status) == 0)
			continue;
		mark = arena_printf(r->arena, "state-%s", states[i]);
		while ((n = tpl_get(t, NULL, mark)) != NULL)
			tpl_remove(n);
	}
	if (strcmp(status, "held") == 0)
		held(r, t, b);
	else if (strcmp(status, "confirmed") == 0)
		confirmed(r, t, b);
	else	/* cancelled or expired (one section left): book again */
		tpl_attr(tpl_get(t, NULL, "rebook-link"), "href",
		    route_url(r, R_PROCEDURE, db_get(b, 0, "site_slug"),
		    db_get(b, 0, "procedure_code")));
	return tpl_send(r, t, 200);
}
