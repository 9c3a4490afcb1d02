/* Unit tests of the per-request arena: alignment, large blocks,
 * cleanups in reverse order, reset. */
#include "config.h"

#include <stdint.h>
#include <stdlib.h>

#include "arena.h"
#include "tap.h"

static int	order[4], norder;

static void
record(void *p)
{
	order[norder++] = *(int *)p;
}

int
main(void)
{
	struct arena	*a = arena_new(1024);
	static int	 one = 1, two = 2;
	char		*s, *big;
	void		*p;
	int		 i, aligned = 1;

	ok(a != NULL, "arena created");
	for (i = 0; i < 100; i++) {
		p = arena_alloc(a, (size_t)i + 1);
		if (((uintptr_t)p & 15) != 0)
			aligned = 0;
	}
	ok(aligned, "allocations are 16-byte aligned");
	big = arena_alloc(a, 100000);
	ok(big != NULL, "an allocation larger than a block succeeds");
	memset(big, 'x', 100000);
	s = arena_printf(a, "%s-%d", "abc", 42);
	is_str(s, "abc-42", "arena_printf formats");
	is_str(arena_strndup(a, "abcdef", 3), "abc", "arena_strndup cuts");
	ok(arena_alloc(a, SIZE_MAX) == NULL, "an impossible size returns NULL");
	ok(arena_calloc(a, SIZE_MAX / 2, 4) == NULL, "calloc overflow returns NULL");
	arena_cleanup(a, record, &one);
	arena_cleanup(a, record, &two);
	ok(arena_used(a) > 100000, "usage counted");
	arena_reset(a);
	is_int(norder, 2, "both cleanups ran on reset");
	is_int(order[0], 2, "newest cleanup first");
	is_int(order[1], 1, "oldest cleanup last");
	is_int(arena_used(a), 0, "reset empties the arena");
	arena_reset(a);
	is_int(norder, 2, "cleanups run once only");
	s = arena_strdup(a, "again");
	is_str(s, "again", "usable after reset");
	arena_free(a);
	return done_testing();
}
