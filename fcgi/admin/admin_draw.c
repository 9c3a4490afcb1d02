/* creneau-admin draw-run and draw-verify (see admin_draw.h and
 * doc/draw.md). draw-run runs each due draw with draw_run() in its own
 * transaction (one statement), then draw_sweep() once; draw-verify needs
 * no database: it recomputes the order of a draw from its published seed
 * and entry list with libsodium's HMAC-SHA256. */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "admin.h"
#include "admin_draw.h"

#define PUBLIC_ID_MAX	64

struct ranked {
	char	 key[2 * crypto_auth_hmacsha256_BYTES + 1];
	char	 id[PUBLIC_ID_MAX + 1];
};

/* Runs every due draw, then passes freed places down the draw orders.
 * Returns 0, or 1 when a draw or the sweep failed (the others still run). */
int
draw_run_due(void)
{
	PGresult	*due, *res;
	const char	*id;
	int		 i, rc = 0;

	if ((due = admin_exec(A_DRAWS_DUE, NULL, "draw-run")) == NULL)
		return 1;
	for (i = 0; i < PQntuples(due); i++) {
		id = db_get(due, i, "id");
		res = admin_exec(A_DRAW_RUN, DB_ARGS({ "draw", id }), "draw-run");
		if (res != NULL && PQntuples(res) == 1)
			printf("draw-run: draw %s: %s, %s entries ranked, %s offers\n",
			    id, db_get(res, 0, "outcome"), db_get(res, 0, "entries"),
			    db_get(res, 0, "offers"));
		else
			rc = 1;
		PQclear(res);
	}
	PQclear(due);
	if ((res = admin_exec(A_DRAW_SWEEP, NULL, "draw sweep")) == NULL)
		return 1;
	printf("draw-run: %s places passed down the draw order\n",
	    db_get(res, 0, "passed"));
	PQclear(res);
	return rc;
}

/* Orders by key, then public id. */
static int
by_key(const void *a, const void *b)
{
	const struct ranked	*x = a, *y = b;
	int			 c = strcmp(x->key, y->key);

	return c != 0 ? c : strcmp(x->id, y->id);
}

/* Returns 1 when s is a public entry id (printable ASCII, no space). */
static int
is_public_id(const char *s)
{
	size_t	 i;

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] > '~')
			return 0;
	return i > 0 && i <= PUBLIC_ID_MAX;
}

/* Reads the entry ids of path (one a line; blank lines and # comments
 * skipped) into *out; returns their number, or -1. */
static int
read_entries(const char *path, struct ranked **out)
{
	FILE		*f;
	char		 line[256], *nl;
	struct ranked	*v = NULL, *nv;
	size_t		 n = 0, cap = 0;
	int		 lineno = 0;

	if ((f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r")) == NULL) {
		perror(path);
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if ((nl = strpbrk(line, "\r\n")) != NULL)
			*nl = '\0';
		if (line[0] == '\0' || line[0] == '#')
			continue;
		if (!is_public_id(line)) {
			fprintf(stderr, "%s:%d: not an entry id\n", path, lineno);
			goto fail;
		}
		if (n == cap) {
			cap = cap ? 2 * cap : 1024;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto fail;
			v = nv;
		}
		memcpy(v[n++].id, line, strlen(line) + 1);
	}
	if (f != stdin)
		fclose(f);
	*out = v;
	return (int)n;
fail:
	if (f != stdin)
		fclose(f);
	free(v);
	return -1;
}

/* Recomputes a draw: prints the seed's commitment (hex SHA-256), then one
 * line per entry in draw order: rank, order key (hex HMAC-SHA256 keyed by
 * the seed over the entry id), entry id. Returns 0, 1 on bad input. */
int
draw_verify(const char *seed_hex, const char *entries_path)
{
	unsigned char	 seed[32], mac[crypto_auth_hmacsha256_BYTES];
	unsigned char	 digest[crypto_hash_sha256_BYTES];
	char		 hex[2 * crypto_hash_sha256_BYTES + 1];
	struct ranked	*v;
	size_t		 len;
	int		 i, n;

	if (sodium_init() < 0)
		return 1;
	if (strlen(seed_hex) != 64 || sodium_hex2bin(seed, sizeof(seed),
	    seed_hex, 64, NULL, &len, NULL) != 0 || len != sizeof(seed)) {
		fprintf(stderr, "creneau-admin: the seed is 64 hexadecimal digits\n");
		return 1;
	}
	if ((n = read_entries(entries_path, &v)) < 0)
		return 1;
	for (i = 0; i < n; i++) {
		crypto_auth_hmacsha256(mac, (const unsigned char *)v[i].id,
		    strlen(v[i].id), seed);
		sodium_bin2hex(v[i].key, sizeof(v[i].key), mac, sizeof(mac));
	}
	qsort(v, (size_t)n, sizeof(*v), by_key);
	crypto_hash_sha256(digest, seed, sizeof(seed));
	sodium_bin2hex(hex, sizeof(hex), digest, sizeof(digest));
	printf("# commitment %s\n# entries %d\n", hex, n);
	for (i = 0; i < n; i++)
		printf("%d %s %s\n", i + 1, v[i].key, v[i].id);
	free(v);
	return 0;
}
