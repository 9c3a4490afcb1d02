/* Unit tests of forms (fcgi/web/form.c): reading a posted value through
 * the field table, the messages of a missing, over-long or malformed
 * value, the date of birth in three fields, and re-rendering a form with
 * the values kept, each message tied to its field and a summary. */
#include "config.h"

#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "arena.h"
#include "fields.h"
#include "form.h"
#include "req.h"
#include "request.h"
#include "template.h"
#include "tap.h"

static struct limits	 lim = { 65536, 64, 4096 };
static char		 dir[64];

/* A request whose form body is body. */
static void
post(struct req *r, struct arena *a, const char *body)
{
	memset(r, 0, sizeof(*r));
	r->arena = a;
	r->lang = "en";
	parse_urlencoded(a, body, strlen(body), &lim, &r->form);
}

/* Writes a fixture template into the test directory. */
static void
put(const char *name, const char *text)
{
	char	 path[256];
	FILE	*f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "w");
	fputs(text, f);
	fclose(f);
}

static const char layout[] =
    "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\" xml:lang=\"en\">"
    "<head><meta charset=\"utf-8\"/><title data-c=\"title\">creneau</title></head>"
    "<body><main data-c=\"main\"></main></body></html>\n";

static const char page[] =
    "<div xmlns=\"http://www.w3.org/1999/xhtml\" data-c=\"page\" data-title=\"Form\">"
    "<div data-c=\"errors\"><ul><li data-c=\"error-item\"><a data-c=\"error-link\" href=\"#\">e</a></li></ul></div>"
    "<form method=\"post\" action=\"/x\">"
    "<p data-c=\"group-surname\"><label for=\"surname\">Surname</label>"
    "<span data-c=\"error-surname\" id=\"surname-error\">e</span>"
    "<input data-c=\"input-surname\" id=\"surname\" name=\"surname\"/></p>"
    "<p data-c=\"group-email\"><label for=\"email\">E-mail</label>"
    "<span data-c=\"error-email\" id=\"email-error\">e</span>"
    "<input data-c=\"input-email\" id=\"email\" name=\"email\"/></p>"
    "</form></div>\n";

int
main(void)
{
	struct arena	*a = arena_new(16384);
	struct req	 r;
	struct form	 f;
	struct tpl	*t;
	char		 date[11], future[160], *out, cmd[128];
	const char	*names[] = { "surname", "email", NULL };
	size_t		 len;
	time_t		 now = time(NULL);
	struct tm	 tm;

	ok(fields_init() == 0, "the field table compiles");

	post(&r, a, "surname=Dupont&email=");
	form_init(&f, &r);
	is_str(form_get(&f, F_SURNAME, 1), "Dupont", "a valid value is returned");
	ok(form_get(&f, F_EMAIL, 0) == NULL, "an empty optional field is NULL");
	is_int((int)f.nerrors, 0, "and is no error");
	ok(form_get(&f, F_GIVEN_NAMES, 1) == NULL, "a missing required field is NULL");
	is_int((int)f.nerrors, 1, "and is one error");
	is_str(f.errors[0].field, "given_names", "tied to its field");
	is_str(f.errors[0].msg, "Enter your given names.",
	    "whose message is the field's own sentence, not a label in a frame");
	ok(form_get(&f, F_SURNAME, 1) != NULL, "surname still there");
	post(&r, a, "email=");
	form_init(&f, &r);
	form_get(&f, F_SURNAME, 1);
	is_str(f.errors[0].msg, "Enter your surname.", "the surname's own sentence");

	/* Issue 12: " Dupont" was refused as malformed. */
	post(&r, a, "surname=+Dupont&given_names=Jean+Pierre%C2%A0"
	    "&email=%E2%80%AFnom%40example.fr%09&password=+secret+secret+");
	form_init(&f, &r);
	is_str(form_get(&f, F_SURNAME, 1), "Dupont",
	    "a leading space is trimmed, not refused");
	is_str(form_get(&f, F_GIVEN_NAMES, 1), "Jean Pierre",
	    "a trailing no-break space is trimmed, the inner space kept");
	is_str(form_get(&f, F_EMAIL, 1), "nom@example.fr",
	    "narrow no-break space and tab around an address are trimmed");
	is_str(form_get(&f, F_PASSWORD, 1), " secret secret ",
	    "a password is taken as typed");
	is_int((int)f.nerrors, 0, "and none of them is an error");
	post(&r, a, "surname=+%C2%A0+&agdref=+0123456789+");
	form_init(&f, &r);
	ok(form_get(&f, F_SURNAME, 1) == NULL, "only white space is empty");
	is_str(f.errors[0].msg, "Enter your surname.", "and reads as missing");
	is_str(form_get(&f, F_AGDREF, 1), "0123456789", "an AGDREF number is trimmed");
	post(&r, a, "agdref=0123+56789");
	form_init(&f, &r);
	ok(form_get(&f, F_AGDREF, 1) == NULL, "a space inside is still refused (10 characters)");
	ok(strstr(f.errors[0].msg, "10 digits, with no spaces") != NULL,
	    "saying what is wrong (%s)", f.errors[0].msg);

	{
		size_t	 i, bad = 0;

		for (i = 0; i < FIELD_COUNT; i++)
			if (fields[i].name != NULL && (fields[i].missing == NULL ||
			    fields[i].malformed == NULL ||
			    strchr(fields[i].missing, '%') != NULL)) {
				ok(0, "field %s declares its messages", fields[i].name);
				bad++;
			}
		is_int((int)bad, 0, "every field declares its own missing and malformed messages");
	}

	post(&r, a, "surname=Dupont%3Cscript%3E&email=not-an-address");
	form_init(&f, &r);
	ok(form_get(&f, F_SURNAME, 1) == NULL, "a malformed name is refused");
	ok(form_get(&f, F_EMAIL, 1) == NULL, "a malformed address is refused");
	is_int((int)f.nerrors, 2, "one error each");
	ok(strstr(f.errors[1].msg, "nom@example.fr") != NULL,
	    "the message shows what a right value looks like (%s)", f.errors[1].msg);
	ok(strstr(f.errors[1].msg, "needs an @ and a domain") != NULL,
	    "and says what is wrong (%s)", f.errors[1].msg);
	ok(strstr(f.errors[0].msg, "only letters") != NULL,
	    "a malformed name says which characters a name may have (%s)",
	    f.errors[0].msg);

	memset(future, 'a', 120);
	memcpy(future, "surname=", 8);
	future[120] = '\0';
	post(&r, a, future);
	form_init(&f, &r);
	ok(form_get(&f, F_SURNAME, 1) == NULL, "a value over the field's length is refused");
	ok(strstr(f.errors[0].msg, "100") != NULL, "the message gives the limit (%s)",
	    f.errors[0].msg);

	post(&r, a, "birth_day=25&birth_month=3&birth_year=1990");
	form_init(&f, &r);
	is_int(form_birth_date(&f, date), 0, "a real date of birth is read");
	is_str(date, "1990-03-25", "as YYYY-MM-DD");
	post(&r, a, "birth_day=31&birth_month=2&birth_year=1990");
	form_init(&f, &r);
	is_int(form_birth_date(&f, date), -1, "31 February is refused");
	ok(strstr(f.errors[0].msg, "does not exist") != NULL, "as a date that does not exist");
	post(&r, a, "birth_day=29&birth_month=2&birth_year=2000");
	form_init(&f, &r);
	is_int(form_birth_date(&f, date), 0, "29 February of a leap year is a date");
	gmtime_r(&now, &tm);
	snprintf(future, sizeof(future), "birth_day=1&birth_month=1&birth_year=%d",
	    tm.tm_year + 1900 + 1);
	post(&r, a, future);
	form_init(&f, &r);
	is_int(form_birth_date(&f, date), -1, "a date of birth in the future is refused");
	post(&r, a, "birth_day=&birth_month=3&birth_year=19x0");
	form_init(&f, &r);
	is_int(form_birth_date(&f, date), -1, "missing and malformed parts are refused");
	is_int((int)f.nerrors, 1, "with one message for the whole date");
	is_str(f.errors[0].field, "birth_day", "tied to its first field");

	snprintf(dir, sizeof(dir), "/tmp/creneau-form-XXXXXX");
	ok(mkdtemp(dir) != NULL, "fixture directory");
	put("layout.xhtml", layout);
	put("form.xhtml", page);
	ok(tpl_init(dir) == 0, "fixture templates load");
	post(&r, a, "surname=Dupont&email=x%40y");
	form_init(&f, &r);
	form_get(&f, F_SURNAME, 1);
	form_get(&f, F_EMAIL, 1);
	t = tpl_page(&r, "form");
	form_render(&f, t, names);
	out = tpl_serialize(&r, t, &len);
	ok(out != NULL, "the form re-renders");
	ok(out != NULL && strstr(out, "value=\"Dupont\"") != NULL,
	    "a right value is kept");
	ok(out != NULL && strstr(out, "value=\"x@y\"") != NULL,
	    "a wrong value is kept too, for the person to correct");
	ok(out != NULL && strstr(out, "aria-invalid=\"true\"") != NULL &&
	    strstr(out, "aria-describedby=\"email-error\"") != NULL,
	    "the wrong field is marked invalid and described by its message");
	ok(out != NULL && strstr(out, "surname-error") == NULL,
	    "a right field has no message");
	ok(out != NULL && strstr(out, "href=\"#email\"") != NULL,
	    "the summary links to the wrong field");
	tpl_free_all();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	(void)!system(cmd);
	fields_free();
	arena_free(a);
	return done_testing();
}
