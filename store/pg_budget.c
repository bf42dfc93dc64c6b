/* pg_budget.c: the shared Okta rate budget on PostgreSQL: one locked row per bucket (statements in postgres.c). */
#include "store/pg_internal.h"

#include <stdio.h>

/* One request from bucket's budget (ST_RATE_TAKE); 0 to go, ms to wait, -1 with err. */
int64_t pg_rate_take(void *b, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen)
{
	char now[24], res[16];
	snprintf(now, sizeof(now), "%lld", (long long)now_ms);
	snprintf(res, sizeof(res), "%d", reserve);
	const char *vals[] = { bucket, now, res };
	PGresult *r = pg_pool_exec(b, ST_RATE_TAKE, vals, PGRES_TUPLES_OK, 0, err, errlen);
	if (!r)
		return -1;
	int64_t wait = 0;
	if (PQntuples(r) == 1 && pg_val_i64(r, 0, 0) == 0) {
		int64_t reset_ms = pg_val_i64(r, 0, 1);
		wait = reset_ms > now_ms ? reset_ms - now_ms : 1; /* a window ended under us: ask again */
	}
	PQclear(r);
	return wait;
}

/* Folds a response's window into the bucket (ST_RATE_UPDATE; may repeat: the upsert is idempotent). */
int pg_rate_update(void *b, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err, size_t errlen)
{
	char num[5][24];
	int64_t v[5] = { w->reset_s, w->reset_ms, w->remaining, w->limit, now_ms };
	for (int i = 0; i < 5; i++)
		snprintf(num[i], sizeof(num[i]), "%lld", (long long)v[i]);
	const char *vals[] = { bucket, num[0], num[1], num[2], num[3], num[4] };
	PGresult *r = pg_pool_exec(b, ST_RATE_UPDATE, vals, PGRES_COMMAND_OK, 1, err, errlen);
	PQclear(r);
	return r ? 0 : -1;
}

/* The bucket's stored window; 0, 1 when there is none, -1 with err. */
int pg_rate_read(void *b, const char *bucket, struct rate_window *w, char *err, size_t errlen)
{
	const char *vals[] = { bucket };
	PGresult *r = pg_pool_exec(b, ST_RATE_READ, vals, PGRES_TUPLES_OK, 1, err, errlen);
	if (!r)
		return -1;
	int rc = 1;
	if (PQntuples(r) == 1) {
		w->reset_s = pg_val_i64(r, 0, 0);
		w->reset_ms = pg_val_i64(r, 0, 1);
		w->remaining = pg_val_i64(r, 0, 2);
		w->limit = pg_val_i64(r, 0, 3);
		rc = 0;
	}
	PQclear(r);
	return rc;
}
