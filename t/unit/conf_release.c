/* The configuration reader as a release build compiles it (Makefile.am
 * builds this test from fcgi/common/conf.c without CRENEAU_TEST_HOOKS,
 * whatever configure was given): the test-only key that makes form tokens
 * reusable is refused, so creneau-fcgi does not start with it. */
#include "config.h"

#include "conf.h"
#include "tap.h"
#include "tmpconf.h"

#ifdef CRENEAU_TEST_HOOKS
#error "t/unit/conf_release.c must be compiled as a release build"
#endif

int
main(void)
{
	struct conf	 c;

	refuses("workers = 2\ntest_reuse_form_tokens = 1\n",
	    "a release build refuses test_reuse_form_tokens = 1");

	is_int(load_text("workers = 2\ntest_reuse_form_tokens = 0\n", &c), 0,
	    "test_reuse_form_tokens = 0 is harmless");
	is_int(c.test_reuse_form_tokens, 0, "and stays off");
	conf_clear(&c);

	is_int(load_text("workers = 2\n", &c), 0, "off by default");
	is_int(c.test_reuse_form_tokens, 0, "the default is 0");
	conf_clear(&c);
	return done_testing();
}
