/* slice.h: bytes with a length, for bodies, tokens and signatures (HMAC works on exact bytes). */
#ifndef HOOKD_SLICE_H
#define HOOKD_SLICE_H

#include <stddef.h>
#include <string.h>

struct slice {
	const char *p;
	size_t n;
};

#define SLICE_LIT(s) ((struct slice){ (s), sizeof(s) - 1 })

static inline struct slice slice_cstr(const char *s)
{
	return (struct slice){ s, s ? strlen(s) : 0 };
}

static inline int slice_eq_cstr(struct slice a, const char *s)
{
	size_t n = strlen(s);
	return a.n == n && (n == 0 || memcmp(a.p, s, n) == 0);
}

#endif
