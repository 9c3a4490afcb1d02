/* The outcome words of the SQL functions the pages call (booking_hold,
 * mediator_book, calendar_rule_add, …; those of the booking functions are
 * listed with their meaning in creneau_outcomes, schema/016), and what a
 * page does with each: one table per statement, declared beside the
 * page's form, read by outcome_of(). A word no table knows is logged as
 * "unexpected outcome" with an incident id, and the form says so, rather
 * than being taken for another word or ending in a 500. */
#ifndef CRENEAU_OUTCOME_H
#define CRENEAU_OUTCOME_H

#include <stddef.h>

#include <libpq-fe.h>

#include "statements.h"

struct form;
struct req;

enum outcome_act {
	OUT_DONE,		/* it happened: the page goes on (a 303) */
	OUT_FIELD,		/* refused: msg at field (NULL: the form) */
	OUT_NOTICE,		/* refused: a 303 to the page, whose notice
				 * (field: its ?m= key) says why */
	OUT_PAGE		/* refused: the error page status, with msg
				 * (NULL: the status's own) */
};

/* The number a message's %d stands for. */
enum outcome_arg {
	OUT_NO_ARG,
	OUT_MAX_PER_EMAIL,	/* conf max_per_email */
	OUT_MAX_PER_PHONE	/* conf max_per_phone */
};

struct outcome {
	const char		*word;
	enum outcome_act	 act;
	const char		*field;		/* OUT_FIELD: form field or NULL;
						 * OUT_DONE, OUT_NOTICE: the
						 * notice key (?m=) of the 303,
						 * or NULL for none */
	const char		*msg;		/* msgid, N_() */
	int			 status;	/* OUT_PAGE: 403, 404 */
	enum outcome_arg	 arg;
};

#define OUTCOMES(list)	(list), sizeof(list) / sizeof((list)[0])

const struct outcome	*outcome_of(struct req *, enum stmt, const PGresult *,
			    const struct outcome *, size_t);
int			 outcome_refuse(struct req *, struct form *,
			    const struct outcome *);
int			 outcome_redirect(struct req *, const struct outcome *,
			    const char *);

#endif
