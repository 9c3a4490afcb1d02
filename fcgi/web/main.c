/* creneau-fcgi: the FastCGI application. Usage: creneau-fcgi [-t] [-c conf]
 * (-t checks the configuration and templates, then exits). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <sodium.h>

#include "canon.h"
#include "conf.h"
#include "fields.h"
#include "supervisor.h"
#include "template.h"

#ifndef CRENEAU_CONF
#define CRENEAU_CONF	"/etc/creneau/creneau.conf"
#endif

/* Prints the usage line and returns the exit status for it. */
static int
usage(void)
{
	fprintf(stderr, "usage: creneau-fcgi [-t] [-c configuration]\n");
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

int
main(int argc, char *argv[])
{
	const char	*path = CRENEAU_CONF;
	int		 ch, test = 0;

	while ((ch = getopt(argc, argv, "c:t")) != -1) {
		switch (ch) {
		case 'c':
			path = optarg;
			break;
		case 't':
			test = 1;
			break;
		default:
			return usage();
		}
	}
	if (optind != argc)
		return usage();
	if (sodium_init() < 0) {
		fprintf(stderr, "creneau-fcgi: libsodium cannot start\n");
		return 1;
	}
	if (test)
		return check(path);
	return supervisor_run(path);
}
