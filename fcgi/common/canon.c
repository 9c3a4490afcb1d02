/* Canonical forms of names and contacts (fcgi/common/canon.h): ICU's normaliser,
 * transliterator, spoof checker (Unicode TS #39) and UTS #46 IDNA for
 * names and e-mail addresses, Google's libphonenumber (fcgi/common/phone.cc) for
 * phone numbers. Nothing here is shown to anyone: these forms are only
 * compared and digested.
 *
 * The ICU objects are opened once per process (canon_init, or the first
 * call) and are only read afterwards; workers are forked processes with
 * no threads. Working buffers come from the caller's arena. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uidna.h>
#include <unicode/unorm2.h>
#include <unicode/uscript.h>
#include <unicode/uset.h>
#include <unicode/uspoof.h>
#include <unicode/ustring.h>
#include <unicode/utf16.h>
#include <unicode/utf8.h>
#include <unicode/utrans.h>

#include "arena.h"
#include "canon.h"
#include "log.h"
#include "phone.h"

/* Longest input looked at (bytes): fields are far shorter. */
#define CANON_MAX_INPUT	1024

static struct {
	int			 state;	/* 0 not opened, 1 ready, -1 failed */
	const UNormalizer2	*casefold;	/* NFKC_Casefold */
	const UNormalizer2	*nfd;
	const UNormalizer2	*nfc;
	UTransliterator		*latin;	/* Latin-ASCII */
	USpoofChecker		*spoof;
	UIDNA			*idna;
} icu;

/* Logs an ICU failure and tells whether there was one. */
static int
failed(const char *what, UErrorCode st)
{
	if (U_SUCCESS(st))
		return 0;
	log_msg("canon: %s: %s", what, u_errorName(st));
	return 1;
}

int
canon_init(void)
{
	UErrorCode	 st = U_ZERO_ERROR;
	USet		*allowed;
	UChar		 id[16];

	if (icu.state != 0)
		return icu.state == 1 ? 0 : -1;
	icu.casefold = unorm2_getNFKCCasefoldInstance(&st);
	if (failed("NFKC_Casefold", st))
		goto fail;
	icu.nfd = unorm2_getNFDInstance(&st);
	if (failed("NFD", st))
		goto fail;
	icu.nfc = unorm2_getNFCInstance(&st);
	if (failed("NFC", st))
		goto fail;
	u_uastrcpy(id, "Latin-ASCII");
	icu.latin = utrans_openU(id, -1, UTRANS_FORWARD, NULL, 0, NULL, &st);
	if (failed("Latin-ASCII transliterator", st))
		goto fail;

	/* The spoof checker: one name is written in one script, except
	 * the usual East Asian mixes (Latin, Han, kana, Hangul, Bopomofo):
	 * ICU's "highly restrictive" level. Latin with Cyrillic, Greek,
	 * Armenian or Coptic letters (Տ, Ⲕ look like S, K), Cyrillic with
	 * Greek... and mixed-script confusables are refused. The surname and
	 * the given names are separate fields: a Latin surname with Arabic
	 * given names passes. (The "moderately restrictive" level would let
	 * Latin mix with Armenian, Coptic or Cherokee look-alikes.)
	 * Every character is allowed (the field patterns decide what a name
	 * may hold): with TS #39's recommended set, a letter such as "ɔ"
	 * (Akan, Ewe names) would make the name "unrestricted", refused.
	 * setAllowedChars turns CHAR_LIMIT on; the checks are set after
	 * it. */
	icu.spoof = uspoof_open(&st);
	if (failed("uspoof_open", st))
		goto fail;
	allowed = uset_open(0, 0x10FFFF);
	uspoof_setAllowedChars(icu.spoof, allowed, &st);
	uset_close(allowed);
	uspoof_setRestrictionLevel(icu.spoof, USPOOF_HIGHLY_RESTRICTIVE);
	uspoof_setChecks(icu.spoof, USPOOF_RESTRICTION_LEVEL |
	    USPOOF_MIXED_SCRIPT_CONFUSABLE, &st);
	if (failed("spoof checker settings", st))
		goto fail;

	icu.idna = uidna_openUTS46(UIDNA_USE_STD3_RULES | UIDNA_CHECK_BIDI |
	    UIDNA_CHECK_CONTEXTJ | UIDNA_NONTRANSITIONAL_TO_ASCII, &st);
	if (failed("UTS #46", st))
		goto fail;
	if (phone_init() == -1) {
		log_msg("canon: libphonenumber does not start");
		goto fail;
	}
	icu.state = 1;
	return 0;
fail:
	/* Not retried on every request: the next call fails at once. */
	canon_fini();
	icu.state = -1;
	return -1;
}

void
canon_fini(void)
{
	if (icu.latin != NULL)
		utrans_close(icu.latin);
	if (icu.spoof != NULL)
		uspoof_close(icu.spoof);
	if (icu.idna != NULL)
		uidna_close(icu.idna);
	memset(&icu, 0, sizeof(icu));
}

/* --- UTF-16 buffers in the arena ------------------------------------- */

struct ustr {
	UChar	*s;
	int32_t	 n;
};

/* UTF-8 → UTF-16; -1 when the input is not UTF-8 (or too long), -2 when
 * memory runs out. */
static int
from_utf8(struct arena *a, const char *in, size_t len, struct ustr *u)
{
	UErrorCode	 st = U_ZERO_ERROR;
	int32_t		 n;

	if (len > CANON_MAX_INPUT)
		return -1;
	u_strFromUTF8(NULL, 0, &n, in, (int32_t)len, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		return -1;
	if ((u->s = arena_alloc(a, (n + 1) * sizeof(UChar))) == NULL)
		return -2;
	st = U_ZERO_ERROR;
	u_strFromUTF8(u->s, n + 1, &u->n, in, (int32_t)len, &st);
	return U_FAILURE(st) ? -1 : 0;
}

static char *
to_utf8(struct arena *a, const struct ustr *u)
{
	UErrorCode	 st = U_ZERO_ERROR;
	int32_t		 n;
	char		*o;

	u_strToUTF8(NULL, 0, &n, u->s, u->n, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && U_FAILURE(st))
		return NULL;
	if ((o = arena_alloc(a, n + 1)) == NULL)
		return NULL;
	st = U_ZERO_ERROR;
	u_strToUTF8(o, n + 1, NULL, u->s, u->n, &st);
	return U_FAILURE(st) ? NULL : o;
}

static int
normalize(struct arena *a, const UNormalizer2 *nz, struct ustr *u)
{
	UErrorCode	 st = U_ZERO_ERROR;
	struct ustr	 o;

	o.n = unorm2_normalize(nz, u->s, u->n, NULL, 0, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && failed("normalize", st))
		return -1;
	if ((o.s = arena_alloc(a, (o.n + 1) * sizeof(UChar))) == NULL)
		return -1;
	st = U_ZERO_ERROR;
	unorm2_normalize(nz, u->s, u->n, o.s, o.n + 1, &st);
	if (failed("normalize", st))
		return -1;
	*u = o;
	return 0;
}

/* Latin-ASCII: Latin letters to their ASCII spelling ("œ" → "oe",
 * "ł" → "l", "ß" → "ss"); other scripts are left alone. */
static int
latin_ascii(struct arena *a, struct ustr *u)
{
	UErrorCode	 st;
	int32_t		 cap, n, limit;
	UChar		*b;

	for (cap = 2 * u->n + 16; cap <= 8 * u->n + 64; cap *= 2) {
		if ((b = arena_alloc(a, (cap + 1) * sizeof(UChar))) == NULL)
			return -1;
		memcpy(b, u->s, u->n * sizeof(UChar));
		n = limit = u->n;
		st = U_ZERO_ERROR;
		utrans_transUChars(icu.latin, b, &n, cap, 0, &limit, &st);
		if (st == U_BUFFER_OVERFLOW_ERROR)
			continue;
		if (failed("Latin-ASCII", st))
			return -1;
		u->s = b;
		u->n = n;
		return 0;
	}
	log_msg("canon: Latin-ASCII grows a name beyond 8 times");
	return -1;
}

/* --- names ------------------------------------------------------------- */

/* A few rare Latin capitals look like an ASCII letter while their small
 * letter does not ("Ꞵ" is a B, "ꞵ" is not a b): case folding would lose
 * the resemblance that TS #39 knows. Such a capital is replaced by its
 * skeleton, case-folded, when that is made of ASCII letters only
 * (Ƅ → b, Ɵ → o, Ꭓ → x, Ꞵ → b). ASCII capitals are left to the case
 * folding ("I", whose skeleton is "l", is handled with i and l). */
static int
latin_capitals(struct arena *a, struct ustr *u)
{
	UErrorCode	 st;
	UChar		 one[2], sk[8], *o;
	int32_t		 i, j, k, n, len;
	UChar32		 c;
	int8_t		 gc;
	int		 found = 0;

	for (i = 0; i < u->n && !found; ) {
		U16_NEXT(u->s, i, u->n, c);
		gc = u_charType(c);
		found = c > 0x7F && (gc == U_UPPERCASE_LETTER ||
		    gc == U_TITLECASE_LETTER);
	}
	if (!found)
		return 0;
	if ((o = arena_alloc(a, (4 * u->n + 1) * sizeof(UChar))) == NULL)
		return -1;
	for (i = n = 0; i < u->n; ) {
		j = i;
		U16_NEXT(u->s, i, u->n, c);
		gc = u_charType(c);
		st = U_ZERO_ERROR;
		if (c > 0x7F && (gc == U_UPPERCASE_LETTER ||
		    gc == U_TITLECASE_LETTER) &&
		    uscript_getScript(c, &st) == USCRIPT_LATIN &&
		    U_SUCCESS(st)) {
			k = 0;
			U16_APPEND_UNSAFE(one, k, c);
			len = uspoof_getSkeleton(icu.spoof, 0, one, k, sk,
			    (int32_t)(sizeof(sk) / sizeof(sk[0])), &st);
			for (k = 0; U_SUCCESS(st) && k < len; k++)
				if (!((sk[k] >= 'A' && sk[k] <= 'Z') ||
				    (sk[k] >= 'a' && sk[k] <= 'z')))
					break;
			if (U_SUCCESS(st) && len > 0 && len <= 3 && k == len) {
				for (k = 0; k < len; k++)
					o[n++] = sk[k] | 0x20;
				continue;
			}
		}
		while (j < i)
			o[n++] = u->s[j++];
	}
	u->s = o;
	u->n = n;
	return 0;
}

/* Characters removed without a trace: what NFKC_Casefold left of the
 * default-ignorable and format characters, the Arabic tatweel (and its
 * N'Ko cousin), and the accents: nonspacing marks that are diacritics,
 * of the Inherited script (combining accents, Arabic harakat) or of the
 * Arabic script (Quranic marks, superscript alef), but for the kana
 * voicing marks. */
static int
dropped(UChar32 c)
{
	int8_t		 gc = u_charType(c);
	UErrorCode	 st = U_ZERO_ERROR;
	UScriptCode	 sc;

	if (gc == U_FORMAT_CHAR ||
	    u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT) ||
	    c == 0x0640 || c == 0x07FA)
		return 1;
	/* The kana voicing marks make another syllable (た/だ): kept. */
	if ((gc != U_NON_SPACING_MARK && gc != U_ENCLOSING_MARK) ||
	    c == 0x3099 || c == 0x309A)
		return 0;
	if (u_hasBinaryProperty(c, UCHAR_DIACRITIC))
		return 1;
	sc = uscript_getScript(c, &st);
	return U_SUCCESS(st) && (sc == USCRIPT_INHERITED || sc == USCRIPT_ARABIC);
}

/* Characters kept: letters, marks and digits, except the apostrophe-like
 * modifier letters (U+02B9..U+02FF: ʼ ʻ ˈ...), which separate words
 * as an apostrophe does. Everything else (punctuation, symbols, spaces,
 * controls) separates words. */
static int
kept(UChar32 c)
{
	if (c >= 0x02B9 && c <= 0x02FF)
		return 0;
	return (U_GET_GC_MASK(c) & (U_GC_L_MASK | U_GC_M_MASK | U_GC_N_MASK)) != 0;
}

/* Removes the dropped characters and folds every run of separators to
 * one space, none at either end. In place (the result is never longer). */
static void
fold_separators(struct ustr *u)
{
	int32_t		 i = 0, o = 0;
	int		 pending = 0;
	UChar32		 c;

	while (i < u->n) {
		U16_NEXT(u->s, i, u->n, c);
		if (dropped(c))
			continue;
		if (!kept(c)) {
			pending = o > 0;
			continue;
		}
		if (pending)
			u->s[o++] = 0x20;
		pending = 0;
		U16_APPEND_UNSAFE(u->s, o, c);
	}
	u->n = o;
}

/* The Unicode TS #39 skeleton of u. */
static int
skeleton(struct arena *a, struct ustr *u)
{
	UErrorCode	 st = U_ZERO_ERROR;
	struct ustr	 sk;

	sk.n = uspoof_getSkeleton(icu.spoof, 0, u->s, u->n, NULL, 0, &st);
	if (st != U_BUFFER_OVERFLOW_ERROR && failed("uspoof_getSkeleton", st))
		return -1;
	if ((sk.s = arena_alloc(a, (sk.n + 1) * sizeof(UChar))) == NULL)
		return -1;
	st = U_ZERO_ERROR;
	uspoof_getSkeleton(icu.spoof, 0, u->s, u->n, sk.s, sk.n + 1, &st);
	if (failed("uspoof_getSkeleton", st))
		return -1;
	*u = sk;
	return 0;
}

enum canon_status
canon_name(struct arena *a, const char *in, const char **out)
{
	struct ustr	 u;
	UErrorCode	 st = U_ZERO_ERROR;
	int32_t		 fails, i;
	char		*o;

	*out = NULL;
	if (in == NULL)
		return CANON_EMPTY;
	if (canon_init() == -1)
		return CANON_ERROR;
	switch (from_utf8(a, in, strlen(in), &u)) {
	case -1:
		return CANON_INVALID;
	case -2:
		return CANON_ERROR;
	}
	/* Case and compatibility forms folded, default ignorables gone;
	 * Latin letters spelt in ASCII, folded again (Latin-ASCII spells
	 * the small capital "ɪ" as "I"); then decomposed so that the
	 * accents can go, and composed again. */
	if (latin_capitals(a, &u) == -1 ||
	    normalize(a, icu.casefold, &u) == -1 || latin_ascii(a, &u) == -1 ||
	    normalize(a, icu.casefold, &u) == -1 ||
	    normalize(a, icu.nfd, &u) == -1)
		return CANON_ERROR;
	fold_separators(&u);
	if (normalize(a, icu.nfc, &u) == -1)
		return CANON_ERROR;
	if (u.n == 0)
		return CANON_EMPTY;

	fails = uspoof_check2(icu.spoof, u.s, u.n, NULL, &st);
	if (failed("uspoof_check2", st))
		return CANON_ERROR;
	if (fails != 0)
		return CANON_CONFUSABLE;

	/* The skeleton maps look-alikes to one prototype, which may be a
	 * capital: case-folded again, and the skeleton of that. */
	if (skeleton(a, &u) == -1 || normalize(a, icu.casefold, &u) == -1 ||
	    skeleton(a, &u) == -1)
		return CANON_ERROR;
	/* TS #39 holds "I" (capital i) and "l" (small L) for one letter,
	 * which case folding (I → i) undoes: "AIice" would not meet
	 * "Alice". i and l are one letter here. Two people whose names
	 * differ only by it (Ella, Eila) get the same form; the identity
	 * also holds the date of birth, so this costs next to nothing. */
	for (i = 0; i < u.n; i++)
		if (u.s[i] == 'i')
			u.s[i] = 'l';
	if ((o = to_utf8(a, &u)) == NULL)
		return CANON_ERROR;
	*out = o;
	return CANON_OK;
}

/* --- e-mail addresses ---------------------------------------------------- */

static int
is_space(UChar32 c)
{
	return u_isUWhiteSpace(c) || u_charType(c) == U_CONTROL_CHAR;
}

enum canon_status
canon_email(struct arena *a, const char *in, const char **out)
{
	struct ustr	 local;
	UErrorCode	 st = U_ZERO_ERROR;
	UIDNAInfo	 info = UIDNA_INFO_INITIALIZER;
	const char	*b, *e, *at, *p;
	char		*l8, *dom, *o;
	int32_t		 i, n, plus;
	UChar32		 c;
	size_t		 dn;

	*out = NULL;
	if (in == NULL)
		return CANON_INVALID;
	if (canon_init() == -1)
		return CANON_ERROR;
	/* Trimmed of ASCII and Unicode spaces at both ends. */
	b = in;
	e = in + strlen(in);
	if (e - b > CANON_MAX_INPUT)
		return CANON_INVALID;
	while (b < e) {
		i = 0;
		U8_NEXT(b, i, (int32_t)(e - b), c);
		if (c < 0 || !is_space(c))
			break;
		b += i;
	}
	while (e > b) {
		i = (int32_t)(e - b);
		U8_PREV(b, 0, i, c);
		if (c < 0 || !is_space(c))
			break;
		e = b + i;
	}
	for (at = NULL, p = b; p < e; p++)
		if (*p == '@')
			at = p;
	if (at == NULL || at == b || at + 1 == e)
		return CANON_INVALID;

	/* The local part: NFKC_Casefold (lower case for ASCII), no spaces
	 * nor controls inside, without its "+tag". */
	switch (from_utf8(a, b, at - b, &local)) {
	case -1:
		return CANON_INVALID;
	case -2:
		return CANON_ERROR;
	}
	if (normalize(a, icu.casefold, &local) == -1)
		return CANON_ERROR;
	for (i = 0, plus = -1; i < local.n; ) {
		n = i;
		U16_NEXT(local.s, i, local.n, c);
		if (is_space(c))
			return CANON_INVALID;
		if (c == '+' && plus == -1)
			plus = n;
	}
	if (plus > 0)
		local.n = plus;
	if (local.n == 0)
		return CANON_INVALID;

	/* The domain: its ASCII form (UTS #46: lower case, punycode),
	 * without a final dot. */
	dn = e - (at + 1);
	while (dn > 0 && at[dn] == '.')
		dn--;
	if (dn == 0 || dn > 253 * 4)
		return CANON_INVALID;
	if ((dom = arena_alloc(a, 256)) == NULL)
		return CANON_ERROR;
	n = uidna_nameToASCII_UTF8(icu.idna, at + 1, (int32_t)dn, dom, 255,
	    &info, &st);
	if (U_FAILURE(st) || info.errors != 0 || n == 0 || n > 253)
		return CANON_INVALID;
	dom[n] = '\0';

	/* Gmail ignores dots in the local part and googlemail.com is the
	 * same mailbox: "J.Doe+x@googlemail.com" = "jdoe@gmail.com". */
	if (strcmp(dom, "gmail.com") == 0 || strcmp(dom, "googlemail.com") == 0) {
		strcpy(dom, "gmail.com");
		for (i = n = 0; i < local.n; i++)
			if (local.s[i] != '.')
				local.s[n++] = local.s[i];
		local.n = n;
		if (n == 0)
			return CANON_INVALID;
	}
	if ((l8 = to_utf8(a, &local)) == NULL)
		return CANON_ERROR;
	if ((o = arena_printf(a, "%s@%s", l8, dom)) == NULL)
		return CANON_ERROR;
	*out = o;
	return CANON_OK;
}

/* --- phone numbers ------------------------------------------------------- */

/* Reduces what was typed to ASCII digits (any script's decimal digits),
 * spaces and "+().-/" for libphonenumber, which would otherwise read
 * letters as a keypad does ("06 12 AB CD EF"). NULL when something
 * else is there. */
static char *
phone_ascii(struct arena *a, const char *in)
{
	size_t		 len = strlen(in);
	int32_t		 i = 0;
	UChar32		 c;
	char		*o, *p;
	int		 v;

	if (len > 64 || (o = p = arena_alloc(a, len + 1)) == NULL)
		return NULL;
	while (i < (int32_t)len) {
		U8_NEXT(in, i, (int32_t)len, c);
		if (c < 0)
			return NULL;
		if (c < 0x80 && strchr("+().-/ ", (int)c) != NULL && c != 0)
			*p++ = (char)c;
		else if (u_charType(c) == U_DECIMAL_DIGIT_NUMBER &&
		    (v = u_charDigitValue(c)) >= 0 && v <= 9)
			*p++ = (char)('0' + v);
		else if (c == 0xFF0B)
			*p++ = '+';
		else if ((c >= 0x2010 && c <= 0x2015) || c == 0x2212)
			*p++ = '-';
		else if (u_isUWhiteSpace(c))
			*p++ = ' ';
		else if (u_charType(c) == U_FORMAT_CHAR ||
		    u_hasBinaryProperty(c, UCHAR_DEFAULT_IGNORABLE_CODE_POINT))
			continue;
		else
			return NULL;
	}
	*p = '\0';
	return o;
}

enum canon_status
canon_phone(struct arena *a, const char *in, const char **e164)
{
	char	 buf[32], *s;

	*e164 = NULL;
	if (in == NULL)
		return CANON_INVALID;
	if (canon_init() == -1)
		return CANON_ERROR;
	if ((s = phone_ascii(a, in)) == NULL)
		return CANON_INVALID;
	switch (phone_e164(s, buf, sizeof(buf), NULL)) {
	case 0:
		break;
	case 1:
		return CANON_INVALID;
	default:
		return CANON_ERROR;
	}
	if ((s = arena_strdup(a, buf)) == NULL)
		return CANON_ERROR;
	*e164 = s;
	return CANON_OK;
}

const char *
canon_phone_example(void)
{
	return "06 12 34 56 78";
}

int
canon_phone_mobile(const char *e164)
{
	char	 buf[32];
	int	 mobile = 0;

	if (e164 == NULL || e164[0] != '+' || strlen(e164) < 7 ||
	    strlen(e164) > 16 || strspn(e164 + 1, "0123456789") !=
	    strlen(e164) - 1 || canon_init() == -1)
		return 0;
	if (phone_e164(e164, buf, sizeof(buf), &mobile) != 0)
		return 0;
	return mobile;
}

const char *
canon_version(void)
{
	static char	 v[96];
	UVersionInfo	 icuv, uv;
	char		 a[U_MAX_VERSION_STRING_LENGTH], b[U_MAX_VERSION_STRING_LENGTH];

	if (v[0] == '\0') {
		u_getVersion(icuv);
		u_getUnicodeVersion(uv);
		u_versionToString(icuv, a);
		u_versionToString(uv, b);
		snprintf(v, sizeof(v), "ICU %s, Unicode %s", a, b);
	}
	return v;
}
