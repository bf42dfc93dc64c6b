/* check.h: the unit tests' one assertion macro and their closing line ("N passed, N failed"). */
#ifndef HOOKD_CHECK_H
#define HOOKD_CHECK_H

#include <stdio.h>
#include <string.h>

static int check_passed, check_failed;

#define CHECK(cond)                                                                              \
	do {                                                                                     \
		if (cond) {                                                                      \
			check_passed++;                                                          \
		} else {                                                                         \
			check_failed++;                                                          \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
		}                                                                                \
	} while (0)

#define CHECK_STR(a, b)                                                                                                \
	do {                                                                                                           \
		const char *check_a_ = (a), *check_b_ = (b);                                                           \
		if (check_a_ && check_b_ && strcmp(check_a_, check_b_) == 0) {                                         \
			check_passed++;                                                                                \
		} else {                                                                                               \
			check_failed++;                                                                                \
			fprintf(stderr, "%s:%d: CHECK_STR failed: %s = \"%s\", want \"%s\"\n", __FILE__, __LINE__, #a, \
				check_a_ ? check_a_ : "(null)", check_b_ ? check_b_ : "(null)");                       \
		}                                                                                                      \
	} while (0)

/* Prints the closing line and gives main its exit status. */
static inline int check_report(const char *name)
{
	printf("%s: %d passed, %d failed\n", name, check_passed, check_failed);
	return check_failed || !check_passed ? 1 : 0;
}

#endif
