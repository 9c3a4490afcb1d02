/* The person of a booking: read, canonicalised and keyed (identity.h). */
#include "config.h"

#include <string.h>

#include "arena.h"
#include "canon.h"
#include "conf.h"
#include "fields.h"
#include "form.h"
#include "i18n.h"
#include "identity.h"
#include "req.h"
#include "secret.h"

/* Reads and validates the person's fields of the form (flags: what it
 * asks for), then canonicalises them (identity_canon); returns 0 when all
 * are right, -1 with the errors recorded at their fields. */
int
identity_read(struct form *f, unsigned flags, struct identity *in)
{
	struct req	*r = f->r;
	size_t		 before = f->nerrors, mark;

	in->surname = form_get(f, F_SURNAME, 1);
	in->given_names = form_get(f, F_GIVEN_NAMES, 1);
	form_birth_date(f, in->birth);
	mark = f->nerrors;
	in->email = (flags & IDENTITY_EMAIL) ? form_get(f, F_EMAIL, 0) : NULL;
	in->phone = form_get(f, F_PHONE, 0);
	if ((flags & IDENTITY_CONTACT) && in->email == NULL &&
	    in->phone == NULL && f->nerrors == mark)
		form_error(f, "email", _("Give an e-mail address or a mobile phone number, so that we can send you the confirmation code."));
	in->lang = form_get(f, F_MSG_LANG, 1);
	if (in->lang != NULL && !conf_has_language(r->conf, in->lang)) {
		form_error(f, "lang", _("Choose one of the languages offered."));
		in->lang = NULL;
	}
	in->agdref = (flags & IDENTITY_AGDREF) ? form_get(f, F_AGDREF, 1) : NULL;
	if (f->nerrors > before)
		return -1;
	return identity_canon(r, f, 1, in);
}

/* Records an error at field; not for stored fields (at_fields 0). */
static void
err(struct form *f, int at_fields, const char *field, const char *msg)
{
	if (at_fields)
		form_error(f, field, msg);
}

/* Canonicalises one name; NULL with an error recorded when it cannot
 * be (for stored fields: the name as recorded). */
static const char *
name(struct req *r, struct form *f, int at_fields, const char *field,
    const char *in)
{
	const char		*out = NULL;
	enum canon_status	 st;

	if (in == NULL)
		in = "";
	if ((st = canon_name(r->arena, in, &out)) == CANON_OK)
		return out;
	if (st == CANON_ERROR) {
		form_error(f, NULL, _("Your details could not be checked just now. Wait a minute, then send the form again."));
		return NULL;
	}
	if (!at_fields)
		return in;
	if (st == CANON_CONFUSABLE)
		err(f, at_fields, field, _("This name mixes letters of different alphabets that look alike. Write the name in one alphabet, as on your passport or residence permit."));
	else
		err(f, at_fields, field, _("Write the name with letters, as on your passport or residence permit."));
	return NULL;
}

/* Whether s is "+" and 6 to 15 digits, the first not 0 (E.164, as the
 * bookings.phone_e164 column checks). */
static int
is_e164(const char *s)
{
	size_t	 n;

	if (s == NULL || s[0] != '+' || s[1] < '1' || s[1] > '9')
		return 0;
	n = strspn(s + 1, "0123456789");
	return s[1 + n] == '\0' && n >= 6 && n <= 15;
}

/* The E.164 form of a mobile number as typed; NULL with an error recorded
 * at the phone field (for stored fields: NULL, no error). */
static const char *
phone(struct req *r, struct form *f, int at_fields, const char *typed)
{
	const char		*c = NULL;
	enum canon_status	 st;

	if ((st = canon_phone(r->arena, typed, &c)) == CANON_ERROR)
		form_error(f, NULL, _("Your details could not be checked just now. Wait a minute, then send the form again."));
	else if (st != CANON_OK || !is_e164(c))
		err(f, at_fields, "phone", arena_printf(r->arena, _("This phone number is not possible. Check it, and write it for example like this: %s."), canon_phone_example()));
	else if (!canon_phone_mobile(c))
		err(f, at_fields, "phone", arena_printf(r->arena, _("This is not a mobile number, and we send the code by text message. Give a mobile number, for example %s, or an e-mail address."), canon_phone_example()));
	else
		return c;
	return NULL;
}

/* The E.164 form of the mobile number typed in a form's phone field (for
 * forms that only need where to send an SMS: alerts); NULL with an error
 * at the field when it is not a possible mobile number. */
const char *
identity_phone(struct form *f, const char *typed)
{
	return phone(f->r, f, 1, typed);
}

/* Computes the canonical forms and the keys of in's typed fields; 0, or
 * -1 with the errors recorded at the fields. With at_fields 0 (fields
 * recorded earlier, e.g. a court order, that must still be booked) a
 * name that cannot be canonicalised is keyed as recorded and a contact
 * that cannot be gets no key. */
int
identity_canon(struct req *r, struct form *f, int at_fields,
    struct identity *in)
{
	const char		*sn, *gn, *c;
	enum canon_status	 st;
	size_t			 before = f->nerrors;

	in->name_key = in->agdref_key = in->email_key = NULL;
	in->phone_key = in->phone_e164 = NULL;
	sn = name(r, f, at_fields, "surname", in->surname);
	gn = name(r, f, at_fields, "given_names", in->given_names);
	if (in->email != NULL && *in->email != '\0') {
		if ((st = canon_email(r->arena, in->email, &c)) == CANON_OK)
			in->email_key = secret_digest(r->arena, "creneau email key v1", c);
		else if (st == CANON_ERROR)
			form_error(f, NULL, _("Your details could not be checked just now. Wait a minute, then send the form again."));
		else
			err(f, at_fields, "email", _("This e-mail address is not possible. Check it, and write it for example like this: name@example.fr."));
	}
	if (in->phone != NULL && *in->phone != '\0' &&
	    (in->phone_e164 = phone(r, f, at_fields, in->phone)) != NULL)
		in->phone_key = secret_digest(r->arena, "creneau phone key v1",
		    in->phone_e164);
	if (f->nerrors > before)
		return -1;
	in->name_key = secret_identity_hex(r->arena, arena_printf(r->arena,
	    "N:%s|%s|%s", sn, gn, in->birth));
	if (in->agdref != NULL && *in->agdref != '\0')
		in->agdref_key = secret_identity_hex(r->arena,
		    arena_printf(r->arena, "A:%s", in->agdref));
	return in->name_key != NULL ? 0 : -1;
}

/* Appends s to out as a JSON string (or null). */
static char *
json_str(struct arena *a, const char *s)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char	*p;
	char			*out, *o;

	if (s == NULL)
		return "null";
	if ((out = arena_alloc(a, 6 * strlen(s) + 3)) == NULL)
		return "null";
	o = out;
	*o++ = '"';
	for (p = (const unsigned char *)s; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\') {
			*o++ = '\\';
			*o++ = (char)*p;
		} else if (*p < 0x20) {
			memcpy(o, "\\u00", 4);
			o[4] = hex[*p >> 4];
			o[5] = hex[*p & 15];
			o += 6;
		} else
			*o++ = (char)*p;
	}
	*o++ = '"';
	*o = '\0';
	return out;
}

/* The person as the SQL functions take it (p_person). */
const char *
identity_json(struct arena *a, const struct identity *in)
{
	return arena_printf(a, "{\"surname\":%s,\"given_names\":%s,"
	    "\"birth_date\":%s,\"agdref\":%s,\"email\":%s,\"phone\":%s,"
	    "\"lang\":%s,\"phone_e164\":%s,\"name_key\":%s,\"agdref_key\":%s,"
	    "\"email_key\":%s,\"phone_key\":%s}",
	    json_str(a, in->surname), json_str(a, in->given_names),
	    json_str(a, in->birth), json_str(a, in->agdref),
	    json_str(a, in->email), json_str(a, in->phone),
	    json_str(a, in->lang), json_str(a, in->phone_e164),
	    json_str(a, in->name_key), json_str(a, in->agdref_key),
	    json_str(a, in->email_key), json_str(a, in->phone_key));
}
