/* http.h: one HTTP exchange with Okta on a reused libcurl easy handle (no retries, no auth logic). */
#ifndef HOOKD_OKTA_HTTP_H
#define HOOKD_OKTA_HTTP_H

#include <curl/curl.h>
#include <stddef.h>
#include <stdint.h>

#include "core/jbuf.h"
#include "okta/error.h"
#include "okta/governor.h"

/* Largest response body accepted; a larger one fails the exchange (not retried). */
#define OKTA_HTTP_MAX_BODY (4u << 20)

/*
 * Creates an easy handle set up for Okta: TLS 1.2+, peer and host verification on, ca_file as CA
 * bundle when not NULL, only https (or only http when allow_http, for okta-sim on loopback), no
 * redirects, TCP keep-alive, no signals. NULL when curl cannot. Free with curl_easy_cleanup.
 * curl_global_init must have run.
 */
CURL *okta_http_handle_new(const char *ca_file, int allow_http);

struct okta_http_req {
	const char *method;	  /* "GET", "POST", "PUT", "DELETE" */
	const char *url;	  /* absolute */
	const char *content_type; /* NULL: no body */
	const char *body;
	size_t body_len;
	const char *authorization; /* whole header value ("SSWS ...", "Bearer ..."), or NULL; a secret */
	const char *dpop;	   /* DPoP proof for a "DPoP" header, or NULL; a credential */
	int64_t timeout_ms;	   /* whole exchange */
	int64_t connect_timeout_ms;
};

struct okta_http_resp {
	int status;
	struct jbuf body;	    /* NUL-terminated when status != 0 */
	int have_rate;		    /* 1 when all three X-Rate-Limit-* headers came */
	struct okta_rate rate;	    /* reset_ms already on the local clock */
	char dpop_nonce[1024];	    /* DPoP-Nonce header, "" when absent or longer */
	char www_authenticate[512]; /* WWW-Authenticate header (truncated), "" when absent */
	char *next;		    /* the Link rel="next" target (malloc'd), or NULL */
	char request_id[128];	    /* X-Okta-Request-Id, "" when absent (or not 1..127 visible ASCII bytes) */
};

/* Empties r for a new exchange; frees nothing. */
void okta_http_resp_init(struct okta_http_resp *r);
/* Frees the body; NULL-safe. */
void okta_http_resp_free(struct okta_http_resp *r);

/*
 * Performs rq on h. Returns 0 when an HTTP response of any status arrived (rs filled, caller
 * frees with okta_http_resp_free), -1 on transport failure (e filled, rs freed).
 */
int okta_http_do(CURL *h, const struct okta_http_req *rq, struct okta_http_resp *rs, struct okta_error *e);

/* Percent-encodes s for a path segment or query value (RFC 3986 unreserved kept). Malloc'd; NULL on OOM. */
char *okta_http_escape(const char *s);

#endif
