/* The route table (see routes.h) and path matching. */
#include "config.h"

#include <string.h>

#include "req.h"
#include "routes.h"

static const struct route routes[] = {
	{ "home",	"/",		FIELD_COUNT,	M_GET | M_HEAD,	page_home },
	{ "healthz",	"/healthz",	FIELD_COUNT,	M_GET | M_HEAD,	page_healthz },
	{ "language",	"/language",	FIELD_COUNT,	M_POST,		page_language },
	{ "site",	"/site/*",	F_SLUG,		M_GET | M_HEAD,	page_site },
};

/* Returns the route for path, setting *arg to the '*' segment (NULL when
 * none); NULL when nothing matches. *bad_arg is set when a route matched
 * but its segment failed its field's validator (the caller answers 404). */
const struct route *
route_match(const char *path, const char **arg, int *bad_arg)
{
	const struct route	*rt;
	size_t			 i, plen;
	const char		*seg;

	*arg = NULL;
	*bad_arg = 0;
	for (i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		rt = &routes[i];
		plen = strlen(rt->pattern);
		if (rt->pattern[plen - 1] != '*') {
			if (strcmp(path, rt->pattern) == 0)
				return rt;
			continue;
		}
		if (strncmp(path, rt->pattern, plen - 1) != 0)
			continue;
		seg = path + plen - 1;
		if (*seg == '\0' || strchr(seg, '/') != NULL)
			continue;
		if (field_check(rt->arg, seg, strlen(seg)) == -1) {
			*bad_arg = 1;
			return NULL;
		}
		*arg = seg;
		return rt;
	}
	return NULL;
}
