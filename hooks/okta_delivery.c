/* okta_delivery.c: Okta event-hook envelope and LogEvent parsing on jsmn. */
#include "hooks/okta_delivery.h"

#include "core/jbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* jsmn needs a token per value; a 1 MiB body cannot hold more than about 512k of them. */
#define MAX_TOKENS (1 << 20)

static void free_event(struct okta_event *e)
{
	free(e->uuid);
	free(e->dedupe_key);
	free(e->type);
	free(e->published);
	free(e->actor_id);
	free(e->target_id);
	free(e->target_login);
	free(e->target_name);
	free(e->outcome);
	free(e->reason);
	free(e->changed);
	free(e->subject_json);
}

void okta_delivery_free(struct okta_delivery *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++)
		free_event(&d->ev[i]);
	free(d->ev);
	free(d->event_id);
	json_free(&d->doc);
	memset(d, 0, sizeof(*d));
}

/* changedAttributes as a comma-separated list: Okta's text (commas or spaces), or an array of names. */
static char *changed_attributes(const struct json *j, int t)
{
	if (t < 0 || json_is_null(j, t))
		return NULL;
	if (!json_is_array(j, t)) {
		char *v = json_strdup(j, t);
		for (char *p = v; p && *p; p++)
			if (*p == ' ')
				*p = ',';
		return v;
	}
	struct jbuf b;
	jbuf_init(&b);
	int k = t + 1;
	for (int i = 0; i < json_size(j, t); i++, k = json_next(j, k)) {
		char *v = json_strdup(j, k);
		if (v && *v)
			jbuf_printf(&b, "%s%s", b.n ? "," : "", v);
		free(v);
	}
	char *out = b.n ? jbuf_take(&b, NULL) : NULL;
	jbuf_free(&b);
	return out;
}

/* The event's facts that rules filter on (when.outcome, when.reason, when.changed), as a JSON object. */
static char *facts_json(const struct okta_event *e)
{
	if (!e->outcome && !e->changed)
		return NULL;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	if (e->outcome)
		jbuf_key_str(&b, "outcome", e->outcome);
	if (e->reason)
		jbuf_key_str(&b, "reason", e->reason);
	if (e->changed)
		jbuf_key_str(&b, "changed", e->changed);
	jbuf_obj_close(&b);
	char *out = jbuf_take(&b, NULL);
	jbuf_free(&b);
	return out;
}

/* The first target whose type is "User". */
static int user_target(const struct json *j, int ev)
{
	int targets = json_get(j, ev, "target");
	if (!json_is_array(j, targets))
		return -1;
	int t = targets + 1;
	for (int k = 0; k < json_size(j, targets); k++, t = json_next(j, t))
		if (json_is_object(j, t) && json_str_eq(j, json_get(j, t, "type"), "User"))
			return t;
	return -1;
}

static int parse_event(struct okta_delivery *d, int tok, size_t idx, struct okta_event *e, char *err, size_t errlen)
{
	const struct json *j = &d->doc;
	if (!json_is_object(j, tok)) {
		snprintf(err, errlen, "data.events[%zu] is not an object", idx);
		return -1;
	}
	int type = json_get(j, tok, "eventType");
	if (!json_is_string(j, type) || !(e->type = json_strdup(j, type)) || !e->type[0]) {
		snprintf(err, errlen, "data.events[%zu] has no eventType", idx);
		return -1;
	}
	int uuid = json_get(j, tok, "uuid");
	if (json_is_string(j, uuid))
		e->uuid = json_strdup(j, uuid);
	if (e->uuid && e->uuid[0]) {
		e->dedupe_key = strdup(e->uuid);
	} else if (d->event_id) {
		char key[300];
		snprintf(key, sizeof(key), "%.256s#%zu", d->event_id, idx);
		e->dedupe_key = strdup(key);
	} else {
		snprintf(err, errlen, "data.events[%zu] has no uuid and the delivery no eventId", idx);
		return -1;
	}
	int pub = json_get(j, tok, "published");
	if (json_is_string(j, pub))
		e->published = json_strdup(j, pub);
	int actor = json_get(j, tok, "actor");
	if (json_is_object(j, actor))
		e->actor_id = json_strdup(j, json_get(j, actor, "id"));
	int outcome = json_get(j, tok, "outcome");
	if (json_is_object(j, outcome)) {
		e->outcome = json_strdup(j, json_get(j, outcome, "result"));
		e->reason = json_strdup(j, json_get(j, outcome, "reason"));
	}
	e->changed = changed_attributes(j, json_pointer(j, tok, "/debugContext/debugData/changedAttributes"));
	e->subject_json = facts_json(e);
	int t = user_target(j, tok);
	if (t >= 0) {
		e->target_id = json_strdup(j, json_get(j, t, "id"));
		e->target_login = json_strdup(j, json_get(j, t, "alternateId"));
		e->target_name = json_strdup(j, json_get(j, t, "displayName"));
	}
	e->raw = json_raw_value(j, tok);
	return e->dedupe_key ? 0 : -1;
}

int okta_delivery_parse(const char *body, size_t len, size_t max_events, struct okta_delivery *d, char *err,
			size_t errlen)
{
	memset(d, 0, sizeof(*d));
	char jerr[128];
	if (json_parse(&d->doc, body, len, MAX_TOKENS, jerr, sizeof(jerr)) < 0) {
		snprintf(err, errlen, "body is not valid JSON: %s", jerr);
		return -1;
	}
	const struct json *j = &d->doc;
	if (!json_is_object(j, 0)) {
		snprintf(err, errlen, "body is not a JSON object");
		goto fail;
	}
	int eid = json_get(j, 0, "eventId");
	if (json_is_string(j, eid))
		d->event_id = json_strdup(j, eid);
	int events = json_pointer(j, 0, "/data/events");
	if (!json_is_array(j, events)) {
		snprintf(err, errlen, "body has no data.events array");
		goto fail;
	}
	size_t n = (size_t)json_size(j, events);
	if (n > max_events) {
		snprintf(err, errlen, "delivery has %zu events, more than the limit of %zu", n, max_events);
		okta_delivery_free(d);
		return -2;
	}
	d->ev = calloc(n ? n : 1, sizeof(*d->ev));
	if (!d->ev) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	int t = events + 1;
	for (size_t i = 0; i < n; i++, t = json_next(j, t)) {
		d->n = i + 1;
		if (parse_event(d, t, i, &d->ev[i], err, errlen) < 0)
			goto fail;
	}
	return 0;
fail:
	okta_delivery_free(d);
	return -1;
}
