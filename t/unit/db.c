/* Unit tests of the database layer's pure parts: turning :name
 * parameters into $n (strings, identifiers, comments, dollar quotes and
 * casts left alone), checking declared columns against a description,
 * and reading cells by name. Results are built with libpq's own
 * PQmakeEmptyPGresult, so no server is needed. */
#include "config.h"

#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "tap.h"

/* Compiles sql; returns the SQL and puts the names, comma-joined, in
 * names_out. */
static const char *
compile(const char *sql, char *names_out, size_t sz, int *n)
{
	static char	 out[1024];
	const char	*names[DB_MAX_PARAMS];
	size_t		 len = 0;
	int		 i;

	*n = db_compile(sql, out, sizeof(out), names, DB_MAX_PARAMS);
	names_out[0] = '\0';
	for (i = 0; i < *n; i++) {
		len += (size_t)snprintf(names_out + len, sz - len, "%s%s",
		    i > 0 ? "," : "", names[i]);
		free((char *)names[i]);
	}
	return out;
}

/* A result with the given column names and one row of values. */
static PGresult *
result(int n, const char *const *cols, const char *const *row)
{
	PGresAttDesc	 attrs[8];
	PGresult	*res = PQmakeEmptyPGresult(NULL, PGRES_TUPLES_OK);
	int		 i;

	memset(attrs, 0, sizeof(attrs));
	for (i = 0; i < n; i++) {
		attrs[i].name = (char *)cols[i];
		attrs[i].format = 0;
		attrs[i].typid = 25;	/* text */
		attrs[i].typlen = -1;
		attrs[i].atttypmod = -1;
	}
	PQsetResultAttrs(res, n, attrs);
	for (i = 0; row != NULL && i < n; i++)
		PQsetvalue(res, 0, i, row[i] != NULL ? (char *)row[i] : NULL,
		    row[i] != NULL ? (int)strlen(row[i]) : -1);
	return res;
}

int
main(void)
{
	char		 names[256], why[256];
	const char	*sql, *many;
	int		 n;
	PGresult	*res;

	sql = compile("SELECT a FROM t WHERE s = :slug AND l = :lang", names,
	    sizeof(names), &n);
	is_str(sql, "SELECT a FROM t WHERE s = $1 AND l = $2",
	    "parameters are numbered in order of first use");
	is_str(names, "slug,lang", "and named");
	sql = compile("SELECT :x, :y, :x", names, sizeof(names), &n);
	is_str(sql, "SELECT $1, $2, $1", "a name used twice is one parameter");
	is_int(n, 2, "two parameters");
	sql = compile("SELECT :d::date, x::text, to_char(t, 'HH24:MI'), \"a:b\""
	    " -- :comment\n /* :block */ $$ :dollar $$ $f$ :tag $f$ FROM :t",
	    names, sizeof(names), &n);
	is_str(sql, "SELECT $1::date, x::text, to_char(t, 'HH24:MI'), \"a:b\""
	    " -- :comment\n /* :block */ $$ :dollar $$ $f$ :tag $f$ FROM $2",
	    "casts, strings, identifiers, comments and dollar quotes are left alone");
	is_str(names, "d,t", "only real parameters are named");
	sql = compile("SELECT 'it''s :not', :yes", names, sizeof(names), &n);
	is_str(sql, "SELECT 'it''s :not', $1", "a doubled quote stays inside its string");
	sql = compile("SELECT 1", names, sizeof(names), &n);
	is_int(n, 0, "no parameter");
	many = ":a0 :a1 :a2 :a3 :a4 :a5 :a6 :a7 :a8 :a9 :b0 :b1 :b2 :b3 :b4"
	    " :b5 :b6 :b7 :b8 :b9 :c0 :c1 :c2 :c3 :c4";
	compile(many, names, sizeof(names), &n);
	is_int(n, -1, "more parameters than the layer binds is refused");

	res = result(3, (const char *[]){ "id", "name", "next_slot" },
	    (const char *[]){ "7", "Titre de séjour", NULL });
	is_int(db_check_columns("s", res, "id name next_slot", why, sizeof(why)),
	    0, "declared columns that match pass");
	is_int(db_check_columns("s", res, "id  name   next_slot ", why,
	    sizeof(why)), 0, "extra spaces in a declaration are fine");
	is_int(db_check_columns("s", res, "id next_slot name", why, sizeof(why)),
	    -1, "columns in another order fail");
	is_str(why, "statement s: column 2 is \"name\", declared \"next_slot\"",
	    "and the message says where");
	is_int(db_check_columns("s", res, "id name", why, sizeof(why)), -1,
	    "an undeclared column fails");
	is_int(db_check_columns("s", res, "id name next_slot lang", why,
	    sizeof(why)), -1, "a declared column the result lacks fails");
	is_int(db_check_columns("s", res, NULL, why, sizeof(why)), -1,
	    "a result with columns and no declaration fails");
	is_str(db_get(res, 0, "name"), "Titre de séjour", "a cell read by name");
	is_str(db_get(res, 0, "next_slot"), "", "NULL reads as the empty string");
	ok(db_isnull(res, 0, "next_slot"), "and is NULL");
	ok(!db_isnull(res, 0, "id"), "a value is not NULL");
	is_str(db_get(res, 0, "nope"), "", "an unknown column reads as empty (and is logged)");
	PQclear(res);
	res = result(0, NULL, NULL);
	is_int(db_check_columns("s", res, NULL, why, sizeof(why)), 0,
	    "a command with no result and no declaration passes");
	PQclear(res);
	return done_testing();
}
