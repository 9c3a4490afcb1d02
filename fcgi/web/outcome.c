/* Outcome words of the SQL functions, mapped to what the page does (see
 * outcome.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "form.h"
#include "i18n.h"
#include "log.h"
#include "outcome.h"
#include "req.h"
#include "response.h"

/* Refusals worded alike on every page: those of every channel that takes
 * a person's details (creneau_outcomes), and an account acting for a
 * site it may not. Looked up after the page's own table, which may word
 * them otherwise. */
static const struct outcome shared[] = {
	{ "forbidden", OUT_PAGE, NULL,
	    N_("Your account does not act for this site."), 403, OUT_NO_ARG },
	{ "token_used", OUT_FIELD, NULL,
	    N_("This form has already been used. Open the booking form again."),
	    0, OUT_NO_ARG },
	{ "email_cap", OUT_FIELD, "email",
	    N_("This e-mail address already has %d appointments in progress, the most allowed. Cancel one, or give another address."),
	    0, OUT_MAX_PER_EMAIL },
	{ "phone_cap", OUT_FIELD, "phone",
	    N_("This phone number already has %d appointments in progress, the most allowed. Cancel one, or give another number."),
	    0, OUT_MAX_PER_PHONE },
	{ "agdref_required", OUT_FIELD, "agdref",
	    N_("This procedure needs the AGDREF number of your residence permit."),
	    0, OUT_NO_ARG },
	{ "agdref_unknown", OUT_FIELD, "agdref",
	    N_("This AGDREF number is not known. Check the 10 digits on your residence permit. If they are right, contact the prefecture: its phone number and address are on the site's page."),
	    0, OUT_NO_ARG },
	{ "contact_required", OUT_FIELD, "email",
	    N_("Give an e-mail address or a mobile phone number, so that we can send you the confirmation code."),
	    0, OUT_NO_ARG },
};

static const struct outcome unexpected = {
	"", OUT_FIELD, NULL,
	N_("This could not be done: the system gave an answer it did not expect (incident %s). Try again; if it happens again, give this incident number to the site."),
	0, OUT_NO_ARG
};

/* Returns the entry of word in list, or NULL. */
static const struct outcome *
find(const char *word, const struct outcome *list, size_t n)
{
	size_t	i;

	for (i = 0; i < n; i++)
		if (strcmp(word, list[i].word) == 0)
			return &list[i];
	return NULL;
}

/* The entry for the outcome column of res (statement s) in the page's
 * table list, else among the shared refusals; an unexpected word (or no
 * row) is logged with a new incident id and gets a form-level message
 * that names it. Never NULL. */
const struct outcome *
outcome_of(struct req *r, enum stmt s, const PGresult *res,
    const struct outcome *list, size_t n)
{
	const char		*word;
	const struct outcome	*o;

	word = PQntuples(res) > 0 ? db_get(res, 0, "outcome") : "";
	if ((o = find(word, list, n)) != NULL ||
	    (o = find(word, shared, sizeof(shared) / sizeof(shared[0]))) != NULL)
		return o;
	if (*r->incident == '\0')
		resp_new_incident(r);
	log_msg("%s: incident %s: unexpected outcome \"%s\"",
	    statements[s].name, r->incident, word);
	return &unexpected;
}

/* Answers o after a POST whose result shows on page base (a path): a
 * 303 to base with o's notice key (OUT_DONE, OUT_NOTICE), or the error
 * page (OUT_PAGE; an unexpected word: 500, its incident logged). */
int
outcome_redirect(struct req *r, const struct outcome *o, const char *base)
{
	if (o->act == OUT_PAGE)
		return resp_error(r, o->status, o->msg);
	if (o->act == OUT_FIELD)
		return resp_error(r, 500, NULL);
	if (o->field == NULL)
		return resp_redirect(r, base);
	return resp_redirect(r, arena_printf(r->arena, "%s?m=%s", base,
	    o->field));
}

/* Answers a refusal: records the message of o in form f (0: the caller
 * shows the form again), or answers the error page (1). The messages of
 * the tables are the formats here: xgettext marks those with a %d as
 * c-format, and msgfmt -c checks their translations keep it. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
int
outcome_refuse(struct req *r, struct form *f, const struct outcome *o)
{
	const char	*msg = _(o->msg);

	if (o->act == OUT_PAGE) {
		resp_error(r, o->status, o->msg);
		return 1;
	}
	if (o == &unexpected)
		msg = arena_printf(r->arena, msg, r->incident);
	else if (o->arg == OUT_MAX_PER_EMAIL)
		msg = arena_printf(r->arena, msg, r->conf->max_per_email);
	else if (o->arg == OUT_MAX_PER_PHONE)
		msg = arena_printf(r->arena, msg, r->conf->max_per_phone);
	form_error(f, o->field, msg);
	return 0;
}
#pragma GCC diagnostic pop
