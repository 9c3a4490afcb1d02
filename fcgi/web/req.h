/* The context of one request, handed to every handler: what was asked
 * (validated), where to write the answer, and the arena everything of the
 * request is allocated from. */
#ifndef CRENEAU_REQ_H
#define CRENEAU_REQ_H

#include <stddef.h>

#include "request.h"

struct arena;
struct conf;
struct route;
struct FCGX_Request;
struct staff;

enum method { M_GET = 1, M_HEAD = 2, M_POST = 4, M_OTHER = 8 };

struct header {
	const char	*name;
	const char	*value;
};

struct req {
	struct arena		*arena;
	const struct conf	*conf;
	struct FCGX_Request	*fcgx;		/* NULL in unit tests */
	enum method		 method;
	const char		*method_name;
	const char		*path;		/* decoded, without query */
	const char		*args[2];	/* the route's '*' segments */
	char			 argbuf[256];
	struct params		 query;
	struct params		 form;
	struct params		 cookies;
	const char		*lang;
	const struct route	*route;
	struct header		 headers[16];	/* extra response headers */
	size_t			 nheaders;
	int			 status;	/* sent, 0 until then */
	size_t			 bytes;		/* body bytes sent */
	char			 incident[17];
	struct staff		*staff;		/* logged-in staff, or NULL */
	int			 db_unavailable;
	int			 shareable;	/* resp_shareable() */
	char			 sqlstate[6];
};

#endif
