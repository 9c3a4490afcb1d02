/* Unit tests of form tokens and random values: a token verifies only for
 * its own form, unaltered, within its time window; codes and access
 * tokens have the right shape. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include <fcgiapp.h>

#include "arena.h"
#include "req.h"
#include "secret.h"
#include "staff.h"
#include "waitroom.h"
#include "tap.h"

/* The client-address key of a request from addr (staff_client_key). */
static const char *
client_key(struct arena *a, const char *addr)
{
	static char	 env[80];
	static char	*envp[2] = { env, NULL };
	static FCGX_Request fx;
	struct req	 r;

	snprintf(env, sizeof(env), "REMOTE_ADDR=%s", addr);
	memset(&r, 0, sizeof(r));
	fx.envp = envp;
	r.fcgx = &fx;
	r.arena = a;
	return arena_strdup(a, staff_client_key(&r));
}

int
main(void)
{
	struct arena	*a = arena_new(4096);
	unsigned char	 key[32];
	char		 id[33], id2[33], code[7], *tok, *tok2, *bad, *ref;
	unsigned long long seq;
	size_t		 i, n;
	int		 digits = 1;

	ok(sodium_init() >= 0, "libsodium starts");
	ok(token_issue(a, 1) == NULL, "no token before the secret is loaded");
	ok(secret_set(key, 16) == -1, "a short secret is refused");
	memset(key, 7, sizeof(key));
	ok(secret_set(key, sizeof(key)) == 0, "a 32-byte secret is accepted");
	tok = token_issue(a, 42);
	ok(tok != NULL && strlen(tok) > 40, "a token is issued");
	is_int(token_check(tok, 42, 0, 3600, id), TOKEN_OK, "it verifies for its form");
	is_int((long long)strlen(id), 32, "its id is 32 hex digits");
	is_int(token_check(tok, 43, 0, 3600, id2), TOKEN_BAD, "it is refused for another form");
	is_int(token_check(tok, 42, 5, 3600, id2), TOKEN_TOO_FAST, "it is refused when sent too fast");
	is_int(token_check(tok, 42, -10, -5, id2), TOKEN_EXPIRED, "it is refused once expired");
	bad = arena_strdup(a, tok);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	is_int(token_check(bad, 42, 0, 3600, id2), TOKEN_BAD, "an altered token is refused");
	is_int(token_check("short", 42, 0, 3600, id2), TOKEN_BAD, "garbage is refused");
	is_int(token_check(NULL, 42, 0, 3600, id2), TOKEN_BAD, "no token is refused");
	/* Found by fuzz/secret.c: libsodium 1.0.18 reads some bytes that
	 * are not base64url as digits, so an altered token verified. */
	bad = arena_strdup(a, tok);
	for (i = 0, n = 0; bad[i] != '\0'; i++) {
		char	 keep = bad[i];
		int	 c;

		for (c = 1; c < 256; c++) {
			if (c == (unsigned char)keep)
				continue;
			bad[i] = (char)c;
			n += token_check(bad, 42, 0, 3600, id2) != TOKEN_BAD;
		}
		bad[i] = keep;
	}
	is_int(n, 0, "no token altered by one byte verifies");
	tok2 = token_issue(a, 42);
	token_check(tok2, 42, 0, 3600, id2);
	ok(strcmp(id, id2) != 0, "two tokens have different ids");
	memset(key, 8, sizeof(key));
	secret_set(key, sizeof(key));
	is_int(token_check(tok, 42, 0, 3600, id2), TOKEN_BAD, "a token signed with another secret is refused");
	/* Tokens bound to a client (issue 10). */
	tok = token_issue_client(a, 42, "clientAAAAAAAAAAAAAAAA", 7);
	is_int(token_check_client(tok, 42, "clientAAAAAAAAAAAAAAAA", 0, 3600, id,
	    &seq), TOKEN_OK, "a client-bound token verifies for its client");
	is_int((long long)seq, 7, "and gives back its number");
	is_int(token_check_client(tok, 42, "clientBBBBBBBBBBBBBBBB", 0, 3600, id2,
	    &seq), TOKEN_OTHER_CLIENT, "it is refused from another client");
	is_int(token_check_client(tok, 42, NULL, 0, 3600, id2, &seq),
	    TOKEN_NO_CLIENT, "and from a request without the client cookie");
	is_int(token_check_client(tok, 43, "clientAAAAAAAAAAAAAAAA", 0, 3600, id2,
	    &seq), TOKEN_BAD, "and for another form");
	bad = arena_strdup(a, tok);
	bad[10] = bad[10] == 'A' ? 'B' : 'A';
	is_int(token_check_client(bad, 42, "clientAAAAAAAAAAAAAAAA", 0, 3600, id2,
	    &seq), TOKEN_BAD, "an altered one is refused as such");
	is_int(token_check_client(tok, 42, "clientAAAAAAAAAAAAAAAA", 0, -5, id2,
	    &seq), TOKEN_EXPIRED, "once expired");
	is_int(token_check_client(token_issue(a, 42), 42, "clientAAAAAAAAAAAAAAAA",
	    0, 3600, id2, &seq), TOKEN_OTHER_CLIENT,
	    "an unbound token is not accepted where a bound one is needed");
	/* Slot ids in URLs. */
	ref = slot_ref(a, "42");
	ok(ref != NULL && strncmp(ref, "42.", 3) == 0 && strlen(ref) == 19,
	    "a slot's URL form is <id>.<16 hex digits>: %s", ref != NULL ? ref : "-");
	bad = arena_strdup(a, ref);
	is_int(slot_ref_open(bad), 0, "it opens");
	is_str(bad, "42", "to the bare id");
	bad = arena_printf(a, "43%s", strchr(ref, '.'));
	is_int(slot_ref_open(bad), -1, "the next id with the same MAC does not");
	is_int(slot_ref_open(arena_strdup(a, "42")), -1, "nor an id without MAC");
	random_code(code);
	for (i = 0; i < 6; i++)
		digits &= code[i] >= '0' && code[i] <= '9';
	ok(strlen(code) == 6 && digits, "a code is 6 digits");
	tok = random_token(a);
	ok(tok != NULL && strlen(tok) == 43 && strspn(tok,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == 43,
	    "an access token is 43 base64url characters");
	ok(strlen(secret_identity_hex(a, "N:A|B|1990-01-02")) == 64 &&
	    strcmp(secret_identity_hex(a, "N:A|B|1990-01-02"),
	    secret_identity_hex(a, "N:A|B|1990-01-02")) == 0 &&
	    strcmp(secret_identity_hex(a, "N:A|B|1990-01-02"),
	    secret_identity_hex(a, "N:A|B|1990-01-03")) != 0,
	    "an identity HMAC is 64 hex digits, the same for the same identity only");

	/* The waiting-room cookie (fcgi/web/waitroom_cookie.c). */
	{
		struct wait_cookie	 w = { 3, 7, 1767225600, 1767225000123,
					    0, 1767247200, "" }, back;
		char			*v, *body, *forged;

		memcpy(w.id, "0123456789abcdef0123456789abcdef", 33);
		v = waitroom_cookie_format(a, &w);
		ok(v != NULL && waitroom_cookie_parse(a, v, &back) == 1 &&
		    memcmp(&w, &back, sizeof(w)) == 0, "a waiting-room cookie reads back");
		v[strlen(v) - 1] = v[strlen(v) - 1] == '0' ? '1' : '0';
		ok(waitroom_cookie_parse(a, v, &back) == 0 && back.site_id == 0,
		    "with another MAC it is refused");
		/* Signed, but not in the form written: refused. */
		body = arena_strdup(a, "1.+3.7.1767225600.1767225000123.0123456789abcdef0123456789abcdef.0.1767247200");
		forged = arena_printf(a, "%s.%s", body, secret_digest(a,
		    "creneau waiting room cookie v1", body));
		ok(waitroom_cookie_parse(a, forged, &back) == 0,
		    "a cookie whose numbers are written otherwise is refused");
		ok(waitroom_cookie_parse(a, "1.3", &back) == 0 &&
		    waitroom_cookie_parse(a, NULL, &back) == 0, "garbage is refused");
	}
	/* Per-address limits count an IPv6 address by its /64, however
	 * nginx writes it. */
	ok(strcmp(client_key(a, "2001:db8::1"), client_key(a, "2001:db8::a:b:c:d")) == 0 &&
	    strcmp(client_key(a, "2001:db8::1"), client_key(a, "2001:db8:0:0:ffff:1:2:3")) == 0,
	    "IPv6 addresses of one /64 share one key, compressed or not");
	ok(strcmp(client_key(a, "2001:db8::1"), client_key(a, "2001:db8:0:1::1")) != 0,
	    "another /64 has another key");
	ok(strcmp(client_key(a, "::ffff:192.0.2.7"), client_key(a, "192.0.2.7")) == 0 &&
	    strcmp(client_key(a, "192.0.2.7"), client_key(a, "192.0.2.8")) != 0,
	    "an IPv4-mapped address is its IPv4 address; IPv4 addresses stay apart");
	arena_free(a);
	return done_testing();
}
