/* What the administration pages share (see staffadmin.h). */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <fcgiapp.h>

#include "arena.h"
#include "db.h"
#include "fields.h"
#include "form.h"
#include "outcome.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "secret.h"
#include "staff.h"
#include "staffadmin.h"
#include "statements.h"
#include "template.h"

#define NONCE_MAX_AGE	(12 * 3600)	/* a form open for half a day */

/* Lets an administrator on: returns 0. Otherwise answers (login page,
 * or 403 after writing the refusal to the audit log) and returns 1. */
int
admin_require(struct req *r)
{
	if (staff_require(r, ROLE_ANY) != 0)
		return 1;
	if (r->staff->role == ROLE_ADMIN)
		return 0;
	if (db_exec(r, S_ADMIN_REFUSED, DB_ARGS({ "account", r->staff->id },
	    { "path", r->path })) == NULL) {
		db_fail(r);
		return 1;
	}
	resp_error(r, 403, N_("Your account does not give access to this page."));
	return 1;
}

/* Returns the scope of the administrator's form tokens: 60 bits of a
 * keyed digest of their account id. */
static long long
nonce_scope(struct req *r)
{
	const char	*d = secret_digest(r->arena, "creneau admin form v1",
			    r->staff->id);

	return d != NULL ? strtoll(arena_strndup(r->arena, d, 15), NULL, 16) : 0;
}

/* Returns a new nonce for a form of the administration pages: a signed
 * form token of the administrator, whose id the SQL function takes once. */
const char *
admin_nonce(struct req *r)
{
	return token_issue(r->arena, nonce_scope(r));
}

/* Returns the id of the POST's nonce when it is a valid token of this
 * administrator, not older than NONCE_MAX_AGE; else NULL. Whether it was
 * used is for SQL to say (staff_form_nonce_take). */
const char *
admin_nonce_check(struct req *r)
{
	char	 id[33];

	if (token_check(params_get(&r->form, "nonce"), nonce_scope(r), 0,
	    NONCE_MAX_AGE, id) != TOKEN_OK)
		return NULL;
	return arena_strndup(r->arena, id, strlen(id));
}

/* Returns the slugs of the checked boxes named "<prefix><slug>"
 * ("site-", "procedure-"), space-separated ("" for none); a malformed
 * slug is left out (the database knows no such one anyway). */
const char *
admin_boxes_posted(struct req *r, const char *prefix)
{
	const char	*out = "", *slug;
	size_t		 i, n = strlen(prefix);

	for (i = 0; i < r->form.n; i++) {
		if (strncmp(r->form.v[i].name, prefix, n) != 0)
			continue;
		slug = r->form.v[i].name + n;
		if (field_check(F_SLUG, slug, strlen(slug)) == -1)
			continue;
		out = *out == '\0' ? slug : arena_printf(r->arena, "%s %s", out, slug);
		if (out == NULL)
			return NULL;
	}
	return out;
}

/* Returns whether word is one of the space-separated words of list. */
int
admin_in_list(const char *list, const char *word)
{
	size_t	 n = strlen(word);

	for (; list != NULL && *list != '\0'; list += strspn(list, " ")) {
		if (strncmp(list, word, n) == 0 && (list[n] == ' ' || list[n] == '\0'))
			return 1;
		list += strcspn(list, " ");
	}
	return 0;
}

/* Makes a checkbox of row (marks "<name>-box", "<name>-label") named
 * "<name>-<slug>", labelled label, checked when on. */
void
admin_box(struct req *r, struct tpl *t, struct tnode *row, const char *name,
    const char *slug, const char *label, int on)
{
	const char	*id = arena_printf(r->arena, "%s-%s", name, slug);
	struct tnode	*box = tpl_get(t, row, arena_printf(r->arena, "%s-box", name));
	struct tnode	*lab = tpl_get(t, row, arena_printf(r->arena, "%s-label", name));

	tpl_attr(box, "id", id);
	tpl_attr(box, "name", id);
	tpl_attr(lab, "for", id);
	tpl_text(lab, label);
	if (on)
		tpl_attr(box, "checked", "checked");
}

/* Fills the site checkboxes of scope (prototype "site-choice"): one per
 * site, checked when its slug is in chosen (space-separated). Returns 0,
 * or -1 when the database failed (answered). */
int
admin_sites_render(struct req *r, struct tpl *t, struct tnode *scope,
    const char *chosen)
{
	PGresult	*res;
	struct tnode	*proto, *row;
	const char	*slug;
	int		 i;

	if ((res = db_exec(r, S_ADMIN_SITES, NULL)) == NULL) {
		db_fail(r);
		return -1;
	}
	proto = tpl_get(t, scope, "site-choice");
	for (i = 0; i < PQntuples(res); i++) {
		row = tpl_clone(proto);
		slug = db_get(res, i, "slug");
		admin_box(r, t, row, "site", slug, arena_printf(r->arena, "%s, %s",
		    db_get(res, i, "name"), db_get(res, i, "city")),
		    admin_in_list(chosen, slug));
		tpl_lang(r, tpl_get(t, row, "site-label"), "fr");
	}
	tpl_remove(proto);
	return 0;
}

/* Returns the absolute address of the one-time link of token, on the
 * host the administrator used. */
const char *
admin_link_url(struct req *r, const char *token)
{
	const char	*host = NULL, *https = NULL, *path;

	path = route_url(r, R_AGENT_PASSWORD, token, NULL);
	if (r->fcgx != NULL) {
		host = FCGX_GetParam("HTTP_HOST", r->fcgx->envp);
		https = FCGX_GetParam("HTTPS", r->fcgx->envp);
	}
	if (host == NULL || *host == '\0' || strlen(host) > 255 ||
	    strspn(host, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789.-:[]") != strlen(host))
		return path;
	return arena_printf(r->arena, "%s://%s%s",
	    https != NULL && strcmp(https, "on") == 0 ? "https" : "http",
	    host, path);
}

/* Returns the wording of a role name. */
const char *
admin_role_text(const char *role)
{
	if (strcmp(role, "agent") == 0)
		return _("Agent");
	if (strcmp(role, "supervisor") == 0)
		return _("Supervisor");
	if (strcmp(role, "mediator") == 0)
		return _("Mediator");
	if (strcmp(role, "administrator") == 0)
		return _("Administrator");
	return role;
}

/* Reads field id of the POST like form_get(), with the administration
 * pages' own messages (they speak of the person whose account it is,
 * not of the reader): empty (when required) and malformed. Returns the
 * value, or NULL (with an error recorded when it was wrong). */
const char *
admin_field(struct form *f, enum field_id id, const char *empty,
    const char *bad)
{
	const char	*v = params_get(&f->r->form, fields[id].name);

	if (v == NULL || *v == '\0') {
		if (empty != NULL)
			form_error(f, fields[id].name, empty);
		return NULL;
	}
	if (field_check(id, v, strlen(v)) == -1) {
		form_error(f, fields[id].name, bad);
		return NULL;
	}
	return v;
}

/* The end of a POST of a page of the administration pages that saves a
 * record: 303 to self?m=<the outcome's notice key> when done, the error
 * page of a refusal, else the form again (409 when the POST was a
 * replay). */
int
admin_answer(struct req *r, struct form *f, const struct outcome *o,
    const char *self, int (*render)(struct req *, struct form *, int))
{
	if (o->act == OUT_DONE)
		return resp_redirect(r, arena_printf(r->arena, "%s?m=%s", self,
		    o->field));
	if (outcome_refuse(r, f, o))
		return 0;
	return render(r, f, strcmp(o->word, "replayed") == 0 ? 409 : 200);
}

/* Answers a page of the administration pages with a form: the
 * administrator check, then render on a GET, or the CSRF check and save
 * on a POST. */
int
admin_page(struct req *r, int (*render)(struct req *, struct form *, int),
    int (*save)(struct req *))
{
	struct form	 f;

	if (admin_require(r) != 0)
		return 0;
	if (r->method != M_POST) {
		form_init(&f, r);
		return render(r, &f, 200);
	}
	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Reload the page and try again."));
	return save(r);
}
