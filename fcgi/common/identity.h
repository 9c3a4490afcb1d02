/* The person a booking or a draw entry is for, read one way from every
 * form that books (public booking, draw registration, mediator) or built
 * from stored fields (court orders), and reduced to what SQL compares:
 *
 *   as typed   surname, given names, birth date, e-mail, phone, message
 *              language, AGDREF number: shown back and printed;
 *   canonical  the E.164 phone number (where SMS go);
 *   keys       keyed digests (HMAC with the site secret, secret.c) of
 *              the canonical forms (canon.h): name_key of
 *              "N:" surname "|" given names "|" birth date, agdref_key of
 *              "A:" digits, email_key and phone_key of the canonical
 *              contacts. The identity rule, the caps and the rate limits
 *              compare these, never raw text; nothing in them is
 *              personal data in clear.
 *
 * identity_json() is the one value the SQL functions take (p_person,
 * schema/016_booking_path.sql). */
#ifndef CRENEAU_IDENTITY_H
#define CRENEAU_IDENTITY_H

struct arena;
struct form;
struct req;

struct identity {
	const char	*surname, *given_names, *email, *phone, *lang, *agdref;
	char		 birth[11];
	const char	*phone_e164;
	const char	*name_key, *agdref_key, *email_key, *phone_key;
};

/* What a form asks for. */
#define IDENTITY_EMAIL		0x1	/* has an e-mail field */
#define IDENTITY_CONTACT	0x2	/* e-mail or phone is required */
#define IDENTITY_AGDREF		0x4	/* the procedure needs the AGDREF number */

int		 identity_read(struct form *, unsigned flags, struct identity *);
/* What the public forms (the booking form, a draw's registration) ask
 * for: an e-mail field, a contact, and the AGDREF number when the
 * procedure's requires_agdref is "t". */
#define IDENTITY_PUBLIC(requires_agdref)	(IDENTITY_EMAIL | IDENTITY_CONTACT | \
	(strcmp((requires_agdref), "t") == 0 ? IDENTITY_AGDREF : 0))
int		 identity_canon(struct req *, struct form *, int at_fields,
		    struct identity *);
const char	*identity_phone(struct form *, const char *typed);
const char	*identity_json(struct arena *, const struct identity *);

#endif
