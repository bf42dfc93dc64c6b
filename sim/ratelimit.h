/* ratelimit.h: Okta-like per-bucket request limits over non-aligned windows (60 s by default). */
#ifndef OKTA_SIM_RATELIMIT_H
#define OKTA_SIM_RATELIMIT_H

#include <stddef.h>
#include <stdint.h>

enum rl_bucket {
	RL_USERS,      /* GET/POST /api/v1/users (list and create share it) */
	RL_USER,       /* GET /api/v1/users/{idOrLogin} */
	RL_USER_WRITE, /* POST/PUT /api/v1/users/{id} and /api/v1/users/{id}/lifecycle/... */
	RL_HOOKS,      /* /api/v1/eventHooks... */
	RL_TOKEN,      /* POST /oauth2/v1/token */
	RL_LOGS,       /* GET /api/v1/logs (the System Log has its own bucket) */
	RL_OTHER,      /* anything else under /api/v1 */
	RL_NBUCKETS
};

/* What the X-Rate-Limit-* headers say after one request. */
struct rl_state {
	long limit;
	long remaining;
	long long reset_s; /* unix seconds when the bucket's window ends */
};

struct ratelimit;

/*
 * spec: NULL for the defaults, "off" for no limiting, or comma-separated name=N pairs with names
 * users, user, user_write, eventhooks, token, logs, other, all (every bucket) and window (seconds).
 * Returns NULL and fills err when the spec is invalid.
 */
struct ratelimit *ratelimit_new(const char *spec, char *err, size_t errlen);
void ratelimit_free(struct ratelimit *rl);
/* Counts one request in bucket b at now_ms (wall clock). Returns 0 when allowed, 1 when over. */
int ratelimit_take(struct ratelimit *rl, enum rl_bucket b, int64_t now_ms, struct rl_state *st);
/* Forgets every window. */
void ratelimit_reset(struct ratelimit *rl);
/* "users", "user", ... */
const char *ratelimit_bucket_name(enum rl_bucket b);
/* Current limits as a JSON-ready summary ("users=600,user=2000,..." or "off"). */
void ratelimit_describe(const struct ratelimit *rl, char *out, size_t n);

#endif
