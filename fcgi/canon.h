/* Canonical forms of what identifies a person and reaches them, used only
 * for comparison (the identity key, the caps, the rate limits, the draw):
 * never shown, never stored in clear. What the person typed is what is
 * shown back to them.
 *
 *   canon_name   a name's skeleton: NFKC with case folding, default-
 *                ignorable and format characters removed, punctuation and
 *                spacing folded, confusable letters mapped to one
 *                skeleton (Unicode TS #39). CANON_CONFUSABLE when the name
 *                mixes scripts in a plainly confusable way (a Cyrillic
 *                letter among Latin ones), CANON_EMPTY when nothing is
 *                left.
 *   canon_email  lower case, the local part without its "+tag" (and the
 *                provider's dot rule where it applies).
 *   canon_phone  E.164 ("+33612345678"); France and its overseas regions
 *                are the defaults for numbers written without a country
 *                code. CANON_INVALID for an impossible number;
 *                canon_phone_example() gives a right one to show.
 *
 * Every result is allocated in the arena. */
#ifndef CRENEAU_CANON_H
#define CRENEAU_CANON_H

struct arena;

enum canon_status {
	CANON_OK = 0,
	CANON_EMPTY,		/* nothing left once folded */
	CANON_CONFUSABLE,	/* mixed scripts that look alike */
	CANON_INVALID		/* not an e-mail address / phone number */
};

enum canon_status canon_name(struct arena *, const char *in, const char **out);
enum canon_status canon_email(struct arena *, const char *in, const char **out);
enum canon_status canon_phone(struct arena *, const char *in, const char **e164);
const char	*canon_phone_example(void);

#endif
