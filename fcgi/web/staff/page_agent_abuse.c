/* GET and POST /agent/site/<site>/abuse: the abuse review of a site, for
 * its supervisors and administrators. Lists the flags the SQL views
 * compute (one contact behind many identities, many entries from one
 * network, disposable e-mail domains, bursts of cancellations) with the
 * draw entries concerned that may still be voided, and the list of
 * disposable domains. POST (CSRF-checked): void=<entry> voids an entry
 * before its draw; add (domain) and remove=<domain> edit the list. Each
 * change writes the audit log (in SQL); 303 back with a notice. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fields.h"
#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

static const struct {
	const char	*key;
	const char	*msg;
} notices[] = {
	{ "voided", N_("The entry is voided: it will not take part in the draw.") },
	{ "too_late", N_("This entry can no longer be voided: its draw has run or it is no longer waiting.") },
	{ "not_found", N_("There is no such entry at this site.") },
	{ "added", N_("The domain is added to the list.") },
	{ "removed", N_("The domain is removed from the list.") },
	{ "unchanged", N_("Nothing changed.") },
	{ "invalid", N_("This is not an e-mail domain. For example yopmail.com.") },
};

/* Returns the wording of a kind of flag. */
static const char *
kind_text(const char *kind)
{
	if (strcmp(kind, "contact_identities") == 0)
		return _("One e-mail address or phone number behind several identities");
	if (strcmp(kind, "network_entries") == 0)
		return _("Many entries of one draw from one network (/24 or /64)");
	if (strcmp(kind, "disposable_email") == 0)
		return _("Disposable e-mail domain");
	if (strcmp(kind, "cancel_burst") == 0)
		return _("Burst of cancellations");
	return kind;
}

/* Handles a POST; returns the outcome key for the notice. */
static const char *
act(struct req *r, const char *site_id)
{
	const char	*v;
	PGresult	*res;

	if ((v = params_get(&r->form, "void")) != NULL) {
		if (field_check(F_DRAW_ENTRY, v, strlen(v)) == -1)
			return "not_found";
		res = db_exec(r, S_ABUSE_VOID, DB_ARGS(
		    { "account", r->staff->id }, { "site_id", site_id },
		    { "public_id", v }, { "reason", "abuse review" }));
	} else {
		v = params_get(&r->form, "remove");
		if (v == NULL)
			v = params_get(&r->form, "domain");
		if (v == NULL || field_check(F_DOMAIN, v, strlen(v)) == -1)
			return "invalid";
		res = db_exec(r, S_ABUSE_DOMAIN_SET, DB_ARGS(
		    { "account", r->staff->id }, { "site_id", site_id },
		    { "domain", v }, { "listed",
		    params_get(&r->form, "remove") != NULL ? "f" : "t" }));
	}
	if (res == NULL)
		return NULL;
	return PQntuples(res) > 0 ? db_get(res, 0, "outcome") : "unchanged";
}

/* Fills the flags and the domain list. */
static void
fill(struct req *r, struct tpl *t, const PGresult *flags, const PGresult *doms)
{
	struct tnode	*proto, *row, *eproto, *e;
	char		*ids, *id, *save;
	int		 i;

	proto = tpl_get(t, NULL, "flag");
	for (i = 0; i < PQntuples(flags); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "flag-kind"), kind_text(db_get(flags, i, "kind")));
		tpl_text(tpl_get(t, row, "flag-subject"), db_get(flags, i, "subject"));
		tpl_text(tpl_get(t, row, "flag-count"), db_get(flags, i, "n"));
		eproto = tpl_get(t, row, "flag-entry");
		ids = arena_strdup(r->arena, db_get(flags, i, "voidable"));
		for (id = strtok_r(ids, " ", &save); id != NULL; id = strtok_r(NULL, " ", &save)) {
			e = tpl_clone(eproto);
			tpl_text(tpl_get(t, e, "entry-id"), id);
			tpl_attr(tpl_get(t, e, "void-button"), "value", id);
			tpl_attr(tpl_get(t, e, "csrf"), "value", r->staff->csrf);
		}
		tpl_remove(eproto);
	}
	tpl_remove(proto);
	if (PQntuples(flags) > 0)
		tpl_remove(tpl_get(t, NULL, "no-flags"));
	proto = tpl_get(t, NULL, "domain");
	for (i = 0; i < PQntuples(doms); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "domain-name"), db_get(doms, i, "domain"));
		tpl_attr(tpl_get(t, row, "remove-button"), "value", db_get(doms, i, "domain"));
		tpl_attr(tpl_get(t, row, "csrf"), "value", r->staff->csrf);
	}
	tpl_remove(proto);
	tpl_attr(tpl_get(t, NULL, "add-csrf"), "value", r->staff->csrf);
}

/* Answers the abuse review page or one of its actions. */
int
page_agent_abuse(struct req *r)
{
	const char	*m, *self;
	PGresult	*site, *flags, *doms;
	struct tpl	*t;
	size_t		 i;

	if (staff_require(r, ROLE_SUPERVISOR | ROLE_ADMIN) != 0)
		return 0;
	if ((site = db_exec(r, S_ABUSE_SITE, DB_ARGS({ "account", r->staff->id },
	    { "site_slug", r->args[0] }))) == NULL)
		return db_fail(r);
	if (PQntuples(site) == 0)
		return resp_error(r, 404, N_("There is no such site."));
	if (strcmp(db_get(site, 0, "allowed"), "t") != 0)
		return staff_site_refuse(r, db_get(site, 0, "site_id"));
	self = route_url(r, R_AGENT_ABUSE, r->args[0], NULL);
	if (r->method == M_POST) {
		if (!staff_csrf_ok(r))
			return resp_error(r, 403, N_("The form could not be checked. Reload the page and try again."));
		if ((m = act(r, db_get(site, 0, "site_id"))) == NULL)
			return db_fail(r);
		return resp_redirect(r, arena_printf(r->arena, "%s?m=%s", self, m));
	}
	if ((flags = db_exec(r, S_ABUSE_REVIEW, DB_ARGS(
	    { "account", r->staff->id },
	    { "site_id", db_get(site, 0, "site_id") }))) == NULL ||
	    (doms = db_exec(r, S_ABUSE_DOMAINS, NULL)) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_abuse")) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "site-name"), db_get(site, 0, "site_name"));
	tpl_lang(r, tpl_get(t, NULL, "site-name"), "fr");
	m = params_get(&r->query, "m");
	for (i = 0; m != NULL && i < sizeof(notices) / sizeof(notices[0]); i++)
		if (strcmp(m, notices[i].key) == 0)
			break;
	if (m != NULL && i < sizeof(notices) / sizeof(notices[0]))
		tpl_text(tpl_get(t, NULL, "notice"), _(notices[i].msg));
	else
		tpl_remove(tpl_get(t, NULL, "notice"));
	fill(r, t, flags, doms);
	return tpl_send(r, t, 200);
}
