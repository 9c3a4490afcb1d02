/* The database connection of a worker and db_exec, the one wrapper every
 * statement goes through: it prepares the statement table on (re)connect,
 * checks result status, logs SQLSTATE, reconnects after a lost connection
 * and tells the caller when the database is unavailable (answer 503). */
#ifndef CRENEAU_DB_H
#define CRENEAU_DB_H

#include <libpq-fe.h>

#include "statements.h"

struct conf;
struct req;

void		 db_init(const struct conf *);
PGresult	*db_exec(struct req *, enum stmt, const char *const *);
int		 db_fail(struct req *);
void		 db_close(void);
int		 db_session_settings(PGconn *, const struct conf *);
const char	*db_value(const PGresult *, int, int);
long long	 db_clock_ms(void);

#endif
