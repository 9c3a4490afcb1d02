/* What the counter pages (agenda, check-in, attendance, search) share:
 * the site of the URL, loaded for the logged-in account, the scope check
 * answered, and the wording of statuses and attendance. */
#ifndef CRENEAU_COUNTER_H
#define CRENEAU_COUNTER_H

#include <stddef.h>
#include <libpq-fe.h>

struct req;
struct tpl;

/* Columns of S_COUNTER_SITE. */
struct counter_site {
	const char	*id;
	const char	*slug;
	const char	*name;
	const char	*tz;
	const char	*day;		/* the day shown: ?day= or today */
	const char	*prev;
	const char	*next;
	const char	*today;
};

#define COUNTER_ROLES	(ROLE_AGENT | ROLE_SUPERVISOR | ROLE_ADMIN)

int		 counter_site_load(struct req *, const char *day,
		    struct counter_site *);
const char	*counter_status(const char *status, const char *attendance);
const char	*counter_channel(const char *channel);
/* A row of the agenda or the search: its status, "Moved to …" if moved. */
const char	*counter_status_row(struct req *, const PGresult *, int);
void		 counter_nav(struct req *, struct tpl *,
		    const struct counter_site *);

/* Acting on a booking on the person's behalf (issue 12). */
struct notice;
struct pg_result;
extern const struct notice	*const counter_booking_notices;
extern const size_t		counter_booking_nnotices;
int		 counter_booking_post(struct req *, const char *site_id,
		    const char *booking_id,
		    const char *(*back)(struct req *, const char *));
int		 counter_booking_actions(struct req *, struct tpl *,
		    const struct pg_result *booking, const char *action_url);
int		 counter_booking_print(struct req *,
		    const struct pg_result *booking, const char *back_url);

#endif
