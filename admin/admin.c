/* admin.c: the admin listener: its own civetweb context, bearer token or session cookie, sign-in. */
#include "admin/admin_internal.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/secure.h"
#include "hooks/http.h"
#include "hooks/intake.h"
#include "hooks/server.h"

#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define COOKIE "__Host-hookd_session"
#define THROTTLE_MAX 5 /* failed sign-ins per address per minute */
#define THROTTLE_WINDOW_MS 60000

const char admin_headers[] = "Content-Security-Policy: default-src 'self'; frame-ancestors 'none'; base-uri 'none';"
			     " form-action 'self'\r\n"
			     "X-Frame-Options: DENY\r\nReferrer-Policy: no-referrer\r\n"
			     "Strict-Transport-Security: max-age=31536000\r\n";

int admin_opts_from_config(struct config *c, struct admin_opts *o)
{
	memset(o, 0, sizeof(*o));
	int rc = 0;
	int64_t v = 16;
	o->listen = config_get(c, "admin", NULL, "listen");
	o->tls_cert = config_get(c, "admin", NULL, "tls_cert");
	o->tls_key = config_get(c, "admin", NULL, "tls_key");
	if (!o->tls_cert || !*o->tls_cert)
		o->tls_cert = config_get(c, "server", NULL, "tls_cert");
	if (!o->tls_key || !*o->tls_key)
		o->tls_key = config_get(c, "server", NULL, "tls_key");
	/* the schema holds the ranges (threads 2-256, session_ttl 1m-7d): config_* report a value outside */
	if (config_int(c, "admin", NULL, "threads", &v) < 0)
		rc = -1;
	o->threads = (int)v;
	if (config_ms(c, "admin", NULL, "session_ttl", &o->session_ttl_ms) < 0)
		rc = -1;
	int t = config_secret(c, "admin", NULL, "token", &o->token);
	if (t < 0)
		return -1;
	if (o->token && strlen(o->token) < 16) {
		config_report(c, "admin", NULL, "token", "must be at least 16 characters");
		rc = -1;
	}
	if (rc < 0)
		return -1;
	if (!o->listen || !*o->listen || t == 1) {
		o->listen = "";
		return 1;
	}
	return 0;
}

void admin_opts_free(struct admin_opts *o)
{
	if (!o)
		return;
	secure_free(o->token);
	o->token = NULL;
}

void admin_reply_json(struct http_req *r, int status, const struct jbuf *b)
{
	if (b->err)
		http_fail(r, 503, "out_of_memory", "cannot render the answer");
	else
		http_reply_headers(r, status, "application/json", b->p ? b->p : "", b->n, admin_headers);
}

static void random_hex(char out[65])
{
	unsigned char b[32];
	RAND_bytes(b, sizeof(b));
	for (int i = 0; i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", b[i]);
}

int admin_cookie_parse(const char *h, char out[65])
{
	const char *p = h;
	size_t kl = strlen(COOKIE);
	while (p && *p) {
		while (*p == ' ' || *p == ';')
			p++;
		if (strncmp(p, COOKIE, kl) == 0 && p[kl] == '=') {
			p += kl + 1;
			size_t n = strcspn(p, "; ");
			if (n != 64 || strspn(p, "0123456789abcdef") < 64)
				return -1;
			memcpy(out, p, 64);
			out[64] = '\0';
			return 0;
		}
		p = strchr(p, ';');
	}
	return -1;
}

static int cookie_value(struct http_req *r, char out[65])
{
	return admin_cookie_parse(http_header(r, "Cookie"), out);
}

/* The live session whose id is id, or NULL (caller holds a->mu). Compares every slot in constant time. */
static struct admin_session *session_find(struct admin *a, const char *id, int64_t now)
{
	struct admin_session *hit = NULL;
	for (int i = 0; i < ADMIN_SESSIONS; i++) {
		struct admin_session *s = &a->sessions[i];
		if (s->id[0] && s->expires_ms <= now)
			memset(s, 0, sizeof(*s));
		if (s->id[0] && CRYPTO_memcmp(s->id, id, 64) == 0)
			hit = s;
	}
	return hit;
}

static int bearer_ok(struct admin *a, struct http_req *r)
{
	const char *h = http_header(r, "Authorization");
	if (!h || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	return secure_equal(h + 7, strlen(h + 7), a->o.token, strlen(a->o.token));
}

int admin_auth(struct admin *a, struct http_req *r, int mutating, struct admin_caller *c)
{
	memset(c, 0, sizeof(*c));
	if (bearer_ok(a, r)) {
		snprintf(c->who, sizeof(c->who), "api");
		return 0;
	}
	char id[65];
	if (cookie_value(r, id) < 0) {
		http_fail(r, 401, "unauthorized", "sign in, or send the admin token as a bearer token");
		return -1;
	}
	pthread_mutex_lock(&a->mu);
	struct admin_session *s = session_find(a, id, clock_now_ms());
	int ok = s != NULL, csrf_ok = 1;
	if (s && mutating) {
		const char *t = http_header(r, "X-CSRF-Token");
		csrf_ok = t && secure_equal(t, strlen(t), s->csrf, strlen(s->csrf));
	}
	if (s)
		snprintf(c->who, sizeof(c->who), "%s", s->who);
	pthread_mutex_unlock(&a->mu);
	c->session = 1;
	if (!ok) {
		http_fail(r, 401, "unauthorized", "the session has expired or was signed out; sign in again");
		return -1;
	}
	if (!csrf_ok) {
		http_fail(r, 403, "csrf", "a change needs the session's X-CSRF-Token header");
		return -1;
	}
	return 0;
}

/* 1 when addr has used up its sign-in attempts for this minute (caller holds a->mu). */
static struct admin_throttle *throttle_slot(struct admin *a, const char *addr, int64_t now)
{
	struct admin_throttle *oldest = &a->throttle[0];
	for (int i = 0; i < ADMIN_THROTTLE; i++) {
		struct admin_throttle *t = &a->throttle[i];
		if (strcmp(t->addr, addr) == 0) {
			if (now - t->window_ms > THROTTLE_WINDOW_MS) {
				t->window_ms = now;
				t->failures = 0;
			}
			return t;
		}
		if (t->window_ms < oldest->window_ms)
			oldest = t;
	}
	snprintf(oldest->addr, sizeof(oldest->addr), "%s", addr);
	oldest->window_ms = now;
	oldest->failures = 0;
	return oldest;
}

int admin_signin_parse(struct slice body, char **token, char **name)
{
	struct json j;
	char err[128];
	*token = *name = NULL;
	if (json_parse(&j, body.p, body.n, 64, err, sizeof(err)) < 0)
		return -1;
	int rc = -1;
	if (json_is_object(&j, 0) && json_keys_unique(&j, 0)) {
		int t = json_get(&j, 0, "token"), n = json_get(&j, 0, "name");
		if (t > 0 && json_is_string(&j, t)) {
			*token = json_strdup(&j, t);
			if (n > 0 && json_is_string(&j, n))
				*name = json_strdup(&j, n);
			rc = *token ? 0 : -1;
		}
	}
	json_free(&j);
	return rc;
}

static void session_answer(struct http_req *r, int status, const struct admin_session *s, const char *cookie)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "who", s->who);
	jbuf_key_str(&b, "csrf", s->csrf);
	jbuf_key_int(&b, "expires_ms", s->expires_ms);
	jbuf_obj_close(&b);
	char extra[sizeof(admin_headers) + 256];
	snprintf(extra, sizeof(extra), "%s%s", admin_headers, cookie ? cookie : "");
	if (b.err)
		http_fail(r, 503, "out_of_memory", "cannot render the answer");
	else
		http_reply_headers(r, status, "application/json", b.p, b.n, extra);
	jbuf_free(&b);
}

/* Keeps only printable ASCII of a chosen name, so it reads the same in logs, journal and console. */
static void clean_name(const char *in, char *out, size_t n)
{
	size_t k = 0;
	for (; in && *in && k + 1 < n && k < 64; in++)
		if ((unsigned char)*in >= 0x20 && (unsigned char)*in < 0x7f)
			out[k++] = *in;
	out[k] = '\0';
}

static void sign_in(struct admin *a, struct http_req *r)
{
	if (http_read_body(r) < 0)
		return;
	int64_t now = clock_now_ms();
	const char *addr = http_remote_addr(r);
	pthread_mutex_lock(&a->mu);
	int spent = throttle_slot(a, addr, now)->failures >= THROTTLE_MAX;
	pthread_mutex_unlock(&a->mu);
	if (spent) {
		http_fail(r, 429, "too_many_attempts", "too many failed sign-ins from this address; wait a minute");
		return;
	}
	char *token = NULL, *name = NULL;
	if (admin_signin_parse(http_body(r), &token, &name) < 0) {
		secure_free(token);
		free(name);
		http_fail(r, 400, "bad_request", "send {\"token\": \"...\"} as JSON");
		return;
	}
	int ok = secure_equal(token, strlen(token), a->o.token, strlen(a->o.token));
	secure_free(token);
	char nm[72];
	clean_name(name, nm, sizeof(nm));
	free(name);
	pthread_mutex_lock(&a->mu);
	if (!ok) {
		throttle_slot(a, addr, now)->failures++;
		pthread_mutex_unlock(&a->mu);
		http_fail(r, 401, "unauthorized", "wrong admin token");
		return;
	}
	struct admin_session *slot = &a->sessions[0];
	for (int i = 0; i < ADMIN_SESSIONS; i++) {
		struct admin_session *s = &a->sessions[i];
		if (!s->id[0] || s->expires_ms <= now) {
			slot = s;
			break;
		}
		if (s->expires_ms < slot->expires_ms)
			slot = s;
	}
	random_hex(slot->id);
	random_hex(slot->csrf);
	snprintf(slot->who, sizeof(slot->who), "console:%s", nm[0] ? nm : "admin");
	slot->expires_ms = now + a->o.session_ttl_ms;
	struct admin_session copy = *slot;
	pthread_mutex_unlock(&a->mu);
	char cookie[256];
	snprintf(cookie, sizeof(cookie),
		 "Set-Cookie: " COOKIE "=%s; Path=/; Max-Age=%lld; HttpOnly; Secure; SameSite=Strict\r\n", copy.id,
		 (long long)(a->o.session_ttl_ms / 1000));
	log_info("admin sign-in", "who", copy.who, "remote", addr);
	session_answer(r, 201, &copy, cookie);
	OPENSSL_cleanse(&copy, sizeof(copy));
}

static void session_info(struct admin *a, struct http_req *r, int drop)
{
	char id[65];
	struct admin_session copy;
	int found = 0;
	if (cookie_value(r, id) == 0) {
		pthread_mutex_lock(&a->mu);
		struct admin_session *s = session_find(a, id, clock_now_ms());
		const char *t = drop ? http_header(r, "X-CSRF-Token") : NULL;
		if (s && (!drop || (t && secure_equal(t, strlen(t), s->csrf, strlen(s->csrf))))) {
			copy = *s;
			found = 1;
			if (drop)
				memset(s, 0, sizeof(*s));
		} else if (s && drop) {
			found = -1;
		}
		pthread_mutex_unlock(&a->mu);
	}
	if (found == -1) {
		http_fail(r, 403, "csrf", "signing out needs the session's X-CSRF-Token header");
	} else if (!found) {
		http_fail(r, 401, "unauthorized", "no session; sign in");
	} else if (drop) {
		log_info("admin sign-out", "who", copy.who);
		char extra[sizeof(admin_headers) + 128];
		snprintf(extra, sizeof(extra),
			 "%sSet-Cookie: " COOKIE "=; Path=/; Max-Age=0; HttpOnly; Secure; SameSite=Strict\r\n",
			 admin_headers);
		http_reply_headers(r, 204, NULL, NULL, 0, extra);
	} else {
		session_answer(r, 200, &copy, NULL);
	}
	OPENSSL_cleanse(&copy, sizeof(copy));
}

void admin_session_handle(struct admin *a, struct http_req *r)
{
	const char *m = http_method(r);
	if (strcmp(m, "POST") == 0)
		sign_in(a, r);
	else if (strcmp(m, "GET") == 0)
		session_info(a, r, 0);
	else if (strcmp(m, "DELETE") == 0)
		session_info(a, r, 1);
	else
		http_fail_method(r, "GET, POST, DELETE");
}

static void h_admin(struct http_req *r, void *arg)
{
	struct admin *a = arg;
	const char *p = http_path(r);
	if (strcmp(p, "/api/session") == 0) {
		admin_session_handle(a, r);
		return;
	}
	if (strncmp(p, "/api/", 5) != 0) {
		admin_console_handle(r);
		return;
	}
	const char *m = http_method(r);
	struct admin_caller c;
	if (admin_auth(a, r, strcmp(m, "GET") != 0 && strcmp(m, "HEAD") != 0, &c) < 0)
		return;
	admin_api_handle(a, r, &c);
}

struct admin *admin_start(const struct admin_opts *o, const struct server_opts *so, struct journal *j,
			  const struct rules *rules, const struct hr_sources *hr, char *err, size_t errlen)
{
	struct admin *a = calloc(1, sizeof(*a));
	if (!a) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&a->mu, NULL);
	a->o = *o;
	a->o.token = strdup(o->token);
	a->journal = j;
	a->hr = hr;
	a->started_ms = clock_now_ms();
	a->intake = intake_new(j, rules, "admin");
	if (a->intake && o->rules_src)
		intake_set_rules_src(a->intake, o->rules_src);
	struct server_opts ao = *so;
	ao.listen = o->listen;
	ao.tls_cert = o->tls_cert;
	ao.tls_key = o->tls_key;
	ao.threads = o->threads;
	ao.max_body = 65536;
	ao.body_memory = 0; /* the hook listener's budget stays the hook listener's */
	ao.unguarded = 1;   /* and so do its connection guard and body watchdog */
	ao.admin_token = a->metrics_token = a->o.token ? strdup(a->o.token) : NULL; /* /metrics here too */
	if (!a->o.token || !a->intake || !ao.admin_token || !(a->srv = server_new(&ao, j)) ||
	    server_route(a->srv, "/", h_admin, a) < 0) {
		snprintf(err, errlen, "out of memory");
		admin_free(a);
		return NULL;
	}
	if (server_start(a->srv, err, errlen) < 0) {
		admin_free(a);
		return NULL;
	}
	admin_refusals_install();
	return a;
}

int admin_port(const struct admin *a)
{
	return server_port(a->srv);
}

void admin_free(struct admin *a)
{
	if (!a)
		return;
	server_free(a->srv);
	intake_free(a->intake);
	secure_free(a->o.token);
	secure_free(a->metrics_token);
	OPENSSL_cleanse(a->sessions, sizeof(a->sessions));
	pthread_mutex_destroy(&a->mu);
	free(a);
}
