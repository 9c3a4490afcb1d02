/* GET and POST /agent/site/<site>/checkin: the agent types the booking
 * reference, or a scanner types it from the QR code of the confirmation
 * (scanners act as keyboards and press Enter). POST marks the booking
 * honoured (counter_mark: this site, today, confirmed, not yet checked
 * in; logged) and re-renders the form, empty and focused for the next
 * person, with what was recorded, or with the reason it was refused. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "booking.h"
#include "counter.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const char *const form_fields[] = { "reference", NULL };

/* Renders the form; done is the answer of a successful check-in (its
 * summary is shown and the field left empty), else NULL. */
static int
render(struct req *r, struct form *f, const struct counter_site *s,
    const PGresult *done)
{
	static const char *const none[] = { NULL };
	struct tpl	*t;
	const char	*when;

	if ((t = tpl_page(r, "agent_checkin")) == NULL)
		return -1;
	tpl_title(t, arena_printf(r->arena, "%s%s — %s",
	    f->nerrors > 0 ? _("Error: ") : "", _("Check-in"), s->name));
	counter_nav(r, t, s);
	tpl_attr(tpl_get(t, NULL, "checkin-form"), "action",
	    route_url(r, R_AGENT_CHECKIN, s->slug, NULL));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	if (done != NULL) {
		when = fmt_datetime(r->arena, db_get(done, 0, "local_time"));
		tpl_text(tpl_get(t, NULL, "done-reference"),
		    booking_reference(r, db_get(done, 0, "reference")));
		tpl_text(tpl_get(t, NULL, "done-name"), arena_printf(r->arena,
		    "%s %s", db_get(done, 0, "surname"), db_get(done, 0, "given_names")));
		tpl_text(tpl_get(t, NULL, "done-procedure"), db_get(done, 0, "procedure_name"));
		tpl_text(tpl_get(t, NULL, "done-when"), when != NULL ? when :
		    db_get(done, 0, "local_time"));
		tpl_text(tpl_get(t, NULL, "done-counter"), db_get(done, 0, "counter_name"));
	} else
		tpl_remove(tpl_get(t, NULL, "done"));
	form_render(f, t, done != NULL ? none : form_fields);
	if (done != NULL)
		tpl_remove(tpl_get(t, NULL, "error-reference"));
	if (f->nerrors == 0)
		tpl_attr(tpl_get(t, NULL, "input-reference"), "autofocus",
		    "autofocus");
	return tpl_send(r, t, 200);
}

/* Returns the message of a refused check-in. */
static const char *
refusal(struct req *r, const PGresult *res)
{
	const char	*out = db_get(res, 0, "outcome"), *when;

	if (strcmp(out, "cancelled") == 0)
		return _("This appointment is cancelled: the arrival cannot be recorded.");
	if (strcmp(out, "not_confirmed") == 0)
		return _("This appointment was never confirmed: the arrival cannot be recorded.");
	if (strcmp(out, "already_honoured") == 0)
		return _("This arrival was already recorded.");
	if (strcmp(out, "not_today") == 0) {
		when = fmt_datetime(r->arena, db_get(res, 0, "local_time"));
		return arena_printf(r->arena, _("This appointment is not today: it is on %s."),
		    when != NULL ? when : db_get(res, 0, "local_time"));
	}
	return _("No appointment of this site has this reference. Check it, or search for the person.");
}

/* Answers the check-in form, or records an arrival. */
int
page_agent_checkin(struct req *r)
{
	struct counter_site	 s;
	struct form		 f;
	PGresult		*res;
	const char		*ref;

	if (counter_site_load(r, NULL, &s) != 0)
		return 0;
	form_init(&f, r);
	if (r->method != M_POST)
		return render(r, &f, &s, NULL);
	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if ((ref = form_get(&f, F_REFERENCE, 1)) == NULL)
		return render(r, &f, &s, NULL);
	if ((res = db_exec(r, S_COUNTER_MARK, DB_ARGS({ "account", r->staff->id },
	    { "site_id", s.id }, { "reference", ref }, { "booking_id", "" },
	    { "mark", "honoured" }, { "grace", arena_printf(r->arena, "%d",
	    r->conf->no_show_grace_minutes) }))) == NULL)
		return db_fail(r);
	if (strcmp(db_get(res, 0, "outcome"), "forbidden") == 0)
		return resp_error(r, 403, N_("Your account does not act for this site."));
	if (strcmp(db_get(res, 0, "outcome"), "honoured") == 0)
		return render(r, &f, &s, res);
	form_error(&f, "reference", refusal(r, res));
	return render(r, &f, &s, NULL);
}
