/* Form tokens, random tokens, keyed digests and the identity HMAC (see
 * secret.h). A form token is base64url(version | issued | nonce | scope |
 * HMAC). */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "arena.h"
#include "log.h"
#include "secret.h"

#define TOKEN_VERSION	1
#define NONCE_LEN	16
#define BODY_LEN	(1 + 8 + NONCE_LEN + 8)
#define RAW_LEN		(BODY_LEN + crypto_auth_hmacsha256_BYTES)

static unsigned char	form_key[crypto_auth_hmacsha256_KEYBYTES];
static unsigned char	identity_key[32];
static unsigned char	digest_key[crypto_auth_hmacsha256_KEYBYTES];
static int		loaded;

/* Derives one 32-byte key from the secret for a named purpose. */
static void
derive(unsigned char *out, const unsigned char *secret, size_t len,
    const char *purpose)
{
	crypto_auth_hmacsha256_state	 st;

	crypto_auth_hmacsha256_init(&st, secret, len);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose,
	    strlen(purpose));
	crypto_auth_hmacsha256_final(&st, out);
}

/* Sets the secret from bytes (at least 32); returns 0 or -1. */
int
secret_set(const unsigned char *s, size_t len)
{
	if (len < 32)
		return -1;
	derive(form_key, s, len, "creneau form token v1");
	derive(identity_key, s, len, "creneau identity key v1");
	derive(digest_key, s, len, "creneau digest key v1");
	loaded = 1;
	return 0;
}

/* Reads the secret file (32 to 4096 bytes); returns 0, or -1 after
 * logging why. */
int
secret_load(const char *path)
{
	unsigned char	 buf[4096];
	ssize_t		 n;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1) {
		log_msg("secret %s: %s", path, strerror(errno));
		return -1;
	}
	n = read(fd, buf, sizeof(buf));
	close(fd);
	if (n < 32) {
		log_msg("secret %s: needs at least 32 bytes", path);
		return -1;
	}
	secret_set(buf, (size_t)n);
	sodium_memzero(buf, sizeof(buf));
	return 0;
}

/* Writes v big-endian into 8 bytes. */
static void
put64(unsigned char *p, uint64_t v)
{
	int	 i;

	for (i = 7; i >= 0; i--, v >>= 8)
		p[i] = (unsigned char)(v & 0xff);
}

/* Reads 8 big-endian bytes. */
static uint64_t
get64(const unsigned char *p)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* Returns base64url (no padding) of len bytes, in the arena, or NULL. */
static char *
b64(struct arena *a, const unsigned char *bin, size_t len)
{
	size_t	 n = sodium_base64_encoded_len(len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	char	*out;

	if ((out = arena_alloc(a, n)) == NULL)
		return NULL;
	return sodium_bin2base64(out, n, bin, len,
	    sodium_base64_VARIANT_URLSAFE_NO_PADDING);
}

/* Returns a new form token for scope (what the form is about, e.g. a
 * slot id), or NULL. */
char *
token_issue(struct arena *a, long long scope)
{
	unsigned char	 raw[RAW_LEN];

	if (!loaded)
		return NULL;
	raw[0] = TOKEN_VERSION;
	put64(raw + 1, (uint64_t)time(NULL));
	randombytes_buf(raw + 9, NONCE_LEN);
	put64(raw + 9 + NONCE_LEN, (uint64_t)scope);
	crypto_auth_hmacsha256(raw + BODY_LEN, raw, BODY_LEN, form_key);
	return b64(a, raw, RAW_LEN);
}

/* Returns the status of a genuine token issued at issued: expired, too
 * fast, or OK. */
static enum token_status
token_age(time_t issued, int min_age, int max_age)
{
	time_t	 now = time(NULL);

	if (now - issued > max_age || issued > now + 60)
		return TOKEN_EXPIRED;
	if (now - issued < min_age)
		return TOKEN_TOO_FAST;
	return TOKEN_OK;
}

/* Checks a form token for scope: signature, age between min_age and
 * max_age seconds. On TOKEN_OK (and TOKEN_TOO_FAST), id holds its 32-hex
 * nonce, the idempotency key of what the form creates. */
enum token_status
token_check(const char *tok, long long scope, int min_age, int max_age,
    char id[33])
{
	unsigned char	 raw[RAW_LEN + 4];
	size_t		 len;

	*id = '\0';
	/* Only base64url digits: libsodium 1.0.18 decodes some other bytes
	 * (0x80 and above) as digits, so that an altered token verified
	 * (found by fuzz/secret.c). */
	if (!loaded || tok == NULL || tok[strspn(tok,
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")] != '\0' ||
	    sodium_base642bin(raw, sizeof(raw), tok, strlen(tok), NULL, &len,
	    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
	    len != RAW_LEN || raw[0] != TOKEN_VERSION ||
	    crypto_auth_hmacsha256_verify(raw + BODY_LEN, raw, BODY_LEN,
	    form_key) != 0 ||
	    get64(raw + 9 + NONCE_LEN) != (uint64_t)scope)
		return TOKEN_BAD;
	sodium_bin2hex(id, 33, raw + 9, NONCE_LEN);
	return token_age((time_t)get64(raw + 1), min_age, max_age);
}

/* Returns a fresh 43-character access token (256 random bits), or NULL. */
char *
random_token(struct arena *a)
{
	unsigned char	 b[32];

	randombytes_buf(b, sizeof(b));
	return b64(a, b, sizeof(b));
}

/* Writes a uniformly random 6-digit code. */
void
random_code(char out[7])
{
	snprintf(out, 7, "%06u", (unsigned)randombytes_uniform(1000000));
}

/* Returns a keyed digest (32 hex digits) of data for a purpose, so that a
 * value such as a client address can be counted without being stored. */
char *
secret_digest(struct arena *a, const char *purpose, const char *data)
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];
	char				*out;

	if ((out = arena_alloc(a, 33)) == NULL)
		return NULL;
	crypto_auth_hmacsha256_init(&st, digest_key, sizeof(digest_key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)purpose,
	    strlen(purpose) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)data,
	    strlen(data));
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, 33, mac, 16);
	return out;
}

/* --- Form tokens bound to a client (issue 10) -----------------------------
 * base64url(2 | issued | nonce | scope | seq | MAC(body) | MAC(body |
 * client)), each MAC the first 16 bytes of an HMAC-SHA256: the client's
 * cookie value is signed but not carried, so a token moved to another
 * client (another cookie) fails the second MAC only, a tampered one the
 * first; seq is the client's issuance count, so the caller can keep only
 * its last few live. */
#define TOKEN2_VERSION	2
#define BODY2_LEN	(1 + 8 + NONCE_LEN + 8 + 8)
#define MAC2_LEN	16
#define RAW2_LEN	(BODY2_LEN + 2 * MAC2_LEN)

/* The MAC of a token body, bound to client when not NULL. */
static void
token2_mac(unsigned char out[MAC2_LEN], const unsigned char *body,
    const char *client)
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];

	crypto_auth_hmacsha256_init(&st, form_key, sizeof(form_key));
	crypto_auth_hmacsha256_update(&st, body, BODY2_LEN);
	if (client != NULL) {
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)"\0", 1);
		crypto_auth_hmacsha256_update(&st, (const unsigned char *)client,
		    strlen(client));
	}
	crypto_auth_hmacsha256_final(&st, mac);
	memcpy(out, mac, MAC2_LEN);
}

/* Returns a new form token for scope bound to client (its cookie value),
 * numbered seq, or NULL. */
char *
token_issue_client(struct arena *a, long long scope, const char *client,
    unsigned long long seq)
{
	unsigned char	 raw[RAW2_LEN];

	if (!loaded || client == NULL)
		return NULL;
	raw[0] = TOKEN2_VERSION;
	put64(raw + 1, (uint64_t)time(NULL));
	randombytes_buf(raw + 9, NONCE_LEN);
	put64(raw + 9 + NONCE_LEN, (uint64_t)scope);
	put64(raw + 17 + NONCE_LEN, (uint64_t)seq);
	token2_mac(raw + BODY2_LEN, raw, NULL);
	token2_mac(raw + BODY2_LEN + MAC2_LEN, raw, client);
	return b64(a, raw, RAW2_LEN);
}

/* Checks a client-bound token as token_check does, and that it was issued
 * to client: TOKEN_OTHER_CLIENT when it was signed for another one (or is
 * a token of the old, unbound form). *seq gets its number. */
enum token_status
token_check_client(const char *tok, long long scope, const char *client,
    int min_age, int max_age, char id[33], unsigned long long *seq)
{
	unsigned char	 raw[RAW2_LEN + 4], mac[MAC2_LEN];
	size_t		 len;

	*id = '\0';
	*seq = 0;
	if (!loaded || tok == NULL ||
	    sodium_base642bin(raw, sizeof(raw), tok, strlen(tok), NULL, &len,
	    NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0)
		return TOKEN_BAD;
	if (len == RAW_LEN && raw[0] == TOKEN_VERSION &&
	    crypto_auth_hmacsha256_verify(raw + BODY_LEN, raw, BODY_LEN,
	    form_key) == 0)
		return TOKEN_OTHER_CLIENT;	/* genuine, but bound to nobody */
	if (len != RAW2_LEN || raw[0] != TOKEN2_VERSION)
		return TOKEN_BAD;
	token2_mac(mac, raw, NULL);
	if (sodium_memcmp(mac, raw + BODY2_LEN, MAC2_LEN) != 0 ||
	    get64(raw + 9 + NONCE_LEN) != (uint64_t)scope)
		return TOKEN_BAD;
	if (client == NULL)
		return TOKEN_NO_CLIENT;
	token2_mac(mac, raw, client);
	if (sodium_memcmp(mac, raw + BODY2_LEN + MAC2_LEN, MAC2_LEN) != 0)
		return TOKEN_OTHER_CLIENT;
	sodium_bin2hex(id, 33, raw + 9, NONCE_LEN);
	*seq = get64(raw + 17 + NONCE_LEN);
	return token_age((time_t)get64(raw + 1), min_age, max_age);
}

/* --- Slot identifiers in URLs (issue 10) ----------------------------------
 * "<id>.<mac>", the MAC being the first 16 hex digits of
 * secret_digest("creneau slot url v1", id): ids stay numbers in the
 * database, but one URL says nothing about the next. */
#define SLOT_PURPOSE	"creneau slot url v1"
#define SLOT_MAC_LEN	16

/* Writes the MAC of slot id (decimal) into out; returns 0 or -1. */
static int
slot_mac(const char *id, size_t len, char out[SLOT_MAC_LEN + 1])
{
	crypto_auth_hmacsha256_state	 st;
	unsigned char			 mac[crypto_auth_hmacsha256_BYTES];

	if (!loaded)
		return -1;
	crypto_auth_hmacsha256_init(&st, digest_key, sizeof(digest_key));
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)SLOT_PURPOSE,
	    strlen(SLOT_PURPOSE) + 1);
	crypto_auth_hmacsha256_update(&st, (const unsigned char *)id, len);
	crypto_auth_hmacsha256_final(&st, mac);
	sodium_bin2hex(out, SLOT_MAC_LEN + 1, mac, SLOT_MAC_LEN / 2);
	return 0;
}

/* Returns "<id>.<mac>" for slot id (decimal), the form slot ids take in
 * URLs and forms, or NULL. */
char *
slot_ref(struct arena *a, const char *id)
{
	char	 mac[SLOT_MAC_LEN + 1];

	if (id == NULL || slot_mac(id, strlen(id), mac) == -1)
		return NULL;
	return arena_printf(a, "%s.%s", id, mac);
}

/* Checks ref ("<id>.<mac>"); when genuine, cuts it to the id in place
 * and returns 0; else -1 (a forged or guessed id). */
int
slot_ref_open(char *ref)
{
	char	*dot = strchr(ref, '.'), mac[SLOT_MAC_LEN + 1];

	if (dot == NULL || dot == ref || strlen(dot + 1) != SLOT_MAC_LEN ||
	    slot_mac(ref, (size_t)(dot - ref), mac) == -1 ||
	    sodium_memcmp(mac, dot + 1, SLOT_MAC_LEN) != 0)
		return -1;
	*dot = '\0';
	return 0;
}

/* Returns the identity HMAC (64 hex digits: HMAC-SHA256 under the
 * identity key) of data, a person's canonical identity (identity.c). */
char *
secret_identity_hex(struct arena *a, const char *data)
{
	unsigned char	 mac[crypto_auth_hmacsha256_BYTES];
	char		*out;

	if (!loaded || (out = arena_alloc(a, 2 * sizeof(mac) + 1)) == NULL)
		return NULL;
	crypto_auth_hmacsha256(mac, (const unsigned char *)data, strlen(data),
	    identity_key);
	sodium_bin2hex(out, 2 * sizeof(mac) + 1, mac, sizeof(mac));
	return out;
}
