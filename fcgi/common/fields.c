/* The field table and its validators: PCRE2 patterns compiled once at
 * start-up (anchored, UTF and Unicode properties on), matched with match
 * and depth limits so no input can make a worker spin. */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <string.h>

#include "fields.h"
#include "i18n.h"
#include "log.h"
#include "request.h"

/* Names: letters of any script, combining marks, spaces, apostrophes,
 * hyphens and dots, starting with a letter: "N'Diaye", "Ибрагимова",
 * "محمد", "王 小明". */
#define NAME_RE	"\\p{L}[\\p{L}\\p{M}' \\x{2019}.-]*"

const struct field fields[FIELD_COUNT] = {
	[F_SLUG] = { "site", "[a-z0-9]+(?:-[a-z0-9]+)*", 64, 1,
	    N_("Site"), N_("Lower-case letters, digits and hyphens."),
	    N_("Choose a site."),
	    N_("This site code is not valid.") },
	[F_LANG] = { "lang", "[a-z]{2,3}(?:-[A-Za-z0-9]{2,8})?", 12, 0,
	    N_("Language"), N_("A language code such as fr."),
	    N_("Choose a language."),
	    N_("This language code is not valid.") },
	[F_DATE] = { "day", "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])",
	    10, 1, N_("Day"), N_("A date written YYYY-MM-DD."),
	    N_("Choose a day."),
	    N_("This day is not a valid date.") },
	[F_SURNAME] = { "surname", NAME_RE, 100, 1,
	    N_("Surname"), N_("As written on your passport or residence permit."),
	    N_("Enter your surname."),
	    N_("The surname can contain only letters, spaces, hyphens, apostrophes and dots, and must start with a letter.") },
	[F_GIVEN_NAMES] = { "given_names", NAME_RE, 150, 1,
	    N_("Given names"), N_("All of them, as written on your passport."),
	    N_("Enter your given names."),
	    N_("The given names can contain only letters, spaces, hyphens, apostrophes and dots, and must start with a letter.") },
	[F_BIRTH_DATE] = { "birth_date",
	    "(?:19|20)[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])",
	    10, 1, N_("Date of birth"), N_("For example 1990-03-25."),
	    N_("Enter your date of birth."),
	    N_("The date of birth is not a valid date.") },
	[F_EMAIL] = { "email",
	    "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
	    "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
	    254, 0, N_("E-mail address"), N_("For example nom@example.fr."),
	    N_("Enter your e-mail address."),
	    N_("The e-mail address needs an @ and a domain.") },
	/* Loose on purpose: canon_phone() (identity.c) says whether the
	 * number is possible, with an example when it is not. */
	[F_PHONE] = { "phone", "\\+?[0-9(][0-9 ().\\/-]{5,30}",
	    32, 0, N_("Mobile phone"), N_("For example 06 12 34 56 78 or +33612345678."),
	    N_("Enter your mobile phone number."),
	    N_("The phone number can contain only digits, spaces, dots, hyphens, brackets and a + at the start.") },
	[F_AGDREF] = { "agdref", "[0-9]{10}", 10, 1, N_("AGDREF number"),
	    N_("The 10 digits printed on your residence permit."),
	    N_("Enter your AGDREF number."),
	    N_("The AGDREF number is exactly 10 digits, with no spaces or letters.") },
	[F_REFERENCE] = { "reference",
	    "[ACDEFGHJKLMNPQRTUVWXYacdefghjklmnpqrtuvwxy34679]{4}[- ]?"
	    "[ACDEFGHJKLMNPQRTUVWXYacdefghjklmnpqrtuvwxy34679]{4}",
	    9, 1, N_("Booking reference"), N_("8 letters and digits, for example KD7F-M3QA."),
	    N_("Enter your booking reference."),
	    N_("This is not a booking reference.") },
	[F_TOKEN] = { "token", "[A-Za-z0-9_-]{16,200}", 200, 1,
	    N_("Form token"), N_("Reload the form and send it again."),
	    N_("The form is incomplete."),
	    N_("The form has expired or was changed.") },
	[F_CODE] = { "code", "[0-9]{6}", 6, 1, N_("Confirmation code"),
	    N_("The 6 digits we sent you."),
	    N_("Enter the confirmation code."),
	    N_("The confirmation code is exactly 6 digits.") },
	[F_ID] = { "id", "[1-9][0-9]{0,17}", 18, 1, N_("Identifier"),
	    N_("A number."),
	    N_("Choose one of the items offered."),
	    N_("This identifier is not valid.") },
	[F_ACCESS] = { "access", "[A-Za-z0-9_-]{43}", 43, 1, N_("Link"),
	    N_("Use the link from the message we sent you."),
	    N_("This link is incomplete."),
	    N_("This link is not valid.") },
	[F_BIRTH_DAY] = { "birth_day", "(?:0?[1-9]|[12][0-9]|3[01])", 2, 1,
	    N_("Day"), N_("For example 25."),
	    N_("Enter the day of your birth."),
	    N_("The day is a number from 1 to 31.") },
	[F_BIRTH_MONTH] = { "birth_month", "(?:0?[1-9]|1[0-2])", 2, 1,
	    N_("Month"), N_("For example 3 for March."),
	    N_("Enter the month of your birth."),
	    N_("The month is a number from 1 to 12.") },
	[F_BIRTH_YEAR] = { "birth_year", "(?:19|20)[0-9]{2}", 4, 1,
	    N_("Year"), N_("For example 1990."),
	    N_("Enter the year of your birth."),
	    N_("The year is 4 digits.") },
	[F_SLOT] = { "slot", "[1-9][0-9]{0,17}", 18, 1, N_("Time"),
	    N_("Choose one of the times offered."),
	    N_("Choose a time."),
	    N_("This time is not one of those offered.") },
	[F_MSG_LANG] = { "lang", "[a-z]{2,3}", 3, 1, N_("Language of our messages"),
	    N_("The language of the e-mails and text messages we send you."),
	    N_("Choose the language of our messages."),
	    N_("This language is not one of those offered.") },
	[F_PASSWORD] = { "password", "[^\\x00-\\x1f\\x7f]{12,200}", 800, 1,
	    N_("Password"), N_("At least 12 characters."),
	    N_("Enter your password."),
	    N_("The password is too short or contains a character that is not allowed.") },
	[F_STAFF_EMAIL] = { "email",
	    "[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
	    "(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
	    254, 1, N_("E-mail address"), N_("The address of your staff account."),
	    N_("Enter the e-mail address of your staff account."),
	    N_("The e-mail address needs an @ and a domain.") },
	[F_RETURN] = { "return", "/[A-Za-z0-9/_-]{0,200}", 201, 0,
	    N_("Page"), N_("A page of this site."),
	    N_("Choose a page."),
	    N_("This is not a page of this site.") },
	/* Mediators, court orders, audit log (schema/012). */
	[F_TRIBUNAL] = { "tribunal", "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}' \\x{2019}.,()/-]*",
	    200, 1, N_("Court"), N_("For example Tribunal administratif de Lyon."),
	    N_("Enter the court."),
	    N_("The name of the court can contain only letters, digits, spaces and the signs . , ' ( ) / -.") },
	[F_CASE_NUMBER] = { "case_number", "[A-Za-z0-9][A-Za-z0-9 ./-]*", 40, 1,
	    N_("Case number"), N_("As written on the decision, for example 2301234."),
	    N_("Enter the case number."),
	    N_("The case number can contain only letters, digits, spaces, dots, slashes and hyphens.") },
	[F_DECISION_DATE] = { "decision_date",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("Date of the decision"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the date of the decision."),
	    N_("The date of the decision is not a valid date.") },
	[F_DEADLINE] = { "deadline",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("Deadline to convene"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the deadline to convene."),
	    N_("The deadline to convene is not a valid date.") },
	[F_PROCEDURE] = { "procedure", "[a-z0-9]+(?:-[a-z0-9]+)*", 64, 1,
	    N_("Procedure"), N_("Choose one of the procedures offered."),
	    N_("Choose a procedure."),
	    N_("This procedure is not one of those offered.") },
	[F_AUDIT_ACTION] = { "action", "[a-z_]+(?:\\.[a-z_]+)*", 64, 0,
	    N_("Action"), N_("Choose one of the actions offered."),
	    N_("Choose an action."),
	    N_("This action is not one of those offered.") },
	[F_PAGE] = { "page", "[1-9][0-9]{0,5}", 6, 0, N_("Page"), N_("A number."),
	    N_("Choose a page."),
	    N_("The page number is not valid.") },
	/* Calendars (schema/010). */
	[F_CAL_ACTION] = { "action", "[a-z]+(?:-[a-z]+)*", 20, 1,
	    N_("Action"), N_("Use one of the forms of the page."),
	    N_("Use one of the forms of the page."),
	    N_("This form is not one of the forms of the page.") },
	[F_CAL_COUNTER] = { "counter", "[1-9][0-9]{0,17}", 18, 0,
	    N_("Counter"), N_("Choose one of the counters offered."),
	    N_("Choose a counter."),
	    N_("This counter is not one of those offered.") },
	[F_CAL_PROCEDURE] = { "procedure", "[1-9][0-9]{0,17}", 18, 1,
	    N_("Procedure"), N_("Choose one of the procedures offered."),
	    N_("Choose a procedure."),
	    N_("This procedure is not one of those offered.") },
	[F_CAL_WEEKDAY] = { "weekday", "[1-7]", 1, 1,
	    N_("Day of the week"), N_("Choose a day of the week."),
	    N_("Choose a day of the week."),
	    N_("This day of the week is not one of those offered.") },
	[F_CAL_OPENS] = { "opens", "(?:[01][0-9]|2[0-3]):[0-5][0-9]", 5, 1,
	    N_("Opens at"), N_("A time written HH:MM, for example 09:00."),
	    N_("Enter the opening time."),
	    N_("The opening time is not a valid time.") },
	[F_CAL_CLOSES] = { "closes", "(?:[01][0-9]|2[0-3]):[0-5][0-9]", 5, 1,
	    N_("Closes at"), N_("A time written HH:MM, for example 12:30."),
	    N_("Enter the closing time."),
	    N_("The closing time is not a valid time.") },
	[F_CAL_SLOT_MINUTES] = { "slot_minutes", "[1-9][0-9]{0,2}", 3, 1,
	    N_("Length of a slot (minutes)"), N_("A number of minutes from 5 to 480."),
	    N_("Enter the length of a slot."),
	    N_("The length of a slot is a whole number of minutes.") },
	[F_CAL_CAPACITY] = { "capacity", "[1-9][0-9]{0,2}", 3, 1,
	    N_("People per slot"), N_("A number from 1 to 100."),
	    N_("Enter the number of people per slot."),
	    N_("The number of people per slot is a whole number.") },
	[F_CAL_VALID_FROM] = { "valid_from",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("First day"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the first day."),
	    N_("The first day is not a valid date.") },
	[F_CAL_VALID_UNTIL] = { "valid_until",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 0,
	    N_("Last day"), N_("A date written YYYY-MM-DD, or nothing for no end."),
	    N_("Enter the last day."),
	    N_("The last day is not a valid date.") },
	[F_CAL_RULE] = { "rule", "[1-9][0-9]{0,17}", 18, 1,
	    N_("Rule"), N_("Choose one of the rules listed."),
	    N_("Choose a rule."),
	    N_("This rule is not one of those listed.") },
	[F_CAL_END_DAY] = { "end_day",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("Last day of the rule"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the last day of the rule."),
	    N_("The last day of the rule is not a valid date.") },
	[F_CAL_COUNTER_NAME] = { "counter_name", "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}' \\x{2019}.,()/-]*",
	    100, 1, N_("Name of the counter"), N_("Letters, digits and spaces, for example Guichet 3."),
	    N_("Enter the name of the counter."),
	    N_("The name of the counter can contain only letters, digits, spaces and the signs . , ' ( ) / -.") },
	[F_CAL_REASON] = { "reason", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 200, 1,
	    N_("Reason"), N_("At most 200 characters, on one line."),
	    N_("Enter the reason."),
	    N_("The reason must fit on one line.") },
	[F_CAL_CONFIRM] = { "confirm", "yes", 3, 0,
	    N_("Confirmation"), N_("Tick the box to confirm."),
	    N_("Tick the box to confirm."),
	    N_("This confirmation is not valid.") },
	[F_CAL_FROM] = { "from",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("From"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the first day."),
	    N_("The first day is not a valid date.") },
	[F_CAL_TO] = { "to",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])", 10, 1,
	    N_("To"), N_("A date written YYYY-MM-DD."),
	    N_("Enter the last day."),
	    N_("The last day is not a valid date.") },
	[F_CAL_PUBLISH_AT] = { "publish_at",
	    "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]",
	    16, 0, N_("Publish at"),
	    N_("A date and time written YYYY-MM-DD HH:MM, or nothing to publish now."),
	    N_("Enter the date and time of publication."),
	    N_("The date and time of publication are not valid.") },
	[F_CAL_SHARE_MEDIATOR] = { "share_mediator", "(?:100|[1-9]?[0-9])", 3, 1,
	    N_("Mediators (%)"), N_("A percentage from 0 to 100."),
	    N_("Enter the share for mediators."),
	    N_("The share for mediators is a whole percentage.") },
	[F_CAL_SHARE_COUNTER] = { "share_counter", "(?:100|[1-9]?[0-9])", 3, 1,
	    N_("Counter or phone (%)"), N_("A percentage from 0 to 100."),
	    N_("Enter the share for the counter or phone."),
	    N_("The share for the counter or phone is a whole percentage.") },
	[F_CAL_SHARE_COURT] = { "share_court", "(?:100|[1-9]?[0-9])", 3, 1,
	    N_("Court orders (%)"), N_("A percentage from 0 to 100."),
	    N_("Enter the share for court orders."),
	    N_("The share for court orders is a whole percentage.") },
	[F_CAL_BATCH] = { "batch", "[1-9][0-9]{0,19}", 20, 1,
	    N_("Batch"), N_("Choose one of the batches listed."),
	    N_("Choose a batch."),
	    N_("This batch is not one of those listed.") },
	[F_DRAW_ENTRY] = { "entry", "[0-9a-f]{16}", 16, 1, N_("Entry number"),
	    N_("16 digits and letters a to f."),
	    N_("Enter your entry number."),
	    N_("This is not an entry number.") },
	[F_DOMAIN] = { "domain",
	    "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+",
	    253, 1, N_("E-mail domain"), N_("For example yopmail.com."),
	    N_("Enter the e-mail domain."),
	    N_("The e-mail domain needs at least one dot.") },
	[F_DRAW_OPENS] = { "opens_at", "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]", 16, 1,
	    N_("Registration opens"), N_("A date and time written YYYY-MM-DD HH:MM, local to the site."),
	    N_("Enter when registration opens."),
	    N_("The opening of registration is not a valid date and time.") },
	[F_DRAW_CLOSES] = { "closes_at", "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]", 16, 1,
	    N_("Registration closes"), N_("A date and time written YYYY-MM-DD HH:MM, local to the site."),
	    N_("Enter when registration closes."),
	    N_("The close of registration is not a valid date and time.") },
	[F_DRAW_AT] = { "draw_at", "20[0-9]{2}-(?:0[1-9]|1[0-2])-(?:0[1-9]|[12][0-9]|3[01])[ T](?:[01][0-9]|2[0-3]):[0-5][0-9]", 16, 1,
	    N_("Draw"), N_("A date and time written YYYY-MM-DD HH:MM, local to the site."),
	    N_("Enter the date and time of the draw."),
	    N_("The date and time of the draw are not valid.") },
	[F_DRAW_OFFER_HOURS] = { "offer_hours", "[1-9][0-9]{0,2}", 3, 1,
	    N_("Hours to accept an offer"), N_("A number of hours from 1 to 720."),
	    N_("Enter the hours to accept an offer."),
	    N_("The hours to accept an offer are a whole number.") },
	[F_DRAW_ID] = { "draw", "[1-9][0-9]{0,17}", 18, 1,
	    N_("Draw"), N_("Choose one of the draws listed."),
	    N_("Choose a draw."),
	    N_("This draw is not one of those listed.") },
	[F_CAL_SWITCH] = { "switch", "auto|open|draw", 4, 1,
	    N_("Allocation of the next publications"),
	    N_("Choose automatic, first come or draw."),
	    N_("Choose how the next publications are allocated."),
	    N_("This allocation is not one of those offered.") },
	[F_SLOT_REF] = { "slot", "[1-9][0-9]{0,17}\\.[0-9a-f]{16}", 35, 1,
	    N_("Time"), N_("Choose one of the times offered."),
	    N_("Choose a time."),
	    N_("This time is not one of those offered.") },
	[F_CAL_GEN_PROCEDURE] = { "gen_procedure", "[1-9][0-9]{0,17}", 18, 0,
	    N_("Procedure"), N_("Choose one of the procedures offered, or all of them."),
	    N_("Choose a procedure, or all of them."),
	    N_("This procedure is not one of those offered.") },
	/* Administration pages (issue 12). */
	[F_STAFF_NAME] = { "name", "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}' \\x{2019}.,()-]*",
	    100, 1, N_("Name"), N_("The person's first name and surname, for example Camille Martin."),
	    N_("Enter the person's name."),
	    N_("The name may hold letters, digits, spaces, apostrophes, dots, commas, brackets and hyphens, starting with a letter or a digit.") },
	[F_STAFF_ROLE] = { "role", "(?:agent|supervisor|mediator|administrator)", 13, 1,
	    N_("Role"), N_("Choose one of the roles offered."),
	    N_("Choose a role."),
	    N_("This role is not one of those offered.") },
	[F_ORGANISATION] = { "organisation", "[\\p{L}\\p{N}][\\p{L}\\p{M}\\p{N}' \\x{2019}.,()/&-]*",
	    200, 0, N_("Organisation"), N_("For a mediator only: the name of their organisation, for example France Services Créteil."),
	    N_("Enter the organisation."),
	    N_("The organisation's name may hold letters, digits, spaces and the signs ' . , ( ) / & -, starting with a letter or a digit.") },
	[F_PASSWORD2] = { "password2", "[^\\x00-\\x1f\\x7f]{12,200}", 800, 1,
	    N_("Password again"), N_("Type the same password again."),
	    N_("Type the password again."),
	    N_("The password typed again needs 12 characters or more, with no control characters.") },
	[F_PROC_NAME] = { "name", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 200, 1,
	    N_("Name"), N_("At most 200 characters, on one line."),
	    N_("Enter the procedure's name."),
	    N_("The name must fit on one line.") },
	[F_PROC_DESCRIPTION] = { "description", "[^\\x00-\\x1f\\x7f]*", 2000, 0,
	    N_("Description"), N_("At most 2,000 characters, on one line."),
	    N_("Enter a description."),
	    N_("The description must fit on one line.") },
	[F_PROC_DURATION] = { "duration_minutes", "[1-9][0-9]{0,2}", 3, 1,
	    N_("Length of an appointment (minutes)"), N_("A number of minutes from 1 to 480."),
	    N_("Enter the length of an appointment."),
	    N_("The length is a whole number of minutes.") },
	[F_PROC_DOCUMENT] = { "documents", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 200, 0,
	    N_("Documents to bring"), N_("One document a line, at most 200 characters each."),
	    N_("Enter the documents to bring."),
	    N_("Each document must fit on one line of at most 200 characters.") },
	[F_PROC_AGDREF] = { "requires_agdref", "yes", 3, 0,
	    N_("File number"), N_("Tick when applicants must give their AGDREF number."),
	    N_("Tick the box or leave it empty."),
	    N_("This box has only one value.") },
	[F_SITE_ADDRESS] = { "address", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 200, 1,
	    N_("Address"), N_("Number and street, on one line."),
	    N_("Enter the address."),
	    N_("The address must fit on one line.") },
	[F_SITE_POSTAL_CODE] = { "postal_code", "[0-9]{5}", 5, 1,
	    N_("Postal code"), N_("Five digits, for example 94000."),
	    N_("Enter the postal code."),
	    N_("A postal code is five digits.") },
	[F_SITE_CITY] = { "city", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 100, 1,
	    N_("City"), N_("For example Créteil."),
	    N_("Enter the city."),
	    N_("The city must fit on one line.") },
	[F_SITE_PHONE] = { "phone", "\\+?[0-9][0-9 .]{5,24}", 26, 0,
	    N_("Phone number"), N_("For example 01 49 56 60 00."),
	    N_("Enter the phone number."),
	    N_("A phone number is digits, with spaces or dots between them, and may start with +.") },
	[F_SITE_ROUTE] = { "alternative_route", "[^\\x00-\\x1f\\x7f]*\\S[^\\x00-\\x1f\\x7f]*", 1000, 1,
	    N_("Other ways to an appointment"), N_("How to get an appointment without the website: phone, desk, hours. On one line."),
	    N_("Enter the other ways to an appointment."),
	    N_("This text must fit on one line.") },
};

static pcre2_code		*compiled[FIELD_COUNT];
static unsigned char		 dated[FIELD_COUNT];	/* starts YYYY-MM-DD */
static pcre2_match_context	*mctx;
static pcre2_match_data		*mdata;

/* Compiles every pattern; returns 0, or -1 after logging the bad one. */
int
fields_init(void)
{
	PCRE2_UCHAR	 msg[256];
	PCRE2_SIZE	 off;
	int		 err;
	size_t		 i;

	if ((mctx = pcre2_match_context_create(NULL)) == NULL)
		return -1;
	pcre2_set_match_limit(mctx, 100000);
	pcre2_set_depth_limit(mctx, 1000);
	for (i = 0; i < FIELD_COUNT; i++) {
		compiled[i] = pcre2_compile((PCRE2_SPTR)fields[i].pattern,
		    PCRE2_ZERO_TERMINATED,
		    PCRE2_ANCHORED | PCRE2_ENDANCHORED | PCRE2_UTF | PCRE2_UCP |
		    PCRE2_DOLLAR_ENDONLY, &err, &off, NULL);
		if (compiled[i] == NULL) {
			pcre2_get_error_message(err, msg, sizeof(msg));
			log_msg("field %s: pattern error at %zu: %s",
			    fields[i].name, (size_t)off, msg);
			return -1;
		}
		pcre2_jit_compile(compiled[i], PCRE2_JIT_COMPLETE);
		dated[i] = strncmp(fields[i].pattern, "20[0-9]{2}-", 11) == 0 ||
		    strncmp(fields[i].pattern, "(?:19|20)[0-9]{2}-", 18) == 0;
	}
	if ((mdata = pcre2_match_data_create(1, NULL)) == NULL)
		return -1;
	return 0;
}

/* Releases the compiled patterns. */
void
fields_free(void)
{
	size_t	 i;

	for (i = 0; i < FIELD_COUNT; i++) {
		pcre2_code_free(compiled[i]);
		compiled[i] = NULL;
	}
	pcre2_match_data_free(mdata);
	pcre2_match_context_free(mctx);
	mdata = NULL;
	mctx = NULL;
}

/* Returns 1 when the YYYY-MM-DD at the start of v is a day of the
 * Gregorian calendar (the pattern has checked the digits and ranges). */
static int
date_exists(const char *v)
{
	static const int	 mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31,
				    30, 31, 30, 31 };
	int			 y, m, d;

	y = (v[0] - '0') * 1000 + (v[1] - '0') * 100 + (v[2] - '0') * 10 +
	    (v[3] - '0');
	m = (v[5] - '0') * 10 + (v[6] - '0');
	d = (v[8] - '0') * 10 + (v[9] - '0');
	if (m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return 0;
	return m != 2 || d < 29 || (y % 4 == 0 && (y % 100 != 0 || y % 400 == 0));
}

/* Returns 0 when v[0..len) is a valid value of field id, -1 otherwise
 * (too long, not clean UTF-8, no match within the limits, or a date such
 * as 2026-02-31 that the calendar does not have). */
int
field_check(enum field_id id, const char *v, size_t len)
{
	int	 rc;

	if (id >= FIELD_COUNT || v == NULL || compiled[id] == NULL)
		return -1;
	if (len == 0 || len > fields[id].maxlen)
		return -1;
	if (!text_clean((const unsigned char *)v, len, 0))
		return -1;
	rc = pcre2_match(compiled[id], (PCRE2_SPTR)v, len, 0, 0, mdata, mctx);
	if (rc < 0)
		return -1;
	return dated[id] && !date_exists(v) ? -1 : 0;
}
