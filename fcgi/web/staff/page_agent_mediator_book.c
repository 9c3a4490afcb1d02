/* GET and POST /agent/mediator/slot/<slot>: a mediator books one time for
 * an applicant without e-mail. The same identity fields and rules as the
 * public form (surname, given names, date of birth, AGDREF number when
 * the procedure needs it; phone optional, no e-mail); the booking is
 * confirmed at once within the organisation's monthly quota, in one SQL
 * call (mediator_book, audited), and the answer is 303 to the printable
 * confirmation; or the form again with its errors. */
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
#include "form.h"
#include "formtoken.h"
#include "i18n.h"
#include "identity.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = {
	"surname", "given_names", "birth_day", "birth_month", "birth_year",
	"phone", "lang", "agdref", NULL
};

/* Values of a valid submission. */
struct mediator_input {
	struct identity	 who;
	char		 idem[33];
};

/* The scope of this form's tokens: negative, so a token of the public
 * form of the same slot is refused here. */
static long long
scope_of(struct req *r)
{
	return -strtoll(r->args[0], NULL, 10);
}

/* Renders the form for slot row s (S_MEDIATOR_SLOT) with f's values and
 * errors; answers 200. */
static int
render(struct req *r, const PGresult *s, struct form *f)
{
	struct tpl	*t;
	const char	*when;

	if ((t = tpl_page(r, "agent_mediator_book")) == NULL)
		return -1;
	when = fmt_datetime(r->arena, db_get(s, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", db_get(s, 0, "procedure_name"),
	    db_get(s, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(s, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "slot-when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(s, 0, "site_name"));
	tpl_text(tpl_get(t, NULL, "site-address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(s, 0, "address"), db_get(s, 0, "postal_code"), db_get(s, 0, "city")));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-address"), "fr");
	tpl_attr(tpl_get(t, NULL, "other-times"), "href", route_url(r,
	    R_AGENT_MEDIATOR_TIMES, db_get(s, 0, "site_slug"), db_get(s, 0,
	    "procedure_code")));
	if (strcmp(db_get(s, 0, "available"), "t") != 0 && r->method != M_POST) {
		tpl_remove(tpl_get(t, NULL, "form"));
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "unavailable"));
	if (strcmp(db_get(s, 0, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "group-agdref"));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_MEDIATOR_BOOK, slot_ref(r->arena, r->args[0]),
	    NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	tpl_attr(tpl_get(t, NULL, "token"), "value",
	    token_issue(r->arena, scope_of(r)));
	tpl_languages(r, t, "lang-option", NULL, NULL);
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), r->lang);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Reads and validates the fields and the form token (whose id keys the
 * booking, so a form sent twice books once); 0 when all are right. */
static int
read_fields(struct req *r, struct form *f, const PGresult *s,
    struct mediator_input *in)
{
	size_t	 before = f->nerrors;

	switch (token_check(params_get(&r->form, "token"), scope_of(r), 0,
	    r->conf->form_max_seconds, in->idem)) {
	case TOKEN_OK:
	case TOKEN_TOO_FAST:
		ftoken_test_reuse(r, in->idem);	/* test builds only */
		break;
	case TOKEN_EXPIRED:
		form_error(f, NULL, _("The form has expired. Check the details, then send it again."));
		break;
	default:
		form_error(f, NULL, _("The form could not be checked. Check the details, then send it again."));
		break;
	}
	identity_read(f, strcmp(db_get(s, 0, "requires_agdref"), "t") == 0 ?
	    IDENTITY_AGDREF : 0, &in->who);
	return f->nerrors > before ? -1 : 0;
}

/* What mediator_book answers (token_used and contact_required as every
 * channel: outcome.c; the others worded for the mediator). */
static const struct outcome book_outcomes[] = {
	{ "booked", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "replayed", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not give access to this page."), 403,
	    OUT_NO_ARG },
	{ "quota_reached", OUT_FIELD, NULL,
	    N_("Your organisation has used its quota of bookings for this month. No booking was made. New bookings are possible from the first day of next month."),
	    0, OUT_NO_ARG },
	{ "slot_unavailable", OUT_FIELD, NULL,
	    N_("This time has just been taken or is no longer offered. Choose another time."),
	    0, OUT_NO_ARG },
	{ "identity_active", OUT_FIELD, NULL,
	    N_("This person already has an appointment for this procedure, booked online or by someone else. A second one cannot be made. With the reference and the date of birth, the person can move or cancel it on the page “Manage my appointment”."),
	    0, OUT_NO_ARG },
	{ "phone_cap", OUT_FIELD, "phone",
	    N_("This phone number already has %d appointments in progress, the most allowed. Give another number, or none."),
	    0, OUT_MAX_PER_PHONE },
	{ "agdref_required", OUT_FIELD, "agdref",
	    N_("This procedure needs the AGDREF number of the residence permit."),
	    0, OUT_NO_ARG },
	{ "agdref_unknown", OUT_FIELD, "agdref",
	    N_("This AGDREF number is not known. Check the 10 digits on the residence permit."),
	    0, OUT_NO_ARG },
};

/* Books the slot; 303 to the confirmation, or the form with a message. */
static int
submit(struct req *r, const PGresult *s, struct form *f,
    struct mediator_input *in)
{
	const char		*person;
	const struct outcome	*o;
	PGresult		*res;

	if ((person = identity_json(r->arena, &in->who)) == NULL)
		return -1;
	if ((res = db_exec(r, S_MEDIATOR_BOOK, DB_ARGS(
	    { "account", r->staff->id }, { "slot_id", r->args[0] },
	    { "identity", person },
	    { "idempotency_key", arena_printf(r->arena, "mediator:%s",
	    in->idem) },
	    { "max_per_phone", arena_printf(r->arena, "%d",
	    r->conf->max_per_phone) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_MEDIATOR_BOOK, res, OUTCOMES(book_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_AGENT_MEDIATOR_BOOKING,
		    db_get(res, 0, "booking_id"), NULL));
	return outcome_refuse(r, f, o) ? 0 : render(r, s, f);
}

/* Answers the form (GET) or its submission (POST). */
int
page_agent_mediator_book(struct req *r)
{
	struct mediator_input	 in;
	struct form		 f;
	PGresult		*s;

	if (staff_require(r, ROLE_MEDIATOR) != 0)
		return 0;
	if (r->method == M_POST && !staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if ((s = db_exec(r, S_MEDIATOR_SLOT,
	    DB_ARGS({ "slot_id", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(s) == 0)
		return resp_error(r, 404, N_("This time does not exist. Choose a time from the list."));
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, s, &f);
	memset(&in, 0, sizeof(in));
	if (read_fields(r, &f, s, &in) == -1 || f.nerrors > 0)
		return render(r, s, &f);
	return submit(r, s, &f, &in);
}
