/* The supervisor (see supervisor.h). Signals are blocked except inside
 * sigsuspend(), so the loop sees each of them exactly once. */
#include "config.h"

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <fcgiapp.h>
#ifdef CRENEAU_SANITIZERS
#include <sanitizer/lsan_interface.h>
#endif

#include "canon.h"
#include "conf.h"
#include "fields.h"
#include "i18n.h"
#include "log.h"
#include "secret.h"
#include "supervisor.h"
#include "template.h"
#include "worker.h"

#define MAX_WORKERS	256

struct slot {
	pid_t	 pid;
	time_t	 started;
};

static volatile sig_atomic_t	 got_term, got_hup, got_chld;
static struct slot		 slots[MAX_WORKERS];
static struct conf		 conf;
static int			 listen_fd = -1;
/* The socket opened at start (a reload cannot move it). File scope, not
 * supervisor_run's local: a worker forked from the loop leaves with it
 * still referenced, so valgrind and LeakSanitizer do not take the copy
 * it inherited for a block it lost. */
static char			*old_socket;

/* Records which signal arrived; the main loop acts on it. */
static void
on_signal(int sig)
{
	if (sig == SIGTERM || sig == SIGINT)
		got_term = 1;
	else if (sig == SIGHUP)
		got_hup = 1;
	else if (sig == SIGCHLD)
		got_chld = 1;
}

/* Loads the configuration, templates, validators and catalogues into the
 * process (inherited by the workers); returns 0 or -1, leaving the
 * current set in place on failure. */
static int
load(const char *path)
{
	struct conf	 next;

	if (conf_load(path, &next) == -1) {
		conf_clear(&next);
		return -1;
	}
	tpl_free_all();
	if (tpl_init(next.templates) == -1) {
		conf_clear(&next);
		if (conf.templates != NULL)
			tpl_init(conf.templates);
		return -1;
	}
	if (secret_load(next.secret_file) == -1) {
		conf_clear(&next);
		return -1;
	}
	if (conf.socket != NULL)
		conf_clear(&conf);
	conf = next;
	log_open_access(conf.access_log);
	return i18n_init(&conf);
}

/* Forks one worker into slot i; returns 0 or -1. */
static int
spawn(int i)
{
	sigset_t	 none;
	pid_t		 pid;
	int		 rc;

	if ((pid = fork()) == -1) {
		log_msg("fork: %s", strerror(errno));
		return -1;
	}
	if (pid == 0) {
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		rc = worker_run(&conf, listen_fd);
#ifdef CRENEAU_SANITIZERS
		/* A worker leaves with _exit (the supervisor's atexit handlers
		 * and stdio buffers are not its own), which skips
		 * LeakSanitizer's check at exit: run it here. */
		__lsan_do_leak_check();
#endif
		_exit(rc);
	}
	slots[i].pid = pid;
	slots[i].started = time(NULL);
	return 0;
}

/* Sends sig to every worker. */
static void
signal_all(int sig)
{
	int	 i;

	for (i = 0; i < MAX_WORKERS; i++)
		if (slots[i].pid > 0)
			kill(slots[i].pid, sig);
}

/* Reaps dead workers; returns how many were reaped. A worker that dies
 * within a second of starting is logged as a crash loop. */
static int
reap(void)
{
	pid_t	 pid;
	int	 status, i, n = 0;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		for (i = 0; i < MAX_WORKERS; i++)
			if (slots[i].pid == pid)
				break;
		if (i == MAX_WORKERS)
			continue;
		if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) != 0))
			log_msg("worker %ld ended (%s %d)%s", (long)pid,
			    WIFSIGNALED(status) ? "signal" : "status",
			    WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
			    time(NULL) - slots[i].started < 1 ? ", restarting after a pause" : "");
		if (time(NULL) - slots[i].started < 1)
			sleep(1);
		slots[i].pid = 0;
		n++;
	}
	return n;
}

/* Starts workers in free slots until conf.workers are running. */
static void
fill(void)
{
	int	 i, running = 0;

	for (i = 0; i < MAX_WORKERS; i++)
		if (slots[i].pid > 0)
			running++;
	for (i = 0; i < MAX_WORKERS && running < conf.workers; i++)
		if (slots[i].pid == 0 && spawn(i) == 0)
			running++;
}

/* Waits up to secs seconds for every worker to end, then kills the rest. */
static void
drain(int secs)
{
	int	 i, left;
	time_t	 deadline = time(NULL) + secs;

	do {
		reap();
		for (left = 0, i = 0; i < MAX_WORKERS; i++)
			if (slots[i].pid > 0)
				left++;
		if (left == 0)
			return;
		usleep(50000);
	} while (time(NULL) < deadline);
	log_msg("%d workers still running after %d s; killing them", left, secs);
	signal_all(SIGKILL);
	while (waitpid(-1, NULL, 0) > 0)
		;
	memset(slots, 0, sizeof(slots));
}

/* Warns when the kernel caps the listen queue below listen_backlog:
 * listen() takes min(backlog, net.core.somaxconn) without a word, and a
 * full queue turns the crowd's requests into nginx's 502 at once. */
static void
check_somaxconn(void)
{
	FILE	*f;
	int	 max = 0;

	if ((f = fopen("/proc/sys/net/core/somaxconn", "r")) == NULL)
		return;
	if (fscanf(f, "%d", &max) == 1 && max > 0 && max < conf.listen_backlog)
		log_msg("listen_backlog %d is capped at net.core.somaxconn %d: "
		    "raise the sysctl (creneau.conf(5))", conf.listen_backlog, max);
	fclose(f);
}

/* Opens the FastCGI socket with the configured mode and listen queue;
 * returns the fd or -1. */
static int
open_socket(void)
{
	int	 fd;

	if (FCGX_Init() != 0)
		return -1;
	unlink(conf.socket);
	if ((fd = FCGX_OpenSocket(conf.socket, conf.listen_backlog)) < 0) {
		log_msg("socket %s: cannot listen", conf.socket);
		return -1;
	}
	check_somaxconn();
	if (chmod(conf.socket, (mode_t)conf.socket_mode) == -1)
		log_msg("chmod %s: %s", conf.socket, strerror(errno));
	return fd;
}

/* Writes our pid to the pid file; 0 or -1. */
static int
write_pid(void)
{
	FILE	*f;
	char	 tmp[PATH_MAX];

	/* Written aside and renamed: whoever reads the file finds the
	 * number, never an empty file. */
	if (snprintf(tmp, sizeof(tmp), "%s.tmp", conf.pid_file) >= (int)sizeof(tmp) ||
	    (f = fopen(tmp, "w")) == NULL) {
		log_msg("pid file %s: %s", conf.pid_file, strerror(errno));
		return -1;
	}
	fprintf(f, "%ld\n", (long)getpid());
	if (fclose(f) != 0 || rename(tmp, conf.pid_file) == -1) {
		log_msg("pid file %s: %s", conf.pid_file, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* Runs the supervisor until SIGTERM; returns the exit status. */
int
supervisor_run(const char *path)
{
	struct sigaction	 sa;
	sigset_t		 block, old;

	/* ICU and libphonenumber opened once, shared by the workers. */
	if (load(path) == -1 || fields_init() == -1 || canon_init() == -1)
		return 1;
	if ((listen_fd = open_socket()) < 0 || write_pid() == -1)
		return 1;
	if ((old_socket = strdup(conf.socket)) == NULL)
		return 1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_signal;
	sigemptyset(&block);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGHUP);
	sigaddset(&block, SIGCHLD);
	sigprocmask(SIG_BLOCK, &block, &old);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sigaction(SIGCHLD, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	log_msg("creneau-fcgi: %d workers on %s", conf.workers, conf.socket);
	if (conf.test_reuse_form_tokens)
		log_msg("TEST MODE: test_reuse_form_tokens = 1, form tokens are "
		    "reusable (a test build; never in production)");
	fill();
	while (!got_term) {
		sigsuspend(&old);
		if (got_chld) {
			got_chld = 0;
			reap();
		}
		if (got_hup && !got_term) {
			got_hup = 0;
			if (load(path) == -1)
				log_msg("reload failed; keeping the running configuration");
			else {
				if (strcmp(old_socket, conf.socket) != 0)
					log_msg("socket change needs a restart; still on %s", old_socket);
				/* listen() again on a listening socket
				 * resizes its queue (Linux). */
				else if (listen(listen_fd, conf.listen_backlog) == -1)
					log_msg("listen_backlog %d: %s", conf.listen_backlog,
					    strerror(errno));
				else
					check_somaxconn();
				log_msg("reloaded; replacing workers");
				signal_all(SIGTERM);
				drain(30);
			}
		}
		if (!got_term)
			fill();
	}
	log_msg("stopping");
	signal_all(SIGTERM);
	drain(10);
	unlink(old_socket);
	unlink(conf.pid_file);
	free(old_socket);
	old_socket = NULL;
	return 0;
}
