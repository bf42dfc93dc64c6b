/* str.c: small NUL-terminated string helpers shared by every module. */
#include "core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

/*
 * The edit distance between a[0..na) and b[0..nb) when it is at most cap, else cap + 1: once every
 * cell of a row exceeds cap, no later row can come back under it.
 */
static unsigned distance_within(const char *a, size_t na, const char *b, size_t nb, unsigned cap)
{
	if (na > 127 || nb > 127)
		return cap + 1;
	unsigned row[128];
	for (size_t j = 0; j <= nb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		unsigned diag = row[0], least;
		row[0] = least = (unsigned)i;
		for (size_t j = 1; j <= nb; j++) {
			unsigned up = row[j];
			int same = tolower((unsigned char)a[i - 1]) == tolower((unsigned char)b[j - 1]);
			unsigned best = diag + (same ? 0 : 1);
			if (up + 1 < best)
				best = up + 1;
			if (row[j - 1] + 1 < best)
				best = row[j - 1] + 1;
			diag = up;
			row[j] = best;
			if (best < least)
				least = best;
		}
		if (least > cap)
			return cap + 1;
	}
	return row[nb] > cap ? cap + 1 : row[nb];
}

unsigned str_distance(const char *a, const char *b)
{
	return distance_within(a, strlen(a), b, strlen(b), 999); /* 1000 for a string past 127 bytes */
}

const char *str_closest(const char *s, const char *const *names, size_t n)
{
	size_t len = strlen(s);
	unsigned limit = (unsigned)(len / 3 > 2 ? len / 3 : 2), best = limit + 1;
	const char *pick = NULL;
	for (size_t i = 0; i < n; i++) {
		size_t nl = strlen(names[i]);
		if ((nl > len ? nl - len : len - nl) >= best) /* the distance is at least the length difference */
			continue;
		unsigned d = distance_within(s, len, names[i], nl, best - 1);
		if (d < best) {
			best = d;
			pick = names[i];
		}
	}
	return pick;
}
