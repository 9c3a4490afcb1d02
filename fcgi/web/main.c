/* creneau-fcgi: the FastCGI application. Usage: creneau-fcgi [-S | -t]
 * [-c conf] (-t checks the configuration and templates, -S prepares every
 * statement of the table against the database and checks its declared
 * columns; both then exit). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "canon.h"
#include "conf.h"
#include "db.h"
#include "fields.h"
#include "statements.h"
#include "supervisor.h"
#include "template.h"

#ifndef CRENEAU_CONF
#define CRENEAU_CONF	"/etc/creneau/creneau.conf"
#endif

/* Prints the usage line and returns the exit status for it. */
static int
usage(void)
{
	fprintf(stderr, "usage: creneau-fcgi [-S | -t] [-c configuration]\n");
	return 2;
}

/* Loads everything a worker needs without serving; returns 0 or 1. */
static int
check(const char *path)
{
	struct conf	 c;
	int		 rc = 0;

	if (conf_load(path, &c) == -1 || tpl_init(c.templates) == -1 ||
	    fields_init() == -1 || canon_init() == -1)
		rc = 1;
	conf_clear(&c);
	printf("%s: %s\n", path, rc == 0 ? "ok" : "errors");
	return rc;
}

/* Prepares every statement of the table on the configured database,
 * which checks its SQL, its :parameters and its declared columns against
 * what PostgreSQL describes (db.c); prints each statement that fails.
 * Returns 0 when all pass, else 1. */
static int
check_statements(const char *path)
{
	struct conf	 c;
	struct db_error	 err;
	size_t		 i, bad = 0;

	if (conf_load(path, &c) == -1)
		return 1;
	if (db_setup(&c, "creneau-fcgi check", statements, STMT_COUNT,
	    NULL) == -1) {
		conf_clear(&c);
		return 1;
	}
	for (i = 0; i < STMT_COUNT; i++) {
		if (db_prepare(i, &err) == 0)
			continue;
		if (strncmp(err.message, "statement ", 10) == 0)
			fprintf(stderr, "%s\n", err.message);
		else
			fprintf(stderr, "statement %s: %s\n",
			    statements[i].name, err.message);
		bad++;
		if (err.unavailable)
			break;
	}
	db_close();
	conf_clear(&c);
	if (bad == 0)
		printf("%d statements: ok\n", (int)STMT_COUNT);
	return bad == 0 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
	const char	*path = CRENEAU_CONF;
	int		 ch, test = 0, statements_only = 0;

	while ((ch = getopt(argc, argv, "c:St")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 'S':
			statements_only = 1;
			break;
		case 't':
			test = 1;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc || (test && statements_only))
		return usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "creneau-fcgi: libsodium cannot start\n");
		return 1;
	}
	if (test)
		return check(path);
	if (statements_only)
		return check_statements(path);
	return supervisor_run(path);
}
