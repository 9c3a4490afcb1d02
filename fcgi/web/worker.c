/* The worker (see worker.h). SIGTERM while idle exits at once; while
 * busy, the request finishes first. */
#include "config.h"

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "i18n.h"
#include "hosts.h"
#include "log.h"
#include "req.h"
#include "request.h"
#include "response.h"
#include "routes.h"

static volatile sig_atomic_t	 busy, stopping;

/* SIGTERM: leave now when idle, after the current request otherwise.
 * The sanitiser build leaves through the end of worker_run instead (the
 * signal interrupts poll or accept), so that LeakSanitizer checks the
 * worker once it has freed what it owns (supervisor.c, spawn). */
static void
on_term(int sig)
{
	(void)sig;
	stopping = 1;
#ifndef CRENEAU_SANITIZERS
	if (!busy)
		_exit(0);
#endif
}

/* Returns the method of a REQUEST_METHOD value. */
static enum method
method_of(const char *m)
{
	if (m == NULL)
		return M_OTHER;
	if (strcmp(m, "GET") == 0)
		return M_GET;
	if (strcmp(m, "HEAD") == 0)
		return M_HEAD;
	if (strcmp(m, "POST") == 0)
		return M_POST;
	return M_OTHER;
}

/* Returns 1 when the content type is a urlencoded form (any charset
 * parameter must be UTF-8). */
static int
is_form(const char *ct)
{
	static const char form[] = "application/x-www-form-urlencoded";
	const char	*p;

	if (ct == NULL || strncasecmp(ct, form, sizeof(form) - 1) != 0)
		return 0;
	p = ct + sizeof(form) - 1;
	while (*p == ' ')
		p++;
	if (*p == '\0')
		return 1;
	if (*p != ';')
		return 0;
	p++;
	while (*p == ' ')
		p++;
	return strcasecmp(p, "charset=utf-8") == 0 ||
	    strcasecmp(p, "charset=\"utf-8\"") == 0;
}

/* Reads and parses the POST body; returns 0 or answers the error itself
 * and returns -1. */
static int
read_form(struct req *r, const struct limits *l)
{
	const char		*cl, *ct;
	char			*body, *end;
	unsigned long		 len;
	int			 got;
	enum parse_status	 st;

	ct = FCGX_GetParam("CONTENT_TYPE", r->fcgx->envp);
	cl = FCGX_GetParam("CONTENT_LENGTH", r->fcgx->envp);
	if (cl == NULL || *cl == '\0') {
		if (ct == NULL || *ct == '\0')
			return 0;	/* an empty POST */
		resp_error(r, 411, NULL);
		return -1;
	}
	len = strtoul(cl, &end, 10);
	if (*end != '\0') {
		resp_error(r, 400, NULL);
		return -1;
	}
	if (len > l->max_body) {
		resp_error(r, 413, NULL);
		return -1;
	}
	if (len > 0 && !is_form(ct)) {
		resp_error(r, 415, NULL);
		return -1;
	}
	if ((body = arena_alloc(r->arena, len + 1)) == NULL)
		return -1;
	got = len > 0 ? FCGX_GetStr(body, (int)len, r->fcgx->in) : 0;
	if (got < 0 || (unsigned long)got != len) {
		resp_error(r, 400, N_("The form arrived incomplete. Send it again."));
		return -1;
	}
	body[len] = '\0';
	if ((st = parse_urlencoded(r->arena, body, len, l, &r->form)) != PARSE_OK) {
		resp_error(r, st == PARSE_NOMEM ? 500 : 400, parse_status_text(st));
		return -1;
	}
	return 0;
}

/* Splits "host[:port]" (IPv6 in brackets) at *hostport into the host
 * (copied into host, lower-cased) and the port (0 when absent); returns
 * 0, or -1 when it does not fit or is malformed. */
static int
split_host(const char *hostport, char *host, size_t size, unsigned long *port)
{
	const char	*end, *colon;
	char		*e;
	size_t		 n, i;

	*port = 0;
	if (*hostport == '[') {
		if ((end = strchr(hostport, ']')) == NULL)
			return -1;
		end++;
		colon = *end == ':' ? end : NULL;
		if (*end != '\0' && colon == NULL)
			return -1;
	} else {
		colon = strrchr(hostport, ':');
		end = colon != NULL ? colon : hostport + strlen(hostport);
	}
	n = (size_t)(end - hostport);
	if (n == 0 || n >= size)
		return -1;
	for (i = 0; i < n; i++)
		host[i] = (char)(hostport[i] >= 'A' && hostport[i] <= 'Z' ?
		    hostport[i] + 32 : hostport[i]);
	host[n] = '\0';
	if (colon != NULL) {
		*port = strtoul(colon + 1, &e, 10);
		if (colon[1] == '\0' || *e != '\0' || *port == 0 || *port > 65535)
			return -1;
	}
	return 0;
}

/* Returns 1 when a POST comes from another site: Sec-Fetch-Site says
 * "cross-site", or Origin is there and is not this site (the scheme, the
 * host and the port the request came to: HTTP_HOST, with SERVER_PORT when
 * nginx gave the host without its port). A request with neither header
 * (lynx, old browsers) is not refused; the per-form tokens still apply. */
static int
cross_site(struct req *r)
{
	char		**env = r->fcgx->envp;
	const char	*sfs = FCGX_GetParam("HTTP_SEC_FETCH_SITE", env);
	const char	*origin = FCGX_GetParam("HTTP_ORIGIN", env);
	const char	*https = FCGX_GetParam("HTTPS", env);
	const char	*scheme = FCGX_GetParam("REQUEST_SCHEME", env);
	const char	*hosthdr = FCGX_GetParam("HTTP_HOST", env);
	const char	*sport = FCGX_GetParam("SERVER_PORT", env);
	const char	*rest;
	char		 ohost[256], rhost[256];
	unsigned long	 oport, rport, dflt;
	int		 secure;

	if (sfs != NULL && strcasecmp(sfs, "cross-site") == 0)
		return 1;
	if (origin == NULL)
		return 0;
	secure = (https != NULL && (strcasecmp(https, "on") == 0 ||
	    strcmp(https, "1") == 0)) ||
	    (scheme != NULL && strcasecmp(scheme, "https") == 0);
	dflt = secure ? 443 : 80;
	if (strncasecmp(origin, secure ? "https://" : "http://",
	    secure ? 8 : 7) != 0)
		return 1;	/* another scheme, or "null" */
	rest = origin + (secure ? 8 : 7);
	if (hosthdr == NULL || strchr(rest, '/') != NULL ||
	    split_host(rest, ohost, sizeof(ohost), &oport) == -1 ||
	    split_host(hosthdr, rhost, sizeof(rhost), &rport) == -1)
		return 1;
	if (oport == 0)
		oport = dflt;
	if (rport == 0 && (sport == NULL || (rport = strtoul(sport, NULL, 10)) == 0))
		rport = dflt;
	return strcmp(ohost, rhost) != 0 || oport != rport;
}

/* Returns the value of a well-formed "lang=xx" pair of the query string
 * qs (2 or 3 lower-case letters), even when the rest of qs is malformed;
 * NULL when there is none. */
static const char *
lang_in_query(struct req *r, const char *qs)
{
	const char	*p = qs, *end;
	size_t		 n;

	while (p != NULL && *p != '\0') {
		end = strchr(p, '&');
		n = end != NULL ? (size_t)(end - p) : strlen(p);
		if (n >= 7 && n <= 8 && strncmp(p, "lang=", 5) == 0 &&
		    strspn(p + 5, "abcdefghijklmnopqrstuvwxyz") == n - 5)
			return arena_strndup(r->arena, p + 5, n - 5);
		p = end != NULL ? end + 1 : NULL;
	}
	return NULL;
}

/* Parses the request, picks the route and language, runs the handler;
 * whatever happens, exactly one response is written. */
static void
handle(struct req *r)
{
	const struct conf	*c = r->conf;
	struct limits		 l = { c->max_body, c->max_fields, c->max_field_length };
	const char		*qs, *uri, *lang_cookie;
	enum parse_status	 st, cst;
	int			 bad_arg;

	r->method_name = FCGX_GetParam("REQUEST_METHOD", r->fcgx->envp);
	r->method = method_of(r->method_name);
	qs = FCGX_GetParam("QUERY_STRING", r->fcgx->envp);
	/* The language first, so that even an error page is in the
	 * reader's language: ?lang= (read leniently, the query may be
	 * malformed), the cookie, Accept-Language. */
	cst = parse_cookies(r->arena, FCGX_GetParam("HTTP_COOKIE",
	    r->fcgx->envp), &l, &r->cookies);
	lang_cookie = cst == PARSE_OK ? params_get(&r->cookies, "lang") : NULL;
	r->lang = i18n_pick(c, lang_in_query(r, qs), lang_cookie,
	    FCGX_GetParam("HTTP_ACCEPT_LANGUAGE", r->fcgx->envp));
	i18n_set(r->lang);
	if (r->method == M_OTHER) {
		resp_error(r, 405, NULL);
		return;
	}
	if (cst != PARSE_OK) {
		resp_error(r, 400, parse_status_text(cst));
		return;
	}
	uri = FCGX_GetParam("DOCUMENT_URI", r->fcgx->envp);
	if (uri == NULL)
		uri = FCGX_GetParam("SCRIPT_NAME", r->fcgx->envp);
	if (uri == NULL || *uri != '/' || strlen(uri) > 1024 ||
	    !text_clean((const unsigned char *)uri, strlen(uri), 0)) {
		resp_error(r, 400, NULL);
		return;
	}
	r->path = uri;
	if (qs != NULL && (st = parse_urlencoded(r->arena, qs, strlen(qs), &l,
	    &r->query)) != PARSE_OK) {
		resp_error(r, 400, parse_status_text(st));
		return;
	}
	if ((r->route = route_match(r->path, r->args, r->argbuf,
	    sizeof(r->argbuf), &bad_arg)) == NULL) {
		resp_error(r, 404, NULL);
		return;
	}
	if ((r->route->methods & r->method) == 0) {
		resp_header(r, "Allow", r->route->methods & M_POST ?
		    "GET, HEAD, POST" : "GET, HEAD");
		resp_error(r, 405, NULL);
		return;
	}
	if (r->method == M_POST && cross_site(r)) {
		resp_error(r, 403, N_("This form was sent from another website, so nothing was done. If you meant to send it, open this site's page yourself and send the form from there."));
		return;
	}
	if (r->method == M_POST && read_form(r, &l) == -1)
		return;
	if (r->route->handler(r) == -1 || r->status == 0) {
		if (*r->incident == '\0')
			resp_new_incident(r);
		log_msg("%s: handler failed, incident %s", r->route->name,
		    r->incident);
		resp_error(r, 500, NULL);
	}
}

/* Returns milliseconds elapsed since t0. */
static double
since(const struct timespec *t0)
{
	struct timespec	 t1;

	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (double)(t1.tv_sec - t0->tv_sec) * 1e3 +
	    (double)(t1.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Accepts and answers requests on listen_fd until SIGTERM; returns the
 * process exit status. */
int
worker_run(const struct conf *c, int listen_fd)
{
	struct sigaction	 sa;
	FCGX_Request		 fx;
	struct arena		*a;
	struct req		 r;
	struct timespec		 t0;
	struct pollfd		 pfd;
	int			 failures = 0, ready;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_term;
	sigaction(SIGTERM, &sa, NULL);
	sa.sa_handler = SIG_IGN;
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGPIPE, &sa, NULL);
	sa.sa_handler = SIG_DFL;
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	if ((a = arena_new(64 * 1024)) == NULL)
		return 1;
	if (db_setup(c, "creneau-fcgi", statements, STMT_COUNT, NULL) == -1)
		return 1;
	if (FCGX_InitRequest(&fx, listen_fd, FCGI_FAIL_ACCEPT_ON_INTR) != 0)
		return 1;
	while (!stopping) {
		/* Idle, this host still says it is alive once a second
		 * (hosts.c): of the workers woken by a connection, those that
		 * lose it wait in accept, but the last one to answer a
		 * request comes back here. */
		pfd.fd = listen_fd;
		pfd.events = POLLIN;
		if ((ready = poll(&pfd, 1, HOSTS_BEAT_MS)) == 0) {
			hosts_tick(c, a);
			arena_reset(a);
			continue;
		}
		if (ready < 0 && errno == EINTR)
			continue;
		if (FCGX_Accept_r(&fx) < 0) {
			if (errno != EINTR && ++failures > 100) {
				log_msg("accept keeps failing: %s", strerror(errno));
				return 1;
			}
			continue;
		}
		failures = 0;
		busy = 1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		memset(&r, 0, sizeof(r));
		r.arena = a;
		r.conf = c;
		r.fcgx = &fx;
		handle(&r);
		if (r.status == 0)
			resp_error(&r, 500, NULL);
		log_access(r.method_name != NULL ? r.method_name : "-",
		    r.route != NULL ? r.route->name : "-", r.status,
		    (unsigned long)r.bytes, since(&t0), r.incident);
		FCGX_Finish_r(&fx);
		/* Once the answer is sent: this host is alive (at most once
		 * a second for the host, hosts.c). */
		arena_reset(a);
		hosts_tick(c, a);
		arena_reset(a);
		busy = 0;
	}
	db_close();
	arena_free(a);
	return 0;
}
