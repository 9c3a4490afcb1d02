/* Unit tests of the canonical forms (fcgi/common/canon.c): tables of variants
 * that must give the SAME form (punctuation, invisible characters, case,
 * accents, look-alike letters of another script, Arabic diacritics,
 * plus-addressing, every way of writing a French or overseas phone
 * number), pairs that must stay DISTINCT (two people, two mailboxes, two
 * numbers), and what must be refused (mixed-script look-alikes, empty
 * names, impossible addresses and numbers). */
#include "config.h"

#include <string.h>

#include <unicode/uchar.h>
#include <unicode/uspoof.h>
#include <unicode/utf8.h>

#include "arena.h"
#include "canon.h"
#include "tap.h"

typedef enum canon_status (*canon_fn)(struct arena *, const char *,
    const char **);

/* A group: every variant gives CANON_OK and the form of the first one;
 * want, when set, is that form. */
struct same {
	const char	*what;
	const char	*want;
	const char	*v[24];
};

struct pair {
	const char	*a, *b;
};

struct refused {
	const char		*in;
	enum canon_status	 st;
	const char		*what;
};

static struct arena	*a;

static const char *
form(canon_fn f, const char *in, enum canon_status *st)
{
	const char	*o = NULL;

	*st = f(a, in, &o);
	return o;
}

static void
check_same(const char *kind, canon_fn f, const struct same *t, size_t n)
{
	enum canon_status	 st;
	const char		*ref, *o;
	size_t			 i, j;

	for (i = 0; i < n; i++) {
		ref = form(f, t[i].v[0], &st);
		is_int(st, CANON_OK, "%s %s: the reference is accepted", kind, t[i].what);
		if (t[i].want != NULL)
			is_str(ref, t[i].want, "%s %s: its form", kind, t[i].what);
		for (j = 1; t[i].v[j] != NULL; j++) {
			o = form(f, t[i].v[j], &st);
			if (st != CANON_OK)
				printf("# variant %zu gives status %d\n", j, (int)st);
			is_str(st == CANON_OK ? o : NULL, ref,
			    "%s %s: variant %zu has the same form", kind, t[i].what, j);
		}
	}
}

static void
check_distinct(const char *kind, canon_fn f, const struct pair *t, size_t n)
{
	enum canon_status	 sa, sb;
	const char		*fa, *fb;
	size_t			 i;

	for (i = 0; i < n; i++) {
		fa = form(f, t[i].a, &sa);
		fb = form(f, t[i].b, &sb);
		ok(sa == CANON_OK && sb == CANON_OK && strcmp(fa, fb) != 0,
		    "%s pair %zu stays distinct", kind, i + 1);
		if (sa == CANON_OK && sb == CANON_OK && strcmp(fa, fb) == 0)
			printf("#   both give '%s'\n", fa);
	}
}

static void
check_refused(const char *kind, canon_fn f, const struct refused *t, size_t n)
{
	enum canon_status	 st;
	const char		*o;
	size_t			 i;

	for (i = 0; i < n; i++) {
		o = form(f, t[i].in, &st);
		is_int(st, t[i].st, "%s refused: %s", kind, t[i].what);
		ok(o == NULL, "%s refused: %s: no form", kind, t[i].what);
	}
}

#define N(t)	(sizeof(t) / sizeof((t)[0]))

/* --- names --------------------------------------------------------------- */

static const struct same names_same[] = {
	{ "punctuation, spacing and invisible characters", "dupont", {
	    "Dupont", "Dupont.", "  DUPONT ", "dupont,", "Dupont\t", "(Dupont)",
	    "Du\u00ADpont",		/* soft hyphen */
	    "Du\u200Bpont",		/* zero-width space */
	    "Dupont\u200D",		/* zero-width joiner */
	    "Dupont\u200C",		/* zero-width non-joiner */
	    "Dupon\uFE0Ft",		/* variation selector 16 */
	    "Dupont\uFE00",		/* variation selector 1 */
	    "Du\u2060pont",		/* word joiner */
	    "\u202EDupont",		/* right-to-left override */
	    "Dupont\u200E",		/* left-to-right mark */
	    "\uFEFFDupont",		/* byte order mark */
	    "Dup\u034Font",		/* combining grapheme joiner */
	    "\uFF24\uFF35\uFF30\uFF2F\uFF2E\uFF34", /* full-width */
	    NULL } },
	{ "hyphens", NULL, {
	    "Marie-Anne", "Marie Anne", "marie  anne", "MARIE-ANNE.",
	    "Marie\u2010Anne",		/* ‐ hyphen */
	    "Marie\u2011Anne",		/* non-breaking hyphen */
	    "Marie\u2013Anne",		/* – en dash */
	    "Marie\u2014Anne",		/* — em dash */
	    "Marie - Anne", "Marie_Anne", "Marie\u00A0Anne", NULL } },
	{ "apostrophes", "o brlen" /* i and l are one letter */, {
	    "O'Brien", "O\u2019Brien", "O\u02BCBrien", "O\u2018Brien",
	    "O\u00B4Brien", "O`Brien", "O Brien", "o'brien", "O\u2019 BRIEN",
	    NULL } },
	{ "apostrophes (N'Diaye)", NULL, {
	    "N'Diaye", "N\u2019DIAYE", "n\u02BCdiaye", "N' Diaye", NULL } },
	{ "accents", "helene", {
	    "H\u00E9l\u00E8ne", "H\u00C9L\u00C8NE", "Helene", "HELENE",
	    "He\u0301le\u0300ne",	/* decomposed */
	    "H\u00EBl\u00EAne", NULL } },
	{ "accents (Vietnamese)", NULL, {
	    "Nguy\u1EC5n Th\u1ECB", "NGUYEN THI", "nguyen thi", NULL } },
	{ "accents (Romanian)", NULL, {
	    "\u0218tef\u0103nescu", "\u015Etef\u0103nescu", "STEFANESCU", NULL } },
	{ "sharp s", "strasse", {
	    "Stra\u00DFe", "STRASSE", "strasse", "Stra\u1E9Ee", NULL } },
	{ "ligatures", "coeur", {
	    "C\u0153ur", "Coeur", "C\u0152UR", NULL } },
	{ "Latin letters with strokes", NULL, {
	    "\u0141ukasz", "Lukasz", "LUKASZ", NULL } },
	{ "Latin letters with strokes (S\u00F8ren)", NULL, {
	    "S\u00F8ren", "Soren", "S\u00D8REN", NULL } },
	{ "Turkish dotted capital I", NULL, {
	    "\u0130lker", "ilker", "ILKER", "\u0131lker", NULL } },
	{ "all-Cyrillic look-alike (Pepe)", "pepe", {
	    "Pepe",
	    "\u0420\u0435\u0440\u0435",	/* Рере */
	    "\u0420\u0415\u0420\u0415",	/* РЕРЕ */
	    NULL } },
	{ "all-Cyrillic look-alike (Sasha)", "sasha", {
	    "Sasha",
	    "\u0405\u0430\u0455\u04BB\u0430", /* Ѕаѕһа */
	    NULL } },
	{ "all-Cyrillic look-alike (Coco)", "coco", {
	    "Coco",
	    "\u0421\u043E\u0441\u043E",	/* Сосо */
	    "\u0421\u041E\u0421\u041E",	/* СОСО */
	    NULL } },
	{ "all-Greek look-alike (Opa)", NULL, {
	    "Opa",
	    "\u039F\u03C1\u03B1",		/* Ορα */
	    NULL } },
	{ "Cyrillic name", NULL, {
	    "\u0418\u0432\u0430\u043D\u043E\u0432",	/* Иванов */
	    "\u0418\u0412\u0410\u041D\u041E\u0412",	/* ИВАНОВ */
	    "\u0418\u0432\u0430\u043D\u043E\u0432.",
	    "\u0418\u0432\u0430\u043D\u200B\u043E\u0432", NULL } },
	{ "Greek name", NULL, {
	    "\u0391\u03BB\u03AD\u03BE\u03B7\u03C2",	/* Αλέξης */
	    "\u0391\u039B\u0395\u039E\u0397\u03A3",	/* ΑΛΕΞΗΣ */
	    "\u0391\u03BB\u03B5\u03BE\u03B7\u03C3", NULL } },
	{ "Arabic diacritics and tatweel (Muhammad)", NULL, {
	    "\u0645\u062D\u0645\u062F",			/* محمد */
	    "\u0645\u064F\u062D\u064E\u0645\u064E\u0651\u062F", /* مُحَمَّد */
	    "\u0645\u0640\u062D\u0640\u0645\u0640\u062F",	/* مـحـمـد */
	    "\u0645\u064F\u0640\u062D\u064E\u0640\u0645\u064E\u0651\u0640\u062F",
	    "\u200F\u0645\u062D\u0645\u062F.",		/* RLM, dot */
	    " \u0645\u062D\u0645\u062F\u200C ", NULL } },
	{ "look-alikes within Latin (small capitals, bold, Roman numerals)", "dupont", {
	    "Dupont",
	    "\u1D05\u1D1C\u1D18\u1D0F\u0274\u1D1B",	/* ᴅᴜᴘᴏɴᴛ */
	    "Dup\u1D0Fnt",				/* small capital o */
	    "\U0001D403\U0001D42E\U0001D429\U0001D428\U0001D427\U0001D42D", /* bold */
	    "\u216Eupont",				/* Roman numeral D */
	    NULL } },
	{ "capital I for small L", NULL, {
	    "Alice", "AIice", "ALICE", "A1ice", "AIICE", NULL } },
	{ "a Latin capital that only its skeleton ties to B", NULL, {
	    "Bob", "\uA7B4ob", "BOB", NULL } },
	{ "Arabic diacritics (Fatima)", NULL, {
	    "\u0641\u0627\u0637\u0645\u0629",		/* فاطمة */
	    "\u0641\u064E\u0627\u0637\u0650\u0645\u064E\u0629", /* فَاطِمَة */
	    "\u0641\u0627\u0637\u0640\u0645\u0629", NULL } },
};

static const struct pair names_distinct[] = {
	{ "Marianne", "Marie-Anne" },
	{ "Dupont", "Dupond" },
	{ "Martin", "Martine" },
	{ "Marie Anne", "Anne Marie" },
	{ "L\u00E9a", "L\u00E9o" },
	{ "O'Brien", "OBrien" },
	{ "Jean Pierre", "Jeanpierre" },
	{ "\u0645\u062D\u0645\u062F", "\u0623\u062D\u0645\u062F" },	/* Muhammad, Ahmad */
	{ "\u0418\u0432\u0430\u043D\u043E\u0432", "\u041F\u0435\u0442\u0440\u043E\u0432" }, /* Ivanov, Petrov */
	{ "\u0418\u0432\u0430\u043D", "Ivan" },	/* Иван does not look like Ivan */
	{ "\u3084\u307E\u3060", "\u3084\u307E\u305F" },	/* やまだ, やまた */
	{ "\u0915\u093F\u0930\u0923", "\u0915\u0930\u0923" },	/* Kiran, Karan */
	{ "Ngo", "Ng\u00F4 Th\u1ECB" },
};

static const struct refused names_refused[] = {
	{ "P\u0435pe", CANON_CONFUSABLE, "a Cyrillic e in a Latin name" },
	{ "Dup\u043Ent", CANON_CONFUSABLE, "a Cyrillic o in a Latin name" },
	{ "\u0410lice", CANON_CONFUSABLE, "a Cyrillic capital A in a Latin name" },
	{ "Jean Dup\u043Ent", CANON_CONFUSABLE, "a Cyrillic o in the second word" },
	{ "Dup\u200B\u043Ent", CANON_CONFUSABLE, "a Cyrillic o behind an invisible character" },
	{ "\u03A1epe", CANON_CONFUSABLE, "a Greek Rho in a Latin name" },
	{ "Dup\u03BFnt", CANON_CONFUSABLE, "a Greek omicron in a Latin name" },
	{ "\u0418\u0432a\u043D\u043E\u0432", CANON_CONFUSABLE, "a Latin a in a Cyrillic name" },
	{ "Ivan \u0418\u0432\u0430\u043D", CANON_CONFUSABLE, "a Latin and a Cyrillic word" },
	{ "\u0395\u03BB\u03AD\u03BD\u03B7 \u0418\u0432\u0430\u043D", CANON_CONFUSABLE, "a Greek and a Cyrillic word" },
	{ "A\u0399ice", CANON_CONFUSABLE, "a Greek capital Iota for a Latin l" },
	{ "Dup\u0585nt", CANON_CONFUSABLE, "an Armenian o in a Latin name" },
	{ "Dup\u2C9Fnt", CANON_CONFUSABLE, "a Coptic o in a Latin name" },
	{ "\u13A0upont", CANON_CONFUSABLE, "a Cherokee D in a Latin name" },
	{ "Mohamed \u0645\u062D\u0645\u062F", CANON_CONFUSABLE, "a Latin and an Arabic word" },
	{ "", CANON_EMPTY, "an empty name" },
	{ "  ", CANON_EMPTY, "spaces" },
	{ "...", CANON_EMPTY, "dots" },
	{ "-'", CANON_EMPTY, "a hyphen and an apostrophe" },
	{ "\u200B\u00AD\uFE0F", CANON_EMPTY, "invisible characters only" },
	{ "\u0640\u064E", CANON_EMPTY, "a tatweel and a fatha" },
	{ "Dup\xFFnt", CANON_INVALID, "bytes that are not UTF-8" },
};

/* Latin mixes with the East Asian scripts (ICU's highly restrictive
 * level); rare letters of African languages are letters like others. */
static const char *const names_mixed_ok[] = {
	"Wang \u738B",				/* Latin and Han */
	"K\u0254fi", "\u0186\u0254 \u01B2\u0254", "\u018Eze",	/* ɔ, Ɔ, Ʋ, Ǝ */
	"\u3084\u307E\u3060 \u592A\u90CE",	/* Hiragana and Han */
	"Dupont 2",
};

/* --- e-mail addresses ---------------------------------------------------- */

static const struct same emails_same[] = {
	{ "case, spaces, +tag, final dot", "john.doe@example.org", {
	    "john.doe@example.org", " John.Doe@Example.ORG ",
	    "john.doe+promo@example.org", "JOHN.DOE+a+b@EXAMPLE.ORG",
	    "john.doe@example.org.", "\tjohn.doe@example.org\n",
	    "john.doe+@example.org", "\u00A0john.doe@example.org", NULL } },
	{ "Gmail dots and googlemail.com", "jdoe@gmail.com", {
	    "jdoe@gmail.com", "j.doe@gmail.com", "J.D.O.E@GMAIL.COM",
	    "jdoe+bookings@gmail.com", "j.doe+x@googlemail.com",
	    "jdoe@googlemail.com", "j..doe@Gmail.Com", NULL } },
	{ "international domain", "user@xn--exmple-cua.fr", {
	    "user@ex\u00E4mple.fr", "user@EX\u00C4MPLE.FR",
	    "user@xn--exmple-cua.fr", "USER+x@ex\u00E4mple.fr", NULL } },
	{ "+tag on other providers", "marie@outlook.fr", {
	    "marie@outlook.fr", "Marie+prefecture@outlook.fr",
	    "marie+1@OUTLOOK.FR", NULL } },
};

static const struct pair emails_distinct[] = {
	{ "a.b@example.org", "ab@example.org" },
	{ "j.doe@outlook.com", "jdoe@outlook.com" },
	{ "john@example.org", "john@example.com" },
	{ "jdoe@gmail.com", "jdoe@example.org" },
	{ "alice@example.org", "bob@example.org" },
	{ "alice@gmail.com", "alicia@gmail.com" },
};

static const struct refused emails_refused[] = {
	{ "", CANON_INVALID, "an empty address" },
	{ "nobody", CANON_INVALID, "no @" },
	{ "@example.org", CANON_INVALID, "an empty local part" },
	{ "john@", CANON_INVALID, "an empty domain" },
	{ "john@ ", CANON_INVALID, "a blank domain" },
	{ "john@.", CANON_INVALID, "a domain that is a dot" },
	{ "jo hn@example.org", CANON_INVALID, "a space in the local part" },
	{ "...@gmail.com", CANON_INVALID, "only dots at Gmail" },
	{ "john@-bad-.org", CANON_INVALID, "an impossible domain" },
	{ "john@exa mple.org", CANON_INVALID, "a space in the domain" },
	{ "j\xFFohn@example.org", CANON_INVALID, "bytes that are not UTF-8" },
};

/* --- phone numbers ------------------------------------------------------- */

static const struct same phones_same[] = {
	{ "French mobile", "+33612345678", {
	    "06 12 34 56 78", "0612345678", "06.12.34.56.78", "06-12-34-56-78",
	    "06/12/34/56/78", " 06 12 34 56 78 ", "+33612345678",
	    "+33 6 12 34 56 78", "+33 (0)6 12 34 56 78", "+33 (0) 6 12 34 56 78",
	    "+33 06 12 34 56 78", "+33.6.12.34.56.78", "+33-6-12-34-56-78",
	    "(+33) 6 12 34 56 78", "0033 6 12 34 56 78", "0033 (0)6 12 34 56 78",
	    "00 33 06 12 34 56 78", "0033612345678",
	    "06\u00A012\u00A034\u00A056\u00A078",	/* no-break spaces */
	    "06\u202F12\u202F34\u202F56\u202F78",	/* narrow no-break spaces */
	    "06\u201012\u201034\u201056\u201078",	/* ‐ hyphens */
	    "\u0660\u0666\u0661\u0662\u0663\u0664\u0665\u0666\u0667\u0668", /* Arabic-Indic digits */
	    "\uFF10\uFF16\uFF11\uFF12\uFF13\uFF14\uFF15\uFF16\uFF17\uFF18", /* full-width */
	    NULL } },
	{ "French mobile 07", "+33781234567", {
	    "07 81 23 45 67", "+33 7 81 23 45 67", "+33 (0)7 81 23 45 67",
	    "+33 07 81 23 45 67", "0033 7 81 23 45 67", NULL } },
	{ "French fixed line", "+33123456789", {
	    "01 23 45 67 89", "0123456789", "+33 1 23 45 67 89",
	    "+33 (0)1 23 45 67 89", "+33 01 23 45 67 89", "0033 1 23 45 67 89",
	    NULL } },
	{ "French fixed line (05)", "+33556123456", {
	    "05 56 12 34 56", "+33 5 56 12 34 56", "+33 (0)5 56 12 34 56", NULL } },
	{ "Guadeloupe mobile", "+590690123456", {
	    "0690 12 34 56", "06 90 12 34 56", "+590 690 12 34 56",
	    "+590 (0)690 12 34 56", "00590 690 12 34 56", "+590690123456",
	    "+33 690 12 34 56", "+33 (0)690 12 34 56", "+33 0690 12 34 56",
	    "0033 690 12 34 56", NULL } },
	{ "Guadeloupe fixed line", "+590590201234", {
	    "0590 20 12 34", "05 90 20 12 34", "+590 590 20 12 34",
	    "+33 590 20 12 34", "+33 (0)590 20 12 34", NULL } },
	{ "Saint-Barthelemy / Saint-Martin fixed line", "+590590271234", {
	    "0590 27 12 34", "+590 590 27 12 34", NULL } },
	{ "Martinique mobile", "+596696201234", {
	    "0696 20 12 34", "+596 696 20 12 34", "+596 (0)696 20 12 34",
	    "+33 696 20 12 34", "00596696201234", NULL } },
	{ "Martinique fixed line", "+596596301234", {
	    "0596 30 12 34", "+596 596 30 12 34", "+33 596 30 12 34", NULL } },
	{ "Guyane mobile", "+594694201234", {
	    "0694 20 12 34", "+594 694 20 12 34", "+33 694 20 12 34", NULL } },
	{ "Guyane fixed line", "+594594101234", {
	    "0594 10 12 34", "+594 594 10 12 34", NULL } },
	{ "La Reunion mobile", "+262692123456", {
	    "0692 12 34 56", "+262 692 12 34 56", "+262 (0)692 12 34 56",
	    "+33 692 12 34 56", "0033 (0)692 12 34 56", NULL } },
	{ "La Reunion fixed line", "+262262161234", {
	    "0262 16 12 34", "+262 262 16 12 34", "+33 262 16 12 34", NULL } },
	{ "Mayotte mobile", "+262639012345", {
	    "0639 01 23 45", "+262 639 01 23 45", "+33 639 01 23 45", NULL } },
	{ "Mayotte fixed line", "+262269601234", {
	    "0269 60 12 34", "+262 269 60 12 34", NULL } },
	{ "Saint-Pierre-et-Miquelon mobile", "+508551234", {
	    "055 12 34", "+508 55 12 34", "00508 55 12 34", NULL } },
	{ "Nouvelle-Caledonie mobile", "+687751234", {
	    "75 12 34", "75.12.34", "+687 75 12 34", "00687 75 12 34", NULL } },
	{ "Nouvelle-Caledonie fixed line", "+687201234", {
	    "20 12 34", "+687 20 12 34", NULL } },
	{ "Polynesie francaise mobile", "+68987123456", {
	    "87 12 34 56", "+689 87 12 34 56", "00689 87 12 34 56", NULL } },
	{ "Polynesie francaise fixed line", "+68940412345", {
	    "40 41 23 45", "+689 40 41 23 45", NULL } },
	{ "Wallis-et-Futuna (with its country code)", "+681821234", {
	    "+681 82 12 34", "00681 82 12 34", NULL } },
	{ "toll-free numbers stay French", "+33800123456", {
	    "0800 12 34 56", "+33 800 12 34 56", "+33 (0)800 12 34 56", NULL } },
	{ "a British mobile", "+447911123456", {
	    "+44 7911 123456", "0044 7911 123456", "+44 (0)7911 123456", NULL } },
};

static const struct pair phones_distinct[] = {
	{ "06 12 34 56 78", "06 12 34 56 79" },
	{ "06 12 34 56 78", "07 81 23 45 67" },
	{ "0690 12 34 56", "0696 12 34 56" },
	{ "0262 16 12 34", "0269 60 12 34" },
	{ "01 23 45 67 89", "+44 1234 567890" },
	{ "75 12 34", "+681 72 12 34" },
};

static const struct refused phones_refused[] = {
	{ "", CANON_INVALID, "an empty number" },
	{ "+", CANON_INVALID, "a plus sign" },
	{ "123", CANON_INVALID, "three digits" },
	{ "06 12 34 56", CANON_INVALID, "too short" },
	{ "06 12 34 56 78 90", CANON_INVALID, "too long" },
	{ "+33 6 12 34 56 78 9", CANON_INVALID, "too long after +33" },
	{ "0000000000", CANON_INVALID, "ten zeros" },
	{ "00 00 00 00 00", CANON_INVALID, "ten zeros in pairs" },
	{ "+33 0 1 23", CANON_INVALID, "+33 0 and too few digits" },
	{ "+33 0 123 45 67", CANON_INVALID, "+33 0 and seven digits" },
	{ "07 12 34 56 78", CANON_INVALID, "an unassigned French range" },
	{ "+999 123456", CANON_INVALID, "no such country code" },
	{ "06 12 AB CD EF", CANON_INVALID, "letters (no keypad reading)" },
	{ "0612345678x", CANON_INVALID, "a letter after the number" },
	{ "06 12 34 56 78 ext 12", CANON_INVALID, "an extension" },
	{ "06 12 34 56 78 #", CANON_INVALID, "a hash sign" },
	{ "06\xFF" "12345678", CANON_INVALID, "bytes that are not UTF-8" },
};

static const struct {
	const char	*e164;
	int		 mobile;
} phones_mobile[] = {
	{ "+33612345678", 1 },
	{ "+33781234567", 1 },
	{ "+590690123456", 1 },
	{ "+596696201234", 1 },
	{ "+594694201234", 1 },
	{ "+262692123456", 1 },
	{ "+262639012345", 1 },
	{ "+687751234", 1 },
	{ "+447911123456", 1 },
	{ "+33123456789", 0 },
	{ "+33912345678", 0 },
	{ "+33800123456", 0 },
	{ "+262262161234", 0 },
	{ "+590590201234", 0 },
	{ "06 12 34 56 78", 0 },	/* not E.164 */
	{ "+33 garbage", 0 },
	{ "+33 6 12 34 56 78", 0 },	/* not E.164 */
	{ "+336CALLME12", 0 },		/* no keypad reading */
	{ "", 0 },
};

/* Every letter that TS #39 ties to an ASCII letter, put in a Latin name
 * in place of that letter: refused, or the same form. Four letters are
 * left out: Latin-ASCII spells them otherwise than their skeleton (ſ as
 * s, not f; ʋ as v, not u; ᶌ as v; ẝ as s). Returns the number of
 * letters checked; holes are printed. */
static int
lookalike_letters(int *holes)
{
	UErrorCode		 st = U_ZERO_ERROR;
	USpoofChecker		*sc = uspoof_open(&st);
	static const char	 ascii[] = "abcdefghijklmnopqrstuvwxyz"
	    "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
	char			 skel[52][16], cs[8], sk[32], n1[64], n2[64];
	const char		*f1, *f2;
	enum canon_status	 s1, s2;
	int32_t			 len;
	UChar32			 c;
	UBool			 bad;
	int			 i, checked = 0;

	*holes = 0;
	for (i = 0; i < 52; i++) {
		uspoof_getSkeletonUTF8(sc, 0, ascii + i, 1, skel[i],
		    sizeof(skel[i]), &st);
	}
	if (U_FAILURE(st)) {
		uspoof_close(sc);
		return -1;
	}
	for (c = 0x80; c < 0x30000; c++) {
		if (!(U_GET_GC_MASK(c) & U_GC_L_MASK) || c == 0x017F ||
		    c == 0x028B || c == 0x1D8C || c == 0x1E9D)
			continue;
		len = 0;
		bad = 0;
		U8_APPEND(cs, len, (int32_t)sizeof(cs) - 1, c, bad);
		if (bad)
			continue;
		cs[len] = '\0';
		st = U_ZERO_ERROR;
		uspoof_getSkeletonUTF8(sc, 0, cs, len, sk, sizeof(sk), &st);
		if (U_FAILURE(st))
			continue;
		for (i = 0; i < 52 && strcmp(sk, skel[i]) != 0; i++)
			;
		if (i == 52)
			continue;
		checked++;
		arena_reset(a);
		snprintf(n1, sizeof(n1), "Dup%sont", cs);
		snprintf(n2, sizeof(n2), "Dup%cont", ascii[i % 26]);
		f1 = form(canon_name, n1, &s1);
		f2 = form(canon_name, n2, &s2);
		if (s1 == CANON_CONFUSABLE ||
		    (s1 == CANON_OK && s2 == CANON_OK && strcmp(f1, f2) == 0))
			continue;
		if (++*holes <= 10)
			printf("# U+%04X %s gives '%s', %c gives '%s'\n", (unsigned)c,
			    cs, f1 != NULL ? f1 : "", ascii[i % 26], f2 != NULL ? f2 : "");
	}
	uspoof_close(sc);
	return checked;
}

int
main(void)
{
	enum canon_status	 st;
	const char		*o, *o2, *first;
	size_t			 i;
	int			 n, holes;

	a = arena_new(4096);
	ok(canon_init() == 0, "ICU and libphonenumber open");
	ok(canon_init() == 0, "opening them again is harmless");

	check_same("name", canon_name, names_same, N(names_same));
	check_distinct("name", canon_name, names_distinct, N(names_distinct));
	check_refused("name", canon_name, names_refused, N(names_refused));
	for (i = 0; i < N(names_mixed_ok); i++) {
		form(canon_name, names_mixed_ok[i], &st);
		is_int(st, CANON_OK, "name: accepted mix or rare letter (%zu)", i + 1);
	}

	n = lookalike_letters(&holes);
	ok(n > 500 && holes == 0, "name: each of %d letters that TS #39 ties to "
	    "an ASCII letter, in a Latin name, is refused or meets it (%d do not)",
	    n, holes);
	arena_reset(a);

	check_same("e-mail", canon_email, emails_same, N(emails_same));
	check_distinct("e-mail", canon_email, emails_distinct, N(emails_distinct));
	check_refused("e-mail", canon_email, emails_refused, N(emails_refused));

	check_same("phone", canon_phone, phones_same, N(phones_same));
	check_distinct("phone", canon_phone, phones_distinct, N(phones_distinct));
	check_refused("phone", canon_phone, phones_refused, N(phones_refused));
	for (i = 0; i < N(phones_mobile); i++)
		is_int(canon_phone_mobile(phones_mobile[i].e164), phones_mobile[i].mobile,
		    "phone: %s is %sa mobile", phones_mobile[i].e164,
		    phones_mobile[i].mobile ? "" : "not ");
	is_int(canon_phone_mobile(NULL), 0, "phone: no number is not a mobile");
	is_int(canon_name(a, NULL, &o), CANON_EMPTY, "name: NULL is empty");
	is_int(canon_email(a, NULL, &o), CANON_INVALID, "e-mail: NULL is not an address");
	is_int(canon_phone(a, NULL, &o), CANON_INVALID, "phone: NULL is not a number");
	o = form(canon_phone, canon_phone_example(), &st);
	ok(st == CANON_OK && canon_phone_mobile(o),
	    "phone: the example shown (%s) is a valid mobile number", canon_phone_example());

	/* Stable: the same form on every call, and after reopening. */
	first = form(canon_name, "M\u00FCller-\u0141ukasz", &st);
	o = form(canon_name, "M\u00FCller-\u0141ukasz", &st);
	is_str(o, first, "the same name gives the same form twice");
	canon_fini();
	o2 = form(canon_name, "M\u00FCller-\u0141ukasz", &st);
	is_str(o2, first, "and after closing and reopening ICU");
	canon_fini();
	o2 = form(canon_phone, "+33 (0)6 12 34 56 78", &st);
	is_str(o2, "+33612345678", "the phone reopens by itself as well");

	ok(strncmp(canon_version(), "ICU ", 4) == 0 &&
	    strstr(canon_version(), ", Unicode ") != NULL,
	    "canon_version names ICU and Unicode (%s)", canon_version());

	canon_fini();
	arena_free(a);
	return done_testing();
}
