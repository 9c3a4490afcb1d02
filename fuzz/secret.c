/* Fuzzes the signed values a client sends back: form tokens
 * (token_check, fcgi/common/secret.c) and the waiting-room cookie
 * (waitroom_cookie_parse, fcgi/web/waitroom_cookie.c). Properties: no crash,
 * no leak; nothing is accepted but what was signed: a token altered
 * anywhere (even in bits base64 does not carry) is refused, a token is
 * accepted only for its own scope; a cookie is accepted only when its
 * text is exactly what waitroom_cookie_format writes for it, and every
 * cookie written reads back the same. */
#include "config.h"

#include <sodium.h>

#include "arena.h"
#include "fuzz.h"
#include "secret.h"
#include "waitroom.h"

static struct arena	*a;
static char		*issued;	/* a genuine token for scope 42 */

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	unsigned char	 key[32];

	if (sodium_init() < 0)
		abort();
	memset(key, 0x5a, sizeof(key));
	secret_set(key, sizeof(key));
	a = arena_new(4096);
	issued = strdup(token_issue(a, 42));
	arena_reset(a);
	return 0;
}

/* Reads up to 8 bytes of data at *p as a number. */
static long long
take(const uint8_t *data, size_t size, size_t *p)
{
	unsigned long long	 v = 0;
	int			 i;

	for (i = 0; i < 8 && *p < size; i++)
		v = v << 8 | data[(*p)++];
	return (long long)v;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct wait_cookie	 w, back;
	enum token_status	 st;
	char			 id[33], *s, *t, *dot, *v;
	size_t			 i, p = 0, n;

	if (size > 4096)
		return 0;
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';

	/* The input as a token: refused, unless it is the genuine one. */
	st = token_check(s, 42, 0, 3600, id);
	PROPERTY(st == TOKEN_BAD || strcmp(s, issued) == 0,
	    "a token nobody issued accepted (%d)", (int)st);
	PROPERTY(st != TOKEN_BAD || *id == '\0', "an id for a refused token");
	/* The genuine token with the input written over it: refused
	 * unless unchanged; accepted for its own scope only. */
	t = strdup(issued);
	n = strlen(t);
	for (i = 0; i + 1 < size && i < 16; i += 2)
		t[data[i] % n] = (char)data[i + 1];
	st = token_check(t, 42, 0, 3600, id);
	PROPERTY(st == TOKEN_BAD || strcmp(t, issued) == 0,
	    "an altered token '%s' accepted (%d)", t, (int)st);
	if (st == TOKEN_OK)
		PROPERTY(strlen(id) == 32 && strspn(id, "0123456789abcdef") == 32,
		    "id '%s'", id);
	free(t);
	/* The genuine token with its first byte written at each place in
	 * turn (the token is random, so every place is tried). */
	t = strdup(issued);
	for (i = 0; size > 0 && data[0] != '\0' && i < n; i++) {
		char	 keep = t[i];

		t[i] = (char)data[0];
		st = token_check(t, 42, 0, 3600, id);
		PROPERTY(st == TOKEN_BAD || strcmp(t, issued) == 0,
		    "token with byte 0x%02x at %zu accepted (%d)", data[0], i, (int)st);
		t[i] = keep;
	}
	free(t);
	PROPERTY(token_check(issued, 42 + (size > 0 ? data[0] + 1 : 1), 0, 3600,
	    id) == TOKEN_BAD, "a token accepted for another scope");

	/* The input as a waiting-room cookie. */
	if (waitroom_cookie_parse(a, s, &w))
		PROPERTY((v = waitroom_cookie_format(a, &w)) != NULL &&
		    strcmp(v, s) == 0, "cookie '%s' read, written '%s'", s, v);
	/* Its body signed with the real key: accepted only when written
	 * back byte for byte. */
	if ((dot = strrchr(s, '.')) != NULL) {
		*dot = '\0';
		v = arena_printf(a, "%s.%s", s, secret_digest(a,
		    "creneau waiting room cookie v1", s));
		if (waitroom_cookie_parse(a, v, &w)) {
			t = waitroom_cookie_format(a, &w);
			PROPERTY(t != NULL && strcmp(t, v) == 0,
			    "signed body '%s' read, written '%s'", v, t);
		}
		*dot = '.';
	}
	/* A cookie made from the input's bytes reads back the same. */
	memset(&w, 0, sizeof(w));
	w.site_id = take(data, size, &p);
	w.proc_id = take(data, size, &p);
	w.publish = take(data, size, &p);
	w.arrived_ms = take(data, size, &p);
	w.admit_ms = take(data, size, &p);
	w.expires = take(data, size, &p);
	for (i = 0; i < 32; i++)
		w.id[i] = "0123456789abcdef"[p < size ? data[p++] & 15 : i & 15];
	v = waitroom_cookie_format(a, &w);
	PROPERTY(v != NULL && strlen(v) <= 200, "cookie of %zu bytes",
	    v ? strlen(v) : 0);
	PROPERTY(waitroom_cookie_parse(a, v, &back) == 1, "'%s' refused", v);
	PROPERTY(memcmp(&w, &back, sizeof(w)) == 0, "'%s' read back otherwise", v);
	/* Its MAC altered: refused. */
	if (size > 0) {
		t = arena_strdup(a, v);
		n = strlen(t) - 1 - data[0] % 32;
		t[n] = t[n] == '0' ? '1' : '0';
		PROPERTY(waitroom_cookie_parse(a, t, &back) == 0,
		    "'%s' with another MAC accepted", t);
	}
	PROPERTY(strlen(secret_digest(a, "fuzz", s)) == 32, "digest length");
	free(s);
	arena_reset(a);
	return 0;
}
