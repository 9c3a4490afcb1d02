/* Form values and errors (see form.h). */
#include "config.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "arena.h"
#include "form.h"
#include "i18n.h"
#include "req.h"
#include "request.h"
#include "template.h"

/* Starts an empty form of request r. */
void
form_init(struct form *f, struct req *r)
{
	memset(f, 0, sizeof(*f));
	f->r = r;
}

/* Records an error (text already translated) for field, or for the whole
 * form when field is NULL. */
void
form_error(struct form *f, const char *field, const char *text)
{
	if (f->nerrors == FORM_ERRORS_MAX)
		return;
	f->errors[f->nerrors].field = field;
	f->errors[f->nerrors].msg = text;
	f->nerrors++;
}

/* Returns the length of the white space (ASCII blanks, no-break, narrow
 * no-break, figure and ideographic spaces, zero-width space and BOM)
 * starting at s, or ending just before s + n when back is set. */
static size_t
blank_at(const char *s, size_t n, int back)
{
	static const char *const wide[] = { "\xc2\xa0", "\xe2\x80\xaf",
	    "\xe2\x80\x87", "\xe2\x80\x8b", "\xe3\x80\x80",
	    "\xef\xbb\xbf" };
	size_t	 i, k;
	char	 c;

	if (n == 0)
		return 0;
	c = back ? s[n - 1] : s[0];
	if (c != '\0' && strchr(" \t\r\n\f\v", c) != NULL)
		return 1;
	for (i = 0; i < sizeof(wide) / sizeof(wide[0]); i++) {
		k = strlen(wide[i]);
		if (n >= k && memcmp(back ? s + n - k : s, wide[i], k) == 0)
			return k;
	}
	return 0;
}

/* Returns v without its leading and trailing white space (a copy in the
 * request's arena when there was some), its length in *len. What the
 * person typed between stays as it is. */
static const char *
trim(struct req *r, const char *v, size_t *len)
{
	size_t	 n = *len, k;
	char	*out;

	while ((k = blank_at(v, n, 0)) > 0) {
		v += k;
		n -= k;
	}
	while ((k = blank_at(v, n, 1)) > 0)
		n -= k;
	if (n == *len)
		return v;
	if ((out = arena_alloc(r->arena, n + 1)) == NULL)
		return NULL;
	memcpy(out, v, n);
	out[n] = '\0';
	*len = n;
	return out;
}

/* Returns the posted value of field id when it is valid, without leading
 * or trailing white space (a password is taken as typed); NULL when it is
 * empty (an error if required) or invalid (an error saying what is wrong
 * and what a right value looks like). */
const char *
form_get(struct form *f, enum field_id id, int required)
{
	const struct field	*fd = &fields[id];
	const char		*v = params_get(&f->r->form, fd->name);
	size_t			 len = v != NULL ? strlen(v) : 0;

	if (v != NULL && id != F_PASSWORD && (v = trim(f->r, v, &len)) == NULL)
		len = 0;
	if (len == 0) {
		if (required)
			form_error(f, fd->name, fd->missing != NULL ?
			    _(fd->missing) : arena_printf(f->r->arena,
			    _("Fill in this field: %s."), _(fd->label)));
		return NULL;
	}
	if (len > fd->maxlen) {
		form_error(f, fd->name, arena_printf(f->r->arena,
		    _("%s: at most %zu characters."), _(fd->label), fd->maxlen));
		return NULL;
	}
	if (field_check(id, v, len) == -1) {
		form_error(f, fd->name, fd->malformed != NULL ?
		    arena_printf(f->r->arena, "%s %s", _(fd->malformed),
		    _(fd->hint)) : arena_printf(f->r->arena, "%s: %s",
		    _(fd->label), _(fd->hint)));
		return NULL;
	}
	return v;
}

/* Reads birth_day, birth_month and birth_year into out (YYYY-MM-DD) when
 * they make a real past date; returns 0, or -1 with an error recorded. */
int
form_birth_date(struct form *f, char out[11])
{
	const char	*d, *m, *y;
	size_t		 before = f->nerrors;
	struct tm	 tm, now;
	time_t		 t;
	int		 dd, mm, yy;

	d = form_get(f, F_BIRTH_DAY, 1);
	m = form_get(f, F_BIRTH_MONTH, 1);
	y = form_get(f, F_BIRTH_YEAR, 1);
	if (f->nerrors > before) {
		/* One message for the date, tied to its first field. */
		f->nerrors = before;
		form_error(f, "birth_day", _("Enter your date of birth as day, month and year, for example 25 3 1990."));
		return -1;
	}
	dd = atoi(d);
	mm = atoi(m);
	yy = atoi(y);
	memset(&tm, 0, sizeof(tm));
	tm.tm_mday = dd;
	tm.tm_mon = mm - 1;
	tm.tm_year = yy - 1900;
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	time(&t);
	gmtime_r(&t, &now);
	if (tm.tm_mday != dd || tm.tm_mon != mm - 1 || tm.tm_year != yy - 1900) {
		form_error(f, "birth_day", _("This date does not exist. Check the day and the month."));
		return -1;
	}
	if (yy > now.tm_year + 1900 || (yy == now.tm_year + 1900 &&
	    (mm - 1 > now.tm_mon || (mm - 1 == now.tm_mon && dd > now.tm_mday)))) {
		form_error(f, "birth_day", _("The date of birth must be in the past."));
		return -1;
	}
	{
		char	 tmp[40];

		snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", yy, mm, dd);
		memcpy(out, tmp, 10);
		out[10] = '\0';
	}
	return 0;
}

/* Returns the message recorded for field name, or NULL. */
static const char *
error_of(const struct form *f, const char *name)
{
	size_t	 i;

	for (i = 0; i < f->nerrors; i++)
		if (f->errors[i].field != NULL &&
		    strcmp(f->errors[i].field, name) == 0)
			return f->errors[i].msg;
	return NULL;
}

/* Returns v without control characters, which an XML page cannot carry
 * (the field's message says what was wrong). */
static const char *
printable(struct req *r, const char *v)
{
	char	*out, *o;
	size_t	 n = strlen(v);

	if (text_clean((const unsigned char *)v, n, 0))
		return v;
	if ((out = arena_alloc(r->arena, n + 1)) == NULL)
		return "";
	for (o = out; *v != '\0'; v++) {
		unsigned char c = (unsigned char)*v;

		if (c < 0x20 || c == 0x7f)
			continue;
		if (c == 0xc2 && (unsigned char)v[1] >= 0x80 &&
		    (unsigned char)v[1] <= 0x9f) {
			v++;
			continue;
		}
		*o++ = *v;
	}
	*o = '\0';
	return out;
}

/* Fills the form's fields in t: the posted values (names lists the field
 * names, NULL-terminated), error messages and the summary; removes the
 * error elements of fields without error and the summary when there is
 * none. */
void
form_render(struct form *f, struct tpl *t, const char *const *names)
{
	struct req	*r = f->r;
	struct tnode	*input, *err, *group, *proto, *item, *sum;
	const char	*v, *msg;
	size_t		 i;

	for (i = 0; names[i] != NULL; i++) {
		input = tpl_get(t, NULL, arena_printf(r->arena, "input-%s", names[i]));
		err = tpl_get(t, NULL, arena_printf(r->arena, "error-%s", names[i]));
		group = tpl_get(t, NULL, arena_printf(r->arena, "group-%s", names[i]));
		/* A password is never sent back in a page. */
		if ((v = params_get(&r->form, names[i])) != NULL && input != NULL &&
		    strcmp(names[i], "password") != 0)
			tpl_value(input, printable(r, v));
		if ((msg = error_of(f, names[i])) == NULL) {
			tpl_remove(err);
			continue;
		}
		tpl_text(err, msg);
		if (group != NULL)
			tpl_add_class(group, "field-error");
		if (input != NULL) {
			tpl_attr(input, "aria-invalid", "true");
			tpl_add_describedby(input, arena_printf(r->arena,
			    "%s-error", names[i]));
		}
	}
	sum = tpl_get(t, NULL, "errors");
	if (f->nerrors == 0) {
		tpl_remove(sum);
		return;
	}
	proto = tpl_get(t, sum, "error-item");
	for (i = 0; i < f->nerrors; i++) {
		item = tpl_clone(proto);
		tpl_text(tpl_get(t, item, "error-link"), f->errors[i].msg);
		tpl_attr(tpl_get(t, item, "error-link"), "href",
		    arena_printf(r->arena, "#%s", f->errors[i].field != NULL ?
		    f->errors[i].field : "contenu"));
	}
	tpl_remove(proto);
}
