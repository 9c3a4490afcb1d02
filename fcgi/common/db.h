/* The database layer of the three programs. Each program declares its
 * statements in a table (fcgi/web/statements.c, fcgi/notify/notify.c,
 * fcgi/admin/admin.c): a name, SQL whose parameters are written :name,
 * and the names of the result columns. db_setup() compiles the table
 * once (:name becomes $1, $2, … in order of first use); each statement
 * is prepared on first use on the process's one connection, and
 * PostgreSQL's description of it is checked against the declared
 * columns, so a renamed column fails at prepare, in the log, not as a
 * wrong value on a page. Callers bind parameters by name (DB_ARGS) and
 * read cells by column name (db_get): no code counts positions. */
#ifndef CRENEAU_DB_H
#define CRENEAU_DB_H

#include <stddef.h>

#include <libpq-fe.h>

struct conf;

/* struct statement's readonly: a change of state (never retried, always
 * on the primary), a read safe to retry after a lost connection, or such
 * a read that may also be answered by the streaming standby
 * (database_standby; only the public pages anyone sees the same: home,
 * site, calendar, a day's times), bounded by standby_max_lag_seconds
 * (issue 15). DB_REPORT: a read of creneau-report, sent to its own
 * connection (database_report: a standby in production; database when
 * empty), with no freshness check and no fallback: its other statements,
 * the writes, go to the primary (issue 14). */
#define DB_WRITE	0
#define DB_READONLY	1
#define DB_STANDBY	2
#define DB_REPORT	3

/* One statement of a program's table. */
struct statement {
	const char	*name;
	int		 readonly;	/* DB_WRITE, DB_READONLY, DB_STANDBY, DB_REPORT */
	const char	*sql;		/* parameters written :name */
	const char	*cols;		/* result columns, space-separated; NULL: none */
};

/* A parameter bound by name; a list ends with { NULL, NULL }. */
struct db_arg {
	const char	*name;
	const char	*value;		/* NULL binds SQL NULL */
};
#define DB_ARGS(...)	((const struct db_arg[]){ __VA_ARGS__, { NULL, NULL } })

/* Why db_run returned NULL. */
struct db_error {
	int		 unavailable;	/* could not reach the database */
	char		 sqlstate[6];	/* the refusal's SQLSTATE, or "" */
	char		 message[256];	/* for the log */
};

#define DB_MAX_PARAMS	24

int		 db_setup(const struct conf *, const char *,
		    const struct statement *, size_t,
		    int (*)(PGconn *, const struct conf *));
PGresult	*db_run(size_t, const struct db_arg *, struct db_error *);
int		 db_prepare(size_t, struct db_error *);
const char	*db_get(const PGresult *, int, const char *);
int		 db_isnull(const PGresult *, int, const char *);
int		 db_connect(void);
PGconn		*db_conn(void);
void		 db_close(void);
int		 db_session_settings(PGconn *, const struct conf *);
long long	 db_clock_ms(void);
int		 db_compile(const char *, char *, size_t, const char **, int);
int		 db_check_columns(const char *, const PGresult *, const char *,
		    char *, size_t);

#endif
