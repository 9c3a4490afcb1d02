/* Writing answers: status line, headers (security headers on every
 * response), bodies, redirects after POST, and error pages. */
#ifndef CRENEAU_RESPONSE_H
#define CRENEAU_RESPONSE_H

#include <stddef.h>

struct req;

int	resp_header(struct req *, const char *, const char *);
int	resp_send(struct req *, int, const char *, const char *, size_t);
int	resp_redirect(struct req *, const char *);
int	resp_error(struct req *, int, const char *);
void	resp_new_incident(struct req *);
void	resp_shareable(struct req *);
const char *resp_reason(int);

#endif
