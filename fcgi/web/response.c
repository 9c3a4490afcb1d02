/* Answers (see response.h). Every response carries the security headers
 * and a charset; HEAD gets the headers of GET and no body. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "arena.h"
#include "conf.h"
#include "i18n.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "template.h"

static const struct header security_headers[] = {
	{ "Content-Security-Policy", "default-src 'none'; style-src 'self'; "
	    "img-src 'self'; form-action 'self'; frame-ancestors 'none'; "
	    "base-uri 'none'" },
	{ "X-Content-Type-Options", "nosniff" },
	{ "Referrer-Policy", "same-origin" },
	{ "X-Frame-Options", "DENY" },
	{ "Cross-Origin-Opener-Policy", "same-origin" },
	{ "Permissions-Policy", "camera=(), microphone=(), geolocation=()" },
};

/* Returns the reason phrase of an HTTP status code. */
const char *
resp_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 303: return "See Other";
	case 304: return "Not Modified";
	case 400: return "Bad Request";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 411: return "Length Required";
	case 413: return "Content Too Large";
	case 415: return "Unsupported Media Type";
	case 422: return "Unprocessable Content";
	case 429: return "Too Many Requests";
	case 500: return "Internal Server Error";
	case 503: return "Service Unavailable";
	default: return "Unknown";
	}
}

/* Adds a response header (name and value must live until the response is
 * written); returns 0, or -1 when there are too many or one has a CR/LF. */
int
resp_header(struct req *r, const char *name, const char *value)
{
	if (r->nheaders == sizeof(r->headers) / sizeof(r->headers[0]) ||
	    strpbrk(name, "\r\n:") != NULL || strpbrk(value, "\r\n") != NULL)
		return -1;
	r->headers[r->nheaders].name = name;
	r->headers[r->nheaders].value = value;
	r->nheaders++;
	return 0;
}

/* Returns 1 when the handler already set header name. */
static int
has_header(const struct req *r, const char *name)
{
	size_t	 i;

	for (i = 0; i < r->nheaders; i++)
		if (strcasecmp(r->headers[i].name, name) == 0)
			return 1;
	return 0;
}

/* Marks the answer as the same for every reader of its language: a page
 * that shows no personal data, no form token, and nothing that depends on
 * the reader's cookies but the language (the home page, a site, a
 * calendar). Such an answer says "Cache-Control: public, max-age=1", so
 * that nginx's micro-cache (conf/nginx) can serve a crowd refreshing it
 * with one request a second to the workers; every other answer says
 * "private, no-store". */
void
resp_shareable(struct req *r)
{
	r->shareable = 1;
}

/* Whether the answer with status may be shared (see resp_shareable): a
 * 200 to a GET or HEAD that sets no cookie, from a handler that said so. */
static int
shared(const struct req *r, int status)
{
	return r->shareable && status == 200 &&
	    (r->method == M_GET || r->method == M_HEAD) &&
	    !has_header(r, "Set-Cookie");
}

/* Appends "name: value\r\n" to the header block at *buf; 0 or -1. */
static int
add_line(struct req *r, char **buf, const char *name, const char *value)
{
	*buf = arena_printf(r->arena, "%s%s: %s\r\n", *buf, name, value);
	return *buf != NULL ? 0 : -1;
}

/* Writes the status, headers and (unless HEAD) the body; returns 0, or -1
 * when a response was already sent or the client went away. The header
 * block is formatted with the C library, not libfcgi's own printf. */
int
resp_send(struct req *r, int status, const char *ctype, const char *body,
    size_t len)
{
	char	*h;
	size_t	 i;
	int	 rc = 0;

	if (r->status != 0)
		return -1;
	r->status = status;
	r->bytes = r->method == M_HEAD ? 0 : len;
	if (r->fcgx == NULL)
		return 0;
	h = arena_printf(r->arena, "Status: %d %s\r\nContent-Length: %zu\r\n",
	    status, resp_reason(status), len);
	if (h == NULL)
		return -1;
	if (ctype != NULL)
		rc |= add_line(r, &h, "Content-Type", ctype);
	for (i = 0; i < sizeof(security_headers) / sizeof(security_headers[0]); i++)
		rc |= add_line(r, &h, security_headers[i].name,
		    security_headers[i].value);
	if (!has_header(r, "Cache-Control")) {
		if (shared(r, status)) {
			rc |= add_line(r, &h, "Cache-Control", "public, max-age=1");
			rc |= add_line(r, &h, "Vary", "Accept-Language, Cookie");
		} else
			rc |= add_line(r, &h, "Cache-Control", "private, no-store");
	}
	if (!has_header(r, "Content-Language") && r->lang != NULL)
		rc |= add_line(r, &h, "Content-Language", r->lang);
	for (i = 0; i < r->nheaders; i++)
		rc |= add_line(r, &h, r->headers[i].name, r->headers[i].value);
	if (rc != 0)
		return -1;
	if (FCGX_PutS(h, r->fcgx->out) < 0 || FCGX_PutS("\r\n", r->fcgx->out) < 0)
		return -1;
	if (r->method != M_HEAD && len > 0 &&
	    FCGX_PutStr(body, (int)len, r->fcgx->out) != (int)len)
		return -1;
	return 0;
}

/* Answers 303 See Other to location, a path built by the program. */
int
resp_redirect(struct req *r, const char *location)
{
	static const char body[] = "See Other\n";

	if (resp_header(r, "Location", location) == -1)
		return -1;
	return resp_send(r, 303, "text/plain; charset=utf-8", body,
	    sizeof(body) - 1);
}

/* Gives the request a fresh random incident id (16 hex digits). */
void
resp_new_incident(struct req *r)
{
	unsigned char	 b[8];

	randombytes_buf(b, sizeof(b));
	sodium_bin2hex(r->incident, sizeof(r->incident), b, sizeof(b));
}

/* Returns the title and default message msgids for an error status. */
static void
error_texts(int status, const char **title, const char **msg)
{
	switch (status) {
	case 400:
		*title = N_("The request could not be understood");
		*msg = N_("The address or the form sent is not valid.");
		break;
	case 403:
		*title = N_("Access refused");
		*msg = N_("You are not allowed to see this page.");
		break;
	case 404:
		*title = N_("Page not found");
		*msg = N_("The page you asked for does not exist. Check the address, or start again from the home page.");
		break;
	case 405:
		*title = N_("Method not allowed");
		*msg = N_("This page cannot be used this way.");
		break;
	case 413:
		*title = N_("Form too large");
		*msg = N_("The form sent is too large. Shorten what you typed and send it again.");
		break;
	case 415:
		*title = N_("Form not understood");
		*msg = N_("The form was sent in a format this site does not accept.");
		break;
	case 429:
		*title = N_("Too many requests");
		*msg = N_("Too many requests came from your connection. Wait a minute, then try again.");
		break;
	case 503:
		*title = N_("Service temporarily unavailable");
		*msg = N_("The service is briefly unavailable. Try again in a minute. If you were sending a form, it was not recorded: go back and send it again; it will not be counted twice.");
		break;
	default:
		*title = N_("Something went wrong");
		*msg = N_("An error occurred on our side. Try again in a few minutes. If it happens again, give the incident number below to the prefecture.");
		break;
	}
}

/* Sends a plain-text error when the error page itself cannot be built. */
static int
plain_error(struct req *r, int status, const char *title)
{
	char	*body;

	body = arena_printf(r->arena, "%d %s\n%s\n%s%s\n", status,
	    resp_reason(status), _(title), *r->incident ? "incident " : "",
	    r->incident);
	if (body == NULL)
		body = "error\n";
	return resp_send(r, status, "text/plain; charset=utf-8", body,
	    strlen(body));
}

/* Answers an error page for status; detail, a msgid, replaces the
 * default message. 500 gets an incident id (logged), 503 a Retry-After,
 * 405 an Allow header. Returns 0 or -1. */
int
resp_error(struct req *r, int status, const char *detail)
{
	const char	*title, *msg;
	struct tpl	*t;
	char		*ra;

	if (r->status != 0)
		return -1;
	error_texts(status, &title, &msg);
	if (detail != NULL)
		msg = detail;
	if (status >= 500 && status != 503 && *r->incident == '\0')
		resp_new_incident(r);
	if (status == 503 && (ra = arena_printf(r->arena, "%d",
	    r->conf->retry_after)) != NULL)
		resp_header(r, "Retry-After", ra);
	if (status == 405 && !has_header(r, "Allow"))
		resp_header(r, "Allow", "GET, HEAD, POST");
	resp_header(r, "Cache-Control", "no-store");
	if ((t = tpl_page(r, "error")) == NULL)
		return plain_error(r, status, title);
	tpl_title(t, _(title));
	tpl_text(tpl_get(t, NULL, "error-title"), _(title));
	tpl_text(tpl_get(t, NULL, "error-message"), _(msg));
	if (*r->incident != '\0')
		tpl_text(tpl_get(t, NULL, "incident-id"), r->incident);
	else
		tpl_remove(tpl_get(t, NULL, "incident"));
	if (tpl_send(r, t, status) == -1 && r->status == 0)
		return plain_error(r, status, title);
	return 0;
}
