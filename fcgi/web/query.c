/* The web worker's use of the database layer (db.h): a statement run
 * for a request, its result owned by the request's arena, a refusal
 * logged with the request's incident id. */
#include "config.h"

#include <stdio.h>

#include "arena.h"
#include "db.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "statements.h"

/* Clears a PGresult registered as an arena cleanup. */
static void
res_cleanup(void *p)
{
	PQclear(p);
}

/* Runs statement id with args (bound by name) and returns its result,
 * owned by the request arena; NULL on error, with r->db_unavailable set
 * when the database could not be reached and r->sqlstate set when it
 * refused the statement (logged under a new incident id). */
PGresult *
db_exec(struct req *r, enum stmt id, const struct db_arg *args)
{
	struct db_error	 err;
	PGresult	*res;

	res = db_run(id, args, &err);
	if (res != NULL) {
		if (arena_cleanup(r->arena, res_cleanup, res) == -1) {
			PQclear(res);
			return NULL;
		}
		return res;
	}
	r->db_unavailable = err.unavailable;
	if (err.unavailable && *err.sqlstate == '\0')
		return NULL;	/* unreachable: db.c has logged it */
	/* Refused, or the server itself failing (then 503, db.c), logged
	 * under an incident id. */
	snprintf(r->sqlstate, sizeof(r->sqlstate), "%s", err.sqlstate);
	if (*r->incident == '\0')
		resp_new_incident(r);
	log_msg("%s: incident %s: SQLSTATE %s: %s", statements[id].name,
	    r->incident, *err.sqlstate != '\0' ? err.sqlstate : "-",
	    err.message);
	return NULL;
}

/* Answers the error page a failed db_exec calls for: 503 when the
 * database was unavailable, else 500 with the incident id. */
int
db_fail(struct req *r)
{
	return resp_error(r, r->db_unavailable ? 503 : 500, NULL);
}
