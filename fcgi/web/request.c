/* Query string, form body and cookie parsing (see request.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "i18n.h"
#include "request.h"

/* Returns the value of a hex digit, or -1. */
static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Returns 1 when s[0..n) is well-formed UTF-8 (no overlongs, no
 * surrogates, nothing above U+10FFFF), else 0. */
int
utf8_valid(const unsigned char *s, size_t n)
{
	size_t		 i = 0, len, k;
	unsigned int	 cp;

	while (i < n) {
		unsigned char c = s[i];

		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xc2 && c <= 0xdf) {
			len = 2;
			cp = c & 0x1f;
		} else if (c >= 0xe0 && c <= 0xef) {
			len = 3;
			cp = c & 0x0f;
		} else if (c >= 0xf0 && c <= 0xf4) {
			len = 4;
			cp = c & 0x07;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if ((s[i + k] & 0xc0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3f);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
			return 0;
		i += len;
	}
	return 1;
}

/* Returns 1 when s[0..n) is valid UTF-8 with no control character (C0,
 * DEL, C1); tab, CR and LF are allowed only when multiline is set. */
int
text_clean(const unsigned char *s, size_t n, int multiline)
{
	size_t	 i;

	if (!utf8_valid(s, n))
		return 0;
	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f) {
			if (!multiline ||
			    (s[i] != '\t' && s[i] != '\n' && s[i] != '\r'))
				return 0;
		}
		/* C1 controls U+0080..U+009F are encoded C2 80..C2 9F. */
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 &&
		    s[i + 1] <= 0x9f)
			return 0;
	}
	return 1;
}

/* Decodes s[0..n) ('+' is a space, %XX a byte) into a new arena string;
 * sets *outlen. Returns NULL on malformed escapes (status MALFORMED) or
 * out of memory (status NOMEM). */
static char *
decode(struct arena *a, const char *s, size_t n, size_t *outlen,
    enum parse_status *st)
{
	char	*out;
	size_t	 i, o = 0;
	int	 hi, lo;

	if ((out = arena_alloc(a, n + 1)) == NULL) {
		*st = PARSE_NOMEM;
		return NULL;
	}
	for (i = 0; i < n; i++) {
		if (s[i] == '+')
			out[o++] = ' ';
		else if (s[i] == '%') {
			if (n - i < 3 ||
			    (hi = hexval((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexval((unsigned char)s[i + 2])) < 0) {
				*st = PARSE_MALFORMED;
				return NULL;
			}
			out[o++] = (char)(hi << 4 | lo);
			i += 2;
		} else
			out[o++] = s[i];
	}
	out[o] = '\0';
	*outlen = o;
	return out;
}

/* Adds name=value to p after the checks every source shares; returns the
 * parse status. */
static enum parse_status
add_param(struct params *p, const struct limits *l, const char *name,
    size_t namelen, const char *value, size_t len, int dup_ok)
{
	size_t	 i;

	if (namelen == 0)
		return PARSE_MALFORMED;
	if (namelen > l->max_field_length || len > l->max_field_length)
		return PARSE_TOO_LONG;
	/* Names must be clean; values need only be valid UTF-8 (NULs are
	 * refused by the callers), so that a control character typed into a
	 * field comes back as a message next to that field, from its
	 * validator, rather than as a 400 page that loses the form. */
	if (!text_clean((const unsigned char *)name, namelen, 0) ||
	    !utf8_valid((const unsigned char *)value, len))
		return PARSE_BAD_UTF8;
	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return dup_ok ? PARSE_OK : PARSE_DUPLICATE;
	if (p->n >= l->max_fields)
		return PARSE_TOO_MANY;
	p->v[p->n].name = name;
	p->v[p->n].value = value;
	p->v[p->n].len = len;
	p->n++;
	return PARSE_OK;
}

/* Parses an application/x-www-form-urlencoded buffer (a query string or a
 * form body) into out. Every pair needs a name; "a" alone means a="". */
enum parse_status
parse_urlencoded(struct arena *a, const char *s, size_t n,
    const struct limits *l, struct params *out)
{
	enum parse_status	 st = PARSE_OK;
	const char		*p = s, *end = s + n, *amp, *eq;
	char			*name, *value;
	size_t			 namelen, len, count = 1;

	out->n = 0;
	out->v = NULL;
	if (n == 0)
		return PARSE_OK;
	if (s[n - 1] == '&')
		return PARSE_MALFORMED;	/* a trailing empty pair */
	for (amp = s; amp < end; amp++)
		if (*amp == '&')
			count++;
	if (count > l->max_fields)
		return PARSE_TOO_MANY;
	if ((out->v = arena_calloc(a, count, sizeof(*out->v))) == NULL)
		return PARSE_NOMEM;
	while (p < end) {
		if ((amp = memchr(p, '&', (size_t)(end - p))) == NULL)
			amp = end;
		if (amp == p) {
			/* "a=1&&b=2" or a trailing '&': an empty pair. */
			return PARSE_MALFORMED;
		}
		if ((eq = memchr(p, '=', (size_t)(amp - p))) == NULL)
			eq = amp;
		if ((size_t)(eq - p) > 3 * l->max_field_length ||
		    (size_t)(amp - eq) > 3 * l->max_field_length + 1)
			return PARSE_TOO_LONG;
		if ((name = decode(a, p, (size_t)(eq - p), &namelen, &st)) == NULL)
			return st;
		value = decode(a, eq < amp ? eq + 1 : amp,
		    eq < amp ? (size_t)(amp - eq - 1) : 0, &len, &st);
		if (value == NULL)
			return st;
		if (strlen(name) != namelen || strlen(value) != len)
			return PARSE_BAD_UTF8;	/* an encoded NUL */
		if ((st = add_param(out, l, name, namelen, value, len, 0)) != PARSE_OK)
			return st;
		p = amp + 1;
	}
	return PARSE_OK;
}

#define MAX_COOKIES	256

/* Parses a Cookie header ("a=1; b=2"). Values are taken as they are (no
 * percent-decoding; quotes removed). A repeated name keeps the first, as
 * RFC 6265 puts the most specific cookie first. The header also carries
 * the cookies other sites of the same domain set, which creneau does not
 * control: a piece without '=', with a control character, or over
 * max_field_length is skipped, and past MAX_COOKIES (more than a browser
 * keeps for one domain) the rest are ignored, so that one bad cookie
 * never makes every page answer 400. Returns PARSE_OK or PARSE_NOMEM. */
enum parse_status
parse_cookies(struct arena *a, const char *s, const struct limits *l,
    struct params *out)
{
	struct limits	 cl = *l;
	const char	*p = s, *semi, *eq, *end;
	char		*name, *value;
	size_t		 count = 1, nl, vl;

	cl.max_fields = MAX_COOKIES;
	out->n = 0;
	out->v = NULL;
	if (s == NULL || *s == '\0')
		return PARSE_OK;
	for (end = s; *end != '\0'; end++)
		if (*end == ';')
			count++;
	if (count > MAX_COOKIES)
		count = MAX_COOKIES;
	if ((out->v = arena_calloc(a, count, sizeof(*out->v))) == NULL)
		return PARSE_NOMEM;
	for (; p < end && out->n < count; p = semi + 1) {
		while (p < end && (*p == ' ' || *p == '\t'))
			p++;
		if ((semi = memchr(p, ';', (size_t)(end - p))) == NULL)
			semi = end;
		if ((eq = memchr(p, '=', (size_t)(semi - p))) == NULL)
			continue;
		nl = (size_t)(eq - p);
		while (nl > 0 && (p[nl - 1] == ' ' || p[nl - 1] == '\t'))
			nl--;
		vl = (size_t)(semi - eq - 1);
		eq++;
		while (vl > 0 && (*eq == ' ' || *eq == '\t')) {
			eq++;
			vl--;
		}
		while (vl > 0 && (eq[vl - 1] == ' ' || eq[vl - 1] == '\t'))
			vl--;
		if (vl >= 2 && eq[0] == '"' && eq[vl - 1] == '"') {
			eq++;
			vl -= 2;
		}
		if (nl == 0 || nl > l->max_field_length ||
		    vl > l->max_field_length)
			continue;
		if ((name = arena_strndup(a, p, nl)) == NULL ||
		    (value = arena_strndup(a, eq, vl)) == NULL)
			return PARSE_NOMEM;
		if (add_param(out, &cl, name, nl, value, vl, 1) == PARSE_NOMEM)
			return PARSE_NOMEM;
	}
	return PARSE_OK;
}

/* Returns the value of the first parameter called name, or NULL. */
const char *
params_get(const struct params *p, const char *name)
{
	size_t	 i;

	for (i = 0; i < p->n; i++)
		if (strcmp(p->v[i].name, name) == 0)
			return p->v[i].value;
	return NULL;
}

/* Returns an English msgid describing a parse status, for the 400 page. */
const char *
parse_status_text(enum parse_status st)
{
	switch (st) {
	case PARSE_OK:
		return "OK";
	case PARSE_MALFORMED:
		return N_("The address or the form is malformed.");
	case PARSE_TOO_MANY:
		return N_("The form has too many fields.");
	case PARSE_TOO_LONG:
		return N_("A field of the form is too long.");
	case PARSE_BAD_UTF8:
		return N_("The form contains characters that are not valid text.");
	case PARSE_DUPLICATE:
		return N_("A field of the form was sent twice.");
	case PARSE_NOMEM:
	default:
		return N_("The request could not be read.");
	}
}
