/* mail.c: SMTP submission of activation links with libcurl. */
#include "handlers/mail.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/secure.h"
#include "core/str.h"

#include <curl/curl.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct mailer {
	char *url, *from, *username, *password, *ca_file, *subject;
	int starttls;
	int64_t timeout_ms;
};

void mailer_free(struct mailer *m)
{
	if (!m)
		return;
	free(m->url);
	free(m->from);
	free(m->username);
	secure_free(m->password);
	free(m->ca_file);
	free(m->subject);
	free(m);
}

static int valid_address(const char *a)
{
	return a && *a && strchr(a, '@') && !strpbrk(a, "\r\n<>, \t\"");
}

int mailer_from_config(struct config *c, struct mailer **out)
{
	*out = NULL;
	const char *url = config_get(c, "mail", NULL, "smtp_url");
	if (!url)
		return 1;
	struct mailer *m = calloc(1, sizeof(*m));
	if (!m)
		return -1;
	int rc = 0;
	if (strncmp(url, "smtp://", 7) != 0 && strncmp(url, "smtps://", 8) != 0) {
		config_report(c, "mail", NULL, "smtp_url", "'%s' is not smtp://host[:port] or smtps://host[:port]",
			      url);
		rc = -1;
	}
	const char *from = config_get(c, "mail", NULL, "from");
	if (!valid_address(from)) {
		config_report(c, "mail", NULL, "from", "needs a plain address such as hookd@example.com");
		rc = -1;
	}
	m->url = strdup(url);
	m->from = str_dup(from);
	m->username = str_dup(config_get(c, "mail", NULL, "username"));
	m->ca_file = str_dup(config_get(c, "mail", NULL, "ca_file"));
	m->subject = str_dup(config_get(c, "mail", NULL, "subject"));
	config_bool(c, "mail", NULL, "starttls", &m->starttls);
	config_ms(c, "mail", NULL, "timeout", &m->timeout_ms);
	if (config_secret(c, "mail", NULL, "password", &m->password) < 0)
		rc = -1;
	if (m->password && !m->username) {
		config_report(c, "mail", NULL, "password", "needs username");
		rc = -1;
	}
	if (rc < 0) {
		mailer_free(m);
		return -1;
	}
	*out = m;
	return 0;
}

struct upload {
	const char *p;
	size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t n, void *arg)
{
	struct upload *u = arg;
	size_t k = size * n < u->left ? size * n : u->left;
	memcpy(buf, u->p, k);
	u->p += k;
	u->left -= k;
	return k;
}

static char *message(const struct mailer *m, const char *to, const char *name, const char *url)
{
	char date[64], id[40];
	time_t now = (time_t)(clock_now_ms() / 1000);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
	unsigned char r[12];
	RAND_bytes(r, sizeof(r));
	for (int i = 0; i < 12; i++)
		snprintf(id + 2 * i, 3, "%02x", r[i]);
	const char *domain = strchr(m->from, '@') + 1;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_printf(&b, "Date: %s\r\nFrom: <%s>\r\nTo: <%s>\r\nMessage-ID: <%s@%s>\r\nSubject: %s\r\n", date, m->from,
		    to, id, domain, m->subject);
	jbuf_puts(
		&b,
		"MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n");
	jbuf_printf(&b,
		    "Hello%s%s,\r\n\r\nyour account is ready. Open this link to set your password and sign in\r\n"
		    "for the first time:\r\n\r\n%s\r\n\r\nThe link works once and expires after a few days.\r\n",
		    name ? " " : "", name ? name : "", url);
	return jbuf_take(&b, NULL);
}

int mailer_send_activation(struct mailer *m, const char *to, const char *name, const char *url, char *err,
			   size_t errlen)
{
	if (!valid_address(to)) {
		snprintf(err, errlen, "no usable recipient address");
		return -1;
	}
	if (name && strpbrk(name, "\r\n"))
		name = NULL;
	if (!url || strpbrk(url, "\r\n")) {
		snprintf(err, errlen, "no usable activation link");
		return -1;
	}
	char *msg = message(m, to, name, url);
	CURL *h = curl_easy_init();
	if (!msg || !h) {
		free(msg);
		curl_easy_cleanup(h);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char from[320], rcpt[320];
	snprintf(from, sizeof(from), "<%s>", m->from);
	snprintf(rcpt, sizeof(rcpt), "<%s>", to);
	struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
	struct upload u = { msg, strlen(msg) };
	curl_easy_setopt(h, CURLOPT_URL, m->url);
	curl_easy_setopt(h, CURLOPT_MAIL_FROM, from);
	curl_easy_setopt(h, CURLOPT_MAIL_RCPT, rcpts);
	curl_easy_setopt(h, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(h, CURLOPT_READDATA, &u);
	curl_easy_setopt(h, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)m->timeout_ms);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)(m->timeout_ms < 5000 ? m->timeout_ms : 5000));
	if (m->starttls)
		curl_easy_setopt(h, CURLOPT_USE_SSL, (long)CURLUSESSL_ALL);
	if (m->ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, m->ca_file);
	if (m->username)
		curl_easy_setopt(h, CURLOPT_USERNAME, m->username);
	if (m->password)
		curl_easy_setopt(h, CURLOPT_PASSWORD, m->password);
	CURLcode rc = curl_easy_perform(h);
	if (rc != CURLE_OK)
		snprintf(err, errlen, "SMTP: %s", curl_easy_strerror(rc));
	curl_slist_free_all(rcpts);
	curl_easy_cleanup(h);
	OPENSSL_cleanse(msg, strlen(msg));
	free(msg);
	return rc == CURLE_OK ? 0 : -1;
}
