/* sqlite.c: the embedded journal backend: one SQLite file in WAL mode with synchronous=FULL. */
#include "store/backend.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct sq {
	sqlite3 *db;
	pthread_mutex_t mu; /* one connection, one writer at a time */
};

/* Migrations, numbered from 1; each runs once, in order, in its own transaction. */
static const char *const migrations[] = {
	/* 1: events and jobs */
	"CREATE TABLE events ("
	" id INTEGER PRIMARY KEY,"
	" source TEXT NOT NULL,"
	" dedupe_key TEXT NOT NULL,"
	" delivery_id TEXT,"
	" type TEXT NOT NULL,"
	" occurred_at TEXT,"
	" received_ms INTEGER NOT NULL,"
	" subject_id TEXT, subject_login TEXT, subject_name TEXT, actor_id TEXT,"
	" status TEXT NOT NULL DEFAULT 'accepted' CHECK (status IN ('accepted','rejected')),"
	" reason TEXT,"
	" subject_json TEXT,"
	" raw TEXT NOT NULL,"
	" duplicates INTEGER NOT NULL DEFAULT 0,"
	" UNIQUE (source, dedupe_key));"
	"CREATE TABLE jobs ("
	" id INTEGER PRIMARY KEY,"
	" event_id INTEGER REFERENCES events(id),"
	" action TEXT NOT NULL,"
	" rule TEXT,"
	" subject TEXT,"
	" params TEXT,"
	" job_key TEXT,"
	" state TEXT NOT NULL DEFAULT 'pending' CHECK (state IN ('pending','running','done','dead')),"
	" attempts INTEGER NOT NULL DEFAULT 0,"
	" max_attempts INTEGER NOT NULL DEFAULT 0,"
	" run_at_ms INTEGER NOT NULL,"
	" lease_owner TEXT,"
	" lease_expires_ms INTEGER,"
	" last_error TEXT,"
	" result TEXT,"
	" created_ms INTEGER NOT NULL,"
	" updated_ms INTEGER NOT NULL);"
	"CREATE INDEX jobs_due ON jobs (state, run_at_ms);"
	"CREATE INDEX jobs_event ON jobs (event_id);"
	"CREATE UNIQUE INDEX jobs_pending_key ON jobs (job_key) WHERE job_key IS NOT NULL AND state = 'pending';"
	"CREATE TABLE heartbeat (id INTEGER PRIMARY KEY CHECK (id = 1), at_ms INTEGER NOT NULL);",
	/* 2: the shared Okta rate budget (journal_rate_take) */
	"CREATE TABLE rate_budget ("
	" bucket TEXT PRIMARY KEY,"
	" window_reset INTEGER NOT NULL,"
	" reset_ms INTEGER NOT NULL,"
	" remaining INTEGER NOT NULL,"
	" limit_ INTEGER NOT NULL,"
	" updated_ms INTEGER NOT NULL);",
	/* 3: requests let through while no current window was known (counted as spent in the next one) */
	"ALTER TABLE rate_budget ADD COLUMN blind INTEGER NOT NULL DEFAULT 0;",
	/* 4: the System Log reconciler's cursor and lease (journal_cursor_lease) */
	"CREATE TABLE reconcile_state ("
	" name TEXT PRIMARY KEY,"
	" cursor_ms INTEGER,"
	" updated_ms INTEGER NOT NULL,"
	" lease_owner TEXT,"
	" lease_expires_ms INTEGER NOT NULL DEFAULT 0);",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

static void db_err(struct sq *s, char *err, size_t errlen, const char *what)
{
	if (err && errlen)
		snprintf(err, errlen, "sqlite: %s: %s", what, sqlite3_errmsg(s->db));
}

/* A prepared statement, or NULL with err naming what failed. */
static sqlite3_stmt *prepare(struct sq *s, const char *sql, char *err, size_t errlen, const char *what)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(s->db, sql, -1, &st, NULL) != SQLITE_OK) {
		db_err(s, err, errlen, what);
		return NULL;
	}
	return st;
}

static int exec(struct sq *s, const char *sql, char *err, size_t errlen)
{
	char *msg = NULL;
	if (sqlite3_exec(s->db, sql, NULL, NULL, &msg) == SQLITE_OK)
		return 0;
	if (err && errlen)
		snprintf(err, errlen, "sqlite: %s", msg ? msg : sqlite3_errmsg(s->db));
	sqlite3_free(msg);
	return -1;
}

static int user_version(struct sq *s)
{
	sqlite3_stmt *st;
	int v = -1;
	if (sqlite3_prepare_v2(s->db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	return v;
}

static int migrate(struct sq *s, char *err, size_t errlen)
{
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	int v = user_version(s);
	if (v < 0 || v > NMIGRATIONS) {
		exec(s, "ROLLBACK", NULL, 0);
		snprintf(err, errlen, "sqlite: schema version %d is newer than this hookd knows (%d)", v, NMIGRATIONS);
		return -1;
	}
	for (; v < NMIGRATIONS; v++) {
		char pragma[64];
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		if (exec(s, migrations[v], err, errlen) < 0 || exec(s, pragma, err, errlen) < 0) {
			exec(s, "ROLLBACK", NULL, 0);
			return -1;
		}
	}
	return exec(s, "COMMIT", err, errlen);
}

static void sq_close(void *b)
{
	struct sq *s = b;
	if (!s)
		return;
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

static void *sq_open(const struct journal_opts *o, char *err, size_t errlen)
{
	struct sq *s = calloc(1, sizeof(*s));
	if (!s) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&s->mu, NULL);
	int flags = SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX;
	if (sqlite3_open_v2(o->path, &s->db, flags, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: cannot open %s: %s", o->path, s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	/* WAL + FULL: a commit returns only after the WAL is fsynced. */
	if (exec(s, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
	    exec(s, "PRAGMA synchronous=FULL", err, errlen) < 0 || exec(s, "PRAGMA foreign_keys=ON", err, errlen) < 0 ||
	    migrate(s, err, errlen) < 0)
		goto fail;
	return s;
fail:
	sq_close(s);
	return NULL;
}

static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

struct wstmts {
	sqlite3_stmt *ev, *move, *job;
};

static void wstmts_free(struct wstmts *w)
{
	sqlite3_finalize(w->ev);
	sqlite3_finalize(w->move);
	sqlite3_finalize(w->job);
}

static int prepare_write(struct sq *s, struct wstmts *w)
{
	memset(w, 0, sizeof(*w));
	static const char ev_sql[] =
		"INSERT INTO events (source, dedupe_key, delivery_id, type, occurred_at, received_ms, subject_id,"
		" subject_login, subject_name, actor_id, status, reason, subject_json, raw)"
		" VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,coalesce(?11,'accepted'),?12,?13,?14)"
		" ON CONFLICT (source, dedupe_key) DO UPDATE SET duplicates = duplicates + 1"
		" RETURNING id, duplicates";
	static const char move_sql[] = "UPDATE jobs SET run_at_ms = ?1, params = ?2, event_id = ?3, updated_ms = ?4"
				       " WHERE job_key = ?5 AND state = 'pending'";
	static const char job_sql[] =
		"INSERT INTO jobs (event_id, action, rule, subject, params, job_key, max_attempts, run_at_ms,"
		" created_ms, updated_ms) VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9)";
	if (sqlite3_prepare_v2(s->db, ev_sql, -1, &w->ev, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, move_sql, -1, &w->move, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(s->db, job_sql, -1, &w->job, NULL) != SQLITE_OK) {
		wstmts_free(w);
		return -1;
	}
	return 0;
}

static int write_job(struct sq *s, struct wstmts *w, int64_t event_id, const struct job_spec *js, int64_t now_ms)
{
	int64_t run_at = js->run_at_ms ? js->run_at_ms : now_ms;
	if (js->job_key) {
		sqlite3_reset(w->move);
		sqlite3_bind_int64(w->move, 1, run_at);
		bind_text(w->move, 2, js->params);
		sqlite3_bind_int64(w->move, 3, event_id);
		sqlite3_bind_int64(w->move, 4, now_ms);
		bind_text(w->move, 5, js->job_key);
		if (sqlite3_step(w->move) != SQLITE_DONE)
			return -1;
		if (sqlite3_changes(s->db) > 0)
			return 0;
	}
	sqlite3_reset(w->job);
	sqlite3_bind_int64(w->job, 1, event_id);
	bind_text(w->job, 2, js->action);
	bind_text(w->job, 3, js->rule);
	bind_text(w->job, 4, js->subject);
	bind_text(w->job, 5, js->params);
	bind_text(w->job, 6, js->job_key);
	sqlite3_bind_int(w->job, 7, js->max_attempts);
	sqlite3_bind_int64(w->job, 8, run_at);
	sqlite3_bind_int64(w->job, 9, now_ms);
	return sqlite3_step(w->job) == SQLITE_DONE ? 0 : -1;
}

static int write_event(struct sq *s, struct wstmts *w, const struct journal_event *e, int64_t now_ms,
		       enum journal_outcome *out, int *jobs_added)
{
	sqlite3_stmt *st = w->ev;
	sqlite3_reset(st);
	const char *txt[] = { e->source, e->dedupe_key, e->delivery_id, e->type, e->occurred_at };
	for (int i = 0; i < 5; i++)
		bind_text(st, i + 1, txt[i]);
	sqlite3_bind_int64(st, 6, now_ms);
	const char *txt2[] = { e->subject_id, e->subject_login, e->subject_name, e->actor_id, e->status, e->reason,
			       e->subject_json };
	for (int i = 0; i < 7; i++)
		bind_text(st, i + 7, txt2[i]);
	sqlite3_bind_text(st, 14, e->raw.p ? e->raw.p : "", (int)e->raw.n, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW)
		return -1;
	int64_t id = sqlite3_column_int64(st, 0);
	int dup = sqlite3_column_int(st, 1) > 0;
	if (sqlite3_step(st) != SQLITE_DONE)
		return -1;
	*out = dup ? JOURNAL_DUPLICATE : JOURNAL_STORED;
	if (dup)
		return 0;
	for (size_t k = 0; k < e->njobs; k++) {
		if (write_job(s, w, id, &e->jobs[k], now_ms) < 0)
			return -1;
		(*jobs_added)++;
	}
	return 0;
}

static int sq_write(void *b, const struct journal_event *const *ev, size_t n, int64_t now_ms,
		    enum journal_outcome *out, int *jobs_added, char *err, size_t errlen)
{
	struct sq *s = b;
	struct wstmts w;
	int rc = -1;
	*jobs_added = 0;
	pthread_mutex_lock(&s->mu);
	if (prepare_write(s, &w) < 0) {
		db_err(s, err, errlen, "prepare");
		goto out;
	}
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		goto out_stmts;
	for (size_t i = 0; i < n; i++) {
		if (write_event(s, &w, ev[i], now_ms, &out[i], jobs_added) < 0) {
			db_err(s, err, errlen, "insert");
			wstmts_free(&w);
			exec(s, "ROLLBACK", NULL, 0);
			*jobs_added = 0;
			goto out;
		}
	}
	wstmts_free(&w);
	if (exec(s, "COMMIT", err, errlen) < 0) {
		exec(s, "ROLLBACK", NULL, 0);
		*jobs_added = 0;
		goto out;
	}
	rc = 0;
	goto out;
out_stmts:
	wstmts_free(&w);
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

#define JOB_COLUMNS                                                                                   \
	"id, event_id, action, rule, subject, params, state, lease_owner, last_error, result, job_key," \
	" attempts, max_attempts, run_at_ms, created_ms, updated_ms, coalesce(lease_expires_ms, 0)"

static char *col_dup(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? strdup((const char *)t) : NULL;
}

static void read_job(sqlite3_stmt *st, struct job *j)
{
	memset(j, 0, sizeof(*j));
	j->id = sqlite3_column_int64(st, 0);
	j->event_id = sqlite3_column_int64(st, 1);
	char **s[] = { &j->action, &j->rule, &j->subject, &j->params, &j->state, &j->lease_owner, &j->last_error,
		       &j->result, &j->job_key };
	for (int i = 0; i < 9; i++)
		*s[i] = col_dup(st, i + 2);
	j->attempts = sqlite3_column_int(st, 11);
	j->max_attempts = sqlite3_column_int(st, 12);
	j->run_at_ms = sqlite3_column_int64(st, 13);
	j->created_ms = sqlite3_column_int64(st, 14);
	j->updated_ms = sqlite3_column_int64(st, 15);
	j->lease_expires_ms = sqlite3_column_int64(st, 16);
}

/* Steps st to the end, appending one job per row; on failure frees what it gathered and leaves none. */
static int collect_jobs(struct sq *s, sqlite3_stmt *st, struct job **jobs, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct job *nj = realloc(*jobs, cap * sizeof(*nj));
			if (!nj) {
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			*jobs = nj;
		}
		read_job(st, &(*jobs)[(*n)++]);
	}
	if (rc != SQLITE_DONE) {
		db_err(s, err, errlen, "read jobs");
		goto fail;
	}
	return 0;
fail:
	journal_jobs_free(*jobs, *n);
	*jobs = NULL;
	*n = 0;
	return -1;
}

static int sq_claim(void *b, const char *owner, int64_t now_ms, int64_t lease_ms, int max, struct job **jobs,
		    size_t *n, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] =
		"UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_ms = ?2 + ?3,"
		" attempts = attempts + 1, updated_ms = ?2 WHERE id IN ("
		/* Two index walks (jobs_due gives due jobs in run_at order), not a sort of the whole table. */
		" SELECT id FROM (SELECT id FROM jobs WHERE state = 'pending' AND run_at_ms <= ?2"
		" ORDER BY run_at_ms LIMIT ?4)"
		" UNION ALL SELECT id FROM (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_ms < ?2 LIMIT ?4)"
		" LIMIT ?4) RETURNING " JOB_COLUMNS;
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare claim")))
		goto out;
	sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int64(st, 3, lease_ms);
	sqlite3_bind_int(st, 4, max);
	rc = collect_jobs(s, st, jobs, n, err, errlen);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_finish(void *b, int64_t id, const char *owner, enum job_outcome oc, int64_t now_ms,
		     int64_t next_run_ms, const char *text, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char *const sql[] = {
		[JOB_DONE] = "UPDATE jobs SET state = 'done', result = ?3, lease_owner = NULL, lease_expires_ms = NULL,"
			     " updated_ms = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
		[JOB_RETRY] = "UPDATE jobs SET state = 'pending', last_error = ?3, run_at_ms = ?5, lease_owner = NULL,"
			      " lease_expires_ms = NULL, updated_ms = ?4"
			      " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
		[JOB_DEAD] = "UPDATE jobs SET state = 'dead', last_error = ?3, lease_owner = NULL, lease_expires_ms = NULL,"
			     " updated_ms = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
		[JOB_DEFER] = "UPDATE jobs SET state = 'pending', last_error = ?3, run_at_ms = ?5, lease_owner = NULL,"
			      " lease_expires_ms = NULL, updated_ms = ?4, attempts = max(attempts - 1, 0)"
			      " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'",
	};
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (sqlite3_prepare_v2(s->db, sql[oc], -1, &st, NULL) != SQLITE_OK) {
		db_err(s, err, errlen, "prepare finish");
		goto out;
	}
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	bind_text(st, 3, text);
	sqlite3_bind_int64(st, 4, now_ms);
	if (oc == JOB_RETRY || oc == JOB_DEFER)
		sqlite3_bind_int64(st, 5, next_run_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, err, errlen, "finish job");
		goto out;
	}
	rc = sqlite3_changes(s->db) > 0 ? 0 : 1;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_requeue(void *b, int64_t id, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] = "UPDATE jobs SET state = 'pending', attempts = 0, run_at_ms = ?2, updated_ms = ?2,"
				  " lease_owner = NULL, lease_expires_ms = NULL WHERE id = ?1 AND state IN ('dead','done')";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare requeue")))
		goto out;
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE) {
		db_err(s, err, errlen, "requeue");
		goto out;
	}
	rc = sqlite3_changes(s->db) > 0 ? 0 : 1;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_list_events(void *b, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			  size_t errlen)
{
	struct sq *s = b;
	static const char sql[] =
		"SELECT id, received_ms, duplicates, source, dedupe_key, delivery_id, type, occurred_at, subject_id,"
		" subject_login, subject_name, actor_id, status, reason, subject_json, raw FROM events"
		" WHERE (?1 IS NULL OR source = ?1) AND (?2 = 0 OR id < ?2) AND (?3 = 0 OR id = ?3)"
		" ORDER BY id DESC LIMIT ?4";
	sqlite3_stmt *st = NULL;
	int rc = -1, step;
	size_t cap = 0;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare list")))
		goto out;
	bind_text(st, 1, q->source);
	sqlite3_bind_int64(st, 2, q->before_id);
	sqlite3_bind_int64(st, 3, q->id);
	sqlite3_bind_int(st, 4, q->limit > 0 ? q->limit : 50);
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			struct event_row *nr = realloc(*rows, cap * sizeof(*nr));
			if (!nr)
				goto out;
			*rows = nr;
		}
		struct event_row *r = &(*rows)[(*n)++];
		memset(r, 0, sizeof(*r));
		r->id = sqlite3_column_int64(st, 0);
		r->received_ms = sqlite3_column_int64(st, 1);
		r->duplicates = sqlite3_column_int(st, 2);
		char **f[] = { &r->source, &r->dedupe_key, &r->delivery_id, &r->type, &r->occurred_at, &r->subject_id,
			       &r->subject_login, &r->subject_name, &r->actor_id, &r->status, &r->reason,
			       &r->subject_json, &r->raw };
		for (int i = 0; i < 13; i++)
			*f[i] = col_dup(st, i + 3);
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, errlen, "list events");
		goto out;
	}
	rc = 0;
out:
	if (rc < 0) {
		journal_events_free(*rows, *n);
		*rows = NULL;
		*n = 0;
	}
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_list_jobs(void *b, const struct journal_query *q, struct job **rows, size_t *n, char *err,
			size_t errlen)
{
	struct sq *s = b;
	static const char sql[] = "SELECT " JOB_COLUMNS " FROM jobs WHERE (?1 IS NULL OR state = ?1)"
				  " AND (?2 = 0 OR id < ?2) AND (?3 = 0 OR id = ?3) AND (?5 IS NULL OR job_key = ?5)"
				  " ORDER BY id DESC LIMIT ?4";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare list")))
		goto out;
	bind_text(st, 1, q->state);
	bind_text(st, 5, q->job_key);
	sqlite3_bind_int64(st, 2, q->before_id);
	sqlite3_bind_int64(st, 3, q->id);
	sqlite3_bind_int(st, 4, q->limit > 0 ? q->limit : 50);
	rc = collect_jobs(s, st, rows, n, err, errlen);
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_job_counts(void *b, int64_t counts[4], char *err, size_t errlen)
{
	struct sq *s = b;
	sqlite3_stmt *st = NULL;
	int rc = -1, step;
	pthread_mutex_lock(&s->mu);
	if (sqlite3_prepare_v2(s->db, "SELECT state, count(*) FROM jobs GROUP BY state", -1, &st, NULL) != SQLITE_OK) {
		db_err(s, err, errlen, "prepare counts");
		goto out;
	}
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < 4; i++)
			if (state && strcmp(state, journal_job_states[i]) == 0)
				counts[i] = sqlite3_column_int64(st, 1);
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, errlen, "counts");
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_ping(void *b, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	char sql[128];
	snprintf(sql, sizeof(sql), "INSERT OR REPLACE INTO heartbeat (id, at_ms) VALUES (1, %lld)", (long long)now_ms);
	pthread_mutex_lock(&s->mu);
	int rc = exec(s, sql, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Runs one prepared statement with bucket as ?1 to the end; 0 or -1. */
static int rate_step(struct sq *s, sqlite3_stmt *st, char *err, size_t errlen, const char *what)
{
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		;
	if (rc == SQLITE_DONE)
		return 0;
	db_err(s, err, errlen, what);
	return -1;
}

static int64_t sq_rate_take(void *b, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char take_sql[] =
		"UPDATE rate_budget SET remaining = remaining - 1, updated_ms = ?2 WHERE bucket = ?1 AND reset_ms > ?2"
		" AND remaining > 0 AND remaining > min(?3, CASE WHEN limit_ > 0 THEN limit_ - 1 ELSE ?3 END)";
	static const char wait_sql[] = "SELECT reset_ms FROM rate_budget WHERE bucket = ?1";
	static const char blind_sql[] =
		"INSERT INTO rate_budget (bucket, window_reset, reset_ms, remaining, limit_, updated_ms, blind)"
		" VALUES (?1, 0, 0, 0, 0, ?2, 1) ON CONFLICT (bucket) DO UPDATE SET blind = blind + 1,"
		" updated_ms = excluded.updated_ms";
	sqlite3_stmt *st = NULL;
	int64_t rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, take_sql, err, errlen, "prepare rate take")))
		goto out;
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int(st, 3, reserve);
	if (rate_step(s, st, err, errlen, "rate take") < 0)
		goto out;
	if (sqlite3_changes(s->db) > 0) {
		rc = 0;
		goto out;
	}
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, wait_sql, -1, &st, NULL) != SQLITE_OK) {
		st = NULL;
		db_err(s, err, errlen, "prepare rate read");
		goto out;
	}
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW && sqlite3_column_int64(st, 0) > now_ms) {
		rc = sqlite3_column_int64(st, 0) - now_ms;
		goto out;
	}
	if (step != SQLITE_ROW && step != SQLITE_DONE) {
		db_err(s, err, errlen, "rate read");
		goto out;
	}
	/* No current window: go, and count the request as blind. */
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(s->db, blind_sql, -1, &st, NULL) != SQLITE_OK) {
		st = NULL;
		db_err(s, err, errlen, "prepare rate blind");
		goto out;
	}
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	rc = rate_step(s, st, err, errlen, "rate blind") < 0 ? -1 : 0;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_rate_update(void *b, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err,
			  size_t errlen)
{
	struct sq *s = b;
	static const char sql[] =
		"INSERT INTO rate_budget (bucket, window_reset, reset_ms, remaining, limit_, updated_ms)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (bucket) DO UPDATE SET"
		" remaining = CASE WHEN excluded.window_reset > window_reset"
		" THEN max(excluded.remaining - max(blind - 1, 0), 0) ELSE min(remaining, excluded.remaining) END,"
		" blind = CASE WHEN excluded.window_reset > window_reset THEN 0 ELSE blind END,"
		" reset_ms = CASE WHEN excluded.window_reset > window_reset THEN excluded.reset_ms"
		" ELSE max(reset_ms, excluded.reset_ms) END,"
		" window_reset = excluded.window_reset, limit_ = excluded.limit_, updated_ms = excluded.updated_ms"
		" WHERE excluded.window_reset >= window_reset";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare rate update")))
		goto out;
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, w->reset_s);
	sqlite3_bind_int64(st, 3, w->reset_ms);
	sqlite3_bind_int64(st, 4, w->remaining);
	sqlite3_bind_int64(st, 5, w->limit);
	sqlite3_bind_int64(st, 6, now_ms);
	rc = rate_step(s, st, err, errlen, "rate update");
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_rate_read(void *b, const char *bucket, struct rate_window *w, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] = "SELECT window_reset, reset_ms, remaining, limit_ FROM rate_budget WHERE bucket = ?1";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare rate read")))
		goto out;
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		w->reset_s = sqlite3_column_int64(st, 0);
		w->reset_ms = sqlite3_column_int64(st, 1);
		w->remaining = sqlite3_column_int64(st, 2);
		w->limit = sqlite3_column_int64(st, 3);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = 1;
	} else {
		db_err(s, err, errlen, "rate read");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the reconciler's cursor and lease ---- */

static int sq_cursor_lease(void *b, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
			   int64_t *cursor_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] =
		"INSERT INTO reconcile_state (name, cursor_ms, updated_ms, lease_owner, lease_expires_ms)"
		" VALUES (?1, NULL, ?3, ?2, ?3 + ?4) ON CONFLICT (name) DO UPDATE SET"
		" lease_owner = excluded.lease_owner, lease_expires_ms = excluded.lease_expires_ms"
		" WHERE reconcile_state.lease_owner IS NULL OR reconcile_state.lease_owner = excluded.lease_owner"
		" OR reconcile_state.lease_expires_ms <= ?3"
		" RETURNING cursor_ms";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare cursor lease")))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, ttl_ms);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		*cursor_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		rc = 1;
		step = sqlite3_step(st);
	} else if (step == SQLITE_DONE) {
		rc = 0;
	}
	if (step != SQLITE_DONE) {
		db_err(s, err, errlen, "cursor lease");
		rc = -1;
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_cursor_advance(void *b, const char *name, const char *owner, int64_t cursor_ms, int64_t now_ms,
			     char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] = "UPDATE reconcile_state SET cursor_ms = ?3, updated_ms = ?4"
				  " WHERE name = ?1 AND lease_owner = ?2";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare cursor advance")))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cursor_ms);
	sqlite3_bind_int64(st, 4, now_ms);
	if (sqlite3_step(st) != SQLITE_DONE)
		db_err(s, err, errlen, "cursor advance");
	else
		rc = sqlite3_changes(s->db) == 1 ? 0 : 1;
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_cursor_read(void *b, const char *name, struct journal_cursor *c, char *err, size_t errlen)
{
	struct sq *s = b;
	static const char sql[] = "SELECT cursor_ms, updated_ms, lease_owner, lease_expires_ms FROM reconcile_state"
				  " WHERE name = ?1";
	sqlite3_stmt *st = NULL;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (!(st = prepare(s, sql, err, errlen, "prepare cursor read")))
		goto out;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		c->cursor_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		c->updated_ms = sqlite3_column_int64(st, 1);
		const unsigned char *o = sqlite3_column_text(st, 2);
		snprintf(c->owner, sizeof(c->owner), "%s", o ? (const char *)o : "");
		c->lease_expires_ms = sqlite3_column_int64(st, 3);
		rc = 0;
	} else if (step == SQLITE_DONE) {
		rc = 1;
	} else {
		db_err(s, err, errlen, "cursor read");
	}
out:
	sqlite3_finalize(st);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

const struct journal_backend journal_backend_sqlite = {
	.name = "sqlite",
	.open = sq_open,
	.close = sq_close,
	.write = sq_write,
	.claim = sq_claim,
	.finish = sq_finish,
	.requeue = sq_requeue,
	.list_events = sq_list_events,
	.list_jobs = sq_list_jobs,
	.job_counts = sq_job_counts,
	.ping = sq_ping,
	.wait_remote = NULL,
	.rate_take = sq_rate_take,
	.rate_update = sq_rate_update,
	.rate_read = sq_rate_read,
	.cursor_lease = sq_cursor_lease,
	.cursor_advance = sq_cursor_advance,
	.cursor_read = sq_cursor_read,
};
