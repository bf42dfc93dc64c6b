/* backoff.h: how long to wait before retrying an Okta call (exponential with full jitter, 429 resets). */
#ifndef HOOKD_OKTA_BACKOFF_H
#define HOOKD_OKTA_BACKOFF_H

#include <stdint.h>

/*
 * Full-jitter exponential backoff: a uniform pick in [0, min(cap_ms, base_ms * 2^attempt)],
 * using rnd as the random source. attempt counts from 0 (the first retry).
 */
int64_t okta_backoff_ms(int attempt, int64_t base_ms, int64_t cap_ms, uint32_t rnd);

/*
 * Wait before retrying a 429: until reset_ms (local clock) plus up to jitter_ms, using rnd.
 * A reset in the past or unknown (0) gives only the jitter plus 1 s floor, so a burst of
 * workers does not hammer a window that has not rolled over yet.
 */
int64_t okta_backoff_429_ms(int64_t reset_ms, int64_t now_ms, int64_t jitter_ms, uint32_t rnd);

/* 32 random bits from OpenSSL's CSPRNG (falls back to the clock if it ever fails). */
uint32_t okta_backoff_random(void);

#endif
