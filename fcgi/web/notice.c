/* Notices after a redirect (see notice.h). */
#include "config.h"

#include <string.h>

#include "i18n.h"
#include "notice.h"
#include "req.h"
#include "template.h"

/* Shows the notice of list named by ?m= as a success or an error, or
 * removes the notice element when ?m= names none. */
void
notice_show(struct req *r, struct tpl *t, const struct notice *list, size_t n)
{
	const char	*m = params_get(&r->query, "m");
	struct tnode	*el = tpl_get(t, NULL, "notice");
	size_t		 i;

	for (i = 0; m != NULL && i < n; i++)
		if (strcmp(m, list[i].key) == 0) {
			tpl_text(el, _(list[i].msg));
			tpl_add_class(el, list[i].error ? "alert-error" :
			    "alert-success");
			return;
		}
	tpl_remove(el);
}
