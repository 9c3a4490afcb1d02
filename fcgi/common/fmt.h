/* Human wording of values shown on pages, in the request's language:
 * dates and times (already in the site's time zone), durations, kinds. */
#ifndef CRENEAU_FMT_H
#define CRENEAU_FMT_H

struct arena;

const char	*fmt_site_kind(const char *kind);
char		*fmt_datetime(struct arena *, const char *local);
char		*fmt_date(struct arena *, const char *day);
char		*fmt_duration(struct arena *, int minutes);
char		*fmt_wait(struct arena *, int seconds);
int		 fmt_weekday(int y, int m, int d);

#endif
