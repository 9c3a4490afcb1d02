/* The named prepared statements (see statements.h). Each is one round
 * trip; results are read by column number in the handler that owns them. */
#include "config.h"

#include "statements.h"

const struct statement statements[STMT_COUNT] = {
	[S_HEALTH] = { "health", 0, 1, "SELECT 1" },

	/* Home page: every site, grouped by department; columns: slug, name,
	 * kind, city, department_code, department_name. */
	[S_SITES] = { "sites", 0, 1,
	    "SELECT slug, name, kind, city, department_code, department_name"
	    "  FROM sites"
	    " ORDER BY department_code, kind, name" },

	/* Site page header; $1 = slug; columns: id, name, kind, address,
	 * postal_code, city, phone, time_zone, alternative_route. */
	[S_SITE] = { "site", 1, 1,
	    "SELECT id, name, kind, address, postal_code, city,"
	    "       coalesce(phone, ''), time_zone, alternative_route"
	    "  FROM sites WHERE slug = $1" },

	/* Procedures offered at a site with the next published free slot in
	 * the site's time zone; $1 = site id; columns: code, name,
	 * description, duration_minutes, requires_agdref, documents (one per
	 * line), next slot (local 'YYYY-MM-DD HH24:MI' or empty). */
	[S_SITE_PROCEDURES] = { "site_procedures", 1, 1,
	    "SELECT p.code, p.name, p.description, p.duration_minutes,"
	    "       p.requires_agdref, array_to_string(p.documents, E'\\n'),"
	    "       coalesce(to_char(n.starts_at AT TIME ZONE s.time_zone,"
	    "                        'YYYY-MM-DD HH24:MI'), '')"
	    "  FROM site_procedures sp"
	    "  JOIN sites s ON s.id = sp.site_id"
	    "  JOIN procedures p ON p.id = sp.procedure_id"
	    "  LEFT JOIN LATERAL ("
	    "       SELECT sl.starts_at FROM slots sl"
	    "        WHERE sl.site_id = sp.site_id"
	    "          AND sl.procedure_id = sp.procedure_id"
	    "          AND sl.starts_at > now()"
	    "          AND sl.published_at <= now()"
	    "          AND sl.booked < sl.capacity"
	    "        ORDER BY sl.starts_at LIMIT 1) n ON true"
	    " WHERE sp.site_id = $1"
	    " ORDER BY p.name" },
};
