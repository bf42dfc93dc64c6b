/* clock.h: wall-clock and monotonic time in the units hookd uses. */
#ifndef HOOKD_CLOCK_H
#define HOOKD_CLOCK_H

#include <stddef.h>
#include <stdint.h>

/* Unix time in milliseconds, moved by HOOKD_CLOCK_OFFSET seconds when that is set (tests, drills). */
int64_t clock_now_ms(void);
/* Monotonic nanoseconds, for deadlines and latency. */
int64_t clock_mono_ns(void);
/* The CLOCK_MONOTONIC instant timeout_ms from now, for pthread_cond_timedwait on a monotonic condvar. */
struct timespec;
void clock_mono_deadline(int64_t timeout_ms, struct timespec *out);
/* Formats unix milliseconds as RFC 3339 UTC with milliseconds ("2026-11-27T04:47:16.123Z"). */
void clock_format_ms(int64_t ms, char *out, size_t n);
/*
 * Parses RFC 3339 / ISO 8601 ("2026-11-27T04:47:16.123Z", "+01:00" offsets, or a bare date
 * "2026-11-27" as midnight UTC) into unix milliseconds. Returns -1 when it does not parse.
 */
int clock_parse_ms(const char *s, int64_t *out);

#endif
