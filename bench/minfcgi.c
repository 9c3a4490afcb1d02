/* bench/minfcgi.c: the ceilings of the benchmark (script/bench), NOT part
 * of creneau. The least a FastCGI program does behind the same nginx, with
 * the same library (libfcgi) and as many worker processes as creneau-fcgi:
 *
 *   minfcgi SOCKET WORKERS static
 *       answers every request with a 2 KB XHTML page;
 *   minfcgi SOCKET WORKERS pg CONNINFO
 *       answers with one prepared PostgreSQL query (20 rows of the sites
 *       table, or of a generated series when it has fewer) rendered as an
 *       HTML table of about 2 KB, one connection per worker.
 *
 * The parent opens the socket, forks the workers and waits; TERM stops
 * them all. Built by script/bench with cc; never installed. */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <libpq-fe.h>

#define MAX_WORKERS	64

/* 20 rows: the sites, padded with a series when there are fewer. */
static const char query[] =
    "SELECT slug, name, city FROM ("
    "  SELECT slug, name, city, 0 AS o, id FROM sites"
    "  UNION ALL"
    "  SELECT 'site-' || i, 'Site ' || i, 'Ville', 1, i FROM generate_series(1, 20) i"
    ") x ORDER BY o, id LIMIT 20";

static pid_t	 children[MAX_WORKERS];
static int	 nchildren;

static void
on_term(int sig)
{
	int	 i;

	(void)sig;
	for (i = 0; i < nchildren; i++)
		kill(children[i], SIGTERM);
	_exit(0);
}

/* Writes s, HTML-escaped. */
static void
put_escaped(FCGX_Stream *out, const char *s)
{
	for (; *s != '\0'; s++) {
		switch (*s) {
		case '<': FCGX_PutS("&lt;", out); break;
		case '>': FCGX_PutS("&gt;", out); break;
		case '&': FCGX_PutS("&amp;", out); break;
		case '"': FCGX_PutS("&quot;", out); break;
		default: FCGX_PutChar(*s, out);
		}
	}
}

static const char http_head[] =
    "Status: 200 OK\r\n"
    "Content-Type: text/html; charset=utf-8\r\n"
    "Cache-Control: no-store\r\n\r\n";
static const char head[] =
    "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"fr\">"
    "<head><meta charset=\"utf-8\"/><title>minfcgi</title></head><body><main>\n";

static void
serve_static(int sock)
{
	FCGX_Request	 req;
	char		 body[2048];
	size_t		 n;

	/* A 2 KB page (headers excluded). */
	n = (size_t)snprintf(body, sizeof(body), "%s", head);
	while (n < sizeof(body) - 40)
		n += (size_t)snprintf(body + n, sizeof(body) - n,
		    "<p>Lorem ipsum dolor sit amet, %zu.</p>\n", n);
	n += (size_t)snprintf(body + n, sizeof(body) - n, "</main></body></html>\n");
	FCGX_InitRequest(&req, sock, 0);
	while (FCGX_Accept_r(&req) == 0) {
		FCGX_PutS(http_head, req.out);
		FCGX_PutStr(body, (int)n, req.out);
		FCGX_Finish_r(&req);
	}
}

static PGconn *
connect_db(const char *conninfo)
{
	PGconn		*db = PQconnectdb(conninfo);
	PGresult	*res;

	if (PQstatus(db) != CONNECTION_OK) {
		fprintf(stderr, "minfcgi: %s", PQerrorMessage(db));
		PQfinish(db);
		return NULL;
	}
	res = PQprepare(db, "rows", query, 0, NULL);
	if (PQresultStatus(res) != PGRES_COMMAND_OK) {
		fprintf(stderr, "minfcgi: prepare: %s", PQerrorMessage(db));
		PQclear(res);
		PQfinish(db);
		return NULL;
	}
	PQclear(res);
	return db;
}

static void
serve_pg(int sock, const char *conninfo)
{
	FCGX_Request	 req;
	PGconn		*db;
	PGresult	*res;
	int		 i, n;

	if ((db = connect_db(conninfo)) == NULL)
		exit(1);
	FCGX_InitRequest(&req, sock, 0);
	while (FCGX_Accept_r(&req) == 0) {
		res = PQexecPrepared(db, "rows", 0, NULL, NULL, NULL, 0);
		if (PQresultStatus(res) != PGRES_TUPLES_OK) {
			PQclear(res);
			FCGX_PutS("Status: 503 Service Unavailable\r\n"
			    "Content-Type: text/plain\r\n\r\ndatabase\n", req.out);
			FCGX_Finish_r(&req);
			if (PQstatus(db) != CONNECTION_OK) {
				PQfinish(db);
				if ((db = connect_db(conninfo)) == NULL)
					exit(1);
			}
			continue;
		}
		FCGX_PutS(http_head, req.out);
		FCGX_PutS(head, req.out);
		FCGX_PutS("<table><thead><tr><th>Site</th><th>Nom</th>"
		    "<th>Ville</th></tr></thead><tbody>\n", req.out);
		n = PQntuples(res);
		for (i = 0; i < n; i++) {
			FCGX_PutS("<tr><td><a href=\"/site/", req.out);
			put_escaped(req.out, PQgetvalue(res, i, 0));
			FCGX_PutS("\">", req.out);
			put_escaped(req.out, PQgetvalue(res, i, 0));
			FCGX_PutS("</a></td><td>", req.out);
			put_escaped(req.out, PQgetvalue(res, i, 1));
			FCGX_PutS("</td><td>", req.out);
			put_escaped(req.out, PQgetvalue(res, i, 2));
			FCGX_PutS("</td></tr>\n", req.out);
		}
		FCGX_PutS("</tbody></table></main></body></html>\n", req.out);
		PQclear(res);
		FCGX_Finish_r(&req);
	}
	PQfinish(db);
}

int
main(int argc, char **argv)
{
	int		 sock, workers, i, st;
	pid_t		 pid;

	if (argc < 4 || (strcmp(argv[3], "pg") == 0 && argc < 5)) {
		fprintf(stderr, "usage: minfcgi SOCKET WORKERS static|pg [CONNINFO]\n");
		return 2;
	}
	workers = atoi(argv[2]);
	if (workers < 1 || workers > MAX_WORKERS)
		workers = 1;
	if (FCGX_Init() != 0)
		return 1;
	unlink(argv[1]);
	if ((sock = FCGX_OpenSocket(argv[1], 1024)) < 0) {
		fprintf(stderr, "minfcgi: cannot open %s\n", argv[1]);
		return 1;
	}
	signal(SIGTERM, on_term);
	signal(SIGINT, on_term);
	for (i = 0; i < workers; i++) {
		if ((pid = fork()) == -1) {
			perror("minfcgi: fork");
			on_term(0);
		}
		if (pid == 0) {
			signal(SIGTERM, SIG_DFL);
			signal(SIGINT, SIG_DFL);
			if (strcmp(argv[3], "pg") == 0)
				serve_pg(sock, argv[4]);
			else
				serve_static(sock);
			_exit(0);
		}
		children[nchildren++] = pid;
	}
	while (wait(&st) > 0 || errno == EINTR)
		;
	return 0;
}
