/* What the court-order pages share: the wording of an injunction's
 * compliance (days left, overdue, fulfilled) and the check that a day
 * written YYYY-MM-DD exists. */
#ifndef CRENEAU_COURT_H
#define CRENEAU_COURT_H

struct req;

const char	*court_state(struct req *, int days_left, int fulfilled,
		    const char *reference, const char **cls);
int		 court_day_exists(const char *day);

#endif
