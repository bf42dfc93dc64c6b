/* http.h: one request as okta-sim sees it (path segments, query, bounded body) and every way to answer it. */
#ifndef OKTA_SIM_HTTP_H
#define OKTA_SIM_HTTP_H

#include <stddef.h>

#include "core/jbuf.h"
#include "sim/principal.h"

struct mg_connection;
struct mg_request_info;
struct sim;

#define HTTP_MAX_SEG 10
#define HTTP_MAX_HDR 8

/* Per-request state; lives on the handler's stack. */
struct http_req {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	struct sim *sim;
	const char *method;
	char path[1024];
	const char *query;
	char *seg[HTTP_MAX_SEG];
	int nseg;
	char segbuf[1024];
	char *body;
	size_t body_len;
	struct {
		char name[40];
		char value[2048];
	} hdr[HTTP_MAX_HDR];
	int nhdr;
	struct principal who;
	int authed;
	char api_token_id[24]; /* the SSWS token's id when the call used one, else "" */
	int console;	       /* X-Sim-Console: true: the token owner in the Admin Console (no token) */
	char request_id[28];
	int status;
	/* what the gate decided, for the request log */
	const char *bucket;
	const char *fault;
	long long rl_reset_s;
	long rl_remaining;
	int lose_reply;	 /* FAULT_LOST: the reply is replaced by a dropped connection */
	int lost_status; /* ...and the status it would have had */
};

/*
 * Fills r from the connection: raw path split at '/' into percent-decoded segments (so an encoded
 * "%2F" stays inside its segment), query string. Returns -1 after answering 400/414 itself.
 */
int http_req_init(struct http_req *r, struct mg_connection *conn, struct sim *sim);
/* Frees the body. */
void http_req_free(struct http_req *r);
/* Reads the body (at most SIM_BODY_MAX bytes, NUL-terminated). Returns -1 after answering 413. */
int http_read_body(struct http_req *r);
/* 1 when segment i exists and equals s. */
int http_seg_is(const struct http_req *r, int i, const char *s);
/* Request header value or NULL. */
const char *http_header_in(const struct http_req *r, const char *name);

/*
 * Query parameter name, decoded, into out. Returns 1 when present, 0 when absent, -1 when it
 * does not fit.
 */
int http_query(const struct http_req *r, const char *name, char *out, size_t n);
/* Boolean parameter ("true"/"false", any case); absent gives dflt. Returns -1 for other values. */
int http_query_bool(const struct http_req *r, const char *name, int dflt, int *out);
/* Same for form-encoded text (the OAuth token request body). */
int http_form(const char *body, size_t n, const char *name, char *out, size_t outn);

/* Adds a response header for the reply to come (at most HTTP_MAX_HDR; extra ones are dropped). */
void http_add_header(struct http_req *r, const char *name, const char *value);

/* Sends status with a JSON body (n may be 0 for an empty body) plus the queued headers. */
void http_reply(struct http_req *r, int status, const char *body, size_t n);
/* Sends b's bytes (500 when b failed) and frees b. */
void http_reply_jbuf(struct http_req *r, int status, struct jbuf *b);
/* Okta error object {errorCode, errorSummary, errorLink, errorId, errorCauses[]}; cause may be NULL. */
void http_okta_error(struct http_req *r, int status, const char *code, const char *summary, const char *cause);
/* okta-sim's own endpoints: {"error": code, "message": why}. */
void http_fail(struct http_req *r, int status, const char *code, const char *message);
/* OAuth 2.0 error {"error", "error_description"}. */
void http_oauth_error(struct http_req *r, int status, const char *error, const char *desc);
/* Closes the connection without answering (fault injection). */
void http_drop(struct http_req *r);

/* Percent-decodes src[0..n) into out (n + 1 bytes); '+' stays '+'. Returns -1 on a bad escape or NUL. */
int http_pct_decode(const char *src, size_t n, char *out);
/* Appends s percent-encoded for a query component. */
void http_pct_encode(struct jbuf *b, const char *s);

#endif
