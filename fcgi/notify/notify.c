/* creneau-notify: the delivery daemon of the notification outbox.
 *
 *   creneau-notify [-c configuration] [-1]
 *
 * Reads its configuration first, then loops: one pass announces new
 * publications to alert subscribers (alerts_due), queues reminders
 * (reminders_due), then claims due messages in batches (outbox_claim:
 * FOR UPDATE SKIP LOCKED, a lease of notify_lease_seconds, the daily limit
 * per recipient), renders each from templates/mail/<kind>.xhtml in the
 * message's language, sends it with no transaction open (SMTP or SMS
 * gateway, through libcurl), and records the result (outbox_done: sent,
 * retry with exponential backoff, parked). Between passes it sleeps on
 * LISTEN creneau_outbox until a message is queued, a retry or a
 * publication falls due, or notify_poll_seconds pass. Several instances
 * can run at once. -1 makes one pass and exits (tests, cron).
 *
 * One log line per delivery: outbox id, kind, channel, result, attempt,
 * the transport's answer; never an address, a phone number or a text.
 * SIGTERM or SIGINT: the message being sent is finished and recorded, the
 * rest of the batch given back, and the program exits. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "fmt.h"
#include "i18n.h"
#include "log.h"
#include "notify.h"

#ifndef CRENEAU_CONF
#define CRENEAU_CONF	"/etc/creneau/creneau.conf"
#endif

/* The statements of creneau-notify: calls of the functions of
 * schema/006_notify.sql (see db.h for the form of the table). */
enum q { Q_CLAIM, Q_DONE, Q_RELEASE, Q_ALERTS, Q_REMINDERS, Q_NEXT, Q_COUNT };

static const struct statement queries[Q_COUNT] = {
	/* Claims up to :batch due messages for :lease seconds. */
	[Q_CLAIM] = { "notify_claim", 0,
	    "SELECT id, kind, channel, recipient, lang, attempts, vars"
	    "  FROM outbox_claim(:worker, :batch::int,"
	    "                    make_interval(secs => :lease::int),"
	    "                    :per_day::int, :max_attempts::int)",
	    "id kind channel recipient lang attempts vars" },
	/* Records an attempt; outcome: sent, retry, parked, failed, stale. */
	[Q_DONE] = { "notify_done", 0,
	    "SELECT outbox_done(:id::bigint, :worker, :ok::boolean,"
	    "  :permanent::boolean, :detail, make_interval(secs => :retry::int),"
	    "  make_interval(secs => :retry_max::int), :max_attempts::int)"
	    "  AS outcome",
	    "outcome" },
	[Q_RELEASE] = { "notify_release", 0,
	    "SELECT outbox_release(:id::bigint, :worker) AS released",
	    "released" },
	[Q_ALERTS] = { "notify_alerts", 0, "SELECT alerts_due() AS count",
	    "count" },
	[Q_REMINDERS] = { "notify_reminders", 0,
	    "SELECT reminders_due(:hours::int) AS count", "count" },
	/* Seconds until something is due, at most :at_most. */
	[Q_NEXT] = { "notify_next", 1,
	    "SELECT outbox_next_due(:at_most::float8) AS seconds", "seconds" },
};

static struct conf		 conf;
static struct arena		*arena;
static char			 worker[128];
static volatile sig_atomic_t	 stopping;

/* SIGTERM, SIGINT: stop after the message in hand. */
static void
on_stop(int sig)
{
	(void)sig;
	stopping = 1;
}

/* Listens for new messages on each new connection; 0 or -1. */
static int
listen_outbox(PGconn *c, const struct conf *cf)
{
	PGresult	*res = PQexec(c, "LISTEN creneau_outbox");
	int		 ok = PQresultStatus(res) == PGRES_COMMAND_OK;

	(void)cf;
	PQclear(res);
	return ok ? 0 : -1;
}

/* Runs statement id; returns the result (to PQclear) or NULL, logged. */
static PGresult *
q_exec(enum q id, const struct db_arg *args)
{
	struct db_error	 err;
	PGresult	*res;

	if ((res = db_run(id, args, &err)) == NULL && !err.unavailable)
		log_msg("notify: %s: SQLSTATE %s: %s", queries[id].name,
		    *err.sqlstate != '\0' ? err.sqlstate : "-", err.message);
	return res;
}

/* Splits the vars column (name US value RS …) into v, in the arena. */
static int
parse_vars(const char *s, struct nvars *v)
{
	char	*copy = arena_strdup(arena, s), *item, *save = NULL, *us;

	if (copy == NULL)
		return -1;
	for (item = strtok_r(copy, "\x1e", &save); item != NULL;
	    item = strtok_r(NULL, "\x1e", &save)) {
		if ((us = strchr(item, '\x1f')) == NULL)
			continue;
		*us = '\0';
		if (nvars_set(v, item, us + 1) == -1)
			return -1;
	}
	return 0;
}

/* Adds name = printf(fmt, ...) to v when every argument it needs is set
 * (the caller checks); 0 or -1. */
static int
set(struct nvars *v, const char *name, const char *value)
{
	return value != NULL ? nvars_set(v, name, value) : 0;
}

/* In a right-to-left message, wraps the left-to-right data (French
 * address and site name, reference, phone) in Unicode isolates (LRI …
 * PDI, U+2066 U+2069), so that the Arabic text around them does not
 * reorder them ("…94000 Créteil ,21-29", issue 12), in the HTML part, the
 * text part and the SMS alike. The calendar file takes the values before
 * (ics_location, ics_reference). */
static int
isolate_ltr(struct nvars *v, const char *lang)
{
	static const char *const names[] = { "address", "site_name", "reference",
		"old_reference", "site_phone", "site_address", "site_city", NULL };
	const char	*s;
	int		 rc = 0;
	size_t		 i;

	if ((s = nvars_get(v, "address")) != NULL)
		rc |= set(v, "ics_location", s);
	if ((s = nvars_get(v, "reference")) != NULL)
		rc |= set(v, "ics_reference", s);
	if (lang == NULL || strcmp(i18n_dir(lang), "rtl") != 0)
		return rc;
	for (i = 0; names[i] != NULL; i++)
		if ((s = nvars_get(v, names[i])) != NULL && *s != '\0')
			rc |= set(v, names[i], arena_printf(arena,
			    "\xe2\x81\xa6%s\xe2\x81\xa9", s));
	return rc;
}

/* Adds the variables the daemon computes: base_url, links built from the
 * message's token (never from input), dates in the message's language,
 * the reference as XXXX-XXXX. */
static int
derive(struct nvars *v, const char *lang)
{
	const char	*base = conf.base_url, *tok = nvars_get(v, "token"),
			*code = nvars_get(v, "code"), *ref = nvars_get(v, "reference"),
			*site = nvars_get(v, "site_slug"),
			*proc = nvars_get(v, "procedure_code"), *s;
	int		 rc = 0;

	i18n_set(lang);
	rc |= set(v, "base_url", base);
	if (tok != NULL) {
		rc |= set(v, "link_booking", arena_printf(arena, "%s/booking/%s", base, tok));
		rc |= set(v, "link_cancel", arena_printf(arena, "%s/booking/%s/cancel", base, tok));
		rc |= set(v, "link_alert", arena_printf(arena, "%s/alert/%s", base, tok));
		rc |= set(v, "link_unsubscribe", arena_printf(arena,
		    "%s/alert/%s/unsubscribe", base, tok));
		if (code != NULL)
			rc |= set(v, "link_code", arena_printf(arena,
			    "%s/booking/%s?code=%s", base, tok, code));
	}
	if (site != NULL && proc != NULL)
		rc |= set(v, "link_procedure", arena_printf(arena, "%s/site/%s/%s",
		    base, site, proc));
	if (ref != NULL && strlen(ref) == 8)
		rc |= set(v, "reference", arena_printf(arena, "%.4s-%.4s", ref, ref + 4));
	if ((s = nvars_get(v, "starts_local")) != NULL)
		rc |= set(v, "when", fmt_datetime(arena, s));
	if ((s = nvars_get(v, "old_starts_local")) != NULL)
		rc |= set(v, "old_when", fmt_datetime(arena, s));
	if ((s = nvars_get(v, "first_local")) != NULL)
		rc |= set(v, "first_when", fmt_datetime(arena, s));
	if ((s = nvars_get(v, "site_address")) != NULL)
		rc |= set(v, "address", arena_printf(arena, "%s, %s %s", s,
		    nvars_get(v, "site_postal_code") ? nvars_get(v, "site_postal_code") : "",
		    nvars_get(v, "site_city") ? nvars_get(v, "site_city") : ""));
	rc |= isolate_ltr(v, lang);
	return rc == 0 ? 0 : -1;
}

/* Appends an iCalendar content line, TEXT-escaped when esc, folded at 75
 * octets between UTF-8 characters, to *out. */
static void
ics_line(char **out, const char *name, const char *value, int esc)
{
	char	*l, *e, *o;
	size_t	 n, i = 0, chunk, width = 75;

	if (value == NULL || *out == NULL)
		return;
	if (esc) {
		if ((e = arena_alloc(arena, 2 * strlen(value) + 1)) == NULL) {
			*out = NULL;
			return;
		}
		for (o = e; *value != '\0'; value++) {
			if (*value == '\r')
				continue;
			if (*value == '\\' || *value == ';' || *value == ',')
				*o++ = '\\';
			if (*value == '\n') {
				*o++ = '\\';
				*o++ = 'n';
				continue;
			}
			*o++ = *value;
		}
		*o = '\0';
		value = e;
	}
	if ((l = arena_printf(arena, "%s:%s", name, value)) == NULL) {
		*out = NULL;
		return;
	}
	n = strlen(l);
	while (i < n && *out != NULL) {
		chunk = n - i > width ? width : n - i;
		while (chunk > 0 && i + chunk < n && ((unsigned char)l[i + chunk] & 0xc0) == 0x80)
			chunk--;
		*out = arena_printf(arena, "%s%s%.*s\r\n", *out, i > 0 ? " " : "",
		    (int)chunk, l + i);
		i += chunk;
		width = 74;
	}
}

/* Returns the .ics of the appointment a message is about (RFC 5545), or
 * NULL when the variables have no times: the event with its UID (the
 * reference, kept by a move) and SEQUENCE (ics_sequence, + 1 at each move
 * and at the cancellation); METHOD:CANCEL and STATUS:CANCELLED when
 * cancel (issue 12). */
static char *
ics(const struct nvars *v, int cancel)
{
	const char	*seq = nvars_get(v, "ics_sequence");
	char		*out = arena_strdup(arena, ""), stamp[32];
	const char	*start = nvars_get(v, "ics_start"), *end = nvars_get(v, "ics_end");
	time_t		 now = time(NULL);
	struct tm	 tm;

	if (start == NULL || end == NULL || *start == '\0')
		return NULL;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	ics_line(&out, "BEGIN", "VCALENDAR", 0);
	ics_line(&out, "VERSION", "2.0", 0);
	ics_line(&out, "PRODID", "-//creneau//prefecture appointments//FR", 0);
	ics_line(&out, "CALSCALE", "GREGORIAN", 0);
	ics_line(&out, "METHOD", cancel ? "CANCEL" : "PUBLISH", 0);
	ics_line(&out, "BEGIN", "VEVENT", 0);
	ics_line(&out, "UID", arena_printf(arena, "%s@creneau",
	    nvars_get(v, "reference_raw")), 0);
	ics_line(&out, "SEQUENCE", seq != NULL && *seq != '\0' ? seq : "0", 0);
	ics_line(&out, "DTSTAMP", stamp, 0);
	ics_line(&out, "DTSTART", start, 0);
	ics_line(&out, "DTEND", end, 0);
	ics_line(&out, "SUMMARY", arena_printf(arena, "%s — %s",
	    nvars_get(v, "procedure_name"), nvars_get(v, "site_name")), 1);
	ics_line(&out, "LOCATION", nvars_get(v, "ics_location"), 1);
	ics_line(&out, "DESCRIPTION", arena_printf(arena, "%s %s\n%s\n%s",
	    _("Reference:"), nvars_get(v, "ics_reference"), _("Documents to bring:"),
	    nvars_get(v, "documents") != NULL ? nvars_get(v, "documents") : ""), 1);
	ics_line(&out, "STATUS", cancel ? "CANCELLED" : "CONFIRMED", 0);
	ics_line(&out, "END", "VEVENT", 0);
	ics_line(&out, "END", "VCALENDAR", 0);
	return out;
}

/* Returns the host part of base_url, for Message-IDs. */
static const char *
mail_domain(void)
{
	const char	*p = strstr(conf.base_url, "://");
	size_t		 n;

	p = p != NULL ? p + 3 : conf.base_url;
	n = strcspn(p, "/:");
	return n > 0 ? arena_printf(arena, "%.*s", (int)n, p) : "creneau";
}

/* Records the result of an attempt (reconnecting once if the database
 * went away); returns the outcome word, or "unrecorded". */
static const char *
record(const char *id, int ok, int permanent, const char *detail)
{
	const struct db_arg *args = DB_ARGS({ "id", id }, { "worker", worker },
	    { "ok", ok ? "t" : "f" }, { "permanent", permanent ? "t" : "f" },
	    { "detail", detail },
	    { "retry", arena_printf(arena, "%d", conf.notify_retry_seconds) },
	    { "retry_max", arena_printf(arena, "%d", conf.notify_retry_max_seconds) },
	    { "max_attempts", arena_printf(arena, "%d", conf.notify_max_attempts) });
	PGresult	*res;
	const char	*out;
	int		 try;

	for (try = 0; try < 3; try++) {
		if ((res = q_exec(Q_DONE, args)) != NULL) {
			out = arena_strdup(arena, PQntuples(res) > 0 ?
			    db_get(res, 0, "outcome") : "stale");
			PQclear(res);
			return out;
		}
		sleep(1);
	}
	return "unrecorded";
}

/* Renders and sends the claimed message of row i of res, records the
 * result and logs one line. */
static void
deliver(PGresult *res, int i)
{
	const char	*id = db_get(res, i, "id"), *kind = db_get(res, i, "kind"),
			*channel = db_get(res, i, "channel"),
			*to = db_get(res, i, "recipient"), *lang = db_get(res, i, "lang"),
			*attempt = db_get(res, i, "attempts"), *outcome;
	struct nvars	 v;
	struct nmsg	 m;
	struct nmail	 mail;
	char		 detail[512] = "";
	int		 ok = 0, permanent = 0;

	arena_reset(arena);
	memset(&v, 0, sizeof(v));
	if (parse_vars(db_get(res, i, "vars"), &v) == -1 ||
	    set(&v, "reference_raw", nvars_get(&v, "reference")) == -1 ||
	    derive(&v, lang) == -1) {
		snprintf(detail, sizeof(detail), "too many variables");
		permanent = 1;
	} else if (!ntpl_has(kind) || ntpl_render(arena, kind, lang, &v, &m) == -1) {
		snprintf(detail, sizeof(detail), "no template for kind %s", kind);
		permanent = 1;
	} else if (strcmp(channel, "email") == 0) {
		memset(&mail, 0, sizeof(mail));
		mail.to = to;
		mail.lang = lang;
		mail.message_id = arena_printf(arena, "outbox-%s@%s", id, mail_domain());
		if (strncmp(kind, "alert_", 6) == 0 && strcmp(kind, "alert_confirm") != 0)
			mail.unsubscribe = nvars_get(&v, "link_unsubscribe");
		if (strcmp(kind, "booking_confirmed") == 0 ||
		    strcmp(kind, "booking_rescheduled") == 0 ||
		    strcmp(kind, "booking_cancelled") == 0) {
			mail.ics_cancel = strcmp(kind, "booking_cancelled") == 0;
			mail.ics = ics(&v, mail.ics_cancel);
			mail.ics_name = arena_printf(arena, "rendez-vous-%s.ics",
			    nvars_get(&v, "ics_reference"));
		}
		ok = nsend_mail(arena, &mail, &m, detail, sizeof(detail), &permanent) == 0;
	} else if (strcmp(channel, "sms") == 0)
		ok = nsend_sms(arena, to, m.sms, detail, sizeof(detail), &permanent) == 0;
	else {
		snprintf(detail, sizeof(detail), "unknown channel");
		permanent = 1;
	}
	outcome = record(id, ok, permanent, detail);
	log_msg("notify: outbox %s %s %s: %s (attempt %s): %s", id, kind,
	    channel, outcome, attempt, detail);
}

/* Gives back the claimed rows from i on (not tried). */
static void
release_from(PGresult *res, int i)
{
	PGresult	*r;

	for (; i < PQntuples(res); i++) {
		if ((r = q_exec(Q_RELEASE, DB_ARGS({ "id", db_get(res, i, "id") },
		    { "worker", worker }))) != NULL)
			PQclear(r);
	}
}

/* Runs one function returning a count and logs it when not zero. */
static void
housekeeping(enum q id, const struct db_arg *args, const char *what)
{
	PGresult	*res;

	if ((res = q_exec(id, args)) == NULL)
		return;
	if (PQntuples(res) > 0 && strcmp(db_get(res, 0, "count"), "0") != 0)
		log_msg("notify: %s %s", db_get(res, 0, "count"), what);
	PQclear(res);
}

/* One pass: alerts and reminders, then batches until nothing is due.
 * Returns the number of messages handled, or -1 when the database is
 * unavailable. */
static int
pass(void)
{
	const struct db_arg *claim;
	char		 batch[16], lease[16], perday[16], maxatt[16], hours[16];
	PGresult	*res;
	struct timespec	 t0, t1;
	int		 i, n, total = 0;

	if (db_connect() == -1)
		return -1;
	housekeeping(Q_ALERTS, NULL, "alert messages queued for new slots");
	if (conf.reminder_hours > 0) {
		snprintf(hours, sizeof(hours), "%d", conf.reminder_hours);
		housekeeping(Q_REMINDERS, DB_ARGS({ "hours", hours }),
		    "bookings reminded");
	}
	snprintf(batch, sizeof(batch), "%d", conf.notify_batch);
	snprintf(lease, sizeof(lease), "%d", conf.notify_lease_seconds);
	snprintf(perday, sizeof(perday), "%d", conf.notify_max_per_day);
	snprintf(maxatt, sizeof(maxatt), "%d", conf.notify_max_attempts);
	claim = DB_ARGS({ "worker", worker }, { "batch", batch },
	    { "lease", lease }, { "per_day", perday },
	    { "max_attempts", maxatt });
	while (!stopping) {
		if ((res = q_exec(Q_CLAIM, claim)) == NULL)
			return total > 0 ? total : -1;
		if ((n = PQntuples(res)) == 0) {
			PQclear(res);
			break;
		}
		clock_gettime(CLOCK_MONOTONIC, &t0);
		for (i = 0; i < n; i++) {
			clock_gettime(CLOCK_MONOTONIC, &t1);
			/* Never send on a claim that may run out meanwhile. */
			if (stopping || t1.tv_sec - t0.tv_sec + conf.notify_timeout_seconds >
			    conf.notify_lease_seconds / 2) {
				release_from(res, i);
				break;
			}
			deliver(res, i);
			total++;
		}
		PQclear(res);
	}
	return total;
}

/* Sleeps until a notification, something due, notify_poll_seconds or a
 * signal. */
static void
wait_for_work(void)
{
	char		 poll_s[16];
	PGresult	*res;
	PGnotify	*nt;
	struct pollfd	 pfd;
	double		 secs = conf.notify_poll_seconds;

	snprintf(poll_s, sizeof(poll_s), "%d", conf.notify_poll_seconds);
	if ((res = q_exec(Q_NEXT, DB_ARGS({ "at_most", poll_s }))) != NULL) {
		if (PQntuples(res) > 0 && !db_isnull(res, 0, "seconds"))
			secs = atof(db_get(res, 0, "seconds"));
		PQclear(res);
	}
	if (secs < 0.25)
		secs = 0.25;	/* due rows another worker holds: no spinning */
	if (db_conn() == NULL) {
		sleep(1);
		return;
	}
	pfd.fd = PQsocket(db_conn());
	pfd.events = POLLIN;
	if (poll(&pfd, 1, (int)(secs * 1000)) > 0) {
		if (PQconsumeInput(db_conn()) == 0) {
			db_close();
			return;
		}
	}
	while ((nt = PQnotifies(db_conn())) != NULL)
		PQfreemem(nt);
}

/* Prints the usage; returns the exit status for it. */
static int
usage(void)
{
	fprintf(stderr, "usage: creneau-notify [-c configuration] [-1]\n");
	return 2;
}

int
main(int argc, char *argv[])
{
	const char		*path = CRENEAU_CONF;
	char			 dir[4096], host[64] = "";
	struct sigaction	 sa;
	int			 ch, once = 0, backoff = 1, n = 0;

	while ((ch = getopt(argc, argv, "c:1")) != -1) {
		if (ch == 'c')
			path = optarg;
		else if (ch == '1')
			once = 1;
		else
			return usage();
	}
	if (optind != argc)
		return usage();
	if (conf_load(path, &conf) == -1)
		return 1;
	if (i18n_init(&conf) == -1)
		return 1;
	if (*conf.mail_templates != '\0')
		snprintf(dir, sizeof(dir), "%s", conf.mail_templates);
	else
		snprintf(dir, sizeof(dir), "%s/mail", conf.templates);
	if (db_setup(&conf, "creneau-notify", queries, Q_COUNT,
	    listen_outbox) == -1 ||
	    ntpl_init(dir) == -1 || nsend_init(&conf) == -1 ||
	    (arena = arena_new(64 * 1024)) == NULL)
		return 1;
	gethostname(host, sizeof(host) - 1);
	snprintf(worker, sizeof(worker), "%s:%ld:%ld", host, (long)getpid(),
	    (long)time(NULL));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_stop;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGPIPE, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	log_msg("notify: started as %s", worker);
	while (!stopping) {
		if ((n = pass()) == -1) {
			if (once)
				break;
			sleep((unsigned)backoff);
			backoff = backoff < 30 ? backoff * 2 : 30;
			continue;
		}
		backoff = 1;
		if (once)
			break;
		if (n == 0 && !stopping)
			wait_for_work();
	}
	db_close();
	nsend_free();
	ntpl_free();
	arena_free(arena);
	conf_clear(&conf);
	log_msg("notify: stopped");
	return n == -1 ? 1 : 0;
}
