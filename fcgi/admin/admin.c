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
 * safe against two runs at once (advisory lock). Every other command
 * changes data through one SQL function, like the pages. */
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

#include "admin.h"
#include "admin_draw.h"
#include "conf.h"
#include "db.h"

#ifndef CRENEAU_CONF
#define CRENEAU_CONF	"/etc/creneau/creneau.conf"
#endif

#define MAX_MIGRATIONS	1000
#define MAX_CODE_FILES	100
#define LOCK_KEY	"4242001"

/* The statements of creneau-admin (see db.h for the form of the table);
 * migrate alone runs SQL of its own: the files of schema/. */
static const struct statement queries[A_COUNT] = {
	[A_SWEEP] = { "sweep", 0,
	    "SELECT expired, released FROM booking_sweep()",
	    "expired released" },
	[A_RATE_SWEEP] = { "rate_sweep", 0,
	    "SELECT rate_limit_sweep() AS deleted", "deleted" },
	[A_ACCESS_SWEEP] = { "access_sweep", 0,
	    "SELECT access_throttle_sweep() AS deleted", "deleted" },
	[A_AGDREF_IMPORT] = { "agdref_import", 0,
	    "SELECT agdref_import(string_to_array(:numbers, ' ')) AS added",
	    "added" },
	[A_STAFF_ADD] = { "staff_add", 0,
	    "SELECT staff_account_add(:email, :name, :role, :password_hash,"
	    "  :organisation, string_to_array(:sites, ' ')) AS account_id",
	    "account_id" },
	[A_DRAWS_DUE] = { "draws_due", 1, "SELECT id FROM draws_due() AS id",
	    "id" },
	[A_DRAW_RUN] = { "draw_run", 0,
	    "SELECT outcome, offers, entries FROM draw_run(:draw::bigint, NULL)",
	    "outcome offers entries" },
	[A_DRAW_SWEEP] = { "draw_sweep", 0, "SELECT draw_sweep() AS passed",
	    "passed" },
};

/* Runs statement id; returns the result (to PQclear) or NULL, after
 * printing why to stderr with what. */
PGresult *
admin_exec(int id, const struct db_arg *args, const char *what)
{
	struct db_error	 err;
	PGresult	*res;

	if ((res = db_run((size_t)id, args, &err)) == NULL)
		fprintf(stderr, "creneau-admin: %s: %s%s%s\n", what,
		    err.unavailable ? "database unavailable" : err.message,
		    *err.sqlstate != '\0' ? " SQLSTATE " : "", err.sqlstate);
	return res;
}

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

/* Runs a sweep function returning a count and prints "sweep: N what
 * deleted"; returns 0 or -1. */
static int
sweep_count(int id, const char *what)
{
	PGresult	*res = admin_exec(id, NULL, "sweep");

	if (res == NULL)
		return -1;
	printf("sweep: %s %s deleted\n", db_get(res, 0, "deleted"), what);
	PQclear(res);
	return 0;
}

/* Runs the housekeeping of bookings once: expired holds are freed and
 * cancelled places whose random delay has passed return to the pool.
 * Meant for a timer (every minute). Returns 0 or 1. */
static int
sweep(void)
{
	PGresult	*res = admin_exec(A_SWEEP, NULL, "sweep");
	int		 ok = res != NULL;

	if (ok) {
		printf("sweep: %s holds expired, %s freed places released\n",
		    db_get(res, 0, "expired"), db_get(res, 0, "released"));
		PQclear(res);
	}
	/* Rate-limit counters of ended windows (schema/014), failure
	 * counters of the access doors nobody needs any more (schema/019). */
	if (sweep_count(A_RATE_SWEEP, "rate-limit counters") == -1)
		ok = 0;
	if (sweep_count(A_ACCESS_SWEEP, "access failure counters") == -1)
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
 * lines and # comments skipped) in one statement; a file with a bad
 * line imports nothing and names the line. Returns 0 or 1. */
static int
import_agdref(const char *path)
{
	FILE		*f;
	char		 line[256], *nl, *numbers = NULL;
	size_t		 len = 0;
	int		 lineno = 0, bad = 0, n = 0;
	PGresult	*res;
	FILE		*out;

	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "creneau-admin: %s: %s\n", path, strerror(errno));
		return 1;
	}
	if ((out = open_memstream(&numbers, &len)) == NULL) {
		fclose(f);
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
		} else
			fprintf(out, "%s%s", n++ > 0 ? " " : "", line);
	}
	fclose(f);
	fclose(out);
	if (bad > 0) {
		free(numbers);
		fprintf(stderr, "creneau-admin: %d bad lines: nothing imported\n", bad);
		return 1;
	}
	res = admin_exec(A_AGDREF_IMPORT, DB_ARGS({ "numbers", numbers }),
	    "import-agdref");
	free(numbers);
	if (res == NULL)
		return 1;
	printf("import-agdref: %d numbers read, %s new\n", n,
	    db_get(res, 0, "added"));
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

/* Creates a staff account: the first administrator, an agent or
 * supervisor of some sites, or a mediator of an organisation (created if
 * new), with staff_account_add(). The password (12 characters or more)
 * is read from stdin and stored as an argon2id hash. Returns 0 or 1. */
static int
staff_add(int argc, char **argv)
{
	char		 hash[crypto_pwhash_STRBYTES], sites[4096] = "";
	const char	*pw, *email = argv[1], *role = argv[2], *name = argv[3];
	int		 i, mediator = strcmp(role, "mediator") == 0;
	size_t		 len = 0;
	PGresult	*res;

	if (mediator && argc != 5) {
		fprintf(stderr, "creneau-admin: a mediator needs an organisation\n");
		return 1;
	}
	for (i = 4; !mediator && i < argc; i++) {
		if (strchr(argv[i], ' ') != NULL ||
		    len + strlen(argv[i]) + 2 > sizeof(sites)) {
			fprintf(stderr, "creneau-admin: %s: not a site slug\n", argv[i]);
			return 1;
		}
		len += (size_t)snprintf(sites + len, sizeof(sites) - len, "%s%s",
		    len > 0 ? " " : "", argv[i]);
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
	res = admin_exec(A_STAFF_ADD, DB_ARGS({ "email", email }, { "name", name },
	    { "role", role }, { "password_hash", hash },
	    { "organisation", mediator ? argv[4] : NULL }, { "sites", sites }),
	    "staff-add");
	sodium_memzero(hash, sizeof(hash));
	if (res == NULL)
		return 1;
	PQclear(res);
	printf("staff-add: %s (%s) created\n", email, role);
	return 0;
}

int
main(int argc, char *argv[])
{
	const char	*path = CRENEAU_CONF;
	struct conf	 c;
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
	if (db_setup(&c, "creneau-admin", queries, A_COUNT, NULL) == -1 ||
	    db_connect() == -1) {
		fprintf(stderr, "creneau-admin: cannot connect to the database\n");
		conf_clear(&c);
		return 1;
	}
	if (strcmp(argv[0], "sweep") == 0)
		rc = sweep();
	else if (strcmp(argv[0], "staff-add") == 0)
		rc = staff_add(argc, argv);
	else if (strcmp(argv[0], "draw-run") == 0)
		rc = draw_run_due();
	else if (strcmp(argv[0], "import-agdref") == 0)
		rc = import_agdref(argv[1]);
	else
		rc = migrate(db_conn(), c.schema_dir, strcmp(argv[0], "status") == 0);
	db_close();
	conf_clear(&c);
	return rc;
}
