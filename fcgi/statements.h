/* The statement table: every SQL statement the workers run, named and
 * prepared once per connection. SQL lives here and in schema/; nothing
 * builds SQL from strings. */
#ifndef CRENEAU_STATEMENTS_H
#define CRENEAU_STATEMENTS_H

enum stmt {
	S_HEALTH,
	S_SITES,
	S_SITE,
	S_SITE_PROCEDURES,
	STMT_COUNT
};

struct statement {
	const char	*name;
	int		 nparams;
	int		 readonly;	/* safe to retry after a lost connection */
	const char	*sql;
};

extern const struct statement statements[STMT_COUNT];

#endif
