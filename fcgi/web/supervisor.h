/* The prefork supervisor: opens the FastCGI socket, forks the workers,
 * respawns a dead one, stops gracefully on SIGTERM and reloads the
 * configuration and templates on SIGHUP. */
#ifndef CRENEAU_SUPERVISOR_H
#define CRENEAU_SUPERVISOR_H

int	supervisor_run(const char *conf_path);

#endif
