/* eventhooks.c: the Event Hooks API calls: create with a header secret, verify, list. */
#include "okta/eventhooks.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jbuf.h"
#include "core/json.h"
#include "okta/http.h"

/* JSON tokens in an event hook or the list of an org's hooks. */
#define HOOKS_MAX_TOKENS 100000

void okta_eventhook_free(struct okta_eventhook *h)
{
	if (!h)
		return;
	free(h->id);
	free(h->name);
	free(h->status);
	free(h->verification_status);
	free(h->uri);
	free(h->events);
	memset(h, 0, sizeof(*h));
}

void okta_eventhook_list_free(struct okta_eventhook_list *l)
{
	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++)
		okta_eventhook_free(&l->v[i]);
	free(l->v);
	memset(l, 0, sizeof(*l));
}

/* events.items as "a,b,c"; NULL when absent or out of memory. */
static char *event_items(const struct json *j, int t)
{
	int items = json_pointer(j, t, "/events/items");
	if (!json_is_array(j, items))
		return NULL;
	struct jbuf b;
	jbuf_init(&b);
	for (int k = 0; k < json_size(j, items); k++) {
		char *s = json_strdup(j, json_at(j, items, k));
		if (s)
			jbuf_printf(&b, "%s%s", b.n ? "," : "", s);
		free(s);
	}
	jbuf_put(&b, "", 0);
	return jbuf_take(&b, NULL);
}

static int hook_from_json(const struct json *j, int t, struct okta_eventhook *out)
{
	memset(out, 0, sizeof(*out));
	if (!json_is_object(j, t))
		return -1;
	out->id = json_strdup(j, json_get(j, t, "id"));
	out->name = json_strdup(j, json_get(j, t, "name"));
	out->status = json_strdup(j, json_get(j, t, "status"));
	out->verification_status = json_strdup(j, json_get(j, t, "verificationStatus"));
	out->uri = json_strdup(j, json_pointer(j, t, "/channel/config/uri"));
	out->events = event_items(j, t);
	if (!out->id) {
		okta_eventhook_free(out);
		return -1;
	}
	return 0;
}

static int parse_body(const struct okta_resp *r, struct json *j, struct okta_error *e)
{
	char why[64];
	if (json_parse(j, r->body, r->len, HOOKS_MAX_TOKENS, why, sizeof(why)) < 0) {
		okta_error_local(e, "event hook response: %s", why);
		return -1;
	}
	return 0;
}

/* Sends and parses one event hook when out is not NULL. */
static int call_hook(struct okta_client *c, const char *method, const char *path, const char *body,
		     struct okta_eventhook *out, struct okta_error *e)
{
	struct okta_resp r;
	struct json j;
	int rc = okta_client_request(c, method, path, body, &r, e);
	if (rc == 0 && out) {
		rc = parse_body(&r, &j, e);
		if (rc == 0 && (rc = hook_from_json(&j, 0, out)) < 0)
			okta_error_local(e, "event hook response lacks an id");
		if (j.tok)
			json_free(&j);
	}
	okta_resp_free(&r);
	return rc;
}

static char *create_body(const char *name, const char *uri, const char *auth_key, const char *auth_value,
			 const char *const *types, size_t ntypes)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "name", name);
	jbuf_key(&b, "events");
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "type", "EVENT_TYPE");
	jbuf_key(&b, "items");
	jbuf_arr_open(&b);
	for (size_t i = 0; i < ntypes; i++) {
		jbuf_elem(&b);
		jbuf_str(&b, types[i]);
	}
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	jbuf_key(&b, "channel");
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "type", "HTTP");
	jbuf_key_str(&b, "version", "1.0.0");
	jbuf_key(&b, "config");
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "uri", uri);
	jbuf_key(&b, "authScheme");
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "type", "HEADER");
	jbuf_key_str(&b, "key", auth_key);
	jbuf_key_str(&b, "value", auth_value);
	jbuf_obj_close(&b);
	jbuf_obj_close(&b);
	jbuf_obj_close(&b);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

int okta_eventhook_create(struct okta_client *c, const char *name, const char *uri, const char *auth_key,
			  const char *auth_value, const char *const *event_types, size_t ntypes,
			  struct okta_eventhook *out, struct okta_error *e)
{
	okta_error_clear(e);
	if (!name || !*name || !uri || !*uri || !auth_key || !*auth_key || !auth_value || !*auth_value || !ntypes) {
		okta_error_local(e, "event hook needs a name, a uri, an auth header and value, and event types");
		return -1;
	}
	if (strncmp(uri, "https://", 8) != 0) {
		okta_error_local(e, "event hook uri must be https://");
		return -1;
	}
	char *body = create_body(name, uri, auth_key, auth_value, event_types, ntypes);
	if (!body) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	int rc = call_hook(c, "POST", "/api/v1/eventHooks", body, out, e);
	free(body);
	return rc;
}

int okta_eventhook_verify(struct okta_client *c, const char *id, struct okta_eventhook *out, struct okta_error *e)
{
	char *eid = id && *id ? okta_http_escape(id) : NULL;
	char *path = NULL;
	if (!eid || asprintf(&path, "/api/v1/eventHooks/%s/lifecycle/verify", eid) < 0)
		path = NULL;
	free(eid);
	if (!path) {
		okta_error_local(e, "event hook id is empty (or out of memory)");
		return -1;
	}
	int rc = call_hook(c, "POST", path, NULL, out, e);
	free(path);
	return rc;
}

static int list_from_json(const struct json *j, struct okta_eventhook_list *out, struct okta_error *e)
{
	if (!json_is_array(j, 0)) {
		okta_error_local(e, "listEventHooks response is not an array");
		return -1;
	}
	size_t n = (size_t)json_size(j, 0);
	out->v = calloc(n ? n : 1, sizeof(*out->v));
	if (!out->v) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	for (int i = 0, t; (t = json_at(j, 0, i)) >= 0; i++) {
		if (hook_from_json(j, t, &out->v[out->n]) < 0) {
			okta_eventhook_list_free(out);
			okta_error_local(e, "listEventHooks returned a hook without id");
			return -1;
		}
		out->n++;
	}
	return 0;
}

int okta_eventhook_list(struct okta_client *c, struct okta_eventhook_list *out, struct okta_error *e)
{
	struct okta_resp r;
	struct json j;
	memset(out, 0, sizeof(*out));
	int rc = okta_client_request(c, "GET", "/api/v1/eventHooks", NULL, &r, e);
	if (rc == 0 && (rc = parse_body(&r, &j, e)) == 0) {
		rc = list_from_json(&j, out, e);
		json_free(&j);
	}
	okta_resp_free(&r);
	return rc;
}
