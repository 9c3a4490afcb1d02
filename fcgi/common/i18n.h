/* Translations through gettext catalogues (po/). msgids are English; the
 * language is chosen per request among the configured ones. */
#ifndef CRENEAU_I18N_H
#define CRENEAU_I18N_H

#include <libintl.h>

#define _(s)	gettext(s)
#define N_(s)	(s)
/* A msgid with a context (xgettext --keyword=C_:1c,2), as pgettext. */
#define C_(ctx, s)	i18n_pgettext(ctx "\004" s, s)

struct conf;

int		 i18n_init(const struct conf *);
void		 i18n_set(const char *lang);
const char	*i18n_current(void);
const char	*i18n_pgettext(const char *, const char *);
const char	*i18n_native_name(const char *lang);
const char	*i18n_dir(const char *lang);
const char	*i18n_pick(const struct conf *, const char *asked,
		    const char *cookie, const char *accept_language);

#endif
