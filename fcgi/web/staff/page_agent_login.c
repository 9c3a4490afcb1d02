/* GET and POST /agent/login: staff log in with their e-mail and password
 * (argon2id, libsodium). The form's token is bound to the browser: it
 * signs a pre-session cookie (LOGIN_COOKIE) set with the form, so a token
 * taken in another browser is refused (login CSRF). Failures are
 * throttled (staff_login_start and staff_login_wrong in SQL,
 * schema/019_access.sql): a browser that logged in before (a signed
 * device cookie) only on its own failures; any other per (account,
 * address) and per address, and an account under attack delays new
 * (account, address) pairs briefly, so that nobody can lock an agent out.
 * A success opens a new server-side session behind a __Host- cookie
 * (Secure, HttpOnly, SameSite=Strict), renews the device cookie and
 * answers 303 to /agent. */
#include "config.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

#define SESSION_HOURS	12

/* The password is listed for its message only: form_render() never
 * writes a password back into a page. */
static const char *const form_fields[] = { "email", "password", NULL };

/* Returns the scope of form tokens for a pre-session cookie value: 60
 * bits of its keyed digest. */
static long long
login_scope(struct req *r, const char *cookie)
{
	const char	*d = secret_digest(r->arena, "creneau login form v1", cookie);

	return d != NULL ? strtoll(arena_strndup(r->arena, d, 15), NULL, 16) : 0;
}

/* Returns the request's pre-session cookie when well-formed, else NULL. */
static const char *
login_cookie(struct req *r)
{
	const char	*v = params_get(&r->cookies, LOGIN_COOKIE);

	if (v == NULL || field_check(F_ACCESS, v, strlen(v)) == -1)
		return NULL;
	return v;
}

/* Renders the login form with f's errors (never the password again), its
 * token bound to the browser's pre-session cookie (set when missing). */
static int
render(struct req *r, struct form *f)
{
	struct tpl	*t;
	const char	*cookie;

	if ((cookie = login_cookie(r)) == NULL) {
		if ((cookie = random_token(r->arena)) == NULL)
			return -1;
		resp_header(r, "Set-Cookie", arena_printf(r->arena,
		    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict",
		    LOGIN_COOKIE, cookie));
	}
	if ((t = tpl_page(r, "agent_login")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Staff login")));
	tpl_attr(tpl_get(t, NULL, "token"), "value",
	    token_issue(r->arena, login_scope(r, cookie)));
	if (params_get(&r->query, "m") == NULL ||
	    strcmp(params_get(&r->query, "m"), "out") != 0)
		tpl_remove(tpl_get(t, NULL, "logged-out"));
	/* After a one-time link (page_agent_password.c). */
	if (params_get(&r->query, "m") == NULL ||
	    strcmp(params_get(&r->query, "m"), "set") != 0)
		tpl_remove(tpl_get(t, NULL, "password-set"));
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Answers the wait message of a throttled login; why is the scope of
 * the wait (account: an attack on the account from elsewhere). */
static int
throttled(struct req *r, struct form *f, int wait, const char *why)
{
	if (strcmp(why, "account") == 0)
		form_error(f, NULL, arena_printf(r->arena, _("This account has received many failed logins from elsewhere. As a precaution, wait %s, then type your password again."),
		    fmt_wait(r->arena, wait)));
	else
		form_error(f, NULL, arena_printf(r->arena, _("Too many failed attempts. Wait %s, then type your password again."),
		    fmt_wait(r->arena, wait)));
	return render(r, f);
}

/* Checks the password and opens the session; returns 303 or re-renders. */
static int
login(struct req *r, struct form *f, const char *email, const char *password)
{
	/* Verified when the account is unknown, so both cases take as long. */
	static char	 dummy[crypto_pwhash_STRBYTES];
	const char	*addr = staff_client_key(r), *device;
	char		*token, *csrf, *lower;
	PGresult	*res;
	size_t		 i;
	int		 ok;

	if (*dummy == '\0' && crypto_pwhash_str(dummy, "not a password",
	    14, crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	if ((lower = arena_strndup(r->arena, email, strlen(email))) == NULL)
		return -1;
	for (i = 0; lower[i] != '\0'; i++)
		lower[i] = (char)tolower((unsigned char)lower[i]);
	device = staff_device_id(r, lower);
	if ((res = db_exec(r, S_STAFF_LOGIN_BEGIN, DB_ARGS({ "email", lower },
	    { "address", addr }, { "device", device }))) == NULL)
		return db_fail(r);
	if (atoi(db_get(res, 0, "wait")) > 0)
		return throttled(r, f, atoi(db_get(res, 0, "wait")), db_get(res, 0, "scope"));
	ok = *db_get(res, 0, "account_id") != '\0' && crypto_pwhash_str_verify(
	    db_get(res, 0, "password_hash"), password, strlen(password)) == 0;
	if (!ok) {
		if (*db_get(res, 0, "account_id") == '\0' &&
		    crypto_pwhash_str_verify(dummy, password, strlen(password)) == 0)
			return -1;	/* cannot happen: the dummy matches nothing */
		if ((res = db_exec(r, S_STAFF_LOGIN_FAILED, DB_ARGS(
		    { "email", lower }, { "address", addr },
		    { "device", device }))) == NULL)
			return db_fail(r);
		if (atoi(db_get(res, 0, "wait")) > 0)
			return throttled(r, f, atoi(db_get(res, 0, "wait")), "");
		form_error(f, "email", _("This e-mail address and password do not match an account."));
		return render(r, f);
	}
	if ((token = random_token(r->arena)) == NULL ||
	    (csrf = random_token(r->arena)) == NULL)
		return -1;
	if (db_exec(r, S_STAFF_LOGIN_SUCCEEDED, DB_ARGS(
	    { "account", db_get(res, 0, "account_id") }, { "token", token },
	    { "csrf", csrf },
	    { "lifetime_hours", arena_printf(r->arena, "%d", SESSION_HOURS) },
	    { "address", addr }, { "device", device })) == NULL)
		return db_fail(r);
	resp_header(r, "Set-Cookie", arena_printf(r->arena,
	    "%s=%s; Path=/; Secure; HttpOnly; SameSite=Strict", STAFF_COOKIE, token));
	if (staff_device_set(r, lower, device) == -1)
		return -1;
	return resp_redirect(r, "/agent");
}

/* Answers the login form, or checks it. */
int
page_agent_login(struct req *r)
{
	struct form	 f;
	const char	*email, *password, *cookie;
	char		 id[33];

	resp_header(r, "Cache-Control", "no-store");
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &f);
	email = form_get(&f, F_STAFF_EMAIL, 1);
	if ((cookie = login_cookie(r)) == NULL) {
		form_error(&f, NULL, _("Your browser did not send back the cookie of the login page. Allow cookies for this site, then type your password again."));
		return render(r, &f);
	}
	if (token_check(params_get(&r->form, "token"), login_scope(r, cookie),
	    0, 3600, id) != TOKEN_OK) {
		form_error(&f, NULL, _("The form has expired or was opened in another browser. Type your password again."));
		return render(r, &f);
	}
	password = params_get(&r->form, "password");
	if (password == NULL || *password == '\0') {
		form_error(&f, "password", _("Enter your password."));
		password = NULL;
	}
	if (email == NULL || password == NULL)
		return render(r, &f);
	return login(r, &f, email, password);
}
