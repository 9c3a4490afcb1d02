/* Form tokens of the public forms, bound to the browser (issue 10;
 * HACKING.md, "Form tokens"). A per-client cookie (creneau-client, or
 * __Host-creneau-client under HTTPS: a random nonce, HttpOnly,
 * SameSite=Lax) is signed into every token, so a token taken from one
 * client is refused from another. Each client keeps only its last
 * FTOKEN_LIVE tokens live, and each address gets at most
 * form_tokens_per_address tokens a minute; the counts live in a table
 * shared by the workers of the host (a file mapped next to the FastCGI
 * socket), no database work. */
#ifndef CRENEAU_FORMTOKEN_H
#define CRENEAU_FORMTOKEN_H

#include "secret.h"

struct req;

#define FTOKEN_LIVE	5	/* live tokens per client */

/* Returns a token for scope bound to the request's client (setting the
 * client cookie when it came without one), or NULL: *limited is then 1
 * when the address is over its rate (the caller answers ftoken_refuse). */
char		*ftoken_issue(struct req *, long long scope, int *limited);
/* Answers 429 with the page saying to wait a minute; returns 0 or -1. */
int		 ftoken_refuse(struct req *);
/* Checks the posted field "token" for scope; id gets the token's id
 * (the idempotency key) when it is TOKEN_OK. */
enum token_status ftoken_check(struct req *, long long scope, char id[33]);
/* Test builds only (configure --enable-test-hooks, key
 * test_reuse_form_tokens = 1): replaces id, the idempotency key of a
 * checked token, with a fresh random one, so a token sent again is a new
 * form; elsewhere it does nothing. */
void		 ftoken_test_reuse(struct req *, char id[33]);
/* Returns 1 when the posted token, checked right, is younger than half
 * its lifetime: a form sent back with errors may keep it. */
int		 ftoken_young(struct req *, long long scope);
/* The message (a msgid, translated by the caller with _()) for a
 * refused token, or NULL for TOKEN_OK. */
const char	*ftoken_message(enum token_status);
struct form;
/* The checks every public form makes before reading its fields: the
 * posted token for scope (bound to this browser's cookie, one of its
 * last few), whose id goes to id, and the honeypot field "website"; a
 * failure is recorded as an error of the whole form. Returns 1 when the
 * token is right and young (ftoken_young: the form may keep it if sent
 * back with errors), else 0. */
int		 ftoken_form_check(struct req *, struct form *, long long scope,
		    char id[33]);

#endif
