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
#include <time.h>

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

/* The client's wish from Connection and the HTTP version, as civetweb decides keep-alive. */
static int client_keeps_alive(const struct http_req *r)
{
	const char *c = mg_get_header(r->conn, "Connection");
	if (c)
		return strcasestr(c, "keep-alive") != NULL;
	return r->ri->http_version && strcmp(r->ri->http_version, "1.1") == 0;
}

/*
 * Makes civetweb close the connection after this response instead of reading and discarding
 * what is left of the body (which a client can trickle forever). civetweb 1.16 has no public call
 * for that; mg_send_http_error sets its must_close flag and, once a response has been written
 * (mg_write put the connection in the "data sent" state), writes nothing for a 304, which has no
 * body. Pinned to the civetweb version scripts/fetch-civetweb.sh fetches; t_okta_hook checks it.
 */
static void close_after_reply(struct http_req *r)
{
	mg_send_http_error(r->conn, 304, "%s", "");
}

/*
 * Writes the whole response (status line, headers, body) with one mg_write: one TLS record, one
 * TCP send. civetweb's header calls write each line on its own, which costs a packet per line.
 */
static void send_response(struct http_req *r, int status, const char *ctype, const char *body, size_t n,
			  const char *extra)
{
	if (r->status)
		return;
	r->status = status;
	int keep = r->body_done && client_keeps_alive(r);
	char date[64];
	time_t now = time(NULL);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S GMT", &tm);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_printf(&b, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status, mg_get_response_code_text(r->conn, status), date);
	if (body && ctype)
		jbuf_printf(&b, "Content-Type: %s\r\n", ctype);
	jbuf_printf(&b, "Content-Length: %zu\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
			"X-Request-Id: %s\r\nConnection: %s\r\n%s\r\n",
		    body ? n : 0, r->id, keep ? "keep-alive" : "close", extra ? extra : "");
	if (body && n)
		jbuf_put(&b, body, n);
	if (!b.err)
		mg_write(r->conn, b.p, b.n);
	jbuf_free(&b);
	if (!keep)
		close_after_reply(r);
}

void http_reply(struct http_req *r, int status, const char *ctype, const char *body, size_t n)
{
	send_response(r, status, ctype, body, n, NULL);
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
	char body[160], extra[96];
	int n = snprintf(body, sizeof(body), "{\"error\":\"method_not_allowed\",\"message\":\"use %s\"}", allow);
	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	send_response(r, 405, "application/json", body, (size_t)n, extra);
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
