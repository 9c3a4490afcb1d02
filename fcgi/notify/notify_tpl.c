/* Message templates of creneau-notify: templates/mail/layout.xhtml (the
 * HTML e-mail around every message) and one <kind>.xhtml per kind of
 * message, parsed once with XML_PARSE_NONET. The conventions are those of
 * the page templates (HACKING.md), plus three for messages:
 *   - {name} in a text or an attribute value is replaced by the variable
 *     name of the message (after translation, so a msgid holds the whole
 *     sentence with its placeholders, e.g. data-t: "Your code is {code}.");
 *     values enter as text nodes and attribute values, never as markup;
 *   - data-if="name" keeps an element only when the variable is not empty;
 *     data-each="name" repeats an element once per line of the variable,
 *     {item} being the line;
 *   - the root's data-title is the subject; the element data-c="sms" is
 *     the SMS text (taken out of the e-mail).
 * The plain-text alternative is the text of the HTML body, laid out by
 * blocks, each link followed by its address.
 * The only file of creneau-notify that touches libxml2 trees (as
 * template.c is for the pages, whose loader requires a page layout and a
 * request). */
#include "config.h"

#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xmlsave.h>

#include "arena.h"
#include "i18n.h"
#include "log.h"
#include "notify.h"
#include "template_xml.h"

#define MAX_MAIL_TEMPLATES	32

struct mtpl {
	char		 name[64];
	xmlDocPtr	 doc;
};

static struct mtpl	 tpls[MAX_MAIL_TEMPLATES];
static size_t		 ntpls;

/* A growing string in an arena. */
struct sbuf {
	struct arena	*a;
	char		*p;
	size_t		 len, cap;
};

/* Appends n bytes of s to b; 0 or -1. */
static int
sb_put(struct sbuf *b, const char *s, size_t n)
{
	char	*np;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2 + 64;
		if ((np = arena_alloc(b->a, b->cap)) == NULL)
			return -1;
		if (b->len > 0)
			memcpy(np, b->p, b->len);
		b->p = np;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Returns the template called name, or NULL. */
static xmlDocPtr
get(const char *name)
{
	size_t	 i;

	for (i = 0; i < ntpls; i++)
		if (strcmp(tpls[i].name, name) == 0)
			return tpls[i].doc;
	return NULL;
}

/* Parses every *.xhtml of dir; 0, or -1 when one is not well-formed or
 * layout.xhtml is missing. */
int
ntpl_init(const char *dir)
{
	DIR		*d;
	struct dirent	*e;
	char		 path[4096];
	size_t		 len;
	int		 rc = 0;

	xmlInitParser();
	if ((d = opendir(dir)) == NULL) {
		log_msg("mail templates %s: cannot open", dir);
		return -1;
	}
	while ((e = readdir(d)) != NULL) {
		len = strlen(e->d_name);
		if (len < 7 || strcmp(e->d_name + len - 6, ".xhtml") != 0)
			continue;
		if (ntpls == MAX_MAIL_TEMPLATES || len - 6 >= sizeof(tpls[0].name)) {
			log_msg("mail templates: too many or name too long: %s", e->d_name);
			rc = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
		if ((tpls[ntpls].doc = xmlReadFile(path, "UTF-8", XML_PARSE_NONET)) == NULL) {
			log_msg("mail template %s is not well-formed", path);
			rc = -1;
			break;
		}
		memcpy(tpls[ntpls].name, e->d_name, len - 6);
		tpls[ntpls].name[len - 6] = '\0';
		ntpls++;
	}
	closedir(d);
	if (rc == 0 && get("layout") == NULL) {
		log_msg("mail templates %s: layout.xhtml is missing", dir);
		rc = -1;
	}
	return rc;
}

/* Frees the parsed templates. */
void
ntpl_free(void)
{
	size_t	 i;

	for (i = 0; i < ntpls; i++)
		xmlFreeDoc(tpls[i].doc);
	ntpls = 0;
}

/* Returns 1 when there is a template for kind. */
int
ntpl_has(const char *kind)
{
	return strcmp(kind, "layout") != 0 && get(kind) != NULL;
}

/* Returns attribute name of n as a libxml2 string to free, or NULL. */
static xmlChar *
attr(xmlNodePtr n, const char *name)
{
	return xmlGetProp(n, (const xmlChar *)name);
}

/* Returns s with every {name} replaced by its variable (item first, when
 * given), in the arena; an unknown name becomes empty. */
static char *
subst(struct arena *a, const char *s, const struct nvars *v, const char *item)
{
	struct sbuf	 b = { a, NULL, 0, 0 };
	const char	*p, *e, *val;
	char		 name[64];
	size_t		 n;

	if (sb_put(&b, "", 0) == -1)
		return NULL;
	for (p = s; *p != '\0'; p++) {
		if (*p == '{' && (e = strchr(p, '}')) != NULL &&
		    (n = (size_t)(e - p - 1)) > 0 && n < sizeof(name) &&
		    strspn(p + 1, "abcdefghijklmnopqrstuvwxyz_0123456789") == n) {
			memcpy(name, p + 1, n);
			name[n] = '\0';
			if (item != NULL && strcmp(name, "item") == 0)
				val = item;
			else
				val = nvars_get(v, name);
			if (val != NULL && sb_put(&b, val, strlen(val)) == -1)
				return NULL;
			p = e;
			continue;
		}
		if (sb_put(&b, p, 1) == -1)
			return NULL;
	}
	return b.p;
}

/* Replaces the placeholders of the attributes of element n; values go in
 * cleaned (txml_clean). Returns 0 or -1. */
static int
fill_attrs(struct arena *ar, xmlNodePtr n, const struct nvars *v,
    const char *item)
{
	xmlAttrPtr	 a;
	xmlChar		*val;
	char		*s;
	int		 rc = 0;

	for (a = n->properties; a != NULL && rc == 0; a = a->next) {
		if ((val = xmlNodeListGetString(n->doc, a->children, 1)) == NULL)
			continue;
		if (strchr((const char *)val, '{') != NULL) {
			if ((s = subst(ar, (const char *)val, v, item)) == NULL ||
			    txml_set_prop(n, a->name, s) == -1)
				rc = -1;
		}
		xmlFree(val);
	}
	return rc;
}

/* Replaces the placeholders of every text and attribute under n; item is
 * the {item} of a data-each copy (or NULL). Each text is substituted
 * once: a value is never read as a template. Returns 0 or -1. */
static int
fill(struct arena *ar, xmlNodePtr n, const struct nvars *v, const char *item)
{
	xmlNodePtr	 c;
	const char	*t;
	char		*s, *copy;

	if (n->type == XML_TEXT_NODE) {
		if (n->content == NULL || strchr((const char *)n->content, '{') == NULL)
			return 0;
		if ((s = subst(ar, (const char *)n->content, v, item)) == NULL ||
		    (t = txml_clean(s, &copy)) == NULL)
			return -1;
		xmlNodeSetContent(n, NULL);
		xmlNodeAddContent(n, (const xmlChar *)t);
		free(copy);
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	if (fill_attrs(ar, n, v, item) == -1)
		return -1;
	for (c = n->children; c != NULL; c = c->next)
		if (fill(ar, c, v, item) == -1)
			return -1;
	return 0;
}

/* Applies data-if and data-each under n, then fills placeholders. */
static int
expand(struct arena *ar, xmlNodePtr n, const struct nvars *v, const char *item)
{
	xmlNodePtr	 c, next, copy;
	xmlChar		*cond, *each;
	const char	*val, *p, *nl;
	char		*line;
	int		 rc = 0;

	for (c = n->children; c != NULL; c = next) {
		next = c->next;
		if (c->type != XML_ELEMENT_NODE) {
			if (fill(ar, c, v, item) == -1)
				return -1;
			continue;
		}
		if ((cond = attr(c, "data-if")) != NULL) {
			val = nvars_get(v, (const char *)cond);
			xmlFree(cond);
			if (val == NULL || *val == '\0') {
				xmlUnlinkNode(c);
				xmlFreeNode(c);
				continue;
			}
		}
		if ((each = attr(c, "data-each")) != NULL) {
			val = nvars_get(v, (const char *)each);
			xmlFree(each);
			xmlUnsetProp(c, (const xmlChar *)"data-each");
			for (p = val != NULL ? val : ""; *p != '\0';
			    p = *nl != '\0' ? nl + 1 : nl) {
				if ((nl = strchr(p, '\n')) == NULL)
					nl = p + strlen(p);
				if (nl == p)
					continue;
				line = arena_strndup(ar, p, (size_t)(nl - p));
				copy = xmlDocCopyNode(c, c->doc, 1);
				if (line == NULL || copy == NULL)
					return -1;
				xmlAddPrevSibling(c, copy);
				/* The copy's content, then its own
				 * attributes: each substituted once. */
				if (expand(ar, copy, v, line) == -1 ||
				    fill_attrs(ar, copy, v, line) == -1)
					return -1;
			}
			xmlUnlinkNode(c);
			xmlFreeNode(c);
			continue;
		}
		if ((rc = expand(ar, c, v, item)) == 0)
			rc = fill_attrs(ar, c, v, item);
		if (rc == -1)
			return -1;
	}
	return 0;
}

/* Returns 1 for the elements the text rendering puts on lines of their own. */
static int
is_block(const char *name)
{
	static const char *const b[] = { "p", "div", "h1", "h2", "h3", "h4",
	    "ul", "ol", "li", "dl", "dt", "dd", "table", "tr", "hr", "pre",
	    "blockquote", "body", "section", NULL };
	size_t	 i;

	for (i = 0; b[i] != NULL; i++)
		if (strcmp(name, b[i]) == 0)
			return 1;
	return 0;
}

/* Ends the current line of b (at most one blank line in a row when blank). */
static int
newline(struct sbuf *b, int blank)
{
	int	 want = blank ? 2 : 1, have = 0;

	while (b->len > 0 && b->p[b->len - 1] == ' ')
		b->p[--b->len] = '\0';
	while (have < (int)b->len && b->p[b->len - 1 - have] == '\n')
		have++;
	if (b->len == 0)
		return 0;
	for (; have < want; have++)
		if (sb_put(b, "\n", 1) == -1)
			return -1;
	return 0;
}

/* Appends the plain-text rendering of n to b. */
static int
text_of(struct sbuf *b, xmlNodePtr n)
{
	xmlNodePtr	 c;
	xmlChar		*href, *content;
	const char	*name, *s;
	int		 block, space;

	if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE) {
		space = b->len == 0 || b->p[b->len - 1] == ' ' || b->p[b->len - 1] == '\n';
		for (s = (const char *)n->content; s != NULL && *s != '\0'; s++) {
			if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r') {
				if (!space && sb_put(b, " ", 1) == -1)
					return -1;
				space = 1;
				continue;
			}
			if (sb_put(b, s, 1) == -1)
				return -1;
			space = 0;
		}
		return 0;
	}
	if (n->type != XML_ELEMENT_NODE)
		return 0;
	name = (const char *)n->name;
	if (strcmp(name, "head") == 0 || strcmp(name, "style") == 0)
		return 0;
	if (strcmp(name, "br") == 0)
		return newline(b, 0);
	block = is_block(name);
	if (block && newline(b, strcmp(name, "p") == 0 || name[0] == 'h' ||
	    strcmp(name, "ul") == 0 || strcmp(name, "dl") == 0) == -1)
		return -1;
	if (strcmp(name, "li") == 0 && sb_put(b, "- ", 2) == -1)
		return -1;
	if (strcmp(name, "hr") == 0 && sb_put(b, "--", 2) == -1)
		return -1;
	for (c = n->children; c != NULL; c = c->next)
		if (text_of(b, c) == -1)
			return -1;
	if (strcmp(name, "a") == 0 && (href = attr(n, "href")) != NULL) {
		content = xmlNodeGetContent(n);
		if (content == NULL || strstr((const char *)content,
		    (const char *)href) == NULL) {
			if (sb_put(b, " <", 2) == -1 ||
			    sb_put(b, (const char *)href, strlen((const char *)href)) == -1 ||
			    sb_put(b, ">", 1) == -1) {
				xmlFree(content);
				xmlFree(href);
				return -1;
			}
		}
		xmlFree(content);
		xmlFree(href);
	}
	if (block && newline(b, strcmp(name, "p") == 0 || name[0] == 'h') == -1)
		return -1;
	return 0;
}

/* Returns the text of n collapsed onto one line (for the SMS), or NULL. */
static char *
one_line(struct arena *a, xmlNodePtr n)
{
	xmlChar	*v = xmlNodeGetContent(n);
	char	*s;

	if (v == NULL)
		return NULL;
	txml_normalise((char *)v);
	s = arena_strdup(a, (const char *)v);
	xmlFree(v);
	return s;
}

/* Frees an xmlDoc (arena cleanup). */
static void
doc_free(void *p)
{
	xmlFreeDoc(p);
}

/* Serialises doc as polyglot HTML into the arena, or NULL. */
static char *
serialise(struct arena *a, xmlDocPtr doc)
{
	xmlBufferPtr	 b;
	xmlSaveCtxtPtr	 s;
	char		*out;

	txml_finish(xmlDocGetRootElement(doc));
	if ((b = xmlBufferCreate()) == NULL)
		return NULL;
	if ((s = xmlSaveToBuffer(b, "UTF-8", XML_SAVE_NO_DECL)) == NULL) {
		xmlBufferFree(b);
		return NULL;
	}
	xmlSaveDoc(s, doc);
	xmlSaveClose(s);
	out = arena_strndup(a, (const char *)xmlBufferContent(b),
	    (size_t)xmlBufferLength(b));
	xmlBufferFree(b);
	return out;
}

/* Renders message kind in language lang with the variables v into m (all
 * strings in the arena). Returns 0, or -1 when there is no such template
 * or memory ran out. */
int
ntpl_render(struct arena *a, const char *kind, const char *lang,
    const struct nvars *v, struct nmsg *m)
{
	xmlDocPtr	 layout = get("layout"), src = get(kind), doc;
	xmlNodePtr	 root, main, proot, c, next, sms, title;
	xmlChar		*t;
	struct sbuf	 tb = { a, NULL, 0, 0 };

	memset(m, 0, sizeof(*m));
	if (layout == NULL || src == NULL || strcmp(kind, "layout") == 0)
		return -1;
	i18n_set(lang);
	if ((doc = xmlCopyDoc(layout, 1)) == NULL)
		return -1;
	if (arena_cleanup(a, doc_free, doc) == -1) {
		xmlFreeDoc(doc);
		return -1;
	}
	root = xmlDocGetRootElement(doc);
	proot = xmlDocGetRootElement(src);
	if ((main = txml_find(root, "main")) == NULL || proot == NULL)
		return -1;
	for (c = proot->children; c != NULL; c = c->next) {
		next = NULL;
		/* Reuse the namespace in scope instead of repeating xmlns. */
		if (xmlDOMWrapCloneNode(NULL, src, c, &next, doc, main, 1, 0) != 0 ||
		    next == NULL)
			next = xmlDocCopyNode(c, doc, 1);
		if (next == NULL)
			return -1;
		xmlAddChild(main, next);
	}
	txml_translate(root);
	if (expand(a, root, v, NULL) == -1)
		return -1;
	xmlSetProp(root, (const xmlChar *)"lang", (const xmlChar *)lang);
	xmlNodeSetLang(root, (const xmlChar *)lang);
	xmlSetProp(root, (const xmlChar *)"dir", (const xmlChar *)i18n_dir(lang));

	if ((t = attr(proot, "data-title")) != NULL) {
		txml_normalise((char *)t);
		m->subject = subst(a, _((const char *)t), v, NULL);
		xmlFree(t);
	}
	if (m->subject == NULL)
		m->subject = arena_strdup(a, "creneau");
	if ((title = txml_find(root, "title")) != NULL)
		txml_set_text(title, m->subject);
	if ((sms = txml_find(main, "sms")) != NULL) {
		m->sms = one_line(a, sms);
		xmlUnlinkNode(sms);
		xmlFreeNode(sms);
	}
	if (m->sms == NULL)
		m->sms = m->subject;
	for (c = main->children; c != NULL; c = next) {
		next = c->next;
		if (text_of(&tb, c) == -1)
			return -1;
	}
	/* The layout's parts after main (the footer) go into the text too. */
	for (c = main->next; c != NULL; c = c->next)
		if (text_of(&tb, c) == -1)
			return -1;
	if (newline(&tb, 0) == -1)
		return -1;
	m->text = tb.p != NULL ? tb.p : arena_strdup(a, "");
	m->html = serialise(a, doc);
	return m->text != NULL && m->html != NULL ? 0 : -1;
}

/* Returns the value of variable name, or NULL. */
const char *
nvars_get(const struct nvars *v, const char *name)
{
	size_t	 i;

	for (i = v->n; i > 0; i--)
		if (strcmp(v->name[i - 1], name) == 0)
			return v->value[i - 1];
	return NULL;
}

/* Sets variable name (a later value hides an earlier one); 0 or -1. */
int
nvars_set(struct nvars *v, const char *name, const char *value)
{
	if (v->n == NVARS_MAX || value == NULL)
		return -1;
	v->name[v->n] = name;
	v->value[v->n] = value;
	v->n++;
	return 0;
}
