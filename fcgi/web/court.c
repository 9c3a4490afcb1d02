/* Court orders: shared wording and checks (see court.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "court.h"
#include "i18n.h"
#include "req.h"

/* Returns the compliance of an injunction in words, and in *cls the
 * class that colours it (overdue in red, due soon, fulfilled). */
const char *
court_state(struct req *r, int days_left, int fulfilled,
    const char *reference, const char **cls)
{
	if (fulfilled) {
		*cls = "state-fulfilled";
		return arena_printf(r->arena, _("Fulfilled: appointment %s"),
		    arena_printf(r->arena, "%.4s-%s", reference,
		    strlen(reference) > 4 ? reference + 4 : ""));
	}
	if (days_left < 0) {
		*cls = "state-overdue";
		return arena_printf(r->arena, ngettext(
		    "Overdue by %d day", "Overdue by %d days", -days_left),
		    -days_left);
	}
	*cls = days_left <= 7 ? "state-soon" : "state-open";
	if (days_left == 0)
		return _("Due today");
	return arena_printf(r->arena, ngettext("%d day left", "%d days left",
	    days_left), days_left);
}

/* Returns 1 when day (YYYY-MM-DD, already matched by its pattern) is a
 * day of the calendar, 0 otherwise (2024-02-30). */
int
court_day_exists(const char *day)
{
	struct tm	 tm;
	int		 y, m, d;

	if (day == NULL || sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return 0;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = m - 1;
	tm.tm_mday = d;
	tm.tm_hour = 12;
	(void)timegm(&tm);
	return tm.tm_year == y - 1900 && tm.tm_mon == m - 1 && tm.tm_mday == d;
}
