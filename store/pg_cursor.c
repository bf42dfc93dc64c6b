/* pg_cursor.c: the System Log reconciler's cursor and lease on PostgreSQL: one upserted row per name (statements in postgres.c). */
#include "store/pg_internal.h"

#include <stdio.h>
#include <string.h>

/* Takes or renews the lease (ST_CURSOR_LEASE; the upsert's row lock makes take-over atomic). */
int pg_cursor_lease(void *b, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms, int64_t *cursor_ms,
		    char *err, size_t errlen)
{
	char now[24], ttl[24];
	snprintf(now, sizeof(now), "%lld", (long long)now_ms);
	snprintf(ttl, sizeof(ttl), "%lld", (long long)ttl_ms);
	const char *vals[] = { name, owner, now, ttl };
	PGresult *r = pg_pool_exec(b, ST_CURSOR_LEASE, vals, PGRES_TUPLES_OK, 1, err, errlen);
	if (!r)
		return -1;
	int held = PQntuples(r) == 1;
	if (held)
		*cursor_ms = PQgetisnull(r, 0, 0) ? -1 : pg_val_i64(r, 0, 0);
	PQclear(r);
	return held;
}

/* Moves the cursor while owner holds the lease (ST_CURSOR_ADVANCE); 1 when it does not. */
int pg_cursor_advance(void *b, const char *name, const char *owner, int64_t cursor_ms, int64_t found, int64_t now_ms,
		      char *err, size_t errlen)
{
	char cur[24], now[24], fnd[24];
	snprintf(cur, sizeof(cur), "%lld", (long long)cursor_ms);
	snprintf(now, sizeof(now), "%lld", (long long)now_ms);
	snprintf(fnd, sizeof(fnd), "%lld", (long long)found);
	const char *vals[] = { name, owner, cur, now, fnd };
	PGresult *r = pg_pool_exec(b, ST_CURSOR_ADVANCE, vals, PGRES_COMMAND_OK, 1, err, errlen);
	if (!r)
		return -1;
	int rc = strcmp(PQcmdTuples(r), "1") == 0 ? 0 : 1;
	PQclear(r);
	return rc;
}

/* The row of name (ST_CURSOR_READ); 0, 1 when there is none, -1 with err. */
int pg_cursor_read(void *b, const char *name, struct journal_cursor *c, char *err, size_t errlen)
{
	const char *vals[] = { name };
	PGresult *r = pg_pool_exec(b, ST_CURSOR_READ, vals, PGRES_TUPLES_OK, 1, err, errlen);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		c->cursor_ms = PQgetisnull(r, 0, 0) ? -1 : pg_val_i64(r, 0, 0);
		c->updated_ms = pg_val_i64(r, 0, 1);
		snprintf(c->owner, sizeof(c->owner), "%s", PQgetisnull(r, 0, 2) ? "" : PQgetvalue(r, 0, 2));
		c->lease_expires_ms = pg_val_i64(r, 0, 3);
		c->found = pg_val_i64(r, 0, 4);
		rc = 0;
	}
	PQclear(r);
	return rc;
}
