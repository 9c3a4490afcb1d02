/* What the alert pages share: loading a subscription by the secret token
 * of its link (S_ALERT_VIEW), whose columns are read by name. */
#ifndef CRENEAU_PAGE_ALERT_H
#define CRENEAU_PAGE_ALERT_H

#include <libpq-fe.h>

struct req;
struct tpl;

int	alert_load(struct req *, PGresult **);
void	alert_common(struct req *, struct tpl *, const PGresult *);

#endif
