/* The field table: every value a client may send, declared once with its
 * PCRE2 pattern, its maximum length and the message shown when it is
 * wrong. Handlers only see values that passed field_check(). */
#ifndef CRENEAU_FIELDS_H
#define CRENEAU_FIELDS_H

#include <stddef.h>

enum field_id {
	F_SLUG,			/* site or procedure code in a path */
	F_LANG,			/* language choice */
	F_DATE,			/* a day, YYYY-MM-DD */
	F_SURNAME,
	F_GIVEN_NAMES,
	F_BIRTH_DATE,
	F_EMAIL,
	F_PHONE,
	F_AGDREF,
	F_REFERENCE,		/* booking reference */
	F_TOKEN,		/* signed form token */
	F_CODE,			/* confirmation code */
	F_ID,			/* a numeric id */
	F_RETURN,		/* a page of ours to go back to */
	F_ACCESS,		/* secret booking link token */
	F_BIRTH_DAY,
	F_BIRTH_MONTH,
	F_BIRTH_YEAR,
	F_SLOT,			/* a slot chosen in a form */
	F_MSG_LANG,		/* language of the messages sent */
	F_PASSWORD,
	F_STAFF_EMAIL,
	FIELD_COUNT
};

struct field {
	const char	*name;		/* form field name */
	const char	*pattern;	/* PCRE2, anchored at both ends */
	size_t		 maxlen;	/* bytes */
	int		 required;
	const char	*label;		/* msgid */
	const char	*hint;		/* msgid: what a right value looks like */
};

extern const struct field fields[FIELD_COUNT];

int	fields_init(void);
void	fields_free(void);
int	field_check(enum field_id, const char *, size_t);

#endif
