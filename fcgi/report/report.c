/* creneau-report: the nightly report (issue 14).
 *
 *   creneau-report [-c conf] [-s site] [-f from] [-t to] [-o dir] [command]
 *
 * report (default): reads the figures through database_report (a
 * streaming standby in production; database when empty), for a range of
 * days and one site or all, and writes into the output directory:
 *   figures.csv       one row per figure, day, site and procedure
 *   appointments.csv  one row per appointment, keyed pseudonyms only
 *   report.xhtml      the same figures with SVG charts drawn here
 * Every figure comes from reporting.report_figures()
 * (schema/code/reporting.sql), the function the back-office and the
 * public page read too. The output
 * depends only on the data: the same on a standby as on the primary.
 *
 * snapshot, purge, publish: write through database (the primary):
 * reporting.snapshot() (what each night sees), reporting.purge() with
 * the retention_* periods, reporting.publish() (the public page).
 * nightly: snapshot, purge, publish, then report, recorded in
 * reporting.runs for the back-office.
 *
 * On a terminal, a progress line on stdout. */
#include "config.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <libpq-fe.h>

#include "arena.h"
#include "conf.h"
#include "court.h"
#include "db.h"
#include "fields.h"
#include "i18n.h"
#include "log.h"
#include "secret.h"

static struct conf	 conf;
static struct arena	*arena;
static int		 tty;
static int		 steps, step;

/* --- progress on a terminal ---------------------------------------------- */

static void
progress(const char *what)
{
	step++;
	if (!tty)
		return;
	printf("\r\033[Kcreneau-report: [%d/%d] %s", step, steps, what);
	fflush(stdout);
}

static void
progress_end(const char *dir)
{
	if (tty)
		printf("\r\033[Kcreneau-report: done: %s\n", dir);
}

/* --- database -------------------------------------------------------------- */

/* The statements of creneau-report (see db.h for the form of the table).
 * DB_REPORT: read through database_report (a standby in production;
 * database when empty), in one REPEATABLE READ transaction per report;
 * DB_WRITE: on the primary. */
enum q {
	Q_BEGIN, Q_NOJIT, Q_COMMIT, Q_SITE, Q_SITES, Q_DAYS, Q_DEFS, Q_FIGURES,
	Q_APPOINTMENTS, Q_WAITS,
	Q_SNAPSHOT, Q_PURGE, Q_PUBLISH, Q_RECORD, Q_COUNT
};

static const struct statement queries[Q_COUNT] = {
	/* One snapshot of the database for every file of a report. */
	[Q_BEGIN] = { "report_begin", DB_REPORT,
	    "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", NULL },
	/* The report's plans read their range day by day in nested loops
	 * whose estimated cost passes jit_above_cost at production size:
	 * compiling them took seconds, far longer than running them. */
	[Q_NOJIT] = { "report_nojit", DB_REPORT, "SET LOCAL jit = off", NULL },
	[Q_COMMIT] = { "report_commit", DB_REPORT, "COMMIT", NULL },
	[Q_SITE] = { "report_site", DB_REPORT,
	    "SELECT id::text AS id, name FROM sites WHERE slug = :slug",
	    "id name" },
	[Q_SITES] = { "report_sites", DB_REPORT,
	    "SELECT slug FROM sites ORDER BY slug", "slug" },
	/* The days of the range, in order. */
	[Q_DAYS] = { "report_days", DB_REPORT,
	    "SELECT d::date::text AS day"
	    "  FROM generate_series(:from::date, :to::date, interval '1 day') d",
	    "day" },
	[Q_DEFS] = { "report_defs", DB_REPORT,
	    "SELECT figure, grp, unit, additive::text AS additive, definition"
	    "  FROM reporting.figure_defs ORDER BY ord",
	    "figure grp unit additive definition" },
	/* The columns of figures.csv, in its order. */
	[Q_FIGURES] = { "report_figures", DB_REPORT,
	    "SELECT f.day::text AS day, coalesce(st.slug, '') AS site,"
	    "       coalesce(st.name, '') AS organisation,"
	    "       coalesce(p.code, '') AS procedure, f.figure,"
	    "       f.value::text AS value"
	    "  FROM reporting.report_figures(:from::date, :to::date, :site_id::bigint) f"
	    "  JOIN reporting.figure_defs d ON d.figure = f.figure"
	    "  LEFT JOIN sites st ON st.id = f.site_id"
	    "  LEFT JOIN procedures p ON p.id = f.procedure_id"
	    " ORDER BY f.day, st.slug NULLS FIRST, p.code NULLS FIRST, d.ord",
	    "day site organisation procedure figure value" },
	[Q_APPOINTMENTS] = { "report_appointments", DB_REPORT,
	    "SELECT booking_id::text AS booking_id,"
	    "       encode(identity_key, 'hex') AS identity_key,"
	    "       day::text AS day, site_slug, procedure_code, channel, outcome,"
	    "       wait_days::text AS wait_days"
	    "  FROM reporting.appointments(:from::date, :to::date, :site_id::bigint)",
	    "booking_id identity_key day site_slug procedure_code channel"
	    " outcome wait_days" },
	[Q_WAITS] = { "report_waits", DB_REPORT,
	    "SELECT day::text AS day, median::text AS median, p90::text AS p90"
	    "  FROM reporting.wait_by_day(:from::date, :to::date, :site_id::bigint)",
	    "day median p90" },
	[Q_SNAPSHOT] = { "report_snapshot", DB_WRITE,
	    "SELECT reporting.snapshot()::text AS n", "n" },
	/* Retention periods in days (creneau.conf retention_*). */
	[Q_PURGE] = { "report_purge", DB_WRITE,
	    "SELECT what, n::text AS n"
	    "  FROM reporting.purge(:booking_days::int, :hold_days::int,"
	    "                       :entry_days::int, :alert_days::int,"
	    "                       :message_days::int, :audit_days::int)",
	    "what n" },
	[Q_PUBLISH] = { "report_publish", DB_WRITE,
	    "SELECT reporting.publish(:weeks::int)::text AS n", "n" },
	/* The report is the latest of its site (or of all sites). */
	[Q_RECORD] = { "report_record", DB_WRITE,
	    "INSERT INTO reporting.runs (site_id, date_from, date_to, directory)"
	    " VALUES (:site_id::bigint, :from::date, :to::date, :directory)",
	    NULL },
};

/* Runs statement id; returns the result (to PQclear) or NULL, logged. */
static PGresult *
query(enum q id, const struct db_arg *args)
{
	struct db_error	 err;
	PGresult	*res;

	if ((res = db_run(id, args, &err)) == NULL)
		log_msg("report: %s: %s%s %s", queries[id].name,
		    err.unavailable ? "database unavailable " : "",
		    *err.sqlstate != '\0' ? err.sqlstate : "-", err.message);
	return res;
}

/* --- output helpers -------------------------------------------------------- */

/* CSV field: quoted when it holds a separator, quote or line break. */
static void
csv(FILE *f, const char *s, int last)
{
	const char	*p;

	if (strpbrk(s, ",\"\r\n") != NULL) {
		fputc('"', f);
		for (p = s; *p != '\0'; p++) {
			if (*p == '"')
				fputc('"', f);
			fputc(*p, f);
		}
		fputc('"', f);
	} else
		fputs(s, f);
	fputs(last ? "\r\n" : ",", f);
}

/* XML text or attribute value. */
static void
x(FILE *f, const char *s)
{
	for (; *s != '\0'; s++)
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		default: fputc(*s, f);
		}
}

/* fprintf whose %s (and %w: the same, breakable after underscores)
 * arguments are escaped: the caller passes only the
 * format's own markup; every string argument is data. */
static void
xf(FILE *f, const char *fmt, ...)
{
	va_list		 ap;
	const char	*p;

	va_start(ap, fmt);
	for (p = fmt; *p != '\0'; p++) {
		if (*p != '%') {
			fputc(*p, f);
			continue;
		}
		p++;
		if (*p == 's')
			x(f, va_arg(ap, const char *));
		else if (*p == 'w') {
			/* An identifier a phone may break after each
			 * underscore (places_<wbr/>never_<wbr/>booked). */
			const char	*q;

			for (q = va_arg(ap, const char *); *q != '\0'; q++) {
				char	 c[2] = { *q, '\0' };

				x(f, c);
				if (*q == '_' && q[1] != '\0')
					fputs("<wbr/>", f);
			}
		}
		else if (*p == 'd')
			fprintf(f, "%d", va_arg(ap, int));
		else if (*p == 'L')
			fprintf(f, "%lld", va_arg(ap, long long));
		else if (*p == 'g')
			fprintf(f, "%.1f", va_arg(ap, double));
		else if (*p == '%')
			fputc('%', f);
	}
	va_end(ap);
}

/* Opens dir/name.tmp; finish() renames it into place. */
static FILE *
start(const char *dir, const char *name, char **tmp)
{
	FILE	*f;

	*tmp = arena_printf(arena, "%s/%s.tmp", dir, name);
	if ((f = fopen(*tmp, "w")) == NULL)
		log_msg("report: %s: %s", *tmp, strerror(errno));
	return f;
}

static int
finish(FILE *f, const char *dir, const char *name, const char *tmp)
{
	char	*path = arena_printf(arena, "%s/%s", dir, name);

	if (ferror(f) | (fclose(f) != 0) || rename(tmp, path) == -1) {
		log_msg("report: %s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

static int
mkdirs(const char *path)
{
	char	*p = arena_strdup(arena, path), *s;

	for (s = p + 1; *s != '\0'; s++)
		if (*s == '/') {
			*s = '\0';
			if (mkdir(p, 0750) == -1 && errno != EEXIST)
				return -1;
			*s = '/';
		}
	if (mkdir(p, 0750) == -1 && errno != EEXIST)
		return -1;
	return 0;
}

/* --- the figures ------------------------------------------------------------- */

struct def {
	const char	*figure, *grp, *unit, *definition;
	int		 additive;
	long long	 total;
};

struct day {
	char		 date[11];
	long long	 published, booked, honoured, no_show, entries, winners;
	long long	 channel[5];
	double		 wait_med, wait_p90;
	int		 has_wait;
};

static const char *const channels[] = { "booked_online", "booked_draw",
    "booked_mediator", "booked_counter", "booked_court" };
static const char *const channel_names[] = { N_("Online"), N_("Draw"),
    N_("Mediator"), N_("Counter or phone"), N_("Court order") };

struct report {
	const char	*from, *to, *site, *site_id, *site_name, *dir;
	struct def	*defs;
	int		 ndefs;
	struct day	*days;
	int		 ndays;
};

static struct def *
def_find(struct report *r, const char *figure)
{
	int	i;

	for (i = 0; i < r->ndefs; i++)
		if (strcmp(r->defs[i].figure, figure) == 0)
			return &r->defs[i];
	return NULL;
}

/* Days since the epoch of a YYYY-MM-DD date (a proleptic Gregorian
 * count: only differences matter). */
static long
day_number(const char *date)
{
	int	y = 0, m = 0, d = 0;

	if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3)
		return -1;
	if (m <= 2) {
		y--;
		m += 12;
	}
	return 365L * y + y / 4 - y / 100 + y / 400 + (153 * (m - 3) + 2) / 5 + d;
}

/* The day of the range a date is (the days are consecutive), or NULL. */
static struct day *
day_find(struct report *r, const char *date)
{
	long	i;

	if (r->ndays == 0)
		return NULL;
	i = day_number(date) - day_number(r->days[0].date);
	if (i < 0 || i >= r->ndays || strcmp(r->days[i].date, date) != 0)
		return NULL;
	return &r->days[i];
}

/* The days of the range, in order. */
static int
load_days(struct report *r)
{
	PGresult	*res;
	int		 i;

	res = query(Q_DAYS, DB_ARGS({ "from", r->from }, { "to", r->to }));
	if (res == NULL)
		return -1;
	r->ndays = PQntuples(res);
	r->days = arena_calloc(arena, (size_t)r->ndays + 1, sizeof(*r->days));
	for (i = 0; i < r->ndays; i++)
		snprintf(r->days[i].date, sizeof(r->days[i].date), "%s",
		    db_get(res, i, "day"));
	PQclear(res);
	return 0;
}

static int
load_defs(struct report *r)
{
	PGresult	*res;
	int		 i;

	res = query(Q_DEFS, NULL);
	if (res == NULL)
		return -1;
	r->ndefs = PQntuples(res);
	r->defs = arena_calloc(arena, (size_t)r->ndefs + 1, sizeof(*r->defs));
	for (i = 0; i < r->ndefs; i++) {
		r->defs[i].figure = arena_strdup(arena, db_get(res, i, "figure"));
		r->defs[i].grp = arena_strdup(arena, db_get(res, i, "grp"));
		r->defs[i].unit = arena_strdup(arena, db_get(res, i, "unit"));
		r->defs[i].additive = strcmp(db_get(res, i, "additive"),
		    "true") == 0;
		r->defs[i].definition = arena_strdup(arena,
		    db_get(res, i, "definition"));
	}
	PQclear(res);
	return 0;
}

/* figures.csv, and the totals and daily sums the XHTML shows. */
static int
write_figures(struct report *r)
{
	static const char *const cols[] = { "day", "site", "organisation",
	    "procedure", "figure", "value" };
	PGresult	*res;
	FILE		*f;
	char		*tmp;
	int		 i, k;

	res = query(Q_FIGURES, DB_ARGS({ "from", r->from }, { "to", r->to },
	    { "site_id", r->site_id }));
	if (res == NULL || (f = start(r->dir, "figures.csv", &tmp)) == NULL) {
		PQclear(res);
		return -1;
	}
	fputs("day,site,organisation,procedure,figure,value\r\n", f);
	for (i = 0; i < PQntuples(res); i++) {
		const char	*day = db_get(res, i, "day");
		const char	*fig = db_get(res, i, "figure");
		const char	*val = db_get(res, i, "value");
		struct def	*d = def_find(r, fig);
		struct day	*dy = day_find(r, day);
		long long	 n = strtoll(val, NULL, 10);

		for (k = 0; k < 6; k++)
			csv(f, db_get(res, i, cols[k]), k == 5);
		if (d != NULL && d->additive)
			d->total += n;
		if (dy == NULL)
			continue;
		if (strcmp(fig, "places_published") == 0)
			dy->published += n;
		else if (strcmp(fig, "booked") == 0)
			dy->booked += n;
		else if (strcmp(fig, "honoured") == 0)
			dy->honoured += n;
		else if (strcmp(fig, "no_show") == 0)
			dy->no_show += n;
		else if (strcmp(fig, "draw_entries") == 0)
			dy->entries += n;
		else if (strcmp(fig, "draw_winners") == 0)
			dy->winners += n;
		for (k = 0; k < 5; k++)
			if (strcmp(fig, channels[k]) == 0)
				dy->channel[k] += n;
	}
	PQclear(res);
	return finish(f, r->dir, "figures.csv", tmp);
}

/* appointments.csv: keyed pseudonyms (HMAC with the site secret, a
 * purpose of their own) instead of the booking and the person. */
static int
write_appointments(struct report *r)
{
	static const char *const cols[] = { "day", "site_slug",
	    "procedure_code", "channel", "outcome", "wait_days" };
	PGresult	*res;
	FILE		*f;
	char		*tmp;
	int		 i, k;

	res = query(Q_APPOINTMENTS, DB_ARGS({ "from", r->from }, { "to", r->to },
	    { "site_id", r->site_id }));
	if (res == NULL || (f = start(r->dir, "appointments.csv", &tmp)) == NULL) {
		PQclear(res);
		return -1;
	}
	fputs("appointment,person,day,site,procedure,channel,outcome,wait_days\r\n", f);
	for (i = 0; i < PQntuples(res); i++) {
		csv(f, secret_digest(arena, "creneau report appointment v1",
		    db_get(res, i, "booking_id")), 0);
		csv(f, secret_digest(arena, "creneau report person v1",
		    db_get(res, i, "identity_key")), 0);
		for (k = 0; k < 6; k++)
			csv(f, db_get(res, i, cols[k]), k == 5);
	}
	PQclear(res);
	return finish(f, r->dir, "appointments.csv", tmp);
}

static int
load_waits(struct report *r)
{
	PGresult	*res;
	int		 i;

	res = query(Q_WAITS, DB_ARGS({ "from", r->from }, { "to", r->to },
	    { "site_id", r->site_id }));
	if (res == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		struct day	*d = day_find(r, db_get(res, i, "day"));

		if (d == NULL)
			continue;
		d->has_wait = 1;
		d->wait_med = strtod(db_get(res, i, "median"), NULL);
		d->wait_p90 = strtod(db_get(res, i, "p90"), NULL);
	}
	PQclear(res);
	return 0;
}

/* --- SVG charts ---------------------------------------------------------------
 * Drawn here, no script: a chart is an <svg role="img"> named by its
 * <title> and described by its <desc> (aria-labelledby both), followed by
 * the same numbers as a table. */

#define W	640
#define H	260
#define L	56	/* left margin (axis labels) */
#define R	16
#define T	16
#define B	40

static void
svg_open(FILE *f, const char *id, const char *title, const char *desc)
{
	/* No fixed size: the chart takes its column's width and keeps its
	 * proportions (a phone, a wide screen, the page printed), with no
	 * style sheet, which the file does not have. */
	xf(f, "<svg xmlns=\"http://www.w3.org/2000/svg\" role=\"img\""
	    " viewBox=\"0 0 %d %d\" width=\"100%%\""
	    " aria-labelledby=\"%s-t %s-d\">\n", W, H, id, id);
	xf(f, "<title id=\"%s-t\">%s</title>\n<desc id=\"%s-d\">%s</desc>\n",
	    id, title, id, desc);
	xf(f, "<rect x=\"0\" y=\"0\" width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n", W, H);
}

/* Axes with 0 and max on y, the first and last day on x. */
static void
svg_axes(FILE *f, struct report *r, double max, const char *unit)
{
	char	buf[64];

	xf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
	    L, H - B, W - R, H - B);
	xf(f, "<line x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\" stroke=\"#333333\"/>\n",
	    L, T, L, H - B);
	snprintf(buf, sizeof(buf), "%.1f %s", max, unit);
	xf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\" fill=\"#222222\">%s</text>\n", T + 10, buf);
	xf(f, "<text x=\"4\" y=\"%d\" font-size=\"11\" fill=\"#222222\">0</text>\n", H - B);
	if (r->ndays > 0) {
		xf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#222222\">%s</text>\n",
		    L, H - B + 16, r->days[0].date);
		xf(f, "<text x=\"%d\" y=\"%d\" font-size=\"11\" fill=\"#222222\""
		    " text-anchor=\"end\">%s</text>\n", W - R, H - B + 16,
		    r->days[r->ndays - 1].date);
	}
}

static int
yof(double v, double max)
{
	if (max <= 0)
		return H - B;
	return H - B - (int)((v / max) * (H - B - T) + 0.5);
}

static void
chart_wait(FILE *f, struct report *r)
{
	double	max = 1;
	int	i, any, pass, n = r->ndays > 1 ? r->ndays - 1 : 1;

	for (i = 0; i < r->ndays; i++)
		if (r->days[i].has_wait && r->days[i].wait_p90 > max)
			max = r->days[i].wait_p90;
	svg_open(f, "wait", _("Waiting delay over time"),
	    _("Median (solid) and 90th percentile (dashed) of the days between the request and the appointment, per day of the appointment. The table below gives the numbers."));
	svg_axes(f, r, max, _("days"));
	for (i = 0, any = 0; i < r->ndays; i++)
		any |= r->days[i].has_wait;
	for (pass = 0; pass < 2 && any; pass++) {
		int	first = 1;

		fputs(pass == 0 ? "<polyline fill=\"none\" stroke=\"#1f4e9c\" stroke-width=\"2\" points=\"" :
		    "<polyline fill=\"none\" stroke=\"#b3261e\" stroke-width=\"2\" stroke-dasharray=\"6 4\" points=\"", f);
		for (i = 0; i < r->ndays; i++) {
			if (!r->days[i].has_wait)
				continue;
			fprintf(f, "%s%d,%d", first ? "" : " ", L + (W - L - R) * i / n,
			    yof(pass == 0 ? r->days[i].wait_med : r->days[i].wait_p90, max));
			first = 0;
		}
		fputs("\"/>\n", f);
	}
	fputs("</svg>\n", f);
}

/* One bar group per day: up to two series side by side. */
static void
chart_bars(FILE *f, struct report *r, const char *id, const char *title,
    const char *desc, const char *unit, double (*val)(const struct day *, int),
    int nseries)
{
	double	max = 1;
	int	i, s, slot, bw;

	for (i = 0; i < r->ndays; i++)
		for (s = 0; s < nseries; s++)
			if (val(&r->days[i], s) > max)
				max = val(&r->days[i], s);
	svg_open(f, id, title, desc);
	svg_axes(f, r, max, unit);
	slot = r->ndays > 0 ? (W - L - R) / r->ndays : W - L - R;
	bw = slot / (nseries + 1);
	if (bw < 1)
		bw = 1;
	for (i = 0; i < r->ndays; i++)
		for (s = 0; s < nseries; s++) {
			int	y = yof(val(&r->days[i], s), max);

			xf(f, "<rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" fill=\"%s\"/>\n",
			    L + i * slot + s * bw + 1, y, bw, H - B - y,
			    s == 0 ? "#1f4e9c" : "#e08a00");
		}
	fputs("</svg>\n", f);
}

static double
v_fill(const struct day *d, int s)
{
	return d->published > 0 ? 100.0 * (double)d->booked / (double)d->published : 0;
}

static double
v_noshow(const struct day *d, int s)
{
	return (double)(s == 0 ? d->honoured : d->no_show);
}

static double
v_draws(const struct day *d, int s)
{
	return (double)(s == 0 ? d->entries : d->winners);
}

static void
chart_channels(FILE *f, struct report *r)
{
	long long	tot[5] = { 0 }, max = 1;
	int		i, k;

	for (i = 0; i < r->ndays; i++)
		for (k = 0; k < 5; k++)
			tot[k] += r->days[i].channel[k];
	for (k = 0; k < 5; k++)
		if (tot[k] > max)
			max = tot[k];
	svg_open(f, "channels", _("Bookings by channel"),
	    _("Confirmed bookings of the period per channel, one bar each. The table below gives the numbers."));
	for (k = 0; k < 5; k++) {
		int	y = T + k * 40, w = (int)((W - 200 - R) * tot[k] / max);

		xf(f, "<text x=\"4\" y=\"%d\" font-size=\"12\" fill=\"#222222\">%s</text>\n",
		    y + 18, _(channel_names[k]));
		xf(f, "<rect x=\"160\" y=\"%d\" width=\"%d\" height=\"26\" fill=\"#1f4e9c\"/>\n",
		    y, w > 0 ? w : 1);
		xf(f, "<text x=\"%d\" y=\"%d\" font-size=\"12\" fill=\"#222222\">%L</text>\n",
		    166 + w, y + 18, tot[k]);
	}
	fputs("</svg>\n", f);
}

/* --- the XHTML report ----------------------------------------------------------- */

static void
table_days(FILE *f, struct report *r, const char *caption, int which)
{
	int	i, k;

	/* A region of its own that scrolls sideways on a phone (with the
	 * back-office's style sheet; the file itself has none), reachable
	 * from the keyboard and named by the table's caption. */
	xf(f, "<div class=\"table-scroll\" role=\"region\" tabindex=\"0\""
	    " aria-labelledby=\"days-%d\">\n<table>\n<caption id=\"days-%d\">%s</caption>\n"
	    "<thead><tr><th scope=\"col\">%s</th>", which, which, caption, _("Day"));
	if (which == 0)
		xf(f, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>",
		    _("Median wait (days)"), _("90th percentile (days)"));
	else if (which == 1)
		xf(f, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>",
		    _("Places published"), _("Booked"), _("Fill rate (%)"));
	else if (which == 2)
		xf(f, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>",
		    _("Honoured"), _("No-show"));
	else if (which == 3)
		xf(f, "<th scope=\"col\">%s</th><th scope=\"col\">%s</th>",
		    _("Draw entries"), _("Winners"));
	else
		for (k = 0; k < 5; k++)
			xf(f, "<th scope=\"col\">%s</th>", _(channel_names[k]));
	fputs("</tr></thead>\n<tbody>\n", f);
	for (i = 0; i < r->ndays; i++) {
		struct day	*d = &r->days[i];

		xf(f, "<tr><th scope=\"row\">%s</th>", d->date);
		if (which == 0 && d->has_wait)
			xf(f, "<td>%g</td><td>%g</td>", d->wait_med, d->wait_p90);
		else if (which == 0)
			fputs("<td>–</td><td>–</td>", f);
		else if (which == 1)
			xf(f, "<td>%L</td><td>%L</td><td>%g</td>", d->published,
			    d->booked, v_fill(d, 0));
		else if (which == 2)
			xf(f, "<td>%L</td><td>%L</td>", d->honoured, d->no_show);
		else if (which == 3)
			xf(f, "<td>%L</td><td>%L</td>", d->entries, d->winners);
		else
			for (k = 0; k < 5; k++)
				xf(f, "<td>%L</td>", d->channel[k]);
		fputs("</tr>\n", f);
	}
	fputs("</tbody>\n</table>\n</div>\n", f);
}

static void
section(FILE *f, const char *id, const char *heading)
{
	xf(f, "<section aria-labelledby=\"%s-h\">\n<h2 id=\"%s-h\">%s</h2>\n",
	    id, id, heading);
}

/* The sections of the report after the totals: a chart and its table
 * (which: 0 wait, 1 fill rate, 2 no-shows, 3 draws, 4 channels). */
static const struct section {
	const char	*id, *heading, *title, *desc, *caption, *unit;
	double		(*val)(const struct day *, int);
	int		 nseries, which;
} sections[] = {
	{ "wait", N_("Waiting delay"), NULL, NULL, N_("Waiting delay per day"),
	    NULL, NULL, 0, 0 },
	{ "fill", N_("Fill rate"), N_("Fill rate per day"),
	    N_("Confirmed bookings as a percentage of the places published, one bar per day of the appointments. The table below gives the numbers."),
	    N_("Places and bookings per day"), "%", v_fill, 1, 1 },
	{ "noshow", N_("Honoured appointments and no-shows"),
	    N_("Honoured and no-show per day"),
	    N_("Per day, appointments honoured (blue, left) and no-shows (orange, right). The table below gives the numbers."),
	    N_("Honoured and no-show per day"), "", v_noshow, 2, 2 },
	{ "channels", N_("Channels"), NULL, NULL,
	    N_("Bookings by channel per day"), NULL, NULL, 0, 4 },
	{ "draws", N_("Draws"), N_("Draw entries and winners per day"),
	    N_("Per day of the draw, verified entries (blue, left) and entries offered a place (orange, right). The table below gives the numbers."),
	    N_("Draw entries and winners per day"), "", v_draws, 2, 3 },
};

static int
write_xhtml(struct report *r)
{
	FILE		*f;
	char		*tmp;
	const char	*lang = conf.default_language;
	int		 i;

	if ((f = start(r->dir, "report.xhtml", &tmp)) == NULL)
		return -1;
	xf(f, "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\""
	    " lang=\"%s\" xml:lang=\"%s\" dir=\"%s\">\n<head>\n"
	    "<meta charset=\"utf-8\"/>\n"
	    "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
	    "<title>%s — %s — %s / %s</title>\n</head>\n<body>\n<main>\n",
	    lang, lang, i18n_dir(lang), _("creneau report"), r->site_name,
	    r->from, r->to);
	xf(f, "<h1>%s: %s</h1>\n<p>%s %s — %s.</p>\n", _("Appointments report"),
	    r->site_name, _("From"), r->from, r->to);

	section(f, "totals", _("Totals of the period"));
	xf(f, "<table id=\"totals\">\n<caption>%s</caption>\n<thead><tr>"
	    "<th scope=\"col\">%s</th><th scope=\"col\">%s</th><th scope=\"col\">%s</th>"
	    "</tr></thead>\n<tbody>\n", _("Every figure that adds up, summed over the days, sites and procedures of the report; the same as the sum of the figure's rows in figures.csv."),
	    _("Figure"), _("Total"), _("Definition"));
	for (i = 0; i < r->ndefs; i++) {
		if (!r->defs[i].additive)
			continue;
		xf(f, "<tr><th scope=\"row\"><code>%w</code></th><td data-figure=\"%s\">%L</td><td>%s</td></tr>\n",
		    r->defs[i].figure, r->defs[i].figure, r->defs[i].total,
		    r->defs[i].definition);
	}
	fputs("</tbody>\n</table>\n</section>\n", f);

	for (i = 0; i < (int)(sizeof(sections) / sizeof(sections[0])); i++) {
		const struct section	*c = &sections[i];

		section(f, c->id, _(c->heading));
		if (c->which == 0)
			chart_wait(f, r);
		else if (c->which == 4)
			chart_channels(f, r);
		else
			chart_bars(f, r, arena_printf(arena, "%s-chart", c->id),
			    _(c->title), _(c->desc), c->unit, c->val, c->nseries);
		table_days(f, r, _(c->caption), c->which);
		fputs("</section>\n", f);
	}

	xf(f, "<p>%s</p>\n</main>\n</body>\n</html>\n",
	    _("The figures per day, site and procedure are in figures.csv, one row per appointment (pseudonyms only) in appointments.csv."));
	return finish(f, r->dir, "report.xhtml", tmp);
}

/* --- commands ------------------------------------------------------------------ */

static int
report(struct report *r)
{
	PGresult	*res;

	/* One snapshot of the database for every file. */
	if ((res = query(Q_BEGIN, NULL)) == NULL)
		return -1;
	PQclear(res);
	if ((res = query(Q_NOJIT, NULL)) == NULL)
		return -1;
	PQclear(res);
	r->site_name = _("all sites");
	r->site_id = NULL;
	if (r->site != NULL) {
		if ((res = query(Q_SITE, DB_ARGS({ "slug", r->site }))) == NULL)
			return -1;
		if (PQntuples(res) != 1) {
			PQclear(res);
			log_msg("report: no site %s", r->site);
			return -1;
		}
		r->site_id = arena_strdup(arena, db_get(res, 0, "id"));
		r->site_name = arena_strdup(arena, db_get(res, 0, "name"));
		PQclear(res);
	}
	if (mkdirs(r->dir) == -1) {
		log_msg("report: %s: %s", r->dir, strerror(errno));
		return -1;
	}
	progress(_("figures"));
	if (load_days(r) == -1 || load_defs(r) == -1 ||
	    write_figures(r) == -1)
		return -1;
	progress(_("appointments"));
	if (write_appointments(r) == -1)
		return -1;
	progress(_("charts"));
	if (load_waits(r) == -1 || write_xhtml(r) == -1)
		return -1;
	if ((res = query(Q_COMMIT, NULL)) != NULL)
		PQclear(res);
	return 0;
}

/* Runs write statement id and prints each row of its result: "what: n",
 * or "what: n label" where the result has a "what" column (named). */
static int
exec_print(enum q id, const char *what, int named, const struct db_arg *args)
{
	PGresult	*res;
	int		 i;

	progress(what);
	if ((res = query(id, args)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(res); i++) {
		if (tty)
			fputs("\r\033[K", stdout);
		if (named)
			printf("%s: %s %s\n", what, db_get(res, i, "n"),
			    db_get(res, i, "what"));
		else
			printf("%s: %s\n", what, db_get(res, i, "n"));
	}
	PQclear(res);
	return 0;
}

static int
purge(void)
{
	char	v[6][16];

	snprintf(v[0], 16, "%d", conf.retention_booking_days);
	snprintf(v[1], 16, "%d", conf.retention_hold_days);
	snprintf(v[2], 16, "%d", conf.retention_draw_days);
	snprintf(v[3], 16, "%d", conf.retention_alert_days);
	snprintf(v[4], 16, "%d", conf.retention_message_days);
	snprintf(v[5], 16, "%d", conf.retention_audit_days);
	return exec_print(Q_PURGE, "purge", 1, DB_ARGS({ "booking_days", v[0] },
	    { "hold_days", v[1] }, { "entry_days", v[2] },
	    { "alert_days", v[3] }, { "message_days", v[4] },
	    { "audit_days", v[5] }));
}

/* The report r is the latest of its site (or of all sites). */
static int
record(struct report *r)
{
	PGresult	*res;

	progress(_("recorded"));
	res = query(Q_RECORD, DB_ARGS({ "site_id", r->site_id },
	    { "from", r->from }, { "to", r->to }, { "directory", r->dir }));
	if (res == NULL)
		return -1;
	PQclear(res);
	return 0;
}

static int
usage(void)
{
	fprintf(stderr, "usage: creneau-report [-c configuration] [-s site]"
	    " [-f YYYY-MM-DD] [-t YYYY-MM-DD] [-o directory]"
	    " [report | snapshot | purge | publish | nightly]\n");
	return 2;
}

/* A real day written YYYY-MM-DD (the field table's pattern, then the
 * calendar). */
static int
valid_date(const char *s)
{
	return field_check(F_DATE, s, strlen(s)) == 0 && court_day_exists(s);
}

int
main(int argc, char *argv[])
{
	const char	*path = CRENEAU_CONF, *cmd = "report", *out = NULL;
	struct report	 r;
	char		 from[11], to[11], weeks[16];
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 ch, rc = 0, nightly, needs_w, needs_r;

	memset(&r, 0, sizeof(r));
	while ((ch = getopt(argc, argv, "c:s:f:t:o:")) != -1) {
		switch (ch) {
		case 'c': path = optarg; break;
		case 's': r.site = optarg; break;
		case 'f': r.from = optarg; break;
		case 't': r.to = optarg; break;
		case 'o': out = optarg; break;
		default: return usage();
		}
	}
	if (optind + 1 == argc)
		cmd = argv[optind];
	else if (optind != argc)
		return usage();
	nightly = strcmp(cmd, "nightly") == 0;
	needs_w = nightly || strcmp(cmd, "snapshot") == 0 ||
	    strcmp(cmd, "purge") == 0 || strcmp(cmd, "publish") == 0;
	needs_r = nightly || strcmp(cmd, "report") == 0;
	if (!needs_w && !needs_r)
		return usage();
	if (fields_init() == -1)
		return 1;
	if ((r.from != NULL && !valid_date(r.from)) ||
	    (r.to != NULL && !valid_date(r.to)))
		return usage();
	if (conf_load(path, &conf) == -1 || i18n_init(&conf) == -1)
		return 1;
	i18n_set(conf.default_language);
	if ((arena = arena_new(64 * 1024)) == NULL)
		return 1;
	if (needs_r && secret_load(conf.secret_file) == -1)
		return 1;
	tty = isatty(STDOUT_FILENO);
	/* Yesterday back report_days days, unless given. */
	localtime_r(&now, &tm);
	tm.tm_mday -= 1;
	tm.tm_hour = 12;
	mktime(&tm);
	strftime(to, sizeof(to), "%Y-%m-%d", &tm);
	tm.tm_mday -= conf.report_days - 1;
	mktime(&tm);
	strftime(from, sizeof(from), "%Y-%m-%d", &tm);
	if (r.from == NULL)
		r.from = from;
	if (r.to == NULL)
		r.to = to;
	if (strcmp(r.from, r.to) > 0)
		return usage();
	r.dir = out != NULL && !nightly ? out : arena_printf(arena, "%s/%s/%s_%s",
	    out != NULL ? out : conf.report_dir, r.site != NULL ? r.site : "all",
	    r.from, r.to);
	steps = (nightly ? 3 : needs_w) + (needs_r ? 3 : 0) + nightly;

	if (db_setup(&conf, "creneau-report", queries, Q_COUNT, NULL) == -1)
		return 1;
	if (nightly || strcmp(cmd, "snapshot") == 0)
		rc |= exec_print(Q_SNAPSHOT, "snapshot", 0, NULL);
	if (rc == 0 && (nightly || strcmp(cmd, "purge") == 0))
		rc |= purge();
	if (rc == 0 && (nightly || strcmp(cmd, "publish") == 0)) {
		snprintf(weeks, sizeof(weeks), "%d", conf.stats_weeks);
		rc |= exec_print(Q_PUBLISH, "publish", 0,
		    DB_ARGS({ "weeks", weeks }));
	}
	if (rc == 0 && nightly && r.site == NULL) {
		/* The report of all sites, then one per site (the back-office
		 * shows supervisors their sites' only). */
		PGresult	*sites = query(Q_SITES, NULL);
		const char	*base = out != NULL ? out : conf.report_dir;
		int		 i, n;

		if (sites == NULL)
			rc = -1;
		n = sites != NULL ? PQntuples(sites) : 0;
		steps += 4 * n;
		for (i = -1; rc == 0 && i < n; i++) {
			struct report	 one = r;

			one.site = i < 0 ? NULL :
			    arena_strdup(arena, db_get(sites, i, "slug"));
			one.dir = arena_printf(arena, "%s/%s/%s_%s", base,
			    one.site != NULL ? one.site : "all", r.from, r.to);
			rc = report(&one) == -1 || record(&one) == -1 ? -1 : 0;
			r.dir = one.dir;
		}
		PQclear(sites);
	} else if (rc == 0 && needs_r) {
		rc = report(&r) == -1 ? -1 : 0;
		if (rc == 0 && nightly)
			rc = record(&r);
	}
	if (rc == 0 && needs_r)
		progress_end(r.dir);
	else if (tty)
		fputs(rc == 0 ? "\r\033[K" : "\n", stdout);
	db_close();
	arena_free(arena);
	fields_free();
	conf_clear(&conf);
	return rc == 0 ? 0 : 1;
}
