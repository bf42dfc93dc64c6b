/* filter.h: Okta's listUsers `filter` and `search` expressions (eq, sw, co, gt/ge/lt/le, pr; and, or, parentheses). */
#ifndef OKTA_SIM_FILTER_H
#define OKTA_SIM_FILTER_H

#include <stddef.h>

/*
 * FILTER_FILTER: `filter=`: attributes status, lastUpdated, id, profile.login, profile.email,
 * profile.firstName, profile.lastName; only eq (lastUpdated also gt/ge/lt/le); values compared
 * case-sensitively. FILTER_SEARCH: `search=`: id, status, type.id, the timestamps and any
 * profile.* attribute; eq, sw, co, gt, ge, lt, le, pr; string values compared case-insensitively.
 */
/*
 * FILTER_LOG: listLogEvents `filter=`: any LogEvent attribute (eventType, target.id, actor.id, ...);
 * eq, sw, co, gt, ge, lt, le, pr; values compared case-sensitively, published as a time.
 */
enum filter_mode {
	FILTER_FILTER,
	FILTER_SEARCH,
	FILTER_LOG,
};

/*
 * Reads attribute attr ("profile.login", "status", ...) of obj into buf (n bytes) and returns
 * it, or NULL when absent or null. Timestamps are RFC 3339 strings.
 */
typedef const char *(*filter_attr_fn)(const void *obj, const char *attr, char *buf, size_t n);

/* Checks expr's syntax and what mode allows. Returns 0, or -1 with a reason in why. */
int filter_check(const char *expr, enum filter_mode mode, char *why, size_t n);
/* 1 when obj matches expr (which passed filter_check), else 0. */
int filter_match(const char *expr, enum filter_mode mode, filter_attr_fn get, const void *obj);

#endif
