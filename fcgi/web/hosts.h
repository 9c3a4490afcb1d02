/* The application hosts (issue 15; HACKING.md, "Past one machine"). Each
 * host (nginx + creneau-fcgi) says it is alive in the table creneau_hosts
 * (schema/022_global_admission.sql) at most once a second, one worker of
 * the host doing it for all (a time shared by the workers in the file
 * <socket>.hosts1); the answer, the number of live hosts, is kept in that
 * file for the waiting room, which lets in admission_per_minute / live
 * hosts a minute on each host, so one global rate whatever their number.
 * The same beats tell the standby's staleness (fcgi/common/db.c). */
#ifndef CRENEAU_HOSTS_H
#define CRENEAU_HOSTS_H

struct arena;
struct conf;
struct req;

#define HOSTS_BEAT_MS		1000	/* a host beats at most this often */
#define HOSTS_LIVE_SECONDS	10	/* then counts as alive this long */

int	hosts_live(struct req *);
void	hosts_tick(const struct conf *, struct arena *);
const char *hosts_name(const struct conf *);

#endif
