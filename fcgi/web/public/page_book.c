/* GET and POST /book/<slot>: the booking form of one time. POST checks
 * the signed form token (minimum fill time, expiry), the honeypot and
 * every field, then holds the slot in one SQL call (booking_hold) and
 * answers 303 to the booking's secret page, where the code sent by
 * e-mail or SMS confirms it; or re-renders the form with its errors. */
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
#include "waitroom.h"

static const char *const form_fields[] = {
	"surname", "given_names", "birth_day", "birth_month", "birth_year",
	"email", "phone", "lang", "agdref", NULL
};

/* Values of a valid submission. */
struct booking_input {
	struct identity	 who;
	char		 idem[33];
};

/* The posted token when it was right (this browser's, live, not too
 * fast, in the first half of its life): a form sent back with errors
 * keeps it rather than take one more of the browser's few live tokens.
 * Reset by each request. */
static const char *posted_token;

/* Renders the form page for slot row s (S_SLOT), with f's values and
 * errors, and answers 200. */
static int
render(struct req *r, const PGresult *s, struct form *f)
{
	struct tpl	*t;
	const char	*when;
	char		*token = NULL;
	int		 limited = 0;

	/* The token first: one address opening too many forms gets the
	 * 429 page, or, after a POST, its form back with a message. */
	if (strcmp(db_get(s, 0, "available"), "t") == 0 && posted_token != NULL)
		token = arena_strdup(r->arena, posted_token);
	else if (strcmp(db_get(s, 0, "available"), "t") == 0 &&
	    (token = ftoken_issue(r, strtoll(r->args[0], NULL, 10),
	    &limited)) == NULL && limited) {
		if (r->method != M_POST)
			return ftoken_refuse(r);
		form_error(f, NULL, _("Too many forms were opened from your network in the last minute. Wait a minute, then send the form again."));
	}
	if ((t = tpl_page(r, "book")) == NULL)
		return -1;
	when = fmt_datetime(r->arena, db_get(s, 0, "starts_local"));
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", db_get(s, 0, "procedure_name"),
	    db_get(s, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(s, 0, "procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(s, 0, "lang"));
	tpl_text(tpl_get(t, NULL, "slot-when"), when != NULL ? when : "");
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(s, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	tpl_lang(r, tpl_get(t, NULL, "site-address"), "fr");
	tpl_text(tpl_get(t, NULL, "site-address"), arena_printf(r->arena,
	    "%s, %s %s", db_get(s, 0, "address"), db_get(s, 0, "postal_code"), db_get(s, 0, "city")));
	tpl_text(tpl_get(t, NULL, "slot-duration"),
	    fmt_duration(r->arena, atoi(db_get(s, 0, "duration_minutes"))));
	tpl_attr(tpl_get(t, NULL, "other-times"), "href", route_url(r,
	    R_PROCEDURE, db_get(s, 0, "site_slug"), db_get(s, 0,
	    "procedure_code")));
	if (strcmp(db_get(s, 0, "available"), "t") != 0) {
		tpl_remove(tpl_get(t, NULL, "form"));
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "unavailable"));
	if (strcmp(db_get(s, 0, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "group-agdref"));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_BOOK, slot_ref(r->arena, r->args[0]), NULL));
	tpl_attr(tpl_get(t, NULL, "token"), "value", token != NULL ? token : "");
	tpl_text(tpl_get(t, NULL, "hold-minutes"), arena_printf(r->arena,
	    ngettext("After you send this form, the time is held for you for %d minute while you confirm it with the code we send you.",
	    "After you send this form, the time is held for you for %d minutes while you confirm it with the code we send you.",
	    r->conf->hold_minutes), r->conf->hold_minutes));
	tpl_languages(r, t, "lang-option", NULL, NULL);
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), r->lang);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Checks the token and honeypot (formtoken.c); a young token is kept for
 * the form sent back with errors. */
static void
check_token(struct req *r, struct form *f, struct booking_input *in)
{
	if (ftoken_form_check(r, f, strtoll(r->args[0], NULL, 10), in->idem))
		posted_token = params_get(&r->form, "token");
}

/* What booking_hold answers (besides the refusals every channel shares:
 * outcome.c). */
static const struct outcome hold_outcomes[] = {
	{ "held", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "replayed", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "slot_unavailable", OUT_FIELD, NULL,
	    N_("This time has just been taken or is no longer offered. Choose another time."),
	    0, OUT_NO_ARG },
	{ "identity_active", OUT_FIELD, NULL,
	    N_("You already have an appointment for this procedure. You can move it to another time or cancel it with the link we sent you, or from the page “Manage my appointment”."),
	    0, OUT_NO_ARG },
};

/* Counts the attempt against the rate limits (schema/014, on the keyed
 * digests of 016); returns 1 and records the message when one refuses
 * it, 0 when it may go on, -1 when the database failed. */
static int
rate_limited(struct req *r, struct form *f, const char *person,
    const char *idem)
{
	const char	*scope;
	PGresult	*res;

	if ((res = db_exec(r, S_BOOKING_RATE_CHECK, DB_ARGS(
	    { "slot_id", r->args[0] }, { "identity", person },
	    { "address", staff_client_key(r) }, { "form_id", idem }))) == NULL)
		return -1;
	scope = PQntuples(res) > 0 ? db_get(res, 0, "refused_scope") : "";
	if (*scope == '\0')
		return 0;
	if (strcmp(scope, "identity") == 0)
		form_error(f, NULL, _("Too many appointments have been made for this person in the last day. Try again tomorrow, or contact the prefecture: its phone number is on the site's page."));
	else if (strcmp(scope, "email") == 0)
		form_error(f, "email", _("Too many forms were sent with this e-mail address in the last few minutes. Wait ten minutes, then send the form again."));
	else if (strcmp(scope, "phone") == 0)
		form_error(f, "phone", _("Too many forms were sent with this phone number in the last few minutes. Wait ten minutes, then send the form again."));
	else if (strcmp(scope, "live_email") == 0)
		form_error(f, "email", _("A time booked with this e-mail address is still waiting for its code. Type the code we sent to confirm it, or cancel it, then send this form again."));
	else if (strcmp(scope, "live_phone") == 0)
		form_error(f, "phone", _("A time booked with this phone number is still waiting for its code. Type the code we sent to confirm it, or cancel it, then send this form again."));
	else if (strcmp(scope, "live_address") == 0)
		form_error(f, NULL, _("Too many times booked from your network are waiting for their code. Confirm yours with the code we sent, or wait a few minutes, then send the form again."));
	else
		form_error(f, NULL, _("Too many appointments were requested from your network in the last few minutes. Wait ten minutes, then send the form again."));
	return 1;
}

/* What booking_agdref_check answers besides agdref_unknown (outcome.c). */
static const struct outcome agdref_outcomes[] = {
	{ "agdref_known", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "not_needed", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	/* Over the address's limit: the number is not looked up; the form
	 * sent right meets the same limit with its own message. */
	{ "rate_limited", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
};

/* When the form has other errors, says in the same round whether its
 * well-formed AGDREF number is known, rather than only once the rest is
 * right (issue 12). Not when the form itself was refused (token, honeypot:
 * each check costs a fresh form, as a booking does), and counted in SQL as
 * a booking attempt of the address, so wrong forms are no faster an oracle
 * of numbers than right ones. Returns -1 when the database failed. */
static int
agdref_early(struct req *r, const PGresult *s, struct form *f,
    const struct booking_input *in)
{
	const struct outcome	*o;
	PGresult		*res;
	size_t			 i;

	if (strcmp(db_get(s, 0, "requires_agdref"), "t") != 0 ||
	    in->who.agdref == NULL || *in->who.agdref == '\0')
		return 0;
	for (i = 0; i < f->nerrors; i++)
		if (f->errors[i].field == NULL ||
		    strcmp(f->errors[i].field, "agdref") == 0)
			return 0;
	if ((res = db_exec(r, S_BOOKING_AGDREF_CHECK, DB_ARGS(
	    { "slot_id", r->args[0] }, { "agdref", in->who.agdref },
	    { "address", staff_client_key(r) }))) == NULL)
		return -1;
	o = outcome_of(r, S_BOOKING_AGDREF_CHECK, res, OUTCOMES(agdref_outcomes));
	if (o->act != OUT_DONE)
		(void)outcome_refuse(r, f, o);
	return 0;
}

/* Holds the slot; returns 303 on success, re-renders on refusal. */
static int
submit(struct req *r, const PGresult *s, struct form *f,
    struct booking_input *in)
{
	const char	*person;
	char		 code[7], *token;
	PGresult	*res;
	const struct outcome	*o;

	if ((person = identity_json(r->arena, &in->who)) == NULL)
		return -1;
	switch (rate_limited(r, f, person, in->idem)) {
	case 0:
		break;
	case 1:
		return render(r, s, f);
	default:
		return db_fail(r);
	}
	random_code(code);
	if ((token = random_token(r->arena)) == NULL)
		return -1;
	if ((res = db_exec(r, S_BOOKING_HOLD, DB_ARGS(
	    { "slot_id", r->args[0] },
	    { "identity", person },
	    { "idempotency_key", in->idem },
	    { "token", token },
	    { "code", code },
	    { "hold_minutes", arena_printf(r->arena, "%d", r->conf->hold_minutes) },
	    { "max_per_email", arena_printf(r->arena, "%d",
	    r->conf->max_per_email) },
	    { "max_per_phone", arena_printf(r->arena, "%d",
	    r->conf->max_per_phone) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_BOOKING_HOLD, res, OUTCOMES(hold_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_BOOKING, token, NULL));
	/* Refused: no longer a hold on its way for the live-hold limits (if
	 * this fails, the form only counts a few seconds longer). */
	(void)db_exec(r, S_BOOKING_RATE_FORGET, DB_ARGS({ "form_id", in->idem }));
	return outcome_refuse(r, f, o) ? 0 : render(r, s, f);
}

/* Answers the booking form (GET) or its submission (POST). */
int
page_book(struct req *r)
{
	struct booking_input	 in;
	struct form		 f;
	PGresult		*s;

	posted_token = NULL;
	switch (waitroom_gate_slot(r, r->args[0])) {
	case 0:
		break;
	case 1:
		return 0;
	default:
		return -1;
	}
	resp_header(r, "Cache-Control", "no-store");
	if ((s = db_exec(r, S_SLOT, DB_ARGS({ "slot_id", r->args[0] },
	    { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(s) == 0)
		return resp_error(r, 404, N_("This time does not exist. Choose a time from the procedure's calendar."));
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, s, &f);
	/* No check of availability here: a form sent again must reach
	 * booking_hold, which answers with the booking it already made. */
	memset(&in, 0, sizeof(in));
	check_token(r, &f, &in);
	if (identity_read(&f, IDENTITY_PUBLIC(db_get(s, 0, "requires_agdref")),
	    &in.who) == -1 || f.nerrors > 0) {
		if (agdref_early(r, s, &f, &in) == -1)
			return db_fail(r);
		return render(r, s, &f);
	}
	return submit(r, s, &f, &in);
}
