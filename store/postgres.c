/* postgres.c: the shared journal backend on PostgreSQL (libpq). Not implemented yet: open fails clearly. */
#include "store/backend.h"

#include <stdio.h>

static void *pg_open(const struct journal_opts *o, char *err, size_t errlen)
{
	(void)o;
	snprintf(err, errlen, "the postgres backend is not built into this hookd yet; use backend = sqlite");
	return NULL;
}

const struct journal_backend journal_backend_postgres = {
	.name = "postgres",
	.open = pg_open,
};
