/* ratelimit.c: Okta-like per-bucket request limits; a window opens with a bucket's first request. */
#include "sim/ratelimit.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

#define RL_OFF_LIMIT 1000000

static const char *const names[RL_NBUCKETS] = { "users", "user", "user_write", "eventhooks", "token", "logs", "other" };
static const long defaults[RL_NBUCKETS] = { 600, 2000, 600, 600, 600, 120, 1200 };

struct window {
	int64_t start_ms;
	long used;
};

struct ratelimit {
	pthread_mutex_t mu;
	int off;
	int64_t window_ms;
	long limit[RL_NBUCKETS];
	struct window w[RL_NBUCKETS];
};

const char *ratelimit_bucket_name(enum rl_bucket b)
{
	return b < RL_NBUCKETS ? names[b] : "?";
}

static int parse_pair(struct ratelimit *rl, const char *item, char *err, size_t errlen)
{
	const char *eq = strchr(item, '=');
	char *end;
	long v = eq ? strtol(eq + 1, &end, 10) : 0;
	if (!eq || eq[1] == '\0' || *end != '\0' || v < 1 || v > 100000000) {
		snprintf(err, errlen, "rate limit: '%s' is not name=N with N >= 1", item);
		return -1;
	}
	size_t kn = (size_t)(eq - item);
	if (kn == 6 && strncmp(item, "window", 6) == 0) {
		rl->window_ms = (int64_t)v * 1000;
		return 0;
	}
	for (int b = 0; b < RL_NBUCKETS; b++) {
		if ((kn == 3 && strncmp(item, "all", 3) == 0) ||
		    (strlen(names[b]) == kn && strncmp(item, names[b], kn) == 0))
			rl->limit[b] = v;
	}
	if (!(kn == 3 && strncmp(item, "all", 3) == 0)) {
		int known = 0;
		for (int b = 0; b < RL_NBUCKETS; b++)
			known |= strlen(names[b]) == kn && strncmp(item, names[b], kn) == 0;
		if (!known) {
			snprintf(err, errlen,
				 "rate limit: unknown bucket in '%s' (users, user, user_write, "
				 "eventhooks, token, logs, other, all, window)",
				 item);
			return -1;
		}
	}
	return 0;
}

struct ratelimit *ratelimit_new(const char *spec, char *err, size_t errlen)
{
	struct ratelimit *rl = sim_xcalloc(1, sizeof(*rl));
	pthread_mutex_init(&rl->mu, NULL);
	rl->window_ms = 60000;
	memcpy(rl->limit, defaults, sizeof(defaults));
	if (spec && strcmp(spec, "off") == 0) {
		rl->off = 1;
		return rl;
	}
	if (!spec)
		return rl;
	char *copy = sim_strdup(spec), *save = NULL;
	for (char *item = strtok_r(copy, ",", &save); item; item = strtok_r(NULL, ",", &save)) {
		if (parse_pair(rl, item, err, errlen) < 0) {
			free(copy);
			ratelimit_free(rl);
			return NULL;
		}
	}
	free(copy);
	return rl;
}

void ratelimit_free(struct ratelimit *rl)
{
	if (!rl)
		return;
	pthread_mutex_destroy(&rl->mu);
	free(rl);
}

int ratelimit_take(struct ratelimit *rl, enum rl_bucket b, int64_t now_ms, struct rl_state *st)
{
	pthread_mutex_lock(&rl->mu);
	struct window *w = &rl->w[b];
	if (w->start_ms == 0 || now_ms >= w->start_ms + rl->window_ms || now_ms < w->start_ms) {
		w->start_ms = now_ms;
		w->used = 0;
	}
	long limit = rl->off ? RL_OFF_LIMIT : rl->limit[b];
	int over = !rl->off && w->used >= limit;
	if (!over)
		w->used++;
	st->limit = limit;
	st->remaining = limit - w->used;
	if (st->remaining < 0)
		st->remaining = 0;
	st->reset_s = (w->start_ms + rl->window_ms + 999) / 1000;
	pthread_mutex_unlock(&rl->mu);
	return over;
}

void ratelimit_reset(struct ratelimit *rl)
{
	pthread_mutex_lock(&rl->mu);
	memset(rl->w, 0, sizeof(rl->w));
	pthread_mutex_unlock(&rl->mu);
}

void ratelimit_describe(const struct ratelimit *rl, char *out, size_t n)
{
	if (rl->off) {
		snprintf(out, n, "off");
		return;
	}
	size_t used = 0;
	for (int b = 0; b < RL_NBUCKETS && used < n; b++)
		used += (size_t)snprintf(out + used, n - used, "%s=%ld,", names[b], rl->limit[b]);
	if (used < n)
		snprintf(out + used, n - used, "window=%lld", (long long)(rl->window_ms / 1000));
}
