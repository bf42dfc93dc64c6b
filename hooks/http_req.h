/* http_req.h: the inside of struct http_req, for hooks/server.c and hooks/http.c only (handlers use http.h). */
#ifndef HOOKD_HTTP_REQ_H
#define HOOKD_HTTP_REQ_H

#include "hooks/http.h"

#include <stdint.h>

struct mg_connection;
struct mg_request_info;

struct http_req {
	struct mg_connection *conn;
	const struct mg_request_info *ri;
	const char *route;   /* metrics label: the route's path */
	char id[24];	     /* request id, logged and sent back as X-Request-Id */
	int64_t start_ns;    /* monotonic */
	int64_t deadline_ns; /* body reads fail with 408 after this */
	size_t max_body;
	char *body; /* NUL-terminated after http_read_body; freed by http_req_release */
	size_t body_len;
	size_t body_reserved; /* bytes of the process-wide body budget this request holds */
	int status;	      /* 0 until answered */
	int body_done;	      /* the body was read to its end */
	int no_drain;	      /* close without reading what is left: its framing cannot be trusted */
	int expect_continue;  /* the client waits for 100 Continue before it sends the body */
	int head;	      /* HEAD: the answer's headers without its body */
};

/* Frees the body and gives its bytes back to the budget. The server calls it after each request. */
void http_req_release(struct http_req *r);
/* Fills r for conn (civetweb's connection) as every request starts: no body read, no answer. */
void http_req_init(struct http_req *r, struct mg_connection *conn, const char *route, int64_t timeout_ms,
		   size_t max_body);

#endif
