/* Form tokens bound to the browser (see formtoken.h).
 *
 * The client cookie is 22 base64url characters of randomness. The shared
 * table (file <socket>.tokens1, MAP_SHARED, atomics, no lock) holds one
 * entry per client (keyed by a digest of its cookie): how many tokens it
 * has been given, so a token numbered seq is live while seq > count -
 * FTOKEN_LIVE; and one entry per address (the digest of staff_client_key):
 * the current minute and its count. An entry lost to a full table (the
 * oldest of its neighbourhood is reused) is a client seen for the first
 * time: its older tokens are taken as live, since nothing tells them
 * apart, and a hoarder gains nothing from it (making the table full costs
 * more tokens than the address rate allows). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "arena.h"
#include "conf.h"
#include "form.h"
#include "formtoken.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "waitroom.h"

#define TABLE_SLOTS	(1 << 16)
#define PROBE		16
#define CLIENT_COOKIE	"creneau-client"
#define HOST_COOKIE	"__Host-creneau-client"
#define CLIENT_LEN	22
#define COOKIE_DAYS	30

struct entry {
	uint64_t	 key;		/* 0: free */
	int64_t		 a;		/* client: tokens given; address: minute */
	int64_t		 b;		/* address: tokens this minute */
	int64_t		 used;		/* last use, epoch seconds */
};

static struct entry	*table;

/* Maps the shared table (waitroom.c's helper); returns 0 or -1. */
static int
table_map(const struct conf *c)
{
	if (table == NULL)
		table = waitroom_shared_map(c, "tokens1",
		    TABLE_SLOTS * sizeof(struct entry));
	return table != NULL ? 0 : -1;
}

/* Returns the 64-bit key of a digest (hex), never 0. */
static uint64_t
key_of(const char *hex)
{
	char		 buf[17];
	uint64_t	 k;

	snprintf(buf, sizeof(buf), "%s", hex != NULL ? hex : "");
	k = strtoull(buf, NULL, 16);
	return k != 0 ? k : 1;
}

/* Returns the entry of key, claiming a free one or reusing the oldest of
 * its neighbourhood (*fresh set then); NULL without a table. */
static struct entry *
entry_get(struct req *r, uint64_t key, int *fresh)
{
	size_t		 i, h = (size_t)(key * 0x9e3779b97f4a7c15ULL >> 48);
	struct entry	*e, *oldest = NULL;
	uint64_t	 k, zero;
	int64_t		 now = (int64_t)time(NULL);

	*fresh = 0;
	if (table_map(r->conf) == -1)
		return NULL;
	for (i = 0; i < PROBE; i++) {
		e = &table[(h + i) % TABLE_SLOTS];
		k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
		if (k == key)
			goto found;
		zero = 0;
		if (k == 0 && __atomic_compare_exchange_n(&e->key, &zero, key,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			goto claimed;
		if (zero == key)
			goto found;
		if (oldest == NULL || __atomic_load_n(&e->used, __ATOMIC_RELAXED) <
		    __atomic_load_n(&oldest->used, __ATOMIC_RELAXED))
			oldest = e;
	}
	e = oldest;
	k = __atomic_load_n(&e->key, __ATOMIC_ACQUIRE);
	if (!__atomic_compare_exchange_n(&e->key, &k, key, 0, __ATOMIC_ACQ_REL,
	    __ATOMIC_ACQUIRE))
		return e;	/* lost a race: count on the winner's entry */
claimed:
	__atomic_store_n(&e->a, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&e->b, 0, __ATOMIC_RELEASE);
	*fresh = 1;
found:
	__atomic_store_n(&e->used, now, __ATOMIC_RELAXED);
	return e;
}

/* Returns 1 when the request is under HTTPS. */
static int
https(struct req *r)
{
	const char	*h = r->fcgx != NULL ?
			    FCGX_GetParam("HTTPS", r->fcgx->envp) : NULL;

	return h != NULL && strcmp(h, "on") == 0;
}

/* Returns the client cookie the request came with, when well-formed. */
static const char *
client_of(struct req *r)
{
	const char	*v = params_get(&r->cookies,
			    https(r) ? HOST_COOKIE : CLIENT_COOKIE);
	size_t		 i;

	if (v == NULL || strlen(v) != CLIENT_LEN)
		return NULL;
	for (i = 0; i < CLIENT_LEN; i++)
		if (!((v[i] >= 'A' && v[i] <= 'Z') || (v[i] >= 'a' &&
		    v[i] <= 'z') || (v[i] >= '0' && v[i] <= '9') ||
		    v[i] == '-' || v[i] == '_'))
			return NULL;
	return v;
}

/* Returns the client cookie, making and setting a new one when missing. */
static const char *
client_get(struct req *r)
{
	unsigned char	 b[16];
	char		*v;
	const char	*c;

	if ((c = client_of(r)) != NULL)
		return c;
	randombytes_buf(b, sizeof(b));
	if ((v = arena_alloc(r->arena, CLIENT_LEN + 3)) == NULL)
		return NULL;
	sodium_bin2base64(v, CLIENT_LEN + 3, b, sizeof(b),
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	if (resp_header(r, "Set-Cookie", arena_printf(r->arena,
	    "%s=%s; Path=/; Max-Age=%d; HttpOnly; SameSite=Lax%s",
	    https(r) ? HOST_COOKIE : CLIENT_COOKIE, v, COOKIE_DAYS * 86400,
	    https(r) ? "; Secure" : "")) == -1)
		return NULL;
	return v;
}

char *
ftoken_issue(struct req *r, long long scope, int *limited)
{
	struct entry	*e;
	const char	*client;
	int64_t		 minute = (int64_t)time(NULL) / 60, m;
	uint64_t	 seq = 1;
	int		 fresh;

	*limited = 0;
	if ((e = entry_get(r, key_of(staff_client_key(r)) | 1, &fresh)) != NULL) {
		m = __atomic_load_n(&e->a, __ATOMIC_ACQUIRE);
		if (m != minute && __atomic_compare_exchange_n(&e->a, &m,
		    minute, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			__atomic_store_n(&e->b, 0, __ATOMIC_RELEASE);
		if (__atomic_add_fetch(&e->b, 1, __ATOMIC_ACQ_REL) >
		    r->conf->form_tokens_per_address) {
			*limited = 1;
			return NULL;
		}
	}
	if ((client = client_get(r)) == NULL)
		return NULL;
	/* Clients have even keys, addresses odd ones. */
	if ((e = entry_get(r, key_of(secret_digest(r->arena, "form client",
	    client)) & ~(uint64_t)1, &fresh)) != NULL)
		seq = (uint64_t)__atomic_add_fetch(&e->a, 1, __ATOMIC_ACQ_REL);
	return token_issue_client(r->arena, scope, client, seq);
}

int
ftoken_refuse(struct req *r)
{
	resp_header(r, "Retry-After", "60");
	return resp_error(r, 429, N_("Too many forms were opened from your network in the last minute. Wait a minute, then reload this page."));
}

enum token_status
ftoken_check(struct req *r, long long scope, char id[33])
{
	enum token_status	 s;
	const char		*client = client_of(r);
	unsigned long long	 seq;
	struct entry		*e;
	int64_t			 count;
	int			 fresh;

#ifdef CRENEAU_TEST_HOOKS
	/* Reusable tokens for the scanners: still signed and bound to this
	 * browser, with no minimum fill time and no limit of live tokens. */
	if (r->conf->test_reuse_form_tokens) {
		s = token_check_client(params_get(&r->form, "token"), scope,
		    client, 0, r->conf->form_max_seconds, id, &seq);
		if (s == TOKEN_OK)
			ftoken_test_reuse(r, id);
		return s;
	}
#endif
	s = token_check_client(params_get(&r->form, "token"), scope, client,
	    r->conf->form_min_seconds, r->conf->form_max_seconds, id, &seq);
	if (s != TOKEN_OK)
		return s;
	if ((e = entry_get(r, key_of(secret_digest(r->arena, "form client",
	    client)) & ~(uint64_t)1, &fresh)) == NULL || fresh)
		return TOKEN_OK;
	count = __atomic_load_n(&e->a, __ATOMIC_ACQUIRE);
	if ((long long)seq + FTOKEN_LIVE <= (long long)count ||
	    (long long)seq > (long long)count) {
		*id = '\0';
		return TOKEN_SUPERSEDED;
	}
	return TOKEN_OK;
}

void
ftoken_test_reuse(struct req *r, char id[33])
{
#ifdef CRENEAU_TEST_HOOKS
	unsigned char	 b[16];

	if (!r->conf->test_reuse_form_tokens)
		return;
	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(id, 33, b, sizeof(b));
#else
	(void)r;
	(void)id;
#endif
}

int
ftoken_young(struct req *r, long long scope)
{
	unsigned long long	 seq;
	char			 id[33];

	return token_check_client(params_get(&r->form, "token"), scope,
	    client_of(r), 0, r->conf->form_max_seconds / 2, id, &seq) ==
	    TOKEN_OK;
}

const char *
ftoken_message(enum token_status s)
{
	switch (s) {
	case TOKEN_OK:
		return NULL;
	case TOKEN_TOO_FAST:
		return N_("The form was sent too quickly. Check your details, then send it again.");
	case TOKEN_EXPIRED:
		return N_("The form has expired. Check your details, then send it again.");
	case TOKEN_NO_CLIENT:
		return N_("Your browser did not send back our cookie, and it is needed to send this form: it shows that the form was opened in this browser. Allow cookies for this site, then send the form again.");
	case TOKEN_OTHER_CLIENT:
		return N_("This form was opened in another browser, or before our cookie was deleted. Check your details, then send it again from this page.");
	case TOKEN_SUPERSEDED:
		return N_("You have opened more recent forms since this one, and only the last few stay valid. Check your details, then send this form again.");
	default:
		return N_("The form could not be checked. Check your details, then send it again.");
	}
}

int
ftoken_form_check(struct req *r, struct form *f, long long scope, char id[33])
{
	const char	*website = params_get(&r->form, "website"), *m;
	int		 young = 0;

	if ((m = ftoken_message(ftoken_check(r, scope, id))) != NULL)
		form_error(f, NULL, _(m));
	else
		young = ftoken_young(r, scope);
	if (website != NULL && *website != '\0')
		form_error(f, NULL, _("The form could not be accepted. If you are a person, leave the field about a website empty and send the form again."));
	return young;
}
