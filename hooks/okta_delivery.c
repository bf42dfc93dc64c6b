/* okta_delivery.c: Okta event-hook envelope and LogEvent parsing on jsmn. */
#include "hooks/okta_delivery.h"

#include "core/jbuf.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/log.h"
#include "store/journal.h"

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
	free(e->actor_type);
	free(e->request_id);
	free(e->debug_request_id);
	free(e->api_token_id);
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

/* Where a field is, for error messages: "data.events[2].target[1]" (a parent path fits in 40 bytes). */
struct place {
	char path[64];
	char *err;
	size_t errlen;
};

static int bad(const struct place *at, const char *key, const char *why)
{
	snprintf(at->err, at->errlen, "%s.%s %s", at->path, key, why);
	return -1;
}

/* Member key of obj, which must appear at most once; -1 when absent, JSON_DUPLICATE (error written) when twice. */
static int member(const struct json *j, int obj, const char *key, const struct place *at)
{
	int t = json_get_unique(j, obj, key);
	if (t == JSON_DUPLICATE)
		bad(at, key, "appears twice");
	return t;
}

/* Reads member key of obj as text into *out (NULL when absent or null). -1 with a reason for anything else. */
static int read_text(const struct json *j, int obj, const char *key, char **out, const struct place *at)
{
	const char *why;
	if (json_text(j, json_get_unique(j, obj, key), out, &why) < 0)
		return bad(at, key, why);
	return 0;
}

/* An object member key of obj, or -1 when absent or null; JSON_DUPLICATE (error written) when it repeats or is something else. */
static int read_object(const struct json *j, int obj, const char *key, const struct place *at)
{
	int t = member(j, obj, key, at);
	if (t < 0 || json_is_null(j, t))
		return t == JSON_DUPLICATE ? t : -1;
	if (!json_is_object(j, t)) {
		bad(at, key, "is not an object");
		return JSON_DUPLICATE;
	}
	return t;
}

/* The first target whose type is "User", -1 when none, JSON_DUPLICATE (error written) when a target is unreadable. */
static int user_target(const struct json *j, int ev, const struct place *at)
{
	int targets = member(j, ev, "target", at);
	if (!json_is_array(j, targets))
		return targets == JSON_DUPLICATE ? targets : -1;
	struct place tp = *at;
	int t = targets + 1;
	for (int k = 0; k < json_size(j, targets); k++, t = json_next(j, t)) {
		snprintf(tp.path, sizeof(tp.path), "%.40s.target[%d]", at->path, k);
		if (!json_is_object(j, t))
			continue;
		char *type = NULL;
		if (read_text(j, t, "type", &type, &tp) < 0)
			return JSON_DUPLICATE;
		int user = type && strcmp(type, "User") == 0;
		free(type);
		if (user)
			return t;
	}
	return -1;
}

/*
 * The event's dedupe key: its uuid, or for an event without one "~<eventId>#<index>". No uuid may
 * start with '~', so generated keys live in a space of their own (an explicit uuid "E#0" and the
 * first uuid-less event of delivery E never share a key); eventId is never cut.
 */
static int make_key(const struct okta_delivery *d, size_t idx, struct okta_event *e, const struct place *at)
{
	if (e->uuid && e->uuid[0] == '~')
		return bad(at, "uuid", "starts with '~', which hookd keeps for the keys it makes");
	if (e->uuid && e->uuid[0]) {
		e->dedupe_key = strdup(e->uuid);
	} else if (d->event_id && d->event_id[0]) {
		size_t n = strlen(d->event_id) + 32;
		if ((e->dedupe_key = malloc(n)))
			snprintf(e->dedupe_key, n, "~%s#%zu", d->event_id, idx);
	} else {
		snprintf(at->err, at->errlen, "%s has no uuid and the delivery no eventId", at->path);
		return -1;
	}
	if (!e->dedupe_key) {
		snprintf(at->err, at->errlen, "out of memory");
		return -1;
	}
	return 0;
}

static int read_actor_outcome(const struct json *j, int tok, struct okta_event *e, const struct place *at)
{
	struct place sub = *at;
	int actor = read_object(j, tok, "actor", at);
	snprintf(sub.path, sizeof(sub.path), "%.40s.actor", at->path);
	if (actor == JSON_DUPLICATE || (actor >= 0 && read_text(j, actor, "id", &e->actor_id, &sub) < 0))
		return -1;
	int outcome = read_object(j, tok, "outcome", at);
	snprintf(sub.path, sizeof(sub.path), "%.40s.outcome", at->path);
	if (outcome == JSON_DUPLICATE)
		return -1;
	if (outcome >= 0 && (read_text(j, outcome, "result", &e->outcome, &sub) < 0 ||
			     read_text(j, outcome, "reason", &e->reason, &sub) < 0))
		return -1;
	return 0;
}

static int read_target(const struct json *j, int tok, struct okta_event *e, const struct place *at)
{
	int t = user_target(j, tok, at);
	if (t == JSON_DUPLICATE)
		return -1;
	if (t < 0)
		return 0;
	struct place tp = *at;
	snprintf(tp.path, sizeof(tp.path), "%.40s.target(User)", at->path);
	if (read_text(j, t, "id", &e->target_id, &tp) < 0 ||
	    read_text(j, t, "alternateId", &e->target_login, &tp) < 0 ||
	    read_text(j, t, "displayName", &e->target_name, &tp) < 0)
		return -1;
	return 0;
}

/*
 * Text at JSON pointer ptr under obj; NULL when absent, null, repeated or not text. Only for telling
 * hookd's echoes: an odd shape makes no echo (the event then fires its rules like anyone's).
 */
static char *origin_text(const struct json *j, int obj, const char *ptr)
{
	char *out = NULL;
	const char *why;
	return json_text(j, json_pointer(j, obj, ptr), &out, &why) < 0 ? NULL : out;
}

/* Which request and credential caused the event: transaction {id, detail.requestApiTokenId}, debugData.requestId, actor.type. */
static void parse_origin(const struct json *j, int tok, struct okta_event *e)
{
	e->request_id = origin_text(j, tok, "/transaction/id");
	e->api_token_id = origin_text(j, tok, "/transaction/detail/requestApiTokenId");
	e->debug_request_id = origin_text(j, tok, "/debugContext/debugData/requestId");
	e->actor_type = origin_text(j, tok, "/actor/type");
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

static int parse_event(struct okta_delivery *d, int tok, size_t idx, struct okta_event *e, char *err, size_t errlen)
{
	const struct json *j = &d->doc;
	struct place at = { .err = err, .errlen = errlen };
	snprintf(at.path, sizeof(at.path), "data.events[%zu]", idx);
	if (!json_is_object(j, tok)) {
		snprintf(err, errlen, "%s is not an object", at.path);
		return -1;
	}
	if (read_text(j, tok, "eventType", &e->type, &at) < 0)
		return -1;
	if (!e->type || !e->type[0]) {
		snprintf(err, errlen, "%s has no eventType", at.path);
		return -1;
	}
	if (read_text(j, tok, "uuid", &e->uuid, &at) < 0 || make_key(d, idx, e, &at) < 0 ||
	    read_text(j, tok, "published", &e->published, &at) < 0 || read_actor_outcome(j, tok, e, &at) < 0 ||
	    read_target(j, tok, e, &at) < 0)
		return -1;
	parse_origin(j, tok, e);
	e->changed = changed_attributes(j, json_pointer(j, tok, "/debugContext/debugData/changedAttributes"));
	e->subject_json = facts_json(e);
	e->raw = json_raw_value(j, tok);
	return 0;
}

/* The data.events array of the envelope; -1 with err written when it is missing, repeated or not an array. */
static int events_array(struct okta_delivery *d, char *err, size_t errlen)
{
	const struct json *j = &d->doc;
	struct place at = { .path = "body", .err = err, .errlen = errlen };
	if (read_text(j, 0, "eventId", &d->event_id, &at) < 0)
		return -1;
	int data = member(j, 0, "data", &at);
	if (data == JSON_DUPLICATE)
		return -1;
	snprintf(at.path, sizeof(at.path), "data");
	int events = json_is_object(j, data) ? member(j, data, "events", &at) : -1;
	if (events == JSON_DUPLICATE)
		return -1;
	if (!json_is_array(j, events)) {
		snprintf(err, errlen, "body has no data.events array");
		return -1;
	}
	return events;
}

/*
 * The events of the array at token arr into d->ev, d->n counting those begun (okta_delivery_free
 * frees them): 0; -2 with err when there are more than max_events; -1 with err when one is refused.
 */
static int parse_events(struct okta_delivery *d, int arr, const char *what, size_t max_events, char *err, size_t errlen)
{
	size_t n = (size_t)json_size(&d->doc, arr);
	if (n > max_events) {
		snprintf(err, errlen, "%s has %zu events, more than the limit of %zu", what, n, max_events);
		return -2;
	}
	d->ev = calloc(n ? n : 1, sizeof(*d->ev));
	if (!d->ev) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int t = arr + 1;
	for (size_t i = 0; i < n; i++, t = json_next(&d->doc, t)) {
		d->n = i + 1;
		if (parse_event(d, t, i, &d->ev[i], err, errlen) < 0)
			return -1;
	}
	return 0;
}

/* An Event Hook delivery (page 0: {"data": {"events": [...]}}) or a System Log page (page 1: [...]). */
static int parse_body(const char *body, size_t len, size_t max_events, int page, struct okta_delivery *d, char *err,
		      size_t errlen)
{
	const char *what = page ? "page" : "body";
	memset(d, 0, sizeof(*d));
	char jerr[128];
	if (json_parse(&d->doc, body, len, MAX_TOKENS, jerr, sizeof(jerr)) < 0) {
		snprintf(err, errlen, "%s is not valid JSON: %s", what, jerr);
		return -1;
	}
	int rc = -1, events = -1;
	if (page && !json_is_array(&d->doc, 0))
		snprintf(err, errlen, "page is not a JSON array of LogEvents");
	else if (!page && !json_is_object(&d->doc, 0))
		snprintf(err, errlen, "body is not a JSON object");
	else if ((events = page ? 0 : events_array(d, err, errlen)) >= 0 &&
		 (rc = parse_events(d, events, page ? "page" : "delivery", max_events, err, errlen)) == 0)
		return 0;
	okta_delivery_free(d);
	return rc;
}

int okta_delivery_parse(const char *body, size_t len, size_t max_events, struct okta_delivery *d, char *err,
			size_t errlen)
{
	return parse_body(body, len, max_events, 0, d, err, errlen);
}

int okta_logpage_parse(const char *body, size_t len, size_t max_events, struct okta_delivery *d, char *err,
		       size_t errlen)
{
	return parse_body(body, len, max_events, 1, d, err, errlen);
}

void okta_delivery_to_journal(const struct okta_delivery *d, const char *delivery_id, struct journal_event *ev)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct okta_event *e = &d->ev[i];
		ev[i] = (struct journal_event){
			.source = "okta",
			.dedupe_key = e->dedupe_key,
			.delivery_id = delivery_id ? delivery_id : d->event_id,
			.type = e->type,
			.occurred_at = e->published,
			.subject_id = e->target_id,
			.subject_login = e->target_login,
			.subject_name = e->target_name,
			.actor_id = e->actor_id,
			.subject_json = e->subject_json,
			.raw = e->raw,
			.request_id = e->request_id,
			.debug_request_id = e->debug_request_id,
			.api_token_id = e->api_token_id,
			.actor_type = e->actor_type,
		};
		if (strcmp(e->type, "system.email.delivery") == 0 && e->outcome && strcmp(e->outcome, "SUCCESS") != 0)
			log_warn(
				"Okta could not deliver an email; its mail provider suppresses a bounced address until "
				"it is removed (POST /api/v1/org/email/bounces/remove-list)",
				"user", e->target_login, "user_id", e->target_id, "outcome", e->outcome, "reason",
				e->reason, "event", e->uuid);
	}
}
