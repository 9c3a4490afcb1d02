/* GET /agent: the staff home page: who is logged in, with which role, the
 * sites the account acts for, and the logout form. */
#include "config.h"

#include "arena.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"
#include "template.h"

/* Returns the wording of a role. */
static const char *
role_text(enum staff_role role)
{
	switch (role) {
	case ROLE_AGENT:
		return _("Agent");
	case ROLE_SUPERVISOR:
		return _("Supervisor");
	case ROLE_MEDIATOR:
		return _("Mediator");
	case ROLE_ADMIN:
		return _("Administrator");
	default:
		return "";
	}
}

/* Answers the staff home page. */
int
page_agent_home(struct req *r)
{
	struct tpl	*t;
	struct tnode	*proto, *row;
	PGresult	*sites;
	static const struct {
		enum route_id	 id;
		const char	*link;
	} pages[] = {
		{ R_AGENT_AGENDA, "link-agenda" },
		{ R_AGENT_CHECKIN, "link-checkin" },
		{ R_AGENT_SEARCH, "link-search" },
		{ R_AGENT_RULES, "link-rules" },
		{ R_AGENT_CLOSURES, "link-closures" },
		{ R_AGENT_PUBLISH, "link-publish" },
		{ R_AGENT_DRAWS, "link-draws" },
		{ R_AGENT_COURT, "link-court" },
		{ R_AGENT_ABUSE, "link-abuse" },
	};
	size_t		 k;
	int		 i;

	if (staff_require(r, ROLE_ANY) != 0)
		return 0;
	if ((sites = db_exec(r, S_STAFF_SITES,
	    DB_ARGS({ "account", r->staff->id }))) == NULL)
		return db_fail(r);
	if ((t = tpl_page(r, "agent_home")) == NULL)
		return -1;
	tpl_text(tpl_get(t, NULL, "staff-name"), r->staff->name);
	tpl_text(tpl_get(t, NULL, "staff-role"), role_text(r->staff->role));
	tpl_attr(tpl_get(t, NULL, "csrf"), "value", r->staff->csrf);
	proto = tpl_get(t, NULL, "site");
	for (i = 0; i < PQntuples(sites); i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "site-name"), db_get(sites, i, "name"));
		tpl_text(tpl_get(t, row, "site-city"), db_get(sites, i, "city"));
		tpl_lang(r, tpl_get(t, row, "site-name"), "fr");
		tpl_lang(r, tpl_get(t, row, "site-city"), "fr");
		for (k = 0; k < sizeof(pages) / sizeof(pages[0]); k++)
			tpl_attr(tpl_get(t, row, pages[k].link), "href",
			    route_url(r, pages[k].id, db_get(sites, i, "slug"),
			    NULL));
		if (!(r->staff->role & (ROLE_SUPERVISOR | ROLE_ADMIN)))
			tpl_remove(tpl_get(t, row, "supervisor-only"));
	}
	tpl_remove(proto);
	if (PQntuples(sites) > 0)
		tpl_remove(tpl_get(t, NULL, "no-sites"));
	else
		tpl_remove(tpl_get(t, NULL, "sites"));
	if (r->staff->role != ROLE_MEDIATOR) {
		tpl_remove(tpl_get(t, NULL, "mediator"));
		if (r->staff->role == ROLE_AGENT)
			tpl_remove(tpl_get(t, NULL, "oversight"));
	} else {
		tpl_remove(tpl_get(t, NULL, "oversight"));
		tpl_remove(tpl_get(t, NULL, "no-sites"));
	}
	/* Administration pages (issue 12): administrators only. */
	if (r->staff->role != ROLE_ADMIN)
		tpl_remove(tpl_get(t, NULL, "administration"));
	return tpl_send(r, t, 200);
}
