/* creneau-admin: the operator's tool. "migrate" brings the database to
 * the schema of schema_dir in one transaction: it drops the code (every
 * function, view and trigger of creneau's schemas but the functions
 * tables use in a CHECK or an index), applies the first code file
 * (code/bootstrap.sql: what the migrations need), the pending numbered
 * migrations (NNN_name.sql, tables and data, recorded in
 * schema_migrations), then every code file listed in code/ORDER, and
 * checks the bodies of the SQL and PL/pgSQL functions against the final
 * tables. So the code that runs is the code of the files, whatever the
 * database ran before. "status" lists the migrations. Re-runnable, and
 * safe against two runs at once (advisory lock). */
#include "config.h"

#include <sys/stat.h>

#include <dirent.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <libpq-fe.h>
#include <sodium.h>

#include "admin_draw.h"
#include "conf.h"
#include "db.h"

#ifndef CRENEAU_CONF
#define CRENEAU_CONF	"/etc/creneau/creneau.conf"
#endif

#define MAX_MIGRATIONS	1000
#define MAX_CODE_FILES	100
#define LOCK_KEY	"4242001"

static const char create_table[] =
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version text PRIMARY KEY,"
    " applied_at timestamptz NOT NULL DEFAULT now())";

/* Prints the usage and returns the exit status for it. */
static int
usage(void)
{
	fprintf(stderr, "usage: creneau-admin [-c configuration] command\n"
	    "  migrate              apply the pending SQL migrations and reload\n"
	    "                       the SQL code (functions, views, triggers)\n"
	    "  status               list applied and pending migrations\n"
	    "  sweep                expire unconfirmed holds, return cancelled places\n"
	    "  import-agdref FILE   add the AGDREF numbers of FILE (one per line)\n"
	    "  staff-add EMAIL ROLE NAME [SITE-SLUG... | ORGANISATION]\n"
	    "                       create a staff account (password on stdin);\n"
	    "                       ROLE: agent, supervisor, mediator, administrator\n"
	    "  draw-run             run the due draws, pass lapsed offers down the order\n"
	    "  draw-verify SEED ENTRIES\n"
	    "                       recompute a draw's order from its published seed\n"
	    "                       (hex) and entry ids (a file, one a line; - for stdin)\n");
	return 2;
}

/* Runs a command and reports a failure with its SQLSTATE; 0 or -1. */
static int
run(PGconn *db, const char *sql, const char *what)
{
	PGresult	*res = PQexec(db, sql);
	ExecStatusType	 st = PQresultStatus(res);
	int		 ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK ||
		    st == PGRES_EMPTY_QUERY;

	if (!ok)
		fprintf(stderr, "creneau-admin: %s: %s %s", what,
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) ?
		    PQresultErrorField(res, PG_DIAG_SQLSTATE) : "",
		    PQerrorMessage(db));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Orders file names. */
static int
by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Lists migration files of dir into names (sorted); returns the count or -1. */
static int
list_files(const char *dir, char **names)
{
	DIR		*d;
	struct dirent	*e;
	regex_t		 re;
	int		 n = 0;

	if (regcomp(&re, "^[0-9]{3}_[a-z0-9_]+\\.sql$", REG_EXTENDED | REG_NOSUB) != 0)
		return -1;
	if ((d = opendir(dir)) == NULL) {
		fprintf(stderr, "creneau-admin: %s: %s\n", dir, strerror(errno));
		regfree(&re);
		return -1;
	}
	while ((e = readdir(d)) != NULL && n < MAX_MIGRATIONS)
		if (regexec(&re, e->d_name, 0, NULL, 0) == 0)
			names[n++] = strdup(e->d_name);
	closedir(d);
	regfree(&re);
	qsort(names, (size_t)n, sizeof(*names), by_name);
	return n;
}

/* Reads a whole file into a new string, or NULL. */
static char *
slurp(const char *path)
{
	FILE	*f;
	char	*buf;
	long	 size;

	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	if (fseek(f, 0, SEEK_END) == -1 || (size = ftell(f)) < 0 ||
	    fseek(f, 0, SEEK_SET) == -1 || (buf = malloc((size_t)size + 1)) == NULL) {
		fclose(f);
		return NULL;
	}
	if (fread(buf, 1, (size_t)size, f) != (size_t)size) {
		free(buf);
		fclose(f);
		return NULL;
	}
	buf[size] = '\0';
	fclose(f);
	return buf;
}

/* Returns 1 when version is recorded as applied, 0 if not, -1 on error. */
static int
applied(PGconn *db, const char *version)
{
	const char	*p[1] = { version };
	PGresult	*res;
	int		 rc;

	res = PQexecParams(db, "SELECT 1 FROM schema_migrations WHERE version = $1",
	    1, NULL, p, NULL, NULL, 0);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		rc = -1;
	else
		rc = PQntuples(res) > 0;
	PQclear(res);
	return rc;
}

/* The schemas of creneau: public and those the migrations made
 * (reporting, …), not PostgreSQL's own. */
#define USER_SCHEMAS \
    "SELECT oid FROM pg_namespace WHERE nspname !~ '^(pg_|information_schema$)'"

/* Drops the code: the triggers of creneau's tables (not the internal
 * ones of foreign keys), the views, and the functions that only code
 * depends on (those a CHECK or an index uses stay, replaced in place by
 * code/bootstrap.sql); extensions' objects are left alone. Functions go
 * in two rounds: those no view uses (some return a view's rows, which
 * keeps the view), then, once the views are gone, the others. */
static const char drop_code[] =
    "DO $drop$\n"
    "DECLARE\n"
    "    r record;\n"
    "    v text;\n"
    "    round integer;\n"
    "BEGIN\n"
    "    FOR r IN SELECT t.tgname, t.tgrelid::regclass AS rel\n"
    "               FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid\n"
    "              WHERE c.relnamespace IN (" USER_SCHEMAS ") AND NOT t.tgisinternal\n"
    "    LOOP\n"
    "        EXECUTE format('DROP TRIGGER %I ON %s', r.tgname, r.rel);\n"
    "    END LOOP;\n"
    "    FOR round IN 1..2 LOOP\n"
    "        SELECT string_agg(p.oid::regprocedure::text, ', ') INTO v\n"
    "          FROM pg_proc p\n"
    "         WHERE p.pronamespace IN (" USER_SCHEMAS ")\n"
    "           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid\n"
    "                              AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e')\n"
    "           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.refobjid = p.oid\n"
    "                              AND d.refclassid = 'pg_proc'::regclass\n"
    "                              AND d.classid <> 'pg_proc'::regclass);\n"
    "        IF v IS NOT NULL THEN\n"
    "            EXECUTE 'DROP ROUTINE ' || v;\n"
    "        END IF;\n"
    "        EXIT WHEN round = 2;\n"
    "        SELECT string_agg(c.oid::regclass::text, ', ') INTO v\n"
    "          FROM pg_class c\n"
    "         WHERE c.relnamespace IN (" USER_SCHEMAS ") AND c.relkind = 'v'\n"
    "           AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = c.oid\n"
    "                              AND d.classid = 'pg_class'::regclass AND d.deptype = 'e');\n"
    "        IF v IS NOT NULL THEN\n"
    "            EXECUTE 'DROP VIEW ' || v;\n"
    "        END IF;\n"
    "    END LOOP;\n"
    "END\n"
    "$drop$";

/* Checks the body of every SQL and PL/pgSQL function of creneau's schemas
 * (the code files are loaded with check_function_bodies off, so a
 * function may call one of a later file): an SQL body naming a missing
 * table, column or function fails here, and migrate with it. */
static const char check_code[] =
    "DO $check$\n"
    "DECLARE\n"
    "    r record;\n"
    "BEGIN\n"
    "    FOR r IN SELECT p.oid, l.lanname\n"
    "               FROM pg_proc p JOIN pg_language l ON l.oid = p.prolang\n"
    "              WHERE p.pronamespace IN (" USER_SCHEMAS ")\n"
    "                AND l.lanname IN ('sql', 'plpgsql')\n"
    "                AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid\n"
    "                                   AND d.classid = 'pg_proc'::regclass AND d.deptype = 'e')\n"
    "    LOOP\n"
    "        BEGIN\n"
    "            IF r.lanname = 'sql' THEN\n"
    "                PERFORM fmgr_sql_validator(r.oid);\n"
    "            ELSE\n"
    "                PERFORM plpgsql_validator(r.oid);\n"
    "            END IF;\n"
    "        EXCEPTION WHEN OTHERS THEN\n"
    "            RAISE EXCEPTION USING ERRCODE = SQLSTATE,\n"
    "                MESSAGE = format('function %s: %s', r.oid::regprocedure, SQLERRM);\n"
    "        END;\n"
    "    END LOOP;\n"
    "END\n"
    "$check$";

/* Runs the SQL file dir/name; 0 or -1 (reported). */
static int
run_file(PGconn *db, const char *dir, const char *name)
{
	char	 path[4096];
	char	*sql;
	int	 rc;

	if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, name) >= sizeof(path) ||
	    (sql = slurp(path)) == NULL) {
		fprintf(stderr, "creneau-admin: %s: %s\n", path, strerror(errno));
		return -1;
	}
	rc = run(db, sql, path);
	free(sql);
	return rc;
}

/* Reads the list of code files (code/ORDER: one name a line, # comments)
 * into names; returns the count, or -1 when the list is missing, empty,
 * too long or names a file that is not NAME.sql. */
static int
code_order(const char *dir, char **names)
{
	char	 path[4096], line[256];
	FILE	*f;
	size_t	 len;
	int	 n = 0, bad = 0;

	if ((size_t)snprintf(path, sizeof(path), "%s/ORDER", dir) >= sizeof(path) ||
	    (f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "creneau-admin: %s: %s\n", path, strerror(errno));
		return -1;
	}
	while (!bad && fgets(line, sizeof(line), f) != NULL) {
		len = strcspn(line, "\r\n# \t");
		line[len] = '\0';
		if (len == 0)
			continue;
		if (n == MAX_CODE_FILES || len < 5 || strchr(line, '/') != NULL ||
		    strcmp(line + len - 4, ".sql") != 0)
			bad = 1;
		else
			names[n++] = strdup(line);
	}
	fclose(f);
	if (bad || n == 0) {
		fprintf(stderr, "creneau-admin: %s: %s\n", path,
		    bad ? "not a list of NAME.sql files" : "lists no file");
		while (n > 0)
			free(names[--n]);
		return -1;
	}
	return n;
}

/* Applies one pending migration (inside migrate's transaction) and
 * records it; 0 or -1. */
static int
apply(PGconn *db, const char *dir, const char *name, const char *version)
{
	const char	*p[1] = { version };
	PGresult	*res;
	int		 ok;

	if (run_file(db, dir, name) == -1)
		return -1;
	res = PQexecParams(db, "INSERT INTO schema_migrations (version)"
	    " VALUES ($1)", 1, NULL, p, NULL, NULL, 0);
	ok = PQresultStatus(res) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "creneau-admin: %s: %s", name, PQerrorMessage(db));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Lists the migrations (dry set) or brings the schema up to date in one
 * transaction: code dropped, bootstrap code, pending migrations, every
 * code file, bodies checked. Prints what it applied once committed; 0 or
 * 1. */
static int
migrate(PGconn *db, const char *dir, int dry)
{
	char	*names[MAX_MIGRATIONS], *code[MAX_CODE_FILES];
	char	 version[256], codedir[2048];
	int	 todo[MAX_MIGRATIONS];
	int	 i, n, nc = 0, is, rc = 0, pending = 0;

	snprintf(codedir, sizeof(codedir), "%s/code", dir);
	if (run(db, "SET client_min_messages = warning", "settings") == -1 ||
	    run(db, create_table, "schema_migrations") == -1)
		return 1;
	if ((n = list_files(dir, names)) < 0)
		return 1;
	if (!dry && (nc = code_order(codedir, code)) < 0) {
		nc = 0;
		rc = 1;
	}
	if (rc == 0 && !dry && (run(db, "BEGIN", "begin") == -1 ||
	    run(db, "SELECT pg_advisory_xact_lock(" LOCK_KEY ")", "lock") == -1 ||
	    run(db, drop_code, "dropping the code") == -1 ||
	    run(db, "SET LOCAL check_function_bodies = off", "settings") == -1 ||
	    run_file(db, codedir, code[0]) == -1))
		rc = 1;
	for (i = 0; i < n; i++) {
		snprintf(version, sizeof(version), "%.*s",
		    (int)(strlen(names[i]) - 4), names[i]);
		if (rc == 0 && (is = applied(db, version)) == -1)
			rc = 1;
		else if (rc == 0 && dry)
			printf("%s %s\n", is ? "applied" : "pending", version);
		else if (rc == 0 && !is) {
			todo[pending++] = i;
			if (apply(db, dir, names[i], version) == -1)
				rc = 1;
		}
	}
	for (i = 0; i < nc; i++)
		if (rc == 0 && run_file(db, codedir, code[i]) == -1)
			rc = 1;
	if (!dry && rc == 0 &&
	    (run(db, "SET LOCAL check_function_bodies = on", "settings") == -1 ||
	    run(db, check_code, "checking the functions") == -1 ||
	    run(db, "COMMIT", "commit") == -1))
		rc = 1;
	if (!dry && rc != 0) {
		if (PQtransactionStatus(db) != PQTRANS_IDLE)
			run(db, "ROLLBACK", "rollback");
		fprintf(stderr, "creneau-admin: migrate rolled back, the database is as it was\n");
	} else if (!dry) {
		for (i = 0; i < pending; i++)
			printf("applied %.*s\n", (int)(strlen(names[todo[i]]) - 4),
			    names[todo[i]]);
		if (pending == 0)
			printf("schema up to date (%d migrations)\n", n);
		printf("code loaded (%d files)\n", nc);
	}
	for (i = 0; i < n; i++)
		free(names[i]);
	for (i = 0; i < nc; i++)
		free(code[i]);
	return rc;
}

/* Runs a sweep function returning a count (sql) and prints "sweep: N
 * what deleted"; returns 0 or -1. */
static int
sweep_count(PGconn *db, const char *sql, const char *what)
{
	PGresult	*res = PQexec(db, sql);
	int		 ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	if (ok)
		printf("sweep: %s %s deleted\n", PQgetvalue(res, 0, 0), what);
	else
		fprintf(stderr, "creneau-admin: sweep: %s", PQerrorMessage(db));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Runs the housekeeping of bookings once: expired holds are freed and
 * cancelled places whose random delay has passed return to the pool.
 * Meant for a timer (every minute). Returns 0 or 1. */
static int
sweep(PGconn *db)
{
	PGresult	*res = PQexec(db, "SELECT expired, released FROM booking_sweep()");
	int		 ok = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;

	if (ok)
		printf("sweep: %s holds expired, %s freed places released\n",
		    PQgetvalue(res, 0, 0), PQgetvalue(res, 0, 1));
	else
		fprintf(stderr, "creneau-admin: sweep: %s", PQerrorMessage(db));
	PQclear(res);
	/* Rate-limit counters of ended windows (schema/014), failure
	 * counters of the access doors nobody needs any more (schema/019). */
	if (sweep_count(db, "SELECT rate_limit_sweep()", "rate-limit counters") == -1)
		ok = 0;
	if (sweep_count(db, "SELECT access_throttle_sweep()", "access failure counters") == -1)
		ok = 0;
	return ok ? 0 : 1;
}

/* Returns 1 when line (without its newline) is 10 ASCII digits. */
static int
is_agdref(const char *line)
{
	size_t	 i;

	for (i = 0; line[i] != '\0'; i++)
		if (line[i] < '0' || line[i] > '9')
			return 0;
	return i == 10;
}

/* Imports the AGDREF reference file (one 10-digit number a line; blank
 * lines and # comments skipped) in one transaction; a file with a bad
 * line imports nothing and names the line. Returns 0 or 1. */
static int
import_agdref(PGconn *db, const char *path)
{
	FILE		*f;
	char		 line[256], *nl;
	int		 lineno = 0, bad = 0, n = 0;
	PGresult	*res;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "creneau-admin: %s: %s\n", path, strerror(errno));
		return 1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strpbrk(line, "\r\n")) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (!is_agdref(line)) {
			fprintf(stderr, "%s:%d: not a 10-digit AGDREF number\n", path, lineno);
			bad++;
		}
	}
	if (bad > 0) {
		fclose(f);
		fprintf(stderr, "creneau-admin: %d bad lines: nothing imported\n", bad);
		return 1;
	}
	rewind(f);
	if (run(db, "BEGIN", "begin") == -1 ||
	    run(db, "CREATE TEMP TABLE agdref_import (number text) ON COMMIT DROP", "import") == -1) {
		fclose(f);
		return 1;
	}
	res = PQexec(db, "COPY agdref_import (number) FROM STDIN");
	if (PQresultStatus(res) != PGRES_COPY_IN) {
		PQclear(res);
		fclose(f);
		run(db, "ROLLBACK", "rollback");
		return 1;
	}
	PQclear(res);
	while (fgets(line, sizeof(line), f) != NULL) {
		if ((nl = strpbrk(line, "\r\n")) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		strcat(line, "\n");
		if (PQputCopyData(db, line, (int)strlen(line)) != 1)
			break;
		n++;
	}
	fclose(f);
	if (PQputCopyEnd(db, NULL) != 1) {
		run(db, "ROLLBACK", "rollback");
		return 1;
	}
	res = PQgetResult(db);
	PQclear(res);
	res = PQexec(db, "INSERT INTO agdref_numbers (number) SELECT DISTINCT number"
	    " FROM agdref_import ON CONFLICT DO NOTHING");
	if (PQresultStatus(res) != PGRES_COMMAND_OK || run(db, "COMMIT", "commit") == -1) {
		fprintf(stderr, "creneau-admin: import: %s", PQerrorMessage(db));
		PQclear(res);
		run(db, "ROLLBACK", "rollback");
		return 1;
	}
	printf("import-agdref: %d numbers read, %s new\n", n, PQcmdTuples(res));
	PQclear(res);
	return 0;
}

/* Reads a password from the first line of standard input; returns it
 * (static) or NULL when shorter than 12 characters. */
static const char *
read_password(void)
{
	static char	 pw[256];
	char		*nl;

	if (fgets(pw, sizeof(pw), stdin) == NULL)
		return NULL;
	if ((nl = strpbrk(pw, "\r\n")) != NULL)
		*nl = '\0';
	return strlen(pw) >= 12 ? pw : NULL;
}

/* Runs a parameterised command; 0 or -1 (reported). */
static int
run_params(PGconn *db, const char *sql, int n, const char *const *p,
    const char *what)
{
	PGresult	*res = PQexecParams(db, sql, n, NULL, p, NULL, NULL, 0);
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK ||
			    PQresultStatus(res) == PGRES_TUPLES_OK;

	if (!ok)
		fprintf(stderr, "creneau-admin: %s: %s", what, PQerrorMessage(db));
	PQclear(res);
	return ok ? 0 : -1;
}

/* Creates a staff account: the first administrator, an agent or
 * supervisor of some sites, or a mediator of an organisation (created if
 * new). The password (12 characters or more) is read from stdin and
 * stored as an argon2id hash. One transaction; returns 0 or 1. */
static int
staff_add(PGconn *db, int argc, char **argv)
{
	char		 hash[crypto_pwhash_STRBYTES];
	const char	*pw, *p[4];
	const char	*email = argv[1], *role = argv[2], *name = argv[3];
	int		 i, mediator = strcmp(role, "mediator") == 0;

	if (mediator && argc != 5) {
		fprintf(stderr, "creneau-admin: a mediator needs an organisation\n");
		return 1;
	}
	if ((pw = read_password()) == NULL) {
		fprintf(stderr, "creneau-admin: the password (stdin) needs 12 characters or more\n");
		return 1;
	}
	if (crypto_pwhash_str(hash, pw, strlen(pw), crypto_pwhash_OPSLIMIT_INTERACTIVE,
	    crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		fprintf(stderr, "creneau-admin: out of memory hashing the password\n");
		return 1;
	}
	if (run(db, "BEGIN", "begin") == -1)
		return 1;
	if (mediator) {
		p[0] = argv[4];
		if (run_params(db, "INSERT INTO organisations (name) VALUES ($1)"
		    " ON CONFLICT (name) DO NOTHING", 1, p, "organisation") == -1)
			goto fail;
	}
	p[0] = email;
	p[1] = name;
	p[2] = role;
	p[3] = hash;
	if (run_params(db, mediator ?
	    "INSERT INTO staff_accounts (email, name, role, password_hash, organisation_id)"
	    " SELECT lower($1), $2, $3, $4, id FROM organisations WHERE name = $5" :
	    "INSERT INTO staff_accounts (email, name, role, password_hash)"
	    " VALUES (lower($1), $2, $3, $4)", mediator ? 5 : 4,
	    (const char *[]){ email, name, role, hash, mediator ? argv[4] : NULL },
	    "account") == -1)
		goto fail;
	for (i = 4; !mediator && i < argc; i++) {
		p[0] = email;
		p[1] = argv[i];
		if (run_params(db, "INSERT INTO staff_sites (account_id, site_id)"
		    " SELECT a.id, s.id FROM staff_accounts a, sites s"
		    " WHERE a.email = lower($1) AND s.slug = $2", 2, p, "site") == -1)
			goto fail;
	}
	p[0] = email;
	if (run_params(db, "INSERT INTO audit_log (account_id, action, object)"
	    " SELECT id, 'staff.created', email FROM staff_accounts"
	    " WHERE email = lower($1)", 1, p, "audit") == -1 ||
	    run(db, "COMMIT", "commit") == -1)
		goto fail;
	sodium_memzero(hash, sizeof(hash));
	printf("staff-add: %s (%s) created\n", email, role);
	return 0;
fail:
	run(db, "ROLLBACK", "rollback");
	return 1;
}

int
main(int argc, char *argv[])
{
	const char	*path = CRENEAU_CONF;
	struct conf	 c;
	PGconn		*db;
	int		 ch, rc;

	while ((ch = getopt(argc, argv, "c:")) != -1) {
		if (ch != 'c')
			return usage();
		path = optarg;
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		return usage();
	if (strcmp(argv[0], "draw-verify") == 0)
		return argc == 3 ? draw_verify(argv[1], argv[2]) : usage();
	if (strcmp(argv[0], "staff-add") == 0 ? argc < 4 :
	    strcmp(argv[0], "import-agdref") == 0 ? argc != 2 : argc != 1)
		return usage();
	if (strcmp(argv[0], "migrate") != 0 && strcmp(argv[0], "status") != 0 &&
	    strcmp(argv[0], "sweep") != 0 && strcmp(argv[0], "import-agdref") != 0 &&
	    strcmp(argv[0], "staff-add") != 0 && strcmp(argv[0], "draw-run") != 0)
		return usage();
	if (sodium_init() < 0)
		return 1;
	if (conf_load(path, &c) == -1)
		return 1;
	db = PQconnectdb(c.database);
	if (PQstatus(db) != CONNECTION_OK || db_session_settings(db, &c) == -1) {
		fprintf(stderr, "creneau-admin: %s", PQerrorMessage(db));
		PQfinish(db);
		conf_clear(&c);
		return 1;
	}
	if (strcmp(argv[0], "sweep") == 0)
		rc = sweep(db);
	else if (strcmp(argv[0], "staff-add") == 0)
		rc = staff_add(db, argc, argv);
	else if (strcmp(argv[0], "draw-run") == 0)
		rc = draw_run_due(db);
	else if (strcmp(argv[0], "import-agdref") == 0)
		rc = import_agdref(db, argv[1]);
	else
		rc = migrate(db, c.schema_dir, strcmp(argv[0], "status") == 0);
	PQfinish(db);
	conf_clear(&c);
	return rc;
}
