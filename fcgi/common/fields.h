/* The field table: every value a client may send, declared once with its
 * PCRE2 pattern, its maximum length and the messages shown when it is
 * missing or wrong (whole sentences, so each language can word them). Handlers only see values that passed field_check(). */
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
	/* Mediators, court orders, audit log (schema/012). */
	F_TRIBUNAL,
	F_CASE_NUMBER,
	F_DECISION_DATE,
	F_DEADLINE,
	F_PROCEDURE,		/* procedure code chosen in a form */
	F_AUDIT_ACTION,
	F_PAGE,			/* page number of a list */
	/* Calendars: rules, closures, publication (schema/010). */
	F_CAL_ACTION,		/* which form of a page was sent */
	F_CAL_COUNTER,		/* counter id (optional: whole site) */
	F_CAL_PROCEDURE,	/* procedure id */
	F_CAL_WEEKDAY,
	F_CAL_OPENS,
	F_CAL_CLOSES,
	F_CAL_SLOT_MINUTES,
	F_CAL_CAPACITY,
	F_CAL_VALID_FROM,
	F_CAL_VALID_UNTIL,
	F_CAL_RULE,		/* opening rule id */
	F_CAL_END_DAY,
	F_CAL_COUNTER_NAME,
	F_CAL_REASON,
	F_CAL_CONFIRM,
	F_CAL_FROM,
	F_CAL_TO,
	F_CAL_PUBLISH_AT,
	F_CAL_SHARE_MEDIATOR,
	F_CAL_SHARE_COUNTER,
	F_CAL_SHARE_COURT,
	F_CAL_BATCH,		/* publication time, microseconds */
	F_DRAW_ENTRY,		/* public id of a draw entry */
	F_DOMAIN,		/* an e-mail domain */
	F_DRAW_OPENS,		/* local date and time YYYY-MM-DD HH:MM */
	F_DRAW_CLOSES,
	F_DRAW_AT,
	F_DRAW_OFFER_HOURS,
	F_DRAW_ID,
	F_CAL_SWITCH,		/* draw switch: auto, open or draw */
	F_SLOT_REF,		/* a slot in a URL or form: <id>.<mac> (issue 10) */
	F_CAL_GEN_PROCEDURE,	/* procedure id to generate (empty: all) */
	/* Administration pages (issue 12). */
	F_STAFF_NAME,		/* a staff member's name */
	F_STAFF_ROLE,
	F_ORGANISATION,		/* a mediator's organisation */
	F_PASSWORD2,		/* the password typed again */
	F_PROC_NAME,		/* a procedure's name (French) */
	F_PROC_DESCRIPTION,
	F_PROC_DURATION,
	F_PROC_DOCUMENT,	/* one line of the documents to bring */
	F_PROC_AGDREF,
	F_SITE_ADDRESS,
	F_SITE_POSTAL_CODE,
	F_SITE_CITY,
	F_SITE_PHONE,
	F_SITE_ROUTE,		/* the alternative route (French) */
	FIELD_COUNT
};

struct field {
	const char	*name;		/* form field name */
	const char	*pattern;	/* PCRE2, anchored at both ends */
	size_t		 maxlen;	/* bytes */
	int		 required;
	const char	*label;		/* msgid */
	const char	*hint;		/* msgid: what a right value looks like */
	const char	*missing;	/* msgid: the whole sentence when empty */
	const char	*malformed;	/* msgid: what is wrong (the hint follows) */
};

extern const struct field fields[FIELD_COUNT];

int	fields_init(void);
void	fields_free(void);
int	field_check(enum field_id, const char *, size_t);

#endif
