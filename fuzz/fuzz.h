/* What the libFuzzer harnesses of fuzz/ share: a failed property aborts
 * with a message (libFuzzer then saves the input as crash-<sha1>), and
 * the input is cut into NUL-terminated parts. See fuzz/build.sh. */
#ifndef CRENEAU_FUZZ_H
#define CRENEAU_FUZZ_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);
int	LLVMFuzzerInitialize(int *, char ***);

/* Aborts the run when a property does not hold. */
#define PROPERTY(cond, ...) do {					\
	if (!(cond)) {							\
		fprintf(stderr, "fuzz: property failed at %s:%d: %s: ",	\
		    __FILE__, __LINE__, #cond);				\
		fprintf(stderr, __VA_ARGS__);				\
		fputc('\n', stderr);					\
		abort();						\
	}								\
} while (0)

/* Splits data at the separator byte sep into at most max parts, each a
 * malloc'd NUL-terminated string (a missing part is ""); returns the
 * number of parts filled from data. Free with fuzz_free_parts. */
static inline size_t
fuzz_parts(const uint8_t *data, size_t size, char sep, char **parts,
    size_t max)
{
	size_t	 i, n = 0, start = 0;

	for (i = 0; i < max; i++)
		parts[i] = NULL;
	for (i = 0; i <= size && n < max; i++) {
		if (i == size || (data[i] == (uint8_t)sep && n + 1 < max)) {
			parts[n] = malloc(i - start + 1);
			memcpy(parts[n], data + start, i - start);
			parts[n][i - start] = '\0';
			n++;
			start = i + 1;
		}
	}
	for (i = n; i < max; i++)
		parts[i] = strdup("");
	return n;
}

static inline void
fuzz_free_parts(char **parts, size_t max)
{
	size_t	 i;

	for (i = 0; i < max; i++)
		free(parts[i]);
}

#endif
