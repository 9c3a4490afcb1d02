/* POST /agent/logout: ends the session on the server (not only the
 * cookie) and answers 303 to the login page. */
#include "config.h"

#include "arena.h"
#include "db.h"
#include "statements.h"
#include "i18n.h"
#include "req.h"
#include "response.h"
#include "staff.h"

/* Logs out, after the CSRF check. */
int
page_agent_logout(struct req *r)
{
	if (staff_require(r, ROLE_ANY) != 0)
		return 0;
	if (!staff_csrf_ok(r))
		return resp_error(r, 403, N_("The form could not be checked. Go back, reload the page and try again."));
	if (db_exec(r, S_STAFF_LOGOUT, DB_ARGS({ "token",
	    params_get(&r->cookies, STAFF_COOKIE) })) == NULL)
		return db_fail(r);
	resp_header(r, "Set-Cookie", STAFF_COOKIE
	    "=; Path=/; Secure; HttpOnly; SameSite=Strict; Max-Age=0");
	return resp_redirect(r, "/agent/login?m=out");
}
