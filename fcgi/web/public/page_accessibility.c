/* GET /accessibilite: the accessibility statement (RGAA), a page of text
 * from its template in the request's language. */
#include "config.h"

#include "req.h"
#include "response.h"
#include "template.h"

/* Answers the statement. */
int
page_accessibility(struct req *r)
{
	struct tpl	*t;

	if ((t = tpl_page(r, "accessibility")) == NULL)
		return -1;
	resp_shareable(r);
	return tpl_send(r, t, 200);
}
