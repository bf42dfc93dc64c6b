/* client.h: the Okta Management API client: one shared org handle, one client (curl handle) per worker. */
#ifndef HOOKD_OKTA_CLIENT_H
#define HOOKD_OKTA_CLIENT_H

#include <stddef.h>

#include "okta/error.h"
#include "okta/governor.h"
#include "okta/opts.h"

/*
 * What every worker shares: settings, credentials (the OAuth token cache), the rate governor.
 * Thread-safe once created.
 */
struct okta_org;
/* One worker's connection (a libcurl easy handle, kept alive). Used by one thread at a time. */
struct okta_client;

/*
 * Creates the shared org from o (copied; o may be freed afterwards). g is the rate governor to
 * share, borrowed (must outlive the org); NULL makes a private in-memory one with o->rate_reserve.
 * Calls curl_global_init, so create orgs before starting threads. NULL with e filled.
 */
struct okta_org *okta_org_new(const struct okta_opts *o, struct okta_governor *g, struct okta_error *e);
/* Frees the org; every client made from it must be freed first. NULL-safe. */
void okta_org_free(struct okta_org *org);
/* The governor the org uses (its own or the borrowed one). */
struct okta_governor *okta_org_governor(struct okta_org *org);

/* The org URL calls go to ("https://example.okta.com", no trailing slash). */
const char *okta_org_url(const struct okta_org *org);
/* The org a client was made from. */
struct okta_org *okta_client_org(struct okta_client *c);

/* A client of org (borrowed: it must outlive the client). NULL with e filled. */
struct okta_client *okta_client_new(struct okta_org *org, struct okta_error *e);
/* NULL-safe; closes the kept-alive connection. */
void okta_client_free(struct okta_client *c);

/*
 * Called with the X-Okta-Request-Id of every answered attempt of a call that is not a GET (any
 * status: a refused or failed call may still have caused an event), on the calling thread,
 * before okta_client_request returns. request_id is borrowed for the call.
 */
typedef void (*okta_request_fn)(void *ud, const char *method, const char *request_id);
/* Sets (or with NULL clears) c's request callback; ud is borrowed. */
void okta_client_on_request(struct okta_client *c, okta_request_fn fn, void *ud);

/* A successful response. body is NUL-terminated; the caller frees with okta_resp_free. */
struct okta_resp {
	int status;
	char *body;
	size_t len;
	char *next; /* absolute URL of the Link rel="next" page, or NULL */
};
void okta_resp_free(struct okta_resp *r);

/*
 * Sends method path (path starts with "/", may carry a query already encoded) with an optional
 * JSON body, with the org's credentials. Waits for the rate governor, retries 429 (until
 * X-Rate-Limit-Reset plus jitter), 5xx and network errors with full-jitter backoff up to
 * max_retries, renews an OAuth token once on 401, all within the org's total deadline.
 * Returns 0 for a 2xx (out filled, caller frees) or -1 with e filled; when the deadline would be
 * passed by a wait, returns at once with e->retryable and e->retry_after_ms set.
 */
int okta_client_request(struct okta_client *c, const char *method, const char *path, const char *json_body,
			struct okta_resp *out, struct okta_error *e);

/*
 * For `hookd doctor`: with OAuth, performs one token request now (DPoP included) and returns 0
 * with "token request succeeded (...)" in why, or -1 with the clear error (wrong key registered,
 * DPoP required but off, DPoP proof refused: clock skew, nonce loop, network). With an API token
 * returns 1 (nothing to request). Thread-safe.
 */
int okta_org_check_credentials(struct okta_org *org, char *why, size_t whylen);

/* Backoff base and cap for retries (default 250 ms and 8 s); for tests that want fast retries. */
void okta_org_set_backoff(struct okta_org *org, int64_t base_ms, int64_t cap_ms);

#endif
