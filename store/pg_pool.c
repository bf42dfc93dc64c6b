/* pg_pool.c: PostgreSQL connections: libpq errors, connect with backoff, the pool, one-statement execution. */
#include "store/pg_internal.h"

#include "core/clock.h"
#include "core/log.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#define POOL_WAIT_MS 5000 /* longest wait for a free pooled connection */

/* Session settings: every wait is bounded, and a commit is durable when it returns. */
static const char session_sql[] =
	"SET statement_timeout = '15s'; SET lock_timeout = '10s'; SET client_min_messages = warning;"
	" SET idle_in_transaction_session_timeout = '60s';"
	" SELECT set_config('synchronous_commit', 'on', false) WHERE current_setting('synchronous_commit') = 'off'";

/* ---- errors ---- */

/* The first line of a libpq message, without its severity prefix ("FATAL:  "). */
static void first_line(char *out, size_t n, const char *msg)
{
	static const char *const sev[] = { "FATAL:  ", "ERROR:  ", "PANIC:  " };
	for (size_t i = 0; i < sizeof(sev) / sizeof(sev[0]); i++)
		if (strncmp(msg, sev[i], strlen(sev[i])) == 0)
			msg += strlen(sev[i]);
	size_t len = strcspn(msg, "\n");
	snprintf(out, n, "%.*s", (int)len, msg);
}

/* "postgres: what: message (SQLSTATE)" from a result, or from the connection when r has none. */
void pg_err(char *err, size_t errlen, const char *what, PGconn *c, const PGresult *r)
{
	if (!err || !errlen)
		return;
	const char *msg = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!msg || !*msg)
		msg = c ? PQerrorMessage(c) : "no connection";
	if (!msg || !*msg)
		msg = r ? PQresStatus(PQresultStatus(r)) : "unknown error";
	char line[256];
	first_line(line, sizeof(line), msg);
	if (state)
		snprintf(err, errlen, "postgres: %s: %s (%s)", what, line, state);
	else
		snprintf(err, errlen, "postgres: %s: %s", what, line);
}

/* Server notices (client_min_messages = warning: only warnings) go to the log, not to stderr raw. */
static void notice_log(void *arg, const char *msg)
{
	(void)arg;
	char line[256];
	first_line(line, sizeof(line), msg);
	log_warn("postgres notice", "detail", line);
}

/* The SQLSTATE classes where running the whole transaction again is right. */
int pg_retryable(const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	return st && (strcmp(st, "40P01") == 0 || strcmp(st, "40001") == 0);
}

/* ---- connections ---- */

/* Opens a connection with bounded connect, keepalives and our session settings (no statements). */
PGconn *pg_connect_raw(struct pg *p, char *err, size_t errlen)
{
	/* Ours first, the URL last: settings in the URL (connect_timeout=...) win. */
	const char *kw[] = { "connect_timeout",	    "keepalives",	"keepalives_idle",
			     "keepalives_interval", "keepalives_count", "tcp_user_timeout",
			     "application_name",    "dbname",		NULL };
	const char *val[] = { "5", "1", "30", "10", "3", "30000", "hookd", p->url, NULL };
	if (!p->url)
		kw[7] = NULL;
	PGconn *c = PQconnectdbParams(kw, val, 1);
	if (!c) {
		snprintf(err, errlen, "postgres: cannot connect: out of memory");
		return NULL;
	}
	if (PQstatus(c) != CONNECTION_OK) {
		pg_err(err, errlen, "cannot connect", c, NULL);
		PQfinish(c);
		return NULL;
	}
	PQsetNoticeProcessor(c, notice_log, NULL);
	PGresult *r = PQexec(c, session_sql);
	ExecStatusType rs = PQresultStatus(r);
	if (rs != PGRES_TUPLES_OK && rs != PGRES_COMMAND_OK) {
		pg_err(err, errlen, "session settings", c, r);
		PQclear(r);
		PQfinish(c);
		return NULL;
	}
	PQclear(r);
	return c;
}

/* The statement table, prepared on c (every connection gets the same names). */
int pg_prepare_all(PGconn *c, char *err, size_t errlen)
{
	for (int i = 0; i < NSTMT; i++) {
		PGresult *r = PQprepare(c, pg_stmts[i].name, pg_stmts[i].sql, pg_stmts[i].nparams, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			char what[64];
			snprintf(what, sizeof(what), "prepare %s", pg_stmts[i].what);
			pg_err(err, errlen, what, c, r);
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	return 0;
}

/* 1 while an earlier connect failed and its backoff window is open (err says why). */
static int backoff_active(struct pg *p, char *err, size_t errlen)
{
	pthread_mutex_lock(&p->mu);
	int64_t left = (p->retry_at_ns - clock_mono_ns()) / 1000000;
	int on = p->delay_ms > 0 && left > 0;
	if (on)
		snprintf(err, errlen, "%s (next attempt in %lld ms)", p->last_err, (long long)left);
	pthread_mutex_unlock(&p->mu);
	return on;
}

/* Records a connect attempt: success clears the backoff, failure doubles it (capped, with jitter). */
static void backoff_note(struct pg *p, int ok, const char *err)
{
	pthread_mutex_lock(&p->mu);
	if (ok) {
		if (p->delay_ms)
			log_info("postgres reachable again");
		p->delay_ms = 0;
	} else {
		if (!p->delay_ms)
			log_warn("postgres unreachable; retrying with backoff", "detail", err);
		p->delay_ms = p->delay_ms ? p->delay_ms * 2 : RECONNECT_MIN_MS;
		if (p->delay_ms > RECONNECT_MAX_MS)
			p->delay_ms = RECONNECT_MAX_MS;
		int64_t jitter = p->delay_ms / 4 ? random() % (p->delay_ms / 4) : 0;
		p->retry_at_ns = clock_mono_ns() + (p->delay_ms - jitter) * 1000000;
		snprintf(p->last_err, sizeof(p->last_err), "%s", err);
	}
	pthread_mutex_unlock(&p->mu);
}

/*
 * 1 when an idle connection can be used: it is OK, outside a transaction, and the server has not
 * closed it (a restarted server's goodbye is waiting on the socket; reading it marks the connection bad).
 */
static int conn_alive(PGconn *c)
{
	if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) != PQTRANS_IDLE)
		return 0;
	struct pollfd pfd = { .fd = PQsocket(c), .events = POLLIN };
	if (pfd.fd < 0)
		return 0;
	/* A goodbye comes as a FATAL message, then EOF: read until the socket is quiet (or closed). */
	for (int i = 0; i < 4 && poll(&pfd, 1, 0) > 0; i++) {
		if (!PQconsumeInput(c))
			return 0;
		PGnotify *n;
		while ((n = PQnotifies(c)) != NULL)
			PQfreemem(n);
	}
	return PQstatus(c) == CONNECTION_OK;
}

static void conn_drop(struct conn *k)
{
	PQfinish(k->c);
	k->c = NULL;
}

/* Makes k usable: keeps a live connection, else (re)connects unless the backoff says wait. */
int pg_conn_ready(struct pg *p, struct conn *k, char *err, size_t errlen)
{
	k->fresh = 0;
	if (k->c && conn_alive(k->c))
		return 0;
	if (k->c)
		conn_drop(k);
	if (backoff_active(p, err, errlen))
		return -1;
	k->c = pg_connect_raw(p, err, errlen);
	if (k->c && pg_prepare_all(k->c, err, errlen) < 0)
		conn_drop(k);
	backoff_note(p, k->c != NULL, err);
	k->fresh = 1;
	return k->c ? 0 : -1;
}

/* After a failed statement: a broken connection is dropped so its next use reconnects. */
void pg_conn_after_error(struct conn *k)
{
	if (!k->c)
		return;
	if (PQstatus(k->c) != CONNECTION_OK || PQpipelineStatus(k->c) != PQ_PIPELINE_OFF) {
		conn_drop(k);
		return;
	}
	if (PQtransactionStatus(k->c) != PQTRANS_IDLE) {
		PGresult *r = PQexec(k->c, "ROLLBACK");
		int ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok || PQtransactionStatus(k->c) != PQTRANS_IDLE)
			conn_drop(k);
	}
}

/* ---- the pool ---- */

/* Lends a pool slot with a usable connection, waiting up to POOL_WAIT_MS for one to come back. */
static struct conn *pool_get(struct pg *p, char *err, size_t errlen)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += POOL_WAIT_MS / 1000;
	struct conn *k = NULL;
	pthread_mutex_lock(&p->mu);
	for (;;) {
		for (int i = 0; i < p->npool; i++) {
			struct conn *s = &p->pool[i];
			if (!s->busy && (!k || (!k->c && s->c)))
				k = s;
		}
		if (k || p->stopping)
			break;
		if (pthread_cond_timedwait(&p->free_cv, &p->mu, &ts) != 0)
			break;
	}
	if (k)
		k->busy = 1;
	pthread_mutex_unlock(&p->mu);
	if (!k) {
		snprintf(err, errlen, "postgres: no free connection in the pool after %d ms", POOL_WAIT_MS);
		return NULL;
	}
	if (pg_conn_ready(p, k, err, errlen) == 0)
		return k;
	pthread_mutex_lock(&p->mu);
	k->busy = 0;
	pthread_cond_signal(&p->free_cv);
	pthread_mutex_unlock(&p->mu);
	return NULL;
}

static void pool_put(struct pg *p, struct conn *k)
{
	pthread_mutex_lock(&p->mu);
	k->busy = 0;
	pthread_cond_signal(&p->free_cv);
	pthread_mutex_unlock(&p->mu);
}

/* Runs one prepared statement on k; the result when its status is want, else NULL with err. */
static PGresult *run(struct conn *k, enum stmt s, const char *const *vals, const int *lens, const int *fmts,
		     ExecStatusType want, char *err, size_t errlen)
{
	PGresult *r = PQexecPrepared(k->c, pg_stmts[s].name, pg_stmts[s].nparams, vals, lens, fmts, 0);
	if (PQresultStatus(r) == want)
		return r;
	pg_err(err, errlen, pg_stmts[s].what, k->c, r);
	PQclear(r);
	pg_conn_after_error(k);
	return NULL;
}

PGresult *pg_conn_exec(struct conn *k, enum stmt s, const char *const *vals, ExecStatusType want, char *err,
		       size_t errlen)
{
	return run(k, s, vals, NULL, NULL, want, err, errlen);
}

/* BEGIN and the transaction's advisory lock on k, fn, COMMIT: 0, or -1 with err (rolled back). */
static int run_serial(struct conn *k, long long lock, pg_serial_fn fn, void *ud, char *err, size_t errlen)
{
	char begin[96];
	snprintf(begin, sizeof(begin), "BEGIN; SELECT pg_advisory_xact_lock(%lld)", lock);
	if (pg_exec_ok(k->c, begin, "take the claim lock", err, errlen) < 0) {
		pg_conn_after_error(k);
		return -1;
	}
	if (fn(k, ud, err, errlen) < 0) {
		if (k->c && PQtransactionStatus(k->c) != PQTRANS_IDLE)
			pg_conn_after_error(k);
		return -1;
	}
	if (pg_exec_ok(k->c, "COMMIT", "commit under the claim lock", err, errlen) < 0) {
		pg_conn_after_error(k);
		return -1;
	}
	return 0;
}

/*
 * Statement s on a pooled connection in autocommit. Retried once when the connection broke under it
 * and was not new, if may_repeat.
 */
static PGresult *pool_exec(struct pg *p, enum stmt s, const char *const *vals, ExecStatusType want, int may_repeat,
			   char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct conn *k = pool_get(p, err, errlen);
		if (!k)
			return NULL;
		int fresh = k->fresh;
		PGresult *r = run(k, s, vals, NULL, NULL, want, err, errlen);
		int lost = !k->c;
		pool_put(p, k);
		if (r || !lost || fresh || !may_repeat)
			return r;
	}
	return NULL;
}

/*
 * One statement in autocommit on a pooled connection. A statement that only reads (or that may
 * run twice, as ping) is retried once when the connection broke under it and was not new.
 */
PGresult *pg_pool_exec(struct pg *p, enum stmt s, const char *const *vals, ExecStatusType want, int may_repeat,
		       char *err, size_t errlen)
{
	return pool_exec(p, s, vals, want, may_repeat, err, errlen);
}

int pg_pool_serial(struct pg *p, long long lock, pg_serial_fn fn, void *ud, char *err, size_t errlen)
{
	for (int attempt = 0; attempt < 2; attempt++) {
		struct conn *k = pool_get(p, err, errlen);
		if (!k)
			return -1;
		int fresh = k->fresh;
		int rc = run_serial(k, lock, fn, ud, err, errlen);
		int lost = !k->c;
		pool_put(p, k);
		if (rc == 0 || !lost || fresh)
			return rc;
	}
	return -1;
}

/* One statement without parameters on c (BEGIN, COMMIT, LISTEN, migrations); the result is not kept. */
int pg_exec_ok(PGconn *c, const char *sql, const char *what, char *err, size_t errlen)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType st = PQresultStatus(r);
	int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
	if (!ok)
		pg_err(err, errlen, what, c, r);
	PQclear(r);
	return ok ? 0 : -1;
}
