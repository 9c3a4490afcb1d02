/* The site secret (secret_file) and what is derived from it: signed,
 * expiring form tokens (whose id is the idempotency key of what the form
 * creates), random access tokens and codes, keyed digests, and the
 * identity HMAC of a person's canonical identity (identity.c). libsodium
 * does the crypto. */
#ifndef CRENEAU_SECRET_H
#define CRENEAU_SECRET_H

#include <stddef.h>

struct arena;

enum token_status {
	TOKEN_OK = 0,
	TOKEN_BAD,		/* malformed, forged or for another form */
	TOKEN_TOO_FAST,		/* sent sooner than a person could */
	TOKEN_EXPIRED,
	TOKEN_NO_CLIENT,	/* no client cookie came back (cookies refused) */
	TOKEN_OTHER_CLIENT,	/* issued to another client (cookie) */
	TOKEN_SUPERSEDED	/* the client has fetched newer forms since */
};

int		 secret_load(const char *path);
int		 secret_set(const unsigned char *, size_t);
char		*token_issue(struct arena *, long long scope);
enum token_status token_check(const char *, long long scope, int min_age,
		    int max_age, char id[33]);
char		*token_issue_client(struct arena *, long long scope,
		    const char *client, unsigned long long seq);
enum token_status token_check_client(const char *, long long scope,
		    const char *client, int min_age, int max_age, char id[33],
		    unsigned long long *seq);
char		*slot_ref(struct arena *, const char *id);
int		 slot_ref_open(char *ref);
char		*random_token(struct arena *);
void		 random_code(char out[7]);
char		*secret_digest(struct arena *, const char *purpose,
		    const char *data);
char		*secret_identity_hex(struct arena *, const char *data);

#endif
