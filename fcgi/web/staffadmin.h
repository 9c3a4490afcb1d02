/* What the administration pages share (issue 12): the administrator
 * check (a refusal is audited), the single-use nonce of their forms, the
 * site checkboxes and the one-time links. */
#ifndef CRENEAU_STAFFADMIN_H
#define CRENEAU_STAFFADMIN_H

struct req;
struct tpl;
struct tnode;
struct form;
struct outcome;

#include "fields.h"

#define ADMIN_LINK_HOURS	72	/* lifetime of a one-time link */

int		 admin_require(struct req *);
const char	*admin_nonce(struct req *);
const char	*admin_nonce_check(struct req *);
const char	*admin_boxes_posted(struct req *, const char *prefix);
int		 admin_in_list(const char *list, const char *word);
void		 admin_box(struct req *, struct tpl *, struct tnode *,
		    const char *name, const char *slug, const char *label, int on);
int		 admin_sites_render(struct req *, struct tpl *, struct tnode *,
		    const char *chosen);
const char	*admin_link_url(struct req *, const char *token);
const char	*admin_role_text(const char *role);
const char	*admin_field(struct form *, enum field_id, const char *empty,
		    const char *bad);
int		 admin_answer(struct req *, struct form *, const struct outcome *,
		    const char *self,
		    int (*render)(struct req *, struct form *, int));
int		 admin_page(struct req *,
		    int (*render)(struct req *, struct form *, int),
		    int (*save)(struct req *));

#endif
