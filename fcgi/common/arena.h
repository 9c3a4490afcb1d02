/* Per-request arena: every allocation of a request comes from here and is
 * released at once when the response has been written. Cleanups release
 * what the arena cannot (PGresult, xmlDoc). Handlers never call free(). */
#ifndef CRENEAU_ARENA_H
#define CRENEAU_ARENA_H

#include <stddef.h>

struct arena;

struct arena	*arena_new(size_t blocksize);
void		*arena_alloc(struct arena *, size_t);
void		*arena_calloc(struct arena *, size_t, size_t);
char		*arena_strdup(struct arena *, const char *);
char		*arena_strndup(struct arena *, const char *, size_t);
char		*arena_printf(struct arena *, const char *, ...)
		    __attribute__((format(printf, 2, 3)));
int		 arena_cleanup(struct arena *, void (*)(void *), void *);
size_t		 arena_used(const struct arena *);
void		 arena_reset(struct arena *);
void		 arena_free(struct arena *);

#endif
