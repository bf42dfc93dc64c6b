/* pg_internal.h: what the PostgreSQL backend's files share (pool, LISTEN, text, budget, journal); private to store/. */
#ifndef HOOKD_STORE_PG_INTERNAL_H
#define HOOKD_STORE_PG_INTERNAL_H

#include "store/backend.h"

#include <libpq-fe.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>

#define RECONNECT_MIN_MS 100  /* first wait after a failed connect */
#define RECONNECT_MAX_MS 5000 /* the cap of the doubling */
#define NOTIFY_CHANNEL "hookd_jobs"

/* Every statement hookd runs, prepared on each connection as it connects (table in postgres.c). */
enum stmt {
	ST_EVENT,
	ST_JOB_IDS,
	ST_JOB,
	ST_NOTIFY,
	ST_CLAIM,
	ST_HOLD,
	ST_DONE,
	ST_RETRY,
	ST_DEAD,
	ST_DEFER,
	ST_REQUEUE,
	ST_CANCEL,
	ST_LIST_EVENTS,
	ST_LIST_JOBS,
	ST_COUNTS,
	ST_PING,
	ST_RATE_TAKE,
	ST_RATE_UPDATE,
	ST_RATE_READ,
	ST_CURSOR_LEASE,
	ST_CURSOR_ADVANCE,
	ST_CURSOR_READ,
	ST_REQ_RECORD,
	ST_REQ_KNOWN,
	ST_REQ_PRUNE,
	ST_SRC_ACCEPTED,
	ST_SRC_REFUSED,
	ST_SRC_LIST,
	ST_ADD_DUPS,
	ST_PRUNE_JOBS, /* retention: journal_prune's steps, then their dry-run counts */
	ST_PRUNE_SCRUB,
	ST_PRUNE_EVENTS,
	ST_PRUNE_JOBS_N,
	ST_PRUNE_SCRUB_N,
	ST_PRUNE_EVENTS_N,
	ST_FORGET, /* hookd people forget: counts and erasures in one statement */
	NSTMT,
};

/* One row of the statement table: the prepared name, what errors call it, its SQL and parameter count. */
struct pg_stmt {
	const char *name, *what, *sql;
	int nparams;
};

extern const struct pg_stmt pg_stmts[NSTMT];

/* One connection slot: NULL until first used, and again after it broke. */
struct conn {
	PGconn *c;
	int busy;  /* pool slots: lent out */
	int fresh; /* connected during the current use */
};

struct pg {
	char *url; /* NULL: libpq's PG* variables */
	pthread_mutex_t mu;
	pthread_cond_t free_cv; /* a pool slot came back */
	struct conn *pool;
	int npool;
	struct conn writer; /* the group committer's own (write is only called from its thread) */

	/* Reconnect backoff shared by every slot: a dead server sees one attempt per window. */
	int64_t retry_at_ns;
	int64_t delay_ms;
	char last_err[256];

	/* LISTEN: one thread owns the connection; waiters sleep on notify_cv (monotonic clock). */
	pthread_t listener;
	int listener_started;
	int stopping;
	uint64_t notify_seq;
	pthread_cond_t notify_cv;
	int wake_pipe[2];
};

/* ---- pg_pool.c: errors, connections, the pool ---- */

/* Fills err with "postgres: what: message (SQLSTATE)" from r, or from c when r has none. err may be NULL. */
void pg_err(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r);

/* 1 when r failed with a SQLSTATE where running the whole transaction again is right (deadlock, serialization). */
int pg_retryable(const PGresult *r);

/* Runs sql (no parameters) on c; 0 when it returned a command or rows, else -1 with err (err may be NULL). */
int pg_exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen);

/*
 * A new connection with bounded connect, keepalives and the session settings, no statements
 * prepared; NULL with err. The caller owns it and PQfinish()es it. Ignores the shared backoff.
 */
PGconn *pg_connect_raw(struct pg *p, char *err, size_t errlen);

/* Prepares every row of pg_stmts on c; 0, or -1 with err (c is then still the caller's). */
int pg_prepare_all(PGconn *c, char *err, size_t errlen);

/*
 * Makes k usable: keeps its live connection, else reconnects and prepares unless the shared
 * backoff says wait. 0 with k->c set (k->fresh: connected by this call), or -1 with err and k->c NULL.
 */
int pg_conn_ready(struct pg *p, struct conn *k, char *err, size_t errlen);

/* After a failed statement on k: rolls back an open transaction, or drops k->c (NULL) when it is broken. */
void pg_conn_after_error(struct conn *k);

/*
 * Runs statement s with vals (text) in autocommit on a pooled connection; the result when its status
 * is want (the caller PQclear()s it), else NULL with err. may_repeat: retried once on a stale connection.
 */
PGresult *pg_pool_exec(struct pg *p, enum stmt s, const char *const *vals, ExecStatusType want, int may_repeat,
		       char *err, size_t errlen);

/*
 * A transaction that first takes pg_advisory_xact_lock(lock), then runs fn on a pooled connection
 * (statements through pg_conn_exec), then commits: transactions under one key run one at a time
 * across instances, each reading what the one before committed. 0, or -1 with err (rolled back).
 * Run again once when the connection broke and was not new (a lost transaction was rolled back
 * before COMMIT), so fn must start its results afresh. A COMMIT lost with its connection is
 * reported as a failure although the server may have committed (a claim's lease then expires).
 */
typedef int (*pg_serial_fn)(struct conn *k, void *ud, char *err, size_t errlen);
int pg_pool_serial(struct pg *p, long long lock, pg_serial_fn fn, void *ud, char *err, size_t errlen);

/* Statement s on k (in fn of pg_pool_serial): like pg_pool_exec; on failure the transaction is rolled back. */
PGresult *pg_conn_exec(struct conn *k, enum stmt s, const char *const *vals, ExecStatusType want, char *err,
		       size_t errlen);

/* Column col of row as a number; 0 when NULL. */
static inline int64_t pg_val_i64(const PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? 0 : strtoll(PQgetvalue(r, row, col), NULL, 10);
}

/* ---- pg_listen.c: the LISTEN thread ---- */

/* Starts the thread that LISTENs on its own connection; 0, or -1 with err. p->mu etc. must be set up. */
int pg_listen_start(struct pg *p, char *err, size_t errlen);

/* Joins the LISTEN thread if it runs; the caller has set p->stopping (under p->mu) first. */
void pg_listen_stop(struct pg *p);

/* backend.h wait_remote and wake. */
int pg_wait_remote(void *b, int64_t timeout_ms);
void pg_wake(void *b);

/* ---- pg_text.c: text PostgreSQL accepts ---- */

/* Heap blocks made while cleaning one write's text; all freed together by pg_owned_free. */
struct pg_owned {
	void **p;
	size_t n;
};

/*
 * e itself when all its text (and its jobs') is valid UTF-8 without NUL, the usual case. Otherwise a
 * copy with U+FFFD in place of each invalid byte, logged once; the copy and every string it points to
 * that differs from e's are owned by o and valid until pg_owned_free(o). Strings it did not need to
 * change still point into e, so e must outlive the copy. Out of memory: e (PostgreSQL then refuses it).
 */
const struct journal_event *pg_text_fix_event(struct pg_owned *o, const struct journal_event *e);

/* Frees every block o owns and empties it; every pointer pg_text_fix_event returned from o is then invalid. */
void pg_owned_free(struct pg_owned *o);

/* ---- pg_budget.c: the shared rate budget (backend.h rate_take, rate_update, rate_read) ---- */

int64_t pg_rate_take(void *b, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen);
int pg_rate_update(void *b, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err, size_t errlen);
int pg_rate_read(void *b, const char *bucket, struct rate_window *w, char *err, size_t errlen);

/* pg_cursor.c: the System Log reconciler's cursor and lease (journal_cursor_lease/advance/read). */
int pg_cursor_lease(void *b, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms, int64_t *cursor_ms,
		    char *err, size_t errlen);
int pg_cursor_advance(void *b, const char *name, const char *owner, int64_t cursor_ms, int64_t found, int64_t now_ms,
		      char *err, size_t errlen);
int pg_cursor_read(void *b, const char *name, struct journal_cursor *c, char *err, size_t errlen);

#endif
