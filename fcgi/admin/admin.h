/* creneau-admin's statement table (fcgi/admin/admin.c) and the way its
 * commands run a statement. */
#ifndef CRENEAU_ADMIN_H
#define CRENEAU_ADMIN_H

#include "db.h"

enum { A_SWEEP, A_RATE_SWEEP, A_ACCESS_SWEEP, A_AGDREF_IMPORT, A_STAFF_ADD,
    A_DRAWS_DUE, A_DRAW_RUN, A_DRAW_SWEEP, A_COUNT };

PGresult	*admin_exec(int, const struct db_arg *, const char *);

#endif
