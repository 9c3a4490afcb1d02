/* The route table: every page, its path pattern, the methods it answers
 * and its handler (one page_<name>.c file each). */
#ifndef CRENEAU_ROUTES_H
#define CRENEAU_ROUTES_H

#include "fields.h"

struct req;

#define ROUTE_ARGS	2

/* The routes, by name (the table is in this order: matching tries them
 * in turn). */
enum route_id {
	R_HOME, R_HEALTHZ, R_LANGUAGE, R_SITE, R_PROCEDURE, R_BOOK,
	R_BOOKING, R_BOOKING_CONFIRM, R_BOOKING_EXTEND, R_BOOKING_ICS,
	R_BOOKING_CANCEL, R_BOOKING_RESCHEDULE, R_MANAGE, R_ALERT,
	R_ALERT_MANAGE, R_ALERT_UNSUBSCRIBE, R_ACCESSIBILITY, R_AGENT,
	R_AGENT_LOGIN, R_AGENT_LOGOUT, R_AGENT_AGENDA, R_AGENT_ATTENDANCE,
	R_AGENT_CHECKIN, R_AGENT_SEARCH, R_AGENT_RULES, R_AGENT_CLOSURES,
	R_AGENT_PUBLISH, R_AGENT_MEDIATOR, R_AGENT_MEDIATOR_TIMES,
	R_AGENT_MEDIATOR_BOOK, R_AGENT_MEDIATOR_BOOKING,
	R_AGENT_MEDIATOR_BOOKINGS, R_AGENT_COURT, R_AGENT_COURT_ITEM,
	R_AGENT_COURT_ALL, R_AGENT_AUDIT, R_DRAW, R_DRAW_ENTRY,
	R_DRAW_PUBLIC, R_AGENT_ABUSE, R_AGENT_DRAWS,
	/* Administration pages (issue 12). */
	R_AGENT_ADMIN_STAFF, R_AGENT_ADMIN_ACCOUNT, R_AGENT_PASSWORD,
	R_AGENT_ADMIN_PROCEDURES, R_AGENT_ADMIN_PROCEDURE, R_AGENT_ADMIN_SITES,
	R_AGENT_ADMIN_SITE,
	/* Reporting (issue 14). */
	R_STATS, R_STATS_CSV, R_AGENT_REPORTS, R_AGENT_REPORT,
	/* The counter and phone channel (issue 12). */
	R_AGENT_PHONE, R_AGENT_PHONE_BOOK, R_AGENT_BOOKING,
	R_AGENT_BOOKING_PRINT, R_AGENT_MEDIATOR_PRINT,
	ROUTE_COUNT
};

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
const char		*route_url(struct req *, enum route_id, const char *,
			    const char *);

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
/* Administration pages (issue 12). */
int	page_agent_admin_staff(struct req *);
int	page_agent_admin_account(struct req *);
int	page_agent_password(struct req *);
int	page_agent_admin_procedures(struct req *);
int	page_agent_admin_procedure(struct req *);
int	page_agent_admin_sites(struct req *);
int	page_agent_admin_site(struct req *);
/* The counter and phone channel (issue 12). */
int	page_agent_phone(struct req *);
int	page_agent_phone_book(struct req *);
int	page_agent_booking(struct req *);
int	page_agent_booking_print(struct req *);
int	page_agent_mediator_print(struct req *);

#endif
