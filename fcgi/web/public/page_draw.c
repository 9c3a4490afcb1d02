/* GET and POST /site/<site>/<procedure>/draw: the draw of a procedure
 * allocated by draw at a site: its window, places, the commitment of its
 * seed, and, while registration is open, the registration form (signed
 * single-use token, honeypot, minimum fill time, the same identity and
 * contact fields as booking). POST registers in one SQL call
 * (draw_register) and answers 303 to the entry's secret page, where the
 * code sent by e-mail or SMS verifies it; or re-renders with errors. */
#include "config.h"

#include <arpa/inet.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

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

/* Form tokens of draws are scoped apart from those of slots. */
#define DRAW_SCOPE	(1LL << 40)

static const char *const form_fields[] = {
	"surname", "given_names", "birth_day", "birth_month", "birth_year",
	"email", "phone", "lang", "agdref", NULL
};

struct entry_input {
	struct identity	 who;
	char		 idem[33];
};

/* Returns a keyed digest of the client's network: its /24 for IPv4, its
 * /64 for IPv6 (never the address itself), or NULL when unknown. */
static const char *
network_digest(struct req *r)
{
	const char	*addr = NULL;
	unsigned char	 b[16];
	char		 prefix[64];

	if (r->fcgx != NULL)
		addr = FCGX_GetParam("REMOTE_ADDR", r->fcgx->envp);
	if (addr == NULL)
		return NULL;
	if (inet_pton(AF_INET, addr, b) == 1)
		snprintf(prefix, sizeof(prefix), "4:%u.%u.%u", b[0], b[1], b[2]);
	else if (inet_pton(AF_INET6, addr, b) == 1)
		snprintf(prefix, sizeof(prefix),
		    "6:%02x%02x:%02x%02x:%02x%02x:%02x%02x",
		    b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]);
	else
		return NULL;
	return secret_digest(r->arena, "network prefix", prefix);
}

/* Fills the facts of the draw d (row 0 of S_DRAW_PAGE). */
static void
facts(struct req *r, struct tpl *t, const PGresult *d)
{
	const char	*id = db_get(d, 0, "id");

	tpl_text(tpl_get(t, NULL, "opens"), fmt_datetime(r->arena, db_get(d, 0, "opens")));
	tpl_text(tpl_get(t, NULL, "closes"), fmt_datetime(r->arena, db_get(d, 0, "closes")));
	tpl_text(tpl_get(t, NULL, "draw-at"), fmt_datetime(r->arena, db_get(d, 0, "draw_at")));
	tpl_text(tpl_get(t, NULL, "places"), db_get(d, 0, "places"));
	tpl_text(tpl_get(t, NULL, "offer-hours"), arena_printf(r->arena,
	    ngettext("%d hour", "%d hours", atoi(db_get(d, 0, "offer_hours"))),
	    atoi(db_get(d, 0, "offer_hours"))));
	tpl_text(tpl_get(t, NULL, "commitment"), db_get(d, 0, "commitment"));
	tpl_attr(tpl_get(t, NULL, "public-link"), "href",
	    route_url(r, R_DRAW_PUBLIC, id, NULL));
}

/* Renders the page for the procedure row p and draw row d (or none). */
static int
render(struct req *r, const PGresult *p, const PGresult *d, struct form *f)
{
	struct tpl	*t;
	char		*token;
	int		 limited;

	if ((t = tpl_page(r, "draw")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", db_get(p, 0, "procedure_name"),
	    db_get(p, 0, "site_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(p, 0, "procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(p, 0, "lang"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(p, 0, "site_name"));
	tpl_attr(tpl_get(t, NULL, "procedure-link"), "href", route_url(r,
	    R_PROCEDURE, r->args[0], r->args[1]));
	if (d == NULL || PQntuples(d) == 0) {
		tpl_remove(tpl_get(t, NULL, "draw"));
		tpl_remove(tpl_get(t, NULL, "form"));
		tpl_remove(tpl_get(t, NULL, "errors"));
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "no-draw"));
	facts(r, t, d);
	if (strcmp(db_get(d, 0, "registration_open"), "t") != 0) {
		tpl_remove(tpl_get(t, NULL, "form"));
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "closed"));
	if (strcmp(db_get(d, 0, "requires_agdref"), "t") != 0)
		tpl_remove(tpl_get(t, NULL, "group-agdref"));
	tpl_attr(tpl_get(t, NULL, "form"), "action", route_url(r, R_DRAW,
	    r->args[0], r->args[1]));
	if ((token = ftoken_issue(r, DRAW_SCOPE + strtoll(db_get(d, 0, "id"),
	    NULL, 10), &limited)) == NULL && limited && r->method != M_POST)
		return ftoken_refuse(r);
	tpl_attr(tpl_get(t, NULL, "token"), "value", token != NULL ? token : "");
	tpl_languages(r, t, "lang-option", NULL, NULL);
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), r->lang);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Checks the token and honeypot, as every public form does
 * (formtoken.c). */
static void
check_token(struct req *r, struct form *f, const PGresult *d,
    struct entry_input *in)
{
	(void)ftoken_form_check(r, f, DRAW_SCOPE +
	    strtoll(db_get(d, 0, "id"), NULL, 10), in->idem);
}

/* What draw_register answers (besides the refusals every channel
 * shares: outcome.c). */
static const struct outcome register_outcomes[] = {
	{ "registered", OUT_DONE, NULL, NULL, 0, OUT_NO_ARG },
	{ "replayed", OUT_FIELD, NULL,
	    N_("This form was already sent: it cannot be used twice. If you registered, use the link in the message we sent you. Otherwise, reload the page and fill in the new form."),
	    0, OUT_NO_ARG },
	{ "already_registered", OUT_FIELD, NULL,
	    N_("This person is already registered for this draw. One registration per person: use the link in the message we sent you to follow it."),
	    0, OUT_NO_ARG },
	{ "already_entered", OUT_FIELD, NULL,
	    N_("This person already has an entry for this procedure that is still waiting: it takes part in the next allocation. One entry per person."),
	    0, OUT_NO_ARG },
	{ "identity_active", OUT_FIELD, NULL,
	    N_("You already have an appointment for this procedure. You can manage it with the link we sent you, or from the page “Manage my appointment”."),
	    0, OUT_NO_ARG },
	{ "closed", OUT_FIELD, NULL,
	    N_("Registration for this draw is closed."), 0, OUT_NO_ARG },
	{ "not_found", OUT_FIELD, NULL,
	    N_("Your registration could not be recorded. Try again."),
	    0, OUT_NO_ARG },
};

/* Registers; 303 to the entry's page, or re-renders with the refusal. */
static int
submit(struct req *r, const PGresult *p, const PGresult *d, struct form *f,
    struct entry_input *in)
{
	const char	*person;
	const struct outcome	*o;
	char		 code[7], *token;
	PGresult	*res;

	random_code(code);
	if ((token = random_token(r->arena)) == NULL)
		return -1;
	if ((person = identity_json(r->arena, &in->who)) == NULL)
		return -1;
	/* Brakes per e-mail, phone and address (rate_limit_rules), counted
	 * on keyed digests in one statement before the registration; a
	 * shared address is allowed a great many. */
	if ((res = db_exec(r, S_DRAW_RATE_CHECK, DB_ARGS({ "identity", person },
	    { "address", staff_client_key(r) }))) == NULL)
		return db_fail(r);
	if (*db_get(res, 0, "refused_scope") != '\0') {
		form_error(f, strcmp(db_get(res, 0, "refused_scope"), "phone") == 0 ? "phone" :
		    strcmp(db_get(res, 0, "refused_scope"), "email") == 0 ? "email" : NULL,
		    _("Too many registrations were sent from here in the last few minutes. Wait ten minutes, then send the form again."));
		return render(r, p, d, f);
	}
	if ((res = db_exec(r, S_DRAW_REGISTER, DB_ARGS(
	    { "draw_id", db_get(d, 0, "id") }, { "identity", person },
	    { "idempotency_key", in->idem }, { "token", token },
	    { "code", code }, { "network", network_digest(r) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_DRAW_REGISTER, res, OUTCOMES(register_outcomes));
	if (o->act == OUT_DONE)
		return resp_redirect(r, route_url(r, R_DRAW_ENTRY, token,
		    NULL));
	return outcome_refuse(r, f, o) ? 0 : render(r, p, d, f);
}

/* Answers the draw page (GET) or a registration (POST). */
int
page_draw(struct req *r)
{
	struct entry_input	 in;
	struct form		 f;
	PGresult		*p, *d;

	resp_header(r, "Cache-Control", "no-store");
	if ((p = db_exec(r, S_DRAW_PROCEDURE, DB_ARGS({ "site_slug", r->args[0] },
	    { "procedure_code", r->args[1] }, { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(p) == 0)
		return resp_error(r, 404, N_("This procedure is not offered at this site."));
	if ((d = db_exec(r, S_DRAW_PAGE, DB_ARGS(
	    { "site_id", db_get(p, 0, "site_id") },
	    { "procedure_id", db_get(p, 0, "procedure_id") }))) == NULL)
		return db_fail(r);
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, p, d, &f);
	if (PQntuples(d) == 0 || strcmp(db_get(d, 0, "registration_open"), "t") != 0) {
		form_error(&f, NULL, _("Registration for this draw is closed."));
		return render(r, p, d, &f);
	}
	memset(&in, 0, sizeof(in));
	check_token(r, &f, d, &in);
	if (identity_read(&f, IDENTITY_PUBLIC(db_get(d, 0, "requires_agdref")),
	    &in.who) == -1 || f.nerrors > 0)
		return render(r, p, d, &f);
	return submit(r, p, d, &f, &in);
}
