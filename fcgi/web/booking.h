/* What the booking pages share: loading a booking by its secret token
 * (S_BOOKING_VIEW), whose columns are read by name. */
#ifndef CRENEAU_BOOKING_H
#define CRENEAU_BOOKING_H

#include <libpq-fe.h>

struct req;
struct tpl;

int		 booking_load(struct req *, PGresult **);
const char	*booking_reference(struct req *, const char *);
const char	*booking_path(struct req *, const char *suffix);
void		 booking_qr(struct req *, struct tpl *, const char *reference);
const char	*booking_status_text(const char *status);

#endif
