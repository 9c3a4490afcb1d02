/* Staff sessions and access checks (see staff.h). Every /agent/ handler
 * starts with staff_require(); POST handlers also check the CSRF field. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <time.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "fields.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "secret.h"
#include "staff.h"

/* Returns the role bit of a role name. */
static enum staff_role
role_of(const char *name)
{
	if (strcmp(name, "agent") == 0)
		return ROLE_AGENT;
	if (strcmp(name, "supervisor") == 0)
		return ROLE_SUPERVISOR;
	if (strcmp(name, "mediator") == 0)
		return ROLE_MEDIATOR;
	if (strcmp(name, "administrator") == 0)
		return ROLE_ADMIN;
	return 0;
}

/* Loads the session of the request's cookie into r->staff; returns 0 (no
 * session is not an error), or -1 when the database failed. */
static int
load(struct req *r)
{
	const char	*tok = params_get(&r->cookies, STAFF_COOKIE);
	PGresult	*res;
	struct staff	*s;

	r->staff = NULL;
	if (tok == NULL || field_check(F_ACCESS, tok, strlen(tok)) == -1)
		return 0;
	if ((res = db_exec(r, S_STAFF_SESSION, DB_ARGS({ "token", tok },
	    { "idle_minutes", "30" }))) == NULL)
		return -1;
	if (PQntuples(res) != 1 || (s = arena_calloc(r->arena, 1, sizeof(*s))) == NULL)
		return 0;
	s->id = db_get(res, 0, "account_id");
	s->email = db_get(res, 0, "email");
	s->name = db_get(res, 0, "name");
	s->role_name = db_get(res, 0, "role");
	s->role = role_of(s->role_name);
	s->organisation_id = db_get(res, 0, "organisation_id");
	s->csrf = db_get(res, 0, "csrf");
	r->staff = s;
	return 0;
}

/* Lets the request on when a staff member with one of roles is logged
 * in: returns 0. Otherwise answers (303 to the login page without a
 * session, 403 for another role, 503/500 for the database) and returns
 * 1. Staff pages are never cached. */
int
staff_require(struct req *r, unsigned roles)
{
	resp_header(r, "Cache-Control", "no-store");
	if (load(r) == -1) {
		db_fail(r);
		return 1;
	}
	if (r->staff == NULL) {
		resp_redirect(r, "/agent/login");
		return 1;
	}
	if ((r->staff->role & roles) == 0) {
		resp_error(r, 403, N_("Your account does not give access to this page."));
		return 1;
	}
	return 0;
}

/* Answers 403 to a staff member who asked for a page of a site (site_id)
 * they do not act for (a forged URL), after writing the refusal to the
 * audit log (staff.site_refused, with the route's name), so refused
 * attempts leave a trace. Returns 0. */
int
staff_site_refuse(struct req *r, const char *site_id)
{
	if (r->staff != NULL && site_id != NULL && *site_id != '\0' &&
	    db_exec(r, S_STAFF_SITE_REFUSED, DB_ARGS({ "account", r->staff->id },
	    { "site_id", site_id }, { "page", r->route != NULL ?
	    r->route->name : "" })) == NULL)
		return db_fail(r);
	return resp_error(r, 403, N_("Your account does not act for this site."));
}

/* Returns 1 when the POST carries the session's CSRF token (compared in
 * constant time), else 0. */
int
staff_csrf_ok(struct req *r)
{
	const char	*v = params_get(&r->form, "csrf");
	size_t		 n;

	if (r->staff == NULL || v == NULL)
		return 0;
	n = strlen(r->staff->csrf);
	return strlen(v) == n && sodium_memcmp(v, r->staff->csrf, n) == 0;
}

/* Returns a keyed digest of the client's address (its /64 for IPv6), so
 * that failures can be counted per address without storing it. */
const char *
staff_client_key(struct req *r)
{
	const char	*addr = NULL;
	unsigned char	 b[16];
	char		 buf[64];

	if (r->fcgx != NULL)
		addr = FCGX_GetParam("REMOTE_ADDR", r->fcgx->envp);
	if (addr == NULL)
		addr = "-";
	snprintf(buf, sizeof(buf), "%s", addr);
	/* An IPv6 address by its /64, however it is written ("2001:db8::1"
	 * and "2001:db8:0:0:a:b:c:d" are one network); an IPv4-mapped one
	 * as the IPv4 address. */
	if (strchr(addr, ':') != NULL && inet_pton(AF_INET6, addr, b) == 1) {
		if (memcmp(b, "\0\0\0\0\0\0\0\0\0\0\xff\xff", 12) == 0)
			snprintf(buf, sizeof(buf), "%u.%u.%u.%u",
			    b[12], b[13], b[14], b[15]);
		else
			snprintf(buf, sizeof(buf),
			    "%x:%x:%x:%x", b[0] << 8 | b[1], b[2] << 8 | b[3],
			    b[4] << 8 | b[5], b[6] << 8 | b[7]);
	}
	return secret_digest(r->arena, "client address", buf);
}

/* The device cookie (OWASP "device cookies"): a browser in which a staff
 * member logged in carries "<id>.<issued>.<mac>", id 32 random hex
 * digits, issued a Unix time, mac the keyed digest of the login, the id
 * and the time. Failed logins by others never slow a known browser. */

/* Returns the MAC of a device cookie body for login. */
static const char *
device_mac(struct req *r, const char *login, const char *body)
{
	return secret_digest(r->arena, "creneau staff device v1",
	    arena_printf(r->arena, "%s\n%s", login, body));
}

/* Returns the id of the request's device cookie when it is valid, not
 * older than staff_device_days and made for login (lower case); else
 * NULL. */
const char *
staff_device_id(struct req *r, const char *login)
{
	const char	*v = params_get(&r->cookies, DEVICE_COOKIE), *mac;
	char		 id[33], body[64], *end;
	long long	 issued;
	size_t		 n;

	if (v == NULL || login == NULL || strlen(v) > 80 ||
	    strspn(v, "0123456789abcdef") != 32 || v[32] != '.')
		return NULL;
	memcpy(id, v, 32);
	id[32] = '\0';
	issued = strtoll(v + 33, &end, 10);
	if (end == v + 33 || *end != '.' || issued <= 0 ||
	    issued + (long long)r->conf->staff_device_days * 86400 < (long long)time(NULL))
		return NULL;
	n = (size_t)(end - v);
	if (n >= sizeof(body))
		return NULL;
	memcpy(body, v, n);
	body[n] = '\0';
	if ((mac = device_mac(r, login, body)) == NULL || strlen(end + 1) != strlen(mac) ||
	    sodium_memcmp(end + 1, mac, strlen(mac)) != 0)
		return NULL;
	return arena_strndup(r->arena, id, 32);
}

/* Sets the device cookie of login on the answer, keeping id (a fresh one
 * when NULL), issued now. Returns 0 or -1. */
int
staff_device_set(struct req *r, const char *login, const char *id)
{
	unsigned char	 rnd[16];
	char		 hex[33];
	const char	*body, *mac;

	if (id == NULL) {
		randombytes_buf(rnd, sizeof(rnd));
		sodium_bin2hex(hex, sizeof(hex), rnd, sizeof(rnd));
		id = hex;
	}
	if ((body = arena_printf(r->arena, "%s.%lld", id, (long long)time(NULL))) == NULL ||
	    (mac = device_mac(r, login, body)) == NULL)
		return -1;
	return resp_header(r, "Set-Cookie", arena_printf(r->arena,
	    "%s=%s.%s; Path=/; Max-Age=%d; Secure; HttpOnly; SameSite=Strict",
	    DEVICE_COOKIE, body, mac, r->conf->staff_device_days * 86400));
}
