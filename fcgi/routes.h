/* The route table: every page, its path pattern, the methods it answers
 * and its handler (one page_<name>.c file each). */
#ifndef CRENEAU_ROUTES_H
#define CRENEAU_ROUTES_H

#include "fields.h"

struct req;

#define ROUTE_ARGS	2

struct route {
	const char	*name;		/* for the access log */
	const char	*pattern;	/* segments; '*' matches one segment */
	enum field_id	 arg[ROUTE_ARGS];	/* validators of the '*'s */
	unsigned	 methods;	/* M_GET | M_HEAD | M_POST */
	int		(*handler)(struct req *);
};

const struct route	*route_match(const char *path,
			    const char *args[ROUTE_ARGS], char *buf,
			    size_t bufsize, int *bad_arg);

int	page_accessibility(struct req *);
int	page_agent_home(struct req *);
int	page_agent_login(struct req *);
int	page_agent_logout(struct req *);
int	page_healthz(struct req *);
int	page_home(struct req *);
int	page_language(struct req *);
int	page_site(struct req *);
int	page_procedure(struct req *);
int	page_book(struct req *);
int	page_booking(struct req *);
int	page_booking_confirm(struct req *);
int	page_booking_extend(struct req *);
int	page_booking_ics(struct req *);
int	page_booking_cancel(struct req *);
int	page_booking_reschedule(struct req *);
int	page_manage(struct req *);

#endif
