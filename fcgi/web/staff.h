/* Staff sessions: the logged-in account of a request (from the
 * __Host-creneau-staff cookie and staff_session() in SQL), role checks
 * and CSRF checks for the /agent/ pages. */
#ifndef CRENEAU_STAFF_H
#define CRENEAU_STAFF_H

struct req;

#define STAFF_COOKIE	"__Host-creneau-staff"
#define DEVICE_COOKIE	"__Host-creneau-device"	/* a browser that logged in */
#define LOGIN_COOKIE	"__Host-creneau-login"	/* pre-session of the login form */

enum staff_role {
	ROLE_AGENT = 1,
	ROLE_SUPERVISOR = 2,
	ROLE_MEDIATOR = 4,
	ROLE_ADMIN = 8,
	ROLE_ANY = 15
};

struct staff {
	const char	*id;
	const char	*email;
	const char	*name;
	enum staff_role	 role;
	const char	*role_name;
	const char	*organisation_id;	/* "" unless a mediator */
	const char	*csrf;
};

int		 staff_require(struct req *, unsigned roles);
int		 staff_csrf_ok(struct req *);
int		 staff_site_refuse(struct req *, const char *site_id);
const char	*staff_client_key(struct req *);
const char	*staff_device_id(struct req *, const char *login);
int		 staff_device_set(struct req *, const char *login, const char *id);

#endif
