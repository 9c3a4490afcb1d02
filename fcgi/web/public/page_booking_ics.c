/* GET /booking/<token>/ics: the confirmed appointment as an iCalendar
 * file (RFC 5545): CRLF line ends, TEXT values escaped, lines folded at
 * 75 octets without splitting a UTF-8 character, times in UTC. */
#include "config.h"

#include <string.h>
#include <time.h>

#include "arena.h"
#include "booking.h"
#include "db.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"

struct buf {
	struct arena	*a;
	char		*p;
	size_t		 len, cap;
};

/* Appends n bytes to b; 0 or -1. */
static int
put(struct buf *b, const char *s, size_t n)
{
	char	*np;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((np = arena_alloc(b->a, b->cap)) == NULL)
			return -1;
		if (b->len > 0)	/* b->p is NULL before the first put */
			memcpy(np, b->p, b->len);
		b->p = np;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Escapes a TEXT value: backslash, semicolon, comma and newlines. */
static char *
escape(struct arena *a, const char *s)
{
	char	*out = arena_alloc(a, 2 * strlen(s) + 1), *o = out;

	if (out == NULL)
		return NULL;
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == ';' || *s == ',')
			*o++ = '\\';
		if (*s == '\n') {
			*o++ = '\\';
			*o++ = 'n';
			continue;
		}
		if (*s == '\r')
			continue;
		*o++ = *s;
	}
	*o = '\0';
	return out;
}

/* Appends one content line "name:value", folded at 75 octets. */
static int
line(struct buf *b, const char *name, const char *value)
{
	char	*l;
	size_t	 n, i = 0, chunk, width = 75;

	if (value == NULL || (l = arena_printf(b->a, "%s:%s", name, value)) == NULL)
		return -1;
	n = strlen(l);
	while (i < n) {
		chunk = n - i > width ? width : n - i;
		/* Never cut inside a UTF-8 sequence. */
		while (chunk > 0 && i + chunk < n &&
		    ((unsigned char)l[i + chunk] & 0xc0) == 0x80)
			chunk--;
		if (i > 0 && put(b, " ", 1) == -1)
			return -1;
		if (put(b, l + i, chunk) == -1 || put(b, "\r\n", 2) == -1)
			return -1;
		i += chunk;
		width = 74;	/* continuation lines start with a space */
	}
	return 0;
}

/* Answers the .ics file of a confirmed booking, or of a cancelled one
 * as its cancellation (METHOD:CANCEL, STATUS:CANCELLED); 404 otherwise.
 * The UID is the reference, which a move keeps; SEQUENCE grows at each
 * move and at the cancellation (issue 12). */
int
page_booking_ics(struct req *r)
{
	PGresult	*bk;
	struct buf	 b = { r->arena, NULL, 0, 0 };
	const char	*ref;
	char		 stamp[32], *desc;
	time_t		 now = time(NULL);
	struct tm	 tm;
	int		 rc = 0, cancel;

	if (booking_load(r, &bk) != 0)
		return 0;
	cancel = strcmp(db_get(bk, 0, "status"), "cancelled") == 0 &&
	    strcmp(db_get(bk, 0, "moved"), "t") != 0;
	if (strcmp(db_get(bk, 0, "status"), "confirmed") != 0 && !cancel)
		return resp_error(r, 404, N_("Only a confirmed appointment can be added to a calendar."));
	ref = booking_reference(r, db_get(bk, 0, "reference"));
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%SZ", &tm);
	desc = arena_printf(r->arena, "%s %s\n%s\n%s", _("Reference:"), ref,
	    _("Documents to bring:"), db_get(bk, 0, "documents"));
	rc |= line(&b, "BEGIN", "VCALENDAR");
	rc |= line(&b, "VERSION", "2.0");
	rc |= line(&b, "PRODID", "-//creneau//prefecture appointments//FR");
	rc |= line(&b, "CALSCALE", "GREGORIAN");
	rc |= line(&b, "METHOD", cancel ? "CANCEL" : "PUBLISH");
	rc |= line(&b, "BEGIN", "VEVENT");
	rc |= line(&b, "UID", arena_printf(r->arena, "%s@creneau",
	    db_get(bk, 0, "reference")));
	rc |= line(&b, "SEQUENCE", db_get(bk, 0, "ics_sequence"));
	rc |= line(&b, "DTSTAMP", stamp);
	rc |= line(&b, "DTSTART", db_get(bk, 0, "starts_utc"));
	rc |= line(&b, "DTEND", db_get(bk, 0, "ends_utc"));
	rc |= line(&b, "SUMMARY", escape(r->arena, arena_printf(r->arena,
	    "%s — %s", db_get(bk, 0, "procedure_name"), db_get(bk, 0, "site_name"))));
	rc |= line(&b, "LOCATION", escape(r->arena, arena_printf(r->arena,
	    "%s, %s %s", db_get(bk, 0, "site_address"),
	    db_get(bk, 0, "site_postal_code"), db_get(bk, 0, "site_city"))));
	rc |= line(&b, "DESCRIPTION", escape(r->arena, desc));
	rc |= line(&b, "STATUS", cancel ? "CANCELLED" : "CONFIRMED");
	rc |= line(&b, "END", "VEVENT");
	rc |= line(&b, "END", "VCALENDAR");
	if (rc != 0)
		return -1;
	resp_header(r, "Content-Disposition", arena_printf(r->arena,
	    "attachment; filename=\"rendez-vous-%s.ics\"", ref));
	return resp_send(r, 200, cancel ?
	    "text/calendar; charset=utf-8; method=CANCEL" :
	    "text/calendar; charset=utf-8; method=PUBLISH", b.p, b.len);
}
