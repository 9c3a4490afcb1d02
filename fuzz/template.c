/* Fuzzes the filling of page templates (fcgi/common/template.c) as the pages do
 * it: text, attribute values, the title, form values put back (input,
 * textarea, select, checkbox), lines, classes, repeated rows; then
 * serialises. The input is six NUL-separated UTF-8 strings (what the
 * request parser and PostgreSQL hand to the pages). Properties: no crash,
 * no leak; the page is well-formed XML in valid UTF-8; its elements and
 * attributes are only those of the template (the input never becomes
 * markup: no element, attribute, comment, CDATA or processing
 * instruction of its own); and the text and attribute values read back
 * from the page are the input. */
#include "config.h"

#include <unistd.h>

#include "arena.h"
#include "fuzz.h"
#include "fuzz_xml.h"
#include "req.h"
#include "request.h"
#include "response.h"
#include "template.h"

/* The pages' resp_send is not linked: nothing is sent. */
int
resp_send(struct req *r, int status, const char *type, const char *body,
    size_t len)
{
	return 0;
}

static const char layout[] =
    "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"fr\" xml:lang=\"fr\">"
    "<head><meta charset=\"utf-8\"/><title data-c=\"title\">creneau</title></head>"
    "<body><p data-t=\"\">Skip to content</p><main data-c=\"main\"></main>"
    "<footer><p data-t=\"\">Footer</p></footer></body></html>\n";

static const char page[] =
    "<div xmlns=\"http://www.w3.org/1999/xhtml\" data-c=\"page\" data-title=\"Test page\">"
    "<h1 data-c=\"heading\">x</h1>"
    "<a data-c=\"link\" href=\"/\" title=\"Home\" data-ta=\"title\">y</a>"
    "<ul><li data-c=\"row\"><span data-c=\"cell\"></span></li></ul>"
    "<form method=\"post\" action=\"/f\">"
    "<input data-c=\"input\" type=\"text\" name=\"surname\" value=\"\"/>"
    "<input data-c=\"check\" type=\"checkbox\" name=\"c\" value=\"yes\"/>"
    "<textarea data-c=\"area\" name=\"t\"></textarea>"
    "<select data-c=\"select\" name=\"s\"><option value=\"a\">A</option>"
    "<option value=\"b\" selected=\"selected\">B</option></select>"
    "</form>"
    "<div data-c=\"list\"><ul><li data-c=\"line\"></li></ul></div>"
    "<p data-c=\"classy\" class=\"note\">z</p>"
    "<svg xmlns=\"http://www.w3.org/2000/svg\" data-c=\"svg\"><path d=\"M0 0\"/></svg>"
    "</div>\n";

/* The elements and attributes of the fixture, and those the code sets. */
static const char *const names[] = { "html", "head", "meta", "title",
    "body", "p", "main", "footer", "h1", "a", "ul", "li", "span", "form",
    "input", "textarea", "select", "option", "div", "svg", "path",
    "lang", "dir", "charset", "href", "method", "action", "type", "name",
    "value", "class", "selected", "checked", "viewBox", "d",
    "aria-describedby", NULL };

static struct arena	*a;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	char	 dir[64], path[128];
	FILE	*f;

	snprintf(dir, sizeof(dir), "/tmp/creneau-fuzz-tpl-XXXXXX");
	if (mkdtemp(dir) == NULL)
		abort();
	snprintf(path, sizeof(path), "%s/layout.xhtml", dir);
	f = fopen(path, "w");
	fputs(layout, f);
	fclose(f);
	snprintf(path, sizeof(path), "%s/page.xhtml", dir);
	f = fopen(path, "w");
	fputs(page, f);
	fclose(f);
	if (tpl_init(dir) != 0)
		abort();
	unlink(path);
	snprintf(path, sizeof(path), "%s/layout.xhtml", dir);
	unlink(path);
	rmdir(dir);
	a = arena_new(16384);
	return 0;
}

/* Returns the number of li in the lines list (in a div) under n. */
static int
count_lines(xmlNodePtr n)
{
	int	 k = 0;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, "li") == 0 && n->parent != NULL &&
		    n->parent->parent != NULL && strcmp((const char *)
		    n->parent->parent->name, "div") == 0)
			k++;
		k += count_lines(n->children);
	}
	return k;
}

/* Returns the element called name whose attribute attr is value, or the
 * first element called name when attr is NULL. */
static xmlNodePtr
find(xmlNodePtr n, const char *name, const char *attr, const char *value)
{
	xmlNodePtr	 r;
	xmlChar		*v;
	int		 hit;

	for (; n != NULL; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		if (strcmp((const char *)n->name, name) == 0) {
			if (attr == NULL)
				return n;
			v = xmlGetProp(n, (const xmlChar *)attr);
			hit = v != NULL && strcmp((const char *)v, value) == 0;
			xmlFree(v);
			if (hit)
				return n;
		}
		if ((r = find(n->children, name, attr, value)) != NULL)
			return r;
	}
	return NULL;
}

/* Returns in the arena what the page shows for the UTF-8 string s: s
 * with each character XML 1.0 or HTML refuses (C0 controls but tab, LF
 * and CR, DEL, C1 controls, U+FFFE, U+FFFF) replaced by U+FFFD. */
static char *
shown(const char *s)
{
	const unsigned char	*u = (const unsigned char *)s;
	char			*out = arena_alloc(a, 3 * strlen(s) + 1);
	size_t			 i = 0, o = 0, n;
	unsigned int		 cp;

	while (u[i] != '\0') {
		n = u[i] < 0x80 ? 1 : u[i] < 0xe0 ? 2 : u[i] < 0xf0 ? 3 : 4;
		cp = n == 1 ? u[i] : n == 2 ? (u[i] & 0x1fu) << 6 | (u[i + 1] & 0x3fu) :
		    n == 3 ? (u[i] & 0x0fu) << 12 | (u[i + 1] & 0x3fu) << 6 |
		    (u[i + 2] & 0x3fu) : 0x10000;
		if ((cp < 0x20 && cp != '\t' && cp != '\n' && cp != '\r') ||
		    (cp >= 0x7f && cp <= 0x9f) || cp == 0xfffe || cp == 0xffff) {
			memcpy(out + o, "\xef\xbf\xbd", 3);
			o += 3;
		} else {
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return out;
}

/* Checks that the text of n (or its attribute attr) reads back as the
 * input in, as shown(). */
static void
reads_back(xmlNodePtr n, const char *attr, const char *in, const char *what)
{
	xmlChar		*got;
	const char	*want = shown(in);

	PROPERTY(n != NULL, "%s: missing", what);
	got = attr != NULL ? xmlGetProp(n, (const xmlChar *)attr) :
	    xmlNodeGetContent(n);
	PROPERTY(got != NULL && strcmp((const char *)got, want) == 0,
	    "%s: '%s' became '%s'", what, want, got ? (char *)got : "(null)");
	xmlFree(got);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char		*part[6], *out, *title;
	struct req	 r;
	struct tpl	*t;
	struct tnode	*proto, *row;
	xmlDocPtr	 doc;
	xmlNodePtr	 root, line;
	size_t		 i, len;
	int		 lines = 0, want = 0;
	const char	*p;

	if (size > 4096)
		return 0;
	fuzz_parts(data, size, '\0', part, 6);
	for (i = 0; i < 6; i++)
		if (!utf8_valid((const unsigned char *)part[i], strlen(part[i])))
			goto done;
	memset(&r, 0, sizeof(r));
	r.arena = a;
	r.lang = "en";
	PROPERTY((t = tpl_page(&r, "page")) != NULL, "no page");
	tpl_text(tpl_get(t, NULL, "heading"), part[0]);
	tpl_attr(tpl_get(t, NULL, "link"), "href", part[1]);
	tpl_title(t, part[2]);
	tpl_value(tpl_get(t, NULL, "input"), part[3]);
	tpl_value(tpl_get(t, NULL, "check"), part[3]);
	tpl_value(tpl_get(t, NULL, "area"), part[3]);
	tpl_value(tpl_get(t, NULL, "select"), part[3]);
	tpl_lines(t, NULL, "list", "line", part[4]);
	tpl_add_class(tpl_get(t, NULL, "classy"), part[5]);
	tpl_add_describedby(tpl_get(t, NULL, "input"), part[5]);
	tpl_lang(&r, tpl_get(t, NULL, "classy"), "ar");
	proto = tpl_get(t, NULL, "row");
	for (i = 0; i < 3; i++) {
		row = tpl_clone(proto);
		tpl_text(tpl_get(t, row, "cell"), part[i]);
	}
	tpl_remove(proto);
	tpl_svg_path(tpl_get(t, NULL, "svg"), "0 0 10 10", "M0 0 L10 10");

	PROPERTY((out = tpl_serialize(&r, t, &len)) != NULL, "not serialised");
	PROPERTY(strlen(out) == len, "a NUL in the page");
	PROPERTY(utf8_valid((const unsigned char *)out, len), "the page is not UTF-8");
	PROPERTY(strncmp(out, "<!DOCTYPE html>", 15) == 0, "no doctype");
	doc = fuzz_xml_read(out, len, "page");
	root = xmlDocGetRootElement(doc);
	fuzz_xml_walk(root, names);
	lines = count_lines(root);
	for (p = part[4]; *p != '\0'; p = *p == '\n' ? p + 1 : p) {
		len = strcspn(p, "\n");
		want += len > 0;
		p += len;
	}
	PROPERTY(lines == want, "%d lines shown, %d given", lines, want);
	reads_back(find(root, "h1", NULL, NULL), NULL, part[0], "heading");
	reads_back(find(root, "a", NULL, NULL), "href", part[1], "link");
	reads_back(find(root, "input", "name", "surname"), "value", part[3], "input");
	reads_back(find(root, "textarea", NULL, NULL), NULL, part[3], "textarea");
	title = arena_printf(a, "%s — creneau", part[2]);
	reads_back(find(root, "title", NULL, NULL), NULL, title, "title");
	/* Each line in its own li, whole. */
	for (line = find(root, "div", NULL, NULL), p = part[4]; *p != '\0'; ) {
		len = strcspn(p, "\n");
		if (len > 0) {
			line = find(line, "li", NULL, NULL);
			PROPERTY(line != NULL, "line missing");
			reads_back(line, NULL, arena_strndup(a, p, len), "line");
			line = line->next;
		}
		p += len;
		if (*p == '\n')
			p++;
	}
	xmlFreeDoc(doc);
	arena_reset(a);
done:
	fuzz_free_parts(part, 6);
	return 0;
}
