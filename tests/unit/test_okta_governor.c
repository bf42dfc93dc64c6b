/* test_okta_governor.c: bucket mapping, rate windows, reserve, stale resets, concurrency; backoff bounds. */
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "okta/backoff.h"
#include "okta/governor.h"

static void test_buckets(void)
{
	CHECK(okta_bucket_for("GET", "/api/v1/users") == OKTA_BUCKET_USERS);
	CHECK(okta_bucket_for("GET", "/api/v1/users?filter=profile.login%20eq%20%22a%22") == OKTA_BUCKET_USERS);
	CHECK(okta_bucket_for("POST", "/api/v1/users?activate=false") == OKTA_BUCKET_USERS);
	CHECK(okta_bucket_for("GET", "/api/v1/users/00u1abc") == OKTA_BUCKET_USER_GET);
	CHECK(okta_bucket_for("GET", "/api/v1/users/a%40b.com") == OKTA_BUCKET_USER_GET);
	CHECK(okta_bucket_for("POST", "/api/v1/users/00u1abc") == OKTA_BUCKET_USER_WRITE);
	CHECK(okta_bucket_for("POST", "/api/v1/users/00u1abc/lifecycle/activate?sendEmail=true") ==
	      OKTA_BUCKET_USER_WRITE);
	CHECK(okta_bucket_for("POST", "/api/v1/users/00u1abc/lifecycle/deactivate") == OKTA_BUCKET_USER_WRITE);
	CHECK(okta_bucket_for("GET", "/api/v1/users/00u1abc/groups") == OKTA_BUCKET_OTHER);
	CHECK(okta_bucket_for("GET", "/api/v1/usersX") == OKTA_BUCKET_OTHER);
	CHECK(okta_bucket_for("GET", "/api/v1/eventHooks") == OKTA_BUCKET_EVENT_HOOKS);
	CHECK(okta_bucket_for("POST", "/api/v1/eventHooks/who1/lifecycle/verify") == OKTA_BUCKET_EVENT_HOOKS);
	CHECK(okta_bucket_for("POST", "/oauth2/v1/token") == OKTA_BUCKET_TOKEN);
	CHECK(okta_bucket_for("GET", "/api/v1/groups") == OKTA_BUCKET_OTHER);
	CHECK(okta_bucket_for("GET", "/api/v1/logs?since=2026-12-01T00%3A00%3A00Z&limit=1000") == OKTA_BUCKET_LOGS);
	CHECK(okta_bucket_for("GET", "/api/v1/logs") == OKTA_BUCKET_LOGS);
	CHECK(okta_bucket_for("GET", "/api/v1/logsX") == OKTA_BUCKET_OTHER);
	CHECK_STR(okta_bucket_name(OKTA_BUCKET_LOGS), "logs");
	CHECK_STR(okta_bucket_name(OKTA_BUCKET_USER_WRITE), "user_write");
}

static struct okta_rate rate(int64_t limit, int64_t remaining, int64_t reset_s)
{
	return (struct okta_rate){ limit, remaining, reset_s, reset_s * 1000 };
}

static void test_window_and_reserve(void)
{
	struct okta_governor *g = okta_governor_new(2);
	int64_t now = 1700000000000;				       /* ms */
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USERS, now) == 0); /* nothing known: go */
	struct okta_rate r = rate(10, 5, 1700000030);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now);
	/* 5 left, 2 kept in reserve: three go, the fourth waits until the reset */
	for (int i = 0; i < 3; i++)
		CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now) == 0);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USERS, now) == 30000);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 10000) == 20000);
	/* delay_ms does not spend */
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USERS, now) == 30000);
	/* the reset has passed: go, even before a new header arrives */
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 30000) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 31000) == 0);
	okta_governor_free(g);
}

/* The admin overview's view: the last answer per bucket, lowest remaining of a window, none before. */
static void test_last_seen(void)
{
	struct okta_governor *g = okta_governor_new(0);
	int64_t now = 1700000000000, seen = 0;
	struct okta_rate r = rate(100, 40, 1700000060), got;
	CHECK(okta_governor_last(g, OKTA_BUCKET_USERS, &got, &seen) == 1);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now);
	CHECK(okta_governor_last(g, OKTA_BUCKET_USERS, &got, &seen) == 0);
	CHECK(got.limit == 100 && got.remaining == 40 && got.reset_s == 1700000060 && seen == now);
	r = rate(100, 70, 1700000060); /* a late answer of the same window */
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now + 5);
	CHECK(okta_governor_last(g, OKTA_BUCKET_USERS, &got, &seen) == 0 && got.remaining == 40 && seen == now);
	r = rate(100, 99, 1700000120); /* the next window */
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now + 60000);
	CHECK(okta_governor_last(g, OKTA_BUCKET_USERS, &got, &seen) == 0 && got.remaining == 99 && seen == now + 60000);
	/* spending does not change what was seen; other buckets stay unseen */
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 60000) == 0);
	CHECK(okta_governor_last(g, OKTA_BUCKET_USERS, &got, &seen) == 0 && got.remaining == 99);
	CHECK(okta_governor_last(g, OKTA_BUCKET_LOGS, &got, &seen) == 1);
	CHECK(okta_governor_last(g, OKTA_BUCKET_COUNT, &got, &seen) == 1);
	okta_governor_free(g);
}

static void test_update_order(void)
{
	struct okta_governor *g = okta_governor_new(1);
	int64_t now = 1700000000000;
	struct okta_rate r = rate(100, 50, 1700000060);
	okta_governor_update(g, OKTA_BUCKET_USER_GET, &r, now);
	/* a late answer of the same window with more remaining does not raise it */
	r = rate(100, 80, 1700000060);
	okta_governor_update(g, OKTA_BUCKET_USER_GET, &r, now);
	r = rate(100, 1, 1700000060);
	okta_governor_update(g, OKTA_BUCKET_USER_GET, &r, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USER_GET, now) == 60000);
	/* an answer from the previous window is ignored */
	r = rate(100, 99, 1700000000);
	okta_governor_update(g, OKTA_BUCKET_USER_GET, &r, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USER_GET, now) == 60000);
	/* a newer window replaces the state */
	r = rate(100, 99, 1700000120);
	okta_governor_update(g, OKTA_BUCKET_USER_GET, &r, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USER_GET, now) == 0);
	/* a 429 (remaining 0) with a reset already in the past never blocks */
	r = rate(100, 0, 1699999990);
	okta_governor_update(g, OKTA_BUCKET_OTHER, &r, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_OTHER, now) == 0);
	okta_governor_free(g);
}

static void test_buckets_independent(void)
{
	struct okta_governor *g = okta_governor_new(2);
	int64_t now = 1700000000000;
	struct okta_rate spent = rate(600, 0, 1700000045);
	struct okta_rate plenty = rate(600, 500, 1700000045);
	okta_governor_update(g, OKTA_BUCKET_USERS, &spent, now);
	okta_governor_update(g, OKTA_BUCKET_USER_WRITE, &plenty, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USERS, now) == 45000);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USER_WRITE, now) == 0);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USER_GET, now) == 0);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_EVENT_HOOKS, now) == 0);
	/* a reserve larger than the limit still lets one request per window through */
	struct okta_rate tiny = rate(1, 1, 1700000045);
	okta_governor_update(g, OKTA_BUCKET_TOKEN, &tiny, now);
	CHECK(okta_governor_take(g, OKTA_BUCKET_TOKEN, now) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_TOKEN, now) == 45000);
	/* reserve 0 spends every request */
	struct okta_governor *g0 = okta_governor_new(0);
	struct okta_rate two = rate(10, 2, 1700000010);
	okta_governor_update(g0, OKTA_BUCKET_USERS, &two, now);
	CHECK(okta_governor_take(g0, OKTA_BUCKET_USERS, now) == 0);
	CHECK(okta_governor_take(g0, OKTA_BUCKET_USERS, now) == 0);
	CHECK(okta_governor_take(g0, OKTA_BUCKET_USERS, now) == 10000);
	okta_governor_free(g0);
	okta_governor_free(g);
}

static void test_blind_requests(void)
{
	struct okta_governor *g = okta_governor_new(2);
	int64_t now = 1700000000000;
	/* four workers go while nothing is known; the first answer says 9 of 10 left */
	for (int i = 0; i < 4; i++)
		CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now) == 0);
	struct okta_rate r = rate(10, 9, 1700000002);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now);
	/* the three others count as spent too: 6 left, 2 in reserve -> 4 more go */
	for (int i = 0; i < 4; i++)
		CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now) == 2000);
	/* their late answers (same window, more left) do not raise it */
	r = rate(10, 7, 1700000002);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now);
	CHECK(okta_governor_delay_ms(g, OKTA_BUCKET_USERS, now) == 2000);
	/* after the reset: blind again, counted against the next window */
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 2000) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 2000) == 0);
	r = rate(10, 9, 1700000004);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now + 2000);
	for (int i = 0; i < 6; i++)
		CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 2000) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, now + 2000) == 2000);
	okta_governor_free(g);
}

struct race {
	struct okta_governor *g;
	int64_t now;
	int granted;
};

static void *racer(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < 500; i++)
		if (okta_governor_take(r->g, OKTA_BUCKET_USERS, r->now) == 0)
			r->granted++;
	return NULL;
}

static void test_concurrency(void)
{
	struct okta_governor *g = okta_governor_new(2);
	int64_t now = 1700000000000;
	struct okta_rate r = rate(1000, 1000, 1700000060);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, now);
	struct race rs[8];
	pthread_t th[8];
	for (int i = 0; i < 8; i++) {
		rs[i] = (struct race){ g, now, 0 };
		pthread_create(&th[i], NULL, racer, &rs[i]);
	}
	int total = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(th[i], NULL);
		total += rs[i].granted;
	}
	/* 8 x 500 attempts against 1000 remaining with 2 in reserve: exactly 998 granted */
	CHECK(total == 998);
	okta_governor_free(g);
}

/* A pluggable backend (as a PostgreSQL budget would be) sees every take and update. */
struct fake {
	int takes, updates, freed;
	int64_t last_remaining;
};
static int64_t fake_take(void *ctx, enum okta_bucket b, int64_t now)
{
	struct fake *f = ctx;
	(void)b, (void)now;
	return f->takes++ < 1 ? 0 : 1234;
}
static void fake_update(void *ctx, enum okta_bucket b, const struct okta_rate *r, int64_t now)
{
	struct fake *f = ctx;
	(void)b, (void)now;
	f->updates++;
	f->last_remaining = r->remaining;
}
static void fake_free(void *ctx)
{
	((struct fake *)ctx)->freed = 1;
}

static void test_ops(void)
{
	static const struct okta_governor_ops ops = { fake_take, fake_update, fake_free };
	struct fake f = { 0 };
	struct okta_governor *g = okta_governor_new_ops(&ops, &f);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, 0) == 0);
	CHECK(okta_governor_take(g, OKTA_BUCKET_USERS, 0) == 1234);
	struct okta_rate r = rate(5, 3, 10);
	okta_governor_update(g, OKTA_BUCKET_USERS, &r, 0);
	CHECK(f.updates == 1 && f.last_remaining == 3);
	okta_governor_free(g);
	CHECK(f.freed == 1);
	okta_governor_free(NULL);
}

static void test_backoff(void)
{
	const uint32_t rnds[] = { 0, 1, 7, 250, 251, 1000, 65535, 123456789, 0x7fffffff, 0xffffffff };
	for (int a = 0; a < 12; a++) {
		int64_t ceil = 250;
		for (int i = 0; i < a; i++)
			ceil = ceil * 2 > 8000 ? 8000 : ceil * 2;
		int64_t max = 0;
		for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
			int64_t d = okta_backoff_ms(a, 250, 8000, rnds[i]);
			CHECK(d >= 0 && d <= ceil);
			max = d > max ? d : max;
		}
		/* the top of the range is reachable */
		CHECK(okta_backoff_ms(a, 250, 8000, (uint32_t)ceil) == ceil);
	}
	CHECK(okta_backoff_ms(1000, 250, 8000, 0xffffffff) <= 8000);
	CHECK(okta_backoff_ms(0, 0, 8000, 5) == 0);
	/* real randomness spreads over the range (full jitter, not fixed steps) */
	int64_t lo = 8000, hi = 0;
	for (int i = 0; i < 200; i++) {
		int64_t d = okta_backoff_ms(5, 250, 8000, okta_backoff_random());
		lo = d < lo ? d : lo;
		hi = d > hi ? d : hi;
	}
	CHECK(lo < 2000 && hi > 6000);
	/* 429: wait until the reset plus at most the jitter */
	int64_t now = 1700000000000;
	for (size_t i = 0; i < sizeof(rnds) / sizeof(rnds[0]); i++) {
		int64_t d = okta_backoff_429_ms(now + 12000, now, 1000, rnds[i]);
		CHECK(d >= 12000 && d <= 13000);
		d = okta_backoff_429_ms(now - 5000, now, 1000, rnds[i]); /* reset passed: short pause */
		CHECK(d >= 1000 && d <= 2000);
		d = okta_backoff_429_ms(0, now, 0, rnds[i]);
		CHECK(d == 1000);
	}
}

int main(void)
{
	test_buckets();
	test_window_and_reserve();
	test_update_order();
	test_last_seen();
	test_buckets_independent();
	test_blind_requests();
	test_concurrency();
	test_ops();
	test_backoff();
	return check_report("okta_governor");
}
