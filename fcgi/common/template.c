/* The template module (see template.h). Per worker and language, a
 * translated copy of layout + page is cached; each request copies it. */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "arena.h"
#include "conf.h"
#include "i18n.h"
#include "log.h"
#include "req.h"
#include "response.h"
#include "routes.h"
#include "template.h"
#include "template_xml.h"

#define MAX_TEMPLATES	64
#define MAX_CACHED	(MAX_TEMPLATES * 4)

struct tpl {
	xmlDocPtr	 doc;
};

struct source {
	char		 name[64];
	xmlDocPtr	 doc;
};

struct cached {
	char		 name[64];
	char		 lang[16];
	xmlDocPtr	 doc;
};

static struct source	 sources[MAX_TEMPLATES];
static size_t		 nsources;
static struct cached	 cache[MAX_CACHED];
static size_t		 ncached;

static const char *const void_elements[] = {
	"area", "base", "br", "col", "embed", "hr", "img", "input", "link",
	"meta", "source", "track", "wbr", NULL
};

/* Returns the parsed source template called name, or NULL. */
static xmlDocPtr
source_get(const char *name)
{
	size_t	 i;

	for (i = 0; i < nsources; i++)
		if (strcmp(sources[i].name, name) == 0)
			return sources[i].doc;
	return NULL;
}

/* Parses every *.xhtml file of dir; returns 0, or -1 when one is not
 * well-formed or layout.xhtml is missing. */
int
tpl_init(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[4096];
	size_t		 len;
	int		 rc = 0;

	xmlInitParser();
	if ((d = opendir(dir)) == NULL) {
		log_msg("templates %s: cannot open", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 6, ".xhtml") != 0)
			continue;
		if (nsources == MAX_TEMPLATES || len - 6 >= sizeof(sources[0].name)) {
			log_msg("templates: too many or name too long: %s", e->d_name);
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		sources[nsources].doc = xmlReadFile(path, "UTF-8",
		    XML_PARSE_NONET);
		if (sources[nsources].doc == NULL) {
			log_msg("template %s is not well-formed", path);
			rc = -1;
			break;
		}
		memcpy(sources[nsources].name, e->d_name, len - 6);
		sources[nsources].name[len - 6] = '\0';
		nsources++;
	}
	closedir(d);
	if (rc == 0 && source_get("layout") == NULL) {
		log_msg("templates %s: layout.xhtml is missing", dir);
		rc = -1;
	}
	return rc;
}

/* Frees every parsed template and cached copy. */
void
tpl_free_all(void)
{
	size_t	 i;

	for (i = 0; i < nsources; i++)
		xmlFreeDoc(sources[i].doc);
	for (i = 0; i < ncached; i++)
		xmlFreeDoc(cache[i].doc);
	nsources = ncached = 0;
}

/* Copies src (deeply) for insertion under parent in doc, reusing the
 * namespace declarations in scope there instead of repeating xmlns on
 * every copied element; returns the copy or NULL. */
static xmlNodePtr
copy_for(xmlNodePtr src, xmlDocPtr doc, xmlNodePtr parent)
{
	xmlNodePtr	 copy = NULL;

	if (xmlDOMWrapCloneNode(NULL, src->doc, src, &copy, doc, parent, 1,
	    0) != 0)
		return NULL;
	return copy;
}

/* Returns the value of attribute name of n (a libxml2 copy to free), or NULL. */
static xmlChar *
attr(xmlNodePtr n, const char *name)
{
	return xmlGetProp(n, (const xmlChar *)name);
}

/* Returns the first element under n (n included) whose data-c is mark. */
xmlNodePtr
txml_find(xmlNodePtr n, const char *mark)
{
	xmlNodePtr	 c, r;
	xmlChar		*v;
	int		 hit;

	if (n == NULL || n->type != XML_ELEMENT_NODE)
		return NULL;
	if ((v = attr(n, "data-c")) != NULL) {
		hit = strcmp((const char *)v, mark) == 0;
		xmlFree(v);
		if (hit)
			return n;
	}
	for (c = n->children; c != NULL; c = c->next)
		if ((r = txml_find(c, mark)) != NULL)
			return r;
	return NULL;
}

/* Collapses runs of ASCII whitespace in s to one space and strips both
 * ends, in place (the same rule as po/extract-templates.py). */
void
txml_normalise(char *s)
{
	char	*r = s, *w = s;
	int	 space = 0;

	for (; *r != '\0'; r++) {
		if (*r == ' ' || *r == '\t' || *r == '\n' || *r == '\r') {
			space = 1;
			continue;
		}
		if (space && w != s)
			*w++ = ' ';
		space = 0;
		*w++ = *r;
	}
	*w = '\0';
}

/* Returns the length of the character at s: 1 to 4 for a UTF-8
 * sequence, 1 for a byte that starts none; *ok is 0 when it may not be
 * written in a page: bytes that are not UTF-8, and the characters XML 1.0
 * refuses or HTML reports as errors: C0 controls other than tab, LF and
 * CR, DEL, C1 controls, U+FFFE and U+FFFF. */
static size_t
char_len(const unsigned char *s, int *ok)
{
	size_t		 len, k;
	unsigned int	 cp;

	*ok = 0;
	if (s[0] < 0x80) {
		*ok = (s[0] >= 0x20 && s[0] != 0x7f) || s[0] == '\t' ||
		    s[0] == '\n' || s[0] == '\r';
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		len = 2;
		cp = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		len = 3;
		cp = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		len = 4;
		cp = s[0] & 0x07;
	} else
		return 1;
	for (k = 1; k < len; k++) {
		if ((s[k] & 0xc0) != 0x80)	/* the NUL included */
			return 1;
		cp = cp << 6 | (s[k] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
	    cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
		return 1;
	*ok = !(cp >= 0x80 && cp <= 0x9f) && cp != 0xfffe && cp != 0xffff;
	return len;
}

/* Returns s when every character of it may be written in a page, else a
 * copy (set in *copy, to free) where each one that may not is replaced
 * by U+FFFD: a control character typed into a form, or a string cut in
 * the middle of a character, never makes the page ill-formed. NULL when
 * memory runs out. */
const char *
txml_clean(const char *s, char **copy)
{
	const unsigned char	*u = (const unsigned char *)s;
	size_t			 i, n, o = 0;
	char			*out;
	int			 ok = 1;

	*copy = NULL;
	for (i = 0; u[i] != '\0' && ok; i += n)
		n = char_len(u + i, &ok);
	if (ok)
		return s;
	if ((out = malloc(3 * strlen(s) + 1)) == NULL)
		return NULL;
	for (i = 0; u[i] != '\0'; i += n) {
		n = char_len(u + i, &ok);
		memcpy(out + o, ok ? s + i : "\xef\xbf\xbd", ok ? n : 3);
		o += ok ? n : 3;
	}
	out[o] = '\0';
	return *copy = out;
}

/* Sets attribute name of n to value, cleaned (txml_clean); 0 or -1. */
int
txml_set_prop(xmlNodePtr n, const xmlChar *name, const char *value)
{
	const char	*v;
	char		*copy;
	int		 rc;

	if ((v = txml_clean(value, &copy)) == NULL)
		return -1;
	rc = xmlSetProp(n, name, (const xmlChar *)v) != NULL ? 0 : -1;
	free(copy);
	return rc;
}

/* Replaces every child of n with one text node holding text, cleaned
 * (txml_clean); 0 or -1. */
int
txml_set_text(xmlNodePtr n, const char *text)
{
	xmlNodePtr	 c, next;
	const char	*t;
	char		*copy;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	if ((t = txml_clean(text, &copy)) == NULL)
		return -1;
	xmlNodeAddContent(n, (const xmlChar *)t);
	free(copy);
	return 0;
}

/* Translates n's text (data-t) and listed attributes (data-ta), then
 * recurses; removes nothing (markers go at serialisation). */
void
txml_translate(xmlNodePtr n)
{
	xmlNodePtr	 c;
	xmlChar		*v, *list, *a;
	char		*tok, *save = NULL;

	if (n->type != XML_ELEMENT_NODE)
		return;
	if (xmlHasProp(n, (const xmlChar *)"data-t") != NULL) {
		v = xmlNodeGetContent(n);
		if (v != NULL) {
			txml_normalise((char *)v);
			txml_set_text(n, _((const char *)v));
			xmlFree(v);
		}
	}
	if ((list = attr(n, "data-ta")) != NULL) {
		for (tok = strtok_r((char *)list, " ", &save); tok != NULL;
		    tok = strtok_r(NULL, " ", &save)) {
			if ((a = attr(n, tok)) == NULL)
				continue;
			txml_normalise((char *)a);
			xmlSetProp(n, (const xmlChar *)tok,
			    (const xmlChar *)_((const char *)a));
			xmlFree(a);
		}
		xmlFree(list);
	}
	for (c = n->children; c != NULL; c = c->next)
		txml_translate(c);
}

/* Builds the translated document for page name in the current language:
 * the layout with the page's children moved into its main, the title set
 * and the language attributes on <html>. NULL on error. */
static xmlDocPtr
build(const char *name)
{
	xmlDocPtr	 layout, page, doc;
	xmlNodePtr	 root, main, proot, c, next, title;
	xmlChar		*t;
	const char	*lang = i18n_current();
	char		 buf[512];

	if ((layout = source_get("layout")) == NULL ||
	    (page = source_get(name)) == NULL)
		return NULL;
	if ((doc = xmlCopyDoc(layout, 1)) == NULL)
		return NULL;
	root = xmlDocGetRootElement(doc);
	main = txml_find(root, "main");
	proot = xmlDocGetRootElement(page);
	if (main == NULL || proot == NULL) {
		xmlFreeDoc(doc);
		return NULL;
	}
	for (c = proot->children; c != NULL; c = next) {
		next = c->next;
		xmlAddChild(main, copy_for(c, doc, main));
	}
	txml_translate(root);
	xmlSetProp(root, (const xmlChar *)"lang", (const xmlChar *)lang);
	xmlNodeSetLang(root, (const xmlChar *)lang);
	xmlSetProp(root, (const xmlChar *)"dir", (const xmlChar *)i18n_dir(lang));
	if ((title = txml_find(root, "title")) != NULL &&
	    (t = attr(proot, "data-title")) != NULL) {
		txml_normalise((char *)t);
		snprintf(buf, sizeof(buf), "%s — %s", _((const char *)t), "creneau");
		txml_set_text(title, buf);
		xmlFree(t);
	}
	return doc;
}

/* Frees a document registered as an arena cleanup. */
static void
doc_cleanup(void *p)
{
	xmlFreeDoc(p);
}

/* Fills the copy n of a language prototype for lang: value, the name of
 * the language in itself, and its lang, xml:lang and dir. */
static void
lang_entry(struct tnode *n, const char *lang)
{
	tpl_attr(n, "value", lang);
	tpl_attr(n, "lang", lang);
	xmlNodeSetLang((xmlNodePtr)n, (const xmlChar *)lang);
	tpl_attr(n, "dir", i18n_dir(lang));
	tpl_text(n, i18n_native_name(lang));
}

/* Makes one copy of the prototype marked mark per configured language
 * (value, native name, lang), marking the current one with attr=val;
 * returns 0, or -1 when the prototype is missing. */
int
tpl_languages(struct req *r, struct tpl *t, const char *mark,
    const char *attr_name, const char *attr_value)
{
	struct tnode	*proto = tpl_get(t, NULL, mark), *n;
	size_t		 i;

	if (proto == NULL || r->conf == NULL)
		return -1;
	for (i = 0; i < r->conf->nlanguages; i++) {
		if ((n = tpl_clone(proto)) == NULL)
			return -1;
		lang_entry(n, r->conf->languages[i]);
		if (attr_name != NULL && r->lang != NULL &&
		    strcmp(r->lang, r->conf->languages[i]) == 0)
			tpl_attr(n, attr_name, attr_value);
	}
	tpl_remove(proto);
	return 0;
}

/* Fills the language switch of the layout: one button per configured
 * language, the current one marked, and the page to come back to (this
 * page when it can be shown again with GET, else the home page). */
static void
lang_switch(struct req *r, struct tpl *t)
{
	struct tnode	*nav = tpl_get(t, NULL, "lang-switch");

	if (nav == NULL)
		return;
	if (r->conf == NULL || r->conf->nlanguages < 2) {
		tpl_remove(nav);
		return;
	}
	tpl_attr(tpl_get(t, nav, "lang-return"), "value",
	    r->route != NULL && (r->route->methods & M_GET) && r->path != NULL ?
	    r->path : "/");
	tpl_languages(r, t, "lang-button", "aria-current", "true");
}

/* Returns a fresh copy of page name for this request, in its language, or
 * NULL (the caller answers 500). */
struct tpl *
tpl_page(struct req *r, const char *name)
{
	struct tpl	*t;
	xmlDocPtr	 doc = NULL;
	const char	*lang = i18n_current();
	size_t		 i;

	for (i = 0; i < ncached; i++)
		if (strcmp(cache[i].name, name) == 0 &&
		    strcmp(cache[i].lang, lang) == 0) {
			doc = cache[i].doc;
			break;
		}
	if (doc == NULL) {
		if (strlen(name) >= sizeof(cache[0].name) ||
		    (doc = build(name)) == NULL) {
			log_msg("template %s: cannot build", name);
			return NULL;
		}
		if (ncached < MAX_CACHED) {
			snprintf(cache[ncached].name, sizeof(cache[0].name), "%s", name);
			snprintf(cache[ncached].lang, sizeof(cache[0].lang), "%s", lang);
			cache[ncached++].doc = doc;
		} else if (arena_cleanup(r->arena, doc_cleanup, doc) == -1)
			return NULL;
	}
	if ((t = arena_alloc(r->arena, sizeof(*t))) == NULL ||
	    (t->doc = xmlCopyDoc(doc, 1)) == NULL)
		return NULL;
	if (arena_cleanup(r->arena, doc_cleanup, t->doc) == -1)
		return NULL;
	lang_switch(r, t);
	return t;
}

/* Returns the element marked mark under scope (the whole page when scope
 * is NULL), or NULL. */
struct tnode *
tpl_get(struct tpl *t, struct tnode *scope, const char *mark)
{
	xmlNodePtr	 from;

	from = scope != NULL ? (xmlNodePtr)scope : xmlDocGetRootElement(t->doc);
	return (struct tnode *)txml_find(from, mark);
}

/* Replaces the content of n with the text s (escaped on output); returns
 * 0, or -1 when n is NULL. */
int
tpl_text(struct tnode *n, const char *s)
{
	if (n == NULL || s == NULL)
		return -1;
	return txml_set_text((xmlNodePtr)n, s);
}

/* Sets attribute name of n to value (escaped on output); 0 or -1. */
int
tpl_attr(struct tnode *n, const char *name, const char *value)
{
	if (n == NULL || value == NULL)
		return -1;
	return txml_set_prop((xmlNodePtr)n, (const xmlChar *)name, value);
}

/* Copies the prototype proto and inserts the copy just before it, so rows
 * come out in the order they were made; returns the copy or NULL. */
struct tnode *
tpl_clone(struct tnode *proto)
{
	xmlNodePtr	 p = (xmlNodePtr)proto, c;

	if (p == NULL || (c = copy_for(p, p->doc, p->parent)) == NULL)
		return NULL;
	if (xmlAddPrevSibling(p, c) == NULL) {
		xmlFreeNode(c);
		return NULL;
	}
	return (struct tnode *)c;
}

/* Removes n (and its subtree) from the page. */
void
tpl_remove(struct tnode *n)
{
	if (n == NULL)
		return;
	xmlUnlinkNode((xmlNodePtr)n);
	xmlFreeNode((xmlNodePtr)n);
}

/* Marks n as written in lang (lang, xml:lang, dir) when it is not the
 * page's language: a database text that has no translation yet. */
int
tpl_lang(struct req *r, struct tnode *n, const char *lang)
{
	if (n == NULL || lang == NULL || *lang == '\0' ||
	    (r->lang != NULL && strcmp(r->lang, lang) == 0))
		return 0;
	tpl_attr(n, "lang", lang);
	xmlNodeSetLang((xmlNodePtr)n, (const xmlChar *)lang);
	return tpl_attr(n, "dir", i18n_dir(lang));
}

/* Sets the page title to "s — creneau"; 0 or -1. */
int
tpl_title(struct tpl *t, const char *s)
{
	xmlNodePtr	 n;
	char		*buf;
	int		 rc;

	if ((n = txml_find(xmlDocGetRootElement(t->doc), "title")) == NULL ||
	    s == NULL)
		return -1;
	/* Not a fixed buffer: one cut in the middle of a character would
	 * show a replacement character. */
	if ((buf = malloc(strlen(s) + sizeof(" — creneau"))) == NULL)
		return -1;
	sprintf(buf, "%s — %s", s, "creneau");
	rc = txml_set_text(n, buf);
	free(buf);
	return rc;
}

/* Appends word to the space-separated attribute name of n; 0 or -1. */
static int
add_word(xmlNodePtr n, const char *name, const char *word)
{
	xmlChar		*old;
	char		*buf;
	int		 rc;

	if (n == NULL || word == NULL)
		return -1;
	old = attr(n, name);
	if ((buf = malloc((old != NULL ? strlen((const char *)old) : 0) +
	    strlen(word) + 2)) == NULL) {
		xmlFree(old);
		return -1;
	}
	if (old != NULL && *old != '\0')
		sprintf(buf, "%s %s", (const char *)old, word);
	else
		sprintf(buf, "%s", word);
	xmlFree(old);
	rc = txml_set_prop(n, (const xmlChar *)name, buf);
	free(buf);
	return rc;
}

/* Adds a class to n; 0 or -1. */
int
tpl_add_class(struct tnode *n, const char *cls)
{
	return add_word((xmlNodePtr)n, "class", cls);
}

/* Adds an id to n's aria-describedby; 0 or -1. */
int
tpl_add_describedby(struct tnode *n, const char *id)
{
	return add_word((xmlNodePtr)n, "aria-describedby", id);
}

/* Puts a submitted value back into a form control: the value attribute
 * of an input (checked for a radio or checkbox with that value), the text
 * of a textarea, the selected option of a select. Returns 0 or -1. */
int
tpl_value(struct tnode *tn, const char *v)
{
	xmlNodePtr	 n = (xmlNodePtr)tn, c;
	xmlChar		*type, *ov;
	xmlAttrPtr	 a;
	int		 same;

	if (n == NULL || v == NULL)
		return -1;
	if (strcmp((const char *)n->name, "textarea") == 0)
		return txml_set_text(n, v);
	if (strcmp((const char *)n->name, "select") == 0) {
		for (c = n->children; c != NULL; c = c->next) {
			if (c->type != XML_ELEMENT_NODE ||
			    strcmp((const char *)c->name, "option") != 0)
				continue;
			ov = attr(c, "value");
			same = ov != NULL && strcmp((const char *)ov, v) == 0;
			xmlFree(ov);
			if (same)
				xmlSetProp(c, (const xmlChar *)"selected",
				    (const xmlChar *)"selected");
			else if ((a = xmlHasProp(c, (const xmlChar *)"selected")) != NULL)
				xmlRemoveProp(a);
		}
		return 0;
	}
	type = attr(n, "type");
	if (type != NULL && (strcmp((const char *)type, "radio") == 0 ||
	    strcmp((const char *)type, "checkbox") == 0)) {
		ov = attr(n, "value");
		same = ov != NULL && strcmp((const char *)ov, v) == 0;
		xmlFree(ov);
		xmlFree(type);
		if (same)
			xmlSetProp(n, (const xmlChar *)"checked", (const xmlChar *)"checked");
		return 0;
	}
	xmlFree(type);
	return txml_set_prop(n, (const xmlChar *)"value", v);
}

/* Makes one copy of the prototype marked item (under scope) per line of
 * text, then removes the prototype; removes the block marked list instead
 * when text has no line. Returns 0 or -1. */
int
tpl_lines(struct tpl *t, struct tnode *scope, const char *list,
    const char *item, const char *text)
{
	struct tnode	*proto = tpl_get(t, scope, item);
	const char	*p = text, *nl;
	char		*line;
	size_t		 n;

	if (text == NULL || *text == '\0') {
		tpl_remove(tpl_get(t, scope, list));
		return 0;
	}
	if (proto == NULL)
		return -1;
	for (; *p != '\0'; p = *nl != '\0' ? nl + 1 : nl) {
		if ((nl = strchr(p, '\n')) == NULL)
			nl = p + strlen(p);
		n = (size_t)(nl - p);
		if (n == 0)
			continue;
		if ((line = strndup(p, n)) == NULL)
			return -1;
		tpl_text(tpl_clone(proto), line);
		free(line);
	}
	tpl_remove(proto);
	return 0;
}

/* Returns 1 when n is an HTML void element. */
static int
is_void(xmlNodePtr n)
{
	size_t	 i;

	for (i = 0; void_elements[i] != NULL; i++)
		if (strcmp((const char *)n->name, void_elements[i]) == 0)
			return 1;
	return 0;
}

/* Prepares n for text/html: removes marker attributes, and gives every
 * empty non-void element an empty text child so it is written <x></x>,
 * never <x/> (which an HTML parser reads as an open tag). */
void
txml_finish(xmlNodePtr n)
{
	static const char *const markers[] = {
		"data-c", "data-t", "data-ta", "data-title", "data-if",
		"data-each", NULL
	};
	xmlNodePtr	 c;
	xmlAttrPtr	 a;
	size_t		 i;

	if (n->type != XML_ELEMENT_NODE)
		return;
	for (i = 0; markers[i] != NULL; i++)
		if ((a = xmlHasProp(n, (const xmlChar *)markers[i])) != NULL)
			xmlRemoveProp(a);
	if (n->children == NULL && !is_void(n))
		xmlAddChild(n, xmlNewDocText(n->doc, (const xmlChar *)""));
	for (c = n->children; c != NULL; c = c->next)
		txml_finish(c);
}

/* Frees an xmlBuffer registered as an arena cleanup. */
static void
buf_cleanup(void *p)
{
	xmlBufferFree(p);
}

/* Serialises the page as polyglot markup (doctype, no XML declaration);
 * returns the bytes (valid until the arena is reset) or NULL. */
char *
tpl_serialize(struct req *r, struct tpl *t, size_t *len)
{
	xmlBufferPtr	 b;
	xmlSaveCtxtPtr	 s;

	txml_finish(xmlDocGetRootElement(t->doc));
	if ((b = xmlBufferCreate()) == NULL)
		return NULL;
	if (arena_cleanup(r->arena, buf_cleanup, b) == -1)
		return NULL;
	if ((s = xmlSaveToBuffer(b, "UTF-8", XML_SAVE_NO_DECL)) == NULL)
		return NULL;
	if (xmlSaveDoc(s, t->doc) == -1) {
		xmlSaveClose(s);
		return NULL;
	}
	xmlSaveClose(s);
	*len = (size_t)xmlBufferLength(b);
	return (char *)xmlBufferContent(b);
}

/* Serialises the page and sends it as text/html; returns 0 or -1. */
int
tpl_send(struct req *r, struct tpl *t, int status)
{
	char	*body;
	size_t	 len;

	if ((body = tpl_serialize(r, t, &len)) == NULL)
		return -1;
	return resp_send(r, status, "text/html; charset=utf-8", body, len);
}

/* Draws an inline SVG figure: sets the viewBox of svg (an <svg> element
 * of the page) and replaces its children with one <path> in the same
 * namespace whose data is d, computed by the program (never taken from
 * input). Returns 0, or -1 when svg is NULL or memory runs out. */
int
tpl_svg_path(struct tnode *svg, const char *viewbox, const char *d)
{
	xmlNodePtr	 n = (xmlNodePtr)svg, c, next, path;

	if (n == NULL || viewbox == NULL || d == NULL)
		return -1;
	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		xmlUnlinkNode(c);
		xmlFreeNode(c);
	}
	if (xmlSetProp(n, (const xmlChar *)"viewBox",
	    (const xmlChar *)viewbox) == NULL)
		return -1;
	if ((path = xmlNewChild(n, n->ns, (const xmlChar *)"path", NULL)) == NULL)
		return -1;
	return xmlSetProp(path, (const xmlChar *)"d", (const xmlChar *)d) != NULL ?
	    0 : -1;
}
