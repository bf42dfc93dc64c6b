/* governor.h: the rate-limit budget all workers share, fed by Okta's X-Rate-Limit-* headers. */
#ifndef HOOKD_OKTA_GOVERNOR_H
#define HOOKD_OKTA_GOVERNOR_H

#include <stdint.h>

/* Okta's rate-limit buckets, derived from method + path template like Okta's own table. */
enum okta_bucket {
	OKTA_BUCKET_USERS,	 /* GET (list) and POST (create) /api/v1/users */
	OKTA_BUCKET_USER_GET,	 /* GET /api/v1/users/{idOrLogin} */
	OKTA_BUCKET_USER_WRITE,	 /* POST/PUT/DELETE /api/v1/users/{id}, /api/v1/users/{id}/lifecycle/... */
	OKTA_BUCKET_EVENT_HOOKS, /* /api/v1/eventHooks... */
	OKTA_BUCKET_TOKEN,	 /* POST /oauth2/v1/token */
	OKTA_BUCKET_LOGS,	 /* GET /api/v1/logs (the System Log: its own limit, never the lifecycle's) */
	OKTA_BUCKET_OTHER,
	OKTA_BUCKET_COUNT
};

/* The bucket of a request; path may carry a query string. */
enum okta_bucket okta_bucket_for(const char *method, const char *path);
/* Short stable name ("users", "user_get", ...) for logs and metrics. */
const char *okta_bucket_name(enum okta_bucket b);

/* What one response said about its bucket. reset_s is the server's epoch second (X-Rate-Limit-Reset). */
struct okta_rate {
	int64_t limit;
	int64_t remaining;
	int64_t reset_s;
	int64_t reset_ms; /* the same instant on the local clock (corrected with the Date header) */
};

/*
 * A backend of the governor: the in-memory one below, or later one whose budget lives in
 * PostgreSQL and is shared by several hookd instances. take: 0 to go now (and count the request
 * as spent), else milliseconds to wait. update: record a response's headers. Both thread-safe.
 */
struct okta_governor_ops {
	int64_t (*take)(void *ctx, enum okta_bucket b, int64_t now_ms);
	void (*update)(void *ctx, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms);
	void (*free)(void *ctx);
};

struct okta_governor;

/*
 * The in-memory governor: leaves the last `reserve` requests of each window unspent (0 or more).
 * NULL when out of memory. One governor serves every client of the process.
 */
struct okta_governor *okta_governor_new(int reserve);
/* A governor over another backend; ops is borrowed (static), ctx is owned (ops->free). */
struct okta_governor *okta_governor_new_ops(const struct okta_governor_ops *ops, void *ctx);
/* NULL-safe. No client may use g afterwards. */
void okta_governor_free(struct okta_governor *g);

/*
 * Pure decision of the in-memory governor: how long a request in bucket b must wait at now_ms
 * (0: go). Unknown buckets and windows whose reset has passed never wait. Does not spend.
 * For other backends returns 0.
 */
int64_t okta_governor_delay_ms(struct okta_governor *g, enum okta_bucket b, int64_t now_ms);
/* Decides like okta_governor_delay_ms and, when it returns 0, counts one request as spent. */
int64_t okta_governor_take(struct okta_governor *g, enum okta_bucket b, int64_t now_ms);
/*
 * Records a response's rate headers. A newer window (larger reset_s) replaces the state, counting
 * the other requests let through while no window was known as spent too; the same window only
 * lowers remaining (responses of concurrent requests arrive out of order); an older one is ignored.
 */
void okta_governor_update(struct okta_governor *g, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms);
/*
 * What the last response carrying rate headers said about bucket b, as okta_governor_update got
 * it (not the spending the governor counted since): 0 with *r and *seen_ms (the update's now_ms)
 * filled, 1 when no response for b was seen yet. Thread-safe; for every backend.
 */
int okta_governor_last(struct okta_governor *g, enum okta_bucket b, struct okta_rate *r, int64_t *seen_ms);

#endif
