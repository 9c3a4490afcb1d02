/* Unit tests of the route table: exact paths, one validated segment,
 * and everything else not found; route_url builds the paths the table
 * matches. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "fields.h"
#include "req.h"
#include "routes.h"
#include "secret.h"
#include "tap.h"

/* Returns the name of the route matching path, or "-" (or "bad"). */
static const char *
match(const char *path, const char **arg)
{
	static char		 buf[256];
	static const char	*args[ROUTE_ARGS];
	const struct route	*rt;
	int			 bad;

	rt = route_match(path, args, buf, sizeof(buf), &bad);
	*arg = args[0];
	if (bad)
		return "bad";
	return rt != NULL ? rt->name : "-";
}

int
main(void)
{
	const char	*arg;
	struct arena	*a = arena_new(4096);
	struct req	 rq;
	unsigned char	 key[32];
	char		*ref, *other;

	fields_init();
	memset(key, 7, sizeof(key));
	secret_set(key, sizeof(key));
	ref = arena_printf(a, "/book/%s", slot_ref(a, "42"));
	other = arena_printf(a, "/book/43%s", strchr(ref, '.'));
	is_str(match("/", &arg), "home", "/ is the home page");
	is_str(match("/healthz", &arg), "healthz", "/healthz");
	is_str(match("/site/val-de-marne", &arg), "site", "a site page");
	is_str(arg, "val-de-marne", "its slug is the argument");
	is_str(match("/site/", &arg), "-", "no slug: not found");
	is_str(match("/site/a/b/c", &arg), "-", "three segments: not found");
	is_str(match("/site/A%20B", &arg), "bad", "invalid slug: refused");
	is_str(match("/site/..", &arg), "bad", "dot segment: refused");
	is_str(match("/nowhere", &arg), "-", "unknown path: not found");
	is_str(match("/healthz/", &arg), "-", "trailing slash: not found");
	is_str(match("/site/prefecture-rhone/renouvellement-titre-sejour", &arg),
	    "procedure", "a procedure page has two segments");
	is_str(arg, "prefecture-rhone", "its first segment is the site");
	is_str(match(ref, &arg), "book", "the booking form of a slot: /book/<id>.<mac>");
	is_str(arg, "42", "its argument is the bare id, once the MAC is checked");
	is_str(match("/book/42", &arg), "bad", "a slot without its MAC is refused");
	is_str(match(other, &arg), "bad", "the next id with this MAC is refused");
	is_str(match("/book/42.0000000000000000", &arg), "bad", "a forged MAC is refused");
	is_str(match("/book/0", &arg), "bad", "slot 0 refused");
	is_str(match("/booking/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ/confirm", &arg),
	    "booking-confirm", "a booking's confirm action");
	is_str(match("/booking/short/confirm", &arg), "bad", "a short token refused");
	is_str(match("/booking/abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ/other", &arg),
	    "-", "an unknown action: not found");
	/* route_url: each route's path, matched back to the same route. */
	memset(&rq, 0, sizeof(rq));
	rq.arena = a;
	is_str(route_url(&rq, R_PROCEDURE, "prefecture-rhone", "titre"),
	    "/site/prefecture-rhone/titre", "route_url fills the segments in order");
	is_str(route_url(&rq, R_AGENT_COURT_ITEM, "s", "12"),
	    "/agent/site/s/court/12", "a segment between fixed ones");
	is_str(route_url(&rq, R_HOME, NULL, NULL), "/", "a route without segments");
	is_str(match(route_url(&rq, R_BOOK, slot_ref(a, "42"), NULL), &arg),
	    "book", "a slot's form URL, built with its slot_ref, matches");
	is_str(arg, "42", "and gives the bare id back");
	is_str(match(route_url(&rq, R_ALERT_UNSUBSCRIBE,
	    "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQ", NULL), &arg),
	    "alert-unsubscribe", "an action under a token");
	is_str(match(route_url(&rq, R_SITE, NULL, NULL), &arg), "-",
	    "a missing segment matches no route");
	arena_free(a);
	return done_testing();
}
