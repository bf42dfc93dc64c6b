/* admin_internal.h: what admin.c (listener, sign-in, sessions) shares with api.c, console.c and refusals.c. */
#ifndef HOOKD_ADMIN_INTERNAL_H
#define HOOKD_ADMIN_INTERNAL_H

#include "admin/admin.h"
#include "core/slice.h"

#include <pthread.h>
#include <stddef.h>
#include <stdint.h>

struct http_req;
struct intake;
struct jbuf;
struct server;

#define ADMIN_SESSIONS 64
#define ADMIN_THROTTLE 64
#define ADMIN_WHO_MAX 96

struct admin_session {
	char id[65], csrf[65]; /* hex of 32 random bytes each; id "" when the slot is free */
	char who[ADMIN_WHO_MAX];
	int64_t expires_ms;
};

/* Failed sign-ins per peer address within the current minute. */
struct admin_throttle {
	char addr[48];
	int64_t window_ms;
	int failures;
};

struct admin {
	struct admin_opts o; /* token owned */
	char *metrics_token; /* the admin listener's /metrics token (a copy), owned */
	struct server *srv;
	struct journal *journal;
	struct intake *intake;
	const struct hr_sources *hr;
	pthread_mutex_t mu;
	struct admin_session sessions[ADMIN_SESSIONS];
	struct admin_throttle throttle[ADMIN_THROTTLE];
	int64_t started_ms;
};

/* Who is asking, once admin_auth let them in: "api" for the bearer token, "console:<name>" for a session. */
struct admin_caller {
	char who[ADMIN_WHO_MAX];
	int session;
};

/*
 * Lets the request in with the bearer token, or with a session cookie (and, when mutating, the
 * session's X-CSRF-Token). Returns 0 with c filled, or -1 after answering 401/403.
 */
int admin_auth(struct admin *a, struct http_req *r, int mutating, struct admin_caller *c);
/*
 * The session id in a Cookie header (NULL-safe): 0 with out holding 64 lowercase hex digits and a
 * NUL, -1 when the cookie is absent or not exactly that.
 */
int admin_cookie_parse(const char *cookie_header, char out[65]);
/*
 * A sign-in body {"token": "...", "name": "..."} (name optional): 0 with *token (and *name, or
 * NULL) malloc'd for the caller, or -1 with both NULL for anything else.
 */
int admin_signin_parse(struct slice body, char **token, char **name);
/* /api/session: POST signs in (throttled), GET tells the session's csrf, DELETE signs out. */
void admin_session_handle(struct admin *a, struct http_req *r);

/* Every other /api/ path: overview, events, jobs, sources, people. */
void admin_api_handle(struct admin *a, struct http_req *r, const struct admin_caller *c);
/* The console's static files (embedded) for GET / and /ui/...; 404 otherwise. */
void admin_console_handle(struct http_req *r);
/* Security headers every admin answer carries (CSP, frame and referrer policy). */
extern const char admin_headers[];
/* Sends the JSON in b (200 or status), or a 503 when b ran out of memory. Frees nothing. */
void admin_reply_json(struct http_req *r, int status, const struct jbuf *b);

/* The refusal counts of the hook listener, per source, over the last 24 hours (refusals.c). */
void admin_refusals_install(void);
/* Writes "refusals": {"total": n, "by_reason": [{"status","error","message","count","last_ms"}]} for source. */
void admin_refusals_json(struct jbuf *b, const char *source, int64_t now_ms);

#endif
