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
		tpl_attr(link, "href", arena_printf(r->arena, "%s?day=%s", base,
		    db_value(days, i, 0)));
		if (chosen != NULL && strcmp(chosen, db_value(days, i, 0)) == 0)
			tpl_attr(link, "aria-current", "date");
		tpl_text(tpl_get(t, row, "day-label"),
		    fmt_date(r->arena, db_value(days, i, 0)));
		free_ = atoi(db_value(days, i, 1));
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
	const char	*p[4];
	PGresult	*times;
	int		 i, n;

	if (day == NULL) {
		tpl_remove(tpl_get(t, NULL, "times"));
		return 0;
	}
	p[0] = site_id;
	p[1] = proc_id;
	p[2] = day;
	p[3] = arena_printf(r->arena, "%lld", v->hide_from);
	if ((times = db_exec(r, v->hide_from != 0 ? S_SLOT_TIMES_BEFORE :
	    S_SLOT_TIMES, p)) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "times-title"), arena_printf(r->arena,
	    _("Times on %s"), fmt_date(r->arena, day)));
	proto = tpl_get(t, NULL, "time");
	n = PQntuples(times);
	for (i = 0; i < n; i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "time-link"), "href",
		    arena_printf(r->arena, "/book/%s",
		    slot_ref(r->arena, db_value(times, i, 0))));
		tpl_text(tpl_get(t, row, "time-label"), db_value(times, i, 1));
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
 * come (schema/020, column 10 of S_SITE_PROCEDURE), or removes the note. */
static void
draw_link(struct req *r, struct tpl *t, const PGresult *sp, const char *base)
{
	if (strcmp(db_value(sp, 0, 10), "draw") != 0)
		tpl_remove(tpl_get(t, NULL, "draw"));
	else
		tpl_attr(tpl_get(t, NULL, "draw-link"), "href",
		    arena_printf(r->arena, "%s/draw", base));
}

/* Answers the procedure page. */
int
page_procedure(struct req *r)
{
	PGresult	*sp, *days, *pub;
	struct tpl	*t;
	struct wr_view	 v;
	const char	*p[4], *day, *when;
	char		*base;
	int		 n;

	if ((n = waitroom_gate_procedure(r, r->args[0], r->args[1], &v)) != 0)
		return n == 1 ? 0 : -1;
	p[0] = r->args[0];
	p[1] = r->args[1];
	p[2] = r->lang;
	if ((sp = db_exec(r, S_SITE_PROCEDURE, p)) == NULL)
		return db_fail(r);
	if (PQntuples(sp) == 0)
		return resp_error(r, 404, N_("This procedure is not offered at this site. Choose one from the site's page."));
	day = params_get(&r->query, "day");
	if (day != NULL && field_check(F_DATE, day, strlen(day)) == -1)
		day = NULL;
	p[0] = db_value(sp, 0, 0);
	p[1] = db_value(sp, 0, 4);
	p[2] = arena_printf(r->arena, "%d", r->conf->calendar_days);
	p[3] = arena_printf(r->arena, "%lld", v.hide_from);
	if ((days = db_exec(r, v.hide_from != 0 ? S_SLOT_DAYS_BEFORE :
	    S_SLOT_DAYS, p)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "procedure")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s — %s", db_value(sp, 0, 5),
	    db_value(sp, 0, 1)));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_value(sp, 0, 5));
	tpl_text(tpl_get(t, NULL, "site-name"), db_value(sp, 0, 1));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "site-link"), "href",
	    arena_printf(r->arena, "/site/%s", r->args[0]));
	tpl_text(tpl_get(t, NULL, "procedure-description"), db_value(sp, 0, 6));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_value(sp, 0, 14));
	tpl_lang(r, tpl_get(t, NULL, "procedure-description"), db_value(sp, 0, 14));
	tpl_lang(r, tpl_get(t, NULL, "documents"), db_value(sp, 0, 14));
	tpl_text(tpl_get(t, NULL, "procedure-duration"),
	    fmt_duration(r->arena, atoi(db_value(sp, 0, 7))));
	if (strcmp(db_value(sp, 0, 8), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "procedure-agdref"));
	tpl_lines(t, NULL, "documents", "document", db_value(sp, 0, 9));
	tpl_text(tpl_get(t, NULL, "site-tz"), arena_printf(r->arena,
	    _("Times are shown in the local time of the site (%s)."),
	    db_value(sp, 0, 2)));
	base = arena_printf(r->arena, "/site/%s/%s", r->args[0], r->args[1]);
	release_note(r, t, &v);
	n = fill_days(r, t, days, base, day);
	if (n > 0) {
		tpl_remove(tpl_get(t, NULL, "nothing"));
		/* A draw taking registrations is shown beside the
		 * first-come times left. */
		draw_link(r, t, sp, base);
		if (fill_times(r, t, p[0], p[1], day, &v) == -1)
			return db_fail(r);
		if (!v.guarded)
			resp_shareable(r);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "calendar"));
	tpl_remove(tpl_get(t, NULL, "times"));
	draw_link(r, t, sp, base);
	p[2] = db_value(sp, 0, 2);
	if ((pub = db_exec(r, S_NEXT_PUBLICATION, p)) == NULL)
		return db_fail(r);
	when = *db_value(pub, 0, 0) != '\0' ?
	    fmt_datetime(r->arena, db_value(pub, 0, 0)) : NULL;
	if (when != NULL)
		tpl_text(tpl_get(t, NULL, "next-publication"), arena_printf(r->arena,
		    _("New appointments will be published on %s."), when));
	else
		tpl_remove(tpl_get(t, NULL, "next-publication"));
	tpl_attr(tpl_get(t, NULL, "alert-link"), "href", arena_printf(r->arena,
	    "%s/alert", base));
	tpl_text(tpl_get(t, NULL, "alternative"), db_value(sp, 0, 3));
	tpl_lang(r, tpl_get(t, NULL, "alternative"), db_value(sp, 0, 15));
	if (!v.guarded)
		resp_shareable(r);
	return tpl_send(r, t, 200);
}
