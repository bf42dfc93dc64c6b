/* str.c: small NUL-terminated string helpers shared by every module. */
#include "core/str.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

char *str_dup(const char *s)
{
	return s ? strdup(s) : NULL;
}

unsigned str_distance(const char *a, const char *b)
{
	size_t na = strlen(a), nb = strlen(b);
	if (na > 127 || nb > 127)
		return 1000;
	unsigned row[128];
	for (size_t j = 0; j <= nb; j++)
		row[j] = (unsigned)j;
	for (size_t i = 1; i <= na; i++) {
		unsigned diag = row[0];
		row[0] = (unsigned)i;
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
		}
	}
	return row[nb];
}

const char *str_closest(const char *s, const char *const *names, size_t n)
{
	size_t len = strlen(s);
	unsigned limit = (unsigned)(len / 3 > 2 ? len / 3 : 2), best = limit + 1;
	const char *pick = NULL;
	for (size_t i = 0; i < n; i++) {
		unsigned d = str_distance(s, names[i]);
		if (d < best) {
			best = d;
			pick = names[i];
		}
	}
	return pick;
}
