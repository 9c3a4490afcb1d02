/* Per-request arena (in the spirit of nginx pools and PostgreSQL memory
 * contexts): bump allocation in blocks, cleanups run in reverse order on
 * reset, the first block kept for the next request. */
#include "config.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "arena.h"

#define ALIGNMENT	16

struct block {
	struct block	*next;
	size_t		 size;
	size_t		 used;
	unsigned char	 data[] __attribute__((aligned(ALIGNMENT)));
};

struct cleanup {
	struct cleanup	*next;
	void		(*fn)(void *);
	void		*arg;
};

struct arena {
	struct block	*head;		/* current block, newest first */
	struct cleanup	*cleanups;
	size_t		 blocksize;
	size_t		 total;
};

/* Allocates a block able to hold at least size bytes; NULL when out of memory. */
static struct block *
block_new(size_t size)
{
	struct block	*b;

	b = malloc(sizeof(*b) + size);
	if (b == NULL)
		return NULL;
	b->next = NULL;
	b->size = size;
	b->used = 0;
	return b;
}

/* Creates an arena whose blocks are blocksize bytes; NULL when out of memory. */
struct arena *
arena_new(size_t blocksize)
{
	struct arena	*a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->blocksize = blocksize < 1024 ? 1024 : blocksize;
	if ((a->head = block_new(a->blocksize)) == NULL) {
		free(a);
		return NULL;
	}
	return a;
}

/* Returns n bytes aligned to 16, valid until the next reset; NULL when out
 * of memory or when n overflows. */
void *
arena_alloc(struct arena *a, size_t n)
{
	struct block	*b;
	size_t		 need, off;

	if (n == 0)
		n = 1;
	if (n > SIZE_MAX - ALIGNMENT)
		return NULL;
	need = (n + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
	b = a->head;
	off = (b->used + ALIGNMENT - 1) & ~(size_t)(ALIGNMENT - 1);
	if (off > b->size || b->size - off < need) {
		b = block_new(need > a->blocksize ? need : a->blocksize);
		if (b == NULL)
			return NULL;
		b->next = a->head;
		a->head = b;
		off = 0;
	}
	b->used = off + need;
	a->total += need;
	return b->data + off;
}

/* Returns zeroed memory for nmemb elements of size bytes, or NULL. */
void *
arena_calloc(struct arena *a, size_t nmemb, size_t size)
{
	void	*p;

	if (size != 0 && nmemb > SIZE_MAX / size)
		return NULL;
	if ((p = arena_alloc(a, nmemb * size)) != NULL)
		memset(p, 0, nmemb * size);
	return p;
}

/* Copies at most n bytes of s into the arena, NUL-terminated, or NULL. */
char *
arena_strndup(struct arena *a, const char *s, size_t n)
{
	char	*p;

	if ((p = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* Copies s into the arena, or returns NULL. */
char *
arena_strdup(struct arena *a, const char *s)
{
	return arena_strndup(a, s, strlen(s));
}

/* Formats like printf into the arena; NULL on error. */
char *
arena_printf(struct arena *a, const char *fmt, ...)
{
	va_list	 ap;
	char	*p;
	int	 n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (p = arena_alloc(a, (size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	vsnprintf(p, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return p;
}

/* Registers fn(arg) to run at the next reset; returns 0, or -1 (and runs
 * fn at once, so nothing leaks) when out of memory. */
int
arena_cleanup(struct arena *a, void (*fn)(void *), void *arg)
{
	struct cleanup	*c;

	if ((c = arena_alloc(a, sizeof(*c))) == NULL) {
		fn(arg);
		return -1;
	}
	c->fn = fn;
	c->arg = arg;
	c->next = a->cleanups;
	a->cleanups = c;
	return 0;
}

/* Returns how many bytes were handed out since the last reset. */
size_t
arena_used(const struct arena *a)
{
	return a->total;
}

/* Runs the cleanups, newest first, and frees every block but the oldest. */
void
arena_reset(struct arena *a)
{
	struct cleanup	*c;
	struct block	*b;

	for (c = a->cleanups; c != NULL; c = c->next)
		c->fn(c->arg);
	a->cleanups = NULL;
	while (a->head->next != NULL) {
		b = a->head;
		a->head = b->next;
		free(b);
	}
	a->head->used = 0;
	a->total = 0;
}

/* Resets the arena and releases it entirely. */
void
arena_free(struct arena *a)
{
	if (a == NULL)
		return;
	arena_reset(a);
	free(a->head);
	free(a);
}
