/* Unit tests of request parsing: query strings, form bodies and cookies,
 * with every way a client can get them wrong. */
#include "config.h"

#include "arena.h"
#include "request.h"
#include "tap.h"

static struct arena	*a;
static struct limits	 lim = { 65536, 8, 32 };

/* Parses s as urlencoded and returns the status. */
static enum parse_status
parse(const char *s, struct params *p)
{
	return parse_urlencoded(a, s, strlen(s), &lim, p);
}

/* A header as a browser sends it for a domain where other sites set many
 * cookies: 65 foreign ones, one of 4 KB, then creneau's own. */
static void
cookie_flood(struct arena *ar, const struct limits *l)
{
	struct params	 p;
	char		*h, *w;
	int		 i;

	h = w = arena_alloc(ar, 65 * 16 + 5000 + 32);
	for (i = 0; i < 65; i++)
		w += sprintf(w, "tracker%d=%d; ", i, i);
	w += sprintf(w, "big=");
	memset(w, 'x', 4096);
	w += 4096;
	strcpy(w, "; lang=ar");
	is_int(parse_cookies(ar, h, l, &p), PARSE_OK,
	    "65 foreign cookies and a 4 KB one: parsed, not refused");
	is_str(params_get(&p, "lang"), "ar", "creneau's cookie after them is read");
	ok(params_get(&p, "big") == NULL, "the over-long cookie is skipped");
}

int
main(void)
{
	struct params	 p;
	char		 longv[200];
	const unsigned char overlong[] = { 0xc0, 0xaf };
	const unsigned char surrogate[] = { 0xed, 0xa0, 0x80 };
	const unsigned char truncated[] = { 'a', 0xe2, 0x82 };
	const unsigned char fine[] = "caf\xc3\xa9 \xd9\x85\xd8\xad\xd9\x85\xd8\xaf \xe7\x8e\x8b";

	a = arena_new(4096);

	is_int(parse("a=1&b=two+words&c=%C3%A9t%C3%A9", &p), PARSE_OK, "plain form parses");
	is_int(p.n, 3, "three fields");
	is_str(params_get(&p, "b"), "two words", "'+' decodes to a space");
	is_str(params_get(&p, "c"), "\xc3\xa9t\xc3\xa9", "percent-encoded UTF-8 decodes");
	is_str(params_get(&p, "missing"), NULL, "a missing field is NULL");
	is_int(parse("", &p), PARSE_OK, "empty query is fine");
	is_int(p.n, 0, "and has no field");
	is_int(parse("flag", &p), PARSE_OK, "a name alone is an empty value");
	is_str(params_get(&p, "flag"), "", "empty value");
	is_int(parse("a=%", &p), PARSE_MALFORMED, "truncated escape refused");
	is_int(parse("a=%4", &p), PARSE_MALFORMED, "half escape refused");
	is_int(parse("a=%zz", &p), PARSE_MALFORMED, "non-hex escape refused");
	is_int(parse("=x", &p), PARSE_MALFORMED, "empty name refused");
	is_int(parse("a=1&&b=2", &p), PARSE_MALFORMED, "empty pair refused");
	is_int(parse("a=1&", &p), PARSE_MALFORMED, "trailing '&' refused");
	is_int(parse("a=1&a=2", &p), PARSE_DUPLICATE, "duplicate field refused");
	is_int(parse("a=1&b=2&c=3&d=4&e=5&f=6&g=7&h=8&i=9", &p), PARSE_TOO_MANY,
	    "more fields than the limit refused");
	memset(longv, 'x', sizeof(longv));
	memcpy(longv, "a=", 2);
	longv[2 + 33] = '\0';
	is_int(parse(longv, &p), PARSE_TOO_LONG, "a value over the length limit refused");
	longv[2 + 32] = '\0';
	is_int(parse(longv, &p), PARSE_OK, "a value at the length limit accepted");
	is_int(parse("a=%C0%AF", &p), PARSE_BAD_UTF8, "overlong UTF-8 refused");
	is_int(parse("a=%ED%A0%80", &p), PARSE_BAD_UTF8, "UTF-16 surrogate refused");
	is_int(parse("a=%E2%82", &p), PARSE_BAD_UTF8, "truncated UTF-8 refused");
	is_int(parse("a=%FF", &p), PARSE_BAD_UTF8, "invalid byte refused");
	is_int(parse("a=x%00y", &p), PARSE_BAD_UTF8, "encoded NUL refused");
	is_int(parse("a=%07", &p), PARSE_OK, "control character left to the field validators");
	is_int(parse("a=%C2%85", &p), PARSE_OK, "C1 control left to the field validators");
	is_int(parse("a%07=1", &p), PARSE_BAD_UTF8, "control character in a name refused");
	ok(!text_clean((const unsigned char *)"a\x07", 2, 1), "text_clean refuses a control character");
	ok(!text_clean((const unsigned char *)"a\xc2\x85", 3, 1), "text_clean refuses a C1 control");
	ok(text_clean((const unsigned char *)"a\r\nb", 4, 1), "text_clean allows newlines when multiline");
	is_int(parse("a=line1%0D%0Aline2", &p), PARSE_OK, "newlines allowed in values");
	is_int(parse("a%0A=1", &p), PARSE_BAD_UTF8, "newline in a name refused");
	is_int(parse_urlencoded(a, "a=1\0b", 5, &lim, &p), PARSE_BAD_UTF8,
	    "raw NUL in the buffer refused");

	ok(!utf8_valid(overlong, sizeof(overlong)), "utf8_valid: overlong");
	ok(!utf8_valid(surrogate, sizeof(surrogate)), "utf8_valid: surrogate");
	ok(!utf8_valid(truncated, sizeof(truncated)), "utf8_valid: truncated");
	ok(utf8_valid(fine, sizeof(fine) - 1), "utf8_valid: French, Arabic, Chinese");

	is_int(parse_cookies(a, "lang=fr; sid=\"abc\" ;  x = 1", &lim, &p), PARSE_OK,
	    "cookies parse");
	is_str(params_get(&p, "lang"), "fr", "cookie value");
	is_str(params_get(&p, "sid"), "abc", "quoted cookie value unquoted");
	is_str(params_get(&p, "x"), "1", "blanks around '=' ignored");
	is_int(parse_cookies(a, "a=1; a=2", &lim, &p), PARSE_OK,
	    "repeated cookie accepted");
	is_str(params_get(&p, "a"), "1", "the first (most specific) cookie wins");
	is_int(parse_cookies(a, "garbage; lang=ar", &lim, &p), PARSE_OK,
	    "a cookie without '=' (set by another site) is skipped");
	is_str(params_get(&p, "lang"), "ar", "the cookies after it are kept");
	is_int(parse_cookies(a, "a\x01=1; lang=en; =x; b=\xff", &lim, &p),
	    PARSE_OK, "cookies with control characters, bad UTF-8 or no name are skipped");
	is_int((long)p.n, 1, "only the well-formed cookie is kept");
	is_str(params_get(&p, "lang"), "en", "and read");
	cookie_flood(a, &lim);
	is_int(parse_cookies(a, NULL, &lim, &p), PARSE_OK, "no cookie header");
	ok(strlen(parse_status_text(PARSE_DUPLICATE)) > 0, "every status has a message");
	arena_free(a);
	return done_testing();
}
