/* Diagnostics and access log lines, each written with one write(2) so lines
 * from several workers never interleave. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	access_fd = STDERR_FILENO;

/* Opens the access log (append) or keeps stderr for "-" or on error. */
void
log_open_access(const char *path)
{
	int	 fd;

	if (path == NULL || strcmp(path, "-") == 0)
		return;
	fd = open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
	if (fd == -1) {
		log_msg("access log %s: %s; using stderr", path, strerror(errno));
		return;
	}
	if (access_fd != STDERR_FILENO)
		close(access_fd);
	access_fd = fd;
}

/* Writes the current UTC time as ISO 8601 into buf. */
static void
now_iso(char *buf, size_t size)
{
	struct timespec	 ts;
	struct tm	 tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	strftime(buf, size, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* Writes one diagnostic line to stderr: time, pid, message. */
void
log_msg(const char *fmt, ...)
{
	char	 line[2048], ts[32];
	va_list	 ap;
	int	 n, m;

	now_iso(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s creneau[%ld]: ", ts, (long)getpid());
	va_start(ap, fmt);
	m = vsnprintf(line + n, sizeof(line) - (size_t)n - 1, fmt, ap);
	va_end(ap);
	if (m < 0)
		return;
	n += m;
	if ((size_t)n > sizeof(line) - 2)
		n = sizeof(line) - 2;
	line[n++] = '\n';
	(void)!write(STDERR_FILENO, line, (size_t)n);
}

/* Writes one access line: time, method, route name, status, bytes,
 * milliseconds and incident id. */
void
log_access(const char *method, const char *route, int status,
    unsigned long bytes, double ms, const char *incident)
{
	char	 line[256], ts[32];
	int	 n;

	now_iso(ts, sizeof(ts));
	n = snprintf(line, sizeof(line), "%s %s %s %d %lu %.1fms %s\n", ts,
	    method, route, status, bytes, ms,
	    incident != NULL && *incident != '\0' ? incident : "-");
	if (n > 0 && (size_t)n < sizeof(line))
		(void)!write(access_fd, line, (size_t)n);
}
