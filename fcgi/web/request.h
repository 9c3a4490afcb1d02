/* Strict parsing of what a client sends: query strings and form bodies
 * (application/x-www-form-urlencoded), cookies, with limits on size, field
 * count and length, UTF-8 validation and duplicate names refused. Pure
 * functions over buffers, so they are unit-tested without a server. */
#ifndef CRENEAU_REQUEST_H
#define CRENEAU_REQUEST_H

#include <stddef.h>

struct arena;

struct param {
	const char	*name;
	const char	*value;
	size_t		 len;		/* of value, without the NUL */
};

struct params {
	struct param	*v;
	size_t		 n;
};

struct limits {
	size_t	max_body;
	size_t	max_fields;
	size_t	max_field_length;
};

enum parse_status {
	PARSE_OK = 0,
	PARSE_MALFORMED,	/* bad percent-encoding, empty name, no '=' */
	PARSE_TOO_MANY,		/* more fields than max_fields */
	PARSE_TOO_LONG,		/* a name or value over max_field_length */
	PARSE_BAD_UTF8,		/* invalid UTF-8 or a control character */
	PARSE_DUPLICATE,	/* the same name twice */
	PARSE_NOMEM
};

enum parse_status parse_urlencoded(struct arena *, const char *, size_t,
		    const struct limits *, struct params *);
enum parse_status parse_cookies(struct arena *, const char *,
		    const struct limits *, struct params *);
const char	*parse_status_text(enum parse_status);
const char	*params_get(const struct params *, const char *);
int		 utf8_valid(const unsigned char *, size_t);
int		 text_clean(const unsigned char *, size_t, int);

#endif
