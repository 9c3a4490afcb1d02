/* What the alert pages share: loading a subscription by the secret token
 * of its link (S_ALERT_VIEW) and the columns of that row. */
#ifndef CRENEAU_PAGE_ALERT_H
#define CRENEAU_PAGE_ALERT_H

#include <libpq-fe.h>

struct req;
struct tpl;

enum alert_col {
	A_ID, A_STATUS, A_CHANNEL, A_SITE_NAME, A_SITE_SLUG, A_PROCEDURE,
	A_PROCEDURE_CODE, A_EXPIRES
};

int	alert_load(struct req *, PGresult **);
void	alert_common(struct req *, struct tpl *, const PGresult *);

#endif
