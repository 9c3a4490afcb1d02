/* Forms: reading validated values from a POST, collecting errors, and
 * re-rendering a form with every value kept, a message at each wrong
 * field (aria-invalid, aria-describedby) and a summary at the top.
 * Template convention for a field named X: data-c="group-X" (the field's
 * block), "input-X" (the control, id="X"), "error-X" (its message, id
 * "X-error"); the summary is data-c="errors" with a prototype
 * "error-item" holding "error-link". */
#ifndef CRENEAU_FORM_H
#define CRENEAU_FORM_H

#include "fields.h"

struct req;
struct tpl;

#define FORM_ERRORS_MAX	16

struct form {
	struct req	*r;
	size_t		 nerrors;
	struct {
		const char	*field;		/* NULL: about the whole form */
		const char	*msg;		/* translated text */
	} errors[FORM_ERRORS_MAX];
};

void		 form_init(struct form *, struct req *);
void		 form_error(struct form *, const char *field, const char *text);
const char	*form_get(struct form *, enum field_id, int required);
int		 form_birth_date(struct form *, char out[11]);
void		 form_render(struct form *, struct tpl *, const char *const *names);

#endif
