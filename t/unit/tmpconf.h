/* write_conf(): a configuration text in a temporary file, for the tests
 * of the configuration reader (t/unit/conf.c, t/unit/conf_release.c). */
#ifndef CRENEAU_TMPCONF_H
#define CRENEAU_TMPCONF_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Writes text to a temporary file and returns its path. */
static const char *
write_conf(const char *text)
{
	static char	 path[64];
	int		 fd;

	snprintf(path, sizeof(path), "/tmp/creneau-conf-XXXXXX");
	fd = mkstemp(path);
	(void)!write(fd, text, strlen(text));
	close(fd);
	return path;
}

#endif
