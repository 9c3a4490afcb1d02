/* GET and POST /agent/password/<token>: the one-time link of a staff
 * account (issue 12), made by an administrator when creating the account
 * or resetting its password. GET asks for the password twice; POST
 * hashes it (argon2id, libsodium, as creneau-admin staff-add does) and
 * sets it through staff_link_use(), which uses the link up (single use,
 * expiring, only its sha256 stored), ends the account's sessions and
 * audits; then 303 to the login page. A used, expired or unknown link
 * answers 404. No session here: the link is the credential. */
#include "config.h"

#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "db.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "staff.h"
#include "statements.h"
#include "template.h"

static const char *const form_fields[] = { "password", "password2", NULL };

#define GONE	N_("This link has expired or was already used. Ask an administrator for a new one.")

/* Answers the password form of the link's account (res) with f's errors
 * (never the passwords typed). */
static int
render(struct req *r, struct form *f, PGresult *res)
{
	struct tpl	*t;
	size_t		 i;

	if ((t = tpl_page(r, "agent_password")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Choose your password")));
	tpl_text(tpl_get(t, NULL, "name"), db_get(res, 0, "name"));
	tpl_attr(tpl_get(t, NULL, "username"), "value", db_get(res, 0, "email"));
	tpl_attr(tpl_get(t, NULL, "form"), "action",
	    route_url(r, R_AGENT_PASSWORD, r->args[0], NULL));
	for (i = 0; i < r->form.n; i++)
		r->form.v[i].value = "";
	form_render(f, t, form_fields);
	return tpl_send(r, t, 200);
}

/* Answers the page of a one-time link, or sets the password. */
int
page_agent_password(struct req *r)
{
	struct form	 f;
	PGresult	*res;
	const char	*pw, *pw2;
	char		 hash[crypto_pwhash_STRBYTES];

	resp_header(r, "Cache-Control", "no-store");
	form_init(&f, r);
	if ((res = db_exec(r, S_STAFF_LINK_ACCOUNT,
	    DB_ARGS({ "token", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(res) != 1)
		return resp_error(r, 404, GONE);
	if (r->method != M_POST)
		return render(r, &f, res);
	pw = params_get(&r->form, "password");
	pw2 = params_get(&r->form, "password2");
	if (pw == NULL || *pw == '\0')
		form_error(&f, "password", _("Enter a password of at least 12 characters."));
	else if (field_check(F_PASSWORD, pw, strlen(pw)) == -1)
		form_error(&f, "password", _("This password is too short or has characters that cannot be typed: use at least 12 characters, on one line."));
	else if (pw2 == NULL || strcmp(pw, pw2) != 0)
		form_error(&f, "password2", _("The two passwords differ: type the same password twice."));
	if (f.nerrors > 0)
		return render(r, &f, res);
	if (crypto_pwhash_str(hash, pw, strlen(pw),
	    crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
		return -1;
	if ((res = db_exec(r, S_STAFF_LINK_USE, DB_ARGS({ "token", r->args[0] },
	    { "password_hash", hash }))) == NULL)
		return db_fail(r);
	if (*db_get(res, 0, "email") == '\0')
		return resp_error(r, 404, GONE);
	return resp_redirect(r, "/agent/login?m=set");
}
