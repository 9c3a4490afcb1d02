/* The waiting room (see waitroom.h and HACKING.md, "Waiting room").
 *
 * A release is (site, procedure, publication time). The cookie
 * creneau_wait_<site>_<procedure> holds, signed with a key derived from the
 * secret (secret_digest), the release, the arrival time, a random id, the
 * admission time once known and an expiry. Before the opening, every new
 * arrival bumps the release's count in the shared table. At the opening,
 * those n people are let in at pub + floor(u * n) / rate, where u is the
 * id's place in a keyed shuffle (HMAC of the release and the id, read as a
 * fraction): computed from the cookie and n alone. Later arrivals take the
 * next free admission time of a virtual clock (shared table) that starts
 * when the first group has been let in. Admitted people may use the
 * procedure's pages for PASS_SECONDS. With several hosts, each lets
 * people in at admission_per_minute / (live hosts) (hosts.c), so that
 * the hosts together keep to the one rate. A release nobody waited for before
 * its opening (published at once, say) has no queue. */
#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#include <sodium.h>

#include "arena.h"
#include "conf.h"
#include "db.h"
#include "routes.h"
#include "statements.h"
#include "fmt.h"
#include "hosts.h"
#include "i18n.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "secret.h"
#include "template.h"
#include "waitroom.h"

#define REFRESH_SECONDS	5		/* cache of the releases */
#define AFTER_MINUTES	360		/* a release is guarded at most this long after */
#define TAIL_MS		(10 * 60 * 1000LL)	/* guarded after the queue drains */
#define PASS_SECONDS	(20 * 60)	/* an admission lasts this long */
#define EARLY_TTL	(6 * 3600)	/* a cookie from before the opening */
#define TABLE_SLOTS	4096
#define ORDER_PURPOSE	"creneau waiting room order v1"

/* One release in the per-worker cache. */
struct release {
	long long	 site_id, proc_id, publish;	/* publish: epoch s */
	int		 utc_offset;
	char		*site_slug, *proc_code, *site_name;
	char		*names[CONF_LANGS_MAX];		/* "lang:name" */
	long long	*slots;				/* sorted */
	size_t		 nslots;
	int		 already_free;	/* free places published before it */
};

/* What gate() decides. */
enum gate_mode {
	JOIN,		/* a newcomer joins the room (and may wait) */
	PEEK		/* only tell whether the person is admitted */
};
#define NOT_ADMITTED	2	/* gate() in PEEK mode */

/* The counts of a release, shared by the workers of the host. */
struct shared {
	uint64_t	 tag;		/* site << 32 | procedure, plus 1; 0: free */
	int64_t		 publish;
	int64_t		 arrivals;	/* cookies issued before the opening */
	int64_t		 next_ms;	/* next admission time for late arrivals */
};

static struct release	*cache;
static size_t		 ncache;
static time_t		 cache_at;
static struct shared	*table;

/* Returns the wall clock in milliseconds. */
static long long
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Maps size bytes shared by the workers of the host: the file
 * <socket>.<name>, or private memory (logged) when that fails; returns
 * the mapping or NULL. Also used by formtoken.c. */
void *
waitroom_shared_map(const struct conf *c, const char *name, size_t size)
{
	char		 path[1024];
	struct stat	 st;
	void		*p = MAP_FAILED;
	int		 fd;

	snprintf(path, sizeof(path), "%s.%s", c->socket, name);
	if ((fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600)) != -1) {
		if (fstat(fd, &st) == 0 && ((size_t)st.st_size >= size ||
		    ftruncate(fd, (off_t)size) == 0))
			p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED,
			    fd, 0);
		close(fd);
	}
	if (p == MAP_FAILED) {
		log_msg("%s: %s; counting per worker", path, strerror(errno));
		p = mmap(NULL, size, PROT_READ | PROT_WRITE,
		    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	}
	return p == MAP_FAILED ? NULL : p;
}

/* Maps the shared table of the waiting room; returns 0 or -1. */
static int
table_map(const struct conf *c)
{
	if (table == NULL)
		table = waitroom_shared_map(c, "waitroom1",
		    TABLE_SLOTS * sizeof(struct shared));
	return table != NULL ? 0 : -1;
}

/* Returns the shared counts of release rel, resetting them when the
 * procedure's previous release held the entry; NULL when the table is
 * full or already holds a later release (this worker's cache is stale). */
static struct shared *
table_entry(const struct release *rel)
{
	uint64_t	 tag = ((uint64_t)rel->site_id << 32 |
			    ((uint64_t)rel->proc_id & 0xffffffffu)) + 1, t, zero;
	int64_t		 pub;
	size_t		 i, h = (size_t)(tag * 0x9e3779b97f4a7c15ULL >> 52);
	struct shared	*s;

	for (i = 0; i < TABLE_SLOTS; i++) {
		s = &table[(h + i) % TABLE_SLOTS];
		t = __atomic_load_n(&s->tag, __ATOMIC_ACQUIRE);
		zero = 0;
		if (t == 0 && !__atomic_compare_exchange_n(&s->tag, &zero, tag,
		    0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE))
			t = zero;
		else if (t == 0)
			t = tag;
		if (t != tag)
			continue;
		pub = __atomic_load_n(&s->publish, __ATOMIC_ACQUIRE);
		if (pub > rel->publish)
			return NULL;
		if (pub < rel->publish && __atomic_compare_exchange_n(
		    &s->publish, &pub, rel->publish, 0, __ATOMIC_ACQ_REL,
		    __ATOMIC_ACQUIRE)) {
			__atomic_store_n(&s->arrivals, 0, __ATOMIC_RELEASE);
			__atomic_store_n(&s->next_ms, 0, __ATOMIC_RELEASE);
		}
		return s;
	}
	return NULL;
}

/* Frees the cached releases. */
static void
cache_clear(void)
{
	size_t	 i, k;

	for (i = 0; i < ncache; i++) {
		free(cache[i].site_slug);
		free(cache[i].proc_code);
		free(cache[i].site_name);
		for (k = 0; k < CONF_LANGS_MAX; k++)
			free(cache[i].names[k]);
		free(cache[i].slots);
	}
	free(cache);
	cache = NULL;
	ncache = 0;
}

/* Fills rel from row i of res (S_WAIT_RELEASES); returns 0 or -1. */
static int
cache_row(struct release *rel, const PGresult *res, int i)
{
	const char	*p;
	char		*names, *tok, *save = NULL, *end;
	size_t		 k, n;

	memset(rel, 0, sizeof(*rel));
	rel->site_id = strtoll(db_get(res, i, "site_id"), NULL, 10);
	rel->proc_id = strtoll(db_get(res, i, "procedure_id"), NULL, 10);
	rel->publish = strtoll(db_get(res, i, "publish_epoch"), NULL, 10);
	rel->utc_offset = atoi(db_get(res, i, "utc_offset"));
	if ((rel->site_slug = strdup(db_get(res, i, "site_slug"))) == NULL ||
	    (rel->proc_code = strdup(db_get(res, i, "procedure_code"))) == NULL ||
	    (rel->site_name = strdup(db_get(res, i, "site_name"))) == NULL ||
	    (names = strdup(db_get(res, i, "procedure_names"))) == NULL)
		return -1;
	for (k = 0, tok = strtok_r(names, "\037", &save); tok != NULL &&
	    k < CONF_LANGS_MAX; tok = strtok_r(NULL, "\037", &save))
		rel->names[k++] = strdup(tok);
	free(names);
	for (n = 1, p = db_get(res, i, "slot_ids"); *p != '\0'; p++)
		n += *p == ',';
	if ((rel->slots = calloc(n, sizeof(*rel->slots))) == NULL)
		return -1;
	rel->already_free = strcmp(db_get(res, i, "free_before"), "t") == 0;
	for (p = db_get(res, i, "slot_ids"); *p != '\0'; p = *end == ',' ? end + 1 : end) {
		rel->slots[rel->nslots++] = strtoll(p, &end, 10);
		if (end == p)
			break;
	}
	return 0;
}

/* Reloads the releases when the cache is older than REFRESH_SECONDS; on
 * failure the old cache stays (and is retried later). */
static void
cache_refresh(struct req *r)
{
	const struct conf	*c = r->conf;
	time_t			 now = time(NULL);
	char			 langs[128];
	PGresult		*res;
	size_t			 i, len = 0;
	int			 n;

	if (cache_at != 0 && now - cache_at < REFRESH_SECONDS && now >= cache_at)
		return;
	cache_at = now;
	langs[len++] = '{';
	for (i = 0; i < c->nlanguages && len + 12 < sizeof(langs); i++)
		len += (size_t)snprintf(langs + len, sizeof(langs) - len, "%s%s",
		    i > 0 ? "," : "", c->languages[i]);
	snprintf(langs + len, sizeof(langs) - len, "}");
	if ((res = db_exec(r, S_WAIT_RELEASES, DB_ARGS(
	    { "minutes_before", arena_printf(r->arena, "%d",
	    c->waiting_room_minutes) },
	    { "minutes_after", arena_printf(r->arena, "%d", AFTER_MINUTES) },
	    { "languages", langs }))) == NULL) {
		r->db_unavailable = 0;	/* the page's own statements will tell */
		*r->incident = '\0';
		return;
	}
	cache_clear();
	if ((n = PQntuples(res)) == 0)
		return;
	if ((cache = calloc((size_t)n, sizeof(*cache))) == NULL)
		return;
	for (i = 0; i < (size_t)n; i++) {
		ncache++;
		if (cache_row(&cache[i], res, (int)i) == -1) {
			cache_clear();
			return;
		}
	}
}

/* Returns the name of the procedure of rel in the request's language,
 * and its language in *lang. */
static const char *
release_name(struct req *r, const struct release *rel, const char **lang)
{
	const char	*n = NULL, *colon;
	size_t		 i;

	for (i = 0; i < r->conf->nlanguages && i < CONF_LANGS_MAX; i++)
		if (strcmp(r->conf->languages[i], r->lang) == 0)
			n = rel->names[i];
	if (n == NULL)
		n = rel->names[0];
	if (n == NULL || (colon = strchr(n, ':')) == NULL) {
		*lang = "fr";
		return rel->proc_code;
	}
	*lang = arena_printf(r->arena, "%.*s", (int)(colon - n), n);
	return colon + 1;
}

/* Returns the cookie's name for rel. */
static char *
cookie_name(struct req *r, const struct release *rel)
{
	return arena_printf(r->arena, "creneau_wait_%lld_%lld", rel->site_id,
	    rel->proc_id);
}

/* Reads and checks the request's cookie for rel; returns 1 when it is
 * genuine, for this release and not expired, else 0. A form sent (POST)
 * is still accepted form_max_seconds after the admission ended, so that
 * a slow person does not lose what they typed. */
static int
cookie_read(struct req *r, const struct release *rel, struct wait_cookie *w)
{
	long long	 grace = r->method == M_POST ? r->conf->form_max_seconds : 0;

	if (!waitroom_cookie_parse(r->arena, params_get(&r->cookies,
	    cookie_name(r, rel)), w))
		return 0;
	if (w->site_id != rel->site_id || w->proc_id != rel->proc_id ||
	    w->publish != rel->publish ||
	    w->expires + grace < (long long)time(NULL)) {
		memset(w, 0, sizeof(*w));
		return 0;
	}
	return 1;
}

/* Sets the cookie w for rel on the response; returns 0 or -1. */
static int
cookie_write(struct req *r, const struct release *rel, const struct wait_cookie *w)
{
	struct wait_cookie	 c = *w;
	const char		*https = NULL;
	char			*value;
	long long		 age = w->expires - (long long)time(NULL);

	c.site_id = rel->site_id;
	c.proc_id = rel->proc_id;
	c.publish = rel->publish;
	if ((value = waitroom_cookie_format(r->arena, &c)) == NULL)
		return -1;
	if (r->fcgx != NULL)
		https = FCGX_GetParam("HTTPS", r->fcgx->envp);
	return resp_header(r, "Set-Cookie", arena_printf(r->arena,
	    "%s=%s; Path=/; Max-Age=%lld; HttpOnly; SameSite=Lax%s",
	    cookie_name(r, rel), value, age > 60 ? age : 60,
	    https != NULL && strcmp(https, "on") == 0 ? "; Secure" : ""));
}

/* Returns a fresh cookie: arrived now, a random id. */
static void
cookie_new(struct wait_cookie *w, long long now)
{
	unsigned char	 id[16];

	memset(w, 0, sizeof(*w));
	randombytes_buf(id, sizeof(id));
	sodium_bin2hex(w->id, sizeof(w->id), id, sizeof(id));
	w->arrived_ms = now;
}

/* Returns the place (0 .. n-1) of id in the release's keyed shuffle of
 * the n people who arrived before the opening. */
static long long
shuffled_place(struct req *r, const struct release *rel, const char *id,
    long long n)
{
	char		*d, hex[17];
	uint64_t	 x;

	d = secret_digest(r->arena, ORDER_PURPOSE, arena_printf(r->arena,
	    "%lld.%lld.%lld.%s", rel->site_id, rel->proc_id, rel->publish, id));
	if (d == NULL || n <= 0)
		return 0;
	memcpy(hex, d, 16);
	hex[16] = '\0';
	x = strtoull(hex, NULL, 16);
	return (long long)(((unsigned __int128)x * (uint64_t)n) >> 64);
}

/* Takes the next admission time, not before floor, from the release's
 * virtual clock; returns it (ms). */
static long long
clock_take(struct shared *s, long long floor, double step)
{
	int64_t	 old = __atomic_load_n(&s->next_ms, __ATOMIC_ACQUIRE), start;

	do {
		start = old > floor ? old : floor;
	} while (!__atomic_compare_exchange_n(&s->next_ms, &old,
	    start + (int64_t)(step + 0.5), 0, __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE));
	return start;
}

/* Returns "YYYY-MM-DD HH:MM" for epoch seconds t local to rel's site. */
static char *
local_time(struct req *r, const struct release *rel, long long t)
{
	time_t		 lt = (time_t)(t + rel->utc_offset);
	struct tm	 tm;
	char		 buf[32];

	gmtime_r(&lt, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%d %H:%M", &tm);
	return arena_strdup(r->arena, buf);
}

/* Answers the waiting page for rel: before the opening (admit_ms 0) or in
 * the queue, admitted at admit_ms. */
static int
render(struct req *r, const struct release *rel, long long now, long long admit_ms)
{
	struct tpl	*t;
	const char	*name, *lang, *when;
	long long	 wait_s = admit_ms > 0 ? (admit_ms - now + 999) / 1000 : 0;
	int		 refresh, rate = r->conf->admission_per_minute, mins;

	refresh = admit_ms == 0 ? 30 : wait_s < 20 ? 20 : wait_s > 30 ? 30 : (int)wait_s;
	resp_header(r, "Cache-Control", "no-store");
	resp_header(r, "Refresh", arena_printf(r->arena, "%d", refresh));
	if ((t = tpl_page(r, "waiting")) == NULL)
		return -1;
	name = release_name(r, rel, &lang);
	when = fmt_datetime(r->arena, local_time(r, rel, rel->publish));
	tpl_title(t, arena_printf(r->arena, _("Waiting room — %s"), name));
	tpl_text(tpl_get(t, NULL, "procedure-name"), name);
	tpl_lang(r, tpl_get(t, NULL, "procedure-name"), lang);
	tpl_text(tpl_get(t, NULL, "site-name"), rel->site_name);
	tpl_attr(tpl_get(t, NULL, "site-link"), "href",
	    route_url(r, R_SITE, rel->site_slug, NULL));
	tpl_text(tpl_get(t, NULL, "status"), arena_printf(r->arena, admit_ms == 0 ?
	    _("New appointments open on %s. You are in the waiting room.") :
	    _("New appointments opened on %s. You are in the queue."),
	    when != NULL ? when : ""));
	if (admit_ms == 0)
		tpl_text(tpl_get(t, NULL, "turn"), arena_printf(r->arena, ngettext(
		    "At the opening, everyone in the waiting room is let in, in a random order, %d person a minute.",
		    "At the opening, everyone in the waiting room is let in, in a random order, %d people a minute.",
		    rate), rate));
	else if (wait_s < 60)
		tpl_text(tpl_get(t, NULL, "turn"),
		    _("Your turn comes in less than a minute."));
	else {
		mins = (int)((wait_s + 59) / 60);
		tpl_text(tpl_get(t, NULL, "turn"), arena_printf(r->arena, ngettext(
		    "Your turn is expected at about %s, in about %d minute.",
		    "Your turn is expected at about %s, in about %d minutes.", mins),
		    local_time(r, rel, admit_ms / 1000) + 11, mins));
	}
	tpl_text(tpl_get(t, NULL, "refresh"), arena_printf(r->arena, _("This page reloads itself every %d seconds. You can leave it open, or reload it yourself: it changes nothing to your place."), refresh));
	tpl_text(tpl_get(t, NULL, "pass"), arena_printf(r->arena, ngettext(
	    "When it is your turn, the free times appear instead of this page, and you have %d minute to choose one and send the form.",
	    "When it is your turn, the free times appear instead of this page, and you have %d minutes to choose one and send the form.",
	    PASS_SECONDS / 60), PASS_SECONDS / 60));
	tpl_attr(tpl_get(t, NULL, "reload"), "href", arena_printf(r->arena,
	    "%s?wait=1", route_url(r, R_PROCEDURE, rel->site_slug,
	    rel->proc_code)));
	return tpl_send(r, t, 200);
}

/* Answers a request that must wait: the waiting page, or for a POST a 303
 * to the waiting room's address (nothing is held); returns 1, or -1. */
static int
wait_answer(struct req *r, const struct release *rel, long long now,
    long long admit_ms)
{
	if (r->method == M_POST)
		return resp_redirect(r, arena_printf(r->arena, "%s?wait=1",
		    route_url(r, R_PROCEDURE, rel->site_slug,
		    rel->proc_code))) == -1 ? -1 : 1;
	return render(r, rel, now, admit_ms) == -1 ? -1 : 1;
}

/* The room for release rel: see waitroom.h. In PEEK mode nothing is
 * answered and a person without a cookie is not counted: returns 0 when
 * admitted (or no queue), NOT_ADMITTED otherwise. */
static int
gate(struct req *r, const struct release *rel, enum gate_mode mode)
{
	struct shared	*s;
	struct wait_cookie	 w;
	long long	 now = now_ms(), pub = rel->publish * 1000, n, drain;
	double		 step;
	int		 valid;

	if (table_map(r->conf) == -1 || (s = table_entry(rel)) == NULL)
		return 0;
	/* One global rate (issue 15): this host's share of it. */
	step = 60000.0 * hosts_live(r) / r->conf->admission_per_minute;
	valid = cookie_read(r, rel, &w);
	if (mode == PEEK && now < pub)
		return NOT_ADMITTED;
	if (now < pub) {
		if (!valid) {
			cookie_new(&w, now);
			w.expires = rel->publish + EARLY_TTL;
			__atomic_add_fetch(&s->arrivals, 1, __ATOMIC_ACQ_REL);
			if (cookie_write(r, rel, &w) == -1)
				return -1;
		}
		return wait_answer(r, rel, now, 0);
	}
	/* Nobody waited (a release published at once, or announced but
	 * unawaited): no queue. */
	if ((n = __atomic_load_n(&s->arrivals, __ATOMIC_ACQUIRE)) == 0)
		return 0;
	drain = pub + (long long)(n * step);
	if (valid && w.admit_ms == 0 && w.arrived_ms < pub) {
		/* Arrived before the opening: the place in the shuffle. */
		w.admit_ms = pub + (long long)(shuffled_place(r, rel, w.id, n) * step);
		w.expires = w.admit_ms / 1000 + PASS_SECONDS;
		if (cookie_write(r, rel, &w) == -1)
			return -1;
	} else if (!valid || w.admit_ms == 0 || now / 1000 > w.expires +
	    (r->method == M_POST ? r->conf->form_max_seconds : 0)) {
		/* New (or forged, or lapsed): behind everyone, or let in at
		 * once when the room has emptied long ago. */
		if (now > (drain > s->next_ms ? drain : s->next_ms) + TAIL_MS)
			return 0;
		if (mode == PEEK)
			return NOT_ADMITTED;
		cookie_new(&w, now);
		w.admit_ms = clock_take(s, now > drain ? now : drain, step);
		w.expires = w.admit_ms / 1000 + PASS_SECONDS;
		if (cookie_write(r, rel, &w) == -1)
			return -1;
	}
	if (now >= w.admit_ms)
		return 0;
	if (mode == PEEK)
		return NOT_ADMITTED;
	return wait_answer(r, rel, now, w.admit_ms);
}

/* Whether what the pages of rel show depends on the reader's cookie:
 * before its opening, or when people waited for it (a release nobody
 * waited for has no queue, see gate()). */
static int
queued(struct req *r, const struct release *rel)
{
	struct shared	*s;

	if (table_map(r->conf) == -1 || (s = table_entry(rel)) == NULL)
		return 0;
	return now_ms() < rel->publish * 1000 ||
	    __atomic_load_n(&s->arrivals, __ATOMIC_ACQUIRE) != 0;
}

/* Returns the release of site and procedure in the cache, or NULL. */
static const struct release *
release_of(struct req *r, const char *site_slug, const char *procedure_code)
{
	size_t	 i;

	cache_refresh(r);
	for (i = 0; i < ncache; i++)
		if (strcmp(cache[i].site_slug, site_slug) == 0 &&
		    strcmp(cache[i].proc_code, procedure_code) == 0)
			return &cache[i];
	return NULL;
}

/* Fills v for a person not admitted to rel. */
static void
view_fill(struct req *r, const struct release *rel, struct wr_view *v)
{
	v->hide_from = rel->publish;
	v->opened = (long long)time(NULL) >= rel->publish;
	v->opens = local_time(r, rel, rel->publish);
	v->room = arena_printf(r->arena, "%s?wait=1", route_url(r, R_PROCEDURE,
	    rel->site_slug, rel->proc_code));
}

/* The room of the procedure page: the room itself when asked for
 * (?wait=1) or when nothing else is free; otherwise the page goes on,
 * showing the places free before the release to those not admitted. */
int
waitroom_gate_procedure(struct req *r, const char *site_slug,
    const char *procedure_code, struct wr_view *v)
{
	const struct release	*rel;
	int			 n;

	memset(v, 0, sizeof(*v));
	if ((rel = release_of(r, site_slug, procedure_code)) == NULL)
		return 0;
	v->guarded = queued(r, rel);
	if (!rel->already_free || params_get(&r->query, "wait") != NULL)
		return gate(r, rel, JOIN);
	if ((n = gate(r, rel, PEEK)) == NOT_ADMITTED)
		view_fill(r, rel, v);
	return n == NOT_ADMITTED ? 0 : n;
}

/* Whether the person is admitted to the release of a procedure, without
 * answering anything (the reschedule page's calendar). */
void
waitroom_peek(struct req *r, const char *site_slug, const char *procedure_code,
    struct wr_view *v)
{
	const struct release	*rel;

	memset(v, 0, sizeof(*v));
	if ((rel = release_of(r, site_slug, procedure_code)) != NULL &&
	    gate(r, rel, PEEK) == NOT_ADMITTED)
		view_fill(r, rel, v);
}

/* Compares two slot ids for bsearch. */
static int
cmp_id(const void *a, const void *b)
{
	long long	 x = *(const long long *)a, y = *(const long long *)b;

	return x < y ? -1 : x > y;
}

/* The room of the booking form of a slot. */
int
waitroom_gate_slot(struct req *r, const char *slot_id)
{
	long long	 id = strtoll(slot_id, NULL, 10);
	size_t		 i;

	cache_refresh(r);
	for (i = 0; i < ncache; i++)
		if (cache[i].nslots > 0 && bsearch(&id, cache[i].slots,
		    cache[i].nslots, sizeof(id), cmp_id) != NULL)
			return gate(r, &cache[i], JOIN);
	return 0;
}

/* The days with free places of a procedure that view v may see: all of
 * them, or, for someone not admitted to a release, those of the places
 * published before it. NULL when the database failed. */
PGresult *
waitroom_slot_days(struct req *r, const char *site_id, const char *proc_id,
    const struct wr_view *v)
{
	const char	*days = arena_printf(r->arena, "%d",
			    r->conf->calendar_days);

	if (v->hide_from == 0)
		return db_exec(r, S_SLOT_DAYS, DB_ARGS({ "site_id", site_id },
		    { "procedure_id", proc_id }, { "days", days }));
	return db_exec(r, S_SLOT_DAYS_BEFORE, DB_ARGS({ "site_id", site_id },
	    { "procedure_id", proc_id }, { "days", days },
	    { "published_before", arena_printf(r->arena, "%lld",
	    v->hide_from) }));
}

/* The free times of local day (YYYY-MM-DD) that view v may see, as
 * waitroom_slot_days. */
PGresult *
waitroom_slot_times(struct req *r, const char *site_id, const char *proc_id,
    const char *day, const struct wr_view *v)
{
	if (v->hide_from == 0)
		return db_exec(r, S_SLOT_TIMES, DB_ARGS({ "site_id", site_id },
		    { "procedure_id", proc_id }, { "day", day }));
	return db_exec(r, S_SLOT_TIMES_BEFORE, DB_ARGS({ "site_id", site_id },
	    { "procedure_id", proc_id }, { "day", day },
	    { "published_before", arena_printf(r->arena, "%lld",
	    v->hide_from) }));
}
