/* http.c: request helpers over civetweb: body limits, deadlines, JSON errors. */
#include "hooks/http.h"

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/log.h"

#include <civetweb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *http_header(const struct http_req *r, const char *name)
{
	return mg_get_header(r->conn, name);
}

const char *http_method(const struct http_req *r)
{
	return r->ri->request_method;
}

int http_query(const struct http_req *r, const char *name, char *out, size_t n)
{
	const char *q = r->ri->query_string;
	if (!q)
		return -1;
	int rc = mg_get_var(q, strlen(q), name, out, n);
	return rc >= 0 ? 0 : -1;
}

static void send_headers(struct http_req *r, int status, const char *ctype, size_t n, int close)
{
	mg_response_header_start(r->conn, status);
	if (ctype)
		mg_response_header_add(r->conn, "Content-Type", ctype, -1);
	char len[32];
	snprintf(len, sizeof(len), "%zu", n);
	mg_response_header_add(r->conn, "Content-Length", len, -1);
	mg_response_header_add(r->conn, "Cache-Control", "no-store", -1);
	mg_response_header_add(r->conn, "X-Content-Type-Options", "nosniff", -1);
	mg_response_header_add(r->conn, "X-Request-Id", r->id, -1);
	if (close)
		mg_response_header_add(r->conn, "Connection", "close", -1);
	mg_response_header_send(r->conn);
}

void http_reply(struct http_req *r, int status, const char *ctype, const char *body, size_t n)
{
	if (r->status)
		return;
	r->status = status;
	/* A body we did not read to its end cannot be skipped safely: civetweb closes, and so do we. */
	send_headers(r, status, body ? ctype : NULL, body ? n : 0, !r->body_done);
	if (body && n)
		mg_write(r->conn, body, n);
}

void http_fail(struct http_req *r, int status, const char *code, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "error", code);
	jbuf_key_str(&b, "message", msg);
	jbuf_obj_close(&b);
	if (!b.err)
		http_reply(r, status, "application/json", b.p, b.n);
	else
		http_reply(r, status, NULL, NULL, 0);
	jbuf_free(&b);
	char st[8];
	snprintf(st, sizeof(st), "%d", status);
	log_kv(status >= 500 ? LOG_ERROR : LOG_INFO, "request refused", "req", r->id, "route", r->route, "status", st,
	       "error", code, "reason", msg, "remote", r->ri->remote_addr, (const char *)0);
}

void http_fail_method(struct http_req *r, const char *allow)
{
	if (r->status)
		return;
	mg_response_header_start(r->conn, 405);
	mg_response_header_add(r->conn, "Allow", allow, -1);
	r->status = 405;
	static const char body_fmt[] = "{\"error\":\"method_not_allowed\",\"message\":\"use %s\"}";
	char body[160];
	int n = snprintf(body, sizeof(body), body_fmt, allow);
	char len[16];
	snprintf(len, sizeof(len), "%d", n);
	mg_response_header_add(r->conn, "Content-Type", "application/json", -1);
	mg_response_header_add(r->conn, "Content-Length", len, -1);
	mg_response_header_add(r->conn, "X-Request-Id", r->id, -1);
	if (!r->body_done)
		mg_response_header_add(r->conn, "Connection", "close", -1);
	mg_response_header_send(r->conn);
	mg_write(r->conn, body, (size_t)n);
}

int http_read_body(struct http_req *r)
{
	long long cl = r->ri->content_length;
	if (cl > (long long)r->max_body) {
		http_fail(r, 413, "body_too_large", "body of %lld bytes exceeds the limit of %zu bytes", cl, r->max_body);
		return -1;
	}
	/* cl < 0: chunked (or no length); count what arrives and stop one byte past the limit. */
	size_t cap = cl >= 0 ? (size_t)cl + 1 : 16384;
	char *buf = malloc(cap);
	size_t n = 0;
	if (!buf) {
		http_fail(r, 503, "out_of_memory", "cannot buffer the body");
		return -1;
	}
	for (;;) {
		if (clock_mono_ns() > r->deadline_ns) {
			free(buf);
			http_fail(r, 408, "request_timeout", "the body did not arrive within the request deadline");
			return -1;
		}
		if (n + 1 >= cap) {
			if (cap > r->max_body + 1) {
				free(buf);
				http_fail(r, 413, "body_too_large", "body exceeds the limit of %zu bytes", r->max_body);
				return -1;
			}
			size_t ncap = cap * 2 > r->max_body + 2 ? r->max_body + 2 : cap * 2;
			char *nb = realloc(buf, ncap);
			if (!nb) {
				free(buf);
				http_fail(r, 503, "out_of_memory", "cannot buffer the body");
				return -1;
			}
			buf = nb;
			cap = ncap;
		}
		int got = mg_read(r->conn, buf + n, cap - n - 1);
		if (got == 0)
			break;
		if (got < 0) {
			free(buf);
			http_fail(r, 400, "body_read_failed", "the connection failed while reading the body");
			return -1;
		}
		n += (size_t)got;
		if (n > r->max_body) {
			free(buf);
			http_fail(r, 413, "body_too_large", "body exceeds the limit of %zu bytes", r->max_body);
			return -1;
		}
	}
	if (cl >= 0 && n != (size_t)cl) {
		free(buf);
		http_fail(r, 400, "body_incomplete", "the body ended after %zu of %lld bytes", n, cl);
		return -1;
	}
	buf[n] = '\0';
	r->body = buf;
	r->body_len = n;
	r->body_done = 1;
	return 0;
}
