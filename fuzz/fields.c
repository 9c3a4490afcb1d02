/* Fuzzes the field validators (fcgi/common/fields.c): the input is checked
 * against every field of the table. Properties: no crash, no leak, the
 * match ends within PCRE2's limits; what a field accepts is clean UTF-8
 * no longer than its maxlen, a day the calendar has for the date fields;
 * and the JIT-compiled matcher the workers use agrees with PCRE2's
 * interpreter on the same pattern (a JIT bug would let a value through). */
#include "config.h"

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>
#include <time.h>

#include "fields.h"
#include "fuzz.h"
#include "request.h"

static pcre2_code		*plain[FIELD_COUNT];
static pcre2_match_context	*mctx;
static pcre2_match_data		*md;

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
	int		 err;
	PCRE2_SIZE	 off;
	size_t		 i;

	if (fields_init() != 0)
		abort();
	mctx = pcre2_match_context_create(NULL);
	pcre2_set_match_limit(mctx, 100000);
	pcre2_set_depth_limit(mctx, 1000);
	md = pcre2_match_data_create(1, NULL);
	for (i = 0; i < FIELD_COUNT; i++)
		if ((plain[i] = pcre2_compile((PCRE2_SPTR)fields[i].pattern,
		    PCRE2_ZERO_TERMINATED, PCRE2_ANCHORED | PCRE2_ENDANCHORED |
		    PCRE2_UTF | PCRE2_UCP | PCRE2_DOLLAR_ENDONLY, &err, &off,
		    NULL)) == NULL)
			abort();
	return 0;
}

/* Returns 1 when the YYYY-MM-DD at the start of v is a real day, found
 * another way than fields.c: through timegm's normalisation. */
static int
real_day(const char *v)
{
	struct tm	 tm;
	time_t		 t;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = atoi(v) - 1900;
	tm.tm_mon = atoi(v + 5) - 1;
	tm.tm_mday = atoi(v + 8);
	tm.tm_hour = 12;
	t = timegm(&tm);
	gmtime_r(&t, &tm);
	return tm.tm_year == atoi(v) - 1900 && tm.tm_mon == atoi(v + 5) - 1 &&
	    tm.tm_mday == atoi(v + 8);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	*v;
	size_t	 i;
	int	 ok, rc;

	if (size > 1024)
		return 0;
	v = malloc(size + 1);
	memcpy(v, data, size);
	v[size] = '\0';
	for (i = 0; i < FIELD_COUNT; i++) {
		ok = field_check((enum field_id)i, v, size) == 0;
		rc = pcre2_match(plain[i], (PCRE2_SPTR)v, size, 0, PCRE2_NO_JIT,
		    md, mctx);
		if (rc == PCRE2_ERROR_MATCHLIMIT || rc == PCRE2_ERROR_DEPTHLIMIT)
			PROPERTY(!ok, "%s: accepted what the interpreter could not decide",
			    fields[i].name);
		else if (size > 0 && size <= fields[i].maxlen &&
		    text_clean((const unsigned char *)v, size, 0) && rc >= 0 &&
		    (strncmp(fields[i].pattern, "20[0-9]{2}-", 11) != 0 &&
		    strncmp(fields[i].pattern, "(?:19|20)[0-9]{2}-", 18) != 0))
			PROPERTY(ok, "%s: the interpreter matches, field_check refuses",
			    fields[i].name);
		if (!ok)
			continue;
		PROPERTY(rc >= 0, "%s: accepted, the interpreter does not match (%d)",
		    fields[i].name, rc);
		PROPERTY(size > 0 && size <= fields[i].maxlen, "%s: %zu bytes",
		    fields[i].name, size);
		PROPERTY(memchr(v, '\0', size) == NULL, "%s: a NUL accepted",
		    fields[i].name);
		PROPERTY(text_clean((const unsigned char *)v, size, 0),
		    "%s: not clean text", fields[i].name);
		if (strncmp(fields[i].pattern, "20[0-9]{2}-", 11) == 0 ||
		    strncmp(fields[i].pattern, "(?:19|20)[0-9]{2}-", 18) == 0)
			PROPERTY(size >= 10 && real_day(v), "%s: '%s' is no day",
			    fields[i].name, v);
	}
	free(v);
	return 0;
}
