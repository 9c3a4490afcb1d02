/* A worker process: the accept loop and the handling of one request, from
 * the FastCGI parameters to the access log line. */
#ifndef CRENEAU_WORKER_H
#define CRENEAU_WORKER_H

struct conf;

int	worker_run(const struct conf *, int listen_fd);

#endif
