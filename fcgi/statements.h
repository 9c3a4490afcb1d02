/* The statement table: every SQL statement the workers run, named and
 * prepared once per connection. SQL lives here and in schema/; nothing
 * builds SQL from strings. */
#ifndef CRENEAU_STATEMENTS_H
#define CRENEAU_STATEMENTS_H

enum stmt {
	S_HEALTH,
	S_SITES,
	S_SITE,
	S_SITE_PROCEDURES,
	S_SITE_PROCEDURE,
	S_SLOT_DAYS,
	S_SLOT_TIMES,
	S_NEXT_PUBLICATION,
	S_SLOT,
	S_BOOKING_HOLD,
	S_BOOKING_VIEW,
	S_BOOKING_CONFIRM,
	S_BOOKING_CANCEL,
	S_BOOKING_RESCHEDULE,
	S_BOOKING_ACCESS,
	S_BOOKING_EXTEND,
	S_STAFF_SESSION,
	S_STAFF_LOGIN_BEGIN,
	S_STAFF_LOGIN_FAILED,
	S_STAFF_LOGIN_SUCCEEDED,
	S_STAFF_LOGOUT,
	S_STAFF_SITES,
	STMT_COUNT
};

struct statement {
	const char	*name;
	int		 nparams;
	int		 readonly;	/* safe to retry after a lost connection */
	const char	*sql;
};

extern const struct statement statements[STMT_COUNT];

#endif
