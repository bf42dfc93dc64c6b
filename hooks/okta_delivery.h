/* okta_delivery.h: parses an Okta event-hook delivery into normalized events. */
#ifndef HOOKD_OKTA_DELIVERY_H
#define HOOKD_OKTA_DELIVERY_H

#include <stddef.h>

#include "core/json.h"
#include "core/slice.h"

/* One LogEvent of a delivery. Strings are owned by the delivery; raw points into the body. */
struct okta_event {
	char *uuid;	  /* the event's uuid; a retried delivery repeats it */
	char *dedupe_key; /* uuid, or ~eventId#index when an event has no uuid (no uuid starts with '~') */
	char *type;	  /* eventType, e.g. user.lifecycle.create */
	char *published;  /* RFC 3339 */
	char *actor_id;
	char *target_id;	/* the first target of type User */
	char *target_login;	/* its alternateId */
	char *target_name;	/* its displayName */
	char *outcome;		/* outcome.result: SUCCESS, FAILURE, ... */
	char *reason;		/* outcome.reason */
	char *actor_type;	/* actor.type: User, PublicClientApp, ... */
	char *request_id;	/* transaction.id: the X-Okta-Request-Id of the call that caused it */
	char *debug_request_id; /* debugContext.debugData.requestId (the same id) */
	char *api_token_id;	/* transaction.detail.requestApiTokenId: the API token used (00T...) */
	char *changed;		/* debugContext.debugData.changedAttributes, comma separated, or NULL */
	char *subject_json;	/* {"outcome", "reason", "changed"} for rules (when.outcome, when.changed), or NULL */
	struct slice raw;	/* the LogEvent's JSON, verbatim */
};

struct okta_delivery {
	struct json doc;
	char *event_id; /* the envelope's eventId */
	struct okta_event *ev;
	size_t n;
};

/*
 * Parses body[0..len) (borrowed: it must outlive d). A delivery needs a JSON object with an array
 * data.events of at most max_events objects, each with an eventType. Every field read must be
 * text (no \u0000, lone surrogate, bytes that are not UTF-8) and appear once in its object; every
 * string in d is then exactly the field's text. Returns 0, -1 for a malformed delivery (err names
 * the field, "data.events[2].uuid appears twice") or -2 for one with more than max_events events,
 * with a reason in err and d empty. Free with okta_delivery_free.
 */
int okta_delivery_parse(const char *body, size_t len, size_t max_events, struct okta_delivery *d, char *err,
			size_t errlen);
void okta_delivery_free(struct okta_delivery *d);

struct journal_event;
/*
 * The normalized journal records of d's events (source "okta", dedupe key, type, time, subject,
 * actor, raw), one per event into ev[0..d->n), pointing into d (which must outlive them).
 * delivery_id names where they came from (NULL: the envelope's eventId). Warns about failed
 * system.email.delivery events. The one normalization of Okta events, hook or System Log.
 */
void okta_delivery_to_journal(const struct okta_delivery *d, const char *delivery_id, struct journal_event *ev);

/*
 * Parses one System Log page (listLogEvents: a JSON array of LogEvents) into d exactly as a
 * delivery's events (same fields, same dedupe key: every LogEvent needs its uuid); d->event_id
 * is NULL. body is borrowed. Returns 0, -1 for a malformed page or -2 for more than max_events,
 * with a reason in err and d empty. Free with okta_delivery_free.
 */
int okta_logpage_parse(const char *body, size_t len, size_t max_events, struct okta_delivery *d, char *err,
		       size_t errlen);

#endif
