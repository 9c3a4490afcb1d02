/* Form tokens, random tokens and the identity key (see secret.h).
 * A form token is base64url(version | issued | nonce | scope | HMAC). */
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

/* Checks a form token for scope: signature, age between min_age and
 * max_age seconds. On TOKEN_OK (and TOKEN_TOO_FAST), id holds its 32-hex
 * nonce, the idempotency key of what the form creates. */
enum token_status
token_check(const char *tok, long long scope, int min_age, int max_age,
    char id[33])
{
	unsigned char	 raw[RAW_LEN + 4];
	size_t		 len;
	time_t		 issued, now = time(NULL);

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
	issued = (time_t)get64(raw + 1);
	if (now - issued > max_age || issued > now + 60)
		return TOKEN_EXPIRED;
	if (now - issued < min_age)
		return TOKEN_TOO_FAST;
	return TOKEN_OK;
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

/* Returns the identity HMAC key as a PostgreSQL bytea literal (\x…). */
char *
identity_key_sql(struct arena *a)
{
	char	*out;

	if ((out = arena_alloc(a, 2 + 2 * sizeof(identity_key) + 1)) == NULL)
		return NULL;
	out[0] = '\\';
	out[1] = 'x';
	sodium_bin2hex(out + 2, 2 * sizeof(identity_key) + 1, identity_key,
	    sizeof(identity_key));
	return out;
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
