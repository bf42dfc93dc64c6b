/* seen.c: the durable-key cache that answers a redelivery without a journal round trip. */
#include "store/seen.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define WAYS 4 /* slots per bucket, each guarded by the bucket's lock */

/* One remembered pair: source, NUL, key, NUL in k. */
struct slot {
	uint64_t h; /* 0: empty */
	uint32_t pending;
	uint8_t srclen, keylen;
	char k[SEEN_KEY_MAX + 2];
};

struct bucket {
	pthread_mutex_t mu;
	uint32_t clock; /* next way to consider for eviction */
	struct slot way[WAYS];
};

struct seen {
	size_t nbuckets; /* a power of two */
	atomic_uint_fast64_t pending;
	size_t scan; /* seen_take's next bucket; under take_mu */
	pthread_mutex_t take_mu;
	struct bucket *b;
};

struct seen *seen_new(size_t slots)
{
	if (slots == 0)
		return NULL;
	size_t nb = 1;
	while (nb * WAYS < slots && nb < ((size_t)1 << 24))
		nb <<= 1;
	struct seen *s = calloc(1, sizeof(*s));
	if (!s)
		return NULL;
	s->b = calloc(nb, sizeof(*s->b));
	if (!s->b) {
		free(s);
		return NULL;
	}
	s->nbuckets = nb;
	for (size_t i = 0; i < nb; i++)
		pthread_mutex_init(&s->b[i].mu, NULL);
	pthread_mutex_init(&s->take_mu, NULL);
	atomic_init(&s->pending, 0);
	return s;
}

void seen_free(struct seen *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nbuckets; i++)
		pthread_mutex_destroy(&s->b[i].mu);
	pthread_mutex_destroy(&s->take_mu);
	free(s->b);
	free(s);
}

/* FNV-1a over s, at most SEEN_KEY_MAX + 1 bytes; *ok cleared by a byte that is not printable ASCII. */
static uint64_t hash_str(uint64_t h, const char *s, size_t *len, int *ok)
{
	const unsigned char *p = (const unsigned char *)s;
	for (; *p && p - (const unsigned char *)s <= SEEN_KEY_MAX; p++) {
		*ok &= *p >= 0x20 && *p < 0x7f;
		h = (h ^ *p) * 1099511628211ULL;
	}
	*len = (size_t)(p - (const unsigned char *)s);
	return h;
}

/*
 * FNV-1a over source, a NUL and key; never 0 (0 marks an empty slot). Fills the lengths. 0 when
 * the pair is not cached: too long, or a byte outside printable ASCII (which a backend might store
 * cleaned, under another key).
 */
static uint64_t pair_hash(const char *source, const char *key, size_t *sl, size_t *kl)
{
	int ok = 1;
	uint64_t h = hash_str(14695981039346656037ULL, source, sl, &ok);
	h = hash_str(h * 1099511628211ULL, key, kl, &ok);
	if (!ok || *sl + *kl > SEEN_KEY_MAX)
		return 0;
	return h ? h : 1;
}

static int slot_is(const struct slot *t, uint64_t h, const char *source, size_t sl, const char *key, size_t kl)
{
	return t->h == h && t->srclen == sl && t->keylen == kl && memcmp(t->k, source, sl) == 0 &&
	       memcmp(t->k + sl + 1, key, kl) == 0;
}

/* The bucket of (source, key), locked, and the matching slot in it or NULL. 0 when not cacheable. */
static struct bucket *find(struct seen *s, const char *source, const char *key, struct slot **hit, uint64_t *hp,
			   size_t *sl, size_t *kl)
{
	*hit = NULL;
	if (!s || !source || !key)
		return NULL;
	uint64_t h = pair_hash(source, key, sl, kl);
	if (!h)
		return NULL;
	*hp = h;
	struct bucket *b = &s->b[(h ^ (h >> 29)) & (s->nbuckets - 1)];
	pthread_mutex_lock(&b->mu);
	for (int i = 0; i < WAYS; i++)
		if (slot_is(&b->way[i], h, source, *sl, key, *kl))
			*hit = &b->way[i];
	return b;
}

void seen_add(struct seen *s, const char *source, const char *key)
{
	struct slot *t;
	uint64_t h = 0;
	size_t sl = 0, kl = 0;
	struct bucket *b = find(s, source, key, &t, &h, &sl, &kl);
	if (!b)
		return;
	for (int i = 0; !t && i < WAYS; i++) {
		struct slot *c = &b->way[(b->clock + (uint32_t)i) % WAYS];
		if (c->pending == 0) {
			t = c;
			b->clock = (b->clock + (uint32_t)i + 1) % WAYS;
			t->h = h;
			t->srclen = (uint8_t)sl;
			t->keylen = (uint8_t)kl;
			memcpy(t->k, source, sl + 1);
			memcpy(t->k + sl + 1, key, kl + 1);
		}
	}
	pthread_mutex_unlock(&b->mu);
}

int seen_has(struct seen *s, const char *source, const char *key)
{
	struct slot *t;
	uint64_t h = 0;
	size_t sl = 0, kl = 0;
	struct bucket *b = find(s, source, key, &t, &h, &sl, &kl);
	if (!b)
		return 0;
	pthread_mutex_unlock(&b->mu);
	return t != NULL;
}

int seen_hit(struct seen *s, const char *source, const char *key)
{
	struct slot *t;
	uint64_t h = 0;
	size_t sl = 0, kl = 0;
	struct bucket *b = find(s, source, key, &t, &h, &sl, &kl);
	if (!b)
		return 0;
	if (t && t->pending < UINT32_MAX) {
		t->pending++;
		atomic_fetch_add(&s->pending, 1);
	}
	pthread_mutex_unlock(&b->mu);
	return t != NULL;
}

uint64_t seen_pending(struct seen *s)
{
	return s ? atomic_load(&s->pending) : 0;
}

/* Moves bucket b's counts into out[n..max); returns the new n. */
static size_t take_bucket(struct seen *s, struct bucket *b, struct seen_count *out, size_t n, size_t max)
{
	pthread_mutex_lock(&b->mu);
	for (int i = 0; i < WAYS && n < max; i++) {
		struct slot *t = &b->way[i];
		if (!t->h || !t->pending)
			continue;
		memcpy(out[n].source, t->k, t->srclen + 1u);
		memcpy(out[n].key, t->k + t->srclen + 1, t->keylen + 1u);
		out[n].n = t->pending;
		atomic_fetch_sub(&s->pending, t->pending);
		t->pending = 0;
		n++;
	}
	pthread_mutex_unlock(&b->mu);
	return n;
}

size_t seen_take(struct seen *s, struct seen_count *out, size_t max)
{
	if (!s || max == 0 || atomic_load(&s->pending) == 0)
		return 0;
	size_t n = 0;
	pthread_mutex_lock(&s->take_mu);
	for (size_t i = 0; i < s->nbuckets && n < max && atomic_load(&s->pending) > 0; i++) {
		n = take_bucket(s, &s->b[s->scan], out, n, max);
		if (n < max)
			s->scan = (s->scan + 1) & (s->nbuckets - 1);
	}
	pthread_mutex_unlock(&s->take_mu);
	return n;
}
