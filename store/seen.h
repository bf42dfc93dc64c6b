/* seen.h: a bounded set of (source, dedupe_key) pairs known to be durable, with their uncounted redeliveries. */
#ifndef HOOKD_SEEN_H
#define HOOKD_SEEN_H

#include <stddef.h>
#include <stdint.h>

struct seen;

/* The longest source + dedupe_key (together) the set holds; longer pairs are never cached. */
#define SEEN_KEY_MAX 110

/* A redelivery count taken out of the set: strings are copies owned by the struct. */
struct seen_count {
	char source[SEEN_KEY_MAX + 1];
	char key[SEEN_KEY_MAX + 1];
	uint32_t n;
};

/*
 * A set of about slots pairs (rounded up to a power of two, at least 4; 0 gives NULL, i.e. no
 * cache: every function below accepts NULL and then remembers nothing). Memory is allocated once.
 */
struct seen *seen_new(size_t slots);
/* NULL-safe. Counts not taken are lost. */
void seen_free(struct seen *s);

/*
 * Remembers that (source, key) is durable. The set forgets an older pair of the same bucket to
 * make room, never one whose redeliveries are still uncounted (then the new pair is not kept).
 * Call it only after the pair's row is committed: a pair in the set is answered as a duplicate.
 */
void seen_add(struct seen *s, const char *source, const char *key);
/* 1 when (source, key) is in the set, else 0. Changes nothing. */
int seen_has(struct seen *s, const char *source, const char *key);
/*
 * 1 when (source, key) is in the set, and then counts one redelivery of it (to be written by
 * whoever calls seen_take); 0 when it is not. Thread-safe, like every function here.
 */
int seen_hit(struct seen *s, const char *source, const char *key);
/* Redeliveries counted and not yet taken (a hint: may be stale by the time it returns). */
uint64_t seen_pending(struct seen *s);
/*
 * Moves up to max uncounted redelivery counts into out and returns how many were moved; the set
 * forgets them (the caller now owns writing them). The pairs stay in the set.
 */
size_t seen_take(struct seen *s, struct seen_count *out, size_t max);

#endif
