/* logs.h: the System Log API call hookd makes (listLogEvents), page by page through Link rel="next". */
#ifndef HOOKD_OKTA_LOGS_H
#define HOOKD_OKTA_LOGS_H

#include <stddef.h>

#include "okta/client.h"

/* What to ask for. Strings are borrowed. */
struct okta_logs_query {
	const char *since;  /* RFC 3339 lower bound on published, required */
	const char *until;  /* RFC 3339 upper bound, or NULL for a polling query */
	const char *filter; /* SCIM filter expression, or NULL */
	int limit;	    /* 1..1000 */
};

/*
 * The first page's path: /api/v1/logs?since=..&until=..&filter=..&limit=..&sortOrder=ASCENDING,
 * values URL-encoded. Malloc'd; NULL on OOM or a query out of range.
 */
char *okta_logs_path(const struct okta_logs_query *q);

/*
 * The filter `eventType eq "a" or eventType eq "b" ...` for types[0..n) (n >= 1; each type made
 * of [A-Za-z0-9._-] only, else NULL). Malloc'd.
 */
char *okta_logs_type_filter(const char *const *types, size_t n);

/*
 * Turns a Link rel="next" URL into a path on the org (the part after org_url). Returns a malloc'd
 * path, or NULL when next is not on org_url's scheme, host and port (hookd never sends its
 * credentials where a header points) or does not lead to /api/v1/logs.
 */
char *okta_logs_next_path(const char *org_url, const char *next);

/*
 * GET path (from okta_logs_path or okta_logs_next_path) through the client, so through the rate
 * governor's logs bucket, retries and 429 handling. out->body is the page (a JSON array, parse it
 * with okta_logpage_parse), out->next the next page's URL or NULL. 0, or -1 with e filled.
 */
int okta_logs_page(struct okta_client *c, const char *path, struct okta_resp *out, struct okta_error *e);

#endif
