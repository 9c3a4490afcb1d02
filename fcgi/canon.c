/* TEMPORARY: ASCII-only placeholder for fcgi/canon.h while the ICU and
 * libphonenumber implementation is written; it must not land. */
#include "config.h"

#include <ctype.h>
#include <string.h>

#include "arena.h"
#include "canon.h"

static char *
dup_map(struct arena *a, const char *in, int (*f)(int))
{
	size_t	 n = strlen(in), i;
	char	*o = arena_alloc(a, n + 1);

	if (o == NULL)
		return NULL;
	for (i = 0; i < n; i++)
		o[i] = (char)f((unsigned char)in[i]);
	o[n] = '\0';
	return o;
}

enum canon_status
canon_name(struct arena *a, const char *in, const char **out)
{
	*out = dup_map(a, in, toupper);
	return **out == '\0' ? CANON_EMPTY : CANON_OK;
}

enum canon_status
canon_email(struct arena *a, const char *in, const char **out)
{
	*out = dup_map(a, in, tolower);
	return strchr(*out, '@') == NULL ? CANON_INVALID : CANON_OK;
}

enum canon_status
canon_phone(struct arena *a, const char *in, const char **e164)
{
	*e164 = dup_map(a, in, tolower);
	return CANON_OK;
}

const char *
canon_phone_example(void)
{
	return "06 12 34 56 78";
}
