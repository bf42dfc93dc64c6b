/* events.c: LogEvents for user changes and their fan-out into event-hook deliveries (envelope as Okta sends it). */
#include "sim/events.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "sim/delivery.h"
#include "sim/hooks.h"
#include "sim/http.h"
#include "sim/logs.h"
#include "sim/sim.h"

#define RECENT_MAX 1000
#define PENDING_MAX 64

struct event {
	char type[64];
	char *json;
};

struct events {
	struct event pending[PENDING_MAX];
	int npending;
	struct event *recent;
	int nrecent;
};

struct event_kind {
	const char *type, *display, *legacy;
};

static const struct event_kind kinds[] = {
	{ "user.lifecycle.create", "Create Okta user", "core.user.config.user_creation.success" },
	{ "user.lifecycle.activate", "Activate Okta user", "core.user.config.user_activated" },
	{ "user.lifecycle.reactivate", "Reactivate Okta user", "core.user.config.user_reactivated" },
	{ "user.lifecycle.deactivate", "Deactivate Okta user", "core.user.config.user_deactivated" },
	{ "user.account.update_profile", "Update user profile for Okta", "core.user.config.profile_update.success" },
	{ "user.account.reset_password", "Fired when the user's Okta password is reset",
	  "core.user.config.password_reset" },
	{ "user.account.update_password", "User update password for Okta", "core.user.config.password_update.success" },
	{ "user.lifecycle.delete.initiated", "Delete Okta user", "core.user.config.user_deleted" },
	{ "system.email.delivery", "Email delivery", "" },
};

struct events *events_new(void)
{
	return sim_xcalloc(1, sizeof(struct events));
}

void events_reset(struct events *e)
{
	for (int i = 0; i < e->npending; i++)
		free(e->pending[i].json);
	for (int i = 0; i < e->nrecent; i++)
		free(e->recent[i].json);
	free(e->recent);
	e->recent = NULL;
	e->nrecent = e->npending = 0;
}

void events_free(struct events *e)
{
	if (!e)
		return;
	events_reset(e);
	free(e);
}

static const struct event_kind *kind_of(const char *type)
{
	for (size_t i = 0; i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (strcmp(kinds[i].type, type) == 0)
			return &kinds[i];
	return &kinds[0];
}

static void party_json(struct jbuf *b, const struct principal *p)
{
	jbuf_obj_open(b);
	jbuf_key_str(b, "id", p->id);
	jbuf_key_str(b, "type", p->type);
	jbuf_key_str(b, "alternateId", p->alternate_id);
	jbuf_key_str(b, "displayName", p->display_name);
	jbuf_key_raw(b, "detailEntry", "null", 4);
	jbuf_obj_close(b);
}

static void client_json(struct jbuf *b, const struct http_req *r)
{
	const char *ua = http_header_in(r, "User-Agent");
	jbuf_obj_open(b);
	jbuf_key(b, "userAgent");
	jbuf_obj_open(b);
	jbuf_key_str(b, "rawUserAgent", ua ? ua : "");
	jbuf_key_str(b, "os", "Unknown");
	jbuf_key_str(b, "browser", "UNKNOWN");
	jbuf_obj_close(b);
	jbuf_key_str(b, "zone", "null");
	jbuf_key_str(b, "device", "Unknown");
	jbuf_key_raw(b, "id", "null", 4);
	jbuf_key_str(b, "ipAddress", r->ri->remote_addr);
	jbuf_key_raw(b, "geographicalContext", "null", 4);
	jbuf_obj_close(b);
}

static const char AUTH_CTX[] = "{\"authenticationProvider\":null,\"credentialProvider\":null,"
			       "\"credentialType\":null,\"issuer\":null,\"interface\":null,"
			       "\"authenticationStep\":0,\"externalSessionId\":\"unknown\"}";
static const char SECURITY_CTX[] = "{\"asNumber\":null,\"asOrg\":null,\"isp\":null,\"domain\":null,\"isProxy\":null}";
static const char OUTCOME[] = "{\"result\":\"SUCCESS\",\"reason\":null}";

static void context_json(struct jbuf *b, const struct http_req *r, const struct event_extra *x)
{
	char url[1200];
	snprintf(url, sizeof(url), "%s?%s", r->path, r->query);
	jbuf_key(b, "transaction");
	jbuf_obj_open(b);
	jbuf_key_str(b, "type", "WEB");
	jbuf_key_str(b, "id", r->request_id);
	jbuf_key(b, "detail");
	jbuf_obj_open(b);
	if (r->api_token_id[0])
		jbuf_key_str(b, "requestApiTokenId", r->api_token_id);
	jbuf_obj_close(b);
	jbuf_obj_close(b);
	jbuf_key(b, "debugContext");
	jbuf_obj_open(b);
	jbuf_key(b, "debugData");
	jbuf_obj_open(b);
	jbuf_key_str(b, "requestId", r->request_id);
	jbuf_key_str(b, "requestUri", r->path);
	jbuf_key_str(b, "url", url);
	if (x && x->debug_members) {
		jbuf_putc(b, ',');
		jbuf_puts(b, x->debug_members);
	}
	jbuf_obj_close(b);
	jbuf_obj_close(b);
	jbuf_key_raw(b, "authenticationContext", AUTH_CTX, sizeof(AUTH_CTX) - 1);
	jbuf_key_raw(b, "securityContext", SECURITY_CTX, sizeof(SECURITY_CTX) - 1);
}

static void outcome_json(struct jbuf *b, const struct event_extra *x)
{
	if (!x || !x->result) {
		jbuf_key_raw(b, "outcome", OUTCOME, sizeof(OUTCOME) - 1);
		return;
	}
	jbuf_key(b, "outcome");
	jbuf_obj_open(b);
	jbuf_key_str(b, "result", x->result);
	jbuf_key_str(b, "reason", x->reason);
	jbuf_obj_close(b);
}

static char *log_event_json(struct sim *s, const struct http_req *r, const struct event_kind *k,
			    const struct principal *actor, const struct principal *target, const struct event_extra *x)
{
	char uuid[37], published[40];
	sim_uuid(uuid);
	clock_format_ms(sim_now_ms(s), published, sizeof(published));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "uuid", uuid);
	jbuf_key_str(&b, "published", published);
	jbuf_key_str(&b, "eventType", k->type);
	jbuf_key_str(&b, "version", "0");
	jbuf_key_str(&b, "displayMessage", k->display);
	jbuf_key_str(&b, "severity", x && x->severity ? x->severity : "INFO");
	jbuf_key(&b, "client");
	client_json(&b, r);
	jbuf_key_raw(&b, "device", "null", 4);
	jbuf_key(&b, "actor");
	party_json(&b, actor);
	outcome_json(&b, x);
	jbuf_key(&b, "target");
	jbuf_arr_open(&b);
	jbuf_elem(&b);
	party_json(&b, target);
	jbuf_arr_close(&b);
	context_json(&b, r, x);
	jbuf_key_str(&b, "legacyEventType", k->legacy);
	jbuf_key_raw(&b, "insertionTimestamp", "null", 4);
	jbuf_obj_close(&b);
	char *out = jbuf_take(&b, NULL);
	if (!out) {
		fprintf(stderr, "okta-sim: out of memory\n");
		abort();
	}
	return out;
}

void events_emit(struct sim *s, const struct http_req *r, const char *type, const struct principal *actor,
		 const struct principal *target)
{
	events_emit_extra(s, r, type, actor, target, NULL);
}

void events_emit_extra(struct sim *s, const struct http_req *r, const char *type, const struct principal *actor,
		       const struct principal *target, const struct event_extra *extra)
{
	struct events *e = s->events;
	if (e->npending == PENDING_MAX)
		events_flush(s);
	const struct event_kind *k = kind_of(type);
	struct event *ev = &e->pending[e->npending++];
	snprintf(ev->type, sizeof(ev->type), "%s", k->type);
	ev->json = log_event_json(s, r, k, actor, target, extra);
}

/* The delivery body for hook i, or NULL when none of the pending events is for it. */
static char *envelope_for(struct sim *s, int hook, char event_id[37], char *types, size_t typesn, size_t *len)
{
	struct events *e = s->events;
	struct jbuf b;
	char t[40], source[400];
	size_t tu = 0;
	int n = 0;
	sim_uuid(event_id);
	clock_format_ms(sim_now_ms(s), t, sizeof(t));
	snprintf(source, sizeof(source), "%s/api/v1/eventHooks/%s", s->base_url, hooks_id(s->hooks, hook));
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "eventType", "com.okta.event_hook");
	jbuf_key_str(&b, "eventTypeVersion", "1.0");
	jbuf_key_str(&b, "cloudEventsVersion", "0.1");
	jbuf_key_str(&b, "source", source);
	jbuf_key_str(&b, "eventId", event_id);
	jbuf_key(&b, "data");
	jbuf_obj_open(&b);
	jbuf_key(&b, "events");
	jbuf_arr_open(&b);
	types[0] = '\0';
	for (int i = 0; i < e->npending; i++) {
		if (!hooks_wants(s->hooks, hook, e->pending[i].type))
			continue;
		jbuf_elem(&b);
		jbuf_puts(&b, e->pending[i].json);
		if (tu < typesn)
			tu += (size_t)snprintf(types + tu, typesn - tu, "%s%s", n ? "," : "", e->pending[i].type);
		n++;
	}
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	jbuf_key_str(&b, "eventTime", t);
	jbuf_key_str(&b, "contentType", "application/json");
	jbuf_obj_close(&b);
	char *out = n ? jbuf_take(&b, len) : NULL;
	jbuf_free(&b);
	return out;
}

static void remember(struct events *e, struct event *ev)
{
	if (e->nrecent == RECENT_MAX) {
		free(e->recent[0].json);
		memmove(e->recent, e->recent + 1, sizeof(e->recent[0]) * (size_t)(e->nrecent - 1));
		e->nrecent--;
	}
	e->recent = sim_xrealloc(e->recent, sizeof(e->recent[0]) * (size_t)(e->nrecent + 1));
	e->recent[e->nrecent++] = *ev;
}

void events_flush(struct sim *s)
{
	struct events *e = s->events;
	if (!e->npending)
		return;
	for (int h = 0; h < hooks_count(s->hooks); h++) {
		char event_id[37], types[1024];
		size_t len = 0;
		char *body = envelope_for(s, h, event_id, types, sizeof(types), &len);
		if (body)
			delivery_enqueue(s->delivery, hooks_id(s->hooks, h), hooks_channel(s->hooks, h), event_id,
					 types, body, len, 0);
	}
	for (int i = 0; i < e->npending; i++) {
		logs_add(s->logs, e->pending[i].json);
		remember(e, &e->pending[i]);
	}
	e->npending = 0;
}

void events_to_json(struct events *e, struct jbuf *b)
{
	jbuf_arr_open(b);
	for (int i = 0; i < e->nrecent; i++) {
		jbuf_elem(b);
		jbuf_puts(b, e->recent[i].json);
	}
	jbuf_arr_close(b);
}
