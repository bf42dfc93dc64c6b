/* http.c: request helpers over civetweb: body limits, deadlines, JSON errors. */
#include "hooks/http.h"

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/log.h"

#include <arpa/inet.h>
#include <civetweb.h>
#include <dirent.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <unistd.h>
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

static int watch_begin(const struct http_req *r, int64_t deadline_ns, int linger);

/*
 * Makes civetweb close the connection after this response instead of reading and discarding
 * what is left of the body (which a client can trickle forever). civetweb 1.16 has no public call
 * for that; mg_send_http_error sets its must_close flag and, once a response has been written
 * (mg_write put the connection in the "data sent" state), writes nothing for a 304, which has no
 * body. Pinned to the civetweb version scripts/fetch-civetweb.sh fetches; t_okta_hook checks it.
 */
static void watch_end(int slot);

static void close_after_reply(struct http_req *r)
{
	/*
	 * A lingering close, bounded: read and drop what the client is still sending (at most 4 MiB
	 * within 1 s, the watchdog cuts a trickle) so that closing does not reset the connection
	 * before the client has read our answer.
	 */
	if (!r->body_done) {
		int slot = watch_begin(r, clock_mono_ns() + 1000000000LL, 0);
		char buf[16384];
		size_t total = 0;
		int64_t until = clock_mono_ns() + 1000000000LL;
		int got;
		while (total < 4 * 1048576 && clock_mono_ns() < until && (got = mg_read(r->conn, buf, sizeof(buf))) > 0)
			total += (size_t)got;
		watch_end(slot);
	}
	mg_send_http_error(r->conn, 304, "%s", "");
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

/*
 * The body watchdog. civetweb's mg_read keeps reading as long as bytes keep coming, however slowly,
 * so a trickling client could hold a request thread far past any deadline. Every read of a body is
 * registered here; a thread checks the deadlines every 200 ms and shuts the reading side of an
 * overdue connection's socket, which ends the read at once (the handler then answers 408).
 */
struct watch {
	int used, fired;
	int linger; /* a closing connection: the slot is freed when it fires */
	int64_t deadline_ns;
	char addr[48];
	int peer_port, local_port;
};

/* Slots for every request thread (plus closing connections); free slots form a stack. */
static struct {
	pthread_mutex_t mu;
	struct watch *slot;
	int *free_ids;
	int nslots, nfree;
	pthread_t thread;
	atomic_int running;
	atomic_int started;
} wd = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* A socket's (local port, peer port, peer address); -1 when fd is not a connected IP socket. */
static int sock_tuple(int fd, int *lport, int *pport, char *addr, size_t addrlen)
{
	struct sockaddr_storage local, peer;
	socklen_t ll = sizeof(local), pl = sizeof(peer);
	if (getsockname(fd, (struct sockaddr *)&local, &ll) < 0 || getpeername(fd, (struct sockaddr *)&peer, &pl) < 0 ||
	    local.ss_family != peer.ss_family)
		return -1;
	if (peer.ss_family == AF_INET) {
		*lport = ntohs(((struct sockaddr_in *)&local)->sin_port);
		*pport = ntohs(((struct sockaddr_in *)&peer)->sin_port);
		inet_ntop(AF_INET, &((struct sockaddr_in *)&peer)->sin_addr, addr, (socklen_t)addrlen);
		return 0;
	}
	if (peer.ss_family == AF_INET6) {
		*lport = ntohs(((struct sockaddr_in6 *)&local)->sin6_port);
		*pport = ntohs(((struct sockaddr_in6 *)&peer)->sin6_port);
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&peer)->sin6_addr, addr, (socklen_t)addrlen);
		return 0;
	}
	return -1;
}

/*
 * Shuts the read side of the sockets of the n overdue watches, found among our descriptors by
 * (local port, peer address and port). One pass over the descriptors serves every overdue watch of
 * a tick, so thousands of open connections cost one scan, not one per cut-off. Sets shut[i].
 */
static void shut_reads(const struct watch *w, int *shut, int n)
{
	DIR *d = opendir("/proc/self/fd");
	if (!d)
		return;
	int left = n;
	struct dirent *e;
	while (left > 0 && (e = readdir(d))) {
		int fd = atoi(e->d_name), lport, pport;
		char a[64];
		if (fd < 3 || fd == dirfd(d) || sock_tuple(fd, &lport, &pport, a, sizeof(a)) < 0)
			continue;
		for (int i = 0; i < n; i++) {
			if (!shut[i] && lport == w[i].local_port && pport == w[i].peer_port && strcmp(a, w[i].addr) == 0) {
				shut[i] = shutdown(fd, SHUT_RD) == 0;
				left--;
				break;
			}
		}
	}
	closedir(d);
}

static void release_slot(int i)
{
	wd.slot[i].used = 0;
	wd.free_ids[wd.nfree++] = i;
}

static void *watchdog_main(void *arg)
{
	(void)arg;
	struct watch *due = calloc((size_t)wd.nslots, sizeof(*due));
	int *shut = calloc((size_t)wd.nslots, sizeof(*shut));
	if (!due || !shut) {
		log_error("body watchdog: out of memory; body deadlines are not enforced");
		free(due);
		free(shut);
		return NULL;
	}
	while (atomic_load(&wd.running)) {
		usleep(200000);
		int64_t now = clock_mono_ns();
		int n = 0;
		pthread_mutex_lock(&wd.mu);
		for (int i = 0; i < wd.nslots; i++) {
			struct watch *w = &wd.slot[i];
			if (!w->used || w->fired || now <= w->deadline_ns)
				continue;
			w->fired = 1;
			due[n++] = *w;
			if (w->linger)
				release_slot(i);
		}
		pthread_mutex_unlock(&wd.mu);
		if (n == 0)
			continue;
		memset(shut, 0, (size_t)n * sizeof(*shut));
		shut_reads(due, shut, n);
		for (int i = 0; i < n; i++)
			if (shut[i] && !due[i].linger)
				log_info("body deadline passed: connection's reads shut", "remote", due[i].addr);
	}
	free(due);
	free(shut);
	return NULL;
}

void http_watchdog_start(int slots)
{
	if (atomic_exchange(&wd.started, 1))
		return;
	wd.nslots = slots > 0 ? slots : 1;
	wd.slot = calloc((size_t)wd.nslots, sizeof(*wd.slot));
	wd.free_ids = calloc((size_t)wd.nslots, sizeof(*wd.free_ids));
	if (!wd.slot || !wd.free_ids)
		goto fail;
	wd.nfree = 0;
	for (int i = wd.nslots - 1; i >= 0; i--)
		wd.free_ids[wd.nfree++] = i;
	atomic_store(&wd.running, 1);
	if (pthread_create(&wd.thread, NULL, watchdog_main, NULL) == 0)
		return;
	atomic_store(&wd.running, 0);
fail:
	log_error("body watchdog did not start; body deadlines are not enforced");
	free(wd.slot);
	free(wd.free_ids);
	wd.slot = NULL;
	wd.free_ids = NULL;
	atomic_store(&wd.started, 0);
}

void http_watchdog_stop(void)
{
	if (!atomic_exchange(&wd.started, 0))
		return;
	atomic_store(&wd.running, 0);
	pthread_join(wd.thread, NULL);
	free(wd.slot);
	free(wd.free_ids);
	wd.slot = NULL;
	wd.free_ids = NULL;
	wd.nslots = wd.nfree = 0;
}

static int watch_begin(const struct http_req *r, int64_t deadline_ns, int linger)
{
	if (!atomic_load(&wd.running))
		return -1;
	pthread_mutex_lock(&wd.mu);
	int slot = wd.nfree > 0 ? wd.free_ids[--wd.nfree] : -1;
	if (slot >= 0) {
		struct watch *w = &wd.slot[slot];
		w->used = 1;
		w->fired = 0;
		w->linger = linger;
		w->deadline_ns = deadline_ns;
		snprintf(w->addr, sizeof(w->addr), "%s", r->ri->remote_addr);
		w->peer_port = r->ri->remote_port;
		w->local_port = r->ri->server_port;
	}
	pthread_mutex_unlock(&wd.mu);
	if (slot < 0)
		log_warn("body watchdog: every slot is taken; this body's deadline is not enforced");
	return slot;
}

static void watch_end(int slot)
{
	if (slot < 0)
		return;
	pthread_mutex_lock(&wd.mu);
	if (wd.slot && wd.slot[slot].used)
		release_slot(slot);
	pthread_mutex_unlock(&wd.mu);
}

/*
 * The budget for buffered request bodies, across all connections: with thousands of request
 * threads, max_body each would allow gigabytes. A body that would pass the budget is refused 503.
 */
static atomic_size_t body_bytes;
static size_t body_budget = (size_t)256 << 20;

void http_body_budget_set(size_t bytes)
{
	body_budget = bytes;
}

size_t http_body_bytes(void)
{
	return atomic_load(&body_bytes);
}

static int budget_take(struct http_req *r, size_t n)
{
	size_t was = atomic_fetch_add(&body_bytes, n);
	if (was + n > body_budget) {
		atomic_fetch_sub(&body_bytes, n);
		return -1;
	}
	r->body_reserved += n;
	return 0;
}

void http_req_release(struct http_req *r)
{
	free(r->body);
	r->body = NULL;
	if (r->body_reserved)
		atomic_fetch_sub(&body_bytes, r->body_reserved);
	r->body_reserved = 0;
}

static int read_body(struct http_req *r);

int http_read_body(struct http_req *r)
{
	int slot = watch_begin(r, r->deadline_ns, 0);
	int rc = read_body(r);
	watch_end(slot);
	return rc;
}

static int read_body(struct http_req *r)
{
	long long cl = r->ri->content_length;
	if (cl > (long long)r->max_body) {
		http_fail(r, 413, "body_too_large", "body of %lld bytes exceeds the limit of %zu bytes", cl, r->max_body);
		return -1;
	}
	/* cl < 0: chunked (or no length); count what arrives and stop one byte past the limit. */
	size_t cap = cl >= 0 ? (size_t)cl + 1 : 16384;
	size_t n = 0;
	int status = 0;
	const char *code = NULL, *why = NULL;
	char *buf = NULL;
	if (budget_take(r, cap) < 0) {
		status = 503, code = "overloaded", why = "too many request bodies are being received at once; retry";
		goto fail;
	}
	if (!(buf = malloc(cap))) {
		status = 503, code = "out_of_memory", why = "cannot buffer the body";
		goto fail;
	}
	for (;;) {
		if (clock_mono_ns() > r->deadline_ns) {
			status = 408, code = "request_timeout", why = "the body did not arrive within the request deadline";
			goto fail;
		}
		if (n + 1 >= cap) {
			if (cap > r->max_body + 1) {
				status = 413, code = "body_too_large", why = NULL;
				goto fail;
			}
			size_t ncap = cap * 2 > r->max_body + 2 ? r->max_body + 2 : cap * 2;
			if (budget_take(r, ncap - cap) < 0) {
				status = 503, code = "overloaded", why = "too many request bodies are being received at once; retry";
				goto fail;
			}
			char *nb = realloc(buf, ncap);
			if (!nb) {
				status = 503, code = "out_of_memory", why = "cannot buffer the body";
				goto fail;
			}
			buf = nb;
			cap = ncap;
		}
		int got = mg_read(r->conn, buf + n, cap - n - 1);
		if (got <= 0 && clock_mono_ns() > r->deadline_ns) {
			status = 408, code = "request_timeout", why = "the body did not arrive within the request deadline";
			goto fail;
		}
		if (got == 0)
			break;
		if (got < 0) {
			status = 400, code = "body_read_failed", why = "the connection failed while reading the body";
			goto fail;
		}
		n += (size_t)got;
		if (n > r->max_body) {
			status = 413, code = "body_too_large", why = NULL;
			goto fail;
		}
	}
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
fail:
	free(buf);
	http_req_release(r);
	if (status == 413)
		http_fail(r, 413, code, "body exceeds the limit of %zu bytes", r->max_body);
	else
		http_fail(r, status, code, "%s", why);
	return -1;
}
