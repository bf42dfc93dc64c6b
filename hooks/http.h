/* http.h: one HTTP request as hookd's handlers see it: bounded body, deadline, JSON answers. */
#ifndef HOOKD_HTTP_H
#define HOOKD_HTTP_H

#include "core/slice.h"

#include <stddef.h>

/*
 * One request being answered, owned by the server for the handler's call; handlers see it only
 * through these functions (its fields are in hooks/http_req.h, for server.c and http.c).
 */
struct http_req;

/*
 * Reads the whole body (then http_body), enforcing max_body for Content-Length and chunked bodies alike
 * (413) and the total deadline (408). Returns 0, or -1 once it has answered the request itself.
 */
int http_read_body(struct http_req *r);

/* A request header (case-insensitive) or NULL. */
const char *http_header(const struct http_req *r, const char *name);
const char *http_method(const struct http_req *r);
/* The decoded URL path, without the query string; "" when civetweb has none. */
const char *http_path(const struct http_req *r);
/* The body read by http_read_body (NUL-terminated, p never NULL); empty before. */
struct slice http_body(const struct http_req *r);
/* The request id, logged and sent back as X-Request-Id. */
const char *http_req_id(const struct http_req *r);
/* Decoded query parameter name into out; 0 when present, -1 when absent, -2 when longer than n - 1 bytes. */
int http_query(const struct http_req *r, const char *name, char *out, size_t n);

/* Sends status with body (may be NULL for an empty body) and content type. Answers once only. */
void http_reply(struct http_req *r, int status, const char *ctype, const char *body, size_t n);
/*
 * Every client-facing failure leaves through here: {"error": code, "message": formatted}, with
 * Connection: close when the body was not read to its end. Logged with the request id.
 */
void http_fail(struct http_req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/*
 * http_reply with more header lines (extra: "Name: value\r\n" each, built by the caller from trusted
 * text: no CR or LF inside a value): Set-Cookie, Location, Content-Security-Policy.
 */
void http_reply_headers(struct http_req *r, int status, const char *ctype, const char *body, size_t n,
			const char *extra);
/* The peer's address as text ("127.0.0.1"). */
const char *http_remote_addr(const struct http_req *r);
/*
 * Called with every refusal http_fail sends (route label, path, status, code, message), for the
 * admin API's per-source refusal counts. Set once before serving; NULL stops it. fn must be thread-safe.
 */
typedef void (*http_fail_observer)(const char *route, const char *path, int status, const char *code, const char *msg);
void http_observe_failures(http_fail_observer fn);
/* 405 with an Allow header. */
void http_fail_method(struct http_req *r, const char *allow);

#endif
