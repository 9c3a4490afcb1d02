/* Fuzzes the request parser (fcgi/web/request.c, fcgi/common/i18n.c): the same input
 * as a query string or form body, as a Cookie header and as an
 * Accept-Language header. Properties: no crash, no leak, no read outside
 * the buffer (ASan), and what is accepted is what the handlers are
 * promised: at most max_fields unique, clean names, valid UTF-8 values of
 * bounded length with no NUL; a parsed form, encoded again, parses back
 * to the same pairs; a language is always one of those configured; and
 * utf8_valid agrees with the Unicode Standard's table of well-formed
 * byte sequences. */
#include "config.h"

#include "arena.h"
#include "conf.h"
#include "fuzz.h"
#include "i18n.h"
#include "request.h"

static struct arena	*a;
static struct conf	 conf;
static const struct limits lim = { 65536, 32, 256 };

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static char	*langs[] = { "fr", "en", "ar", "zh", "ru" };
	size_t		 i;

	a = arena_new(16384);
	memset(&conf, 0, sizeof(conf));
	conf.default_language = langs[0];
	for (i = 0; i < 5; i++)
		conf.languages[i] = langs[i];
	conf.nlanguages = 5;
	return 0;
}

/* The checks every parsed set of parameters passes. */
static void
check_params(const struct params *p, const struct limits *l, size_t max)
{
	size_t	 i, k;

	PROPERTY(p->n <= max, "%zu parameters", p->n);
	for (i = 0; i < p->n; i++) {
		const char *n = p->v[i].name, *v = p->v[i].value;

		PROPERTY(n != NULL && v != NULL, "parameter %zu", i);
		PROPERTY(*n != '\0', "an empty name");
		PROPERTY(strlen(n) <= l->max_field_length, "name of %zu bytes", strlen(n));
		PROPERTY(text_clean((const unsigned char *)n, strlen(n), 0),
		    "name '%s' not clean", n);
		PROPERTY(strlen(v) == p->v[i].len, "value length %zu, says %zu",
		    strlen(v), p->v[i].len);
		PROPERTY(p->v[i].len <= l->max_field_length, "value of %zu bytes",
		    p->v[i].len);
		PROPERTY(utf8_valid((const unsigned char *)v, p->v[i].len),
		    "value of '%s' not UTF-8", n);
		for (k = 0; k < i; k++)
			PROPERTY(strcmp(p->v[k].name, n) != 0, "'%s' twice", n);
		PROPERTY(params_get(p, n) == v, "params_get('%s')", n);
	}
}

/* Appends the percent-encoding of s to out at *o. */
static void
encode(char *out, size_t *o, const char *s)
{
	static const char	 hex[] = "0123456789ABCDEF";
	const unsigned char	*u = (const unsigned char *)s;

	for (; *u != '\0'; u++) {
		if ((*u >= 'a' && *u <= 'z') || (*u >= 'A' && *u <= 'Z') ||
		    (*u >= '0' && *u <= '9') || *u == '-' || *u == '_')
			out[(*o)++] = (char)*u;
		else if (*u == ' ')
			out[(*o)++] = '+';
		else {
			out[(*o)++] = '%';
			out[(*o)++] = hex[*u >> 4];
			out[(*o)++] = hex[*u & 15];
		}
	}
}

/* Returns 1 when s[0..n) is well-formed UTF-8 by the Unicode Standard's
 * table of well-formed byte sequences (Table 3-7), written otherwise
 * than request.c's utf8_valid. */
static int
utf8_by_table(const unsigned char *s, size_t n)
{
	size_t	 i = 0, len, k;
	unsigned char lo, hi;

	while (i < n) {
		lo = 0x80;
		hi = 0xbf;
		if (s[i] <= 0x7f)
			len = 1;
		else if (s[i] >= 0xc2 && s[i] <= 0xdf)
			len = 2;
		else if (s[i] >= 0xe0 && s[i] <= 0xef) {
			len = 3;
			if (s[i] == 0xe0)
				lo = 0xa0;
			else if (s[i] == 0xed)
				hi = 0x9f;
		} else if (s[i] >= 0xf0 && s[i] <= 0xf4) {
			len = 4;
			if (s[i] == 0xf0)
				lo = 0x90;
			else if (s[i] == 0xf4)
				hi = 0x8f;
		} else
			return 0;
		if (n - i < len)
			return 0;
		for (k = 1; k < len; k++) {
			if (s[i + k] < (k == 1 ? lo : 0x80) ||
			    s[i + k] > (k == 1 ? hi : 0xbf))
				return 0;
		}
		i += len;
	}
	return 1;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct params		 p, q, c;
	enum parse_status	 st;
	char			*s, *enc;
	const char		*l;
	size_t			 i, o = 0;

	if (size > 8192)
		return 0;
	/* Exactly size bytes (no NUL after them): ASan sees an overread. */
	s = malloc(size ? size : 1);
	memcpy(s, data, size);
	PROPERTY(utf8_valid((const unsigned char *)s, size) ==
	    utf8_by_table((const unsigned char *)s, size),
	    "utf8_valid says %d, the Unicode table otherwise",
	    utf8_valid((const unsigned char *)s, size));
	st = parse_urlencoded(a, s, size, &lim, &p);
	PROPERTY(st >= PARSE_OK && st <= PARSE_NOMEM, "status %d", (int)st);
	PROPERTY(st != PARSE_NOMEM, "out of memory on %zu bytes", size);
	PROPERTY(*parse_status_text(st) != '\0', "no message");
	if (st == PARSE_OK) {
		check_params(&p, &lim, lim.max_fields);
		PROPERTY(memchr(s, '\0', size) == NULL, "a NUL byte accepted");
		/* Encoded again, the form parses back to the same pairs. */
		enc = malloc(3 * size + 2 * p.n + 1);
		for (i = 0; i < p.n; i++) {
			if (i > 0)
				enc[o++] = '&';
			encode(enc, &o, p.v[i].name);
			enc[o++] = '=';
			encode(enc, &o, p.v[i].value);
		}
		st = parse_urlencoded(a, enc, o, &lim, &q);
		PROPERTY(st == PARSE_OK, "re-encoded form refused: %d", (int)st);
		PROPERTY(q.n == p.n, "%zu pairs, then %zu", p.n, q.n);
		for (i = 0; i < p.n; i++)
			PROPERTY(strcmp(p.v[i].name, q.v[i].name) == 0 &&
			    strcmp(p.v[i].value, q.v[i].value) == 0,
			    "pair %zu changed", i);
		free(enc);
	}
	free(s);

	/* The same bytes as a Cookie or Accept-Language header (nginx
	 * passes a C string: up to the first NUL). */
	s = malloc(size + 1);
	memcpy(s, data, size);
	s[size] = '\0';
	st = parse_cookies(a, s, &lim, &c);
	PROPERTY(st == PARSE_OK, "cookies refused: %d", (int)st);
	check_params(&c, &lim, 256);
	for (i = 0; i < c.n; i++)
		PROPERTY(strchr(c.v[i].name, ';') == NULL &&
		    strchr(c.v[i].value, ';') == NULL &&
		    strchr(c.v[i].name, '=') == NULL, "cookie %zu crosses a separator", i);
	l = i18n_pick(&conf, NULL, NULL, s);
	for (i = 0; i < conf.nlanguages; i++)
		if (l == conf.languages[i])
			break;
	PROPERTY(i < conf.nlanguages, "language '%s' not configured", l);
	l = i18n_pick(&conf, s, s, NULL);
	PROPERTY(l == conf.default_language || conf_has_language(&conf, l),
	    "asked language '%s' taken", l);
	PROPERTY(strcmp(i18n_dir(s), "rtl") == 0 || strcmp(i18n_dir(s), "ltr") == 0,
	    "direction");
	free(s);
	arena_reset(a);
	return 0;
}
