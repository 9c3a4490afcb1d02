/* The statement table: every SQL statement the workers run, named and
 * prepared once per connection. SQL lives here and in schema/; nothing
 * builds SQL from strings. */
#ifndef CRENEAU_STATEMENTS_H
#define CRENEAU_STATEMENTS_H

#include "db.h"

enum stmt {
	S_HEALTH,
	S_SITES,
	S_SITE,
	S_SITE_PROCEDURES,
	S_SITE_PROCEDURE,
	S_SLOT_DAYS,
	S_SLOT_TIMES,
	S_NEXT_PUBLICATION,
	S_SLOT,
	S_BOOKING_HOLD,
	S_BOOKING_VIEW,
	S_BOOKING_CONFIRM,
	S_BOOKING_CANCEL,
	S_BOOKING_RESCHEDULE,
	S_BOOKING_ACCESS,
	S_BOOKING_EXTEND,
	S_ALERT_SUBSCRIBE,
	S_ALERT_VIEW,
	S_ALERT_CONFIRM,
	S_ALERT_UNSUBSCRIBE,
	S_STAFF_SESSION,
	S_STAFF_LOGIN_BEGIN,
	S_STAFF_LOGIN_FAILED,
	S_STAFF_LOGIN_SUCCEEDED,
	S_STAFF_LOGOUT,
	S_STAFF_SITES,
	S_COUNTER_SITE,
	S_COUNTER_AGENDA,
	S_COUNTER_COUNTERS,
	S_COUNTER_MARK,
	S_COUNTER_SEARCH,
	/* Mediators, court orders, audit log (schema/012). */
	S_STAFF_SITE_ACCESS,
	S_STAFF_SITE_PROCEDURE,
	S_STAFF_SITE_PROCEDURE_LIST,
	S_CHANNEL_SLOTS,
	S_MEDIATOR_ORG,
	S_MEDIATOR_CHOICES,
	S_MEDIATOR_SLOT,
	S_MEDIATOR_BOOK,
	S_MEDIATOR_BOOKINGS,
	S_COURT_RECORD,
	S_COURT_LIST,
	S_COURT_VIEW,
	S_COURT_BOOK,
	S_AUDIT_VIEW,
	/* Calendars (schema/010_calendars.sql). */
	S_CAL_SITE,
	S_CAL_COUNTERS,
	S_CAL_PROCEDURES,
	S_CAL_RULES,
	S_CAL_CLOSURES,
	S_CAL_HOLIDAYS,
	S_CAL_DAY_BOOKINGS,
	S_CAL_BATCHES,
	S_CAL_COUNTER_ADD,
	S_CAL_RULE_ADD,
	S_CAL_RULE_END,
	S_CAL_CLOSE_DAY,
	S_CAL_SHARES,
	S_CAL_GENERATE,
	S_CAL_PUBLISH,
	S_WAIT_RELEASES,
	S_SLOT_DAYS_BEFORE,
	S_SLOT_TIMES_BEFORE,
	S_BOOKING_RATE_CHECK,
	S_BOOKING_AGDREF_CHECK,
	S_BOOKING_RATE_FORGET,
	/* Draws and abuse review (schema/013_draws.sql). */
	S_DRAW_PROCEDURE,
	S_DRAW_PAGE,
	S_DRAW_REGISTER,
	S_DRAW_ENTRY_VIEW,
	S_DRAW_ENTRY_CONFIRM,
	S_DRAW_ENTRY_WITHDRAW,
	S_DRAW_PUBLIC,
	S_DRAW_RESULTS,
	S_ABUSE_SITE,
	S_ABUSE_REVIEW,
	S_ABUSE_DOMAINS,
	S_ABUSE_VOID,
	S_ABUSE_DOMAIN_SET,
	S_AGENT_DRAWS,
	S_AGENT_DRAW_PROCEDURES,
	S_AGENT_DRAW_SCHEDULE,
	S_AGENT_DRAW_RUN,
	S_DRAW_RATE_CHECK,
	/* The draw switch (schema/020_draw_switch.sql). */
	S_CAL_SWITCH_STATUS,
	S_CAL_SWITCH_SET,
	/* Past one machine (schema/code/hosts.sql). */
	S_HOST_BEAT,
	/* Administration pages (issue 12, schema/026_staff_admin.sql). */
	S_ADMIN_REFUSED,
	S_ADMIN_ACCOUNTS,
	S_ADMIN_SITES,
	S_ADMIN_CREATE,
	S_ADMIN_CHANGE,
	S_STAFF_LINK_ACCOUNT,
	S_STAFF_LINK_USE,
	S_ADMIN_PROCEDURES,
	S_ADMIN_PROCEDURE_SAVE,
	S_ADMIN_SITE_LIST,
	S_ADMIN_SITE_SAVE,
	/* Reporting (schema/024_reporting.sql). */
	S_STATS_WEEKS,
	S_REPORT_RUNS,
	S_REPORT_RUN,
	/* The counter and phone channel, staff move and cancel (issue 12;
	 * schema/code/counter.sql). */
	S_STAFF_SITE_REFUSED,
	S_COUNTER_SHARE_SLOTS,
	S_COUNTER_PHONE_SLOT,
	S_COUNTER_BOOK,
	S_STAFF_BOOKING_VIEW,
	S_STAFF_BOOKING_CANCEL,
	S_STAFF_BOOKING_MOVE,
	/* The public calendar's window, paged (issue 12). */
	S_SLOT_WINDOW,
	S_SLOT_DAYS_FROM,
	STMT_COUNT
};

extern const struct statement statements[STMT_COUNT];

struct req;

/* Runs a statement for a request (fcgi/web/query.c): see db_run(). The
 * result belongs to the request's arena. */
PGresult	*db_exec(struct req *, enum stmt, const struct db_arg *);
int		 db_fail(struct req *);

#endif
