/* governor.c: the in-memory rate governor: per-bucket window state under one mutex, pure decisions. */
#include "okta/governor.h"

#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct window {
	int known;
	int64_t limit, remaining, reset_s, reset_ms;
	int64_t blind; /* requests let through while no current window was known */
};

struct local {
	pthread_mutex_t mu;
	int reserve;
	struct window w[OKTA_BUCKET_COUNT];
};

/* What the last response carrying rate headers said, per bucket, whatever the backend (admin overview). */
struct seen {
	int known;
	struct okta_rate r;
	int64_t at_ms;
};

struct okta_governor {
	const struct okta_governor_ops *ops;
	void *ctx;
	pthread_mutex_t mu; /* over last */
	struct seen last[OKTA_BUCKET_COUNT];
};

static const char *const bucket_names[OKTA_BUCKET_COUNT] = {
	"users", "user_get", "user_write", "event_hooks", "token", "logs", "other",
};

const char *okta_bucket_name(enum okta_bucket b)
{
	return (unsigned)b < OKTA_BUCKET_COUNT ? bucket_names[b] : "other";
}

/* Length of the next path segment of p (up to '/', '?' or the end). */
static size_t seg_len(const char *p)
{
	return strcspn(p, "/?#");
}

static int at_end(const char *p)
{
	return *p == '\0' || *p == '?' || *p == '#';
}

enum okta_bucket okta_bucket_for(const char *method, const char *path)
{
	static const char users[] = "/api/v1/users";
	static const char hooks[] = "/api/v1/eventHooks";
	static const char logs[] = "/api/v1/logs";
	if (strncmp(path, "/oauth2/v1/token", 16) == 0 && at_end(path + 16))
		return OKTA_BUCKET_TOKEN;
	if (strncmp(path, logs, sizeof(logs) - 1) == 0 && at_end(path + sizeof(logs) - 1))
		return OKTA_BUCKET_LOGS;
	if (strncmp(path, hooks, sizeof(hooks) - 1) == 0 &&
	    (at_end(path + sizeof(hooks) - 1) || path[sizeof(hooks) - 1] == '/'))
		return OKTA_BUCKET_EVENT_HOOKS;
	if (strncmp(path, users, sizeof(users) - 1) != 0)
		return OKTA_BUCKET_OTHER;
	const char *p = path + sizeof(users) - 1;
	if (at_end(p) || (p[0] == '/' && at_end(p + 1)))
		return OKTA_BUCKET_USERS;
	if (p[0] != '/')
		return OKTA_BUCKET_OTHER;
	p += 1 + seg_len(p + 1);
	if (at_end(p) && strcmp(method, "GET") == 0)
		return OKTA_BUCKET_USER_GET;
	if (at_end(p))
		return OKTA_BUCKET_USER_WRITE;
	if (strncmp(p, "/lifecycle/", 11) == 0)
		return OKTA_BUCKET_USER_WRITE;
	return OKTA_BUCKET_OTHER;
}

/* The decision, on a window the caller has locked. */
static int64_t window_delay(const struct window *w, int reserve, int64_t now_ms)
{
	if (!w->known || now_ms >= w->reset_ms)
		return 0;
	int64_t keep = reserve;
	if (w->limit > 0 && keep > w->limit - 1)
		keep = w->limit - 1;
	if (w->remaining > keep)
		return 0;
	return w->reset_ms - now_ms;
}

static int64_t local_delay(struct local *l, enum okta_bucket b, int64_t now_ms, int spend)
{
	pthread_mutex_lock(&l->mu);
	struct window *w = &l->w[b];
	int64_t d = window_delay(w, l->reserve, now_ms);
	if (d == 0 && spend && w->known && now_ms < w->reset_ms && w->remaining > 0)
		w->remaining--;
	else if (d == 0 && spend)
		w->blind++;
	pthread_mutex_unlock(&l->mu);
	return d;
}

static int64_t local_take(void *ctx, enum okta_bucket b, int64_t now_ms)
{
	return local_delay(ctx, b, now_ms, 1);
}

static void local_update(void *ctx, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms)
{
	struct local *l = ctx;
	(void)now_ms;
	pthread_mutex_lock(&l->mu);
	struct window *w = &l->w[b];
	if (!w->known || r->reset_s > w->reset_s) {
		/* the other blind requests may all land in this window: count them as spent */
		int64_t others = w->blind > 1 ? w->blind - 1 : 0;
		w->known = 1;
		w->limit = r->limit;
		w->remaining = r->remaining > others ? r->remaining - others : 0;
		w->reset_s = r->reset_s;
		w->reset_ms = r->reset_ms;
		w->blind = 0;
	} else if (r->reset_s == w->reset_s) {
		if (r->remaining < w->remaining)
			w->remaining = r->remaining;
		w->limit = r->limit;
		if (r->reset_ms > w->reset_ms)
			w->reset_ms = r->reset_ms;
	}
	pthread_mutex_unlock(&l->mu);
}

static void local_free(void *ctx)
{
	struct local *l = ctx;
	pthread_mutex_destroy(&l->mu);
	free(l);
}

static const struct okta_governor_ops local_ops = {
	.take = local_take,
	.update = local_update,
	.free = local_free,
};

struct okta_governor *okta_governor_new_ops(const struct okta_governor_ops *ops, void *ctx)
{
	struct okta_governor *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	g->ops = ops;
	g->ctx = ctx;
	pthread_mutex_init(&g->mu, NULL);
	return g;
}

struct okta_governor *okta_governor_new(int reserve)
{
	struct local *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->mu, NULL);
	l->reserve = reserve < 0 ? 0 : reserve;
	struct okta_governor *g = okta_governor_new_ops(&local_ops, l);
	if (!g)
		local_free(l);
	return g;
}

void okta_governor_free(struct okta_governor *g)
{
	if (!g)
		return;
	if (g->ops->free)
		g->ops->free(g->ctx);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

int64_t okta_governor_delay_ms(struct okta_governor *g, enum okta_bucket b, int64_t now_ms)
{
	if (g->ops != &local_ops || (unsigned)b >= OKTA_BUCKET_COUNT)
		return 0;
	return local_delay(g->ctx, b, now_ms, 0);
}

int64_t okta_governor_take(struct okta_governor *g, enum okta_bucket b, int64_t now_ms)
{
	if ((unsigned)b >= OKTA_BUCKET_COUNT)
		b = OKTA_BUCKET_OTHER;
	return g->ops->take(g->ctx, b, now_ms);
}

/* The last X-Rate-Limit-Limit and -Remaining seen for bucket b, as gauges. */
static void show(enum okta_bucket b, const struct okta_rate *r)
{
	static struct metric *_Atomic lim[OKTA_BUCKET_COUNT], *_Atomic rem[OKTA_BUCKET_COUNT];
	struct metric *l = atomic_load(&lim[b]), *m = atomic_load(&rem[b]);
	if (!l || !m) {
		char labels[64];
		snprintf(labels, sizeof(labels), "bucket=\"%s\"", okta_bucket_name(b));
		l = metrics_gauge("hookd_okta_rate_limit", labels,
				  "X-Rate-Limit-Limit of the bucket's window in the last Okta answer that carried it");
		m = metrics_gauge(
			"hookd_okta_rate_limit_remaining", labels,
			"X-Rate-Limit-Remaining in the last Okta answer for the bucket (reserve not subtracted)");
		atomic_store(&lim[b], l);
		atomic_store(&rem[b], m);
	}
	if (r->limit > 0)
		metric_set(l, r->limit);
	if (r->remaining >= 0)
		metric_set(m, r->remaining);
}

void okta_governor_update(struct okta_governor *g, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms)
{
	if ((unsigned)b >= OKTA_BUCKET_COUNT)
		b = OKTA_BUCKET_OTHER;
	g->ops->update(g->ctx, b, r, now_ms);
	show(b, r);
	pthread_mutex_lock(&g->mu);
	struct seen *s = &g->last[b];
	/* concurrent answers of one window arrive out of order: the lowest remaining is the newest */
	if (!s->known || r->reset_s > s->r.reset_s || (r->reset_s == s->r.reset_s && r->remaining <= s->r.remaining))
		*s = (struct seen){ .known = 1, .r = *r, .at_ms = now_ms };
	pthread_mutex_unlock(&g->mu);
}

int okta_governor_last(struct okta_governor *g, enum okta_bucket b, struct okta_rate *r, int64_t *seen_ms)
{
	if ((unsigned)b >= OKTA_BUCKET_COUNT)
		return 1;
	pthread_mutex_lock(&g->mu);
	struct seen s = g->last[b];
	pthread_mutex_unlock(&g->mu);
	if (!s.known)
		return 1;
	*r = s.r;
	*seen_ms = s.at_ms;
	return 0;
}
