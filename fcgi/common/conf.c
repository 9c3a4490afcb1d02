/* Reads the flat configuration file into a struct conf, with defaults. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf.h"

#ifndef CRENEAU_PKGDATADIR
#define CRENEAU_PKGDATADIR	"/usr/share/creneau"
#endif
#ifndef CRENEAU_LOCALEDIR
#define CRENEAU_LOCALEDIR	"/usr/share/locale"
#endif

enum kind { K_STR, K_INT, K_SIZE, K_OCTAL, K_LANGS };

struct key {
	const char	*name;
	enum kind	 kind;
	size_t		 off;
	long		 min, max;
};

#define S(f)	K_STR, offsetof(struct conf, f), 0, 0
#define N(k, f, lo, hi)	k, offsetof(struct conf, f), lo, hi

static const struct key keys[] = {
	{ "database",		S(database) },
	{ "database_standby",	S(database_standby) },
	{ "standby_max_lag_seconds", N(K_INT, standby_max_lag_seconds, 1, 3600) },
	{ "host_name",		S(host_name) },
	{ "socket",		S(socket) },
	{ "pid_file",		S(pid_file) },
	{ "templates",		S(templates) },
	{ "locale_dir",		S(locale_dir) },
	{ "schema_dir",		S(schema_dir) },
	{ "access_log",		S(access_log) },
	{ "secret_file",	S(secret_file) },
	{ "default_language",	S(default_language) },
	{ "languages",		N(K_LANGS, languages, 0, 0) },
	{ "workers",		N(K_INT, workers, 1, 256) },
	{ "max_body",		N(K_SIZE, max_body, 1024, 16 * 1024 * 1024) },
	{ "max_fields",		N(K_SIZE, max_fields, 1, 1024) },
	{ "max_field_length",	N(K_SIZE, max_field_length, 16, 1024 * 1024) },
	{ "retry_after",	N(K_INT, retry_after, 1, 3600) },
	{ "socket_mode",	N(K_OCTAL, socket_mode, 0, 0777) },
	{ "listen_backlog",	N(K_INT, listen_backlog, 16, 65535) },
	{ "hold_minutes",	N(K_INT, hold_minutes, 1, 120) },
	{ "hold_extend_minutes", N(K_INT, hold_extend_minutes, 1, 120) },
	{ "hold_max_minutes",	N(K_INT, hold_max_minutes, 1, 240) },
	{ "form_min_seconds",	N(K_INT, form_min_seconds, 0, 600) },
	{ "form_max_seconds",	N(K_INT, form_max_seconds, 60, 86400) },
	{ "max_per_email",	N(K_INT, max_per_email, 1, 100) },
	{ "max_per_phone",	N(K_INT, max_per_phone, 1, 100) },
	{ "release_min_minutes", N(K_INT, release_min_minutes, 0, 10080) },
	{ "release_max_minutes", N(K_INT, release_max_minutes, 0, 10080) },
	{ "no_show_grace_minutes", N(K_INT, no_show_grace_minutes, 0, 240) },
	{ "calendar_days",	N(K_INT, calendar_days, 1, 366) },
	{ "base_url",		S(base_url) },
	{ "smtp_url",		S(smtp_url) },
	{ "smtp_from",		S(smtp_from) },
	{ "sms_url",		S(sms_url) },
	{ "sms_user",		S(sms_user) },
	{ "sms_password_file",	S(sms_password_file) },
	{ "mail_templates",	S(mail_templates) },
	{ "notify_max_attempts", N(K_INT, notify_max_attempts, 1, 100) },
	{ "notify_retry_seconds", N(K_INT, notify_retry_seconds, 1, 86400) },
	{ "notify_retry_max_seconds", N(K_INT, notify_retry_max_seconds, 1, 7 * 86400) },
	{ "notify_poll_seconds", N(K_INT, notify_poll_seconds, 1, 3600) },
	{ "notify_lease_seconds", N(K_INT, notify_lease_seconds, 2, 86400) },
	{ "notify_batch",	N(K_INT, notify_batch, 1, 1000) },
	{ "notify_timeout_seconds", N(K_INT, notify_timeout_seconds, 1, 600) },
	{ "notify_max_per_day",	N(K_INT, notify_max_per_day, 1, 1000) },
	{ "alert_days",		N(K_INT, alert_days, 1, 3650) },
	{ "reminder_hours",	N(K_INT, reminder_hours, 0, 24 * 14) },
	{ "admission_per_minute", N(K_INT, admission_per_minute, 1, 100000) },
	{ "waiting_room_minutes", N(K_INT, waiting_room_minutes, 1, 1440) },
	{ "manage_links",	N(K_INT, manage_links, 1, 100) },
	{ "staff_device_days",	N(K_INT, staff_device_days, 1, 3650) },
	{ "form_tokens_per_address", N(K_INT, form_tokens_per_address, 1, 1000000) },
	{ "test_reuse_form_tokens", N(K_INT, test_reuse_form_tokens, 0, 1) },
	{ "database_report",	S(database_report) },
	{ "report_dir",		S(report_dir) },
	{ "report_days",	N(K_INT, report_days, 1, 3660) },
	{ "stats_weeks",	N(K_INT, stats_weeks, 1, 104) },
	{ "retention_booking_days", N(K_INT, retention_booking_days, 1, 3650) },
	{ "retention_hold_days", N(K_INT, retention_hold_days, 1, 3650) },
	{ "retention_draw_days", N(K_INT, retention_draw_days, 1, 3650) },
	{ "retention_alert_days", N(K_INT, retention_alert_days, 1, 3650) },
	{ "retention_message_days", N(K_INT, retention_message_days, 1, 3650) },
	{ "retention_audit_days", N(K_INT, retention_audit_days, 1, 3650) },
};

/* Replaces the string at *slot with a copy of v; returns 0 or -1. */
static int
set_str(char **slot, const char *v)
{
	char	*p;

	if ((p = strdup(v)) == NULL)
		return -1;
	free(*slot);
	*slot = p;
	return 0;
}

/* Fills c with the built-in defaults (strings owned by c). */
void
conf_defaults(struct conf *c)
{
	memset(c, 0, sizeof(*c));
	set_str(&c->database, "dbname=creneau");
	set_str(&c->database_standby, "");
	c->standby_max_lag_seconds = 5;
	set_str(&c->host_name, "");
	set_str(&c->socket, "/run/creneau/fcgi.sock");
	set_str(&c->pid_file, "/run/creneau/creneau-fcgi.pid");
	set_str(&c->templates, CRENEAU_PKGDATADIR "/templates");
	set_str(&c->locale_dir, CRENEAU_LOCALEDIR);
	set_str(&c->schema_dir, CRENEAU_PKGDATADIR "/schema");
	set_str(&c->access_log, "-");
	set_str(&c->secret_file, "/etc/creneau/secret");
	set_str(&c->default_language, "fr");
	c->workers = 4;
	c->max_body = 65536;
	c->max_fields = 64;
	c->max_field_length = 4096;
	c->retry_after = 30;
	c->socket_mode = 0660;
	c->listen_backlog = 1024;
	c->hold_minutes = 10;
	c->hold_extend_minutes = 5;
	c->hold_max_minutes = 20;
	c->form_min_seconds = 3;
	c->form_max_seconds = 1200;
	c->max_per_email = 3;
	c->max_per_phone = 3;
	c->release_min_minutes = 15;
	c->release_max_minutes = 180;
	c->no_show_grace_minutes = 15;
	c->calendar_days = 28;
	set_str(&c->base_url, "http://localhost");
	set_str(&c->smtp_url, "smtp://127.0.0.1:25");
	set_str(&c->smtp_from, "noreply@localhost");
	set_str(&c->sms_url, "");
	set_str(&c->sms_user, "");
	set_str(&c->sms_password_file, "");
	set_str(&c->mail_templates, "");
	c->notify_max_attempts = 8;
	c->notify_retry_seconds = 60;
	c->notify_retry_max_seconds = 6 * 3600;
	c->notify_poll_seconds = 30;
	c->notify_lease_seconds = 300;
	c->notify_batch = 20;
	c->notify_timeout_seconds = 30;
	c->notify_max_per_day = 10;
	c->alert_days = 90;
	c->reminder_hours = 48;
	c->admission_per_minute = 120;
	c->waiting_room_minutes = 60;
	c->manage_links = 3;
	c->staff_device_days = 90;
	c->form_tokens_per_address = 300;
	set_str(&c->database_report, "");
	set_str(&c->report_dir, "/var/lib/creneau/reports");
	c->report_days = 7;
	c->stats_weeks = 12;
	c->retention_booking_days = 90;
	c->retention_hold_days = 7;
	c->retention_draw_days = 30;
	c->retention_alert_days = 30;
	c->retention_message_days = 30;
	c->retention_audit_days = 365;
}

/* Releases the strings held by c. */
void
conf_clear(struct conf *c)
{
	size_t	 i;

	for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		if (keys[i].kind == K_STR)
			free(*(char **)((char *)c + keys[i].off));
	for (i = 0; i < c->nlanguages; i++)
		free(c->languages[i]);
	memset(c, 0, sizeof(*c));
}

/* Parses a space-separated list of language tags into c; returns 0 or -1. */
static int
set_langs(struct conf *c, char *v)
{
	char	*tok, *save = NULL;
	size_t	 i;

	for (i = 0; i < c->nlanguages; i++)
		free(c->languages[i]);
	c->nlanguages = 0;
	for (tok = strtok_r(v, " \t,", &save); tok != NULL;
	    tok = strtok_r(NULL, " \t,", &save)) {
		if (c->nlanguages == CONF_LANGS_MAX || strlen(tok) > 8)
			return -1;
		for (i = 0; tok[i] != '\0'; i++)
			if (!islower((unsigned char)tok[i]) && tok[i] != '-')
				return -1;
		if ((c->languages[c->nlanguages++] = strdup(tok)) == NULL)
			return -1;
	}
	return c->nlanguages > 0 ? 0 : -1;
}

/* Stores value v for key k in c; returns 0 or -1 on a bad value. */
static int
set_key(struct conf *c, const struct key *k, char *v)
{
	char	*end;
	long	 n;

	if (k->kind == K_STR)
		return set_str((char **)((char *)c + k->off), v);
	if (k->kind == K_LANGS)
		return set_langs(c, v);
	errno = 0;
	n = strtol(v, &end, k->kind == K_OCTAL ? 8 : 10);
	if (errno != 0 || end == v || *end != '\0' || n < k->min || n > k->max)
		return -1;
	if (k->kind == K_SIZE)
		*(size_t *)((char *)c + k->off) = (size_t)n;
	else
		*(int *)((char *)c + k->off) = (int)n;
	return 0;
}

/* Strips leading and trailing blanks of s in place and returns it. */
static char *
trim(char *s)
{
	char	*e;

	while (isspace((unsigned char)*s))
		s++;
	e = s + strlen(s);
	while (e > s && isspace((unsigned char)e[-1]))
		*--e = '\0';
	return s;
}

/* Reads path into c (defaults first); returns 0, or -1 after printing
 * "path:line: reason" to stderr. */
int
conf_load(const char *path, struct conf *c)
{
	FILE	*f;
	char	 line[4096], *name, *value, *eq;
	size_t	 i;
	int	 lineno = 0, rc = 0;

	conf_defaults(c);
	if ((f = fopen(path, "r")) == NULL) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		return -1;
	}
	while (fgets(line, sizeof(line), f) != NULL) {
		lineno++;
		if (strchr(line, '\n') == NULL && !feof(f)) {
			fprintf(stderr, "%s:%d: line too long\n", path, lineno);
			rc = -1;
			break;
		}
		name = trim(line);
		if (*name == '\0' || *name == '#')
			continue;
		if ((eq = strchr(name, '=')) == NULL) {
			fprintf(stderr, "%s:%d: expected name = value\n", path, lineno);
			rc = -1;
			continue;
		}
		*eq = '\0';
		name = trim(name);
		value = trim(eq + 1);
		for (i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
			if (strcmp(keys[i].name, name) == 0)
				break;
		if (i == sizeof(keys) / sizeof(keys[0])) {
			fprintf(stderr, "%s:%d: unknown setting '%s'\n", path, lineno, name);
			rc = -1;
		} else if (set_key(c, &keys[i], value) == -1) {
			fprintf(stderr, "%s:%d: bad value for '%s'\n", path, lineno, name);
			rc = -1;
		}
	}
	fclose(f);
	if (rc == 0 && c->nlanguages == 0) {
		char	 buf[16];

		snprintf(buf, sizeof(buf), "%s", c->default_language);
		rc = set_langs(c, buf);
	}
	if (rc == 0 && c->hold_max_minutes < c->hold_minutes) {
		fprintf(stderr, "%s: hold_max_minutes is below hold_minutes\n",
		    path);
		rc = -1;
	}
	if (rc == 0 && c->release_min_minutes > c->release_max_minutes) {
		fprintf(stderr, "%s: release_min_minutes is above release_max_minutes\n",
		    path);
		rc = -1;
	}
	if (rc == 0 && c->notify_lease_seconds < 2 * c->notify_timeout_seconds) {
		fprintf(stderr, "%s: notify_lease_seconds must be at least twice notify_timeout_seconds\n",
		    path);
		rc = -1;
	}
	/* Form tokens reusable within one browser session let the scanners
	 * of script/check-security send a form many times; in production they
	 * would undo the form tokens' limits. Only a build configured with
	 * --enable-test-hooks (CRENEAU_TEST_HOOKS) accepts the key. */
#ifndef CRENEAU_TEST_HOOKS
	if (rc == 0 && c->test_reuse_form_tokens != 0) {
		fprintf(stderr, "%s: test_reuse_form_tokens is for test builds only "
		    "(./configure --enable-test-hooks); remove it from this file\n",
		    path);
		rc = -1;
	}
#endif
	if (rc == 0 && !conf_has_language(c, c->default_language)) {
		fprintf(stderr, "%s: default_language '%s' is not in languages\n",
		    path, c->default_language);
		rc = -1;
	}
	return rc;
}

/* Returns 1 when lang is one of the configured languages, else 0. */
int
conf_has_language(const struct conf *c, const char *lang)
{
	size_t	 i;

	for (i = 0; i < c->nlanguages; i++)
		if (strcmp(c->languages[i], lang) == 0)
			return 1;
	return 0;
}
