/* The waiting-room cookie's text (see waitroom.h): written and read here,
 * with no request and no database, so that the parser is fuzzed alone
 * (fuzz/secret.c). The value is
 *   1.site.procedure.publication.arrived_ms.id.admit_ms.expires.mac
 * the MAC being secret_digest(WAITROOM_COOKIE_PURPOSE, body). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <sodium.h>

#include "arena.h"
#include "secret.h"
#include "waitroom.h"

#define WAITROOM_COOKIE_PURPOSE	"creneau waiting room cookie v1"
#define WAITROOM_COOKIE_MAX	200

/* Returns the signed body of w (without its MAC), or NULL. */
static char *
body_of(struct arena *a, const struct wait_cookie *w)
{
	return arena_printf(a, "1.%lld.%lld.%lld.%lld.%s.%lld.%lld",
	    w->site_id, w->proc_id, w->publish, w->arrived_ms, w->id,
	    w->admit_ms, w->expires);
}

/* Returns the cookie's value for w ("body.mac"), or NULL. */
char *
waitroom_cookie_format(struct arena *a, const struct wait_cookie *w)
{
	char	*body, *mac;

	if ((body = body_of(a, w)) == NULL ||
	    (mac = secret_digest(a, WAITROOM_COOKIE_PURPOSE, body)) == NULL)
		return NULL;
	return arena_printf(a, "%s.%s", body, mac);
}

/* Reads a cookie's value into w; returns 1 when it is one we wrote (well
 * formed, in the exact form waitroom_cookie_format writes, and its MAC
 * right), else 0 (w is then zeroed). The caller checks that it is for its
 * release and not expired. */
int
waitroom_cookie_parse(struct arena *a, const char *v, struct wait_cookie *w)
{
	const char	*mac, *want;
	char		*body;
	int		 used = 0;

	memset(w, 0, sizeof(*w));
	if (v == NULL || strlen(v) > WAITROOM_COOKIE_MAX ||
	    sscanf(v, "1.%lld.%lld.%lld.%lld.%32[0-9a-f].%lld.%lld.%n",
	    &w->site_id, &w->proc_id, &w->publish, &w->arrived_ms, w->id,
	    &w->admit_ms, &w->expires, &used) != 7 || used == 0 ||
	    strlen(w->id) != 32)
		goto bad;
	mac = v + used;
	/* The body written back must be the one received, byte for byte
	 * (sscanf skips spaces, signs and leading zeros). */
	if (strlen(mac) != 32 || (body = body_of(a, w)) == NULL ||
	    strlen(body) != (size_t)used - 1 || memcmp(body, v, (size_t)used - 1) != 0 ||
	    (want = secret_digest(a, WAITROOM_COOKIE_PURPOSE, body)) == NULL ||
	    sodium_memcmp(mac, want, 32) != 0)
		goto bad;
	return 1;
bad:
	memset(w, 0, sizeof(*w));
	return 0;
}
