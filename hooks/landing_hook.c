/* landing_hook.c: GET shows a one-button page, only its POST redirects (303) to Okta's activation link. */
#include "hooks/landing_hook.h"

#include "core/clock.h"
#include "core/log.h"
#include "handlers/activation.h"
#include "handlers/landing.h"

#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct landing_hook {
	unsigned char key[LANDING_KEY_LEN];
};

struct landing_hook *landing_hook_new(const struct activation_opts *o)
{
	if (!o || !o->landing)
		return NULL;
	struct landing_hook *h = calloc(1, sizeof(*h));
	if (h)
		memcpy(h->key, o->link_key, LANDING_KEY_LEN);
	return h;
}

void landing_hook_free(struct landing_hook *h)
{
	if (!h)
		return;
	OPENSSL_cleanse(h->key, sizeof(h->key));
	free(h);
}

/* No script, nothing from the request in it; the form posts back to the same URL. */
static const char page_ok[] =
	"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<meta name=\"viewport\" content=\"width=device-width\"><title>Activate your account</title></head>"
	"<body><main><h1>Activate your account</h1>"
	"<p>Press the button to go on to your organization's sign-in page and choose your password.</p>"
	"<form method=\"post\"><button type=\"submit\">Activate my account</button></form></main></body></html>\n";

static const char page_bad[] =
	"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link not valid</title></head>"
	"<body><main><h1>This activation link is not valid</h1>"
	"<p>It may have been cut short or changed. Copy the whole link from the email, or ask IT for a new one.</p>"
	"</main></body></html>\n";

static const char page_expired[] =
	"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>Link expired</title></head>"
	"<body><main><h1>This activation link has expired</h1>"
	"<p>Ask IT to send you a new activation email.</p></main></body></html>\n";

#define HEADERS_BASE                                                \
	"Referrer-Policy: no-referrer\r\nX-Frame-Options: DENY\r\n" \
	"Content-Security-Policy: default-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"

/* The scheme://host[:port] of url into out; "" when url is not https. */
static void origin_of(const char *url, char *out, size_t n)
{
	out[0] = '\0';
	if (strncmp(url, "https://", 8) != 0)
		return;
	size_t k = 8 + strcspn(url + 8, "/?#");
	if (k < n && !strpbrk(url, " \r\n;'\""))
		snprintf(out, n, "%.*s", (int)k, url);
}

static int wants_json(const struct http_req *r)
{
	const char *a = http_header(r, "Accept");
	return a && strstr(a, "application/json") && !strstr(a, "text/html");
}

static void refuse(struct http_req *r, enum landing_check c)
{
	int expired = c == LANDING_EXPIRED;
	int status = expired ? 410 : 400;
	if (wants_json(r)) {
		http_fail(r, status, expired ? "link_expired" : "link_invalid",
			  expired ? "this activation link has expired" : "this activation link is not valid");
		return;
	}
	const char *page = expired ? page_expired : page_bad;
	http_reply_headers(r, status, "text/html; charset=utf-8", page, strlen(page), HEADERS_BASE "\r\n");
	log_kv(LOG_INFO, "landing link refused", "req", http_req_id(r), "reason",
	       expired		     ? "expired"
	       : c == LANDING_FORGED ? "forged or tampered"
				     : "malformed",
	       (const char *)0);
}

void landing_hook_handle(struct http_req *r, void *arg)
{
	struct landing_hook *h = arg;
	const char *m = http_method(r), *path = http_path(r);
	int get = strcmp(m, "GET") == 0 || strcmp(m, "HEAD") == 0, post = strcmp(m, "POST") == 0;
	if (!get && !post) {
		http_fail_method(r, "GET, POST");
		return;
	}
	if (post && http_read_body(r) < 0)
		return;
	const char *opaque = path + (strncmp(path, LANDING_PATH_PREFIX, strlen(LANDING_PATH_PREFIX)) == 0
					     ? strlen(LANDING_PATH_PREFIX)
					     : strlen(path));
	char uid[64], origin[300], extra[700];
	char *url = NULL;
	enum landing_check c = landing_open(h->key, opaque, strlen(opaque), clock_now_ms(), uid, sizeof(uid), &url);
	if (c == LANDING_OK)
		origin_of(url, origin, sizeof(origin));
	if (c != LANDING_OK || !origin[0]) {
		refuse(r, c == LANDING_OK ? LANDING_MALFORMED : c);
	} else if (get) {
		/* Browsers apply form-action to the POST's redirect too: allow Okta's origin. */
		snprintf(extra, sizeof(extra), HEADERS_BASE " %s\r\n", origin);
		http_reply_headers(r, 200, "text/html; charset=utf-8", page_ok, strlen(page_ok), extra);
	} else {
		int n = snprintf(extra, sizeof(extra), "Location: %s\r\nReferrer-Policy: no-referrer\r\n", url);
		if (n < 0 || (size_t)n >= sizeof(extra))
			refuse(r, LANDING_MALFORMED);
		else
			http_reply_headers(r, 303, NULL, NULL, 0, extra);
		log_kv(LOG_INFO, "landing link used: redirected to Okta", "req", http_req_id(r), "user_id", uid,
		       (const char *)0);
	}
	if (url) {
		OPENSSL_cleanse(url, strlen(url));
		free(url);
	}
	OPENSSL_cleanse(extra, sizeof(extra));
}
