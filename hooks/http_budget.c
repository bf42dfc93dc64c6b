/* http_budget.c: the budget for buffered request bodies, so thousands of threads cannot hold gigabytes. */
#include "hooks/http_budget.h"

#include <stdatomic.h>

/*
 * The budget for buffered request bodies, across all connections: with thousands of request
 * threads, max_body each would allow gigabytes. A body that would pass the budget is refused 503.
 */
static atomic_size_t body_bytes;
static size_t body_budget = (size_t)256 << 20;

void http_body_budget_set(size_t bytes)
{
	body_budget = bytes;
}

size_t http_body_bytes(void)
{
	return atomic_load(&body_bytes);
}

int http_budget_take(size_t n)
{
	size_t was = atomic_fetch_add(&body_bytes, n);
	if (was + n > body_budget) {
		atomic_fetch_sub(&body_bytes, n);
		return -1;
	}
	return 0;
}

void http_budget_give(size_t n)
{
	if (n)
		atomic_fetch_sub(&body_bytes, n);
}
