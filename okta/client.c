/* client.c: authenticated Okta calls with the rate governor, retries, backoff and one total deadline. */
#include "okta/client.h"

#include <curl/curl.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "okta/backoff.h"
#include "okta/dpop.h"
#include "okta/http.h"
#include "okta/oauth.h"

struct okta_org {
	char *org_url;
	char *ca_file;
	int plain_http;
	char *ssws; /* "SSWS <token>", a secret */
	struct okta_oauth *oauth;
	struct okta_governor *gov;
	int own_gov;
	int64_t timeout_ms;
	int max_retries;
	int64_t backoff_base_ms, backoff_cap_ms;
};

struct okta_client {
	struct okta_org *org;
	CURL *h;
	okta_request_fn on_request;
	void *on_request_ud;
};

/* One call in flight. */
struct call {
	struct okta_client *c;
	const char *method;
	const char *body;
	char *url;
	enum okta_bucket bucket;
	int64_t deadline;	     /* monotonic ms */
	struct okta_oauth_auth auth; /* this attempt's credentials (secrets); only authorization for SSWS */
	int nonce_retried;	     /* a DPoP use_dpop_nonce challenge was answered once */
};

static int64_t mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000 };
	while (nanosleep(&ts, &ts) < 0 && errno == EINTR)
		;
}

static int org_auth(struct okta_org *org, const struct okta_opts *o, struct okta_error *e)
{
	if (o->auth_mode == OKTA_AUTH_PRIVATE_KEY) {
		org->oauth = okta_oauth_new(o->org_url, o->client_id, o->scopes, o->private_key_pem, o->key_id, e);
		if (!org->oauth)
			return -1;
		return okta_oauth_set_dpop(org->oauth, o->dpop_mode, o->dpop_key_pem, o->dpop_alg, e);
	}
	if (!o->api_token || !*o->api_token) {
		okta_error_local(e, "no API token (auth_mode = ssws)");
		return -1;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_printf(&b, "SSWS %s", o->api_token);
	org->ssws = jbuf_take(&b, NULL);
	if (!org->ssws)
		okta_error_local(e, "out of memory");
	return org->ssws ? 0 : -1;
}

struct okta_org *okta_org_new(const struct okta_opts *o, struct okta_governor *g, struct okta_error *e)
{
	const char *why;
	okta_error_clear(e);
	struct okta_org *org = calloc(1, sizeof(*org));
	if (!org || curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
		free(org);
		okta_error_local(e, "out of memory or curl unusable");
		return NULL;
	}
	if (!o->org_url || okta_opts_check_url(o->org_url, &org->plain_http, &why) < 0) {
		okta_error_local(e, "org URL %s", o->org_url ? why : "is not set");
		goto fail;
	}
	org->org_url = strdup(o->org_url);
	org->ca_file = o->ca_file ? strdup(o->ca_file) : NULL;
	size_t ul = org->org_url ? strlen(org->org_url) : 0;
	if (ul && org->org_url[ul - 1] == '/')
		org->org_url[ul - 1] = '\0';
	org->gov = g ? g : okta_governor_new(o->rate_reserve);
	org->own_gov = !g;
	if (!org->org_url || (o->ca_file && !org->ca_file) || !org->gov) {
		okta_error_local(e, "out of memory");
		goto fail;
	}
	org->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 10000;
	org->max_retries = o->max_retries >= 0 ? o->max_retries : 0;
	org->backoff_base_ms = 250;
	org->backoff_cap_ms = 8000;
	if (org_auth(org, o, e) < 0)
		goto fail;
	return org;
fail:
	okta_org_free(org);
	return NULL;
}

void okta_org_free(struct okta_org *org)
{
	if (!org)
		return;
	secure_free(org->ssws);
	okta_oauth_free(org->oauth);
	if (org->own_gov)
		okta_governor_free(org->gov);
	free(org->org_url);
	free(org->ca_file);
	free(org);
	curl_global_cleanup();
}

struct okta_governor *okta_org_governor(struct okta_org *org)
{
	return org->gov;
}

void okta_org_set_backoff(struct okta_org *org, int64_t base_ms, int64_t cap_ms)
{
	org->backoff_base_ms = base_ms;
	org->backoff_cap_ms = cap_ms;
}

struct okta_client *okta_client_new(struct okta_org *org, struct okta_error *e)
{
	struct okta_client *c = calloc(1, sizeof(*c));
	if (c)
		c->h = okta_http_handle_new(org->ca_file, org->plain_http);
	if (!c || !c->h) {
		okta_error_local(e, "cannot create a curl handle");
		okta_client_free(c);
		return NULL;
	}
	c->org = org;
	return c;
}

const char *okta_org_url(const struct okta_org *org)
{
	return org->org_url;
}

struct okta_org *okta_client_org(struct okta_client *c)
{
	return c->org;
}

void okta_client_free(struct okta_client *c)
{
	if (!c)
		return;
	if (c->h)
		curl_easy_cleanup(c->h);
	free(c);
}

void okta_client_on_request(struct okta_client *c, okta_request_fn fn, void *ud)
{
	c->on_request = fn;
	c->on_request_ud = ud;
}

/* Tells the client's owner the request id of an answered call that may have changed something. */
static void tell_request(const struct call *k, const struct okta_http_resp *rs)
{
	struct okta_client *c = k->c;
	if (c->on_request && rs->request_id[0] && strcmp(k->method, "GET") != 0)
		c->on_request(c->on_request_ud, k->method, rs->request_id);
}

void okta_resp_free(struct okta_resp *r)
{
	if (!r)
		return;
	free(r->body);
	free(r->next);
	memset(r, 0, sizeof(*r));
}

static void count(const char *name, const struct call *k, const char *extra)
{
	char labels[96];
	snprintf(labels, sizeof(labels), "bucket=\"%s\"%s%s", okta_bucket_name(k->bucket), extra ? "," : "",
		 extra ? extra : "");
	metrics_count(name, labels, 1);
}

/* Fails e as "would pass the deadline" when waiting ms is not possible; else sleeps. */
static int wait_or_fail(struct call *k, int64_t ms, struct okta_error *e)
{
	if (mono_ms() + ms > k->deadline) {
		if (e->kind == OKTA_ERR_NONE)
			okta_error_local(e, "deadline: the call cannot wait %lld ms more", (long long)ms);
		e->retryable = 1;
		e->retry_after_ms = ms;
		return -1;
	}
	sleep_ms(ms);
	return 0;
}

/* Waits while the governor keeps this bucket's last requests in reserve. */
static int wait_governor(struct call *k, struct okta_error *e)
{
	struct okta_governor *g = k->c->org->gov;
	int64_t d;
	while ((d = okta_governor_take(g, k->bucket, clock_now_ms())) > 0) {
		d += okta_backoff_random() % 250;
		count("hookd_okta_rate_waits_total", k, NULL);
		if (mono_ms() + d > k->deadline) {
			okta_error_local(e, "rate limit: bucket %s is down to its reserve for %lld ms more",
					 okta_bucket_name(k->bucket), (long long)d);
			e->retryable = 1;
			e->rate_limited = 1;
			e->retry_after_ms = d;
			return -1;
		}
		log_debug("okta rate governor wait", "bucket", okta_bucket_name(k->bucket));
		sleep_ms(d);
	}
	return 0;
}

/* This attempt's credentials in k->auth: SSWS, or an OAuth token (Bearer, or DPoP with a fresh proof). */
static int credentials(struct call *k, int64_t left, struct okta_error *e)
{
	struct okta_org *org = k->c->org;
	okta_oauth_auth_free(&k->auth);
	if (org->ssws) {
		k->auth.authorization = strdup(org->ssws);
		if (!k->auth.authorization)
			okta_error_local(e, "out of memory");
		return k->auth.authorization ? 0 : -1;
	}
	return okta_oauth_authorize(org->oauth, k->c->h, org->gov, left, k->method, k->url, &k->auth, e);
}

/* One attempt: 0 with rs filled when an HTTP answer came, -1 with e filled otherwise. */
static int attempt(struct call *k, struct okta_http_resp *rs, struct okta_error *e)
{
	int64_t left = k->deadline - mono_ms();
	if (left <= 0) {
		okta_error_local(e, "deadline passed before the request was sent");
		e->retryable = 1;
		return -1;
	}
	if (credentials(k, left, e) < 0) {
		if (e->kind == OKTA_ERR_NONE)
			okta_error_local(e, "out of memory");
		return -1;
	}
	left = k->deadline - mono_ms();
	struct okta_http_req rq = {
		.method = k->method,
		.url = k->url,
		.authorization = k->auth.authorization,
		.dpop = k->auth.dpop,
		.content_type = k->body ? "application/json" : NULL,
		.body = k->body,
		.body_len = k->body ? strlen(k->body) : 0,
		.timeout_ms = left,
		.connect_timeout_ms = left < 5000 ? left : 5000,
	};
	return okta_http_do(k->c->h, &rq, rs, e);
}

enum dpop_next { DPOP_NONE, DPOP_RETRY, DPOP_FAIL };

/* The DPoP side of a non-2xx answer: learn its nonce, retry once on use_dpop_nonce, explain refusals. */
static enum dpop_next dpop_answer(struct call *k, const struct okta_http_resp *rs, struct okta_error *e)
{
	char err[sizeof(e->code)] = "", desc[160] = "";
	if (!k->auth.dpop)
		return DPOP_NONE;
	okta_oauth_api_nonce(k->c->org->oauth, rs->dpop_nonce);
	if (rs->status != 401 || !okta_dpop_challenge(rs->www_authenticate, err, sizeof(err), desc, sizeof(desc)))
		return DPOP_NONE;
	if (strcmp(err, "use_dpop_nonce") == 0 && rs->dpop_nonce[0] && !k->nonce_retried) {
		k->nonce_retried = 1;
		metrics_count("hookd_okta_dpop_nonce_retries_total", "server=\"api\"", 1);
		return DPOP_RETRY;
	}
	if (strcmp(err, "use_dpop_nonce") == 0)
		snprintf(e->summary, sizeof(e->summary), "DPoP nonce loop: the API asked for a new nonce %s",
			 rs->dpop_nonce[0] ? "again after a retry with the one it sent"
					   : "without a DPoP-Nonce header");
	else if (strcmp(err, "invalid_dpop_proof") == 0)
		snprintf(e->summary, sizeof(e->summary),
			 "the API refused hookd's DPoP proof (%s): check this host's clock", desc);
	else
		return DPOP_NONE;
	snprintf(e->code, sizeof(e->code), "%s", err);
	e->retryable = 0;
	return DPOP_FAIL;
}

/* Turns a 2xx into out; anything else into e. Returns 0 for 2xx. */
static int settle(struct call *k, struct okta_http_resp *rs, struct okta_resp *out, struct okta_error *e)
{
	char code[16];
	snprintf(code, sizeof(code), "code=\"%d\"", rs->status);
	count("hookd_okta_requests_total", k, code);
	if (rs->have_rate)
		okta_governor_update(k->c->org->gov, k->bucket, &rs->rate, clock_now_ms());
	if (rs->status / 100 != 2) {
		okta_error_from_http(e, rs->status, rs->body.p, rs->body.n);
		return -1;
	}
	out->status = rs->status;
	out->body = jbuf_take(&rs->body, &out->len);
	out->next = rs->next;
	rs->next = NULL;
	if (!out->body) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	return 0;
}

static int64_t retry_wait(const struct call *k, int n, const struct okta_http_resp *rs, const struct okta_error *e)
{
	struct okta_org *org = k->c->org;
	if (e->http_status == 429)
		return okta_backoff_429_ms(rs->have_rate ? rs->rate.reset_ms : 0, clock_now_ms(), 1000,
					   okta_backoff_random());
	return okta_backoff_ms(n, org->backoff_base_ms, org->backoff_cap_ms, okta_backoff_random());
}

static void log_retry(const struct call *k, int n, int64_t wait, const struct okta_error *e)
{
	char msg[640], att[16], ms[24];
	snprintf(att, sizeof(att), "%d", n + 1);
	snprintf(ms, sizeof(ms), "%lld", (long long)wait);
	log_warn("okta call failed, retrying", "method", k->method, "bucket", okta_bucket_name(k->bucket), "error",
		 okta_error_format(e, msg, sizeof(msg)), "attempt", att, "wait_ms", ms);
}

static int run(struct call *k, struct okta_resp *out, struct okta_error *e)
{
	struct okta_org *org = k->c->org;
	int renewed = 0;
	for (int n = 0;; n++) {
		struct okta_http_resp rs;
		okta_http_resp_init(&rs);
		okta_error_clear(e);
		if (wait_governor(k, e) < 0)
			return -1;
		int rc = attempt(k, &rs, e);
		if (rc == 0)
			tell_request(k, &rs);
		if (rc == 0 && settle(k, &rs, out, e) == 0) {
			if (k->auth.dpop)
				okta_oauth_api_nonce(org->oauth, rs.dpop_nonce);
			okta_http_resp_free(&rs);
			return 0;
		}
		enum dpop_next dn = rc == 0 ? dpop_answer(k, &rs, e) : DPOP_NONE;
		if (dn != DPOP_NONE) {
			okta_http_resp_free(&rs);
			if (dn == DPOP_FAIL)
				return -1;
			n--;
			continue;
		}
		if (rc == 0 && e->http_status == 401 && org->oauth && !renewed) {
			okta_oauth_invalidate(org->oauth, k->auth.token);
			renewed = 1, n--;
			okta_http_resp_free(&rs);
			continue;
		}
		if (!e->retryable || n >= org->max_retries) {
			okta_http_resp_free(&rs);
			return -1;
		}
		int64_t wait = retry_wait(k, n, &rs, e);
		okta_http_resp_free(&rs);
		count("hookd_okta_retries_total", k, NULL);
		log_retry(k, n, wait, e);
		if (wait_or_fail(k, wait, e) < 0)
			return -1;
	}
}

int okta_client_request(struct okta_client *c, const char *method, const char *path, const char *json_body,
			struct okta_resp *out, struct okta_error *e)
{
	memset(out, 0, sizeof(*out));
	okta_error_clear(e);
	if (!path || path[0] != '/') {
		okta_error_local(e, "path must start with /");
		return -1;
	}
	struct call k = {
		.c = c,
		.method = method,
		.body = json_body,
		.bucket = okta_bucket_for(method, path),
		.deadline = mono_ms() + c->org->timeout_ms,
	};
	struct jbuf u;
	jbuf_init(&u);
	jbuf_printf(&u, "%s%s", c->org->org_url, path);
	k.url = jbuf_take(&u, NULL);
	if (!k.url) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	int rc = run(&k, out, e);
	okta_oauth_auth_free(&k.auth);
	free(k.url);
	return rc;
}

int okta_org_check_credentials(struct okta_org *org, char *why, size_t whylen)
{
	if (!org->oauth) {
		snprintf(why, whylen, "API token (SSWS): no token request to make");
		return 1;
	}
	CURL *h = okta_http_handle_new(org->ca_file, org->plain_http);
	if (!h) {
		snprintf(why, whylen, "cannot create a curl handle");
		return -1;
	}
	int rc = okta_oauth_probe(org->oauth, h, org->timeout_ms, why, whylen);
	curl_easy_cleanup(h);
	return rc;
}
