/* error.h: what went wrong in an Okta call: an Okta error object, an OAuth error, a transport failure. */
#ifndef HOOKD_OKTA_ERROR_H
#define HOOKD_OKTA_ERROR_H

#include <stddef.h>
#include <stdint.h>

enum okta_err_kind {
	OKTA_ERR_NONE = 0,
	OKTA_ERR_API,	    /* HTTP error status; code/summary from Okta's error object when it had one */
	OKTA_ERR_OAUTH,	    /* the token endpoint refused: code = OAuth "error", summary = description */
	OKTA_ERR_TRANSPORT, /* no usable HTTP response: connect, TLS, timeout, response too large */
	OKTA_ERR_LOCAL,	    /* refused before sending: bad argument, bad key, deadline already spent */
};

/*
 * One failure, small and copyable. Strings are NUL-terminated and truncated to fit; none of them
 * ever holds a secret. retry_after_ms > 0 says when a retry may succeed (rate limit, deadline).
 */
struct okta_error {
	enum okta_err_kind kind;
	int http_status;	/* 0 when there was no HTTP response */
	char code[32];		/* "E0000007", "invalid_client", "" */
	char summary[256];	/* errorSummary, error_description or the transport's message */
	char cause[256];	/* first errorCauses[].errorSummary, "" when none */
	char id[64];		/* errorId, for Okta support */
	int retryable;		/* 1: the same call may succeed later (429, 5xx, network) */
	int transport;		/* CURLcode of a transport failure, else 0 */
	int64_t retry_after_ms; /* hint for the job's next run_at; 0: use your own backoff */
	int rate_limited;	/* 1: a 429, or the governor held the call back: not the call's own failure */
};

/* Empties e (kind OKTA_ERR_NONE). */
void okta_error_clear(struct okta_error *e);

/*
 * Fills e from an HTTP error response: status plus body, which is parsed as an Okta error object
 * ({errorCode, errorSummary, errorLink, errorId, errorCauses:[{errorSummary}]}) or, failing that,
 * as an OAuth error ({error, error_description}). A body that is neither (HTML from a proxy,
 * empty, truncated) leaves a generic summary "HTTP <status>". Sets retryable for 429 and 5xx.
 */
void okta_error_from_http(struct okta_error *e, int http_status, const char *body, size_t len);

/* Fills e as a transport failure with curl's code and message; retryable when transient. */
void okta_error_transport(struct okta_error *e, int curl_code, const char *msg);

/* Fills e as a local refusal (nothing was sent), printf-style. */
void okta_error_local(struct okta_error *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* 1 when e is Okta's "not found" (404 / E0000007). */
int okta_error_is_not_found(const struct okta_error *e);
/*
 * 1 when e is createUser's duplicate-login refusal: 400 E0000001 whose cause says the login
 * "already exists". The caller looks the user up and continues.
 */
int okta_error_is_duplicate_login(const struct okta_error *e);
/* 1 when e is 401 (bad, expired or revoked credentials). */
int okta_error_is_unauthorized(const struct okta_error *e);
/*
 * 1 when a lifecycle call was refused for the user's current status: 403 E0000016 (activate on a
 * user already activated) or 403 E0000038 (not allowed in the current status). The status changed
 * since the caller read it (another actor, or the caller's own earlier call whose answer was lost).
 */
int okta_error_is_status_conflict(const struct okta_error *e);

/* One line for logs and job records: "HTTP 404 E0000007: Not found: ... (cause)". Returns out. */
const char *okta_error_format(const struct okta_error *e, char *out, size_t n);

#endif
