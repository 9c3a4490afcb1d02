/* The configuration file: flat "name = value" lines, read once before the
 * accept loop (libfcgi may replace environ per request). See creneau.conf(5). */
#ifndef CRENEAU_CONF_H
#define CRENEAU_CONF_H

#include <stddef.h>

#define CONF_LANGS_MAX	8

struct conf {
	char	*database;		/* libpq conninfo */
	/* past one machine (issue 15) */
	char	*database_standby;	/* hot standby for public reads; "": none */
	int	 standby_max_lag_seconds;	/* staler: read the primary */
	char	*host_name;		/* this host in creneau_hosts; "": hostname:socket */
	char	*socket;		/* FastCGI unix socket path */
	char	*pid_file;
	char	*templates;		/* directory of *.xhtml */
	char	*locale_dir;		/* gettext catalogues */
	char	*schema_dir;		/* SQL migrations */
	char	*access_log;		/* path, or "-" for stderr */
	char	*secret_file;
	char	*default_language;
	char	*languages[CONF_LANGS_MAX];	/* offered, default first */
	size_t	 nlanguages;
	int	 workers;
	size_t	 max_body;
	size_t	 max_fields;
	size_t	 max_field_length;
	int	 retry_after;		/* seconds, for 503 */
	int	 socket_mode;		/* octal, e.g. 0660 */
	int	 listen_backlog;	/* connections nginx may queue on the
					 * socket (capped by net.core.somaxconn) */
	int	 hold_minutes;		/* a held slot waits this long */
	int	 hold_extend_minutes;	/* one "more time" adds this */
	int	 hold_max_minutes;	/* a hold never runs longer */
	int	 form_min_seconds;	/* faster submissions are refused */
	int	 form_max_seconds;	/* older form tokens are refused */
	int	 max_per_email;		/* active bookings per e-mail */
	int	 max_per_phone;		/* active bookings per phone */
	int	 release_min_minutes;	/* a cancelled place returns after a */
	int	 release_max_minutes;	/* random delay in this range */
	int	 no_show_grace_minutes;	/* a no-show only this long after the start */
	int	 calendar_days;		/* how far the calendar looks */
	/* creneau-notify (issue 6) */
	char	*base_url;		/* links in messages: https://host */
	char	*smtp_url;		/* smtp://relay:25 or smtps://… */
	char	*smtp_from;		/* envelope and From: address */
	char	*sms_url;		/* Kannel sendsms URL; empty: no SMS */
	char	*sms_user;
	char	*sms_password_file;
	char	*mail_templates;	/* directory of message templates */
	int	 notify_max_attempts;	/* then the message is parked */
	int	 notify_retry_seconds;	/* first retry; doubles each time */
	int	 notify_retry_max_seconds;
	int	 notify_poll_seconds;	/* wake-up without NOTIFY */
	int	 notify_lease_seconds;	/* a claim lasts this long */
	int	 notify_batch;		/* messages claimed at once */
	int	 notify_timeout_seconds;	/* per SMTP or HTTP exchange */
	int	 notify_max_per_day;	/* messages per recipient per 24 h */
	int	 alert_days;		/* an alert lasts this long unless renewed */
	int	 reminder_hours;	/* reminder before an appointment; 0: none */
	/* waiting room of open releases (issue 4) */
	int	 admission_per_minute;	/* people let in per minute */
	int	 waiting_room_minutes;	/* the room opens this long before */
	/* access doors (issue 10) */
	int	 manage_links;		/* live /manage links per booking */
	int	 staff_device_days;	/* a staff browser is known this long */
	int	 form_tokens_per_address;	/* form tokens a minute (issue 10) */
	int	 test_reuse_form_tokens;	/* test builds only (conf.c) */
	/* reporting and retention (issue 14) */
	char	*database_report;	/* conninfo of the report; "": database */
	char	*report_dir;		/* where creneau-report writes */
	int	 report_days;		/* default range: this many days back */
	int	 stats_weeks;		/* weeks on the public statistics page */
	int	 retention_booking_days;	/* after the appointment */
	int	 retention_hold_days;	/* after a hold never confirmed ended */
	int	 retention_draw_days;	/* after a draw entry ended */
	int	 retention_alert_days;	/* after an alert ended */
	int	 retention_message_days;	/* after a message was made */
	int	 retention_audit_days;	/* audit entries */
};

int	conf_load(const char *path, struct conf *);
void	conf_defaults(struct conf *);
void	conf_clear(struct conf *);
int	conf_has_language(const struct conf *, const char *);

#endif
