/* str.h: small NUL-terminated string helpers shared by every module. */
#ifndef HOOKD_STR_H
#define HOOKD_STR_H

#include <stddef.h>

/* strdup that maps NULL to NULL (and NULL on out of memory); the caller frees the copy. */
char *str_dup(const char *s);

/*
 * Edit distance (Levenshtein, ASCII case folded) between a and b, for "did you mean" hints; strings
 * longer than 127 bytes count as far from everything (returns 1000).
 */
unsigned str_distance(const char *a, const char *b);
/*
 * The entry of names (n of them) closest to s, or NULL when none is within a third of s's length
 * (at least 2 edits): a hint, not a guess at random.
 */
const char *str_closest(const char *s, const char *const *names, size_t n);

#endif
