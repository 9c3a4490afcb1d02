/* What the calendar pages of the staff back-office share (rules,
 * closures, publication under /agent/site/<site>/): the site of the URL
 * with the account's right on it, the navigation between the pages, the
 * names of weekdays and channels. */
#ifndef CRENEAU_CALENDAR_H
#define CRENEAU_CALENDAR_H

#include <stddef.h>

#include "outcome.h"
#include "routes.h"

struct form;
struct req;
struct tpl;

/* Who may open the calendar pages (and for which sites: staff_can_site). */
#define CAL_ROLES	(ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN)

struct cal_site {
	const char	*id;
	const char	*slug;
	const char	*name;
	const char	*tz;
	const char	*today;		/* YYYY-MM-DD, local to the site */
};

int		 cal_begin(struct req *, struct cal_site *);
void		 cal_fill(struct req *, struct tpl *, const struct cal_site *,
		    enum route_id);
const char	*cal_weekday(int);
const char	*cal_message(struct req *, const char *const *);
int		 cal_outcome(struct req *, struct form *, const struct cal_site *,
		    enum route_id, enum stmt, const PGresult *,
		    const struct outcome *, size_t);

#endif
