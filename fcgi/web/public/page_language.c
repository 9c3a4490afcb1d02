/* POST /language: remembers the language chosen (lang) in a cookie and
 * goes back (303) to the page the form was on (return): a path of ours
 * that matches a GET route of the table with every segment valid, so the
 * target is never an address taken from outside. */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "conf.h"
#include "fields.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "routes.h"

/* Answers 303 with a lang cookie, or 400 when a field is wrong. */
int
page_language(struct req *r)
{
	const char		*lang, *back, *args[ROUTE_ARGS], *target;
	const struct route	*rt;
	char			*cookie, buf[256];
	int			 bad;

	lang = params_get(&r->form, "lang");
	back = params_get(&r->form, "return");
	if (lang == NULL || field_check(F_LANG, lang, strlen(lang)) == -1 ||
	    !conf_has_language(r->conf, lang))
		return resp_error(r, 400, N_("This language is not offered."));
	target = "/";
	if (back != NULL && field_check(F_RETURN, back, strlen(back)) == 0 &&
	    (rt = route_match(back, args, buf, sizeof(buf), &bad)) != NULL &&
	    (rt->methods & M_GET) != 0)
		target = back;
	cookie = arena_printf(r->arena,
	    "lang=%s; Path=/; Max-Age=31536000; SameSite=Lax; HttpOnly", lang);
	if (cookie == NULL || target == NULL ||
	    resp_header(r, "Set-Cookie", cookie) == -1)
		return -1;
	return resp_redirect(r, target);
}
