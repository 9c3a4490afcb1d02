/* creneau-notify: delivery of the outbox (issue 6). The parts share the
 * variables of one message (struct nvars: name/value pairs from the
 * outbox row, plus links and dates the daemon computes) and the rendered
 * message (struct nmsg). Everything of one message lives in an arena
 * reset after it. */
#ifndef CRENEAU_NOTIFY_H
#define CRENEAU_NOTIFY_H

#include <stddef.h>

struct arena;
struct conf;

#define NVARS_MAX	64

struct nvars {
	size_t		 n;
	const char	*name[NVARS_MAX];
	const char	*value[NVARS_MAX];
};

/* A rendered message: e-mail subject, text and HTML bodies, SMS text. */
struct nmsg {
	char	*subject;
	char	*text;
	char	*html;
	char	*sms;
};

const char	*nvars_get(const struct nvars *, const char *);
int		 nvars_set(struct nvars *, const char *, const char *);

/* notify_tpl.c: message templates (templates/mail/<kind>.xhtml). */
int		 ntpl_init(const char *dir);
void		 ntpl_free(void);
int		 ntpl_has(const char *kind);
int		 ntpl_render(struct arena *, const char *kind, const char *lang,
		    const struct nvars *, struct nmsg *);

/* notify_send.c: SMTP and Kannel sendsms through libcurl. */
struct nmail {
	const char	*to;
	const char	*message_id;	/* without <> */
	const char	*unsubscribe;	/* URL for List-Unsubscribe, or NULL */
	const char	*ics;		/* text/calendar attachment, or NULL */
	const char	*ics_name;
	int		 ics_cancel;	/* METHOD:CANCEL (a cancellation) */
	const char	*lang;
};

int		 nsend_init(const struct conf *);
void		 nsend_free(void);
int		 nsend_mail(struct arena *, const struct nmail *,
		    const struct nmsg *, char *detail, size_t, int *permanent);
int		 nsend_sms(struct arena *, const char *to, const char *text,
		    char *detail, size_t, int *permanent);
int		 nsend_sms_unicode(const char *text);

#endif
