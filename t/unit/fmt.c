/* Unit tests of the wording of dates and durations (English msgids, as
 * no catalogue is loaded here). */
#include "config.h"

#include "arena.h"
#include "fmt.h"
#include "tap.h"

int
main(void)
{
	struct arena	*a = arena_new(4096);

	is_int(fmt_weekday(2026, 11, 23), 0, "23 Nov 2026 is a Monday");
	is_int(fmt_weekday(2024, 2, 29), 3, "29 Feb 2024 is a Thursday");
	is_int(fmt_weekday(2000, 1, 1), 5, "1 Jan 2000 is a Saturday");
	is_str(fmt_date(a, "2026-11-24"), "Tuesday 24 November 2026", "a date");
	is_str(fmt_datetime(a, "2026-11-24 09:05"),
	    "Tuesday 24 November 2026 at 09:05", "a date and time");
	is_str(fmt_date(a, "2026-13-01"), NULL, "an impossible month");
	is_str(fmt_datetime(a, "2026-11-24"), NULL, "no time");
	is_str(fmt_duration(a, 1), "1 minute", "singular");
	is_str(fmt_duration(a, 20), "20 minutes", "plural");
	is_str(fmt_duration(a, 60), "1 hour", "an hour");
	is_str(fmt_duration(a, 90), "1 h 30 min", "hours and minutes");
	is_str(fmt_wait(a, 1), "1 second", "a wait of one second");
	is_str(fmt_wait(a, 45), "45 seconds", "a wait in seconds");
	is_str(fmt_wait(a, 61), "2 minutes", "a wait in minutes, rounded up");
	is_str(fmt_wait(a, 3600), "1 hour", "a wait of an hour");
	is_str(fmt_site_kind("sous-prefecture"), "Sub-prefecture", "site kind");
	arena_free(a);
	return done_testing();
}
