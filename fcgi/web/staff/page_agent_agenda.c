/* GET /agent/site/<site>/agenda?day=YYYY-MM-DD&counter=<id>: the day's
 * bookings of a site (or of one counter) by time and counter, for its
 * agents: time, reference, name, procedure, channel, status, and the
 * buttons that mark an arrival or a no-show (POSTed to .../attendance).
 * The day defaults to today in the site's time zone. Reading the names
 * is logged (counter_agenda). ?m= carries the last mark's outcome. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "booking.h"
#include "counter.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const struct notice notices[] = {
	{ "honoured", N_("The arrival is recorded."), 0 },
	{ "no_show", N_("The no-show is recorded."), 0 },
	{ "not_today", N_("An arrival can only be recorded on the day of the appointment."), 1 },
	{ "too_early", N_("Not recorded: the person may still be on the way. A no-show can only be recorded once the grace period after the appointment time has passed; the button appears then."), 1 },
	{ "already_honoured", N_("This arrival was already recorded."), 1 },
	{ "already_marked", N_("The attendance of this appointment was already recorded."), 1 },
	{ "cancelled", N_("This appointment is cancelled."), 1 },
	{ "not_confirmed", N_("This appointment was never confirmed."), 1 },
	{ "not_found", N_("This appointment is not one of this site."), 1 },
};

/* Returns the agenda's URL for a day and counter ("" for all). */
static const char *
agenda_url(struct req *r, const struct counter_site *s, const char *day,
    const char *counter)
{
	return arena_printf(r->arena, "%s?day=%s%s%s", route_url(r,
	    R_AGENT_AGENDA, s->slug, NULL), day,
	    *counter != '\0' ? "&counter=" : "", counter);
}

/* Fills the counter filter; returns the chosen counter's name, or NULL
 * for all counters. */
static const char *
counters(struct req *r, struct tpl *t, const struct counter_site *s,
    const char *counter)
{
	struct tnode	*proto, *o;
	PGresult	*res;
	const char	*chosen = NULL;
	int		 i;

	proto = tpl_get(t, NULL, "counter-option");
	if ((res = db_exec(r, S_COUNTER_COUNTERS,
	    DB_ARGS({ "account", r->staff->id }, { "site_id", s->id }))) != NULL)
		for (i = 0; i < PQntuples(res); i++) {
			o = tpl_clone(proto);
			tpl_attr(o, "value", db_get(res, i, "counter_id"));
			tpl_text(o, db_get(res, i, "name"));
			if (strcmp(counter, db_get(res, i, "counter_id")) == 0)
				chosen = db_get(res, i, "name");
		}
	tpl_remove(proto);
	tpl_value(tpl_get(t, NULL, "input-counter"), counter);
	return chosen;
}

/* Fills one row's attendance form (mark) or removes it. */
static void
row_form(struct req *r, struct tpl *t, struct tnode *row, const char *form,
    const char *button, int allowed, const PGresult *res, int i,
    const struct counter_site *s, const char *counter, const char *label)
{
	struct tnode	*f = tpl_get(t, row, form);

	if (!allowed) {
		tpl_remove(f);
		return;
	}
	tpl_attr(f, "action", route_url(r, R_AGENT_ATTENDANCE, s->slug, NULL));
	tpl_attr(tpl_get(t, f, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, f, "booking"), "value", db_get(res, i, "booking_id"));
	tpl_attr(tpl_get(t, f, "return-day"), "value", s->day);
	tpl_attr(tpl_get(t, f, "return-counter"), "value", counter);
	tpl_attr(tpl_get(t, f, button), "aria-label", arena_printf(r->arena,
	    "%s: %s", label, booking_reference(r, db_get(res, i, "reference"))));
}

/* Fills the table of the day's bookings. */
static void
rows(struct req *r, struct tpl *t, const PGresult *res,
    const struct counter_site *s, const char *counter)
{
	struct tnode	*proto = tpl_get(t, NULL, "row"), *row;
	int		 i;

	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "time"), db_get(res, i, "local_time"));
		tpl_text(tpl_get(t, row, "cell-counter"), db_get(res, i, "counter_name"));
		tpl_text(tpl_get(t, row, "reference"),
		    booking_reference(r, db_get(res, i, "reference")));
		/* Issue 12: the booking's page, to move or cancel it. */
		tpl_attr(tpl_get(t, row, "reference"), "href", route_url(r,
		    R_AGENT_BOOKING, s->slug, db_get(res, i, "booking_id")));
		tpl_text(tpl_get(t, row, "name"), arena_printf(r->arena,
		    "%s %s", db_get(res, i, "surname"), db_get(res, i, "given_names")));
		tpl_text(tpl_get(t, row, "procedure"), db_get(res, i, "procedure_name"));
		tpl_text(tpl_get(t, row, "channel"),
		    counter_channel(db_get(res, i, "channel")));
		tpl_text(tpl_get(t, row, "status"), *db_get(res, i, "attendance_time") != '\0' ?
		    arena_printf(r->arena, "%s (%s)", counter_status(
		    db_get(res, i, "status"), db_get(res, i, "attendance")),
		    db_get(res, i, "attendance_time")) :
		    counter_status_row(r, res, i));
		row_form(r, t, row, "honour-form", "honour-button",
		    strcmp(db_get(res, i, "can_honour"), "t") == 0, res, i, s, counter,
		    _("Arrived"));
		row_form(r, t, row, "no-show-form", "no-show-button",
		    strcmp(db_get(res, i, "can_no_show"), "t") == 0, res, i, s, counter,
		    _("Did not come"));
	}
	tpl_remove(proto);
}

/* Answers the agenda of a day. */
int
page_agent_agenda(struct req *r)
{
	struct counter_site	 s;
	struct tpl		*t;
	PGresult		*res;
	const char		*day = params_get(&r->query, "day");
	const char		*counter = params_get(&r->query, "counter");
	const char		*cname, *when;

	if (day != NULL && field_check(F_DATE, day, strlen(day)) == -1)
		day = NULL;
	if (counter == NULL || field_check(F_ID, counter, strlen(counter)) == -1)
		counter = "";
	if (counter_site_load(r, day, &s) != 0)
		return 0;
	if ((res = db_exec(r, S_COUNTER_AGENDA, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s.id }, { "day", s.day },
	    { "counter_id", counter }, { "grace", arena_printf(r->arena, "%d",
	    r->conf->no_show_grace_minutes) }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_agenda")) == NULL)
		return -1;
	when = fmt_date(r->arena, s.day);
	tpl_title(t, arena_printf(r->arena, "%s — %s — %s", _("Agenda"),
	    s.name, when != NULL ? when : s.day));
	counter_nav(r, t, &s);
	notice_show(r, t, NOTICES(notices));
	tpl_text(tpl_get(t, NULL, "day-text"), when != NULL ? when : s.day);
	cname = counters(r, t, &s, counter);
	if (cname != NULL)
		tpl_text(tpl_get(t, NULL, "counter-text"), arena_printf(r->arena,
		    "— %s", cname));
	else
		tpl_remove(tpl_get(t, NULL, "counter-text"));
	tpl_attr(tpl_get(t, NULL, "prev-link"), "href",
	    agenda_url(r, &s, s.prev, counter));
	tpl_attr(tpl_get(t, NULL, "next-link"), "href",
	    agenda_url(r, &s, s.next, counter));
	tpl_attr(tpl_get(t, NULL, "today-link"), "href",
	    agenda_url(r, &s, s.today, counter));
	tpl_attr(tpl_get(t, NULL, "filter-form"), "action",
	    route_url(r, R_AGENT_AGENDA, s.slug, NULL));
	tpl_value(tpl_get(t, NULL, "input-day"), s.day);
	tpl_text(tpl_get(t, NULL, "caption"), arena_printf(r->arena,
	    _("Appointments of %s"), when != NULL ? when : s.day));
	if (PQntuples(res) == 0) {
		tpl_remove(tpl_get(t, NULL, "agenda"));
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "empty"));
	rows(r, t, res, &s, counter);
	return tpl_send(r, t, 200);
}
