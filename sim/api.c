/* api.c: the /api/v1 and /oauth2/v1 front door: route table, rate limits, faults, auth and scopes, then the handler. */
#include "sim/api.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "core/clock.h"
#include "core/log.h"
#include "sim/faults.h"
#include "sim/hooks.h"
#include "sim/http.h"
#include "sim/logs.h"
#include "sim/oauth.h"
#include "sim/ratelimit.h"
#include "sim/reqlog.h"
#include "sim/schema.h"
#include "sim/sim.h"
#include "sim/users.h"

struct route {
	const char *method;
	const char *pattern; /* path segments, "*" matches one */
	enum rl_bucket bucket;
	enum auth_need need;
	void (*fn)(struct http_req *r);
};

static void token_endpoint(struct http_req *r)
{
	oauth_token_endpoint(r->sim->oauth, r);
}

static const struct route routes[] = {
	{ "GET", "api/v1/users", RL_USERS, NEED_USERS_READ, users_list },
	{ "POST", "api/v1/users", RL_USERS, NEED_USERS_MANAGE, users_create },
	{ "GET", "api/v1/users/*", RL_USER, NEED_USERS_READ, users_get },
	{ "POST", "api/v1/users/*", RL_USER_WRITE, NEED_USERS_MANAGE, users_update },
	{ "PUT", "api/v1/users/*", RL_USER_WRITE, NEED_USERS_MANAGE, users_replace },
	{ "DELETE", "api/v1/users/*", RL_USER_WRITE, NEED_USERS_MANAGE, users_delete },
	{ "POST", "api/v1/users/*/lifecycle/activate", RL_USER_WRITE, NEED_USERS_MANAGE, users_activate },
	{ "POST", "api/v1/users/*/lifecycle/reactivate", RL_USER_WRITE, NEED_USERS_MANAGE, users_reactivate },
	{ "POST", "api/v1/users/*/lifecycle/deactivate", RL_USER_WRITE, NEED_USERS_MANAGE, users_deactivate },
	{ "POST", "api/v1/users/*/lifecycle/reset_password", RL_USER_WRITE, NEED_USERS_MANAGE, users_reset_password },
	{ "GET", "api/v1/eventHooks", RL_HOOKS, NEED_HOOKS_READ, hooks_list },
	{ "POST", "api/v1/eventHooks", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_create },
	{ "GET", "api/v1/eventHooks/*", RL_HOOKS, NEED_HOOKS_READ, hooks_get },
	{ "POST", "api/v1/eventHooks/*/lifecycle/verify", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_verify },
	{ "PUT", "api/v1/eventHooks/*", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_replace },
	{ "DELETE", "api/v1/eventHooks/*", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_delete },
	{ "POST", "api/v1/eventHooks/*/lifecycle/activate", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_activate },
	{ "POST", "api/v1/eventHooks/*/lifecycle/deactivate", RL_HOOKS, NEED_HOOKS_MANAGE, hooks_deactivate },
	{ "GET", "api/v1/meta/schemas/user/*", RL_OTHER, NEED_USERS_READ, schema_get },
	{ "POST", "api/v1/meta/schemas/user/*", RL_OTHER, NEED_USERS_MANAGE, schema_update },
	{ "GET", "api/v1/logs", RL_LOGS, NEED_LOGS_READ, logs_list },
	{ "POST", "oauth2/v1/token", RL_TOKEN, NEED_NONE, token_endpoint },
};

static int path_matches(const struct http_req *r, const char *pattern)
{
	int i = 0;
	const char *p = pattern;
	while (*p) {
		size_t n = strcspn(p, "/");
		if (i >= r->nseg)
			return 0;
		if (!(n == 1 && *p == '*' && r->seg[i][0]) && (strlen(r->seg[i]) != n || strncmp(r->seg[i], p, n) != 0))
			return 0;
		i++;
		p += n + (p[n] == '/');
	}
	return i == r->nseg;
}

/* The route for r; *path_known tells a wrong method (405) from an unknown path (404). */
static const struct route *route_find(const struct http_req *r, int *path_known)
{
	*path_known = 0;
	for (size_t i = 0; i < sizeof(routes) / sizeof(routes[0]); i++) {
		if (!path_matches(r, routes[i].pattern))
			continue;
		*path_known = 1;
		if (strcmp(routes[i].method, r->method) == 0)
			return &routes[i];
	}
	return NULL;
}

static void rate_headers(struct http_req *r, const struct rl_state *st, int zero)
{
	char v[32];
	snprintf(v, sizeof(v), "%ld", st->limit);
	http_add_header(r, "X-Rate-Limit-Limit", v);
	snprintf(v, sizeof(v), "%ld", zero ? 0 : st->remaining);
	http_add_header(r, "X-Rate-Limit-Remaining", v);
	snprintf(v, sizeof(v), "%lld", st->reset_s);
	http_add_header(r, "X-Rate-Limit-Reset", v);
}

static void too_many(struct http_req *r)
{
	http_okta_error(r, 429, "E0000047", "API call exceeded rate limit due to too many requests.", NULL);
}

/* Rate limit and faults; returns 1 when the request was answered (or dropped) here. */
static int gate(struct http_req *r, enum rl_bucket bucket)
{
	struct rl_state st;
	int delay_ms, status;
	int over = ratelimit_take(r->sim->rl, bucket, clock_now_ms(), &st);
	enum fault_action a = faults_roll(r->sim->faults, &delay_ms, &status);
	rate_headers(r, &st, a == FAULT_429);
	r->bucket = ratelimit_bucket_name(bucket);
	r->rl_reset_s = st.reset_s;
	r->rl_remaining = a == FAULT_429 ? 0 : st.remaining;
	r->fault = a == FAULT_429     ? "429"
		   : a == FAULT_DROP  ? "drop"
		   : a == FAULT_ERROR ? "error"
		   : a == FAULT_LOST  ? "lost"
				      : NULL;
	if (delay_ms > 0 && a == FAULT_NONE)
		r->fault = "latency";
	if (delay_ms > 0) {
		struct timespec ts = { delay_ms / 1000, (delay_ms % 1000) * 1000000L };
		nanosleep(&ts, NULL);
	}
	switch (a) {
	case FAULT_429: too_many(r); return 1;
	case FAULT_DROP: http_drop(r); return 1;
	case FAULT_ERROR:
		http_okta_error(r, status, "E0000009", "Internal Server Error", "injected by okta-sim /sim/faults");
		return 1;
	case FAULT_LOST:
		r->lose_reply = 1; /* the call runs below; http_reply drops instead of answering */
		break;
	case FAULT_NONE: break;
	}
	if (over) {
		too_many(r);
		return 1;
	}
	return 0;
}

/*
 * X-Sim-Console: true: the call acts as the API token's owner working in the Admin Console (a
 * session, no API token), so its events carry no requestApiTokenId. okta-sim only.
 */
static int console_call(struct http_req *r)
{
	const char *c = http_header_in(r, "X-Sim-Console");
	if (!c || strcasecmp(c, "true") != 0)
		return 0;
	r->who = *auth_ssws_principal(r->sim->auth);
	r->console = 1;
	return 1;
}

/*
 * Okta's answers to bad credentials: no Authorization (or a scheme it does not take) is a missing
 * session, 403 E0000005; a wrong SSWS or Bearer token is 401 E0000011.
 */
static void refuse_credentials(struct http_req *r, const char *h)
{
	int ssws = h && strncmp(h, "SSWS ", 5) == 0, bearer = h && strncmp(h, "Bearer ", 7) == 0;
	if (!ssws && !bearer) {
		http_okta_error(r, 403, "E0000005", "Invalid session", NULL);
		return;
	}
	if (bearer)
		http_add_header(r, "WWW-Authenticate", "Bearer realm=\"okta-sim\", error=\"invalid_token\"");
	http_okta_error(r, 401, "E0000011", "Invalid token provided", NULL);
}

/* Authentication and scope; returns 1 when the request was refused. */
static int refuse(struct http_req *r, enum auth_need need)
{
	if (need == NEED_NONE)
		return 0;
	const char *h = http_header_in(r, "Authorization");
	long long now_ms = sim_now_ms(r->sim);
	if (!console_call(r)) {
		if (h && r->sim->oauth && strncmp(h, "DPoP ", 5) == 0) {
			if (oauth_dpop_authenticate(r->sim->oauth, r, h + 5, &r->who) < 0)
				return 1;
		} else if (h && r->sim->oauth && strncmp(h, "Bearer ", 7) == 0 &&
			   oauth_token_bound(r->sim->oauth, h + 7, now_ms)) {
			oauth_bearer_refused(r->sim->oauth, r);
			return 1;
		} else if (auth_check(r->sim->auth, r->sim->oauth, h, now_ms, &r->who) < 0) {
			refuse_credentials(r, h);
			return 1;
		}
		if (strncmp(h, "SSWS ", 5) == 0)
			snprintf(r->api_token_id, sizeof(r->api_token_id), "%s", auth_ssws_token_id(r->sim->auth));
	}
	r->authed = 1;
	if (!auth_allows(&r->who, need)) {
		http_okta_error(r, 403, "E0000006", "You do not have permission to perform the requested action", NULL);
		return 1;
	}
	return 0;
}

static void dispatch(struct http_req *r)
{
	int known;
	const struct route *rt = route_find(r, &known);
	if (gate(r, rt ? rt->bucket : RL_OTHER))
		return;
	if (!rt) {
		char msg[1200];
		snprintf(msg, sizeof(msg), "Not found: Resource not found: %s", r->path);
		if (known)
			http_okta_error(r, 405, "E0000022", "The endpoint does not support the provided HTTP method",
					NULL);
		else
			http_okta_error(r, 404, "E0000007", msg, NULL);
		return;
	}
	if ((strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0) && http_read_body(r) < 0)
		return;
	if (refuse(r, rt->need))
		return;
	rt->fn(r);
}

int api_handler(struct mg_connection *conn, void *cbdata)
{
	struct http_req *r = sim_xcalloc(1, sizeof(*r));
	int64_t t0 = clock_mono_ns(), start_ms = clock_now_ms();
	r->rl_remaining = -1;
	if (http_req_init(r, conn, cbdata) == 0)
		dispatch(r);
	struct reqlog_entry e = { .start_ms = start_ms,
				  .end_ms = clock_now_ms(),
				  .method = r->method,
				  .path = r->path,
				  .bucket = r->bucket,
				  .fault = r->fault,
				  .actor = r->authed ? r->who.id : NULL,
				  .status = r->status,
				  .lost_status = r->lose_reply ? r->lost_status : 0,
				  .reset_s = r->bucket ? r->rl_reset_s : 0,
				  .remaining = r->rl_remaining };
	reqlog_add(r->sim->reqlog, &e);
	char status[8], ms[24];
	snprintf(status, sizeof(status), "%d", r->status);
	snprintf(ms, sizeof(ms), "%.1f", (double)(clock_mono_ns() - t0) / 1e6);
	log_info("request", "method", r->method, "path", r->path, "status", status, "ms", ms, "request_id",
		 r->request_id, "actor", r->authed ? r->who.id : NULL);
	int rc = r->status ? r->status : 500;
	http_req_free(r);
	free(r);
	return rc;
}
