/* Unit tests of the route table: exact paths, one validated segment,
 * and everything else not found. */
#include "config.h"

#include "fields.h"
#include "req.h"
#include "routes.h"
#include "tap.h"

/* Returns the name of the route matching path, or "-" (or "bad"). */
static const char *
match(const char *path, const char **arg)
{
	const struct route	*rt;
	int			 bad;

	rt = route_match(path, arg, &bad);
	if (bad)
		return "bad";
	return rt != NULL ? rt->name : "-";
}

int
main(void)
{
	const char	*arg;

	fields_init();
	is_str(match("/", &arg), "home", "/ is the home page");
	is_str(match("/healthz", &arg), "healthz", "/healthz");
	is_str(match("/site/val-de-marne", &arg), "site", "a site page");
	is_str(arg, "val-de-marne", "its slug is the argument");
	is_str(match("/site/", &arg), "-", "no slug: not found");
	is_str(match("/site/a/b", &arg), "-", "two segments: not found");
	is_str(match("/site/A%20B", &arg), "bad", "invalid slug: refused");
	is_str(match("/site/..", &arg), "bad", "dot segment: refused");
	is_str(match("/nowhere", &arg), "-", "unknown path: not found");
	is_str(match("/healthz/", &arg), "-", "trailing slash: not found");
	return done_testing();
}
