/* http_budget.h: the process-wide budget for request bodies being buffered, across all connections. */
#ifndef HOOKD_HTTP_BUDGET_H
#define HOOKD_HTTP_BUDGET_H

#include <stddef.h>

/*
 * Bodies being buffered by all requests together may hold at most bytes (default 256 MiB); a body
 * that would pass it is refused 503 "overloaded". Set before the server starts.
 */
void http_body_budget_set(size_t bytes);
/* Bytes of the budget held right now (for /metrics). */
size_t http_body_bytes(void);
/* Takes n bytes of the budget: 0, or -1 (nothing taken) when that would pass it. */
int http_budget_take(size_t n);
/* Gives back n bytes taken with http_budget_take. */
void http_budget_give(size_t n);

#endif
