/* The worker's PostgreSQL connection (see db.h). One connection per
 * worker process, opened lazily and never shared across fork(). */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "log.h"
#include "req.h"
#include "response.h"

static const struct conf	*conf;

/* A connection and the statements prepared on it: the primary (database,
 * every statement) and the streaming standby (database_standby, only the
 * statements marked STMT_STANDBY, issue 15). */
struct link {
	const char	*what;		/* "primary" or "standby", for the log */
	PGconn		*conn;
	unsigned char	 prepared[STMT_COUNT];	/* each prepared on first use */
};

static struct link	primary = { "primary", NULL, { 0 } };
static struct link	standby = { "standby", NULL, { 0 } };

/* What the worker knows of the standby: whether the last check found it
 * fresh, when that check ran, and no reconnection before retry_ms. */
static struct {
	int		 fresh;
	long long	 checked_ms;
	long long	 retry_ms;
	int		 said;		/* last state logged: 0 none, 1 used, 2 not */
} sb;

#define STANDBY_CHECK_MS	1000	/* staleness read at most this often */
#define STANDBY_RETRY_MS	10000	/* reconnection attempts this far apart */
#define STANDBY_CONNECT_MS	500	/* a connection to it takes at most this */
#define STANDBY_STATEMENT_MS	"2000"	/* a statement on it takes at most this */

/* Remembers the configuration; connecting waits for the first query. */
void
db_init(const struct conf *c)
{
	conf = c;
}

/* Closes link l's connection, if any. */
static void
link_close(struct link *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
}

/* Closes the connections, if any. */
void
db_close(void)
{
	link_close(&primary);
	link_close(&standby);
}

/* Prepares statement id on l unless it already is; returns 0, or -1
 * with the SQLSTATE copied into state. */
static int
prepare(struct link *l, enum stmt id, char state[6])
{
	PGresult	*res;
	int		 ok;

	if (l->prepared[id])
		return 0;
	res = PQprepare(l->conn, statements[id].name, statements[id].sql,
	    statements[id].nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		snprintf(state, 6, "%s", PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) != NULL ? PQresultErrorField(res,
		    PG_DIAG_SQLSTATE) : "");
	PQclear(res);
	if (ok)
		l->prepared[id] = 1;
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

/* Returns the wall clock in milliseconds (also for hosts.c). */
long long
db_clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Connects without waiting more than ms milliseconds (a standby that
 * does not answer must not hold the request: libpq's connect_timeout
 * counts whole seconds, at least 2); returns the connection, which may
 * be bad, or NULL. A host name is still resolved before the wait starts. */
static PGconn *
connect_within(const char *const *keys, const char *const *values, int ms)
{
	PostgresPollingStatusType	 st = PGRES_POLLING_WRITING;
	PGconn				*c;
	struct pollfd			 pfd;
	long long			 left, deadline = db_clock_ms() + ms;
	int				 n;

	if ((c = PQconnectStartParams(keys, values, 1)) == NULL ||
	    PQstatus(c) == CONNECTION_BAD)
		return c;
	while (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		if ((left = deadline - db_clock_ms()) <= 0)
			break;
		pfd.fd = PQsocket(c);
		pfd.events = st == PGRES_POLLING_READING ? POLLIN : POLLOUT;
		if ((n = poll(&pfd, 1, (int)left)) == 0)
			break;
		if (n < 0 && errno != EINTR)
			break;
		if (n > 0)
			st = PQconnectPoll(c);
	}
	if (st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Makes sure l has a usable connection to conninfo; returns 0, or -1
 * when the server cannot be reached (logged for the primary; the
 * standby's state changes are logged by standby_usable). The standby's
 * connection gets STANDBY_CONNECT_MS to connect and STANDBY_STATEMENT_MS
 * per statement (statement_timeout), after which the primary answers. */
static int
ensure_connected(struct link *l, const char *conninfo)
{
	static const char *const keys[] = {
		"dbname", "connect_timeout", "application_name", "options", NULL
	};
	const char	*values[5];

	if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK)
		return 0;
	link_close(l);
	memset(l->prepared, 0, sizeof(l->prepared));
	values[0] = conninfo;
	values[1] = "3";
	values[2] = l == &standby ? "creneau-fcgi-standby" : "creneau-fcgi";
	values[3] = l == &standby ? "-c statement_timeout=" STANDBY_STATEMENT_MS : NULL;
	values[4] = NULL;
	if (l == &standby)
		l->conn = connect_within(keys, values, STANDBY_CONNECT_MS);
	else
		l->conn = PQconnectdbParams(keys, values, 1);
	if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK ||
	    db_session_settings(l->conn, conf) == -1) {
		if (l == &primary)
			log_msg("database unavailable: %s", l->conn != NULL ?
			    PQerrorMessage(l->conn) : "out of memory");
		link_close(l);
		return -1;
	}
	return 0;
}

/* Logs the standby's state when it changes (1 used, 2 not used). */
static void
standby_say(int state, const char *why)
{
	if (sb.said == state)
		return;
	sb.said = state;
	if (state == 1)
		log_msg("standby: public pages read from it");
	else
		log_msg("standby: public pages read from the primary: %s", why);
}

/* Whether the standby may answer a STMT_STANDBY statement now: it is
 * configured, reachable, in recovery, and the newest host beat it has
 * replayed (creneau_standby_staleness(), schema/022) is at most
 * standby_max_lag_seconds old. Checked at most once a second per worker
 * (one small query on the standby); an unreachable standby is tried again
 * every 10 s, for at most STANDBY_CONNECT_MS. So what it shows is at most
 * standby_max_lag_seconds plus a second old, as far as the primary's and
 * the standby's clocks agree (the beats carry the primary's time). */
static int
standby_usable(void)
{
	long long	 now = db_clock_ms();
	PGresult	*res;
	char		 state[6];
	const char	*v;
	double		 stale;

	if (conf->database_standby == NULL || *conf->database_standby == '\0')
		return 0;
	if (now >= sb.checked_ms && now - sb.checked_ms < STANDBY_CHECK_MS)
		return sb.fresh;
	sb.checked_ms = now;
	sb.fresh = 0;
	if (standby.conn == NULL && now < sb.retry_ms)
		return 0;
	if (ensure_connected(&standby, conf->database_standby) == -1) {
		sb.retry_ms = now + STANDBY_RETRY_MS;
		standby_say(2, "unreachable (or not yet consistent)");
		return 0;
	}
	if (prepare(&standby, S_STANDBY_STALENESS, state) == -1) {
		if (PQstatus(standby.conn) != CONNECTION_OK)
			link_close(&standby);
		standby_say(2, "its staleness cannot be read (schema not migrated?)");
		return 0;
	}
	res = PQexecPrepared(standby.conn, statements[S_STANDBY_STALENESS].name,
	    0, NULL, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK || PQntuples(res) != 1) {
		PQclear(res);
		if (PQstatus(standby.conn) != CONNECTION_OK)
			link_close(&standby);
		standby_say(2, "its staleness cannot be read");
		return 0;
	}
	if (PQgetisnull(res, 0, 0)) {
		PQclear(res);
		standby_say(2, "not in recovery, or no host beat replayed yet");
		return 0;
	}
	v = PQgetvalue(res, 0, 0);
	stale = strtod(v, NULL);
	PQclear(res);
	if (stale > conf->standby_max_lag_seconds) {
		standby_say(2, "lagging more than standby_max_lag_seconds");
		return 0;
	}
	sb.fresh = 1;
	standby_say(1, NULL);
	return 1;
}

/* Clears a PGresult registered as an arena cleanup. */
static void
res_cleanup(void *p)
{
	PQclear(p);
}

/* Runs statement id on the standby: its result (owned by the arena), or
 * NULL after any failure, which makes the standby unused until the next
 * check; nothing is reported to the caller, who asks the primary. */
static PGresult *
standby_exec(struct req *r, enum stmt id, const char *const *params)
{
	const struct statement	*s = &statements[id];
	PGresult		*res;
	char			 state[6] = "";
	const char		*e;

	if (prepare(&standby, id, state) == -1) {
		log_msg("standby: prepare %s: SQLSTATE %s: %s", s->name, state,
		    PQerrorMessage(standby.conn));
		res = NULL;
	} else {
		res = PQexecPrepared(standby.conn, s->name, s->nparams, params,
		    NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK ||
		    PQresultStatus(res) == PGRES_COMMAND_OK) {
			if (arena_cleanup(r->arena, res_cleanup, res) == -1) {
				PQclear(res);
				return NULL;
			}
			return res;
		}
		/* A query cancelled by replay (SQLSTATE 40001), or the
		 * standby gone: the primary answers. */
		e = PQresultErrorField(res, PG_DIAG_SQLSTATE);
		log_msg("standby: %s: SQLSTATE %s: %s", s->name, e != NULL ? e : "",
		    PQerrorMessage(standby.conn));
		PQclear(res);
	}
	if (PQstatus(standby.conn) != CONNECTION_OK) {
		link_close(&standby);
		sb.retry_ms = db_clock_ms() + STANDBY_RETRY_MS;
	}
	sb.fresh = 0;
	sb.checked_ms = db_clock_ms();
	standby_say(2, "a query failed on it");
	return NULL;
}

/* Runs statement id with params (as many as the table says) and returns
 * its result, owned by the request arena; NULL on error, with
 * r->db_unavailable set when the database could not be reached and
 * r->sqlstate set when it refused the statement. A read-only statement is
 * retried once on a new connection after the old one was lost. A
 * STMT_STANDBY statement goes to the standby while it is fresh enough
 * (standby_usable), else, or when it fails there, to the primary. */
PGresult *
db_exec(struct req *r, enum stmt id, const char *const *params)
{
	const struct statement	*s = &statements[id];
	PGresult		*res;
	ExecStatusType		 st;
	const char		*state;
	int			 attempt;

	if (s->readonly == STMT_STANDBY && standby_usable() &&
	    (res = standby_exec(r, id, params)) != NULL)
		return res;
	for (attempt = 0; attempt < 2; attempt++) {
		if (ensure_connected(&primary, conf->database) == -1) {
			r->db_unavailable = 1;
			return NULL;
		}
		if (prepare(&primary, id, r->sqlstate) == -1) {
			if (PQstatus(primary.conn) != CONNECTION_OK) {
				link_close(&primary);
				continue;
			}
			if (*r->incident == '\0')
				resp_new_incident(r);
			log_msg("prepare %s: incident %s: SQLSTATE %s: %s", s->name,
			    r->incident, r->sqlstate, PQerrorMessage(primary.conn));
			return NULL;
		}
		res = PQexecPrepared(primary.conn, s->name, s->nparams, params,
		    NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
			if (arena_cleanup(r->arena, res_cleanup, res) == -1)
				return NULL;
			return res;
		}
		if (PQstatus(primary.conn) != CONNECTION_OK) {
			log_msg("%s: connection lost: %s", s->name,
			    PQerrorMessage(primary.conn));
			PQclear(res);
			link_close(&primary);
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
