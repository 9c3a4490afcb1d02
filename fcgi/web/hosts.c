/* The application hosts and their beats (see hosts.h). */
#include "config.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "statements.h"
#include "req.h"
#include "hosts.h"
#include "waitroom.h"

/* Shared by the workers of the host (mapped file <socket>.hosts1). */
struct hosts_shared {
	int64_t		 next_beat_ms;	/* the next beat is due then */
	int64_t		 live;		/* live hosts at the last beat; 0: unknown */
};

static struct hosts_shared	*shared;
static char			 name[512];

/* This host's name in creneau_hosts: host_name, else the machine's name
 * and the FastCGI socket (two sets on one machine are two hosts). */
const char *
hosts_name(const struct conf *c)
{
	char	 h[256];

	if (*name != '\0')
		return name;
	if (c->host_name != NULL && *c->host_name != '\0')
		snprintf(name, sizeof(name), "%s", c->host_name);
	else {
		if (gethostname(h, sizeof(h)) != 0)
			snprintf(h, sizeof(h), "localhost");
		h[sizeof(h) - 1] = '\0';
		snprintf(name, sizeof(name), "%s:%s", h, c->socket);
	}
	return name;
}

/* Beats when one is due (one worker of the host wins the shared time),
 * then returns the number of live hosts known, at least 1. A failed beat
 * (database unreachable) keeps the last count and tells nothing to the
 * request. */
int
hosts_live(struct req *r)
{
	PGresult	*res;
	long long	 now = db_clock_ms();
	int64_t		 next, live;
	long		 n;

	if (shared == NULL && (shared = waitroom_shared_map(r->conf, "hosts1",
	    sizeof(*shared))) == NULL)
		return 1;
	next = __atomic_load_n(&shared->next_beat_ms, __ATOMIC_ACQUIRE);
	if ((now >= next || next - now > 2 * HOSTS_BEAT_MS) &&
	    __atomic_compare_exchange_n(&shared->next_beat_ms, &next,
	    now + HOSTS_BEAT_MS, 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		if ((res = db_exec(r, S_HOST_BEAT, DB_ARGS(
		    { "host", hosts_name(r->conf) }, { "live_seconds",
		    arena_printf(r->arena, "%d", HOSTS_LIVE_SECONDS) }))) != NULL &&
		    PQntuples(res) == 1 &&
		    (n = strtol(db_get(res, 0, "live"), NULL, 10)) > 0)
			__atomic_store_n(&shared->live, (int64_t)n,
			    __ATOMIC_RELEASE);
		r->db_unavailable = 0;
		*r->incident = '\0';
		*r->sqlstate = '\0';
	}
	live = __atomic_load_n(&shared->live, __ATOMIC_ACQUIRE);
	return live >= 1 ? (int)live : 1;
}

/* After a request: beats when due, with a request of its own. */
void
hosts_tick(const struct conf *c, struct arena *a)
{
	struct req	 r;

	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.conf = c;
	(void)hosts_live(&r);
}
