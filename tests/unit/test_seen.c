/* test_seen.c: the cache of durable (source, dedupe_key) pairs: hits, counts, eviction, limits. */
#include "check.h"

#include "store/seen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void test_basics(void)
{
	struct seen *s = seen_new(64);
	CHECK(s != NULL);
	CHECK(!seen_has(s, "okta", "a") && !seen_hit(s, "okta", "a"));
	seen_add(s, "okta", "a");
	CHECK(seen_has(s, "okta", "a"));
	CHECK(!seen_has(s, "hr:x", "a") && !seen_has(s, "okt", "aa") && !seen_has(s, "okta", "ab"));
	CHECK(seen_pending(s) == 0);
	CHECK(seen_hit(s, "okta", "a") && seen_hit(s, "okta", "a"));
	CHECK(seen_pending(s) == 2);
	struct seen_count c[4];
	CHECK(seen_take(s, c, 4) == 1);
	CHECK_STR(c[0].source, "okta");
	CHECK_STR(c[0].key, "a");
	CHECK(c[0].n == 2);
	CHECK(seen_pending(s) == 0 && seen_take(s, c, 4) == 0);
	CHECK(seen_has(s, "okta", "a")); /* taking counts keeps the pair */
	seen_free(s);
}

/* Pairs that are too long or not printable ASCII are never cached; NULL is no cache at all. */
static void test_limits(void)
{
	struct seen *s = seen_new(16);
	char long_key[SEEN_KEY_MAX + 8];
	memset(long_key, 'k', sizeof(long_key) - 1);
	long_key[sizeof(long_key) - 1] = '\0';
	seen_add(s, "okta", long_key);
	CHECK(!seen_has(s, "okta", long_key));
	long_key[SEEN_KEY_MAX - 4] = '\0'; /* "okta" + key = SEEN_KEY_MAX: fits */
	seen_add(s, "okta", long_key);
	CHECK(seen_has(s, "okta", long_key));
	seen_add(s, "okta", "caf\xc3\xa9");
	CHECK(!seen_has(s, "okta", "caf\xc3\xa9"));
	seen_add(s, "okta", "a\nb");
	CHECK(!seen_has(s, "okta", "a\nb"));
	seen_add(s, NULL, "a");
	CHECK(!seen_has(s, NULL, "a") && !seen_hit(s, "okta", NULL));
	seen_free(s);
	CHECK(seen_new(0) == NULL);
	seen_add(NULL, "okta", "a");
	CHECK(!seen_has(NULL, "okta", "a") && !seen_hit(NULL, "okta", "a") && seen_pending(NULL) == 0);
	struct seen_count c[1];
	CHECK(seen_take(NULL, c, 1) == 0);
	seen_free(NULL);
}

/* A full set forgets old pairs, never one with uncounted redeliveries; take honours max. */
static void test_eviction(void)
{
	struct seen *s = seen_new(8);
	char key[32];
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		seen_add(s, "okta", key);
	}
	int kept = 0;
	for (int i = 0; i < 1000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		kept += seen_has(s, "okta", key);
	}
	CHECK(kept > 0 && kept <= 8);
	CHECK(seen_has(s, "okta", "k999")); /* the newest is always kept */
	CHECK(seen_hit(s, "okta", "k999"));
	for (int i = 1000; i < 2000; i++) {
		snprintf(key, sizeof(key), "k%d", i);
		seen_add(s, "okta", key);
	}
	CHECK(seen_has(s, "okta", "k999")); /* pinned by its count */
	int pinned = 0;
	for (int i = 1000; i < 2000; i++) { /* pin every pair still held */
		snprintf(key, sizeof(key), "k%d", i);
		pinned += seen_hit(s, "okta", key);
	}
	CHECK(seen_pending(s) == (uint64_t)pinned + 1);
	struct seen_count c[64];
	size_t n1 = seen_take(s, c, 2);
	CHECK(n1 == 2);
	size_t n2 = seen_take(s, c, 64);
	CHECK(n1 + n2 == (size_t)pinned + 1 && seen_pending(s) == 0);
	seen_free(s);
}

int main(void)
{
	test_basics();
	test_limits();
	test_eviction();
	return check_report("test_seen");
}
