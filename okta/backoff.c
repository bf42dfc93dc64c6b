/* backoff.c: retry delays for Okta calls; pure functions plus one random source. */
#include "okta/backoff.h"

#include <openssl/rand.h>
#include <time.h>

int64_t okta_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd)
{
	if (base_ms <= 0 || cap_ms <= 0)
		return 0;
	int64_t ceil = base_ms;
	for (int i = 0; i < attempt && ceil < cap_ms; i++)
		ceil *= 2;
	if (ceil > cap_ms)
		ceil = cap_ms;
	return (int64_t)(rnd % (uint64_t)(ceil + 1));
}

int64_t okta_backoff_429_ms(int64_t reset_ms, int64_t now_ms, int64_t jitter_ms, uint32_t rnd)
{
	int64_t wait = reset_ms > now_ms ? reset_ms - now_ms : 1000;
	if (jitter_ms > 0)
		wait += (int64_t)(rnd % (uint64_t)(jitter_ms + 1));
	return wait;
}

uint32_t okta_backoff_random(void)
{
	uint32_t r;
	if (RAND_bytes((unsigned char *)&r, sizeof(r)) == 1)
		return r;
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint32_t)ts.tv_nsec ^ (uint32_t)ts.tv_sec;
}
