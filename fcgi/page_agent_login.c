/* GET and POST /agent/login: staff log in with their e-mail and password
 * (argon2id, libsodium). Failures are throttled per account and per
 * address with growing waits (staff_login_failed in SQL); a success opens
 * a new server-side session behind a __Host- cookie (Secure, HttpOnly,
 * SameSite=Strict) and answers 303 to /agent. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "db.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

#define SESSION_HOURS	12

static const char *const form_fields[] = { "email", NULL };

/* Renders the login form with f's errors (never the password again). */
static int
render(struct req *r, struct form *f)
{
	struct tpl	*t;

	if ((t = tpl_page(r, "agent_login")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Staff login")));
	tpl_attr(tpl_get(t, NULL, "token"), "value", token_issue(r->arena, 0));
	if (params_get(&r->query, "m") == NULL ||
	    strcmp(params_get(&r->query, "m"), "out") != 0)
		tpl_remove(tpl_get(t, NULL, "logged-out"));
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Answers the wait message of a throttled login. */
static int
throttled(struct req *r, struct form *f, int wait)
{
	int	 minutes = (wait + 59) / 60;

	form_error(f, NULL, arena_printf(r->arena, ngettext(
	    "Too many failed attempts. Wait %d minute before trying again.",
	    "Too many failed attempts. Wait %d minutes before trying again.",
	    minutes), minutes));
	return render(r, f);
}

/* Checks the password and opens the session; returns 303 or re-renders. */
static int
login(struct req *r, struct form *f, const char *email, const char *password)
{
	/* Verified when the account is unknown, so both cases take as long. */
	static char	 dummy[crypto_pwhash_STRBYTES];
	const char	*p[4], *addr = staff_client_key(r);
	char		*token, *csrf;
	PGresult	*res;
	int		 ok;

	if (*dummy == '\0' && crypto_pwhash_str(dummy, "not a password",
	    14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	p[0] = email;
	p[1] = addr;
	if ((res = db_exec(r, S_STAFF_LOGIN_BEGIN, p)) == NULL)
		return db_fail(r);
	if (atoi(db_value(res, 0, 2)) > 0)
		return throttled(r, f, atoi(db_value(res, 0, 2)));
	ok = *db_value(res, 0, 0) != '\0' && crypto_pwhash_str_verify(
	    db_value(res, 0, 1), password, strlen(password)) == 0;
	if (!ok) {
		if (*db_value(res, 0, 0) == '\0' &&
		    crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
			return -1;	/* cannot happen: the dummy matches nothing */
		if ((res = db_exec(r, S_STAFF_LOGIN_FAILED, p)) == NULL)
			return db_fail(r);
		if (atoi(db_value(res, 0, 0)) > 0)
			return throttled(r, f, atoi(db_value(res, 0, 0)));
		form_error(f, "email", _("This e-mail address and password do not match an account."));
		return render(r, f);
	}
	if ((token = random_token(r->arena)) == NULL ||
	    (csrf = random_token(r->arena)) == NULL)
		return -1;
	p[0] = db_value(res, 0, 0);
	p[1] = token;
	p[2] = csrf;
	p[3] = arena_printf(r->arena, "%d", SESSION_HOURS);
	if (db_exec(r, S_STAFF_LOGIN_SUCCEEDED, p) == NULL)
		return db_fail(r);
	resp_header(r, "Set-Cookie", arena_printf(r->arena,
	    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict", STAFF_COOKIE, token));
	return resp_redirect(r, "/agent");
}

/* Answers the login form, or checks it. */
int
page_agent_login(struct req *r)
{
	struct form	 f;
	const char	*email, *password;
	char		 id[33];

	resp_header(r, "Cache-Control", "no-store");
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &f);
	if (token_check(params_get(&r->form, "token"), 0, 0, 3600, id) != TOKEN_OK) {
		form_error(&f, NULL, _("The form has expired. Type your e-mail address and password again."));
		return render(r, &f);
	}
	email = form_get(&f, F_STAFF_EMAIL, 1);
	password = params_get(&r->form, "password");
	if (password == NULL || *password == '\0') {
		form_error(&f, "password", _("Enter your password."));
		password = NULL;
	}
	if (email == NULL || password == NULL)
		return render(r, &f);
	return login(r, &f, email, password);
}
