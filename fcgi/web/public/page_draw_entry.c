/* GET and POST /draw-entry/<token>: a draw entry by its secret link.
 * GET shows where it stands (to verify with the code, waiting for the
 * draw, offered, ...) and the entry's public id; POST with `code`
 * verifies it (draw_entry_confirm), POST with `withdraw` withdraws it
 * (draw_entry_withdraw); both answer 303 back with a notice. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "fmt.h"
#include "i18n.h"
#include "notice.h"
#include "outcome.h"
#include "req.h"
#include "response.h"
#include "template.h"

static const struct notice notices[] = {
	{ "confirmed", N_("Your registration is confirmed: it takes part in the draw."), 0 },
	{ "wrong_code", N_("This code is not the one we sent. Check it and type it again."), 1 },
	{ "bad_code", N_("The code has 6 digits. Check it and type it again."), 1 },
	{ "too_many_attempts", N_("Too many wrong codes were typed: this registration is cancelled. You cannot register again for this draw."), 1 },
	{ "closed", N_("Registration is closed: an entry not confirmed in time does not take part in the draw."), 1 },
	{ "withdrawn", N_("This registration is withdrawn."), 0 },
	{ "not_withdrawable", N_("This registration can no longer be withdrawn: if you were offered a time, cancel the appointment instead."), 1 },
};

/* What draw_entry_confirm and draw_entry_withdraw answer: the notices
 * above say it. */
static const struct outcome entry_outcomes[] = {
	{ "confirmed", OUT_DONE, "confirmed", NULL, 0, OUT_NO_ARG },
	{ "already_confirmed", OUT_DONE, "confirmed", NULL, 0, OUT_NO_ARG },
	{ "withdrawn", OUT_DONE, "withdrawn", NULL, 0, OUT_NO_ARG },
	{ "wrong_code", OUT_NOTICE, "wrong_code", NULL, 0, OUT_NO_ARG },
	{ "too_many_attempts", OUT_NOTICE, "too_many_attempts", NULL, 0,
	    OUT_NO_ARG },
	{ "closed", OUT_NOTICE, "closed", NULL, 0, OUT_NO_ARG },
	{ "expired", OUT_NOTICE, "expired", NULL, 0, OUT_NO_ARG },
	{ "not_withdrawable", OUT_NOTICE, "not_withdrawable", NULL, 0,
	    OUT_NO_ARG },
	{ "not_found", OUT_PAGE, NULL, NULL, 404, OUT_NO_ARG },
};

/* Removes every state section but the one of status s. */
static void
state(struct req *r, struct tpl *t, const char *s)
{
	static const char *const states[] = { "unverified", "waiting",
	    "offered", "won", "ended", NULL };
	const char	*keep = s;
	int		 i;

	if (strcmp(s, "lapsed") == 0 || strcmp(s, "cancelled") == 0 ||
	    strcmp(s, "withdrawn") == 0 || strcmp(s, "voided") == 0 ||
	    strcmp(s, "expired") == 0)
		keep = "ended";
	for (i = 0; states[i] != NULL; i++)
		if (strcmp(states[i], keep) != 0)
			tpl_remove(tpl_get(t, NULL, arena_printf(r->arena,
			    "state-%s", states[i])));
}

/* Answers the entry page, or a code or withdrawal (303 back). */
int
page_draw_entry(struct req *r)
{
	const char	*code = params_get(&r->form, "code");
	const char	*self = route_url(r, R_DRAW_ENTRY, r->args[0], NULL);
	PGresult	*e;
	struct tpl	*t;
	int		 withdraw;

	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Referrer-Policy", "no-referrer");
	if (r->method == M_POST) {
		if ((withdraw = params_get(&r->form, "withdraw") != NULL)) {
			if ((e = db_exec(r, S_DRAW_ENTRY_WITHDRAW,
			    DB_ARGS({ "token", r->args[0] }))) == NULL)
				return db_fail(r);
		} else {
			if (code == NULL || field_check(F_CODE, code, strlen(code)) == -1)
				return resp_redirect(r, arena_printf(r->arena, "%s?m=bad_code", self));
			if ((e = db_exec(r, S_DRAW_ENTRY_CONFIRM, DB_ARGS(
			    { "token", r->args[0] }, { "code", code }))) == NULL)
				return db_fail(r);
		}
		return outcome_redirect(r, outcome_of(r, withdraw ?
		    S_DRAW_ENTRY_WITHDRAW : S_DRAW_ENTRY_CONFIRM, e,
		    OUTCOMES(entry_outcomes)), self);
	}
	if ((e = db_exec(r, S_DRAW_ENTRY_VIEW, DB_ARGS({ "token", r->args[0] },
	    { "lang", r->lang }))) == NULL)
		return db_fail(r);
	if (PQntuples(e) == 0)
		return resp_error(r, 404, N_("This link leads to no registration. Use the link from the message we sent you."));
	if ((t = tpl_page(r, "draw_entry")) == NULL)
		return -1;
	notice_show(r, t, NOTICES(notices));
	state(r, t, db_get(e, 0, "status"));
	tpl_text(tpl_get(t, NULL, "procedure-name"), db_get(e, 0, "procedure_name"));
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), db_get(e, 0, "lang"));
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(e, 0, "site_name"));
	tpl_text(tpl_get(t, NULL, "public-id"), db_get(e, 0, "public_id"));
	tpl_text(tpl_get(t, NULL, "closes"), fmt_datetime(r->arena, db_get(e, 0, "closes")));
	tpl_text(tpl_get(t, NULL, "draw-at"), fmt_datetime(r->arena, db_get(e, 0, "draw_at")));
	tpl_text(tpl_get(t, NULL, "sent-to"), *db_get(e, 0, "email") != '\0' ?
	    db_get(e, 0, "email") : db_get(e, 0, "phone"));
	tpl_text(tpl_get(t, NULL, "rank"), db_get(e, 0, "rank"));
	tpl_attr(tpl_get(t, NULL, "confirm-form"), "action", self);
	tpl_attr(tpl_get(t, NULL, "withdraw-form"), "action", self);
	tpl_attr(tpl_get(t, NULL, "public-link"), "href",
	    route_url(r, R_DRAW_PUBLIC, db_get(e, 0, "draw_id"), NULL));
	if (strcmp(db_get(e, 0, "status"), "unverified") != 0 &&
	    strcmp(db_get(e, 0, "status"), "waiting") != 0)
		tpl_remove(tpl_get(t, NULL, "withdraw-form"));
	if (*db_get(e, 0, "rank") == '\0')
		tpl_remove(tpl_get(t, NULL, "rank-line"));
	return tpl_send(r, t, 200);
}
