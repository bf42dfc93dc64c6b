/* governor_shared.c: rate budget shared by hookd instances through the journal's rate_budget table. */
#include "okta/governor_shared.h"

#include "core/log.h"
#include "store/journal.h"

#include <stdlib.h>

struct shared {
	struct journal *j;
	int reserve;
	struct okta_governor *local;
};

static int64_t take(void *ctx, enum okta_bucket b, int64_t now_ms)
{
	struct shared *s = ctx;
	char err[256];
	int64_t d = journal_rate_take(s->j, okta_bucket_name(b), s->reserve, now_ms, err, sizeof(err));
	return d >= 0 ? d : okta_governor_take(s->local, b, now_ms); /* store unreachable: this instance's view */
}

static void update(void *ctx, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms)
{
	struct shared *s = ctx;
	char err[256];
	struct rate_window w = {
		.limit = r->limit, .remaining = r->remaining, .reset_s = r->reset_s, .reset_ms = r->reset_ms
	};
	okta_governor_update(s->local, b, r, now_ms);
	if (journal_rate_update(s->j, okta_bucket_name(b), &w, now_ms, err, sizeof(err)) < 0)
		log_warn("shared rate budget not updated", "detail", err);
}

static void release(void *ctx)
{
	struct shared *s = ctx;
	okta_governor_free(s->local);
	free(s);
}

static const struct okta_governor_ops shared_ops = { .take = take, .update = update, .free = release };

struct okta_governor *okta_governor_shared_new(struct journal *j, int reserve)
{
	struct shared *s = calloc(1, sizeof(*s));
	if (!s || !(s->local = okta_governor_new(reserve))) {
		free(s);
		return NULL;
	}
	s->j = j;
	s->reserve = reserve;
	struct okta_governor *g = okta_governor_new_ops(&shared_ops, s);
	if (!g)
		release(s);
	return g;
}
