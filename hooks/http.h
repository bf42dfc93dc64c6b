/* http.h: one HTTP request as hookd's handlers see it: bounded body, deadline, JSON answers. */
#ifndef HOOKD_HTTP_H
#define HOOKD_HTTP_H

#include <stddef.h>
#include <stdint.h>

struct mg_connection;
struct mg_request_info;

struct http_req {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	const char *route;   /* metrics label: the route's path */
	char id[24];         /* request id, logged and sent back as X-Request-Id */
	int64_t start_ns;    /* monotonic */
	int64_t deadline_ns; /* body reads fail with 408 after this */
	size_t max_body;
	char *body;          /* NUL-terminated after http_read_body; freed by http_req_release */
	size_t body_len;
	size_t body_reserved; /* bytes of the process-wide body budget this request holds */
	int status;          /* 0 until answered */
	int body_done;       /* the body was read to its end */
};

/*
 * Reads the whole body into r->body, enforcing max_body for Content-Length and chunked bodies alike
 * (413) and the total deadline (408). Returns 0, or -1 once it has answered the request itself.
 */
int http_read_body(struct http_req *r);

/*
 * The body-deadline watchdog (one thread per process): started by the server with one slot per
 * request thread (and some for closing connections), stopped after it. Without it a client
 * trickling its body keeps a request thread past request_timeout.
 */
void http_watchdog_start(int slots);
void http_watchdog_stop(void);

/*
 * Bodies being buffered by all requests together may hold at most bytes (default 256 MiB); a body
 * that would pass it is refused 503 "overloaded". Set before the server starts.
 */
void http_body_budget_set(size_t bytes);
/* Bytes of the budget held right now (for /metrics). */
size_t http_body_bytes(void);
/* Frees the body and gives its bytes back to the budget. The server calls it after each request. */
void http_req_release(struct http_req *r);

/* A request header (case-insensitive) or NULL. */
const char *http_header(const struct http_req *r, const char *name);
const char *http_method(const struct http_req *r);
/* Decoded query parameter name into out; 0 when present, -1 when absent or too long. */
int http_query(const struct http_req *r, const char *name, char *out, size_t n);

/* Sends status with body (may be NULL for an empty body) and content type. Answers once only. */
void http_reply(struct http_req *r, int status, const char *ctype, const char *body, size_t n);
/*
 * Every client-facing failure leaves through here: {"error": code, "message": formatted}, with
 * Connection: close when the body was not read to its end. Logged with the request id.
 */
void http_fail(struct http_req *r, int status, const char *code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* 405 with an Allow header. */
void http_fail_method(struct http_req *r, const char *allow);

#endif
