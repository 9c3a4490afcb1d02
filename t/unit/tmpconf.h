/* load_text() and refuses(): a configuration text loaded through a
 * temporary file, for the tests of the configuration reader
 * (t/unit/conf.c, t/unit/conf_release.c). */
#ifndef CRENEAU_TMPCONF_H
#define CRENEAU_TMPCONF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "conf.h"
#include "tap.h"

/* Writes text to a temporary file, loads it into *c (conf_clear() it
 * after) and removes the file; returns conf_load()'s result. */
static int
load_text(const char *text, struct conf *c)
{
	char	 path[64];
	int	 fd, rc;

	snprintf(path, sizeof(path), "/tmp/creneau-conf-XXXXXX");
	fd = mkstemp(path);
	(void)!write(fd, text, strlen(text));
	close(fd);
	rc = conf_load(path, c);
	unlink(path);
	return rc;
}

/* One test: text is refused (conf_load() says -1). */
static void
refuses(const char *text, const char *desc)
{
	struct conf	 c;

	is_int(load_text(text, &c), -1, "%s", desc);
	conf_clear(&c);
}

#endif
