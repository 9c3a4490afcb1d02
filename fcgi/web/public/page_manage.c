/* GET /manage: find an appointment with its reference and the date of
 * birth; POST gives a fresh secret link (booking_access_guarded: throttled
 * per reference and per address, audited, a bounded number of live links
 * per booking) and answers 303 to it, or re-renders the form with a
 * message, everything typed kept. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = {
	"reference", "birth_day", "birth_month", "birth_year", NULL
};

/* Renders the form with f's values and errors, with status. */
static int
render_status(struct req *r, struct form *f, int status)
{
	struct tpl	*t;

	if ((t = tpl_page(r, "manage")) == NULL)
		return -1;
	if (f->nerrors > 0)
		tpl_title(t, arena_printf(r->arena, "%s%s", _("Error: "),
		    _("Manage my appointment")));
	form_render(f, t, form_fields);
	return tpl_send(r, t, status);
}

/* Renders the form with f's values and errors (200). */
static int
render(struct req *r, struct form *f)
{
	return render_status(r, f, 200);
}

/* Answers the form, or checks it and goes to the booking. */
int
page_manage(struct req *r)
{
	struct form	 f;
	const char	*ref;
	char		 birth[11], *token;
	PGresult	*res;
	int		 wait;

	resp_header(r, "Cache-Control", "no-store");
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &f);
	ref = form_get(&f, F_REFERENCE, 1);
	if (form_birth_date(&f, birth) == -1 || ref == NULL)
		return render(r, &f);
	if ((token = random_token(r->arena)) == NULL)
		return -1;
	if ((res = db_exec(r, S_BOOKING_ACCESS, DB_ARGS({ "reference", ref },
	    { "birth_date", birth }, { "token", token },
	    { "address", staff_client_key(r) },
	    { "max_links", arena_printf(r->arena, "%d",
	    r->conf->manage_links) }))) == NULL)
		return db_fail(r);
	if (PQntuples(res) != 1)
		return -1;
	wait = atoi(db_get(res, 0, "wait"));
	if (strcmp(db_get(res, 0, "outcome"), "ok") == 0)
		return resp_redirect(r, route_url(r, R_BOOKING, token, NULL));
	if (strcmp(db_get(res, 0, "outcome"), "wait") == 0) {
		resp_header(r, "Retry-After", arena_printf(r->arena, "%d", wait));
		form_error(&f, "reference", arena_printf(r->arena, _("Too many wrong attempts for this reference or from your connection. Wait %s, then send the form again: what you typed is kept."),
		    fmt_wait(r->arena, wait)));
		return render_status(r, &f, 429);
	}
	if (wait > 0)
		form_error(&f, "reference", arena_printf(r->arena, _("No appointment matches this reference and this date of birth. Check both: the reference is in the message we sent you. You can try again in %s."),
		    fmt_wait(r->arena, wait)));
	else
		form_error(&f, "reference", _("No appointment matches this reference and this date of birth. Check both: the reference is in the message we sent you."));
	return render(r, &f);
}
