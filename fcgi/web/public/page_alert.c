/* GET and POST /site/<site>/<procedure>/alert: subscribe to the alerts of
 * a procedure at a site (new slots published). The form asks for an
 * e-mail address and/or a mobile phone and the language of the messages;
 * like the booking form it carries a signed, expiring form token (with a
 * minimum fill time) and a honeypot. POST subscribes (alert_subscribe:
 * one subscription per contact, each confirmed by a link we send: double
 * opt-in) and answers 303 to ?m=sent, or re-renders with errors. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "form.h"
#include "formtoken.h"
#include "i18n.h"
#include "identity.h"
#include "req.h"
#include "outcome.h"
#include "response.h"
#include "secret.h"
#include "template.h"

static const char *const form_fields[] = { "email", "phone", "lang", NULL };

/* The form token's scope: this site and procedure, kept apart from slot
 * ids (positive) by the sign. */
static long long
scope(const PGresult *sp)
{
	return -(strtoll(db_get(sp, 0, "site_id"), NULL, 10) * 1000003LL +
	    strtoll(db_get(sp, 0, "procedure_id"), NULL, 10));
}

/* Renders the page (form, or the "check your messages" notice after a
 * subscription) and answers 200. */
static int
render(struct req *r, const PGresult *sp, struct form *f, int sent)
{
	struct tpl	*t;
	char		*token;
	int		 limited;

	if ((t = tpl_page(r, "alert")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", _("Alert me when appointments are published"),
	    db_get(sp, 0, "procedure_name")));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(sp, 0, "procedure_name"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(sp, 0, "site_name"));
	tpl_text(tpl_get(t, NULL, "alert-days"), arena_printf(r->arena,
	    ngettext("The alert lasts %d day. Each message has a link to renew it or to stop it.",
	    "The alert lasts %d days. Each message has a link to renew it or to stop it.",
	    r->conf->alert_days), r->conf->alert_days));
	tpl_attr(tpl_get(t, NULL, "back"), "href", route_url(r, R_PROCEDURE,
	    r->args[0], r->args[1]));
	if (sent) {
		tpl_remove(tpl_get(t, NULL, "form"));
		tpl_remove(tpl_get(t, NULL, "intro"));
		form_render(f, t, form_fields);
		return tpl_send(r, t, 200);
	}
	tpl_remove(tpl_get(t, NULL, "sent"));
	tpl_attr(tpl_get(t, NULL, "form"), "action", route_url(r, R_ALERT,
	    r->args[0], r->args[1]));
	if ((token = ftoken_issue(r, scope(sp), &limited)) == NULL && limited &&
	    r->method != M_POST)
		return ftoken_refuse(r);
	tpl_attr(tpl_get(t, NULL, "token"), "value", token != NULL ? token : "");
	if (params_get(&r->form, "lang") == NULL)
		tpl_value(tpl_get(t, NULL, "input-lang"), r->lang);
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Checks the form token and the honeypot; records a form error if wrong,
 * and the token's id (the idempotency key) in idem. */
static void
check_token(struct req *r, const PGresult *sp, struct form *f, char idem[33])
{
	const char	*website = params_get(&r->form, "website"), *m;

	/* Bound to this browser's cookie, one of its last few (formtoken.h). */
	if ((m = ftoken_message(ftoken_check(r, scope(sp), idem))) != NULL)
		form_error(f, NULL, _(m));
	if (website != NULL && *website != '\0')
		form_error(f, NULL, _("The form could not be accepted. If you are a person, leave the field about a website empty and send the form again."));
}

/* What alert_subscribe answers. */
static const struct outcome subscribe_outcomes[] = {
	{ "subscribed", OUT_DONE, "sent", NULL, 0, OUT_NO_ARG },
	{ "replayed", OUT_DONE, "sent", NULL, 0, OUT_NO_ARG },
	{ "not_offered", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
	{ "contact_required", OUT_FIELD, "email",
	    N_("Give an e-mail address or a mobile phone number, so that we can tell you."),
	    0, OUT_NO_ARG },
};

/* Answers the subscription form (GET) or subscribes (POST). */
int
page_alert(struct req *r)
{
	struct form	 f;
	PGresult	*sp, *res;
	const char	*email, *phone, *lang, *m;
	const struct outcome	*o;
	char		 idem[33];
	size_t		 mark;

	resp_header(r, "Cache-Control", "no-store");
	if ((sp = db_exec(r, S_SITE_PROCEDURE, DB_ARGS({ "site_slug", r->args[0] },
	    { "procedure_code", r->args[1] }, { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(sp) == 0)
		return resp_error(r, 404, NULL);
	form_init(&f, r);
	if (r->method != M_POST) {
		m = params_get(&r->query, "m");
		return render(r, sp, &f, m != NULL && strcmp(m, "sent") == 0);
	}
	check_token(r, sp, &f, idem);
	mark = f.nerrors;
	email = form_get(&f, F_EMAIL, 0);
	/* Alerts are sent to the number in E.164 form (identity.c). */
	if ((phone = form_get(&f, F_PHONE, 0)) != NULL)
		phone = identity_phone(&f, phone);
	if (email == NULL && phone == NULL && f.nerrors == mark)
		form_error(&f, "email", _("Give an e-mail address or a mobile phone number, so that we can tell you."));
	lang = form_get(&f, F_MSG_LANG, 1);
	if (f.nerrors > 0)
		return render(r, sp, &f, 0);
	if ((res = db_exec(r, S_ALERT_SUBSCRIBE, DB_ARGS(
	    { "site_id", db_get(sp, 0, "site_id") },
	    { "procedure_id", db_get(sp, 0, "procedure_id") },
	    { "email", email }, { "phone", phone }, { "lang", lang },
	    { "token", idem },
	    { "days", arena_printf(r->arena, "%d", r->conf->alert_days) }))) == NULL)
		return db_fail(r);
	o = outcome_of(r, S_ALERT_SUBSCRIBE, res, OUTCOMES(subscribe_outcomes));
	if (o->act != OUT_FIELD)
		return outcome_redirect(r, o,
		    route_url(r, R_ALERT, r->args[0], r->args[1]));
	outcome_refuse(r, &f, o);
	return render(r, sp, &f, 0);
}
