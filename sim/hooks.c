/* hooks.c: event hooks: registration with Okta's validation, list/get, and the one-time verification GET. */
#include "sim/hooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/json.h"
#include "core/utf8.h"
#include "sim/hooktypes.h"
#include "sim/http.h"
#include "sim/sim.h"

#define VERIFY_TIMEOUT_MS 3000
#define ACTIVE_MAX 25 /* Okta: at most 25 active event hooks per org */
/* JSON tokens in an event hook create or update body. */
#define HOOK_MAX_TOKENS 4096
/* JSON tokens in a verification reply: {"verification": "..."}. */
#define VERIFY_MAX_TOKENS 64

struct hook {
	char id[24];
	char *name;
	char *description;
	long long created_ms, updated_ms;
	char created_by[40];
	int active; /* ACTIVE (1) or INACTIVE (0): lifecycle/activate and /deactivate */
	int verified;
	char **items;
	int nitems;
	struct hook_channel ch; /* authScheme header first when has_auth */
	int has_auth;
};

struct hooks {
	struct hook **v;
	int n;
};

struct hooks *hooks_new(void)
{
	return sim_xcalloc(1, sizeof(struct hooks));
}

static void hook_free(struct hook *k)
{
	if (!k)
		return;
	free(k->name);
	free(k->description);
	for (int i = 0; i < k->nitems; i++)
		free(k->items[i]);
	free(k->items);
	hook_channel_clear(&k->ch);
	free(k);
}

void hooks_reset(struct hooks *h)
{
	for (int i = 0; i < h->n; i++)
		hook_free(h->v[i]);
	free(h->v);
	h->v = NULL;
	h->n = 0;
}

void hooks_free(struct hooks *h)
{
	if (!h)
		return;
	hooks_reset(h);
	free(h);
}

int hooks_count(const struct hooks *h)
{
	return h->n;
}

int hooks_wants(const struct hooks *h, int i, const char *type)
{
	const struct hook *k = h->v[i];
	if (!k->verified || !k->active)
		return 0;
	for (int j = 0; j < k->nitems; j++)
		if (strcmp(k->items[j], type) == 0)
			return 1;
	return 0;
}

const char *hooks_id(const struct hooks *h, int i)
{
	return h->v[i]->id;
}

const struct hook_channel *hooks_channel(const struct hooks *h, int i)
{
	return &h->v[i]->ch;
}

static struct hook *hook_find(struct hooks *h, const char *id)
{
	for (int i = 0; i < h->n; i++)
		if (strcmp(h->v[i]->id, id) == 0)
			return h->v[i];
	return NULL;
}

static void link_json(struct jbuf *b, const char *rel, const char *href, int post)
{
	jbuf_key(b, rel);
	jbuf_obj_open(b);
	jbuf_key_str(b, "href", href);
	if (post)
		jbuf_key_raw(b, "hints", "{\"allow\":[\"POST\"]}", 18);
	jbuf_obj_close(b);
}

static void channel_json(struct jbuf *b, const struct hook *k)
{
	jbuf_obj_open(b);
	jbuf_key_str(b, "type", "HTTP");
	jbuf_key_str(b, "version", "1.0.0");
	jbuf_key(b, "config");
	jbuf_obj_open(b);
	jbuf_key_str(b, "uri", k->ch.uri);
	jbuf_key(b, "headers");
	jbuf_arr_open(b);
	for (int i = k->has_auth; i < k->ch.nhdr; i++) {
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_str(b, "key", k->ch.key[i]);
		jbuf_key_str(b, "value", k->ch.val[i]);
		jbuf_obj_close(b);
	}
	jbuf_arr_close(b);
	jbuf_key_str(b, "method", "POST");
	if (k->has_auth) {
		jbuf_key(b, "authScheme");
		jbuf_obj_open(b);
		jbuf_key_str(b, "type", "HEADER");
		jbuf_key_str(b, "key", k->ch.key[0]);
		jbuf_obj_close(b);
	}
	jbuf_obj_close(b);
	jbuf_obj_close(b);
}

static void hook_json(struct jbuf *b, const struct hook *k, const char *base)
{
	char t[40], href[512];
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", k->id);
	jbuf_key_str(b, "status", k->active ? "ACTIVE" : "INACTIVE");
	jbuf_key_str(b, "verificationStatus", k->verified ? "VERIFIED" : "UNVERIFIED");
	jbuf_key_str(b, "name", k->name);
	jbuf_key_str(b, "description", k->description);
	clock_format_ms(k->created_ms, t, sizeof(t));
	jbuf_key_str(b, "created", t);
	jbuf_key_str(b, "createdBy", k->created_by);
	clock_format_ms(k->updated_ms, t, sizeof(t));
	jbuf_key_str(b, "lastUpdated", t);
	jbuf_key(b, "events");
	jbuf_obj_open(b);
	jbuf_key_str(b, "type", "EVENT_TYPE");
	jbuf_key(b, "items");
	jbuf_arr_open(b);
	for (int i = 0; i < k->nitems; i++) {
		jbuf_elem(b);
		jbuf_str(b, k->items[i]);
	}
	jbuf_arr_close(b);
	jbuf_key_raw(b, "filter", "null", 4);
	jbuf_obj_close(b);
	jbuf_key(b, "channel");
	channel_json(b, k);
	jbuf_key(b, "_links");
	jbuf_obj_open(b);
	snprintf(href, sizeof(href), "%s/api/v1/eventHooks/%s", base, k->id);
	link_json(b, "self", href, 0);
	snprintf(href, sizeof(href), "%s/api/v1/eventHooks/%s/lifecycle/verify", base, k->id);
	link_json(b, "verify", href, 1);
	snprintf(href, sizeof(href), "%s/api/v1/eventHooks/%s/lifecycle/%s", base, k->id,
		 k->active ? "deactivate" : "activate");
	link_json(b, k->active ? "deactivate" : "activate", href, 1);
	jbuf_obj_close(b);
	jbuf_obj_close(b);
}

static void reply_hook(struct http_req *r, const struct hook *k)
{
	struct jbuf b;
	jbuf_init(&b);
	hook_json(&b, k, r->sim->base_url);
	http_reply_jbuf(r, 200, &b);
}

void hooks_list(struct http_req *r)
{
	struct sim *s = r->sim;
	struct jbuf b;
	jbuf_init(&b);
	pthread_mutex_lock(&s->mu);
	jbuf_arr_open(&b);
	for (int i = 0; i < s->hooks->n; i++) {
		jbuf_elem(&b);
		hook_json(&b, s->hooks->v[i], s->base_url);
	}
	jbuf_arr_close(&b);
	pthread_mutex_unlock(&s->mu);
	http_reply_jbuf(r, 200, &b);
}

static void not_found(struct http_req *r, const char *id)
{
	char msg[400];
	snprintf(msg, sizeof(msg), "Not found: Resource not found: %.*s (EventHook)", utf8_prefix(id, 300), id);
	http_okta_error(r, 404, "E0000007", msg, NULL);
}

void hooks_get(struct http_req *r)
{
	struct sim *s = r->sim;
	pthread_mutex_lock(&s->mu);
	struct hook *k = hook_find(s->hooks, r->seg[3]);
	if (k)
		reply_hook(r, k);
	else
		not_found(r, r->seg[3]);
	pthread_mutex_unlock(&s->mu);
}

/* Validation: returns NULL when fine, else the failing field; cause gets the errorCauses text. */
static const char *check_events(const struct json *j, int ev, struct hook *k, char *cause, size_t n)
{
	int type = json_get(j, ev, "type"), items = json_get(j, ev, "items");
	if (!json_is_object(j, ev) || !json_str_eq(j, type, "EVENT_TYPE")) {
		snprintf(cause, n, "events.type: The field must be EVENT_TYPE");
		return "events";
	}
	if (!json_is_array(j, items) || json_size(j, items) == 0 || json_size(j, items) > 100) {
		snprintf(cause, n, "events.items: Provide between 1 and 100 event types");
		return "events";
	}
	for (int i = 0; i < json_size(j, items); i++) {
		int it = json_at(j, items, i);
		char *v = json_is_string(j, it) ? json_strdup(j, it) : NULL;
		if (!v || !v[0] || strlen(v) > 63) {
			free(v);
			snprintf(cause, n, "events.items: Each item must be an event type name");
			return "events";
		}
		if (!hooktypes_eligible(v)) {
			snprintf(cause, n, "events.items: %s is not an event type eligible for event hooks", v);
			free(v);
			return "events";
		}
		k->items = sim_xrealloc(k->items, sizeof(char *) * (size_t)(k->nitems + 1));
		k->items[k->nitems++] = v;
	}
	return NULL;
}

static const char *check_auth(const struct json *j, int auth, struct hook *k, char *cause, size_t n)
{
	if (auth < 0 || json_is_null(j, auth))
		return NULL;
	int key = json_get(j, auth, "key"), val = json_get(j, auth, "value");
	if (!json_is_object(j, auth) || !json_str_eq(j, json_get(j, auth, "type"), "HEADER") ||
	    !json_is_string(j, key) || json_raw(j, key).n == 0 || !json_is_string(j, val)) {
		snprintf(cause, n, "channel.config.authScheme: type HEADER with a key and a value is required");
		return "channel.config.authScheme";
	}
	char *ks = json_strdup(j, key), *vs = json_strdup(j, val);
	if (ks && vs)
		hook_channel_add(&k->ch, ks, vs);
	k->has_auth = 1;
	free(ks);
	free(vs);
	return NULL;
}

static const char *check_headers(const struct json *j, int hdrs, struct hook *k, char *cause, size_t n)
{
	if (hdrs < 0 || json_is_null(j, hdrs))
		return NULL;
	if (!json_is_array(j, hdrs) || json_size(j, hdrs) > 20)
		goto bad;
	for (int i = 0; i < json_size(j, hdrs); i++) {
		int h = json_at(j, hdrs, i), key = json_get(j, h, "key"), val = json_get(j, h, "value");
		if (!json_is_string(j, key) || json_raw(j, key).n == 0 || !json_is_string(j, val))
			goto bad;
		char *ks = json_strdup(j, key), *vs = json_strdup(j, val);
		if (ks && vs && !strpbrk(ks, ":\r\n") && !strpbrk(vs, "\r\n"))
			hook_channel_add(&k->ch, ks, vs);
		free(ks);
		free(vs);
	}
	return NULL;
bad:
	snprintf(cause, n, "channel.config.headers: A list of at most 20 {key, value} strings is required");
	return "channel.config.headers";
}

static const char *check_channel(const struct json *j, int ch, struct hook *k, char *cause, size_t n)
{
	int cfg = json_get(j, ch, "config");
	int uri = json_get(j, cfg, "uri");
	if (!json_is_object(j, ch) || !json_str_eq(j, json_get(j, ch, "type"), "HTTP") ||
	    !json_str_eq(j, json_get(j, ch, "version"), "1.0.0") || !json_is_object(j, cfg)) {
		snprintf(cause, n, "channel: type HTTP, version 1.0.0 and a config object are required");
		return "channel";
	}
	char *u = json_is_string(j, uri) ? json_strdup(j, uri) : NULL;
	if (!u || strncasecmp(u, "https://", 8) != 0 || strlen(u) < 9 || strlen(u) > 1024 || strpbrk(u, " \r\n")) {
		free(u);
		snprintf(cause, n, "channel.config.uri: The URI must be a valid HTTPS URL");
		return "channel.config.uri";
	}
	k->ch.uri = u;
	const char *bad = check_auth(j, json_get(j, cfg, "authScheme"), k, cause, n);
	return bad ? bad : check_headers(j, json_get(j, cfg, "headers"), k, cause, n);
}

static const char *check_hook(const struct json *j, struct hook *k, char *cause, size_t n)
{
	int name = json_get(j, 0, "name"), desc = json_get(j, 0, "description");
	k->name = json_is_string(j, name) ? json_strdup(j, name) : NULL;
	if (!k->name || !k->name[0] || strlen(k->name) > 255) {
		snprintf(cause, n, "name: The field cannot be left blank");
		return "name";
	}
	if (desc >= 0 && !json_is_null(j, desc)) {
		if (!json_is_string(j, desc)) {
			snprintf(cause, n, "description: The field must be a string");
			return "description";
		}
		k->description = json_strdup(j, desc);
	}
	const char *bad = check_events(j, json_get(j, 0, "events"), k, cause, n);
	return bad ? bad : check_channel(j, json_get(j, 0, "channel"), k, cause, n);
}

static int active_count(const struct hooks *h)
{
	int n = 0;
	for (int i = 0; i < h->n; i++)
		n += h->v[i]->active;
	return n;
}

static void too_many_active(struct http_req *r)
{
	http_okta_error(r, 400, "E0000001", "Api validation failed: eventHook",
			"The org already has the maximum of 25 active event hooks; deactivate one first");
}

/* A hook from the request body (createEventHook / replaceEventHook); NULL after answering 400. */
static struct hook *hook_from_body(struct http_req *r)
{
	struct json j;
	char err[128], cause[256], summary[128];
	if (json_parse(&j, r->body ? r->body : "", r->body_len, HOOK_MAX_TOKENS, err, sizeof(err)) < 0 ||
	    !json_is_object(&j, 0)) {
		json_free(&j);
		http_okta_error(r, 400, "E0000003", "The request body was not well-formed.", err);
		return NULL;
	}
	struct hook *k = sim_xcalloc(1, sizeof(*k));
	const char *bad = check_hook(&j, k, cause, sizeof(cause));
	json_free(&j);
	if (bad) {
		hook_free(k);
		snprintf(summary, sizeof(summary), "Api validation failed: %s", bad);
		http_okta_error(r, 400, "E0000001", summary, cause);
		return NULL;
	}
	return k;
}

void hooks_create(struct http_req *r)
{
	struct sim *s = r->sim;
	struct hook *k = hook_from_body(r);
	if (!k)
		return;
	sim_new_id(k->id, "who");
	snprintf(k->created_by, sizeof(k->created_by), "%s", r->who.id);
	k->active = 1;
	pthread_mutex_lock(&s->mu);
	if (active_count(s->hooks) >= ACTIVE_MAX) {
		too_many_active(r);
		hook_free(k);
	} else {
		k->created_ms = k->updated_ms = sim_now_ms(s);
		s->hooks->v = sim_xrealloc(s->hooks->v, sizeof(struct hook *) * (size_t)(s->hooks->n + 1));
		s->hooks->v[s->hooks->n++] = k;
		reply_hook(r, k);
	}
	pthread_mutex_unlock(&s->mu);
}

static int same_channel(const struct hook_channel *a, const struct hook_channel *b)
{
	if (strcmp(a->uri, b->uri) != 0 || a->nhdr != b->nhdr)
		return 0;
	for (int i = 0; i < a->nhdr; i++)
		if (strcmp(a->key[i], b->key[i]) != 0 || strcmp(a->val[i], b->val[i]) != 0)
			return 0;
	return 1;
}

/* PUT: name, description, events and channel replaced; a changed channel must be verified again. */
void hooks_replace(struct http_req *r)
{
	struct sim *s = r->sim;
	struct hook *n = hook_from_body(r);
	if (!n)
		return;
	pthread_mutex_lock(&s->mu);
	int i = 0;
	while (i < s->hooks->n && strcmp(s->hooks->v[i]->id, r->seg[3]) != 0)
		i++;
	if (i == s->hooks->n) {
		not_found(r, r->seg[3]);
		hook_free(n);
	} else {
		struct hook *old = s->hooks->v[i];
		memcpy(n->id, old->id, sizeof(n->id));
		memcpy(n->created_by, old->created_by, sizeof(n->created_by));
		n->created_ms = old->created_ms;
		n->active = old->active;
		n->verified = old->verified && same_channel(&old->ch, &n->ch);
		n->updated_ms = sim_now_ms(s);
		s->hooks->v[i] = n;
		hook_free(old);
		reply_hook(r, n);
	}
	pthread_mutex_unlock(&s->mu);
}

/* POST .../lifecycle/activate|deactivate: 200 with the hook. */
static void set_active(struct http_req *r, int on)
{
	struct sim *s = r->sim;
	pthread_mutex_lock(&s->mu);
	struct hook *k = hook_find(s->hooks, r->seg[3]);
	if (!k) {
		not_found(r, r->seg[3]);
	} else if (on && !k->active && active_count(s->hooks) >= ACTIVE_MAX) {
		too_many_active(r);
	} else {
		if (k->active != on)
			k->updated_ms = sim_now_ms(s);
		k->active = on;
		reply_hook(r, k);
	}
	pthread_mutex_unlock(&s->mu);
}

void hooks_activate(struct http_req *r)
{
	set_active(r, 1);
}

void hooks_deactivate(struct http_req *r)
{
	set_active(r, 0);
}

/* DELETE: only an INACTIVE hook may be deleted (Okta's safety rule); 204. */
void hooks_delete(struct http_req *r)
{
	struct sim *s = r->sim;
	pthread_mutex_lock(&s->mu);
	int i = 0;
	while (i < s->hooks->n && strcmp(s->hooks->v[i]->id, r->seg[3]) != 0)
		i++;
	if (i == s->hooks->n) {
		not_found(r, r->seg[3]);
	} else if (s->hooks->v[i]->active) {
		http_okta_error(r, 403, "E0000006", "You do not have permission to perform the requested action",
				"Only an INACTIVE event hook can be deleted: deactivate it first");
	} else {
		hook_free(s->hooks->v[i]);
		memmove(&s->hooks->v[i], &s->hooks->v[i + 1], sizeof(struct hook *) * (size_t)(s->hooks->n - i - 1));
		s->hooks->n--;
		http_reply(r, 204, NULL, 0);
	}
	pthread_mutex_unlock(&s->mu);
}

/* One verification attempt; returns 0 when the receiver echoed the challenge. */
static int verify_once(const struct hook_channel *ch, const char *challenge, const char *ca, char *why, size_t n)
{
	struct outcall_result res;
	int ok = -1;
	if (outcall_do(ch, "GET", "x-okta-verification-challenge", challenge, NULL, 0, ca, VERIFY_TIMEOUT_MS, &res) <
	    0) {
		snprintf(why, n, "%s", res.err);
	} else if (res.status != 200) {
		snprintf(why, n, "the endpoint answered HTTP %ld instead of 200", res.status);
	} else {
		struct json j;
		char err[64];
		if (res.body && json_parse(&j, res.body, res.len, VERIFY_MAX_TOKENS, err, sizeof(err)) == 0) {
			ok = json_str_eq(&j, json_get(&j, 0, "verification"), challenge) ? 0 : -1;
			json_free(&j);
		}
		if (ok < 0)
			snprintf(why, n, "the response body is not {\"verification\": \"<challenge>\"}");
	}
	outcall_result_free(&res);
	return ok;
}

void hooks_verify(struct http_req *r)
{
	struct sim *s = r->sim;
	const char *id = r->seg[3];
	struct hook_channel ch;
	pthread_mutex_lock(&s->mu);
	struct hook *k = hook_find(s->hooks, id);
	if (k)
		hook_channel_dup(&k->ch, &ch);
	pthread_mutex_unlock(&s->mu);
	if (!k) {
		not_found(r, id);
		return;
	}
	char challenge[48], why[300] = "", cause[400];
	sim_random_alnum(challenge, 40);
	int ok = verify_once(&ch, challenge, s->cfg.hook_ca, why, sizeof(why)) == 0 ||
		 verify_once(&ch, challenge, s->cfg.hook_ca, why, sizeof(why)) == 0;
	hook_channel_clear(&ch);
	pthread_mutex_lock(&s->mu);
	k = hook_find(s->hooks, id);
	if (!k) {
		not_found(r, id);
	} else if (ok) {
		k->verified = 1;
		k->updated_ms = sim_now_ms(s);
		reply_hook(r, k);
	} else {
		snprintf(cause, sizeof(cause), "Verification of the event hook endpoint failed: %s", why);
		http_okta_error(r, 400, "E0000001", "Api validation failed: Verification failed", cause);
	}
	pthread_mutex_unlock(&s->mu);
}
