/* Templates: polyglot XHTML5 files parsed once (XML_PARSE_NONET), copied
 * per request, filled by named elements (data-c) only through text nodes
 * and attribute values, translated through gettext (data-t, data-ta,
 * data-title), then serialised. The only module that touches libxml2
 * trees: handlers hold opaque struct tnode pointers. */
#ifndef CRENEAU_TEMPLATE_H
#define CRENEAU_TEMPLATE_H

#include <stddef.h>

struct req;
struct tpl;
struct tnode;

int		 tpl_init(const char *dir);
void		 tpl_free_all(void);
struct tpl	*tpl_page(struct req *, const char *name);
struct tnode	*tpl_get(struct tpl *, struct tnode *scope, const char *mark);
int		 tpl_text(struct tnode *, const char *);
int		 tpl_attr(struct tnode *, const char *, const char *);
struct tnode	*tpl_clone(struct tnode *proto);
void		 tpl_remove(struct tnode *);
int		 tpl_title(struct tpl *, const char *);
int		 tpl_lang(struct req *, struct tnode *, const char *);
int		 tpl_value(struct tnode *, const char *);
int		 tpl_add_class(struct tnode *, const char *);
int		 tpl_add_describedby(struct tnode *, const char *);
int		 tpl_languages(struct req *, struct tpl *, const char *,
		    const char *, const char *);
int		 tpl_lines(struct tpl *, struct tnode *, const char *,
		    const char *, const char *);
char		*tpl_serialize(struct req *, struct tpl *, size_t *);
int		 tpl_send(struct req *, struct tpl *, int status);
int		 tpl_svg_path(struct tnode *, const char *viewbox,
		    const char *d);

#endif
