/* GET /stats and /stats.csv: the public statistics (issue 14), per
 * prefecture and procedure over the last stats_weeks weeks: waits
 * (median, 90th percentile), first free date, places offered by channel,
 * draws and entries. Read from reporting.public_weekly, which creneau-report
 * refreshes every night: no personal data, and nothing computed here that
 * the report does not compute the same way (schema/code/reporting.sql). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "fmt.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "template.h"

#define MAX_WEEKS	110

struct week {
	const char	*day;
	long long	 places[4], draws, entries;
};

/* The columns of S_STATS_WEEKS, in the order of the CSV file, and those
 * of the places by channel. */
static const char *const column[16] = {
	"week", "site_slug", "site_name", "procedure_code", "procedure_name",
	"wait_count", "wait_median_days", "wait_p90_days", "first_free",
	"first_free_days", "places_online", "places_mediator",
	"places_counter", "places_court", "draws_held", "draw_entries"
};
static const char *const place_column[4] = {
	"places_online", "places_mediator", "places_counter", "places_court"
};

static PGresult *
weeks(struct req *r)
{
	return db_exec(r, S_STATS_WEEKS, DB_ARGS({ "weeks",
	    arena_printf(r->arena, "%d", r->conf->stats_weeks) }));
}

/* One CSV field into out (quoted when it must be). */
static char *
csv_field(struct req *r, char *out, const char *v, int last)
{
	const char	*p;
	size_t		 n = 0;
	char		*q, *s;

	if (strpbrk(v, ",\"\r\n") == NULL)
		return arena_printf(r->arena, "%s%s%s", out, v, last ? "\r\n" : ",");
	for (p = v; *p != '\0'; p++)
		n += *p == '"' ? 2 : 1;
	s = q = arena_alloc(r->arena, n + 3);
	*q++ = '"';
	for (p = v; *p != '\0'; p++) {
		if (*p == '"')
			*q++ = '"';
		*q++ = *p;
	}
	*q++ = '"';
	*q = '\0';
	return arena_printf(r->arena, "%s%s%s", out, s, last ? "\r\n" : ",");
}

int
page_stats_csv(struct req *r)
{
	static const char	*const head[] = { "week", "site", "organisation",
	    "procedure_code", "procedure", "wait_count", "wait_median_days",
	    "wait_p90_days", "first_free", "first_free_days", "places_online",
	    "places_mediator", "places_counter", "places_court", "draws_held",
	    "draw_entries" };
	PGresult	*res;
	char		*out = "";
	int		 i, k, n;

	if ((res = weeks(r)) == NULL)
		return db_fail(r);
	for (k = 0; k < 16; k++)
		out = csv_field(r, out, head[k], k == 15);
	n = PQntuples(res);
	for (i = 0; i < n; i++)
		for (k = 0; k < 16; k++)
			out = csv_field(r, out, db_get(res, i, column[k]), k == 15);
	resp_header(r, "Content-Disposition",
	    "attachment; filename=\"creneau-statistics.csv\"");
	return resp_send(r, 200, "text/csv; charset=utf-8", out, strlen(out));
}

/* The stacked bar of week i of n. */
static void
fill_bar(struct req *r, struct tpl *t, struct tnode *g, const struct week *w,
    int i, int n, long long max)
{
	static const char	*const marks[] = { "bar-online", "bar-mediator",
	    "bar-counter", "bar-court" };
	int	slot = (624 - 56) / (n > 0 ? n : 1), base = 220, k;

	for (k = 0; k < 4; k++) {
		int	h = max > 0 ? (int)(w->places[k] * 200 / max) : 0;
		struct tnode	*rect = tpl_get(t, g, marks[k]);

		base -= h;
		tpl_attr(rect, "x", arena_printf(r->arena, "%d", 56 + i * slot + 2));
		tpl_attr(rect, "y", arena_printf(r->arena, "%d", base));
		tpl_attr(rect, "width", arena_printf(r->arena, "%d", slot > 4 ? slot - 4 : 1));
		tpl_attr(rect, "height", arena_printf(r->arena, "%d", h));
	}
}

static const char *
num(struct req *r, long long v)
{
	return arena_printf(r->arena, "%lld", v);
}

int
page_stats(struct req *r)
{
	PGresult	*res;
	struct tpl	*t;
	struct tnode	*pair, *week, *bar;
	struct week	 w[MAX_WEEKS];
	long long	 max = 0;
	int		 i, j, k, n, nw = 0;

	if ((res = weeks(r)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "stats")) == NULL)
		return -1;
	memset(w, 0, sizeof(w));
	n = PQntuples(res);
	/* Weeks, every pair summed. */
	for (i = 0; i < n; i++) {
		const char	*day = db_get(res, i, "week");

		for (j = 0; j < nw && strcmp(w[j].day, day) != 0; j++)
			;
		if (j == nw) {
			if (nw == MAX_WEEKS)
				continue;
			/* Keep them in order: insert sorted. */
			for (j = nw; j > 0 && strcmp(w[j - 1].day, day) > 0; j--)
				w[j] = w[j - 1];
			memset(&w[j], 0, sizeof(w[j]));
			w[j].day = day;
			nw++;
		}
		for (k = 0; k < 4; k++)
			w[j].places[k] += atoll(db_get(res, i, place_column[k]));
		w[j].draws += atoll(db_get(res, i, "draws_held"));
		w[j].entries += atoll(db_get(res, i, "draw_entries"));
	}
	for (j = 0; j < nw; j++) {
		long long	sum = w[j].places[0] + w[j].places[1] +
		    w[j].places[2] + w[j].places[3];

		if (sum > max)
			max = sum;
	}
	if (nw > 0)
		tpl_text(tpl_get(t, NULL, "period"), arena_printf(r->arena,
		    _("Weeks from %s to %s."), fmt_date(r->arena, w[0].day),
		    fmt_date(r->arena, w[nw - 1].day)));
	else
		tpl_remove(tpl_get(t, NULL, "period"));
	tpl_text(tpl_get(t, NULL, "y-max"), num(r, max));
	bar = tpl_get(t, NULL, "bar");
	week = tpl_get(t, NULL, "week");
	for (j = 0; j < nw; j++) {
		struct tnode	*row = tpl_clone(week);

		fill_bar(r, t, tpl_clone(bar), &w[j], j, nw, max);
		tpl_text(tpl_get(t, row, "week-day"), fmt_date(r->arena, w[j].day));
		tpl_text(tpl_get(t, row, "week-online"), num(r, w[j].places[0]));
		tpl_text(tpl_get(t, row, "week-mediator"), num(r, w[j].places[1]));
		tpl_text(tpl_get(t, row, "week-counter"), num(r, w[j].places[2]));
		tpl_text(tpl_get(t, row, "week-court"), num(r, w[j].places[3]));
		tpl_text(tpl_get(t, row, "week-draws"), num(r, w[j].draws));
		tpl_text(tpl_get(t, row, "week-entries"), num(r, w[j].entries));
	}
	tpl_remove(bar);
	tpl_remove(week);

	/* One row per site and procedure (rows come grouped, weeks in order). */
	pair = tpl_get(t, NULL, "pair");
	for (i = 0; i < n; i = j) {
		struct tnode	*row = tpl_clone(pair);
		const char	*median = "–", *p90 = "–", *ff = "–";
		long long	 places = 0, draws = 0, entries = 0;

		for (j = i; j < n && strcmp(db_get(res, j, "site_slug"), db_get(res, i, "site_slug")) == 0 &&
		    strcmp(db_get(res, j, "procedure_code"), db_get(res, i, "procedure_code")) == 0; j++) {
			if (atoi(db_get(res, j, "wait_count")) > 0) {
				median = db_get(res, j, "wait_median_days");
				p90 = db_get(res, j, "wait_p90_days");
			}
			if (*db_get(res, j, "first_free") != '\0')
				ff = fmt_date(r->arena, db_get(res, j, "first_free"));
			for (k = 0; k < 4; k++)
				places += atoll(db_get(res, j, place_column[k]));
			draws += atoll(db_get(res, j, "draws_held"));
			entries += atoll(db_get(res, j, "draw_entries"));
		}
		tpl_text(tpl_get(t, row, "pair-site"), db_get(res, i, "site_name"));
		tpl_lang(r, tpl_get(t, row, "pair-site"), "fr");
		tpl_text(tpl_get(t, row, "pair-procedure"), db_get(res, i, "procedure_name"));
		tpl_lang(r, tpl_get(t, row, "pair-procedure"), "fr");
		tpl_text(tpl_get(t, row, "pair-median"), median);
		tpl_text(tpl_get(t, row, "pair-p90"), p90);
		tpl_text(tpl_get(t, row, "pair-first-free"), ff);
		tpl_text(tpl_get(t, row, "pair-places"), num(r, places));
		tpl_text(tpl_get(t, row, "pair-draws"), num(r, draws));
		tpl_text(tpl_get(t, row, "pair-entries"), num(r, entries));
	}
	tpl_remove(pair);
	if (n > 0)
		tpl_remove(tpl_get(t, NULL, "no-data"));
	return tpl_send(r, t, 200);
}
