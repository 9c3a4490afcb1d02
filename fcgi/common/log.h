/* Diagnostics to stderr, and the access log: one line per request, with no
 * personal data (no address, no query string, no path argument). */
#ifndef CRENEAU_LOG_H
#define CRENEAU_LOG_H

void	log_open_access(const char *path);
void	log_msg(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_access(const char *method, const char *route, int status,
	    unsigned long bytes, double ms, const char *incident);

#endif
