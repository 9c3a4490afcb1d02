/* Wording of dates, durations and kinds (see fmt.h). Month and day names
 * come from the catalogues, not from system locales. */
#include "config.h"

#include <stdio.h>
#include <string.h>

#include "arena.h"
#include "fmt.h"
#include "i18n.h"

static const char *const weekdays[] = {
	N_("Monday"), N_("Tuesday"), N_("Wednesday"), N_("Thursday"),
	N_("Friday"), N_("Saturday"), N_("Sunday")
};

static const char *const months[] = {
	N_("January"), N_("February"), N_("March"), N_("April"), N_("May"),
	N_("June"), N_("July"), N_("August"), N_("September"), N_("October"),
	N_("November"), N_("December")
};

/* Returns the wording of a site kind from the database. */
const char *
fmt_site_kind(const char *kind)
{
	if (strcmp(kind, "prefecture") == 0)
		return _("Prefecture");
	if (strcmp(kind, "sous-prefecture") == 0)
		return _("Sub-prefecture");
	return kind;
}

/* Returns the ISO weekday (0 = Monday … 6 = Sunday) of a Gregorian date. */
int
fmt_weekday(int y, int m, int d)
{
	static const int t[] = { 0, 3, 2, 5, 0, 3, 5, 1, 4, 6, 2, 4 };
	int	 w;

	if (m < 3)
		y--;
	w = (y + y / 4 - y / 100 + y / 400 + t[m - 1] + d) % 7;	/* 0 = Sunday */
	return (w + 6) % 7;
}

/* Returns "Tuesday 24 November 2026" for "2026-11-24", or NULL when the
 * text is not such a date. */
char *
fmt_date(struct arena *a, const char *day)
{
	int	 y, m, d;

	if (sscanf(day, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 ||
	    d < 1 || d > 31)
		return NULL;
	/* TRANSLATORS: weekday, day of month, month, year. */
	return arena_printf(a, _("%1$s %2$d %3$s %4$d"),
	    _(weekdays[fmt_weekday(y, m, d)]), d, _(months[m - 1]), y);
}

/* Returns "Tuesday 24 November 2026 at 09:30" for "2026-11-24 09:30"
 * (a local time of the site), or NULL. */
char *
fmt_datetime(struct arena *a, const char *local)
{
	char	*day;
	int	 hh, mm;

	if (strlen(local) < 16 || sscanf(local + 11, "%2d:%2d", &hh, &mm) != 2)
		return NULL;
	if ((day = fmt_date(a, local)) == NULL)
		return NULL;
	/* TRANSLATORS: a date, then the hour and minutes of the day. */
	return arena_printf(a, _("%1$s at %2$02d:%3$02d"), day, hh, mm);
}

/* Returns "20 minutes" or "1 h 30 min". */
char *
fmt_duration(struct arena *a, int minutes)
{
	if (minutes < 60 || minutes % 60 != 0) {
		if (minutes < 60)
			return arena_printf(a, ngettext("%d minute",
			    "%d minutes", minutes), minutes);
		return arena_printf(a, _("%d h %02d min"), minutes / 60,
		    minutes % 60);
	}
	return arena_printf(a, ngettext("%d hour", "%d hours", minutes / 60),
	    minutes / 60);
}

/* Returns a wait of seconds in words: "45 seconds", "2 minutes" (rounded
 * up), "1 hour". */
char *
fmt_wait(struct arena *a, int seconds)
{
	if (seconds < 60)
		return arena_printf(a, ngettext("%d second", "%d seconds",
		    seconds), seconds);
	return fmt_duration(a, (seconds + 59) / 60);
}
