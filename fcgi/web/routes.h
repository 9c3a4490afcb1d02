/* The route table: every page, its path pattern, the methods it answers
 * and its handler (one page_<name>.c file each). */
#ifndef CRENEAU_ROUTES_H
#define CRENEAU_ROUTES_H

#include "fields.h"

struct req;

#define ROUTE_ARGS	2

struct route {
	const char	*name;		/* for the access log */
	const char	*pattern;	/* segments; '*' matches one segment */
	enum field_id	 arg[ROUTE_ARGS];	/* validators of the '*'s */
	unsigned	 methods;	/* M_GET | M_HEAD | M_POST */
	int		(*handler)(struct req *);
};

const struct route	*route_match(const char *path,
			    const char *args[ROUTE_ARGS], char *buf,
			    size_t bufsize, int *bad_arg);

int	page_accessibility(struct req *);
int	page_alert(struct req *);
int	page_alert_manage(struct req *);
int	page_alert_unsubscribe(struct req *);
int	page_agent_home(struct req *);
int	page_agent_login(struct req *);
int	page_agent_logout(struct req *);
int	page_agent_mediator(struct req *);
int	page_agent_mediator_times(struct req *);
int	page_agent_mediator_book(struct req *);
int	page_agent_mediator_booking(struct req *);
int	page_agent_mediator_bookings(struct req *);
int	page_agent_court(struct req *);
int	page_agent_court_item(struct req *);
int	page_agent_court_all(struct req *);
int	page_agent_audit(struct req *);
int	page_agent_reports(struct req *);
int	page_agent_report(struct req *);
int	page_agent_rules(struct req *);
int	page_agent_closures(struct req *);
int	page_agent_publish(struct req *);
int	page_agent_agenda(struct req *);
int	page_agent_attendance(struct req *);
int	page_agent_checkin(struct req *);
int	page_agent_search(struct req *);
int	page_healthz(struct req *);
int	page_home(struct req *);
int	page_language(struct req *);
int	page_site(struct req *);
int	page_stats(struct req *);
int	page_stats_csv(struct req *);
int	page_procedure(struct req *);
int	page_book(struct req *);
int	page_booking(struct req *);
int	page_booking_confirm(struct req *);
int	page_booking_extend(struct req *);
int	page_booking_ics(struct req *);
int	page_booking_cancel(struct req *);
int	page_booking_reschedule(struct req *);
int	page_manage(struct req *);
int	page_draw(struct req *);
int	page_draw_entry(struct req *);
int	page_draw_public(struct req *);
int	page_agent_abuse(struct req *);
int	page_agent_draws(struct req *);

#endif
