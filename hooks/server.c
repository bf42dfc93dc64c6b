/* server.c: civetweb setup with hookd's TLS policy, route dispatch, /healthz, /readyz, /metrics. */
#include "hooks/server.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/list.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "core/tlscert.h"
#include "hooks/allowlist.h"
#include "hooks/civetweb_ext.h"
#include "hooks/framing.h"
#include "hooks/http_budget.h"
#include "hooks/http_guard.h"
#include "hooks/http_refusals.h"
#include "hooks/http_req.h"
#include "hooks/http_watchdog.h"
#include "hooks/listen_probe.h"
#include "store/journal.h"

#include <civetweb.h>
#include <openssl/err.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <unistd.h>

#ifndef PR_FUTEX_HASH
#define PR_FUTEX_HASH 78
#define PR_FUTEX_HASH_SET_SLOTS 1
#define PR_FUTEX_HASH_GET_SLOTS 2
#endif

#define MAX_ROUTES 64

#define ROUTE_CODES 16

#define MAX_ONCE 8

struct route {
	struct server *srv;
	char *path;
	http_handler fn;
	void *arg;
	/* hookd_http_requests_total{route,code} per status seen, filled once, then read without locks */
	_Atomic int codes[ROUTE_CODES];
	struct metric *_Atomic counters[ROUTE_CODES];
};

struct server {
	struct server_opts o;
	struct journal *journal;
	struct mg_context *ctx;
	struct route routes[MAX_ROUTES];
	int nroutes;
	struct route fallback;	  /* 404 for every other path, unless a route "/" takes them */
	struct route framing;	  /* metrics of the requests refused before routing */
	int metrics_open;	  /* every listener is on loopback: /metrics needs no token */
	char *once[MAX_ONCE + 1]; /* header names a request may carry once (NULL-terminated) */
	int port;
	char id_prefix[9];
	_Atomic uint64_t seq;
	/* the certificate new handshakes get; replaced by server_tls_set, read under tls_lock */
	pthread_mutex_t tls_lock;
	struct tls_cert *tls;
};

/* TLS 1.2 suites with forward secrecy and AEAD only; TLS 1.3 suites are all ECDHE/AEAD. */
static const char tls12_ciphers[] = "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
				    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
				    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

/* 1 when s is a decimal port 1-65535. */
static int valid_port(struct slice s)
{
	if (s.n == 0 || s.n > 5)
		return 0;
	long v = 0;
	for (size_t i = 0; i < s.n; i++) {
		if (s.p[i] < '0' || s.p[i] > '9')
			return 0;
		v = v * 10 + (s.p[i] - '0');
	}
	return v >= 1 && v <= 65535;
}

/* Checks each address of listen: host:port, [v6]:port or a bare port, port 1-65535 (0: any free port). */
static int listen_check(struct config *c, const char *listen)
{
	const char *p = listen;
	struct slice a;
	int rc = 0;
	while (list_next(&p, ", ", &a)) {
		const char *colon = memrchr(a.p, ':', a.n);
		struct slice port = colon ? (struct slice){ colon + 1, a.n - (size_t)(colon + 1 - a.p) } : a;
		int bracket_ok = a.p[0] != '[' || (colon && colon > a.p && colon[-1] == ']');
		int zero = port.n == 1 && port.p[0] == '0';
		if ((!valid_port(port) && !zero) || !bracket_ok || (colon && colon == a.p)) {
			config_report(
				c, "server", NULL, "listen",
				"'%.*s' is not host:port with a port from 1 to 65535 (e.g. 127.0.0.1:8443, [::1]:8443)",
				(int)a.n, a.p);
			rc = -1;
		}
	}
	return rc;
}

/*
 * [server] allow as civetweb's access_control_list ("+10.0.0.0/8,+::1"): with a list, civetweb
 * refuses every other address right after accept, before TLS. Each entry goes as its network:
 * civetweb compares the masked client address with the entry unmasked, so "10.1.2.3/8" would
 * admit nobody, where a route's allow admits 10.0.0.0/8. out NULL: only checks. Returns 0, or -1
 * with the first bad entry in bad.
 */
static int acl_from_allow(const char *allow, char *out, size_t n, char *bad, size_t badlen)
{
	const char *p = allow;
	struct slice a;
	size_t used = 0;
	while (list_next(&p, ", ", &a)) {
		char net[64];
		if (allowlist_entry_net(a, net, sizeof(net)) < 0) {
			snprintf(bad, badlen, "%.*s", (int)(a.n > 48 ? 48 : a.n), a.p);
			return -1;
		}
		if (out) {
			int w = snprintf(out + used, n - used, "%s+%s", used ? "," : "", net);
			if (w < 0 || (size_t)w >= n - used) {
				snprintf(bad, badlen, "(the list is too long)");
				return -1;
			}
			used += (size_t)w;
		}
	}
	return 0;
}

int server_opts_from_config(struct config *c, struct server_opts *o)
{
	memset(o, 0, sizeof(*o));
	int rc = 0;
	int64_t v;
	o->listen = config_get(c, "server", NULL, "listen");
	o->tls_cert = config_get(c, "server", NULL, "tls_cert");
	o->tls_key = config_get(c, "server", NULL, "tls_key");
	const char *minv = config_get(c, "server", NULL, "tls_min_version");
	if (strcmp(minv, "1.2") != 0 && strcmp(minv, "1.3") != 0) {
		config_report(c, "server", NULL, "tls_min_version", "'%s' is not 1.2 or 1.3", minv);
		rc = -1;
	}
	o->tls13_only = strcmp(minv, "1.3") == 0;
	if (config_int(c, "server", NULL, "threads", &v) == 0) {
		if (v < 1 || v > 16384) {
			config_report(c, "server", NULL, "threads", "must be between 1 and 16384");
			rc = -1;
		}
		o->threads = (int)v;
	}
	if (config_size(c, "server", NULL, "max_body", &o->max_body) == 0 &&
	    (o->max_body < 1024 || o->max_body > 64 * 1048576)) {
		config_report(c, "server", NULL, "max_body", "must be between 1 KiB and 64 MiB");
		rc = -1;
	}
	if (config_size(c, "server", NULL, "body_memory", &o->body_memory) == 0 && o->body_memory < o->max_body) {
		config_report(c, "server", NULL, "body_memory", "must be at least max_body");
		rc = -1;
	}
	if (config_ms(c, "server", NULL, "request_timeout", &o->request_timeout_ms) == 0 &&
	    (o->request_timeout_ms < 100 || o->request_timeout_ms > 600000)) {
		config_report(c, "server", NULL, "request_timeout", "must be between 100ms and 10m");
		rc = -1;
	}
	config_ms(c, "server", NULL, "keep_alive_timeout", &o->keep_alive_ms);
	config_ms(c, "server", NULL, "thread_idle_timeout", &o->thread_idle_ms); /* the schema's range: 0 to 1d */
	if (config_int(c, "server", NULL, "max_conns_per_address", &v) == 0) {
		if (v < 0 || v > 16384) {
			config_report(c, "server", NULL, "max_conns_per_address",
				      "must be between 0 (no cap) and 16384");
			rc = -1;
		}
		o->max_per_address = (int)v;
	}
	if (!o->listen || !*o->listen) {
		config_report(c, "server", NULL, "listen", "no address to listen on");
		rc = -1;
	} else if (listen_check(c, o->listen) < 0) {
		rc = -1;
	}
	if (config_secret(c, "server", NULL, "admin_token", &o->admin_token) < 0)
		rc = -1;
	o->allow = config_get(c, "server", NULL, "allow");
	if (o->allow && !*o->allow)
		o->allow = NULL;
	char bad[64];
	if (o->allow && acl_from_allow(o->allow, NULL, 0, bad, sizeof(bad)) < 0) {
		config_report(c, "server", NULL, "allow", "'%s' is not an address or CIDR", bad);
		rc = -1;
	}
	return rc;
}

void server_opts_free(struct server_opts *o)
{
	if (!o)
		return;
	secure_free(o->admin_token);
	o->admin_token = NULL;
}

static void on_tls_info(const SSL *ssl, int where, int ret)
{
	(void)ret;
	if (where & SSL_CB_HANDSHAKE_START)
		http_guard_handshake_start(SSL_get_fd(ssl));
	if (where & SSL_CB_HANDSHAKE_DONE)
		http_guard_handshake_done();
}

/* This thread's current request was answered by hookd (a handler, begin_request or http_error). */
static _Thread_local int answered;

static void on_end_request(const struct mg_connection *conn, int status)
{
	(void)conn;
	(void)status;
	answered = 0;
	http_guard_request_end();
}

static void json_close_answer(struct mg_connection *conn, int status, const char *code, const char *msg);

/*
 * Before civetweb closes the socket: from here on the guard must not touch it. A request civetweb
 * parsed but will not route (an absolute-form target naming another port, "*") would otherwise
 * get a silent close: it gets a 400 with a reason.
 */
static void on_connection_close(const struct mg_connection *conn)
{
	const struct mg_request_info *ri = mg_get_request_info(conn);
	if (!answered && ri && ri->request_uri && ri->http_version && !ri->local_uri)
		json_close_answer((struct mg_connection *)(uintptr_t)conn, 400, "target_not_served",
				  "the request target names another host or port, or is not a path");
	answered = 0;
	http_guard_closing();
}

/* Logs OpenSSL's first queued error for a failed TLS setup. */
static void log_openssl_error(void)
{
	char e[256];
	ERR_error_string_n(ERR_get_error(), e, sizeof(e));
	log_error("TLS setup failed", "openssl", e);
}

/* The current certificate, with a reference the caller drops. */
static struct tls_cert *current_cert(struct server *s)
{
	pthread_mutex_lock(&s->tls_lock);
	struct tls_cert *c = tls_cert_ref(s->tls);
	pthread_mutex_unlock(&s->tls_lock);
	return c;
}

/*
 * Every handshake picks the certificate current when its ClientHello arrives, on its own SSL: the
 * shared SSL_CTX is never written after start (SSL_new and civetweb's SNI callback copy its
 * certificate without a lock hookd could take, so SSL_CTX_use_* while serving would race them).
 */
static int pick_cert(SSL *ssl, void *arg)
{
	struct tls_cert *c = current_cert(arg);
	int ok = c && tls_cert_use(c, ssl) == 0;
	tls_cert_unref(c);
	return ok ? 1 : 0;
}

static int init_tls(void *ssl_ctx, void *user_data)
{
	struct server *s = user_data;
	SSL_CTX *ctx = ssl_ctx;
	SSL_CTX_set_min_proto_version(ctx, s->o.tls13_only ? TLS1_3_VERSION : TLS1_2_VERSION);
	/* No session tickets: their key would live as long as the process, and with it forward secrecy. */
	SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION | SSL_OP_CIPHER_SERVER_PREFERENCE |
					 SSL_OP_NO_TICKET);
	/* An idle connection holds no record buffers (about 34 KiB each otherwise): thousands may be open. */
	SSL_CTX_set_mode(ctx, SSL_MODE_RELEASE_BUFFERS);
	/* The guard learns each handshake's socket here (the request thread's first sight of it). */
	SSL_CTX_set_info_callback(ctx, on_tls_info);
	if (SSL_CTX_set_cipher_list(ctx, tls12_ciphers) != 1 ||
	    SSL_CTX_set1_groups_list(ctx, "X25519:P-256:P-384") != 1)
		goto fail;
	SSL_CTX_set_cert_cb(ctx, pick_cert, s);
	return 1;
fail:
	log_openssl_error();
	return -1;
}

void server_tls_set(struct server *s, struct tls_cert *c)
{
	pthread_mutex_lock(&s->tls_lock);
	struct tls_cert *old = s->tls;
	s->tls = c;
	pthread_mutex_unlock(&s->tls_lock);
	tls_cert_unref(old);
	metric_set(metrics_gauge("hookd_tls_cert_expiry_seconds", NULL,
				 "Unix time at which the served TLS certificate expires (notAfter)"),
		   tls_cert_not_after(c));
}

static int on_log(const struct mg_connection *conn, const char *message)
{
	(void)conn;
	/* An address outside [server] allow: counted, logged at first sight and in summaries only. */
	if (strstr(message, "is not allowed to connect")) {
		if (http_refusal_note("address_not_allowed", clock_mono_ns()))
			log_kv(LOG_INFO, "connection refused at accept", "error", "address_not_allowed", "detail",
			       message, (const char *)0);
		return 1;
	}
	log_kv(LOG_WARN, message, "component", "civetweb", (const char *)0);
	return 1;
}

/*
 * Stack a thread leaves behind below where it now runs: given back when a connection closes (on
 * its worker thread), and once when a request thread starts. Each of the thousands of connection
 * threads would otherwise keep, for the life of the process, every stack page its deepest call
 * touched (up to 52 KiB: TLS handshake, delivery, lingering close; at start, civetweb naming the
 * thread formats a string a page below where the idle thread then waits).
 */
static _Thread_local uintptr_t stack_lo;

static void __attribute__((noinline)) stack_trim(void)
{
	if (!stack_lo) {
		pthread_attr_t a;
		void *addr;
		size_t size;
		if (pthread_getattr_np(pthread_self(), &a) != 0)
			return;
		int rc = pthread_attr_getstack(&a, &addr, &size);
		pthread_attr_destroy(&a);
		if (rc != 0)
			return;
		stack_lo = (uintptr_t)addr;
	}
	/* Nothing live lies more than 1 KiB below this frame (its locals, madvise's own call): drop the
	 * whole pages under that, as glibc does when a thread exits; a deeper call faults in zeroed ones. */
	uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
	uintptr_t hi = ((uintptr_t)__builtin_frame_address(0) - 1024) & ~(page - 1);
	if (hi > stack_lo)
		madvise((void *)stack_lo, hi - stack_lo, MADV_DONTNEED);
}

static void on_connection_closed(const struct mg_connection *conn)
{
	(void)conn;
	stack_trim();
}

/* A request thread ends (an idle worker retires, or the server stops): its guard slot is freed. */
static void on_exit_thread(const struct mg_context *ctx, int thread_type, void *user_ptr)
{
	(void)user_ptr;
	const struct server *s = mg_get_user_data(ctx);
	if (thread_type == 1 && s && !s->o.unguarded)
		http_guard_thread_end();
}

static void *on_init_thread(const struct mg_context *ctx, int thread_type)
{
	const struct server *s = mg_get_user_data(ctx);
	if (thread_type == 1 && s && s->o.unguarded)
		http_guard_exempt_thread();
	stack_trim();
	return NULL;
}

static void make_id(struct server *s, char *out, size_t n)
{
	uint64_t seq = atomic_fetch_add(&s->seq, 1);
	snprintf(out, n, "%s%08llx", s->id_prefix, (unsigned long long)(seq & 0xffffffffULL));
}

/* The route's counter for status code, from its small cache (the registry's lock only on a miss). */
static struct metric *route_counter(struct route *rt, int code)
{
	for (int i = 0; i < ROUTE_CODES; i++) {
		int c = atomic_load(&rt->codes[i]);
		if (c == code) {
			struct metric *m = atomic_load(&rt->counters[i]);
			if (m)
				return m;
			break;
		}
		if (c == 0) {
			int expected = 0;
			if (!atomic_compare_exchange_strong(&rt->codes[i], &expected, code) && expected != code)
				continue;
			break;
		}
	}
	char labels[200];
	snprintf(labels, sizeof(labels), "route=\"%s\",code=\"%d\"", rt->path, code);
	struct metric *m = metrics_counter("hookd_http_requests_total", labels, "HTTP requests by route and status");
	for (int i = 0; i < ROUTE_CODES; i++)
		if (atomic_load(&rt->codes[i]) == code)
			atomic_store(&rt->counters[i], m);
	return m;
}

static void count_request(struct route *rt, const struct http_req *r)
{
	metric_add(route_counter(rt, r->status), 1);
	static struct metric *_Atomic latency;
	struct metric *l = atomic_load(&latency);
	if (!l) {
		l = metrics_histogram("hookd_http_request_seconds", NULL, "Time from handler start to answer");
		atomic_store(&latency, l);
	}
	metric_observe(l, (double)(clock_mono_ns() - r->start_ns) / 1e9);
}

static void h_not_found(struct http_req *r, void *arg)
{
	(void)arg;
	http_fail(r, 404, "not_found", "no route for this path");
}

/*
 * What framing_check said of the request this thread is serving: civetweb calls begin_request and
 * then the route's handler on the same worker thread, for one request at a time.
 */
static _Thread_local struct framing_verdict head_verdict;

/*
 * civetweb's begin_request: every request's head is checked before any route sees it. A refused
 * one is answered here, with Connection: close and without reading its body (its length is what
 * is in doubt). Returns the status when it answered, 0 to let civetweb route the request.
 */
static int on_begin_request(struct mg_connection *conn)
{
	struct server *s = mg_get_user_data(mg_get_context(conn));
	http_guard_request_start();
	const struct mg_request_info *ri = mg_get_request_info(conn);
	char *head = malloc(FRAMING_HEAD_MAX);
	size_t n = head ? framing_head_rebuild(ri, civetweb_ext_head(conn), head, FRAMING_HEAD_MAX) : 0;
	struct framing_rules rules = { FRAMING_MAX_HEADERS, (const char *const *)s->once };
	int ok = n && framing_check(head, n, &rules, &head_verdict) == 0;
	free(head);
	answered = 1;
	if (ok)
		return 0;
	struct http_req r;
	http_req_init(&r, conn, s->framing.path, s->o.request_timeout_ms, (size_t)s->o.max_body);
	r.no_drain = 1;
	r.body_done = 0;
	make_id(s, r.id, sizeof(r.id));
	if (!n)
		http_fail(&r, head ? 431 : 503, head ? "header_too_large" : "out_of_memory", "%s",
			  head ? "the request head does not fit" : "cannot check the request head");
	else
		http_fail(&r, head_verdict.status, head_verdict.code, "%s", head_verdict.why);
	count_request(&s->framing, &r);
	return r.status;
}

/* A stable JSON error code for the statuses civetweb answers on its own. */
static const char *civetweb_error_code(int status)
{
	switch (status) {
	case 400: return "bad_request";
	case 411: return "length_required";
	case 413: return "request_too_large";
	case 505: return "http_version_not_supported";
	default: return status >= 500 ? "internal" : "refused";
	}
}

/*
 * civetweb's http_error: the errors civetweb finds itself (a head it cannot parse, a
 * Transfer-Encoding it refuses, an HTTP version it does not serve) get hookd's JSON body and
 * Connection: close. Statuses without a body (304: http.c's close_after_reply) stay civetweb's.
 * Returns 0 when it answered, 1 to let civetweb answer.
 */
static int on_http_error(struct mg_connection *conn, int status, const char *msg)
{
	if (status < 400)
		return 1;
	answered = 1;
	json_close_answer(conn, status, civetweb_error_code(status),
			  msg && *msg ? msg : "the request could not be read");
	return 0;
}

/* A JSON error with Connection: close, written whole; counted and logged as refusals are. */
static void json_close_answer(struct mg_connection *conn, int status, const char *code, const char *msg)
{
	struct jbuf body, b;
	jbuf_init(&body);
	jbuf_init(&b);
	jbuf_obj_open(&body);
	jbuf_key_str(&body, "error", code);
	jbuf_key_str(&body, "message", msg);
	jbuf_obj_close(&body);
	jbuf_printf(&b,
		    "HTTP/1.1 %d %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n"
		    "Cache-Control: no-store\r\nConnection: close\r\n\r\n",
		    status, mg_get_response_code_text(conn, status), body.n);
	jbuf_put(&b, body.p ? body.p : "", body.n);
	int ok = !b.err && !body.err && mg_write(conn, b.p, b.n) > 0;
	jbuf_free(&body);
	jbuf_free(&b);
	mg_disable_connection_keep_alive(conn);
	if (ok && http_refusal_note(code, clock_mono_ns())) {
		char st[16];
		snprintf(st, sizeof(st), "%d", status);
		log_kv(LOG_INFO, "request refused", "status", st, "error", code, "reason", msg, (const char *)0);
	}
}

static int dispatch(struct mg_connection *conn, void *cbdata)
{
	struct route *rt = cbdata;
	struct server *s = rt->srv;
	struct http_req r;
	http_req_init(&r, conn, rt->path, s->o.request_timeout_ms, (size_t)s->o.max_body);
	r.expect_continue = head_verdict.expect_continue;
	make_id(s, r.id, sizeof(r.id));
	size_t pl = strlen(rt->path);
	int prefix = pl && rt->path[pl - 1] == '/';
	if (rt->fn != h_not_found && !prefix && strcmp(r.ri->local_uri, rt->path) != 0)
		h_not_found(&r, NULL);
	else
		rt->fn(&r, rt->arg);
	if (!r.status)
		http_fail(&r, 500, "internal", "the handler gave no answer");
	count_request(rt, &r);
	http_req_release(&r);
	return r.status;
}

static void h_healthz(struct http_req *r, void *arg)
{
	(void)arg;
	static const char ok[] = "{\"status\":\"ok\"}";
	http_reply(r, 200, "application/json", ok, sizeof(ok) - 1);
}

static void h_readyz(struct http_req *r, void *arg)
{
	struct server *s = arg;
	char err[256];
	if (journal_ping(s->journal, err, sizeof(err)) < 0) {
		http_fail(r, 503, "journal_unavailable", "the journal cannot take writes: %s", err);
		return;
	}
	static const char ok[] = "{\"status\":\"ready\"}";
	http_reply(r, 200, "application/json", ok, sizeof(ok) - 1);
}

static int authorized(struct http_req *r, const char *token)
{
	if (!token)
		return 1;
	const char *h = http_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	return secure_equal(h + 7, strlen(h + 7), token, strlen(token));
}

static void h_metrics(struct http_req *r, void *arg)
{
	struct server *s = arg;
	if (!s->o.admin_token && !s->metrics_open) {
		http_fail(r, 403, "admin_token_required",
			  "/metrics is not on loopback: set [server] admin_token to read it");
		return;
	}
	if (!authorized(r, s->o.admin_token)) {
		http_fail(r, 401, "unauthorized", "/metrics needs the admin bearer token");
		return;
	}
	int64_t counts[JOB_STATE_COUNT], oldest = 0;
	char err[128];
	if (journal_job_stats(s->journal, counts, &oldest, err, sizeof(err)) == 0) {
		for (int i = 0; i < JOB_STATE_COUNT; i++) {
			char labels[32];
			snprintf(labels, sizeof(labels), "state=\"%s\"", journal_job_state_name((enum job_state)i));
			metric_set(metrics_gauge("hookd_jobs", labels, "Jobs in the journal by state"), counts[i]);
		}
		int64_t age = oldest && oldest < clock_now_ms() ? (clock_now_ms() - oldest) / 1000 : 0;
		metric_set(
			metrics_gauge(
				"hookd_jobs_oldest_due_age_seconds", NULL,
				"How long the pending job due first has been due (0: none is due): workers keep up when it stays small"),
			age);
	}
	metric_set(
		metrics_gauge("hookd_http_body_bytes", NULL, "Request body bytes being buffered (against body_memory)"),
		(int64_t)http_body_bytes());
	unsigned alive, retired;
	civetweb_ext_workers(s->ctx, &alive, &retired);
	metric_set(metrics_gauge("hookd_http_threads", NULL,
				 "Request threads running (started as connections need them, up to [server] threads)"),
		   alive);
	metric_set(metrics_counter("hookd_http_threads_retired_total", NULL,
				   "Request threads that ended after [server] thread_idle_timeout idle"),
		   retired);
	struct jbuf b;
	jbuf_init(&b);
	metrics_render(&b);
	if (b.err)
		http_fail(r, 503, "out_of_memory", "cannot render metrics");
	else
		http_reply(r, 200, "text/plain; version=0.0.4", b.p ? b.p : "", b.n);
	jbuf_free(&b);
}

/* One listen address (host:port, [v6]:port) on a loopback interface: 127.0.0.0/8, ::1, localhost. */
static int loopback_addr(struct slice a)
{
	char host[64];
	const char *colon = a.n ? memrchr(a.p, ':', a.n) : NULL;
	size_t hn = colon ? (size_t)(colon - a.p) : a.n;
	if (hn >= 2 && a.p[0] == '[' && a.p[hn - 1] == ']') {
		a.p++;
		hn -= 2;
	}
	if (hn == 0 || hn >= sizeof(host))
		return 0; /* a port alone listens on every address */
	memcpy(host, a.p, hn);
	host[hn] = '\0';
	unsigned char b[16];
	if (inet_pton(AF_INET, host, b) == 1)
		return b[0] == 127;
	if (inet_pton(AF_INET6, host, b) == 1)
		return memcmp(b, "\0\0\0\0\0\0\0\0\0\0\0\0\0\0\0\1", 16) == 0;
	return strcmp(host, "localhost") == 0;
}

/* The documented rule for /metrics without admin_token: open only when every listener is on loopback. */
static int listens_on_loopback(const char *listen)
{
	const char *p = listen;
	struct slice addr;
	int any = 0;
	while (list_next(&p, ", ", &addr)) {
		if (!loopback_addr(addr))
			return 0;
		any = 1;
	}
	return any;
}

struct server *server_new(const struct server_opts *o, struct journal *j)
{
	struct server *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->o = *o;
	s->journal = j;
	pthread_mutex_init(&s->tls_lock, NULL);
	unsigned char rnd[4];
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(s->id_prefix, sizeof(s->id_prefix), "%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3]);
	s->framing.srv = s;
	s->framing.path = strdup("(framing)");
	s->metrics_open = listens_on_loopback(o->listen);
	server_route(s, "/healthz", h_healthz, s);
	server_route(s, "/readyz", h_readyz, s);
	server_route(s, "/metrics", h_metrics, s);
	return s;
}

int server_header_once(struct server *s, const char *name)
{
	int i = 0;
	while (i < MAX_ONCE && s->once[i])
		i++;
	if (i == MAX_ONCE || s->ctx || !(s->once[i] = strdup(name)))
		return -1;
	return 0;
}

int server_route(struct server *s, const char *path, http_handler fn, void *arg)
{
	if (s->nroutes == MAX_ROUTES || s->ctx)
		return -1;
	struct route *rt = &s->routes[s->nroutes];
	rt->path = strdup(path);
	if (!rt->path)
		return -1;
	rt->srv = s;
	rt->fn = fn;
	rt->arg = arg;
	s->nroutes++;
	return 0;
}

/*
 * Linux 6.16+ gives each process a private futex hash sized by its CPUs, not its threads (16
 * buckets on 2 CPUs). Up to [server] threads idle request threads (started as connections need
 * them) all wait on one civetweb condition variable, so one bucket can hold thousands of waiters,
 * and every futex wake that hashes there (a sixteenth of all: the journal's hand-offs, every lock)
 * walks that list: most of hookd's CPU under load. A few buckets per thread keep the chains short.
 * Older kernels reject the call: no harm.
 */
static void futex_hash_size(int threads)
{
	unsigned long slots = 16;
	while (slots < 4UL * (unsigned long)threads && slots < 65536)
		slots <<= 1;
	if (prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_SET_SLOTS, slots, 0UL, 0UL) != 0)
		return;
	char v[24];
	snprintf(v, sizeof(v), "%d", prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0UL, 0UL, 0UL));
	log_debug("futex hash sized", "slots", v);
}

/* "127.0.0.1:8443,[::1]:8443" -> "127.0.0.1:8443s,[::1]:8443s": every listener is TLS. */
static int tls_ports(const char *listen, char *out, size_t n)
{
	struct jbuf b;
	jbuf_init(&b);
	const char *p = listen;
	struct slice addr;
	while (list_next(&p, ", ", &addr)) {
		if (b.n)
			jbuf_putc(&b, ',');
		jbuf_put(&b, addr.p, addr.n);
		jbuf_putc(&b, 's');
	}
	int ok = !b.err && b.n && b.n < n;
	if (ok)
		memcpy(out, b.p, b.n + 1);
	jbuf_free(&b);
	return ok ? 0 : -1;
}

/* Loads [server] tls_cert and tls_key as the first certificate generation; -1 with err naming the key. */
static int load_tls(struct server *s, char *err, size_t errlen)
{
	struct tls_cert *c;
	char why[400];
	enum tls_cert_fault f = tls_cert_load(s->o.tls_cert, s->o.tls_key, &c, why, sizeof(why));
	if (f != TLS_CERT_OK) {
		snprintf(err, errlen, "%s %s", f == TLS_CERT_BAD_KEY ? "tls_key" : "tls_cert", why);
		return -1;
	}
	server_tls_set(s, c);
	return 0;
}

/* The body budget, futex hash, body watchdog and connection guard, sized by the thread count. */
static int start_guards(struct server *s, char *err, size_t errlen)
{
	if (s->o.unguarded)
		return 0;
	if (s->o.body_memory > 0)
		http_body_budget_set((size_t)s->o.body_memory);
	futex_hash_size(s->o.threads > 0 ? s->o.threads : 16);
	/* one watch per request thread, plus closing connections that linger */
	http_watchdog_start((s->o.threads > 0 ? s->o.threads : 16) + 64);
	struct http_guard_opts go = { s->o.threads > 0 ? s->o.threads : 16, s->o.max_per_address };
	if (http_guard_start(&go) < 0) {
		snprintf(err, errlen, "cannot start the connection guard");
		return -1;
	}
	return 0;
}

/* Registers every route with civetweb, and the JSON 404 for the rest unless a route takes "/". */
static void add_routes(struct server *s)
{
	for (int i = 0; i < s->nroutes; i++) {
		struct route *rt = &s->routes[i];
		/* civetweb also matches path/...; dispatch keeps exact routes exact. */
		char pattern[300];
		snprintf(pattern, sizeof(pattern), "%s", rt->path);
		size_t n = strlen(pattern);
		if (n > 1 && pattern[n - 1] == '/')
			pattern[n - 1] = '\0';
		mg_set_request_handler(s->ctx, pattern, dispatch, rt);
	}
	int root = 0;
	for (int i = 0; i < s->nroutes; i++)
		root |= strcmp(s->routes[i].path, "/") == 0;
	memset(&s->fallback, 0, sizeof(s->fallback));
	s->fallback.srv = s;
	s->fallback.path = "(none)";
	s->fallback.fn = h_not_found;
	if (!root)
		mg_set_request_handler(s->ctx, "/", dispatch, &s->fallback);
}

/* Notes the first listening port and defers accept on every listener until data arrives. */
static void note_ports(struct server *s)
{
	struct mg_server_port sp[4];
	int np = mg_get_server_ports(s->ctx, 4, sp);
	s->port = np > 0 ? sp[0].port : 0;
	for (int i = 0; i < np; i++)
		http_guard_defer_accept(sp[i].port);
}

int server_start(struct server *s, char *err, size_t errlen)
{
	char ports[512], threads[16], rto[32], kato[32];
	if (!s->tls && load_tls(s, err, errlen) < 0)
		return -1;
	if (tls_ports(s->o.listen, ports, sizeof(ports)) < 0) {
		snprintf(err, errlen, "bad listen value '%s'", s->o.listen);
		return -1;
	}
	/* civetweb would say "cannot bind to 127.0.0.1:8443s: 98 (...)", then "Failed to setup server ports" */
	if (listen_probe(s->o.listen, err, errlen) < 0)
		return -1;
	snprintf(threads, sizeof(threads), "%d", s->o.threads > 0 ? s->o.threads : 16);
	/* civetweb restarts request_timeout_ms on every read: bound each read by it, the total ourselves. */
	int64_t per_read = s->o.request_timeout_ms < 5000 ? s->o.request_timeout_ms : 5000;
	snprintf(rto, sizeof(rto), "%lld", (long long)per_read);
	snprintf(kato, sizeof(kato), "%lld", (long long)s->o.keep_alive_ms);
	/* civetweb's options as name, value pairs */
	/* clang-format off */
	const char *opts[] = {
		"listening_ports", ports,
		"num_threads", threads,
		"request_timeout_ms", rto,
		"keep_alive_timeout_ms", kato,
		"enable_keep_alive", "yes",
		"tcp_nodelay", "1",
		"ssl_protocol_version", "4",
		"decode_url", "yes",
		/* absolute-form targets (https://host:port/path) are served when the port is ours */
		"enable_auth_domain_check", "no",
		/* room for connections the kernel holds until they send data (TCP_DEFER_ACCEPT) */
		"listen_backlog", "4096",
		NULL, NULL, /* access_control_list, when [server] allow is set */
		NULL,
	};
	/* clang-format on */
	char acl[4096], bad[64];
	if (s->o.allow) {
		if (acl_from_allow(s->o.allow, acl, sizeof(acl), bad, sizeof(bad)) < 0) {
			snprintf(err, errlen, "bad [server] allow entry %s", bad);
			return -1;
		}
		size_t k = sizeof(opts) / sizeof(opts[0]) - 3;
		opts[k] = "access_control_list";
		opts[k + 1] = acl;
	}
	struct mg_callbacks cb;
	memset(&cb, 0, sizeof(cb));
	cb.init_ssl = init_tls;
	cb.log_message = on_log;
	cb.connection_closed = on_connection_closed;
	cb.begin_request = on_begin_request;
	cb.end_request = on_end_request;
	cb.connection_close = on_connection_close;
	cb.http_error = on_http_error;
	cb.init_thread = on_init_thread;
	cb.exit_thread = on_exit_thread;
	struct mg_init_data init = { .callbacks = &cb, .user_data = s, .configuration_options = opts };
	struct mg_error_data ed;
	char ebuf[256] = "";
	memset(&ed, 0, sizeof(ed));
	ed.text = ebuf;
	ed.text_buffer_size = sizeof(ebuf);
	if (start_guards(s, err, errlen) < 0)
		return -1;
	s->ctx = mg_start2(&init, &ed);
	if (!s->ctx) {
		snprintf(err, errlen, "cannot start the server on %s: %s", s->o.listen,
			 ebuf[0] ? ebuf : "unknown error");
		return -1;
	}
	civetweb_ext_retire_idle_workers(s->ctx, (long)s->o.thread_idle_ms);
	add_routes(s);
	note_ports(s);
	return 0;
}

int server_port(const struct server *s)
{
	return s->port;
}

void server_free(struct server *s)
{
	if (!s)
		return;
	if (s->ctx)
		mg_stop(s->ctx);
	if (!s->o.unguarded) {
		http_watchdog_stop();
		http_guard_stop();
	}
	for (int i = 0; i < s->nroutes; i++)
		free(s->routes[i].path);
	tls_cert_unref(s->tls);
	pthread_mutex_destroy(&s->tls_lock);
	free(s->framing.path);
	for (int i = 0; i < MAX_ONCE; i++)
		free(s->once[i]);
	free(s);
}
