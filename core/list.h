/* list.h: walking the separated lists of config values ("a, b", "host:1,host:2"). */
#ifndef HOOKD_LIST_H
#define HOOKD_LIST_H

#include <string.h>

#include "core/slice.h"

/*
 * Sets *item to the next non-empty item of *cursor, items being separated by any character of seps
 * and trimmed of spaces, and advances *cursor past it. Returns 1, or 0 when no item is left.
 */
static inline int list_next(const char **cursor, const char *seps, struct slice *item)
{
	const char *p = *cursor;
	for (;;) {
		while (*p && (*p == ' ' || strchr(seps, *p)))
			p++;
		if (!*p) {
			*cursor = p;
			return 0;
		}
		const char *e = p;
		while (*e && !strchr(seps, *e))
			e++;
		const char *t = e;
		while (t > p && t[-1] == ' ')
			t--;
		*cursor = e;
		if (t > p) {
			*item = (struct slice){ p, (size_t)(t - p) };
			return 1;
		}
		p = e;
	}
}

#endif
