/* Canonical forms of what identifies a person and reaches them, used only
 * for comparison (the identity key, the caps, the rate limits, the draw):
 * never shown, never stored in clear. What the person typed is what is
 * shown back to them.
 *
 *   canon_name   a name's skeleton: NFKC with case folding, default-
 *                ignorable and format characters removed, accents and
 *                Arabic diacritics (harakat, tatweel) removed, Latin
 *                letters folded to ASCII (ICU's Latin-ASCII: "oe" for
 *                "œ", "l" for "ł"), punctuation and spacing folded to
 *                one space between words, confusable letters mapped to
 *                one skeleton (Unicode TS #39; "i" and "l" are one
 *                letter, since "I" and "l" look alike). "Dupont." =
 *                " DUPONT" = "Du<soft hyphen>pont"; "Marie-Anne" =
 *                "Marie Anne" but not "Marianne". CANON_CONFUSABLE when
 *                the name mixes scripts (a Cyrillic or Greek letter among
 *                Latin ones, a Latin and an Arabic word: ICU's highly
 *                restrictive level, which lets Latin mix only with Han,
 *                kana, Hangul); a wholly Cyrillic, Greek or Arabic name
 *                is fine.
 *                CANON_EMPTY when nothing is left, CANON_INVALID when the
 *                input is not UTF-8 (or longer than 1024 bytes).
 *   canon_email  trimmed, lower case, the domain in its ASCII (IDNA)
 *                form without a final dot, the local part without its
 *                "+tag" (for every domain: "a+x@d" = "a@d"). Gmail only
 *                (gmail.com, googlemail.com): dots in the local part are
 *                removed and googlemail.com becomes gmail.com, since
 *                Gmail delivers all of them to one mailbox; elsewhere dots
 *                count ("a.b@example.org" is not "ab@example.org").
 *                CANON_INVALID without "@", with an empty local part or
 *                an impossible domain.
 *   canon_phone  E.164 ("+33612345678"), parsed and validated with
 *                libphonenumber. Numbers written without a country code
 *                are read as French or overseas ("0690 12 34 56" is
 *                +590690123456); "+33 (0)6", "+33 06", "0033 6" are
 *                "06". Digits, spaces, "+().-/" only. CANON_INVALID for
 *                an impossible number; canon_phone_example() gives a
 *                right one to show.
 *   canon_phone_mobile  1 when an E.164 number (as canon_phone gives it:
 *                "+" and digits only)
 *                is a mobile one, able to receive the SMS; 0 otherwise
 *                (fixed lines, 08 and 09 numbers).
 *   canon_version  "ICU 72.1, Unicode 15.0": what the name forms depend
 *                on (worth logging at start-up; libphonenumber does not
 *                tell its version).
 *
 * Every result is allocated in the arena. The forms are stable for one
 * ICU and libphonenumber version (they feed keyed digests stored in the
 * database): a new Unicode version may change a few rare skeletons.
 *
 * ICU and libphonenumber objects are opened once per process, by
 * canon_init() (call it before forking the workers) or else by the first
 * call; canon_fini() releases them (tests, leak checks). CANON_ERROR is
 * an internal failure (out of memory, ICU data missing): answer 503. */
#ifndef CRENEAU_CANON_H
#define CRENEAU_CANON_H

struct arena;

enum canon_status {
	CANON_OK = 0,
	CANON_EMPTY,		/* nothing left once folded */
	CANON_CONFUSABLE,	/* mixed scripts that look alike */
	CANON_INVALID,		/* not an e-mail address / phone number, or
				   not UTF-8 */
	CANON_ERROR		/* internal failure (out of memory, ICU) */
};

int		 canon_init(void);
void		 canon_fini(void);

enum canon_status canon_name(struct arena *, const char *in, const char **out);
enum canon_status canon_email(struct arena *, const char *in, const char **out);
enum canon_status canon_phone(struct arena *, const char *in, const char **e164);
const char	*canon_phone_example(void);
int		 canon_phone_mobile(const char *e164);
const char	*canon_version(void);

#endif
