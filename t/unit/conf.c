/* Unit tests of the configuration reader: values, defaults, and a clear
 * refusal of anything wrong. */
#include "config.h"

#include "conf.h"
#include "tap.h"
#include "tmpconf.h"

int
main(void)
{
	struct conf	 c;

	is_int(load_text("# comment\n\ndatabase = host=/tmp dbname=x\n"
	    "workers=3\n  socket =  /tmp/s.sock  \nlanguages = fr en ar\n"
	    "socket_mode = 0600\n", &c), 0, "a good file loads");
	is_str(c.database, "host=/tmp dbname=x", "value with spaces and '='");
	is_int(c.workers, 3, "integer");
	is_str(c.socket, "/tmp/s.sock", "blanks trimmed");
	is_int(c.nlanguages, 3, "three languages");
	ok(conf_has_language(&c, "ar") && !conf_has_language(&c, "de"), "language lookup");
	is_int(c.socket_mode, 0600, "octal mode");
	is_int((long long)c.max_body, 65536, "default kept");
	is_int(c.listen_backlog, 1024, "the socket's listen queue holds 1024 by default");
	is_str(c.default_language, "fr", "default language");
	conf_clear(&c);

	/* Past one machine (issue 15): script/lib.sh's cr_host_start appends
	 * a host's own lines to the shared file, so the last line wins. */
	is_int(load_text("database_standby = host=/s dbname=x\nsocket = /tmp/a\n"
	    "socket = /tmp/b\nstandby_max_lag_seconds = 2\nhost_name = a\n", &c), 0,
	    "standby keys load");
	is_str(c.database_standby, "host=/s dbname=x", "database_standby");
	is_int(c.standby_max_lag_seconds, 2, "standby_max_lag_seconds");
	is_str(c.host_name, "a", "host_name");
	is_str(c.socket, "/tmp/b", "a key given twice: the last line wins");
	conf_clear(&c);
	is_int(load_text("database_standby =\n", &c), 0,
	    "an empty database_standby loads");
	ok(*c.database_standby == '\0' && c.standby_max_lag_seconds == 5 &&
	    *c.host_name == '\0', "no standby, a 5 s bound and no host name by default");
	conf_clear(&c);
	refuses("standby_max_lag_seconds = 0\n", "a standby bound of 0 s is refused");

	is_int(load_text("listen_backlog = 4096\n", &c), 0, "listen_backlog loads");
	is_int(c.listen_backlog, 4096, "listen_backlog");
	conf_clear(&c);
	refuses("listen_backlog = 8\n", "a listen queue below 16 is refused");

	refuses("workers = many\n", "a bad number is refused");
	refuses("workers = 0\n", "an out-of-range number is refused");
	refuses("colour = blue\n", "an unknown key is refused");
	refuses("just text\n", "a line without '=' is refused");
	refuses("languages = en\ndefault_language = fr\n",
	    "a default language not offered is refused");
	is_int(load_text("hold_minutes = 15\n", &c), 0,
	    "a hold within the default total loads");
	is_int(c.hold_extend_minutes, 5, "an extension adds 5 minutes by default");
	is_int(c.hold_max_minutes, 20, "a hold runs at most 20 minutes by default");
	conf_clear(&c);
	refuses("hold_minutes = 30\nhold_max_minutes = 20\n",
	    "a hold longer than its total is refused");
#ifdef CRENEAU_TEST_HOOKS
	is_int(load_text("test_reuse_form_tokens = 1\n", &c), 0,
	    "a test build takes test_reuse_form_tokens");
	is_int(c.test_reuse_form_tokens, 1, "and switches it on");
	conf_clear(&c);
#else
	refuses("test_reuse_form_tokens = 1\n", "a release build refuses test_reuse_form_tokens");
#endif
	is_int(conf_load("/nonexistent/creneau.conf", &c), -1, "a missing file is an error");
	conf_clear(&c);
	return done_testing();
}
