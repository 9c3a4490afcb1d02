/* Delivery of creneau-notify through libcurl: e-mail to the SMTP relay
 * (smtp_url, smtp_from) as multipart/mixed holding a
 * multipart/alternative (text, HTML) and the .ics where there is one; SMS
 * to a Kannel-style gateway (sms_url?username=&password=&to=&text=
 * &charset=UTF-8[&coding=2]). One easy handle is kept, so connections to
 * the relay and gateway are reused between messages. Results are
 * described without personal data (no address, no text). */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <sodium.h>

#include "arena.h"
#include "conf.h"
#include "log.h"
#include "notify.h"

static const struct conf	*conf;
static CURL			*curl;
static char			 sms_password[256];

/* Reads the SMS password file (first line); 0, or -1. */
static int
read_password(const char *path)
{
	FILE	*f;
	size_t	 n;

	*sms_password = '\0';
	if (path == NULL || *path == '\0')
		return 0;
	if ((f = fopen(path, "r")) == NULL) {
		log_msg("sms_password_file %s: %s", path, strerror(errno));
		return -1;
	}
	if (fgets(sms_password, sizeof(sms_password), f) == NULL)
		*sms_password = '\0';
	fclose(f);
	n = strcspn(sms_password, "\r\n");
	sms_password[n] = '\0';
	return 0;
}

/* Initialises libcurl and reads the SMS password; 0 or -1. */
int
nsend_init(const struct conf *c)
{
	conf = c;
	if (curl_global_init(CURL_GLOBAL_DEFAULT) != 0 ||
	    (curl = curl_easy_init()) == NULL) {
		log_msg("libcurl initialisation failed");
		return -1;
	}
	return read_password(c->sms_password_file);
}

/* Releases libcurl. */
void
nsend_free(void)
{
	if (curl != NULL)
		curl_easy_cleanup(curl);
	curl = NULL;
	sodium_memzero(sms_password, sizeof(sms_password));
	curl_global_cleanup();
}

/* Returns s as RFC 2047 encoded words (UTF-8, base64) when it is not
 * plain ASCII, each word at most 75 characters and cut between
 * characters; s itself otherwise. */
static char *
header_words(struct arena *a, const char *s)
{
	const unsigned char	*p = (const unsigned char *)s;
	char			 enc[80], *out = arena_strdup(a, "");
	size_t			 n, len = strlen(s), i, ascii = 1;

	for (i = 0; i < len; i++)
		if (p[i] >= 0x80 || p[i] < 0x20)
			ascii = 0;
	if (ascii)
		return arena_strdup(a, s);
	for (i = 0; i < len && out != NULL; i += n) {
		n = len - i > 42 ? 42 : len - i;
		while (n > 0 && i + n < len && (p[i + n] & 0xc0) == 0x80)
			n--;
		sodium_bin2base64(enc, sizeof(enc), p + i, n,
		    sodium_base64_VARIANT_ORIGINAL);
		out = arena_printf(a, "%s%s=?UTF-8?B?%s?=", out, i > 0 ? " " : "", enc);
	}
	return out;
}

/* Removes CR and LF from a header value. */
static const char *
one_line(struct arena *a, const char *s)
{
	char	*o = arena_strdup(a, s), *p;

	for (p = o; p != NULL && *p != '\0'; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return o;
}

/* Adds one part with data, type and encoder to mime; 0 or -1. */
static int
add_part(curl_mime *mime, const char *data, const char *type,
    const char *encoder, const char *filename)
{
	curl_mimepart	*part;

	if ((part = curl_mime_addpart(mime)) == NULL ||
	    curl_mime_data(part, data, CURL_ZERO_TERMINATED) != CURLE_OK ||
	    curl_mime_type(part, type) != CURLE_OK ||
	    curl_mime_encoder(part, encoder) != CURLE_OK)
		return -1;
	if (filename != NULL && curl_mime_filename(part, filename) != CURLE_OK)
		return -1;
	return 0;
}

/* Describes a failed transfer in detail and says whether it is final (an
 * SMTP 5xx or an HTTP 4xx answer other than 408/429). */
static void
failure(CURLcode rc, long code, int smtp, const char *errbuf, char *detail,
    size_t size, int *permanent)
{
	*permanent = smtp ? code >= 500 && code < 600 :
	    code >= 400 && code < 500 && code != 408 && code != 429;
	snprintf(detail, size, "%s %ld: %s", smtp ? "smtp" : "http", code,
	    *errbuf != '\0' ? errbuf : curl_easy_strerror(rc));
}

/* Sends one e-mail; returns 0 when the relay accepted it, else -1 with
 * detail and *permanent set. */
int
nsend_mail(struct arena *a, const struct nmail *mail, const struct nmsg *m,
    char *detail, size_t size, int *permanent)
{
	struct curl_slist	*rcpt = NULL, *hdr = NULL;
	curl_mime		*mime = NULL, *alt = NULL;
	curl_mimepart		*part;
	char			 errbuf[CURL_ERROR_SIZE] = "", date[64];
	time_t			 now = time(NULL);
	struct tm		 tm;
	CURLcode		 rc;
	long			 code = 0;
	int			 ret = -1;

	*permanent = 0;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "Date: %a, %d %b %Y %H:%M:%S +0000", &tm);
	curl_easy_reset(curl);
	rcpt = curl_slist_append(rcpt, mail->to);
	hdr = curl_slist_append(hdr, date);
	hdr = curl_slist_append(hdr, arena_printf(a, "From: %s", one_line(a, conf->smtp_from)));
	hdr = curl_slist_append(hdr, arena_printf(a, "To: %s", one_line(a, mail->to)));
	hdr = curl_slist_append(hdr, arena_printf(a, "Subject: %s",
	    header_words(a, one_line(a, m->subject))));
	hdr = curl_slist_append(hdr, arena_printf(a, "Message-ID: <%s>", mail->message_id));
	hdr = curl_slist_append(hdr, arena_printf(a, "Content-Language: %s", mail->lang));
	hdr = curl_slist_append(hdr, "Auto-Submitted: auto-generated");
	if (mail->unsubscribe != NULL) {
		hdr = curl_slist_append(hdr, arena_printf(a, "List-Unsubscribe: <%s>",
		    mail->unsubscribe));
		hdr = curl_slist_append(hdr, "List-Unsubscribe-Post: List-Unsubscribe=One-Click");
	}
	if (rcpt == NULL || hdr == NULL || (mime = curl_mime_init(curl)) == NULL ||
	    (alt = curl_mime_init(curl)) == NULL) {
		snprintf(detail, size, "out of memory");
		goto out;
	}
	if (add_part(alt, m->text, "text/plain; charset=UTF-8", "quoted-printable", NULL) == -1 ||
	    add_part(alt, m->html, "text/html; charset=UTF-8", "quoted-printable", NULL) == -1 ||
	    (part = curl_mime_addpart(mime)) == NULL ||
	    curl_mime_subparts(part, alt) != CURLE_OK) {
		snprintf(detail, size, "mime parts");
		goto out;
	}
	alt = NULL;	/* owned by mime now */
	curl_mime_type(part, "multipart/alternative");
	if (mail->ics != NULL && add_part(mime, mail->ics, mail->ics_cancel ?
	    "text/calendar; charset=UTF-8; method=CANCEL" :
	    "text/calendar; charset=UTF-8; method=PUBLISH", "base64",
	    mail->ics_name) == -1) {
		snprintf(detail, size, "mime attachment");
		goto out;
	}
	curl_easy_setopt(curl, CURLOPT_URL, conf->smtp_url);
	curl_easy_setopt(curl, CURLOPT_MAIL_FROM, conf->smtp_from);
	curl_easy_setopt(curl, CURLOPT_MAIL_RCPT, rcpt);
	curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(curl, CURLOPT_MIMEPOST, mime);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)conf->notify_timeout_seconds);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)conf->notify_timeout_seconds);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_USE_SSL, (long)CURLUSESSL_TRY);
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	if (rc == CURLE_OK) {
		snprintf(detail, size, "smtp %ld accepted", code);
		ret = 0;
	} else
		failure(rc, code, 1, errbuf, detail, size, permanent);
out:
	curl_mime_free(alt);
	curl_mime_free(mime);
	curl_slist_free_all(rcpt);
	curl_slist_free_all(hdr);
	return ret;
}

/* Returns 1 when text needs UCS-2 (coding=2): a character outside ASCII
 * and the Latin letters of the GSM 03.38 alphabet. */
int
nsend_sms_unicode(const char *text)
{
	static const char *const gsm[] = { "é", "è", "ù", "ì", "ò", "Ç", "Ø",
	    "ø", "Å", "å", "Ä", "Ö", "Ñ", "Ü", "§", "¿", "ä", "ö", "ñ", "ü",
	    "à", "É", "Æ", "æ", "ß", "£", "¥", "¡", NULL };
	const unsigned char	*p = (const unsigned char *)text;
	size_t			 i, n;

	while (*p != '\0') {
		if (*p < 0x80) {
			p++;
			continue;
		}
		for (i = 0; gsm[i] != NULL; i++) {
			n = strlen(gsm[i]);
			if (strncmp((const char *)p, gsm[i], n) == 0)
				break;
		}
		if (gsm[i] == NULL)
			return 1;
		p += n;
	}
	return 0;
}

/* Keeps the first bytes of the gateway's answer for the detail. */
static size_t
keep_answer(char *data, size_t size, size_t n, void *arg)
{
	char	*buf = arg;
	size_t	 have = strlen(buf), room = 120 - have;

	if (room > size * n)
		room = size * n;
	memcpy(buf + have, data, room);
	buf[have + room] = '\0';
	return size * n;
}

/* Sends one SMS; 0 when the gateway accepted it (2xx), else -1 with
 * detail and *permanent set. */
int
nsend_sms(struct arena *a, const char *to, const char *text, char *detail,
    size_t size, int *permanent)
{
	char		 errbuf[CURL_ERROR_SIZE] = "", answer[128] = "", *u, *t, *p, *url;
	CURLcode	 rc;
	long		 code = 0;
	size_t		 i;

	*permanent = 0;
	if (conf->sms_url == NULL || *conf->sms_url == '\0') {
		snprintf(detail, size, "no SMS gateway configured (sms_url)");
		*permanent = 1;
		return -1;
	}
	curl_easy_reset(curl);
	u = curl_easy_escape(curl, conf->sms_user, 0);
	p = curl_easy_escape(curl, sms_password, 0);
	t = curl_easy_escape(curl, text, 0);
	url = arena_printf(a, "%s%cusername=%s&password=%s&to=%s&text=%s&charset=UTF-8%s",
	    conf->sms_url, strchr(conf->sms_url, '?') != NULL ? '&' : '?',
	    u != NULL ? u : "", p != NULL ? p : "", "", t != NULL ? t : "",
	    nsend_sms_unicode(text) ? "&coding=2" : "");
	curl_free(u);
	curl_free(p);
	curl_free(t);
	/* The number: digits and a leading '+', escaped. */
	if (url != NULL) {
		char	*num = arena_strdup(a, to), *e, *at;

		for (i = 0; num != NULL && num[i] != '\0'; i++)
			if (!isdigit((unsigned char)num[i]) && !(i == 0 && num[i] == '+'))
				num[i] = '\0';
		e = curl_easy_escape(curl, num != NULL ? num : "", 0);
		at = strstr(url, "&to=&");
		if (at != NULL && e != NULL)
			url = arena_printf(a, "%.*s&to=%s%s", (int)(at - url), url, e, at + 4);
		curl_free(e);
	}
	if (url == NULL) {
		snprintf(detail, size, "out of memory");
		return -1;
	}
	curl_easy_setopt(curl, CURLOPT_URL, url);
	curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, keep_answer);
	curl_easy_setopt(curl, CURLOPT_WRITEDATA, answer);
	curl_easy_setopt(curl, CURLOPT_CONNECTTIMEOUT, (long)conf->notify_timeout_seconds);
	curl_easy_setopt(curl, CURLOPT_TIMEOUT, (long)conf->notify_timeout_seconds);
	curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(curl, CURLOPT_PROTOCOLS_STR, "http,https");
	rc = curl_easy_perform(curl);
	curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
	for (i = 0; answer[i] != '\0'; i++)
		if ((unsigned char)answer[i] < 0x20)
			answer[i] = ' ';
	if (rc == CURLE_OK && code >= 200 && code < 300) {
		snprintf(detail, size, "http %ld %s", code, answer);
		return 0;
	}
	if (rc == CURLE_OK)
		snprintf(errbuf, sizeof(errbuf), "%s", answer);
	failure(rc, code, 0, errbuf, detail, size, permanent);
	return -1;
}
