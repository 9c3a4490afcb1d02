/* GET and POST /agent/site/<site>/phone/<slot>: an agent books one time
 * for a person who phones or comes to the desk (issue 12). The same
 * identity fields and rules as every form that books (identity_read:
 * surname, given names, date of birth, AGDREF number when the procedure
 * needs it; e-mail and phone optional; the language the person reads,
 * used for the printout and the messages). The booking takes a place of
 * the counter's share and is confirmed at once, in one SQL call
 * (counter_book: creneau_staff_booking, the one booking path; audited),
 * and the answer is 303 to the booking's page; or the form again with
 * its errors. The form token's id keys the booking: a POST sent again
 * books once. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "counter.h"
#include "db.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "identity.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "secret.h"
#include "staff.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = {
	"surname", "given_names", "birth_day", "birth_month", "birth_year",
	"email", "phone", "lang", "agdref", NULL
};

/* The scope of this form's tokens: the slot's id plus a large offset,
 * negated, so that neither the public form nor the mediator's form of
 * the same slot gives a token accepted here. */
static long long
scope_of(struct req *r)
{
	return -(strtoll(r->args[1], NULL, 10) + 4000000000000000000LL);
}

/* Renders the form for slot row sl (S_COUNTER_PHONE_SLOT) with f's values
 * and errors; answers 200. */
static int
render(struct req *r, const struct counter_site *s, const PGresult *sl,
    struct form *f)
{
	struct tpl	*t;
	const char	*when;

	if ((t = tpl_page(r, "agent_phone_book")) == NULL)
		return -1;
	when = fmt_datetime(r->arena, db_get(sl, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", db_get(sl, 0, "procedure_name"),
	    s->name));
	counter_nav(r, t, s);
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(sl, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "slot-when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(sl, 0, "address"), db_get(sl, 0, "postal_code"),
	    db_get(sl, 0, "city")));
	tpl_lang(r, tpl_get(t, NULL, "site-address"), "fr");
	tpl_attr(tpl_get(t, NULL, "other-times"), "href", arena_printf(r->arena,
	    "%s?procedure=%s", route_url(r, R_AGENT_PHONE, s->slug, NULL),
	    db_get(sl, 0, "procedure_code")));
	if (strcmp(db_get(sl, 0, "available"), "t") != 0 && r->method != M_POST) {
		tpl_remove(tpl_get(t, NULL, "form"));
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "unavailable"));
	if (strcmp(db_get(sl, 0, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "group-agdref"));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_PHONE_BOOK, s->slug, slot_ref(r->arena, r->args[1])));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "token"), "value",
	    token_issue(r->arena, scope_of(r)));
	tpl_languages(r, t, "lang-option", NULL, NULL);
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), "fr");
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* What counter_book answers (forbidden, token_used, phone_cap, agdref_*
 * as every channel: outcome.c). */
static const struct outcome book_outcomes[] = {
	{ "booked", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "replayed", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "slot_unavailable", OUT_FIELD, NULL,
	    N_("This time has no place left among those set aside for the counter and the phone. Choose another time."),
	    0, OUT_NO_ARG },
	{ "identity_active", OUT_FIELD, NULL,
	    N_("This person already has an appointment for this procedure, booked online or by someone else. A second one cannot be made: find it with the search page to move or cancel it."),
	    0, OUT_NO_ARG },
};

/* Answers the form (GET) or its submission (POST). */
int
page_agent_phone_book(struct req *r)
{
	struct counter_site	 s;
	struct identity		 who;
	struct form		 f;
	const struct outcome	*o;
	PGresult		*sl, *res;
	const char		*person;
	char			 idem[33];

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	if (r->method == M_POST && !staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if ((sl = db_exec(r, S_COUNTER_PHONE_SLOT, DB_ARGS(
	    { "slot_id", r->args[1] }, { "site_id", s.id }))) == NULL)
		return db_fail(r);
	if (PQntuples(sl) == 0)
		return resp_error(r, 404, N_("This time does not exist at this site. Choose a time from the list."));
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &s, sl, &f);
	memset(&who, 0, sizeof(who));
	switch (token_check(params_get(&r->form, "token"), scope_of(r), 0,
	    r->conf->form_max_seconds, idem)) {
	case TOKEN_OK:
	case TOKEN_TOO_FAST:
		break;
	case TOKEN_EXPIRED:
		form_error(&f, NULL, _("The form has expired. Check the details, then send it again."));
		break;
	default:
		form_error(&f, NULL, _("The form could not be checked. Check the details, then send it again."));
		break;
	}
	identity_read(&f, IDENTITY_EMAIL | (strcmp(db_get(sl, 0,
	    "requires_agdref"), "t") == 0 ? IDENTITY_AGDREF : 0), &who);
	if (f.nerrors > 0)
		return render(r, &s, sl, &f);
	if ((person = identity_json(r->arena, &who)) == NULL)
		return -1;
	if ((res = db_exec(r, S_COUNTER_BOOK, DB_ARGS(
	    { "account", r->staff->id }, { "site_id", s.id },
	    { "slot_id", r->args[1] }, { "identity", person },
	    { "idempotency_key", arena_printf(r->arena, "counter:%s", idem) },
	    { "max_per_phone", arena_printf(r->arena, "%d",
	    r->conf->max_per_phone) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_COUNTER_BOOK, res, OUTCOMES(book_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_AGENT_BOOKING, s.slug,
		    db_get(res, 0, "booking_id")));
	return outcome_refuse(r, &f, o) ? 0 : render(r, &s, sl, &f);
}
