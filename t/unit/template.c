/* Unit tests of the template module: filling by mark, escaping of text
 * and attributes, repetition, marker removal, polyglot serialisation,
 * refusal of malformed templates; and the real templates all build. */
#include "config.h"

#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <libxml/parser.h>

#include "arena.h"
#include "req.h"
#include "template.h"
#include "tap.h"

static char	 dir[64];

/* Writes a fixture template into the test directory. */
static void
put(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

/* Removes the fixture directory. */
static void
clean(void)
{
	char	 cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
}

static const char layout[] =
    "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"fr\" xml:lang=\"fr\">"
    "<head><meta charset=\"utf-8\"/><title data-c=\"title\">creneau</title></head>"
    "<body><p data-t=\"\">  Skip   to\n content </p><main data-c=\"main\"></main>"
    "<br/><textarea name=\"t\"></textarea></body></html>\n";

static const char page[] =
    "<div xmlns=\"http://www.w3.org/1999/xhtml\" data-c=\"page\" data-title=\"Test page\">"
    "<h1 data-c=\"heading\">x</h1><a data-c=\"link\" href=\"/\" title=\"Home\" data-ta=\"title\">y</a>"
    "<ul><li data-c=\"row\"><span data-c=\"cell\"></span></li></ul><p data-c=\"gone\">z</p></div>\n";

int
main(void)
{
	struct arena	*a = arena_new(8192);
	struct req	 r;
	struct tpl	*t;
	struct tnode	*proto, *row;
	char		*out, path[512], big[601];
	const char	*top, *pages[] = { "home", "site", "error", "procedure", "accessibility",
	    "book", "booking", "cancel", "reschedule", "manage" };
	size_t		 len, i;
	xmlDocPtr	 parsed;

	memset(&r, 0, sizeof(r));
	r.arena = a;
	snprintf(dir, sizeof(dir), "/tmp/creneau-tpl-XXXXXX");
	ok(mkdtemp(dir) != NULL, "fixture directory");
	put("layout.xhtml", layout);
	put("page.xhtml", page);
	ok(tpl_init(dir) == 0, "fixture templates load");
	t = tpl_page(&r, "page");
	ok(t != NULL, "a page is built from layout and page");
	ok(tpl_page(&r, "nonexistent") == NULL, "an unknown page is NULL");
	tpl_text(tpl_get(t, NULL, "heading"), "<script>&\"'");
	tpl_attr(tpl_get(t, NULL, "link"), "href", "/x?a=<script>&b=\"'");
	proto = tpl_get(t, NULL, "row");
	row = tpl_clone(proto);
	tpl_text(tpl_get(t, row, "cell"), "first");
	row = tpl_clone(proto);
	tpl_text(tpl_get(t, row, "cell"), "second");
	tpl_remove(proto);
	tpl_remove(tpl_get(t, NULL, "gone"));
	ok(tpl_get(t, NULL, "nothing") == NULL, "an unknown mark is NULL");
	ok(tpl_text(NULL, "x") == -1, "filling NULL fails cleanly");
	out = tpl_serialize(&r, t, &len);
	ok(out != NULL && len == strlen(out), "serialised");
	ok(strncmp(out, "<!DOCTYPE html>", 15) == 0, "starts with the doctype, no XML declaration");
	ok(strstr(out, "<h1>&lt;script&gt;&amp;\"'</h1>") != NULL, "text is escaped");
	ok(strstr(out, "href=\"/x?a=&lt;script&gt;&amp;b=&quot;'\"") != NULL,
	    "attribute value is escaped");
	ok(strstr(out, "<script") == NULL, "no markup from data");
	ok(strstr(out, "data-c") == NULL && strstr(out, "data-t") == NULL &&
	    strstr(out, "data-title") == NULL, "marker attributes removed");
	ok(strstr(out, "<title>Test page — creneau</title>") != NULL, "title from data-title");
	ok(strstr(out, "<p>Skip to content</p>") != NULL, "translated text is whitespace-normalised");
	ok(strstr(out, "<li><span>first</span></li><li><span>second</span></li>") != NULL,
	    "rows come out in order, prototype removed");
	ok(strstr(out, ">z<") == NULL, "removed element is gone");
	ok(strstr(out, "<textarea name=\"t\"></textarea>") != NULL, "empty element has an end tag");
	ok(strstr(out, "<br/>") != NULL, "void element self-closes");
	ok(strstr(out, "lang=\"en\" xml:lang=\"en\"") != NULL || strstr(out, "xml:lang=\"en\"") != NULL,
	    "language set on the html element");
	ok(strstr(out, "dir=\"ltr\"") != NULL, "direction set");
	parsed = xmlReadMemory(out, (int)len, "out.xhtml", "UTF-8", XML_PARSE_NONET);
	ok(parsed != NULL, "the output is well-formed XML");
	xmlFreeDoc(parsed);
	arena_reset(a);

	/* Found by fuzz/template.c: a control character typed into a form
	 * and put back made the page ill-formed (&#2;); a title, a class
	 * or a line over a fixed buffer was cut inside a character. */
	t = tpl_page(&r, "page");
	tpl_text(tpl_get(t, NULL, "heading"), "a\002b\x7f\xc2\x85" "c\td");
	tpl_value(tpl_get(t, NULL, "link"), "\033[0m");
	memset(big, 0, sizeof(big));
	for (i = 0; i < 300; i++)
		memcpy(big + 2 * i, "\xc3\xa9", 2);
	tpl_title(t, big);
	tpl_add_class(tpl_get(t, NULL, "link"), big);
	out = tpl_serialize(&r, t, &len);
	parsed = xmlReadMemory(out, (int)len, "out.xhtml", "UTF-8", XML_PARSE_NONET);
	ok(parsed != NULL, "a page with control characters in its data is well-formed XML");
	xmlFreeDoc(parsed);
	ok(strstr(out, "<h1>a\xef\xbf\xbd" "b\xef\xbf\xbd\xef\xbf\xbd" "c\td</h1>") != NULL,
	    "control characters are shown as U+FFFD, tab kept");
	ok(strstr(out, "value=\"\xef\xbf\xbd[0m\"") != NULL, "also in attribute values");
	ok(strstr(out, "\xef\xbf\xbd") == strstr(out, "<h1>") + 5 &&
	    strstr(out, "\xc3\xa9 \xe2\x80\x94 creneau</title>") != NULL,
	    "a long title is not cut inside a character");
	ok(strstr(out, big) != NULL && strstr(out, "\xc3\xa9\"") != NULL, "nor a long class");
	arena_reset(a);
	tpl_free_all();

	put("broken.xhtml", "<div><p>unclosed</div>");
	ok(tpl_init(dir) == -1, "a malformed template is refused at start-up");
	tpl_free_all();
	clean();

	if ((top = getenv("top_srcdir")) != NULL) {
		snprintf(path, sizeof(path), "%s/templates", top);
		ok(tpl_init(path) == 0, "the real templates load");
		for (i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
			t = tpl_page(&r, pages[i]);
			out = t != NULL ? tpl_serialize(&r, t, &len) : NULL;
			parsed = out ? xmlReadMemory(out, (int)len, "p", "UTF-8",
			    XML_PARSE_NONET) : NULL;
			ok(parsed != NULL, "templates/%s.xhtml builds a well-formed page", pages[i]);
			xmlFreeDoc(parsed);
		}
		tpl_free_all();
	}
	arena_free(a);
	return done_testing();
}
