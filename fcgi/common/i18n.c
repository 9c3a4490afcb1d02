/* Language selection and gettext set-up. The locale is C.UTF-8, which
 * glibc always has, and the language is chosen with LANGUAGE, so no system
 * locale needs generating; changing LANGUAGE requires telling gettext to
 * drop its cache (_nl_msg_cat_cntr, as the GNU gettext manual says). */
#include "config.h"

#include <locale.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf.h"
#include "i18n.h"
#include "log.h"

extern int	_nl_msg_cat_cntr;

static char	current[16] = "en";

/* Binds the "creneau" domain to the configured catalogue directory;
 * returns 0, or -1 when the C.UTF-8 locale is missing. */
int
i18n_init(const struct conf *c)
{
	if (setlocale(LC_ALL, "C.UTF-8") == NULL) {
		log_msg("setlocale C.UTF-8 failed");
		return -1;
	}
	bindtextdomain("creneau", c->locale_dir);
	bind_textdomain_codeset("creneau", "UTF-8");
	textdomain("creneau");
	i18n_set(c->default_language);
	return 0;
}

/* Makes lang the language of the following gettext calls. */
void
i18n_set(const char *lang)
{
	if (strcmp(current, lang) == 0)
		return;
	snprintf(current, sizeof(current), "%s", lang);
	setenv("LANGUAGE", current, 1);
	++_nl_msg_cat_cntr;
}

/* Returns the language tag in use. */
const char *
i18n_current(void)
{
	return current;
}

/* Looks up a msgid with context (key is "context\004msgid"); returns
 * the translation, or msgid when there is none. */
const char *
i18n_pgettext(const char *key, const char *msgid)
{
	const char	*t = gettext(key);

	return t == key ? msgid : t;
}

/* Returns the name of lang in lang itself ("Français", "العربية"), from
 * its own catalogue, so that adding a language needs no code. */
const char *
i18n_native_name(const char *lang)
{
	static char	 name[64];
	char		 saved[16];

	snprintf(saved, sizeof(saved), "%s", current);
	i18n_set(lang);
	/* TRANSLATORS: the name of your language, written in it. */
	snprintf(name, sizeof(name), "%s", C_("language name", "English"));
	i18n_set(saved);
	return name;
}

/* Returns "rtl" for right-to-left languages, else "ltr". */
const char *
i18n_dir(const char *lang)
{
	static const char *const rtl[] = { "ar", "fa", "he", "ur" };
	size_t	 i;

	for (i = 0; i < sizeof(rtl) / sizeof(rtl[0]); i++)
		if (strcmp(lang, rtl[i]) == 0)
			return "rtl";
	return "ltr";
}

/* Returns the first configured language matching an entry of an
 * Accept-Language header (by primary subtag, in the client's order of
 * quality), or NULL. */
static const char *
from_header(const struct conf *c, const char *h)
{
	const char	*best = NULL;
	double		 bestq = 0.0;
	char		 tag[16];
	const char	*p = h;
	size_t		 i, n;
	double		 q;

	while (p != NULL && *p != '\0') {
		while (*p == ' ' || *p == ',')
			p++;
		for (n = 0; p[n] != '\0' && p[n] != ',' && p[n] != ';' &&
		    p[n] != '-' && p[n] != ' '; n++)
			;
		if (n == 0 || n >= sizeof(tag)) {
			p = strchr(p, ',');
			continue;
		}
		memcpy(tag, p, n);
		tag[n] = '\0';
		q = 1.0;
		p += n;
		while (*p != '\0' && *p != ',') {
			if (strncmp(p, ";q=", 3) == 0)
				q = strtod(p + 3, NULL);
			p++;
		}
		for (i = 0; i < c->nlanguages; i++)
			if (strcasecmp(tag, c->languages[i]) == 0 && q > bestq) {
				best = c->languages[i];
				bestq = q;
			}
	}
	return best;
}

/* Chooses the language of a request: an explicit choice (link), then the
 * cookie, then Accept-Language, then the default. Returns a configured tag. */
const char *
i18n_pick(const struct conf *c, const char *asked, const char *cookie,
    const char *accept_language)
{
	const char	*l;

	if (asked != NULL && conf_has_language(c, asked))
		return asked;
	if (cookie != NULL && conf_has_language(c, cookie))
		return cookie;
	if (accept_language != NULL &&
	    (l = from_header(c, accept_language)) != NULL)
		return l;
	return c->default_language;
}
