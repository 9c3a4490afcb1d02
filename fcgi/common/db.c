/* The database layer (see db.h): one connection per process, opened
 * lazily and never shared across fork(); a statement table compiled
 * once; parameters bound and columns read by name. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "conf.h"
#include "db.h"
#include "log.h"

/* A statement of the table, compiled: SQL with $n, parameter names. */
struct compiled {
	char		*sql;
	int		 nparams;
	const char	*params[DB_MAX_PARAMS];
};

static const struct conf	*conf;
static const char		*application;
static const struct statement	*table;
static struct compiled		*compiled;
static size_t			 count;
static int			(*on_connect)(PGconn *, const struct conf *);

/* A connection and the statements prepared on it: the primary (database,
 * every statement but DB_REPORT ones), the streaming standby
 * (database_standby, only the statements marked DB_STANDBY; issue 15)
 * and creneau-report's reading connection (database_report, else
 * database; only the statements marked DB_REPORT; issue 14). */
struct link {
	const char	*what;		/* "primary", "standby", "report" */
	PGconn		*conn;
	unsigned char	*prepared;	/* per statement, prepared on first use */
};

static struct link	primary = { "primary", NULL, NULL };
static struct link	standby = { "standby", NULL, NULL };
static struct link	reader = { "report", NULL, NULL };

/* What the process knows of the standby: whether the last check found it
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

/* Whether c may start or continue an SQL identifier. */
static int
ident_char(int c, int first)
{
	return c == '_' || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (!first && c >= '0' && c <= '9');
}

/* Length of the dollar-quote tag starting at s ("$$" or "$tag$"), or 0. */
static size_t
dollar_tag(const char *s)
{
	size_t	n = 1;

	while (ident_char((unsigned char)s[n], n == 1))
		n++;
	return s[n] == '$' ? n + 1 : 0;
}

/* Copies what is between quote q starting at *s into out (q included),
 * doubling-aware; advances *s and *o. Returns -1 when out is full. */
static int
copy_quoted(const char **s, char **o, const char *end, char q)
{
	const char	*p = *s;

	do {
		if (*o >= end)
			return -1;
		*(*o)++ = *p++;
		if (p[-1] == q && p - 1 != *s) {
			if (*p != q)
				break;
			if (*o >= end)
				return -1;
			*(*o)++ = *p++;
		}
	} while (*p != '\0');
	*s = p;
	return 0;
}

/* Rewrites sql's :name parameters as $1, $2, … (a name used twice gets
 * one number) into out, and their names into names (pointers into a
 * copy owned by the caller's out buffer are not kept: names are
 * allocated). Quoted strings, identifiers, comments, dollar quotes and
 * :: casts are left alone. Returns the number of parameters, or -1 when
 * out is too small or there are more than max. */
static int	compile_sql(const char *, char *, size_t, const char **, int,
		    int *);

int
db_compile(const char *sql, char *out, size_t outsz, const char **names,
    int max)
{
	int	n = 0, i;

	if (compile_sql(sql, out, outsz, names, max, &n) == 0)
		return n;
	for (i = 0; i < n; i++)
		free((char *)names[i]);
	return -1;
}

/* db_compile's work; the names found so far are counted in *found, so
 * that a failure can free them. Returns 0 or -1. */
static int
compile_sql(const char *sql, char *out, size_t outsz, const char **names,
    int max, int *found)
{
	const char	*s = sql, *end_in;
	char		*o = out, *end = out + outsz - 1;
	int		 i;
	size_t		 len, tag;

	while (*s != '\0') {
		if (o >= end)
			return -1;
		if (*s == '\'' || *s == '"') {
			if (copy_quoted(&s, &o, end, *s) == -1)
				return -1;
		} else if (s[0] == '-' && s[1] == '-') {
			while (*s != '\0' && *s != '\n' && o < end)
				*o++ = *s++;
		} else if (s[0] == '/' && s[1] == '*') {
			end_in = strstr(s + 2, "*/");
			len = end_in != NULL ? (size_t)(end_in + 2 - s) : strlen(s);
			if ((size_t)(end - o) < len)
				return -1;
			memcpy(o, s, len);
			o += len;
			s += len;
		} else if (*s == '$' && (tag = dollar_tag(s)) > 0) {
			end_in = strstr(s + tag, "$");
			while (end_in != NULL && strncmp(end_in, s, tag) != 0)
				end_in = strstr(end_in + 1, "$");
			len = end_in != NULL ? (size_t)(end_in + tag - s) : strlen(s);
			if ((size_t)(end - o) < len)
				return -1;
			memcpy(o, s, len);
			o += len;
			s += len;
		} else if (s[0] == ':' && s[1] == ':') {
			*o++ = *s++;
			*o++ = *s++;
		} else if (s[0] == ':' && ident_char((unsigned char)s[1], 1)) {
			for (len = 1; ident_char((unsigned char)s[1 + len], 0); len++)
				;
			for (i = 0; i < *found; i++)
				if (strlen(names[i]) == len &&
				    strncmp(names[i], s + 1, len) == 0)
					break;
			if (i == *found) {
				if (*found == max)
					return -1;
				if ((names[*found] = strndup(s + 1, len)) == NULL)
					return -1;
				(*found)++;
			}
			o += snprintf(o, (size_t)(end - o) + 1, "$%d", i + 1);
			if (o >= end)
				return -1;
			s += 1 + len;
		} else
			*o++ = *s++;
	}
	*o = '\0';
	return 0;
}

/* Remembers the program's configuration and statement table and
 * compiles the table; connecting waits for the first statement.
 * connect_hook, if any, runs on every new connection. Returns 0, or -1
 * (logged) when a statement cannot be compiled. */
int
db_setup(const struct conf *c, const char *app, const struct statement *t,
    size_t n, int (*connect_hook)(PGconn *, const struct conf *))
{
	size_t	i, sz;

	conf = c;
	application = app;
	table = t;
	count = n;
	on_connect = connect_hook;
	if ((compiled = calloc(n, sizeof(*compiled))) == NULL ||
	    (primary.prepared = calloc(n, 1)) == NULL ||
	    (standby.prepared = calloc(n, 1)) == NULL ||
	    (reader.prepared = calloc(n, 1)) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		sz = strlen(t[i].sql) + 4 * DB_MAX_PARAMS + 1;
		if ((compiled[i].sql = malloc(sz)) == NULL)
			return -1;
		compiled[i].nparams = db_compile(t[i].sql, compiled[i].sql, sz,
		    compiled[i].params, DB_MAX_PARAMS);
		if (compiled[i].nparams == -1) {
			log_msg("statement %s: cannot read its :parameters",
			    t[i].name);
			return -1;
		}
	}
	return 0;
}

/* Closes link l's connection, if any. */
static void
link_close(struct link *l)
{
	if (l->conn != NULL)
		PQfinish(l->conn);
	l->conn = NULL;
	if (l->prepared != NULL)
		memset(l->prepared, 0, count);
}

/* Closes the connections, if any. */
void
db_close(void)
{
	link_close(&primary);
	link_close(&standby);
	link_close(&reader);
}

/* The primary connection (NULL when none), for LISTEN and COPY. */
PGconn *
db_conn(void)
{
	return primary.conn;
}

/* Returns the wall clock in milliseconds. */
long long
db_clock_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Gives a new connection the settings of creneau.conf that SQL reads:
 * the release window of freed places (creneau_release_time()), for the
 * places freed without explicit bounds (a hold run out, five wrong
 * codes). Returns 0, or -1 with the connection's error. */
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
 * when the server cannot be reached (logged for the primary and the
 * report link; the
 * standby's state changes are logged by standby_usable). The standby's
 * connection gets STANDBY_CONNECT_MS to connect and STANDBY_STATEMENT_MS
 * per statement (statement_timeout), after which the primary answers. */
static int
link_connect(struct link *l, const char *conninfo)
{
	static const char *const keys[] = {
		"dbname", "connect_timeout", "application_name", "options", NULL
	};
	const char	*values[5];
	char		 app[64];

	if (l->conn != NULL && PQstatus(l->conn) == CONNECTION_OK)
		return 0;
	link_close(l);
	snprintf(app, sizeof(app), "%s%s", application,
	    l == &standby ? "-standby" : "");
	values[0] = conninfo;
	values[1] = "3";
	values[2] = app;
	values[3] = l == &standby ? "-c statement_timeout=" STANDBY_STATEMENT_MS : NULL;
	values[4] = NULL;
	if (l == &standby)
		l->conn = connect_within(keys, values, STANDBY_CONNECT_MS);
	else
		l->conn = PQconnectdbParams(keys, values, 1);
	if (l->conn == NULL || PQstatus(l->conn) != CONNECTION_OK ||
	    db_session_settings(l->conn, conf) == -1 ||
	    (l == &primary && on_connect != NULL &&
	    on_connect(l->conn, conf) == -1)) {
		if (l != &standby)
			log_msg("%sdatabase unavailable: %s",
			    l == &reader ? "report " : "", l->conn != NULL ?
			    PQerrorMessage(l->conn) : "out of memory");
		link_close(l);
		return -1;
	}
	return 0;
}

/* Makes sure a usable connection to the primary exists; returns 0, or
 * -1 (logged) when the database cannot be reached. */
int
db_connect(void)
{
	return link_connect(&primary, conf->database);
}

/* Compares the columns PostgreSQL describes for statement name with the
 * declared ones (space-separated, NULL for none); returns 0, or -1 with
 * what differs written to why. */
int
db_check_columns(const char *name, const PGresult *desc, const char *cols,
    char *why, size_t whysz)
{
	const char	*c = cols != NULL ? cols : "";
	int		 i, nf = PQnfields(desc);
	size_t		 len;

	for (i = 0; i < nf; i++) {
		c += strspn(c, " ");
		len = strcspn(c, " ");
		if (len == 0) {
			snprintf(why, whysz, "statement %s: column %d \"%s\" is not"
			    " declared", name, i + 1, PQfname(desc, i));
			return -1;
		}
		if (strlen(PQfname(desc, i)) != len ||
		    strncmp(PQfname(desc, i), c, len) != 0) {
			snprintf(why, whysz, "statement %s: column %d is \"%s\","
			    " declared \"%.*s\"", name, i + 1, PQfname(desc, i),
			    (int)len, c);
			return -1;
		}
		c += len;
	}
	c += strspn(c, " ");
	if (*c != '\0') {
		snprintf(why, whysz, "statement %s: declared column \"%.*s\" is"
		    " not in the result", name, (int)strcspn(c, " "), c);
		return -1;
	}
	return 0;
}

/* Copies res's SQLSTATE and message (of connection c) into err. */
static void
error_from(struct db_error *err, PGconn *conn, const PGresult *res,
    const char *what)
{
	const char	*state = PQresultErrorField(res, PG_DIAG_SQLSTATE);
	const char	*msg = PQresultErrorField(res, PG_DIAG_MESSAGE_PRIMARY);

	snprintf(err->sqlstate, sizeof(err->sqlstate), "%s",
	    state != NULL ? state : "");
	snprintf(err->message, sizeof(err->message), "%s%s", what,
	    msg != NULL ? msg : PQerrorMessage(conn));
}

/* Prepares statement id on l unless it already is, and checks its declared
 * columns; returns 0, or -1 with err filled. */
static int
prepare(struct link *l, size_t id, struct db_error *err)
{
	PGresult	*res;
	int		 ok;

	if (l->prepared[id])
		return 0;
	res = PQprepare(l->conn, table[id].name, compiled[id].sql,
	    compiled[id].nparams, NULL);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		error_from(err, l->conn, res, "prepare: ");
	PQclear(res);
	if (!ok)
		return -1;
	res = PQdescribePrepared(l->conn, table[id].name);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		error_from(err, l->conn, res, "describe: ");
	else if (PQnparams(res) != compiled[id].nparams) {
		snprintf(err->message, sizeof(err->message), "statement %s has"
		    " %d parameters, PostgreSQL sees %d", table[id].name,
		    compiled[id].nparams, PQnparams(res));
		ok = 0;
	} else if (db_check_columns(table[id].name, res, table[id].cols,
	    err->message, sizeof(err->message)) == -1)
		ok = 0;
	PQclear(res);
	if (!ok) {
		/* Deallocate, so that the next try reports the same. */
		char	sql[128];

		snprintf(sql, sizeof(sql), "DEALLOCATE %s", table[id].name);
		res = PQexec(l->conn, sql);
		PQclear(res);
		return -1;
	}
	l->prepared[id] = 1;
	return 0;
}

/* Prepares statement id on the connection (opening it if need be) and
 * checks its declared columns, without running it; returns 0, or -1
 * with err filled. For the checks of the statement tables. */
int
db_prepare(size_t id, struct db_error *err)
{
	memset(err, 0, sizeof(*err));
	if (id >= count)
		return -1;
	if (db_connect() == -1) {
		err->unavailable = 1;
		snprintf(err->message, sizeof(err->message),
		    "database unavailable");
		return -1;
	}
	return prepare(&primary, id, err);
}

/* Puts the value of every parameter of statement id, found by name in
 * args, into values; returns 0, or -1 with err saying which is missing
 * or which argument the statement does not take. */
static int
bind(size_t id, const struct db_arg *args, const char **values,
    struct db_error *err)
{
	const struct compiled	*c = &compiled[id];
	const struct db_arg	*a;
	int			 i, used = 0, given = 0;

	for (a = args; a != NULL && a->name != NULL; a++)
		given++;
	for (i = 0; i < c->nparams; i++) {
		for (a = args; a != NULL && a->name != NULL; a++)
			if (strcmp(a->name, c->params[i]) == 0)
				break;
		if (a == NULL || a->name == NULL) {
			snprintf(err->message, sizeof(err->message),
			    "statement %s: no value for :%s", table[id].name,
			    c->params[i]);
			return -1;
		}
		values[i] = a->value;
		used++;
	}
	if (used != given) {
		for (a = args; a->name != NULL; a++) {
			for (i = 0; i < c->nparams; i++)
				if (strcmp(a->name, c->params[i]) == 0)
					break;
			if (i == c->nparams)
				break;
		}
		snprintf(err->message, sizeof(err->message), "statement %s"
		    " takes no :%s", table[id].name, a->name != NULL ? a->name :
		    "(repeated argument)");
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

/* Whether the standby may answer a DB_STANDBY statement now: it is
 * configured, reachable, in recovery, and the newest host beat it has
 * replayed (creneau_standby_staleness(), schema/code/hosts.sql) is at
 * most standby_max_lag_seconds old. Checked at most once a second per
 * process (one small query on the standby); an unreachable standby is
 * tried again every 10 s, for at most STANDBY_CONNECT_MS. So what it
 * shows is at most standby_max_lag_seconds plus a second old, as far as
 * the primary's and the standby's clocks agree (the beats carry the
 * primary's time). */
static int
standby_usable(void)
{
	long long	 now = db_clock_ms();
	PGresult	*res;
	double		 stale;
	int		 ok, null;

	if (conf->database_standby == NULL || *conf->database_standby == '\0')
		return 0;
	if (now >= sb.checked_ms && now - sb.checked_ms < STANDBY_CHECK_MS)
		return sb.fresh;
	sb.checked_ms = now;
	sb.fresh = 0;
	if (standby.conn == NULL && now < sb.retry_ms)
		return 0;
	if (link_connect(&standby, conf->database_standby) == -1) {
		sb.retry_ms = now + STANDBY_RETRY_MS;
		standby_say(2, "unreachable (or not yet consistent)");
		return 0;
	}
	res = PQexec(standby.conn, "SELECT creneau_standby_staleness() AS stale");
	ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
	null = ok && PQgetisnull(res, 0, 0);
	stale = ok && !null ? strtod(db_get(res, 0, "stale"), NULL) : 0;
	PQclear(res);
	if (!ok) {
		if (PQstatus(standby.conn) != CONNECTION_OK)
			link_close(&standby);
		standby_say(2, "its staleness cannot be read");
		return 0;
	}
	if (null) {
		standby_say(2, "not in recovery, or no host beat replayed yet");
		return 0;
	}
	if (stale > conf->standby_max_lag_seconds) {
		standby_say(2, "lagging more than standby_max_lag_seconds");
		return 0;
	}
	sb.fresh = 1;
	standby_say(1, NULL);
	return 1;
}

/* Runs statement id on the standby: its result, or NULL after any
 * failure, which makes the standby unused until the next check; nothing
 * is reported to the caller, who asks the primary. */
static PGresult *
standby_run(size_t id, const char *const *values)
{
	struct db_error	 err;
	PGresult	*res = NULL;

	memset(&err, 0, sizeof(err));
	if (prepare(&standby, id, &err) == -1)
		log_msg("standby: %s: %s", table[id].name, err.message);
	else {
		res = PQexecPrepared(standby.conn, table[id].name,
		    compiled[id].nparams, values, NULL, NULL, 0);
		if (PQresultStatus(res) == PGRES_TUPLES_OK ||
		    PQresultStatus(res) == PGRES_COMMAND_OK)
			return res;
		/* A query cancelled by replay (SQLSTATE 40001), or the
		 * standby gone: the primary answers. */
		error_from(&err, standby.conn, res, "");
		log_msg("standby: %s: SQLSTATE %s: %s", table[id].name,
		    err.sqlstate, err.message);
		PQclear(res);
	}
	if (standby.conn == NULL || PQstatus(standby.conn) != CONNECTION_OK) {
		link_close(&standby);
		sb.retry_ms = db_clock_ms() + STANDBY_RETRY_MS;
	}
	sb.fresh = 0;
	sb.checked_ms = db_clock_ms();
	standby_say(2, "a query failed on it");
	return NULL;
}

/* Runs statement id with its parameters bound by name and returns its
 * result (the caller PQclears it), or NULL with err filled: unavailable
 * when the database could not be reached, else sqlstate and message. A
 * read-only statement is retried once on a new connection after the old
 * one was lost. A DB_STANDBY statement goes to the standby while it is
 * fresh enough (standby_usable), else, or when it fails there, to the
 * primary. A DB_REPORT statement goes to the report link (database_report,
 * else database), never elsewhere. */
PGresult *
db_run(size_t id, const struct db_arg *args, struct db_error *err)
{
	const char	*values[DB_MAX_PARAMS];
	struct link	*l = &primary;
	const char	*conninfo;
	PGresult	*res;
	ExecStatusType	 st;
	int		 attempt;

	memset(err, 0, sizeof(*err));
	if (id >= count)
		return NULL;
	if (bind(id, args, values, err) == -1)
		return NULL;
	if (table[id].readonly == DB_STANDBY && standby_usable() &&
	    (res = standby_run(id, values)) != NULL)
		return res;
	conninfo = conf->database;
	if (table[id].readonly == DB_REPORT) {
		l = &reader;
		if (conf->database_report != NULL && *conf->database_report != '\0')
			conninfo = conf->database_report;
	}
	for (attempt = 0; attempt < 2; attempt++) {
		if (link_connect(l, conninfo) == -1) {
			err->unavailable = 1;
			return NULL;
		}
		if (prepare(l, id, err) == -1) {
			if (PQstatus(l->conn) != CONNECTION_OK ||
			    *err->sqlstate == '\0') {	/* see below */
				link_close(l);
				continue;
			}
			return NULL;
		}
		res = PQexecPrepared(l->conn, table[id].name, compiled[id].nparams,
		    values, NULL, NULL, 0);
		st = PQresultStatus(res);
		if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK)
			return res;
		/* No SQLSTATE: libpq made the error itself, the server never
		 * answered. After pg_ctl -m immediate the status may still say
		 * CONNECTION_OK while the socket is dead (t/faults/pg_restart.t
		 * saw 500s there): the connection is lost all the same. */
		if (PQstatus(l->conn) != CONNECTION_OK ||
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) == NULL) {
			log_msg("%s: connection lost: %s", table[id].name,
			    PQerrorMessage(l->conn));
			PQclear(res);
			link_close(l);
			/* A DB_REPORT read is part of the report's one
			 * transaction (its snapshot): not retried either. */
			if (table[id].readonly == DB_WRITE ||
			    table[id].readonly == DB_REPORT)
				break;
			continue;
		}
		error_from(err, l->conn, res, "");
		PQclear(res);
		/* The server, not the statement, failed: out of disk or memory
		 * or connections (class 53), shutting down or starting
		 * (57P01-57P03), or the link (class 08). The transaction was
		 * rolled back: the caller answers as when the database is away
		 * (503 with Retry-After), the SQLSTATE kept for the log. */
		if (strncmp(err->sqlstate, "53", 2) == 0 ||
		    strncmp(err->sqlstate, "57P", 3) == 0 ||
		    strncmp(err->sqlstate, "08", 2) == 0)
			err->unavailable = 1;
		return NULL;
	}
	err->unavailable = 1;
	return NULL;
}

/* Returns the text of column col of row ("" for NULL). A name the
 * result does not have is a programming error: it is logged and read
 * as "". */
const char *
db_get(const PGresult *res, int row, const char *col)
{
	int	n = PQfnumber(res, col);

	if (n < 0) {
		log_msg("db_get: the result has no column \"%s\"", col);
		return "";
	}
	return PQgetvalue(res, row, n);
}

/* Whether column col of row is NULL (an unknown name is logged, and
 * reads as NULL). */
int
db_isnull(const PGresult *res, int row, const char *col)
{
	int	n = PQfnumber(res, col);

	if (n < 0) {
		log_msg("db_isnull: the result has no column \"%s\"", col);
		return 1;
	}
	return PQgetisnull(res, row, n);
}
