/* http.c: one bounded, TLS-verified HTTP exchange with Okta through libcurl, rate headers captured. */
#include "okta/http.h"
#include "okta/link.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"

/* Header state while one exchange runs. */
struct hdr {
	struct okta_http_resp *rs;
	int have_limit, have_remaining, have_reset;
	int64_t date_s;
	int sends; /* times libcurl was about to send the request */
};

/*
 * libcurl silently re-sends a request (POSTs too, up to 5 times) when a reused connection dies
 * before any answer. Those re-sends would bypass the rate governor, the backoff and the logs, and
 * re-send a call that may already have taken effect. The second send is refused here, so the
 * failure comes back to the client, which retries through its own loop.
 */
static int on_prereq(void *arg, char *conn_primary_ip, char *conn_local_ip, int conn_primary_port, int conn_local_port)
{
	(void)conn_primary_ip, (void)conn_local_ip, (void)conn_primary_port, (void)conn_local_port;
	struct hdr *st = arg;
	return ++st->sends > 1 ? CURL_PREREQFUNC_ABORT : CURL_PREREQFUNC_OK;
}

CURL *okta_http_handle_new(const char *ca_file, int allow_http)
{
	CURL *h = curl_easy_init();
	if (!h)
		return NULL;
	const char *proto = allow_http ? "http" : "https";
	if (curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, proto) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, 1L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, 2L) != CURLE_OK ||
	    curl_easy_setopt(h, CURLOPT_SSLVERSION, (long)CURL_SSLVERSION_TLSv1_2) != CURLE_OK ||
	    (ca_file && curl_easy_setopt(h, CURLOPT_CAINFO, ca_file) != CURLE_OK))
		goto fail;
	curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
	curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)OKTA_HTTP_MAX_BODY);
	curl_easy_setopt(h, CURLOPT_USERAGENT, "hookd/0.1");
	curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
	return h;
fail:
	curl_easy_cleanup(h);
	return NULL;
}

void okta_http_resp_init(struct okta_http_resp *r)
{
	memset(r, 0, sizeof(*r));
	jbuf_init(&r->body);
}

void okta_http_resp_free(struct okta_http_resp *r)
{
	if (!r)
		return;
	jbuf_free(&r->body);
	free(r->next);
	okta_http_resp_init(r);
}

static size_t on_body(char *p, size_t size, size_t nmemb, void *ud)
{
	struct okta_http_resp *rs = ud;
	size_t n = size * nmemb;
	if (rs->body.n + n > OKTA_HTTP_MAX_BODY)
		return 0; /* curl fails the transfer with CURLE_WRITE_ERROR */
	jbuf_put(&rs->body, p, n);
	return rs->body.err ? 0 : n;
}

/* Value of header line p[0..n) when its name is name (case-insensitive), as an integer. */
static int header_int(const char *p, size_t n, const char *name, int64_t *out)
{
	size_t nl = strlen(name);
	if (n <= nl + 1 || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return 0;
	char buf[32];
	size_t i = nl + 1, k = 0;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (i < n && isdigit((unsigned char)p[i]) && k < sizeof(buf) - 1)
		buf[k++] = p[i++];
	buf[k] = '\0';
	if (k == 0)
		return 0;
	*out = strtoll(buf, NULL, 10);
	return 1;
}

static void header_date(struct hdr *st, const char *p, size_t n)
{
	if (n < 6 || strncasecmp(p, "date:", 5) != 0)
		return;
	char buf[64];
	size_t len = n - 5 < sizeof(buf) - 1 ? n - 5 : sizeof(buf) - 1;
	memcpy(buf, p + 5, len);
	buf[len] = '\0';
	time_t t = curl_getdate(buf, NULL);
	if (t > 0)
		st->date_s = (int64_t)t;
}

/* Copies the value of header line p[0..n) named name into out when it fits; "" when it does not. */
static void header_copy(const char *p, size_t n, const char *name, char *out, size_t outn, int truncate)
{
	size_t nl = strlen(name);
	if (n <= nl || strncasecmp(p, name, nl) != 0 || p[nl] != ':')
		return;
	size_t i = nl + 1;
	while (i < n && (p[i] == ' ' || p[i] == '\t'))
		i++;
	while (n > i && (p[n - 1] == '\r' || p[n - 1] == '\n' || p[n - 1] == ' '))
		n--;
	size_t len = n - i;
	if (len >= outn && !truncate)
		len = 0;
	len = len < outn ? len : outn - 1;
	memcpy(out, p + i, len);
	out[len] = '\0';
}

/* Keeps the first rel="next" target of the Link headers (Okta sends self and next as two headers). */
static void header_link(struct okta_http_resp *rs, const char *p, size_t n)
{
	char url[OKTA_LINK_MAX];
	if (rs->next || n < 6 || strncasecmp(p, "link:", 5) != 0)
		return;
	while (n > 5 && (p[n - 1] == '\r' || p[n - 1] == '\n'))
		n--;
	if (okta_link_next(p + 5, n - 5, url, sizeof(url)) == 1)
		rs->next = strdup(url);
}

/* X-Okta-Request-Id into rs->request_id: visible ASCII only, "" when it is longer or odd. */
static void header_request_id(struct okta_http_resp *rs, const char *p, size_t n)
{
	if (memchr(p, '\0', n))
		return;
	header_copy(p, n, "x-okta-request-id", rs->request_id, sizeof(rs->request_id), 0);
	for (const char *c = rs->request_id; *c; c++)
		if (*c <= ' ' || *c > '~') {
			rs->request_id[0] = '\0';
			return;
		}
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *ud)
{
	struct hdr *st = ud;
	size_t n = size * nmemb;
	struct okta_rate *r = &st->rs->rate;
	if (n >= 5 && memcmp(p, "HTTP/", 5) == 0) { /* a new response (after 100 Continue, say) */
		st->have_limit = st->have_remaining = st->have_reset = 0;
		st->date_s = 0;
		free(st->rs->next);
		st->rs->next = NULL;
		st->rs->dpop_nonce[0] = st->rs->www_authenticate[0] = st->rs->request_id[0] = '\0';
		return n;
	}
	header_link(st->rs, p, n);
	header_copy(p, n, "dpop-nonce", st->rs->dpop_nonce, sizeof(st->rs->dpop_nonce), 0);
	header_copy(p, n, "www-authenticate", st->rs->www_authenticate, sizeof(st->rs->www_authenticate), 1);
	header_request_id(st->rs, p, n);
	st->have_limit |= header_int(p, n, "x-rate-limit-limit", &r->limit);
	st->have_remaining |= header_int(p, n, "x-rate-limit-remaining", &r->remaining);
	st->have_reset |= header_int(p, n, "x-rate-limit-reset", &r->reset_s);
	header_date(st, p, n);
	return n;
}

/* Appends "name: value" (a credential: the temporary copy is wiped). Frees l and returns NULL on OOM. */
static struct curl_slist *add_secret(struct curl_slist *l, const char *name, const char *value)
{
	struct jbuf a;
	jbuf_init(&a);
	jbuf_printf(&a, "%s: %s", name, value);
	struct curl_slist *t = a.err ? NULL : curl_slist_append(l, a.p);
	if (a.p)
		OPENSSL_cleanse(a.p, a.n);
	jbuf_free(&a);
	if (!t)
		curl_slist_free_all(l);
	return t;
}

static struct curl_slist *build_headers(const struct okta_http_req *rq)
{
	struct curl_slist *l = NULL, *t;
	char buf[64];
	const char *fixed[] = { "Accept: application/json", "Expect:" };
	for (size_t i = 0; i < sizeof(fixed) / sizeof(fixed[0]); i++) {
		if (!(t = curl_slist_append(l, fixed[i])))
			goto fail;
		l = t;
	}
	if (rq->content_type) {
		snprintf(buf, sizeof(buf), "Content-Type: %s", rq->content_type);
		if (!(t = curl_slist_append(l, buf)))
			goto fail;
		l = t;
	}
	if (rq->authorization && !(l = add_secret(l, "Authorization", rq->authorization)))
		return NULL;
	if (rq->dpop && !(l = add_secret(l, "DPoP", rq->dpop)))
		return NULL;
	return l;
fail:
	curl_slist_free_all(l);
	return NULL;
}

static void set_method(CURL *h, const struct okta_http_req *rq)
{
	if (strcmp(rq->method, "GET") == 0) {
		curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, NULL);
		return;
	}
	curl_easy_setopt(h, CURLOPT_POST, 1L);
	curl_easy_setopt(h, CURLOPT_POSTFIELDS, rq->body ? rq->body : "");
	curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)(rq->body ? rq->body_len : 0));
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, strcmp(rq->method, "POST") == 0 ? NULL : rq->method);
}

static long clamp_ms(int64_t ms)
{
	return ms < 1 ? 1L : ms > 86400000 ? 86400000L : (long)ms;
}

/* Puts the server's reset instant on the local clock: the Date header removes clock skew. */
static void finish_rate(struct hdr *st, int64_t now_ms)
{
	struct okta_http_resp *rs = st->rs;
	rs->have_rate = st->have_limit && st->have_remaining && st->have_reset;
	if (!rs->have_rate)
		return;
	if (st->date_s > 0)
		rs->rate.reset_ms = now_ms + (rs->rate.reset_s - st->date_s) * 1000;
	else
		rs->rate.reset_ms = rs->rate.reset_s * 1000;
}

int okta_http_do(CURL *h, const struct okta_http_req *rq, struct okta_http_resp *rs, struct okta_error *e)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct hdr st = { .rs = rs };
	okta_http_resp_init(rs);
	struct curl_slist *hdrs = build_headers(rq);
	if (!hdrs) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	set_method(h, rq);
	curl_easy_setopt(h, CURLOPT_URL, rq->url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, clamp_ms(rq->timeout_ms));
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, clamp_ms(rq->connect_timeout_ms));
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, rs);
	curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(h, CURLOPT_HEADERDATA, &st);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PREREQFUNCTION, on_prereq);
	curl_easy_setopt(h, CURLOPT_PREREQDATA, &st);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_ABORTED_BY_CALLBACK && st.sends > 1) {
		rc = CURLE_GOT_NOTHING;
		snprintf(errbuf, sizeof(errbuf), "%s",
			 "the connection closed before any answer (the call may have taken effect)");
	}
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
	curl_slist_free_all(hdrs);
	if (rc == CURLE_OK && rs->body.err)
		rc = CURLE_OUT_OF_MEMORY;
	if (rc != CURLE_OK) {
		int too_big = rc == CURLE_WRITE_ERROR || rc == CURLE_FILESIZE_EXCEEDED;
		okta_error_transport(e, rc, too_big ? "response body larger than 4 MiB" : errbuf);
		okta_http_resp_free(rs);
		return -1;
	}
	long status = 0;
	curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	rs->status = (int)status;
	jbuf_put(&rs->body, "", 0);
	finish_rate(&st, clock_now_ms());
	return 0;
}

char *okta_http_escape(const char *s)
{
	char *c = curl_easy_escape(NULL, s, 0);
	if (!c)
		return NULL;
	char *out = strdup(c);
	curl_free(c);
	return out;
}
