/* The libxml2 tree work shared by the two halves of the template module:
 * pages (template.c) and the e-mail and SMS messages of creneau-notify
 * (notify_tpl.c). Only those two files include this header; everything
 * else goes through template.h. */
#ifndef CRENEAU_TEMPLATE_XML_H
#define CRENEAU_TEMPLATE_XML_H

#include <libxml/tree.h>

xmlNodePtr	txml_find(xmlNodePtr, const char *mark);
void		txml_normalise(char *);
const char	*txml_clean(const char *, char **);
int		txml_set_prop(xmlNodePtr, const xmlChar *, const char *);
int		txml_set_text(xmlNodePtr, const char *);
void		txml_translate(xmlNodePtr);
void		txml_finish(xmlNodePtr);

#endif
