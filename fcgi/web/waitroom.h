/* The waiting room of open releases (issue 4; HACKING.md, "Waiting
 * room"). When the slots of an open procedure are published at a set
 * time, the procedure page and the booking form of those slots answer,
 * from waiting_room_minutes before the opening until the queue has
 * drained, with a self-refreshing waiting page and a signed cookie; at the
 * opening, those who arrived before it are let in in a shuffled order,
 * later arrivals behind them, admission_per_minute people a minute over
 * all the hosts (each lets in its share, the rate divided by the live
 * hosts: hosts.c).
 * Waiting costs a cookie check: the releases come from a per-worker cache
 * refreshed every few seconds, the counts from a small table shared by the
 * workers of the host (a file mapped next to the FastCGI socket). */
#ifndef CRENEAU_WAITROOM_H
#define CRENEAU_WAITROOM_H

#include <stddef.h>

#include <libpq-fe.h>

struct arena;
struct conf;
struct req;

/* What a page shows to someone not (yet) admitted to a release: the
 * places published before it, and a note. hide_from 0: nothing hidden. */
struct wr_view {
	long long	 hide_from;	/* epoch s: hide slots published since */
	int		 opened;	/* the release has opened */
	const char	*opens;		/* "YYYY-MM-DD HH:MM", local to the site */
	const char	*room;		/* the waiting room's address */
	int		 guarded;	/* a queue guards the procedure: what
					 * the page shows depends on the
					 * reader's waiting-room cookie */
};

/* Each returns 0 when the request goes on to its page (no release to
 * guard, the person is admitted, or, for the procedure page, v says what
 * to hide), 1 when the waiting page (or, for a POST, a 303 to it) has
 * been answered, -1 on failure. waitroom_gate_slot gates only the slots
 * of a release (the booking form, its POST, a reschedule into it). */
int	waitroom_gate_procedure(struct req *, const char *site_slug,
	    const char *procedure_code, struct wr_view *v);
int	waitroom_gate_slot(struct req *, const char *slot_id);
void	waitroom_peek(struct req *, const char *site_slug,
	    const char *procedure_code, struct wr_view *v);
void	*waitroom_shared_map(const struct conf *, const char *name, size_t);

/* The free days, and the free times of a day, of a procedure as view v
 * may see them (S_SLOT_DAYS/S_SLOT_TIMES, or their _BEFORE forms when
 * places are hidden); NULL when the database failed. */
PGresult	*waitroom_slot_days(struct req *, const char *site_id,
		    const char *procedure_id, const struct wr_view *v);
PGresult	*waitroom_slot_times(struct req *, const char *site_id,
		    const char *procedure_id, const char *day,
		    const struct wr_view *v);

/* The signed cookie of one person for one release (waitroom_cookie.c). */
struct wait_cookie {
	long long	 site_id, proc_id, publish;	/* the release */
	long long	 arrived_ms, admit_ms, expires;
	char		 id[33];			/* 32 hex digits */
};

char	*waitroom_cookie_format(struct arena *, const struct wait_cookie *);
int	 waitroom_cookie_parse(struct arena *, const char *,
	    struct wait_cookie *);

#endif
