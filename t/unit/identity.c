/* Unit tests of the person of a booking (identity.c): spellings of one
 * name, one e-mail address and one phone number give one key; different
 * people stay apart; a confusable name and an impossible or fixed-line
 * phone are refused at their field, unless the fields were recorded
 * earlier (court orders); the JSON sent to SQL is escaped and keeps what
 * was typed, and no key holds the input in clear. */
#include "config.h"

#include <sodium.h>
#include <string.h>

#include "arena.h"
#include "canon.h"
#include "form.h"
#include "identity.h"
#include "req.h"
#include "secret.h"
#include "tap.h"

static struct req	r;

/* Canonicalises a person; returns identity_canon's result, the errors in
 * *f. */
static int
person(struct form *f, struct identity *in, const char *surname,
    const char *given, const char *email, const char *phone)
{
	form_init(f, &r);
	memset(in, 0, sizeof(*in));
	in->surname = surname;
	in->given_names = given;
	strcpy(in->birth, "1980-05-06");
	in->email = email;
	in->phone = phone;
	in->lang = "fr";
	return identity_canon(&r, f, 1, in);
}

static int
same(const char *a, const char *b)
{
	return a != NULL && b != NULL && strcmp(a, b) == 0;
}

int
main(void)
{
	static const char *const names[] = {
		"Dupont.", " DUPONT ", "Du\xcd\x8fpont", "Dupont\xef\xb8\x8f",
		"dupont-", "D\xc3\xbcpont"
	};
	static const char *const emails[] = {
		"jean.dupont+x@gmail.com", "JeanDupont@googlemail.com",
		" jeandupont@GMAIL.com", "jean.dupont+other@gmail.com"
	};
	static const char *const phones[] = {
		"06 12 34 56 78", "+33 6 12 34 56 78", "0033612345678",
		"+33 0 6 12 34 56 78", "+33 (0)6 12.34.56.78", "0612345678"
	};
	struct identity	 base, v;
	struct form	 f;
	unsigned char	 key[32];
	const char	*json;
	size_t		 i;

	ok(sodium_init() >= 0, "libsodium starts");
	memset(key, 9, sizeof(key));
	secret_set(key, sizeof(key));
	r.arena = arena_new(1 << 16);

	is_int(person(&f, &base, "Dupont", "Marie-Anne", "jeandupont@gmail.com",
	    "+33612345678"), 0, "a plain person is read");
	ok(base.name_key != NULL && strlen(base.name_key) == 64,
	    "the name key is 64 hex digits");
	is_str(base.phone_e164, "+33612345678", "the phone in E.164");
	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		person(&f, &v, names[i], "marie anne", NULL, NULL);
		ok(same(v.name_key, base.name_key),
		    "\"%s\" is the same person as \"Dupont\"", names[i]);
	}
	person(&f, &v, "Dupond", "Marie-Anne", NULL, NULL);
	ok(!same(v.name_key, base.name_key), "\"Dupond\" is another person");
	person(&f, &v, "Dupont", "Marianne", NULL, NULL);
	ok(!same(v.name_key, base.name_key), "\"Marianne\" is another person");
	strcpy(v.birth, "1980-05-07");
	v.given_names = "Marie-Anne";
	identity_canon(&r, &f, 1, &v);
	ok(!same(v.name_key, base.name_key), "another birth date is another person");

	is_int(person(&f, &v, "Dup\xd0\xbent", "Marie", NULL, NULL), -1,
	    "a Cyrillic o among Latin letters is refused");
	ok(f.nerrors == 1 && same(f.errors[0].field, "surname") &&
	    strstr(f.errors[0].msg, "alphabet") != NULL,
	    "at the surname, asking for one alphabet (%s)",
	    f.nerrors ? f.errors[0].msg : "");
	form_init(&f, &r);
	memset(&v, 0, sizeof(v));
	v.surname = "Dup\xd0\xbent";
	v.given_names = "Marie";
	strcpy(v.birth, "1980-05-06");
	is_int(identity_canon(&r, &f, 0, &v), 0,
	    "recorded earlier (a court order), it is keyed as recorded");
	ok(f.nerrors == 0 && v.name_key != NULL, "without an error");

	for (i = 0; i < sizeof(emails) / sizeof(emails[0]); i++) {
		person(&f, &v, "A", "B", emails[i], NULL);
		ok(same(v.email_key, base.email_key),
		    "\"%s\" counts as jeandupont@gmail.com", emails[i]);
	}
	person(&f, &v, "A", "B", "jean.dupont@example.org", NULL);
	person(&f, &base, "A", "B", "jeandupont@example.org", NULL);
	ok(!same(v.email_key, base.email_key),
	    "dots count outside Gmail");
	ok(strlen(v.email_key) == 32 && strstr(v.email_key, "jean") == NULL,
	    "an e-mail key is 32 hex digits, nothing in clear");

	person(&f, &base, "A", "B", NULL, "+33612345678");
	for (i = 0; i < sizeof(phones) / sizeof(phones[0]); i++) {
		person(&f, &v, "A", "B", NULL, phones[i]);
		ok(same(v.phone_key, base.phone_key) &&
		    same(v.phone_e164, "+33612345678"),
		    "\"%s\" is +33612345678", phones[i]);
	}
	is_int(person(&f, &v, "A", "B", NULL, "+33 1"), -1,
	    "an impossible number is refused");
	ok(f.nerrors == 1 && same(f.errors[0].field, "phone") &&
	    strstr(f.errors[0].msg, canon_phone_example()) != NULL,
	    "at the phone, with an example (%s)", f.nerrors ? f.errors[0].msg : "");
	is_int(person(&f, &v, "A", "B", NULL, "01 23 45 67 89"), -1,
	    "a fixed line is refused (the code goes by SMS)");

	person(&f, &v, "O\"Brien\\", "Line\nTwo", "x@example.org", "06 12 34 56 78");
	json = identity_json(r.arena, &v);
	ok(json != NULL && strstr(json, "\"surname\":\"O\\\"Brien\\\\\"") != NULL,
	    "quotes and backslashes are escaped in the JSON");
	ok(json != NULL && strstr(json, "Line\\u000aTwo") != NULL,
	    "control characters are escaped");
	ok(json != NULL && strstr(json, "\"phone\":\"06 12 34 56 78\"") != NULL &&
	    strstr(json, "\"phone_e164\":\"+33612345678\"") != NULL,
	    "the phone as typed is kept beside its E.164 form");
	ok(json != NULL && strstr(json, "\"agdref_key\":null") != NULL,
	    "missing values are null");
	return done_testing();
}
