/* The outcome of the last action, after a POST answered 303 to a page
 * with ?m=<key>: a table of keys and messages per page, shown in the
 * page's element marked data-c="notice" (removed when there is none). */
#ifndef CRENEAU_NOTICE_H
#define CRENEAU_NOTICE_H

#include <stddef.h>

struct req;
struct tpl;

struct notice {
	const char	*key;
	const char	*msg;		/* msgid */
	int		 error;
};

#define NOTICES(list)	(list), sizeof(list) / sizeof((list)[0])

void	notice_show(struct req *, struct tpl *, const struct notice *, size_t);

#endif
