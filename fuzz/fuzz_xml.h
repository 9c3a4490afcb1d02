/* What the template harnesses (fuzz/template.c, fuzz/mail.c) check of a
 * page or message they rendered: well-formed XML, and made only of the
 * elements and attributes of the templates. */
#ifndef CRENEAU_FUZZ_XML_H
#define CRENEAU_FUZZ_XML_H

#include <libxml/parser.h>
#include <libxml/tree.h>

#include "fuzz.h"

static int	fuzz_xml_errors;

static void
fuzz_xml_on_error(void *ctx, xmlErrorPtr e)
{
	fuzz_xml_errors++;
}

/* Reads out back as XML, strictly; aborts unless it is well-formed with
 * no complaint from libxml2. Free the result with xmlFreeDoc. */
static xmlDocPtr
fuzz_xml_read(const char *out, size_t len, const char *what)
{
	xmlDocPtr	 doc;

	fuzz_xml_errors = 0;
	xmlSetStructuredErrorFunc(NULL, fuzz_xml_on_error);
	doc = xmlReadMemory(out, (int)len, "out.xhtml", "UTF-8", XML_PARSE_NONET);
	xmlSetStructuredErrorFunc(NULL, NULL);
	PROPERTY(doc != NULL && fuzz_xml_errors == 0,
	    "%s: not well-formed XML (%d errors)", what, fuzz_xml_errors);
	return doc;
}

/* Returns 1 when name is in the NULL-terminated list. */
static int
fuzz_listed(const char *const *list, const char *name)
{
	for (; *list != NULL; list++)
		if (strcmp(*list, name) == 0)
			return 1;
	return 0;
}

/* Checks that every node from n on (and under) is text or an element,
 * named in names, whose attributes are named in names too: the input
 * never became markup. */
static void
fuzz_xml_walk(xmlNodePtr n, const char *const *names)
{
	xmlAttrPtr	 at;

	for (; n != NULL; n = n->next) {
		PROPERTY(n->type == XML_ELEMENT_NODE || n->type == XML_TEXT_NODE,
		    "a node of type %d", (int)n->type);
		if (n->type != XML_ELEMENT_NODE)
			continue;
		PROPERTY(fuzz_listed(names, (const char *)n->name),
		    "element <%s> in no template", n->name);
		for (at = n->properties; at != NULL; at = at->next)
			PROPERTY(fuzz_listed(names, (const char *)at->name),
			    "attribute %s in no template", at->name);
		fuzz_xml_walk(n->children, names);
	}
}

#endif
