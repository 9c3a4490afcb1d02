/* The route table: every page, its path pattern, the methods it answers
 * and its handler (one page_<name>.c file each). */
#ifndef CRENEAU_ROUTES_H
#define CRENEAU_ROUTES_H

#include "fields.h"

struct req;

struct route {
	const char	*name;		/* for the access log */
	const char	*pattern;	/* exact, or a prefix ending in '*' */
	enum field_id	 arg;		/* validator of the '*' segment */
	unsigned	 methods;	/* M_GET | M_HEAD | M_POST */
	int		(*handler)(struct req *);
};

const struct route	*route_match(const char *path, const char **arg,
			    int *bad_arg);

int	page_healthz(struct req *);
int	page_home(struct req *);
int	page_language(struct req *);
int	page_site(struct req *);

#endif
