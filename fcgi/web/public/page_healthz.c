/* GET /healthz: "ok" when the database answers, 503 otherwise. For load
 * balancers and the scripts; no template, no personal data. */
#include "config.h"

#include <stdio.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "req.h"
#include "response.h"

/* Answers 200 "ok" or 503 "unavailable" with Retry-After. */
int
page_healthz(struct req *r)
{
	static const char	 ok[] = "ok\n", ko[] = "unavailable\n";
	char			*ra;

	resp_header(r, "Cache-Control", "no-store");
	if (db_exec(r, S_HEALTH, NULL) != NULL)
		return resp_send(r, 200, "text/plain; charset=utf-8", ok,
		    sizeof(ok) - 1);
	if ((ra = arena_printf(r->arena, "%d", r->conf->retry_after)) != NULL)
		resp_header(r, "Retry-After", ra);
	return resp_send(r, 503, "text/plain; charset=utf-8", ko, sizeof(ko) - 1);
}
