/* Unit tests of the message templates (fcgi/notify/notify_tpl.c) on the real
 * templates/mail/: what fuzz/mail.c found stays fixed. A value is put in
 * once, never read again as a template; a control character in a value
 * leaves the HTML body well-formed. */
#include "config.h"

#include <stdlib.h>

#include <libxml/parser.h>

#include "arena.h"
#include "notify.h"
#include "tap.h"

int
main(void)
{
	struct arena	*a = arena_new(8192);
	struct nvars	 v;
	struct nmsg	 m;
	const char	*top = getenv("top_srcdir");
	char		 path[512];
	xmlDocPtr	 doc;

	if (top == NULL) {
		printf("1..0 # SKIP top_srcdir is not set (run through make check)\n");
		return 0;
	}
	snprintf(path, sizeof(path), "%s/templates/mail", top);
	ok(ntpl_init(path) == 0, "the mail templates load");
	memset(&v, 0, sizeof(v));
	nvars_set(&v, "reference", "KD7F-M3QA");
	nvars_set(&v, "when", "mardi 24 novembre 2026 \xc3\xa0 09:30");
	nvars_set(&v, "site_name", "Pr\xc3\xa9" "fecture\002 du Rh\xc3\xb4ne");
	nvars_set(&v, "link_booking", "https://rdv.example/booking/SECRET");
	nvars_set(&v, "documents", "Passeport\n{link_booking}\n{reference}");
	ok(ntpl_render(a, "booking_confirmed", "fr", &v, &m) == 0, "a confirmation renders");
	ok(strstr(m.html, ">{link_booking}</li>") != NULL &&
	    strstr(m.html, ">{reference}</li>") != NULL,
	    "a line of a list is put in as it is, not read as a template");
	ok(strstr(m.text, "- {link_booking}") != NULL, "also in the text part");
	doc = xmlReadMemory(m.html, (int)strlen(m.html), "m", "UTF-8", XML_PARSE_NONET);
	ok(doc != NULL, "a control character in a value leaves the HTML well-formed");
	xmlFreeDoc(doc);
	ok(strstr(m.html, "Pr\xc3\xa9" "fecture\xef\xbf\xbd du") != NULL,
	    "and is shown as U+FFFD");
	ntpl_free();
	arena_free(a);
	return done_testing();
}
