/* delivery.h: the event-hook delivery queue, its worker thread (3 s timeout, one retry) and the delivery log. */
#ifndef OKTA_SIM_DELIVERY_H
#define OKTA_SIM_DELIVERY_H

#include <stddef.h>

#include "core/jbuf.h"
#include "sim/outcall.h"

struct delivery;

/* Starts the worker thread; ca_file (may be NULL: system store) verifies receivers. */
struct delivery *delivery_new(const char *ca_file, int64_t delay_ms);
/* Stops the worker (after its current call) and frees everything; NULL-safe. */
void delivery_free(struct delivery *d);

/*
 * Queues one POST of body to ch for hook_id. ch, hook_id, event_id and types (comma-separated
 * LogEvent types) are copied; body is taken over (freed by the queue). redelivery_of is the seq
 * of the delivery this repeats, 0 for a new one. Returns the new delivery's seq (1, 2, ...).
 * The log keeps the latest 1024 deliveries.
 */
long delivery_enqueue(struct delivery *d, const char *hook_id, const struct hook_channel *ch, const char *event_id,
		      const char *types, char *body, size_t n, long redelivery_of);
/*
 * Queues the same bytes (same eventId) to the same receiver again, as Okta's at-least-once
 * delivery may. seq 0 means the latest delivery. Returns the new seq, or -1 with err filled.
 */
long delivery_redeliver(struct delivery *d, long seq, char *err, size_t errlen);
/* The log as a JSON array, oldest first; bodies included when with_body. */
void delivery_to_json(struct delivery *d, struct jbuf *b, int with_body);
/* Empties queue and log (a call in flight finishes but is not logged). */
void delivery_reset(struct delivery *d);

#endif
