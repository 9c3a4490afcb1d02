/* Unit tests of the field table: every validator accepts what a person
 * may type and refuses the rest, including names in other scripts. */
#include "config.h"

#include "fields.h"
#include "tap.h"

/* Checks one value against a field, expecting want (1 valid, 0 invalid). */
static void
check(enum field_id f, const char *v, int want)
{
	int	 got = field_check(f, v, strlen(v)) == 0;
	char	 shown[64];
	size_t	 i;

	for (i = 0; v[i] != '\0' && i < sizeof(shown) - 1; i++)
		shown[i] = (unsigned char)v[i] < 0x20 ? '?' : v[i];
	shown[i] = '\0';
	ok(got == want, "%s %s '%s'", fields[f].name, want ? "accepts" : "refuses", shown);
}

int
main(void)
{
	char	 big[400];
	size_t	 i;

	ok(fields_init() == 0, "every pattern compiles");
	for (i = 0; i < FIELD_COUNT; i++)
		ok(fields[i].name && fields[i].maxlen > 0 && fields[i].label &&
		    fields[i].hint, "field %zu is fully declared", i);
	check(F_SLUG, "val-de-marne", 1);
	check(F_SLUG, "Val-de-Marne", 0);
	check(F_SLUG, "a--b", 0);
	check(F_SLUG, "-a", 0);
	check(F_SLUG, "../etc", 0);
	check(F_SLUG, "a\nb", 0);
	check(F_SURNAME, "N'Diaye", 1);
	check(F_SURNAME, "Le Gall-Kerjean", 1);
	check(F_SURNAME, "\xd9\x85\xd8\xad\xd9\x85\xd8\xaf", 1);		/* Arabic */
	check(F_SURNAME, "\xe7\x8e\x8b \xe5\xb0\x8f\xe6\x98\x8e", 1);	/* Chinese */
	check(F_SURNAME, "\xd0\x98\xd0\xb1\xd1\x80\xd0\xb0\xd0\xb3\xd0\xb8\xd0\xbc\xd0\xbe\xd0\xb2\xd0\xb0", 1);
	check(F_SURNAME, "Jose\xcc\x81", 1);				/* combining accent */
	check(F_SURNAME, "<script>", 0);
	check(F_SURNAME, "Smith1", 0);
	check(F_SURNAME, " Smith", 0);
	check(F_SURNAME, "", 0);
	check(F_SURNAME, "Ab\x01", 0);
	memset(big, 'a', sizeof(big));
	big[101] = '\0';
	check(F_SURNAME, big, 0);
	big[100] = '\0';
	check(F_SURNAME, big, 1);
	check(F_EMAIL, "nom.prenom+rdv@example.fr", 1);
	check(F_EMAIL, "nom@localhost", 0);
	check(F_EMAIL, "nom@@example.fr", 0);
	check(F_EMAIL, "nom@exa mple.fr", 0);
	check(F_PHONE, "0612345678", 1);
	check(F_PHONE, "06 12 34 56 78", 1);
	check(F_PHONE, "+33612345678", 1);
	/* The field takes any usual spelling; canon_phone (t/unit/canon.t)
	 * judges whether it is a possible mobile number. */
	check(F_PHONE, "+33 (0)6 12 34 56 78", 1);
	check(F_PHONE, "0033 6.12.34.56.78", 1);
	check(F_PHONE, "06-12", 0);
	check(F_PHONE, "06 12 34 56 78 poste 12", 0);
	check(F_PHONE, "<script>", 0);
	check(F_AGDREF, "7501234567", 1);
	check(F_AGDREF, "750123456", 0);
	check(F_AGDREF, "75012345678", 0);
	check(F_AGDREF, "75O1234567", 0);
	check(F_AGDREF, "\xd9\xa7\xd9\xa5\xd9\xa0\xd9\xa1\xd9\xa2\xd9\xa3\xd9\xa4\xd9\xa5\xd9\xa6\xd9\xa7", 0);	/* Arabic-Indic digits */
	check(F_DATE, "2026-11-24", 1);
	check(F_DATE, "2026-13-01", 0);
	check(F_DATE, "24/11/2026", 0);
	/* Days the calendar does not have: refused by the field, so that
	 * no page sends them to PostgreSQL (which would answer an error). */
	check(F_DATE, "2026-02-31", 0);
	check(F_DATE, "2026-02-29", 0);
	check(F_DATE, "2028-02-29", 1);
	check(F_DATE, "2100-02-29", 0);
	check(F_DATE, "2000-02-29", 1);
	check(F_DATE, "2026-04-31", 0);
	check(F_DATE, "2026-12-31", 1);
	check(F_BIRTH_DATE, "1990-06-31", 0);
	check(F_DECISION_DATE, "2026-09-31", 0);
	check(F_BIRTH_DATE, "1990-03-25", 1);
	check(F_BIRTH_DATE, "1890-03-25", 0);
	check(F_REFERENCE, "KD7F-M3QA", 1);
	check(F_REFERENCE, "KD7FM3QA", 1);
	check(F_REFERENCE, "KD7F-M3Q0", 0);	/* 0 is ambiguous */
	check(F_REFERENCE, "KD7F-M3QI", 0);	/* I is ambiguous */
	check(F_CODE, "123456", 1);
	check(F_CODE, "12345", 0);
	check(F_LANG, "fr", 1);
	check(F_LANG, "ar", 1);
	check(F_LANG, "FRENCH", 0);
	check(F_ID, "42", 1);
	check(F_ID, "042", 0);
	/* A pathological input must end within the match limits. */
	memset(big, 'a', 99);
	big[99] = '!';
	big[100] = '\0';
	check(F_SURNAME, big, 0);
	fields_free();
	return done_testing();
}
