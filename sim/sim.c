/* sim.c: the org's clock and random ids; allocation helpers that treat OOM as fatal. */
#include "sim/sim.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"

static void oom(void)
{
	fprintf(stderr, "okta-sim: out of memory\n");
	abort();
}

void *sim_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom();
	return p;
}

void *sim_xrealloc(void *p, size_t size)
{
	void *q = realloc(p, size ? size : 1);
	if (!q)
		oom();
	return q;
}

char *sim_strdup(const char *s)
{
	char *d = strdup(s ? s : "");
	if (!d)
		oom();
	return d;
}

char *sim_strndup(const char *s, size_t n)
{
	char *d = sim_xcalloc(1, n + 1);
	if (n)
		memcpy(d, s, n);
	return d;
}

int64_t sim_now_ms(struct sim *s)
{
	return clock_now_ms() + atomic_load(&s->clock_offset_ms);
}

static void random_bytes(unsigned char *p, size_t n)
{
	if (RAND_bytes(p, (int)n) != 1) {
		fprintf(stderr, "okta-sim: RAND_bytes failed\n");
		abort();
	}
}

void sim_random_alnum(char *out, size_t n)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	size_t k = 0;
	while (k < n) {
		unsigned char buf[64];
		random_bytes(buf, sizeof(buf));
		for (size_t i = 0; i < sizeof(buf) && k < n; i++)
			if (buf[i] < 248) /* 248 = 4 * 62: no modulo bias */
				out[k++] = alnum[buf[i] % 62];
	}
	out[n] = '\0';
}

void sim_new_id(char out[24], const char *prefix)
{
	size_t p = strlen(prefix);
	memcpy(out, prefix, p);
	sim_random_alnum(out + p, 20 - p);
}

void sim_uuid(char out[37])
{
	unsigned char b[16];
	random_bytes(b, sizeof(b));
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x40);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	snprintf(out, 37, "%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0], b[1], b[2],
		 b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
}

double sim_random_unit(void)
{
	uint64_t v;
	random_bytes((unsigned char *)&v, sizeof(v));
	return (double)(v >> 11) * (1.0 / 9007199254740992.0);
}
