/* GET /agent/reports: the latest nightly report of each site of a
 * supervisor (administrators: every site, and the report of all sites),
 * written by creneau-report nightly (reporting.runs, schema/024).
 * GET /agent/report/<run>/<file>: one of its files (report, figures,
 * appointments), for the same accounts only: the scope is checked again
 * in SQL for the run asked, so a guessed run id of another site is 404. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

#define REPORT_MAX	(64 * 1024 * 1024)

int
page_agent_reports(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*l;
	int		 i, n;

	if (staff_require(r, ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	if ((l = db_exec(r, S_REPORT_RUNS, DB_ARGS({ "account", r->staff->id })))
	    == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_reports")) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "scope"), r->staff->role == ROLE_ADMIN ?
	    _("Every site, and the report of all sites.") :
	    _("The sites you supervise."));
	proto = tpl_get(t, NULL, "row");
	n = PQntuples(l);
	for (i = 0; i < n; i++) {
		const char	*id = db_get(l, i, "run_id");

		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "row-site"), *db_get(l, i, "site_slug") != '\0' ?
		    db_get(l, i, "site_name") : _("All sites"));
		tpl_text(tpl_get(t, row, "row-period"), arena_printf(r->arena,
		    _("%s to %s"), db_get(l, i, "date_from"), db_get(l, i, "date_to")));
		tpl_text(tpl_get(t, row, "row-made"), db_get(l, i, "made_at"));
		tpl_attr(tpl_get(t, row, "row-view"), "href",
		    route_url(r, R_AGENT_REPORT, id, "report"));
		tpl_attr(tpl_get(t, row, "row-figures"), "href",
		    route_url(r, R_AGENT_REPORT, id, "figures"));
		tpl_attr(tpl_get(t, row, "row-appointments"), "href",
		    route_url(r, R_AGENT_REPORT, id, "appointments"));
	}
	tpl_remove(proto);
	if (n == 0)
		tpl_remove(tpl_get(t, NULL, "table"));
	else
		tpl_remove(tpl_get(t, NULL, "none"));
	return tpl_send(r, t, 200);
}

/* Reads path whole into the arena; NULL when it cannot. */
static char *
slurp(struct req *r, const char *path, size_t *len)
{
	struct stat	 st;
	char		*buf;
	ssize_t		 got;
	size_t		 off = 0;
	int		 fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW)) == -1)
		return NULL;
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode) || st.st_size > REPORT_MAX ||
	    (buf = arena_alloc(r->arena, (size_t)st.st_size + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (off < (size_t)st.st_size &&
	    (got = read(fd, buf + off, (size_t)st.st_size - off)) > 0)
		off += (size_t)got;
	close(fd);
	buf[off] = '\0';
	*len = off;
	return buf;
}

int
page_agent_report(struct req *r)
{
	static const struct {
		const char	*name, *file, *type;
		int		 attach;
	} files[] = {
		{ "report", "report.xhtml", "text/html; charset=utf-8", 0 },
		{ "figures", "figures.csv", "text/csv; charset=utf-8", 1 },
		{ "appointments", "appointments.csv", "text/csv; charset=utf-8", 1 },
	};
	PGresult	*run;
	char		*body;
	size_t		 i, len;

	if (staff_require(r, ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++)
		if (strcmp(files[i].name, r->args[1]) == 0)
			break;
	if (i == sizeof(files) / sizeof(files[0]))
		return resp_error(r, 404, N_("There is no such file in a report. Go back to the list of reports."));
	if ((run = db_exec(r, S_REPORT_RUN, DB_ARGS({ "account", r->staff->id },
	    { "run_id", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(run) != 1)
		return resp_error(r, 404, N_("There is no report at this address for your sites. Go back to the list of reports."));
	body = slurp(r, arena_printf(r->arena, "%s/%s", db_get(run, 0, "directory"),
	    files[i].file), &len);
	if (body == NULL) {
		log_msg("report %s: %s/%s: %s", r->args[0], db_get(run, 0, "directory"),
		    files[i].file, strerror(errno));
		return resp_error(r, 404, N_("This report's files are no longer on the server. A new report is made every night."));
	}
	/* Read here, the report takes the back-office's style sheet (its
	 * tables scroll sideways on a phone); the file stays self-contained. */
	if (!files[i].attach) {
		const char	*head = strstr(body, "</head>");

		if (head != NULL) {
			body = arena_printf(r->arena, "%.*s<link rel=\"stylesheet\""
			    " href=\"/static/creneau.css\"/>\n%s", (int)(head - body),
			    body, head);
			len = strlen(body);
		}
	}
	if (files[i].attach)
		resp_header(r, "Content-Disposition", arena_printf(r->arena,
		    "attachment; filename=\"creneau-%s-%s_%s-%s\"", db_get(run, 0, "site_slug"),
		    db_get(run, 0, "date_from"), db_get(run, 0, "date_to"), files[i].file));
	return resp_send(r, 200, files[i].type, body, len);
}
