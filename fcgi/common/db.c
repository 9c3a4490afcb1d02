/* The worker's PostgreSQL connection (see db.h). One connection per
 * worker process, opened lazily and never shared across fork(). */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "req.h"
#include "response.h"

static const struct conf	*conf;
static PGconn			*conn;

/* Remembers the configuration; connecting waits for the first query. */
void
db_init(const struct conf *c)
{
	conf = c;
}

/* Closes the connection, if any. */
void
db_close(void)
{
	if (conn != NULL)
		PQfinish(conn);
	conn = NULL;
}

/* Which statements are prepared on the current connection: each is
 * prepared on first use, so one broken statement breaks only its page. */
static unsigned char	prepared[STMT_COUNT];

/* Prepares statement id on conn unless it already is; returns 0, or -1
 * with the SQLSTATE copied into state. */
static int
prepare(enum stmt id, char state[6])
{
	PGresult	*res;
	int		 ok;

	if (prepared[id])
		return 0;
	res = PQprepare(conn, statements[id].name, statements[id].sql,
	    statements[id].nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(state, 6, "%s", PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) != NULL ? PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) : "");
	PQclear(res);
	if (ok)
		prepared[id] = 1;
	return ok ? 0 : -1;
}

/* Gives a new connection the settings of creneau.conf that SQL reads:
 * the release window of freed places (creneau_release_time(), schema/017),
 * for the places freed without explicit bounds (a hold run out, five
 * wrong codes). Returns 0, or -1 with the connection's error. */
int
db_session_settings(PGconn *c, const struct conf *cf)
{
	char		 lo[16], hi[16];
	const char	*p[2] = { lo, hi };
	PGresult	*res;
	int		 ok;

	snprintf(lo, sizeof(lo), "%d", cf->release_min_minutes);
	snprintf(hi, sizeof(hi), "%d", cf->release_max_minutes);
	res = PQexecParams(c, "SELECT set_config('creneau.release_min_minutes', $1, false),"
	    " set_config('creneau.release_max_minutes', $2, false)",
	    2, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_TUPLES_OK;
	PQclear(res);
	return ok ? 0 : -1;
}

/* Makes sure a usable connection exists; returns 0, or -1 when the
 * database cannot be reached. */
static int
ensure_connected(void)
{
	static const char *const keys[] = {
		"dbname", "connect_timeout", "application_name", NULL
	};
	const char	*values[4];

	if (conn != NULL && PQstatus(conn) == CONNECTION_OK)
		return 0;
	db_close();
	memset(prepared, 0, sizeof(prepared));
	values[0] = conf->database;
	values[1] = "3";
	values[2] = "creneau-fcgi";
	values[3] = NULL;
	conn = PQconnectdbParams(keys, values, 1);
	if (conn == NULL || PQstatus(conn) != CONNECTION_OK ||
	    db_session_settings(conn, conf) == -1) {
		log_msg("database unavailable: %s",
		    conn != NULL ? PQerrorMessage(conn) : "out of memory");
		db_close();
		return -1;
	}
	return 0;
}

/* Clears a PGresult registered as an arena cleanup. */
static void
res_cleanup(void *p)
{
	PQclear(p);
}

/* Runs statement id with params (as many as the table says) and returns
 * its result, owned by the request arena; NULL on error, with
 * r->db_unavailable set when the database could not be reached and
 * r->sqlstate set when it refused the statement. A read-only statement is
 * retried once on a new connection after the old one was lost. */
PGresult *
db_exec(struct req *r, enum stmt id, const char *const *params)
{
	const struct statement	*s = &statements[id];
	PGresult		*res;
	ExecStatusType		 st;
	const char		*state;
	int			 attempt;

	for (attempt = 0; attempt < 2; attempt++) {
		if (ensure_connected() == -1) {
			r->db_unavailable = 1;
			return NULL;
		}
		if (prepare(id, r->sqlstate) == -1) {
			if (PQstatus(conn) != CONNECTION_OK ||
			    *r->sqlstate == '\0') {	/* see below */
				db_close();
				continue;
			}
			if (*r->incident == '\0')
				resp_new_incident(r);
			log_msg("prepare %s: incident %s: SQLSTATE %s: %s", s->name,
			    r->incident, r->sqlstate, PQerrorMessage(conn));
			return NULL;
		}
		res = PQexecPrepared(conn, s->name, s->nparams, params, NULL,
		    NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			if (arena_cleanup(r->arena, res_cleanup, res) == -1)
				return NULL;
			return res;
		}
		/* No SQLSTATE: libpq made the error itself, the server never
		 * answered. After pg_ctl -m immediate the status may still say
		 * CONNECTION_OK while the socket is dead (t/faults/pg_restart.t
		 * saw 500s there): the connection is lost all the same. */
		if (PQstatus(conn) != CONNECTION_OK ||
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL) {
			log_msg("%s: connection lost: %s", s->name,
			    PQerrorMessage(conn));
			PQclear(res);
			db_close();
			if (!s->readonly)
				break;
			continue;
		}
		state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		snprintf(r->sqlstate, sizeof(r->sqlstate), "%s",
		    state != NULL ? state : "");
		if (*r->incident == '\0')
			resp_new_incident(r);
		log_msg("%s: incident %s: SQLSTATE %s: %s", s->name, r->incident,
		    r->sqlstate, PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY));
		PQclear(res);
		/* The server, not the statement, failed: out of disk or memory
		 * or connections (class 53), shutting down or starting
		 * (57P01-57P03), or the link (class 08). The transaction was
		 * rolled back: 503 with Retry-After, as when it is away, with
		 * the incident id kept for the log (issue 13). */
		if (strncmp(r->sqlstate, "53", 2) == 0 ||
		    strncmp(r->sqlstate, "57P", 3) == 0 ||
		    strncmp(r->sqlstate, "08", 2) == 0)
			r->db_unavailable = 1;
		return NULL;
	}
	r->db_unavailable = 1;
	return NULL;
}

/* Answers the error page a failed db_exec calls for: 503 when the
 * database was unavailable, else 500 with the incident id. */
int
db_fail(struct req *r)
{
	return resp_error(r, r->db_unavailable ? 503 : 500, NULL);
}

/* Returns the text of a cell ("" for NULL). */
const char *
db_value(const PGresult *res, int row, int col)
{
	return PQgetvalue(res, row, col);
}
