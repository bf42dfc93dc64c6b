/* events.h: System Log events (LogEvent JSON) caused by API calls, batched per request into hook deliveries. */
#ifndef OKTA_SIM_EVENTS_H
#define OKTA_SIM_EVENTS_H

#include "core/jbuf.h"
#include "sim/principal.h"

struct sim;
struct http_req;
struct events;

struct events *events_new(void);
void events_free(struct events *e);
/* Forgets pending and recent events; caller holds sim->mu. */
void events_reset(struct events *e);

/*
 * Records one LogEvent of type (e.g. "user.lifecycle.create") done by actor to target (a User)
 * during request r. It is held until events_flush. Caller holds sim->mu.
 */
void events_emit(struct sim *s, const struct http_req *r, const char *type, const struct principal *actor,
		 const struct principal *target);
/* What some events carry beyond the common shape; NULL members are left as events_emit writes them. */
struct event_extra {
	const char *result, *reason; /* outcome.result and outcome.reason (default SUCCESS, null) */
	const char *severity;	     /* default INFO */
	const char *debug_members;   /* more debugContext.debugData members as JSON text ("\"k\":\"v\"") */
};
/* events_emit with extra (may be NULL). */
void events_emit_extra(struct sim *s, const struct http_req *r, const char *type, const struct principal *actor,
		       const struct principal *target, const struct event_extra *extra);
/*
 * Sends what was emitted since the last flush: one delivery per ACTIVE+VERIFIED hook holding
 * the events it subscribes to (several events can share a delivery, as with Okta). Caller
 * holds sim->mu; the delivery itself happens later on the delivery thread.
 */
void events_flush(struct sim *s);
/* The latest 1000 events as a JSON array of LogEvents, oldest first. Caller holds sim->mu. */
void events_to_json(struct events *e, struct jbuf *b);

#endif
