/* logs.h: the System Log (GET /api/v1/logs, listLogEvents): every LogEvent the org made, with a publication lag. */
#ifndef OKTA_SIM_LOGS_H
#define OKTA_SIM_LOGS_H

#include <stddef.h>
#include <stdint.h>

#include "core/jbuf.h"

struct logs;
struct http_req;

/* Most events kept; past it the oldest are forgotten (Okta keeps 90 days). */
#define LOGS_MAX 200000

struct logs *logs_new(void);
/* NULL-safe. */
void logs_free(struct logs *l);
/* Forgets every event (the lag settings stay). Caller holds sim->mu. */
void logs_reset(struct logs *l);

/*
 * Records one LogEvent (json is copied; it must hold uuid, published and eventType). It becomes
 * visible to listLogEvents lag_ms plus a uniform random share of jitter_ms after its published
 * time. Returns -1 (and records nothing) when json is not such an object. Caller holds sim->mu.
 */
int logs_add(struct logs *l, const char *json);
/* Publication lag of events added from now on. Caller holds sim->mu. */
void logs_set_lag(struct logs *l, int64_t lag_ms, int64_t jitter_ms);
/* {"lag_ms", "jitter_ms", "events", "visible"} at now_ms. Caller holds sim->mu. */
void logs_describe(const struct logs *l, int64_t now_ms, struct jbuf *b);

/* Route handler for GET /api/v1/logs; takes sim->mu itself. */
void logs_list(struct http_req *r);
/* GET and POST /sim/logs ({"lag_ms": N, "jitter_ms": M}); take sim->mu themselves. */
void logs_sim_get(struct http_req *r);
void logs_sim_post(struct http_req *r);

#endif
