/* simapi.c: okta-sim's own endpoints under /sim/ (no auth: local test control) and the /tokens/<t>/verify link. */
#include "sim/simapi.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/log.h"
#include "sim/delivery.h"
#include "sim/events.h"
#include "sim/faults.h"
#include "sim/hooks.h"
#include "sim/http.h"
#include "sim/logs.h"
#include "sim/oauth.h"
#include "sim/outbox.h"
#include "sim/ratelimit.h"
#include "sim/reqlog.h"
#include "sim/schema.h"
#include "sim/sim.h"
#include "sim/users.h"

/* JSON tokens in the small bodies of /sim/clock and /sim/redeliver. */
#define SIMAPI_MAX_TOKENS 16

static int is(const struct http_req *r, const char *method, int nseg, const char *s1, const char *s2)
{
	return strcmp(r->method, method) == 0 && r->nseg == nseg && http_seg_is(r, 0, "sim") &&
	       (!s1 || http_seg_is(r, 1, s1)) && (!s2 || http_seg_is(r, 2, s2));
}

static void reply_ok(struct http_req *r)
{
	http_reply(r, 200, "{\"ok\":true}", 11);
}

static void outbox_get(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	pthread_mutex_lock(&r->sim->mu);
	outbox_to_json(r->sim->outbox, &b);
	pthread_mutex_unlock(&r->sim->mu);
	http_reply_jbuf(r, 200, &b);
}

static void outbox_delete(struct http_req *r)
{
	pthread_mutex_lock(&r->sim->mu);
	outbox_clear_mail(r->sim->outbox);
	pthread_mutex_unlock(&r->sim->mu);
	reply_ok(r);
}

static void faults_get(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	faults_to_json(r->sim->faults, &b);
	http_reply_jbuf(r, 200, &b);
}

static void faults_post(struct http_req *r)
{
	char err[160];
	if (faults_set_json(r->sim->faults, r->body, r->body_len, err, sizeof(err)) < 0) {
		http_fail(r, 400, "invalid_faults", err);
		return;
	}
	log_info("faults set");
	faults_get(r);
}

static void faults_delete(struct http_req *r)
{
	faults_clear(r->sim->faults);
	faults_get(r);
}

static void requests_get(struct http_req *r)
{
	char v[24];
	int have = http_query(r, "since", v, sizeof(v));
	char *end = NULL;
	unsigned long long since = have == 1 ? strtoull(v, &end, 10) : 0;
	if (have < 0 || (have == 1 && (!v[0] || *end || v[0] == '-'))) {
		http_fail(r, 400, "invalid_query", "since must be a sequence number");
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	reqlog_to_json(r->sim->reqlog, since, &b);
	http_reply_jbuf(r, 200, &b);
}

static void requests_delete(struct http_req *r)
{
	reqlog_clear(r->sim->reqlog);
	reply_ok(r);
}

static void clock_get(struct http_req *r)
{
	char t[40];
	clock_format_ms(sim_now_ms(r->sim), t, sizeof(t));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "offset_s", atomic_load(&r->sim->clock_offset_ms) / 1000);
	jbuf_key_str(&b, "now", t);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, 200, &b);
}

static void clock_post(struct http_req *r)
{
	struct json j;
	char err[128];
	int64_t off;
	if (json_parse(&j, r->body, r->body_len, SIMAPI_MAX_TOKENS, err, sizeof(err)) < 0) {
		http_fail(r, 400, "invalid_json", err);
		return;
	}
	int i = json_get(&j, 0, "offset_s");
	int ok = json_is_object(&j, 0) && !json_is_string(&j, i) && json_int(&j, i, &off) == 0 &&
		 off > -100LL * 365 * 86400 && off < 100LL * 365 * 86400;
	json_free(&j);
	if (!ok) {
		http_fail(r, 400, "invalid_clock", "body must be {\"offset_s\": <integer seconds>}");
		return;
	}
	atomic_store(&r->sim->clock_offset_ms, off * 1000);
	clock_get(r);
}

/*
 * Clears the org: users, one-time tokens, outbox, event hooks, events, the System Log, custom schema
 * properties, group ids, deliveries, faults, rate-limit windows and the clock offset. OAuth access tokens
 * and the jti replay cache stay.
 */
static void org_reset(struct sim *s)
{
	pthread_mutex_lock(&s->mu);
	users_reset(s->users);
	outbox_reset(s->outbox);
	hooks_reset(s->hooks);
	events_reset(s->events);
	logs_reset(s->logs);
	schema_reset(s->schema);
	pthread_mutex_unlock(&s->mu);
	delivery_reset(s->delivery);
	faults_clear(s->faults);
	reqlog_clear(s->reqlog);
	ratelimit_reset(s->rl);
	atomic_store(&s->clock_offset_ms, 0);
}

static void reset(struct http_req *r)
{
	org_reset(r->sim);
	log_info("org reset");
	reply_ok(r);
}

static void events_get(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	pthread_mutex_lock(&r->sim->mu);
	events_to_json(r->sim->events, &b);
	pthread_mutex_unlock(&r->sim->mu);
	http_reply_jbuf(r, 200, &b);
}

static void deliveries_get(struct http_req *r)
{
	int body = 0;
	if (http_query_bool(r, "body", 0, &body) < 0) {
		http_fail(r, 400, "invalid_query", "body must be true or false");
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	delivery_to_json(r->sim->delivery, &b, body);
	http_reply_jbuf(r, 200, &b);
}

static void redeliver(struct http_req *r)
{
	int64_t seq = 0;
	char err[160];
	if (r->body_len) {
		struct json j;
		if (json_parse(&j, r->body, r->body_len, SIMAPI_MAX_TOKENS, err, sizeof(err)) < 0) {
			http_fail(r, 400, "invalid_json", err);
			return;
		}
		int i = json_get(&j, 0, "seq");
		int ok = json_is_object(&j, 0) && (i < 0 || (!json_is_string(&j, i) && json_int(&j, i, &seq) == 0));
		json_free(&j);
		if (!ok || seq < 0) {
			http_fail(r, 400, "invalid_request", "body must be {} or {\"seq\": <delivery seq>}");
			return;
		}
	}
	long out = delivery_redeliver(r->sim->delivery, (long)seq, err, sizeof(err));
	if (out < 0) {
		http_fail(r, 404, "no_delivery", err);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "seq", out);
	jbuf_key_int(&b, "redelivery_of", seq ? seq : out - 1);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, 202, &b);
}

static void principal_json(struct jbuf *b, const struct principal *p)
{
	char scopes[128];
	auth_scopes_format(p->scopes, scopes, sizeof(scopes));
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", p->id);
	jbuf_key_str(b, "type", p->type);
	jbuf_key_str(b, "alternateId", p->alternate_id);
	jbuf_key_str(b, "displayName", p->display_name);
	jbuf_key_str(b, "scopes", scopes);
	jbuf_obj_close(b);
}

/* With Authorization: that caller's actor; without: the actor of each configured credential. */
static void whoami(struct http_req *r)
{
	struct sim *s = r->sim;
	const char *h = http_header_in(r, "Authorization");
	struct principal who;
	struct jbuf b;
	jbuf_init(&b);
	if (h) {
		if (auth_check(s->auth, s->oauth, h, sim_now_ms(s), &who) < 0) {
			jbuf_free(&b);
			http_fail(r, 401, "invalid_token", "the Authorization header names no valid credential");
			return;
		}
		principal_json(&b, &who);
	} else {
		jbuf_obj_open(&b);
		jbuf_key(&b, "ssws");
		principal_json(&b, auth_ssws_principal(s->auth));
		jbuf_key_str(&b, "ssws_token_id", auth_ssws_token_id(s->auth));
		jbuf_key(&b, "oauth");
		if (s->oauth)
			principal_json(&b, oauth_principal(s->oauth));
		else
			jbuf_puts(&b, "null");
		jbuf_obj_close(&b);
	}
	http_reply_jbuf(r, 200, &b);
}

static void config_get(struct http_req *r)
{
	struct sim *s = r->sim;
	char rl[256], token_url[300];
	snprintf(token_url, sizeof(token_url), "%s/oauth2/v1/token", s->base_url);
	ratelimit_describe(s->rl, rl, sizeof(rl));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "base_url", s->base_url);
	jbuf_key_str(&b, "token_url", token_url);
	jbuf_key_int(&b, "token_ttl_s", s->cfg.token_ttl_ms / 1000);
	jbuf_key_str(&b, "rate_limit", rl);
	jbuf_key_str(&b, "oauth_client_id", s->cfg.oauth_client_id);
	jbuf_key_str(&b, "oauth_dpop",
		     !oauth_requires_dpop(s->oauth) ? "off"
		     : s->cfg.oauth_dpop_api_nonce  ? "api_nonce"
						    : "on");
	jbuf_key_str(&b, "user_type_id", s->user_type_id);
	jbuf_key_str(&b, "ssws_token_id", auth_ssws_token_id(s->auth));
	jbuf_key_int(&b, "search_lag_ms", s->cfg.search_lag_ms);
	jbuf_key_int(&b, "transition_ms", s->cfg.transition_ms);
	jbuf_obj_close(&b);
	http_reply_jbuf(r, 200, &b);
}

static void route(struct http_req *r)
{
	if (strcmp(r->method, "POST") == 0 && http_read_body(r) < 0)
		return;
	if (strcmp(r->method, "GET") == 0 && r->nseg == 3 && http_seg_is(r, 0, "tokens") && http_seg_is(r, 2, "verify"))
		users_click(r, r->seg[1]);
	else if (is(r, "POST", 3, "activate", NULL))
		users_click(r, r->seg[2]);
	else if (is(r, "GET", 2, "outbox", NULL))
		outbox_get(r);
	else if (is(r, "DELETE", 2, "outbox", NULL))
		outbox_delete(r);
	else if (is(r, "GET", 2, "faults", NULL))
		faults_get(r);
	else if (is(r, "POST", 2, "faults", NULL))
		faults_post(r);
	else if (is(r, "DELETE", 2, "faults", NULL))
		faults_delete(r);
	else if (is(r, "GET", 2, "requests", NULL))
		requests_get(r);
	else if (is(r, "DELETE", 2, "requests", NULL))
		requests_delete(r);
	else if (is(r, "GET", 2, "clock", NULL))
		clock_get(r);
	else if (is(r, "POST", 2, "clock", NULL))
		clock_post(r);
	else if (is(r, "POST", 2, "reset", NULL))
		reset(r);
	else if (is(r, "GET", 2, "users", NULL))
		users_sim_list(r);
	else if (is(r, "POST", 3, "email", "bounce"))
		users_bounce(r);
	else if (is(r, "GET", 2, "events", NULL))
		events_get(r);
	else if (is(r, "GET", 2, "logs", NULL))
		logs_sim_get(r);
	else if (is(r, "POST", 2, "logs", NULL))
		logs_sim_post(r);
	else if (is(r, "GET", 2, "deliveries", NULL))
		deliveries_get(r);
	else if (is(r, "POST", 3, "hooks", "redeliver"))
		redeliver(r);
	else if (is(r, "GET", 2, "groups", NULL))
		users_groups_get(r);
	else if (is(r, "POST", 2, "groups", NULL))
		users_groups_add(r);
	else if (is(r, "GET", 2, "whoami", NULL))
		whoami(r);
	else if (is(r, "GET", 2, "config", NULL))
		config_get(r);
	else
		http_fail(r, 404, "not_found", "no such okta-sim endpoint (see okta-sim --help)");
}

int simapi_handler(struct mg_connection *conn, void *cbdata)
{
	struct http_req *r = sim_xcalloc(1, sizeof(*r));
	if (http_req_init(r, conn, cbdata) == 0)
		route(r);
	char status[8];
	snprintf(status, sizeof(status), "%d", r->status);
	/* one-time links are secrets: log which endpoint, never the token */
	int link = http_seg_is(r, 0, "tokens") || (http_seg_is(r, 0, "sim") && http_seg_is(r, 1, "activate"));
	log_info("sim request", "method", r->method, "path", link ? "(one-time link)" : r->path, "status", status);
	int rc = r->status;
	http_req_free(r);
	free(r);
	return rc;
}

int simapi_not_found(struct mg_connection *conn, void *cbdata)
{
	struct http_req *r = sim_xcalloc(1, sizeof(*r));
	if (http_req_init(r, conn, cbdata) == 0)
		http_fail(r, 404, "not_found", "okta-sim serves /api/v1, /oauth2/v1/token, /sim/ and /tokens/");
	int rc = r->status;
	http_req_free(r);
	free(r);
	return rc;
}
