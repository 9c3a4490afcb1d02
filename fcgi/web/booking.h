/* What the booking pages share: loading a booking by its secret token
 * (S_BOOKING_VIEW) and the columns of that row. */
#ifndef CRENEAU_BOOKING_H
#define CRENEAU_BOOKING_H

#include <libpq-fe.h>

struct req;

enum booking_col {
	B_STATUS, B_REFERENCE, B_HOLD_END, B_HOLD_PASSED, B_STARTS,
	B_SITE_NAME, B_ADDRESS, B_POSTAL_CODE, B_CITY, B_SITE_PHONE, B_TZ,
	B_PROCEDURE, B_DOCUMENTS, B_EMAIL, B_PHONE, B_SITE_SLUG,
	B_PROCEDURE_CODE, B_START_UTC, B_END_UTC, B_MINUTES, B_TEXT_LANG
};

int		 booking_load(struct req *, PGresult **);
const char	*booking_reference(struct req *, const char *);
const char	*booking_path(struct req *, const char *suffix);

#endif
