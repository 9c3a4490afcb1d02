/* GET /site/<site>/<procedure>: the calendar of the coming weeks (days
 * with free places, in the site's time zone); with ?day=YYYY-MM-DD, the
 * free times of that day, each a link to its booking form. When nothing
 * is free: when the next slots will be published, and the alternative
 * route the Conseil d'État requires. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "template.h"
#include "waitroom.h"

/* Fills the day list; returns how many days have free places. */
static int
fill_days(struct req *r, struct tpl *t, const PGresult *days,
    const char *base, const char *chosen)
{
	struct tnode	*proto = tpl_get(t, NULL, "day"), *row, *link;
	int		 i, n = PQntuples(days), free_;

	for (i = 0; i < n; i++) {
		row = tpl_clone(proto);
		link = tpl_get(t, row, "day-link");
		/* To the times' anchor: on a phone they are screens below
		 * (issue 12). */
		tpl_attr(link, "href", arena_printf(r->arena, "%s%sday=%s#times",
		    base, strchr(base, '?') != NULL ? "&" : "?",
		    db_get(days, i, "day")));
		if (chosen != NULL && strcmp(chosen, db_get(days, i, "day")) == 0)
			tpl_attr(link, "aria-current", "date");
		tpl_text(tpl_get(t, row, "day-label"),
		    fmt_date(r->arena, db_get(days, i, "day")));
		free_ = atoi(db_get(days, i, "free"));
		tpl_text(tpl_get(t, row, "day-free"), arena_printf(r->arena,
		    ngettext("%d time free", "%d times free", free_), free_));
	}
	tpl_remove(proto);
	return n;
}

/* Fills the times of the chosen day, or removes that block. */
static int
fill_times(struct req *r, struct tpl *t, const char *site_id,
    const char *proc_id, const char *day, const struct wr_view *v)
{
	struct tnode	*proto, *row;
	PGresult	*times;
	int		 i, n;

	if (day == NULL) {
		tpl_remove(tpl_get(t, NULL, "times"));
		return 0;
	}
	if ((times = waitroom_slot_times(r, site_id, proc_id, day, v)) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "times-title"), arena_printf(r->arena,
	    _("Times on %s"), fmt_date(r->arena, day)));
	proto = tpl_get(t, NULL, "time");
	n = PQntuples(times);
	for (i = 0; i < n; i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "time-link"), "href",
		    route_url(r, R_BOOK, slot_ref(r->arena, db_get(times, i,
		    "slot_id")), NULL));
		tpl_text(tpl_get(t, row, "time-label"), db_get(times, i, "local_time"));
	}
	tpl_remove(proto);
	if (n > 0)
		tpl_remove(tpl_get(t, NULL, "no-times"));
	return 0;
}

/* The note for someone not admitted to a coming (or queued) release:
 * when its places open, and the way to the waiting room; or removed. */
static void
release_note(struct req *r, struct tpl *t, const struct wr_view *v)
{
	const char	*when;

	if (v->hide_from == 0) {
		tpl_remove(tpl_get(t, NULL, "release-note"));
		return;
	}
	when = fmt_datetime(r->arena, v->opens);
	tpl_text(tpl_get(t, NULL, "release-text"), arena_printf(r->arena,
	    v->opened ? _("New places opened on %s and there is a queue for them: the places below were free before, and need no waiting.") :
	    _("New places open on %s. The places below are already free: you can book one now, without waiting."),
	    when != NULL ? when : v->opens));
	tpl_attr(tpl_get(t, NULL, "release-link"), "href", v->room);
}

/* Links to the procedure's draw when one takes registrations or is to
 * come (schema/020, public_mode of S_SITE_PROCEDURE), or removes the
 * note. */
static int
draw_link(struct req *r, struct tpl *t, const PGresult *sp)
{
	PGresult	*d;
	const char	*closes;

	if (strcmp(db_get(sp, 0, "public_mode"), "draw") != 0) {
		tpl_remove(tpl_get(t, NULL, "draw"));
		tpl_remove(tpl_get(t, NULL, "draw-nothing"));
		return 0;
	}
	tpl_attr(tpl_get(t, NULL, "draw-link"), "href",
	    route_url(r, R_DRAW, r->args[0], r->args[1]));
	/* While its registration is open, the page says so, not that it
	 * "will be announced" (issue 12). */
	if ((d = db_exec(r, S_DRAW_PAGE, DB_ARGS(
	    { "site_id", db_get(sp, 0, "site_id") },
	    { "procedure_id", db_get(sp, 0, "procedure_id") }))) == NULL)
		return -1;
	if (PQntuples(d) == 0 ||
	    strcmp(db_get(d, 0, "registration_open"), "t") != 0) {
		tpl_remove(tpl_get(t, NULL, "draw-open"));
		tpl_remove(tpl_get(t, NULL, "draw-nothing"));
		return 0;
	}
	closes = fmt_datetime(r->arena, db_get(d, 0, "closes"));
	tpl_text(tpl_get(t, NULL, "draw-open"), arena_printf(r->arena,
	    _("Registration for the draw is open until %s. Register: the draw, not the order of registration, decides who gets an appointment."),
	    closes != NULL ? closes : db_get(d, 0, "closes")));
	tpl_remove(tpl_get(t, NULL, "draw-announce"));
	/* No first-come time: the draw is the way now. */
	tpl_remove(tpl_get(t, NULL, "nothing-title"));
	tpl_remove(tpl_get(t, NULL, "nothing-later"));
	return 0;
}

/* The calendar's window of calendar_days days (issue 12): from ?from=
 * (or from ?day= when it lies beyond the first window, or today), with
 * links to the window before and to the next days with places, up to the
 * furthest published place. When the first window has no free place but
 * later days do, it opens on those. Sets *days (NULL: the database
 * failed) and *from_day ('' for today's window). */
static PGresult *
window_days(struct req *r, const char *site_id, const char *proc_id,
    const char *day, const struct wr_view *v, struct tpl *t,
    const char **from_day)
{
	PGresult	*w, *days;
	const char	*from = params_get(&r->query, "from");
	const char	*ndays = arena_printf(r->arena, "%d",
			    r->conf->calendar_days);
	const char	*before = v->hide_from == 0 ? "" :
			    arena_printf(r->arena, "%lld", v->hide_from);
	const char	*base = route_url(r, R_PROCEDURE, r->args[0], r->args[1]);
	int		 again;

	if (from != NULL && field_check(F_DATE, from, strlen(from)) == -1)
		from = NULL;
	for (again = 0; ; again++) {
		if ((w = db_exec(r, S_SLOT_WINDOW, DB_ARGS(
		    { "site_id", site_id }, { "procedure_id", proc_id },
		    { "days", ndays }, { "from", from != NULL ? from : "" },
		    { "day", day != NULL ? day : "" },
		    { "published_before", before }))) == NULL ||
		    PQntuples(w) == 0)
			return NULL;
		if ((days = db_exec(r, S_SLOT_DAYS_FROM, DB_ARGS(
		    { "site_id", site_id }, { "procedure_id", proc_id },
		    { "days", ndays }, { "from", db_get(w, 0, "from_day") },
		    { "published_before", before }))) == NULL)
			return NULL;
		if (PQntuples(days) > 0 || again > 0 ||
		    *db_get(w, 0, "next_from") == '\0')
			break;
		from = db_get(w, 0, "next_from");	/* open on the first */
	}
	*from_day = *db_get(w, 0, "prev_from") == '\0' ? "" :
	    db_get(w, 0, "from_day");
	if (*db_get(w, 0, "prev_from") != '\0')
		tpl_attr(tpl_get(t, NULL, "earlier-link"), "href",
		    arena_printf(r->arena, "%s?from=%s", base,
		    db_get(w, 0, "prev_from")));
	else
		tpl_remove(tpl_get(t, NULL, "earlier"));
	if (*db_get(w, 0, "next_from") != '\0')
		tpl_attr(tpl_get(t, NULL, "later-link"), "href",
		    arena_printf(r->arena, "%s?from=%s", base,
		    db_get(w, 0, "next_from")));
	else
		tpl_remove(tpl_get(t, NULL, "later"));
	if (tpl_get(t, NULL, "earlier") == NULL &&
	    tpl_get(t, NULL, "later") == NULL)
		tpl_remove(tpl_get(t, NULL, "window-nav"));
	return days;
}

/* Answers the procedure page. */
int
page_procedure(struct req *r)
{
	PGresult	*sp, *days, *pub;
	struct tpl	*t;
	struct wr_view	 v;
	const char	*site_id, *proc_id, *day, *when, *from_day = "";
	const char	*base;
	int		 n;

	if ((n = waitroom_gate_procedure(r, r->args[0], r->args[1], &v)) != 0)
		return n == 1 ? 0 : -1;
	if ((sp = db_exec(r, S_SITE_PROCEDURE, DB_ARGS({ "site_slug", r->args[0] },
	    { "procedure_code", r->args[1] }, { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(sp) == 0)
		return resp_error(r, 404, N_("This procedure is not offered at this site. Choose one from the site's page."));
	day = params_get(&r->query, "day");
	if (day != NULL && field_check(F_DATE, day, strlen(day)) == -1)
		day = NULL;
	site_id = db_get(sp, 0, "site_id");
	proc_id = db_get(sp, 0, "procedure_id");
	if ((t = tpl_page(r, "procedure")) == NULL)
		return -1;
	if ((days = window_days(r, site_id, proc_id, day, &v, t,
	    &from_day)) == NULL)
		return db_fail(r);
	tpl_title(t, arena_printf(r->arena, "%s — %s", db_get(sp, 0, "procedure_name"),
	    db_get(sp, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(sp, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(sp, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "site-link"), "href",
	    route_url(r, R_SITE, r->args[0], NULL));
	tpl_text(tpl_get(t, NULL, "procedure-description"), db_get(sp, 0, "description"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(sp, 0, "lang"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-description"), db_get(sp, 0, "lang"));
	tpl_lang(r, tpl_get(t, NULL, "documents"), db_get(sp, 0, "lang"));
	tpl_text(tpl_get(t, NULL, "procedure-duration"),
	    fmt_duration(r->arena, atoi(db_get(sp, 0, "duration_minutes"))));
	if (strcmp(db_get(sp, 0, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "procedure-agdref"));
	tpl_lines(t, NULL, "documents", "document", db_get(sp, 0, "documents"));
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_get(sp, 0, "time_zone")));
	base = route_url(r, R_PROCEDURE, r->args[0], r->args[1]);
	if (*from_day != '\0')	/* the day links keep the window */
		base = arena_printf(r->arena, "%s?from=%s", base, from_day);
	release_note(r, t, &v);
	n = fill_days(r, t, days, base, day);
	if (n > 0) {
		tpl_remove(tpl_get(t, NULL, "nothing"));
		/* A draw taking registrations is shown beside the
		 * first-come times left. */
		if (draw_link(r, t, sp) == -1)
			return db_fail(r);
		tpl_remove(tpl_get(t, NULL, "draw-nothing"));
		if (fill_times(r, t, site_id, proc_id, day, &v) == -1)
			return db_fail(r);
		if (!v.guarded)
			resp_shareable(r);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "calendar"));
	tpl_remove(tpl_get(t, NULL, "times"));
	if (draw_link(r, t, sp) == -1)
		return db_fail(r);
	if ((pub = db_exec(r, S_NEXT_PUBLICATION, DB_ARGS({ "site_id", site_id },
	    { "procedure_id", proc_id },
	    { "time_zone", db_get(sp, 0, "time_zone") }))) == NULL)
		return db_fail(r);
	when = *db_get(pub, 0, "next_publication") != '\0' ?
	    fmt_datetime(r->arena, db_get(pub, 0, "next_publication")) : NULL;
	if (when != NULL)
		tpl_text(tpl_get(t, NULL, "next-publication"), arena_printf(r->arena,
		    _("New appointments will be published on %s."), when));
	else
		tpl_remove(tpl_get(t, NULL, "next-publication"));
	tpl_attr(tpl_get(t, NULL, "alert-link"), "href",
	    route_url(r, R_ALERT, r->args[0], r->args[1]));
	tpl_text(tpl_get(t, NULL, "alternative"), db_get(sp, 0, "alternative_route"));
	tpl_lang(r, tpl_get(t, NULL, "alternative"), db_get(sp, 0, "route_lang"));
	if (!v.guarded)
		resp_shareable(r);
	return tpl_send(r, t, 200);
}
