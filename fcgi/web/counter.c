/* Shared by the counter pages (see counter.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "counter.h"
#include "db.h"
#include "fields.h"
#include "fmt.h"
#include "notice.h"
#include "secret.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Lets an agent, supervisor or administrator of the URL's site on (the
 * route's first segment): fills *s and returns 0. Otherwise answers
 * (login, 403 for a mediator or another site's agent, 404 for an unknown
 * site, 503) and returns 1. day is the day asked for, or NULL. */
int
counter_site_load(struct req *r, const char *day, struct counter_site *s)
{
	PGresult	*res;

	if (staff_require(r, COUNTER_ROLES) != 0)
		return 1;
	if ((res = db_exec(r, S_COUNTER_SITE, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }, { "day", day != NULL ? day : "" }))) == NULL) {
		db_fail(r);
		return 1;
	}
	if (PQntuples(res) != 1) {
		resp_error(r, 404, NULL);
		return 1;
	}
	if (strcmp(db_get(res, 0, "allowed"), "t") != 0) {
		staff_site_refuse(r, db_get(res, 0, "site_id"));
		return 1;
	}
	s->id = db_get(res, 0, "site_id");
	s->slug = r->args[0];
	s->name = db_get(res, 0, "name");
	s->tz = db_get(res, 0, "time_zone");
	s->day = db_get(res, 0, "day");
	s->prev = db_get(res, 0, "prev_day");
	s->next = db_get(res, 0, "next_day");
	s->today = db_get(res, 0, "today");
	return 0;
}

/* Returns the wording of a booking's status and attendance. */
const char *
counter_status(const char *status, const char *attendance)
{
	if (strcmp(attendance, "honoured") == 0)
		return _("Arrived");
	if (strcmp(attendance, "no_show") == 0)
		return _("Did not come");
	if (strcmp(status, "moved") == 0)
		return _("Moved");
	if (strcmp(status, "cancelled") == 0)
		return _("Cancelled");
	if (strcmp(status, "completed") == 0)
		return _("Past, not marked");
	if (strcmp(status, "confirmed") == 0)
		return _("Expected");
	return status;
}

/* Returns the wording of a booking channel (creneau_valid_channel). */
const char *
counter_channel(const char *channel)
{
	if (strcmp(channel, "online") == 0)
		return _("Online");
	if (strcmp(channel, "mediator") == 0)
		return _("Mediator");
	if (strcmp(channel, "counter") == 0)
		return _("Counter or phone");
	if (strcmp(channel, "court") == 0)
		return _("Court order");
	return channel;
}

/* Fills the navigation shared by the counter pages: the site's name and
 * the links to its agenda, check-in and search. */
void
counter_nav(struct req *r, struct tpl *t, const struct counter_site *s)
{
	tpl_text(tpl_get(t, NULL, "site-name"), s->name);
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "nav-agenda"), "href",
	    route_url(r, R_AGENT_AGENDA, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "nav-checkin"), "href",
	    route_url(r, R_AGENT_CHECKIN, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "nav-search"), "href",
	    route_url(r, R_AGENT_SEARCH, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "nav-phone"), "href",
	    route_url(r, R_AGENT_PHONE, s->slug, NULL));
}

/* --- Acting on a booking on the person's behalf (issue 12): the staff
 * booking page of a site and the mediator's confirmation share these. */

/* What a cancellation or a move answers, as ?m= notices of the booking
 * page (staff_booking_cancel, staff_booking_move). */
static const struct notice booking_notices[] = {
	{ "cancelled", N_("The appointment is cancelled. The person was sent the usual message if they gave a phone number or an e-mail address."), 0 },
	{ "rescheduled", N_("The appointment is moved to the new time. Print the new confirmation for the person."), 0 },
	{ "already_cancelled", N_("This appointment was already cancelled."), 1 },
	{ "too_late", N_("The appointment has already started: it can no longer be changed."), 1 },
	{ "not_confirmed", N_("Only a confirmed appointment can be moved."), 1 },
	{ "same_slot", N_("The appointment is already at this time. Choose another time."), 1 },
	{ "other_procedure", N_("This time is for another procedure or site. Choose one of the times offered."), 1 },
	{ "slot_unavailable", N_("This time has just been taken or is no longer offered. Choose another time."), 1 },
	{ "choose", N_("Choose one of the times offered."), 1 },
	{ "not_found", N_("This appointment no longer exists."), 1 },
};
const struct notice *const counter_booking_notices = booking_notices;
const size_t counter_booking_nnotices =
    sizeof(booking_notices) / sizeof(booking_notices[0]);

/* Handles the POST of a booking page (action=cancel, or action=move with
 * slot=<slot_ref>) for booking booking_id, site_id being the page's site
 * ("" for a mediator); answers 303 to back (given the booking's id
 * after the action) with ?m=<outcome>, or 403/404 for a booking the
 * account may not act on. Returns what the answer returned. */
int
counter_booking_post(struct req *r, const char *site_id,
    const char *booking_id, const char *(*back)(struct req *, const char *))
{
	const char	*action = params_get(&r->form, "action");
	const char	*ref = params_get(&r->form, "slot"), *out, *id = booking_id;
	char		*slot;
	PGresult	*res;

	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if (action != NULL && strcmp(action, "cancel") == 0) {
		if ((res = db_exec(r, S_STAFF_BOOKING_CANCEL, DB_ARGS(
		    { "account", r->staff->id }, { "site_id", site_id },
		    { "booking_id", booking_id }))) == NULL)
			return db_fail(r);
	} else if (action != NULL && strcmp(action, "move") == 0) {
		if (ref == NULL || field_check(F_SLOT_REF, ref, strlen(ref)) == -1 ||
		    (slot = arena_strdup(r->arena, ref)) == NULL ||
		    slot_ref_open(slot) == -1)
			return resp_redirect(r, arena_printf(r->arena, "%s?m=choose",
			    back(r, booking_id)));
		if ((res = db_exec(r, S_STAFF_BOOKING_MOVE, DB_ARGS(
		    { "account", r->staff->id }, { "site_id", site_id },
		    { "booking_id", booking_id }, { "slot_id", slot }))) == NULL)
			return db_fail(r);
		if (PQntuples(res) == 1)
			id = db_get(res, 0, "booking_id");
	} else
		return resp_error(r, 400, N_("Use one of the forms of the page."));
	out = PQntuples(res) == 1 ? db_get(res, 0, "outcome") : "not_found";
	if (strcmp(out, "forbidden") == 0)
		return *site_id != '\0' ? resp_error(r, 403, N_("Your account does not act for this site.")) :
		    resp_error(r, 404, N_("This booking does not exist or was not made by your organisation."));
	return resp_redirect(r, arena_printf(r->arena, "%s?m=%s", back(r, id), out));
}

/* Fills the forms that move and cancel booking row b
 * (S_STAFF_BOOKING_VIEW) posting to action_url, or removes them when
 * the booking cannot change. The times offered are those the booking's
 * channel may take: the counter's share for a counter booking. Returns
 * 0, or -1 when the database failed. */
int
counter_booking_actions(struct req *r, struct tpl *t, const PGresult *b,
    const char *action_url)
{
	struct tnode	*proto, *o;
	PGresult	*sl;
	const char	*days = arena_printf(r->arena, "%d", r->conf->calendar_days);
	const char	*when;
	int		 i, n = 0;

	if (strcmp(db_get(b, 0, "status"), "confirmed") != 0 ||
	    strcmp(db_get(b, 0, "future"), "t") != 0) {
		tpl_remove(tpl_get(t, NULL, "actions"));
		return 0;
	}
	if (strcmp(db_get(b, 0, "channel"), "counter") == 0)
		sl = db_exec(r, S_COUNTER_SHARE_SLOTS, DB_ARGS(
		    { "site_id", db_get(b, 0, "site_id") },
		    { "procedure_id", db_get(b, 0, "procedure_id") },
		    { "days", days }));
	else
		sl = db_exec(r, S_CHANNEL_SLOTS, DB_ARGS(
		    { "site_id", db_get(b, 0, "site_id") },
		    { "procedure_id", db_get(b, 0, "procedure_id") },
		    { "channel", db_get(b, 0, "channel") },
		    { "published_only", "t" }, { "days", days }));
	if (sl == NULL)
		return -1;
	tpl_attr(tpl_get(t, NULL, "move-form"), "action", action_url);
	tpl_attr(tpl_get(t, NULL, "cancel-form"), "action", action_url);
	tpl_attr(tpl_get(t, NULL, "move-csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "cancel-csrf"), "value", r->staff->csrf);
	proto = tpl_get(t, NULL, "move-option");
	for (i = 0; i < PQntuples(sl); i++) {
		if (strcmp(db_get(sl, i, "slot_id"), db_get(b, 0, "slot_id")) == 0)
			continue;
		o = tpl_clone(proto);
		when = fmt_date(r->arena, db_get(sl, i, "local_day"));
		tpl_attr(o, "value", slot_ref(r->arena, db_get(sl, i, "slot_id")));
		tpl_text(o, arena_printf(r->arena, "%s, %s", when != NULL ? when :
		    db_get(sl, i, "local_day"), db_get(sl, i, "local_time")));
		n++;
	}
	tpl_remove(proto);
	if (n == 0)
		tpl_remove(tpl_get(t, NULL, "move-form"));
	else
		tpl_remove(tpl_get(t, NULL, "no-move"));
	return 0;
}

/* Returns the status of a booking row of the agenda or the search, with
 * where it went when it was moved (issue 12): "Moved to <date time>". */
const char *
counter_status_row(struct req *r, const PGresult *res, int i)
{
	const char	*to = db_get(res, i, "moved_to"), *when;

	if (*to == '\0')
		return counter_status(db_get(res, i, "status"),
		    db_get(res, i, "attendance"));
	when = fmt_datetime(r->arena, to);
	return arena_printf(r->arena, _("Moved to %s"), when != NULL ? when : to);
}
