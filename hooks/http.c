/* http.c: request helpers over civetweb: accessors, body limits, deadlines, JSON errors. */
#include "hooks/http_req.h"

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/log.h"
#include "hooks/http_budget.h"
#include "hooks/http_guard.h"
#include "hooks/http_refusals.h"
#include "hooks/http_watchdog.h"

#include <civetweb.h>
#include <stdarg.h>
#include <stdatomic.h>
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

const char *http_path(const struct http_req *r)
{
	return r->ri->local_uri ? r->ri->local_uri : "";
}

struct slice http_body(const struct http_req *r)
{
	return (struct slice){ r->body ? r->body : "", r->body_len };
}

const char *http_req_id(const struct http_req *r)
{
	return r->id;
}

int http_query(const struct http_req *r, const char *name, char *out, size_t n)
{
	const char *q = r->ri->query_string;
	if (!q)
		return -1;
	int rc = mg_get_var(q, strlen(q), name, out, n);
	return rc >= 0 ? 0 : rc == -2 && n > 0 ? -2 : -1;
}

/* The client's wish from Connection and the HTTP version, as civetweb decides keep-alive. */
static int client_keeps_alive(const struct http_req *r)
{
	const char *c = mg_get_header(r->conn, "Connection");
	if (c)
		return strcasestr(c, "keep-alive") != NULL;
	return r->ri->http_version && strcmp(r->ri->http_version, "1.1") == 0;
}

/* The body watchdog's slot for this request's connection until deadline_ns (see http_watchdog.h). */
static int watch_begin(const struct http_req *r, int64_t deadline_ns, int linger)
{
	return http_watch_begin(r->ri->remote_addr, r->ri->remote_port, r->ri->server_port, deadline_ns, linger);
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
	/*
	 * A lingering close, bounded: read and drop what the client is still sending (at most 4 MiB
	 * within 1 s, the watchdog cuts a trickle) so that closing does not reset the connection
	 * before the client has read our answer.
	 */
	if (!r->body_done && !r->no_drain) {
		int slot = watch_begin(r, clock_mono_ns() + 1000000000LL, 0);
		char buf[16384];
		size_t total = 0;
		int64_t until = clock_mono_ns() + 1000000000LL;
		int got;
		while (total < 4 * 1048576 && clock_mono_ns() < until && (got = mg_read(r->conn, buf, sizeof(buf))) > 0)
			total += (size_t)got;
		http_watch_end(slot);
	}
	mg_send_http_error(r->conn, 304, "%s", "");
	mg_disable_connection_keep_alive(r->conn);
	/* civetweb's own graceful close still drains; bound that to 1 s too. */
	if (!r->body_done)
		watch_begin(r, clock_mono_ns() + 1000000000LL, 1);
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
	/* A client waiting for 100 Continue gets its answer instead, and the connection closes. */
	if (r->expect_continue)
		r->no_drain = 1;
	/* While request threads run low, connections are not kept: a held one is a thread. */
	int keep = r->body_done && !r->no_drain && client_keeps_alive(r) && !http_guard_busy();
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
	jbuf_printf(&b,
		    "Content-Length: %zu\r\nCache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\n"
		    "X-Request-Id: %s\r\nConnection: %s\r\n%s\r\n",
		    body ? n : 0, r->id, keep ? "keep-alive" : "close", extra ? extra : "");
	if (body && n && !r->head)
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

void http_reply_headers(struct http_req *r, int status, const char *ctype, const char *body, size_t n,
			const char *extra)
{
	send_response(r, status, ctype, body, n, extra);
}

const char *http_remote_addr(const struct http_req *r)
{
	return r->ri->remote_addr;
}

static http_fail_observer _Atomic fail_observer;

void http_observe_failures(http_fail_observer fn)
{
	atomic_store(&fail_observer, fn);
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
	/* An attacker's refusals must not flood the log: the first of each reason in full, then counts. */
	if (!http_refusal_note(code, clock_mono_ns()))
		return;
	char st[8];
	snprintf(st, sizeof(st), "%d", status);
	http_fail_observer obs = atomic_load(&fail_observer);
	if (obs)
		obs(r->route, http_path(r), status, code, msg);
	log_kv(status >= 500 ? LOG_ERROR : LOG_INFO, "request refused", "req", r->id, "route", r->route, "#status", st,
	       "error", code, "reason", msg, "remote", r->ri->remote_addr, (const char *)0);
}

void http_fail_method(struct http_req *r, const char *allow)
{
	char body[160], extra[96];
	int n = snprintf(body, sizeof(body), "{\"error\":\"method_not_allowed\",\"message\":\"use %s\"}", allow);
	snprintf(extra, sizeof(extra), "Allow: %s\r\n", allow);
	send_response(r, 405, "application/json", body, (size_t)n, extra);
}

void http_req_init(struct http_req *r, struct mg_connection *conn, const char *route, int64_t timeout_ms,
		   size_t max_body)
{
	memset(r, 0, sizeof(*r));
	r->conn = conn;
	r->ri = mg_get_request_info(conn);
	r->route = route;
	r->start_ns = clock_mono_ns();
	r->deadline_ns = r->start_ns + timeout_ms * 1000000;
	r->max_body = max_body;
	r->body_done =
		r->ri->content_length == 0 || (r->ri->content_length < 0 && !mg_get_header(conn, "Transfer-Encoding"));
	r->head = strcmp(r->ri->request_method, "HEAD") == 0;
}

void http_req_release(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
	http_budget_give(r->body_reserved);
	r->body_reserved = 0;
}

static int budget_take(struct http_req *r, size_t n)
{
	if (http_budget_take(n) < 0)
		return -1;
	r->body_reserved += n;
	return 0;
}

/* Why a body read failed: the answer read_body gives. */
struct body_error {
	int status;
	const char *code, *why; /* why NULL: the 413 message with the limit */
};

static const struct body_error overloaded = { 503, "overloaded",
					      "too many request bodies are being received at once; retry" },
			       no_memory = { 503, "out_of_memory", "cannot buffer the body" },
			       too_late = { 408, "request_timeout",
					    "the body did not arrive within the request deadline" },
			       too_large = { 413, "body_too_large", NULL },
			       read_failed = { 400, "body_read_failed",
					       "the connection failed while reading the body" };

/* Frees buf and what the request holds of the budget, then answers e. Returns -1. */
static int body_fail(struct http_req *r, char *buf, const struct body_error *e)
{
	free(buf);
	http_req_release(r);
	if (!e->why)
		http_fail(r, e->status, e->code, "body exceeds the limit of %zu bytes", r->max_body);
	else
		http_fail(r, e->status, e->code, "%s", e->why);
	return -1;
}

/* Doubles *buf (up to max_body + 2 bytes), with budget. NULL, or the error to answer. */
static const struct body_error *grow(struct http_req *r, char **buf, size_t *cap)
{
	if (*cap > r->max_body + 1)
		return &too_large;
	size_t ncap = *cap * 2 > r->max_body + 2 ? r->max_body + 2 : *cap * 2;
	if (budget_take(r, ncap - *cap) < 0)
		return &overloaded;
	char *nb = realloc(*buf, ncap);
	if (!nb)
		return &no_memory;
	*buf = nb;
	*cap = ncap;
	return NULL;
}

/*
 * Reads into buf (capacity cap, owned: it may be reallocated) until the body ends. Returns the
 * bytes read in *n and NULL, or the error to answer.
 */
static const struct body_error *read_all(struct http_req *r, char **buf, size_t cap, size_t *n)
{
	const struct body_error *e;
	for (;;) {
		if (clock_mono_ns() > r->deadline_ns)
			return &too_late;
		if (*n + 1 >= cap && (e = grow(r, buf, &cap)))
			return e;
		int got = mg_read(r->conn, *buf + *n, cap - *n - 1);
		if (got <= 0 && clock_mono_ns() > r->deadline_ns)
			return &too_late;
		if (got == 0)
			return NULL;
		if (got < 0)
			return &read_failed;
		*n += (size_t)got;
		if (*n > r->max_body)
			return &too_large;
	}
}

static int read_body(struct http_req *r)
{
	long long cl = r->ri->content_length;
	if (cl > (long long)r->max_body) {
		http_fail(r, 413, "body_too_large", "body of %lld bytes exceeds the limit of %zu bytes", cl,
			  r->max_body);
		return -1;
	}
	/* cl < 0: chunked (or no length); count what arrives and stop one byte past the limit. */
	size_t cap = cl >= 0 ? (size_t)cl + 1 : 16384;
	size_t n = 0;
	char *buf = NULL;
	const struct body_error *e;
	if (budget_take(r, cap) < 0)
		return body_fail(r, buf, &overloaded);
	if (!(buf = malloc(cap)))
		return body_fail(r, buf, &no_memory);
	if (r->expect_continue) {
		static const char cont[] = "HTTP/1.1 100 Continue\r\n\r\n";
		mg_write(r->conn, cont, sizeof(cont) - 1);
		r->expect_continue = 0;
	}
	if ((e = read_all(r, &buf, cap, &n)))
		return body_fail(r, buf, e);
	if (cl >= 0 && n != (size_t)cl) {
		free(buf);
		http_req_release(r);
		http_fail(r, 400, "body_incomplete", "the body ended after %zu of %lld bytes", n, cl);
		return -1;
	}
	buf[n] = '\0';
	r->body = buf;
	r->body_len = n;
	r->body_done = 1;
	return 0;
}

int http_read_body(struct http_req *r)
{
	int slot = watch_begin(r, r->deadline_ns, 0);
	http_guard_body_start();
	int rc = read_body(r);
	http_guard_body_end();
	http_watch_end(slot);
	return rc;
}
