/* GET /booking/<token>/reschedule: the free times of the same procedure
 * at the same site (days, then ?day= times as a choice); POST slot moves
 * the booking atomically (booking_reschedule): the old time is released
 * only once the new one is taken. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "booking.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "template.h"
#include "waitroom.h"

/* Moves the booking to the posted slot; 303 either way. */
static int
move(struct req *r)
{
	const char	*ref = params_get(&r->form, "slot"), *m;
	char		*slot;
	PGresult	*res;
	int		 n;

	/* A time as the page offers it (<id>.<mac>), and, for a time of a
	 * release, the same admission as its booking form (issue 10). */
	if (ref == NULL || field_check(F_SLOT_REF, ref, strlen(ref)) == -1 ||
	    (slot = arena_strdup(r->arena, ref)) == NULL ||
	    slot_ref_open(slot) == -1)
		return resp_redirect(r, booking_path(r, "/reschedule?m=choose"));
	if ((n = waitroom_gate_slot(r, slot)) != 0)
		return n == 1 ? 0 : -1;
	if ((res = db_exec(r, S_BOOKING_RESCHEDULE, DB_ARGS(
	    { "token", r->args[0] }, { "slot_id", slot },
	    { "release_min", arena_printf(r->arena, "%d",
	    r->conf->release_min_minutes) },
	    { "release_max", arena_printf(r->arena, "%d",
	    r->conf->release_max_minutes) }))) == NULL)
		return db_fail(r);
	m = PQntuples(res) > 0 ? db_get(res, 0, "outcome") : "not_found";
	if (strcmp(m, "rescheduled") == 0)
		return resp_redirect(r, booking_path(r, "?m=rescheduled"));
	if (strcmp(m, "not_found") == 0)
		return resp_error(r, 404, NULL);
	if (strcmp(m, "too_late") == 0 || strcmp(m, "not_confirmed") == 0)
		return resp_redirect(r, booking_path(r, "?m=too_late"));
	return resp_redirect(r, booking_path(r, arena_printf(r->arena,
	    "/reschedule?m=%s", m)));
}

/* Fills the days and, for a chosen day, the times to choose from. */
static int
choices(struct req *r, struct tpl *t, const PGresult *ids, const char *day,
    const struct wr_view *v)
{
	struct tnode	*proto, *row, *radio;
	const char	*site_id = db_get(ids, 0, "site_id");
	const char	*proc_id = db_get(ids, 0, "procedure_id"), *ref;
	PGresult	*days, *times;
	int		 i, n;

	if ((days = waitroom_slot_days(r, site_id, proc_id, v)) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "day");
	for (i = 0; i < PQntuples(days); i++) {
		row = tpl_clone(proto);
		tpl_attr(tpl_get(t, row, "day-link"), "href", arena_printf(r->arena,
		    "%s?day=%s#times", booking_path(r, "/reschedule"),
		    db_get(days, i, "day")));	/* the times' anchor (issue 12) */
		tpl_text(tpl_get(t, row, "day-label"),
		    fmt_date(r->arena, db_get(days, i, "day")));
	}
	tpl_remove(proto);
	if (PQntuples(days) > 0)
		tpl_remove(tpl_get(t, NULL, "no-days"));
	if (day == NULL) {
		tpl_remove(tpl_get(t, NULL, "times-form"));
		return 0;
	}
	if ((times = waitroom_slot_times(r, site_id, proc_id, day, v)) == NULL)
		return -1;
	tpl_attr(tpl_get(t, NULL, "times-form"), "action",
	    booking_path(r, "/reschedule"));
	tpl_text(tpl_get(t, NULL, "times-title"), arena_printf(r->arena,
	    _("Times on %s"), fmt_date(r->arena, day)));
	proto = tpl_get(t, NULL, "time");
	n = PQntuples(times);
	for (i = 0; i < n; i++) {
		row = tpl_clone(proto);
		radio = tpl_get(t, row, "time-radio");
		ref = slot_ref(r->arena, db_get(times, i, "slot_id"));
		tpl_attr(radio, "value", ref != NULL ? ref : "");
		tpl_attr(radio, "id", arena_printf(r->arena, "slot-%s",
		    db_get(times, i, "slot_id")));
		tpl_attr(tpl_get(t, row, "time-label"), "for", arena_printf(r->arena,
		    "slot-%s", db_get(times, i, "slot_id")));
		tpl_text(tpl_get(t, row, "time-label"), db_get(times, i, "local_time"));
	}
	tpl_remove(proto);
	if (n == 0)
		tpl_remove(tpl_get(t, NULL, "times-form"));
	return 0;
}

/* Answers the reschedule page (GET) or moves the booking (POST). */
int
page_booking_reschedule(struct req *r)
{
	PGresult	*b, *ids;
	struct tpl	*t;
	struct wr_view	 v;
	const char	*site, *proc, *day, *when, *m;

	if (booking_load(r, &b) != 0)
		return 0;
	if (strcmp(db_get(b, 0, "status"), "confirmed") != 0)
		return resp_redirect(r, booking_path(r, ""));
	if (r->method == M_POST)
		return move(r);
	site = db_get(b, 0, "site_slug");
	proc = db_get(b, 0, "procedure_code");
	if ((ids = db_exec(r, S_SITE_PROCEDURE, DB_ARGS({ "site_slug", site },
	    { "procedure_code", proc }, { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(ids) == 0 || (t = tpl_page(r, "reschedule")) == NULL)
		return -1;
	when = fmt_datetime(r->arena, db_get(b, 0, "starts_local"));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(b, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(b, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_attr(tpl_get(t, NULL, "back-link"), "href", booking_path(r, ""));
	m = params_get(&r->query, "m");
	if (m != NULL && strcmp(m, "slot_unavailable") == 0)
		tpl_text(tpl_get(t, NULL, "notice"), _("This time has just been taken. Choose another one."));
	else if (m != NULL && (strcmp(m, "choose") == 0 || strcmp(m, "same_slot") == 0))
		tpl_text(tpl_get(t, NULL, "notice"), _("Choose a new time in the list."));
	else
		tpl_remove(tpl_get(t, NULL, "notice"));
	day = params_get(&r->query, "day");
	if (day != NULL && field_check(F_DATE, day, strlen(day)) == -1)
		day = NULL;
	/* The times of a release only to those admitted to it. */
	waitroom_peek(r, site, proc, &v);
	if (choices(r, t, ids, day, &v) == -1)
		return db_fail(r);
	return tpl_send(r, t, 200);
}
