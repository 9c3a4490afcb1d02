/* Fuzzes the message templates of creneau-notify (fcgi/notify/notify_tpl.c,
 * templates/mail/): every kind of message rendered with variables taken
 * from the input (the first byte picks the kind, then NUL-separated
 * UTF-8 values, as PostgreSQL hands them over). Properties: no crash, no
 * leak; the HTML body is well-formed XML in valid UTF-8 whose elements
 * and attributes are only those of the templates (a value never becomes
 * markup); a value is put in once, never read again as a template: a
 * variable no template names ({zz_canary}) never shows, even when a value
 * asks for it; the SMS is one line. */
#include "config.h"

#include <dirent.h>

#include "arena.h"
#include "fuzz.h"
#include "fuzz_xml.h"
#include "notify.h"
#include "req.h"
#include "request.h"
#include "response.h"

#define CANARY	"CANARY-7f3a"

/* template.c's resp_send is not linked: nothing is sent. */
int
resp_send(struct req *r, int status, const char *type, const char *body,
    size_t len)
{
	return 0;
}

static const char *const vars[] = { "site_name", "when", "procedure_name",
    "reference", "link_procedure", "code", "link_unsubscribe", "link_code",
    "link_booking", "link_alert", "base_url", "address", "token",
    "link_cancel", "hold_expires_local", "deadline_local", "closes_local",
    "reason", "old_when", "first_when", "draw_local", "alternative_route",
    "alert_days", "documents", "item" };
#define NV	(sizeof(vars) / sizeof(vars[0]))

static char		*kinds[32];
static size_t		 nkinds;
static char		*names[260];	/* elements and attributes of the templates */
static size_t		 nnames;
static struct arena	*a;

/* Adds the element and attribute names under n to names. */
static void
collect(xmlNodePtr n)
{
	xmlAttrPtr	 at;
	size_t		 i;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		for (i = 0; i < nnames; i++)
			if (strcmp(names[i], (const char *)n->name) == 0)
				break;
		if (i == nnames && nnames < 256)
			names[nnames++] = strdup((const char *)n->name);
		for (at = n->properties; at != NULL; at = at->next) {
			for (i = 0; i < nnames; i++)
				if (strcmp(names[i], (const char *)at->name) == 0)
					break;
			if (i == nnames && nnames < 256)
				names[nnames++] = strdup((const char *)at->name);
		}
		collect(n->children);
	}
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char	*dir = FUZZ_SRCDIR "/templates/mail";
	char		 path[4096];
	DIR		*d;
	struct dirent	*e;
	xmlDocPtr	 doc;
	size_t		 len;

	if (ntpl_init(dir) != 0 || (d = opendir(dir)) == NULL)
		abort();
	while ((e = readdir(d)) != NULL && nkinds < 32) {
		len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 6, ".xhtml") != 0)
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((doc = xmlReadFile(path, "UTF-8", XML_PARSE_NONET)) == NULL)
			abort();
		collect(xmlDocGetRootElement(doc));
		xmlFreeDoc(doc);
		if (strcmp(e->d_name, "layout.xhtml") != 0)
			kinds[nkinds++] = strndup(e->d_name, len - 6);
	}
	closedir(d);
	/* Sorted, so that the first byte picks the same kind everywhere. */
	qsort(kinds, nkinds, sizeof(kinds[0]), (int (*)(const void *,
	    const void *))strcmp);
	names[nnames++] = strdup("lang");
	names[nnames++] = strdup("dir");
	a = arena_new(16384);
	return 0;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*part[NV];
	const char	*kind;
	struct nvars	 v;
	struct nmsg	 m;
	xmlDocPtr	 doc;
	size_t		 i;

	if (size < 1 || size > 4096)
		return 0;
	kind = kinds[data[0] % nkinds];
	fuzz_parts(data + 1, size - 1, '\0', part, NV);
	for (i = 0; i < NV; i++)
		if (!utf8_valid((const unsigned char *)part[i], strlen(part[i])) ||
		    strstr(part[i], CANARY) != NULL)
			goto done;
	memset(&v, 0, sizeof(v));
	nvars_set(&v, "zz_canary", CANARY);
	for (i = 0; i < NV; i++)
		nvars_set(&v, vars[i], part[i]);
	PROPERTY(ntpl_render(a, kind, "fr", &v, &m) == 0, "%s: not rendered", kind);
	PROPERTY(m.subject != NULL && m.text != NULL && m.html != NULL &&
	    m.sms != NULL, "%s: a part missing", kind);
	PROPERTY(strstr(m.html, CANARY) == NULL && strstr(m.text, CANARY) == NULL &&
	    strstr(m.subject, CANARY) == NULL && strstr(m.sms, CANARY) == NULL,
	    "%s: a value was read as a template", kind);
	PROPERTY(strchr(m.sms, '\n') == NULL && strchr(m.sms, '\r') == NULL,
	    "%s: the SMS is not one line", kind);
	PROPERTY(utf8_valid((const unsigned char *)m.html, strlen(m.html)) &&
	    utf8_valid((const unsigned char *)m.text, strlen(m.text)) &&
	    utf8_valid((const unsigned char *)m.subject, strlen(m.subject)) &&
	    utf8_valid((const unsigned char *)m.sms, strlen(m.sms)),
	    "%s: not UTF-8", kind);
	doc = fuzz_xml_read(m.html, strlen(m.html), kind);
	fuzz_xml_walk(xmlDocGetRootElement(doc), (const char *const *)names);
	xmlFreeDoc(doc);
	arena_reset(a);
done:
	fuzz_free_parts(part, NV);
	return 0;
}
