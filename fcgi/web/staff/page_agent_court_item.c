/* GET and POST /agent/site/<site>/court/<id>: one injunction of a site
 * (viewing it is audited: it shows the applicant). While open, a choice
 * of times with court places (reserved ones first, published or not);
 * POST books the chosen time for the applicant (court_book: confirmed at
 * once, channel court, a message to the applicant when a contact is
 * known, the injunction fulfilled, audited) and answers 303 back, or the
 * page again with the error. The injunction must be of the site in the
 * URL and the account must act for that site (checked in SQL). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "court.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "identity.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = { "slot", NULL };

/* Fills the choice of times for injunction row v; returns 0 or -1. */
static int
fill_slots(struct req *r, struct tpl *t, const PGresult *v)
{
	struct tnode	*proto, *row, *in, *label;
	PGresult	*sl;
	const char	*id, *when;
	int		 i;

	if ((sl = db_exec(r, S_CHANNEL_SLOTS, DB_ARGS(
	    { "site_id", db_get(v, 0, "site_id") },
	    { "procedure_id", db_get(v, 0, "procedure_id") },
	    { "channel", "court" }, { "published_only", "f" },
	    { "days", arena_printf(r->arena, "%d",
	    r->conf->calendar_days) }))) == NULL)
		return -1;
	proto = tpl_get(t, NULL, "slot-option");
	for (i = 0; i < PQntuples(sl); i++) {
		row = tpl_clone(proto);
		in = tpl_get(t, row, "slot-input");
		label = tpl_get(t, row, "slot-label");
		id = arena_printf(r->arena, "slot-%s", db_get(sl, i, "slot_id"));
		tpl_attr(in, "id", id);
		tpl_attr(in, "value", db_get(sl, i, "slot_id"));
		tpl_attr(label, "for", id);
		when = fmt_datetime(r->arena, arena_printf(r->arena, "%s %s",
		    db_get(sl, i, "local_day"), db_get(sl, i, "local_time")));
		tpl_text(label, when != NULL ? when : db_get(sl, i, "local_time"));
	}
	tpl_remove(proto);
	if (PQntuples(sl) > 0) {
		tpl_remove(tpl_get(t, NULL, "no-slots"));
	} else {
		tpl_remove(tpl_get(t, NULL, "group-slot"));
		tpl_remove(tpl_get(t, NULL, "book-button"));
	}
	return 0;
}

/* Renders the injunction of row v (S_COURT_VIEW) with f's errors. */
static int
render(struct req *r, const PGresult *v, struct form *f)
{
	struct tpl	*t;
	struct tnode	*st;
	const char	*cls, *when, *contact;
	int		 fulfilled = strcmp(db_get(v, 0, "fulfilled"), "t") == 0;

	if ((t = tpl_page(r, "agent_court_item")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s %s", f->nerrors > 0 ?
	    _("Error: ") : "", _("Injunction"), db_get(v, 0, "case_number")));
	tpl_attr(tpl_get(t, NULL, "list-link"), "href",
	    route_url(r, R_AGENT_COURT, r->args[0], NULL));
	tpl_text(tpl_get(t, NULL, "case"), db_get(v, 0, "case_number"));
	st = tpl_get(t, NULL, "state");
	tpl_text(st, court_state(r, atoi(db_get(v, 0, "days_left")), fulfilled,
	    db_get(v, 0, "reference"), &cls));
	tpl_add_class(st, cls);
	tpl_text(tpl_get(t, NULL, "tribunal"), db_get(v, 0, "tribunal"));
	tpl_text(tpl_get(t, NULL, "decision"), fmt_date(r->arena, db_get(v, 0, "decision_date")));
	tpl_text(tpl_get(t, NULL, "deadline"), fmt_date(r->arena, db_get(v, 0, "deadline")));
	tpl_text(tpl_get(t, NULL, "procedure"), db_get(v, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "person"), arena_printf(r->arena, "%s %s",
	    db_get(v, 0, "surname"), db_get(v, 0, "given_names")));
	tpl_text(tpl_get(t, NULL, "birth"), fmt_date(r->arena, db_get(v, 0, "birth_date")));
	contact = arena_printf(r->arena, "%s%s%s", db_get(v, 0, "email"),
	    *db_get(v, 0, "email") && *db_get(v, 0, "phone") ? ", " : "",
	    db_get(v, 0, "phone"));
	tpl_text(tpl_get(t, NULL, "contact"), *contact ? contact :
	    _("None known: send the convocation by post."));
	if (fulfilled) {
		tpl_remove(tpl_get(t, NULL, "book"));
		tpl_text(tpl_get(t, NULL, "reference"), arena_printf(r->arena,
		    "%.4s-%s", db_get(v, 0, "reference"), db_get(v, 0, "reference") + 4));
		when = fmt_datetime(r->arena, db_get(v, 0, "starts_local"));
		tpl_text(tpl_get(t, NULL, "when"), when != NULL ? when : "");
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "booked"));
	tpl_attr(tpl_get(t, NULL, "form"), "action", route_url(r,
	    R_AGENT_COURT_ITEM, r->args[0], r->args[1]));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	if (fill_slots(r, t, v) == -1)
		return db_fail(r);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* The applicant of injunction row v, as recorded, with the keys
 * (identity.c); 0, or -1 with the error recorded. */
static int
applicant(struct req *r, struct form *f, const PGresult *v,
    struct identity *who)
{
	memset(who, 0, sizeof(*who));
	who->surname = db_get(v, 0, "surname");
	who->given_names = db_get(v, 0, "given_names");
	snprintf(who->birth, sizeof(who->birth), "%s", db_get(v, 0, "birth_date"));
	who->agdref = *db_get(v, 0, "agdref") ? db_get(v, 0, "agdref") : NULL;
	who->email = *db_get(v, 0, "email") ? db_get(v, 0, "email") : NULL;
	who->phone = *db_get(v, 0, "phone") ? db_get(v, 0, "phone") : NULL;
	who->lang = db_get(v, 0, "lang");
	return identity_canon(r, f, 0, who);
}

/* What court_book answers. */
static const struct outcome book_outcomes[] = {
	{ "fulfilled", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "already_fulfilled", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, N_("This injunction does not exist."),
	    404, OUT_NO_ARG },
	{ "identity_active", OUT_FIELD, NULL,
	    N_("This person already has an appointment for this procedure. Find it at the counter with the person's name and date of birth, and move it if needed."),
	    0, OUT_NO_ARG },
	{ "agdref_required", OUT_FIELD, NULL,
	    N_("This procedure needs a known AGDREF number, and the injunction has none or an unknown one. Record the injunction again with the right number."),
	    0, OUT_NO_ARG },
	{ "agdref_unknown", OUT_FIELD, NULL,
	    N_("This procedure needs a known AGDREF number, and the injunction has none or an unknown one. Record the injunction again with the right number."),
	    0, OUT_NO_ARG },
	{ "slot_unavailable", OUT_FIELD, "slot",
	    N_("This time has just been taken or is no longer offered. Choose another time."),
	    0, OUT_NO_ARG },
	{ "other_procedure", OUT_FIELD, "slot",
	    N_("This time has just been taken or is no longer offered. Choose another time."),
	    0, OUT_NO_ARG },
};

/* Books the chosen time: 303 back, or the page with the error. */
static int
submit(struct req *r, const PGresult *v, struct form *f)
{
	struct identity	 who;
	const char		*slot, *person;
	const struct outcome	*o;
	PGresult		*res;

	if ((slot = form_get(f, F_SLOT, 1)) == NULL)
		return render(r, v, f);
	if (applicant(r, f, v, &who) == -1)
		return render(r, v, f);
	if ((person = identity_json(r->arena, &who)) == NULL)
		return -1;
	if ((res = db_exec(r, S_COURT_BOOK, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }, { "injunction_id", r->args[1] },
	    { "slot_id", slot }, { "identity", person }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_COURT_BOOK, res, OUTCOMES(book_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_AGENT_COURT_ITEM,
		    r->args[0], r->args[1]));
	return outcome_refuse(r, f, o) ? 0 : render(r, v, f);
}

/* Answers one injunction (GET) or its booking (POST). */
int
page_agent_court_item(struct req *r)
{
	struct form	 f;
	PGresult	*s, *v;

	if (staff_require(r, ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	if (r->method == M_POST && !staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if ((s = db_exec(r, S_STAFF_SITE_ACCESS, DB_ARGS(
	    { "account", r->staff->id }, { "site_slug", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(s) == 0)
		return resp_error(r, 404, N_("This site does not exist."));
	if (strcmp(db_get(s, 0, "allowed"), "t") != 0)
		return staff_site_refuse(r, db_get(s, 0, "site_id"));
	if ((v = db_exec(r, S_COURT_VIEW, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] },
	    { "injunction_id", r->args[1] }))) == NULL)
		return db_fail(r);
	if (PQntuples(v) != 1)
		return resp_error(r, 404, N_("This injunction does not exist."));
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, v, &f);
	return submit(r, v, &f);
}
