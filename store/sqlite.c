/* sqlite.c: the embedded journal backend: one SQLite file in WAL mode with synchronous=FULL. */
#include "store/backend.h"

#include "core/log.h"
#include "core/metrics.h"

#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>

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
	/* 4: hookd's own Okta requests (echoes), each source's last delivery and refusal */
	"CREATE TABLE okta_requests (request_id TEXT PRIMARY KEY, recorded_ms INTEGER NOT NULL) WITHOUT ROWID;"
	"CREATE INDEX okta_requests_age ON okta_requests (recorded_ms);"
	"CREATE TABLE source_status (source TEXT PRIMARY KEY, accepted_ms INTEGER NOT NULL DEFAULT 0,"
	" refused_ms INTEGER NOT NULL DEFAULT 0, refusal TEXT);",
	/* 5: the System Log reconciler's cursor and lease (journal_cursor_lease) */
	"CREATE TABLE reconcile_state ("
	" name TEXT PRIMARY KEY,"
	" cursor_ms INTEGER,"
	" updated_ms INTEGER NOT NULL,"
	" lease_owner TEXT,"
	" lease_expires_ms INTEGER NOT NULL DEFAULT 0,"
	" found INTEGER NOT NULL DEFAULT 0);",
	/* 6: indexes for the admin API's filtered listings (time ranges, one source, one job state) */
	"CREATE INDEX events_received ON events (received_ms);"
	"CREATE INDEX events_source ON events (source, id);"
	"CREATE INDEX jobs_state ON jobs (state, id);",
	/* 7: a subject's open jobs, which decide whether its next job may be claimed (ids come as rowids) */
	"CREATE INDEX jobs_subject_open ON jobs (subject) WHERE state IN ('pending','running');",
	/*
	 * 8: held jobs out of the claim's way ("Held jobs" below). held_by is the job a pending job was
	 * found waiting behind; any change to that job's state, time, attempts or error (or its
	 * deletion) clears it, so a job is hidden only while what held it still does.
	 */
	"ALTER TABLE jobs ADD COLUMN held_by INTEGER;"
	"CREATE INDEX jobs_held ON jobs (held_by) WHERE held_by IS NOT NULL;"
	"CREATE INDEX jobs_claimable ON jobs (run_at_ms) WHERE state = 'pending' AND held_by IS NULL;"
	"CREATE TRIGGER jobs_unhold AFTER UPDATE OF state, run_at_ms, attempts, last_error ON jobs"
	" BEGIN UPDATE jobs SET held_by = NULL WHERE held_by = OLD.id; END;"
	"CREATE TRIGGER jobs_unhold_gone AFTER DELETE ON jobs"
	" BEGIN UPDATE jobs SET held_by = NULL WHERE held_by = OLD.id; END;",
	/*
	 * 9: the person a job is for, which orders it (JOB_PERSON in store/backend.h), in place of the
	 * subject; a job whose person changes (a keyed job moved by a renamed person's event) no longer
	 * holds the jobs marked behind it.
	 */
	JOB_PERSON_MIGRATION(
		"",
		"") "DROP INDEX jobs_subject_open; DROP TRIGGER jobs_unhold;"
		    "CREATE TRIGGER jobs_unhold AFTER UPDATE OF state, run_at_ms, attempts, last_error, person ON jobs"
		    " BEGIN UPDATE jobs SET held_by = NULL WHERE held_by = OLD.id; END;",
};
#define NMIGRATIONS ((int)(sizeof(migrations) / sizeof(migrations[0])))

#define JOB_COLUMNS                                                                                     \
	"id, event_id, action, rule, subject, params, state, lease_owner, last_error, result, job_key," \
	" attempts, max_attempts, run_at_ms, created_ms, updated_ms, coalesce(lease_expires_ms, 0),"    \
	" CASE WHEN state = 'pending' THEN coalesce(held_by, 0) ELSE 0 END"

/*
 * The claim's window: the first ?5 due pending jobs not known to be held (?2 is now). Named index:
 * without statistics the planner would take jobs_due and read every held job to skip it.
 */
#define BLOCKED_J JOB_BLOCKED("j", "?2")     /* window row j has a job in its way (?2 is now) */
#define HOLDER_JOBS JOB_HOLDER("jobs", "?2") /* the job ST_HOLD's row is held behind */
#define WINDOW_ROWS                                                                                         \
	"SELECT id, person FROM jobs INDEXED BY jobs_claimable WHERE state = 'pending' AND held_by IS NULL" \
	" AND run_at_ms <= ?2 ORDER BY run_at_ms, id LIMIT ?5"

/* Every statement hookd runs, prepared once when the journal opens (after the migrations). */
enum stmt {
	ST_EVENT,
	ST_MOVE,
	ST_JOB,
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
	ST_RATE_WAIT,
	ST_RATE_BLIND,
	ST_RATE_UPDATE,
	ST_RATE_READ,
	ST_CURSOR_LEASE,
	ST_CURSOR_ADVANCE,
	ST_CURSOR_READ,
	ST_REQ_RECORD,
	ST_REQ_KNOWN,
	ST_REQ_PRUNE,
	ST_PRUNE_JOBS, /* retention: journal_prune's steps, then their dry-run counts */
	ST_PRUNE_SCRUB,
	ST_PRUNE_EVENTS,
	ST_PRUNE_JOBS_N,
	ST_PRUNE_SCRUB_N,
	ST_PRUNE_EVENTS_N,
	ST_SRC_ACCEPTED,
	ST_SRC_REFUSED,
	ST_SRC_LIST,
	ST_ADD_DUPS,
	ST_FORGET_N, /* hookd people forget: the counts, then the two erasures */
	ST_FORGET_JOBS,
	ST_FORGET_EVENTS,
	NSTMT,
};

/*
 * One person (journal_forget): p, who and the ids and logins events link to who; m, their events;
 * pj, their jobs (by subject, or by event). Every part scans.
 */
#define FORGET_WITH                                                                                          \
	"WITH p(v) AS (SELECT ?1 UNION SELECT subject_id FROM events WHERE lower(subject_login) = lower(?1)" \
	" AND subject_id IS NOT NULL UNION SELECT subject_login FROM events WHERE subject_id = ?1"           \
	" AND subject_login IS NOT NULL),"                                                                   \
	" m AS (SELECT id, source FROM events WHERE lower(subject_login) IN (SELECT lower(v) FROM p)"        \
	" OR subject_id IN (SELECT v FROM p)),"                                                              \
	" pj AS (SELECT id, state FROM jobs WHERE lower(subject) IN (SELECT lower(v) FROM p)"                \
	" OR event_id IN (SELECT id FROM m)) "

/* what names the statement in errors ("sqlite: <what>: <message>"). */
static const struct {
	const char *what, *sql;
} stmts[NSTMT] = {
	[ST_EVENT] = { "insert",
		       "INSERT INTO events (source, dedupe_key, delivery_id, type, occurred_at, received_ms, subject_id,"
		       " subject_login, subject_name, actor_id, status, reason, subject_json, raw)"
		       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,coalesce(?11,'accepted'),?12,?13,?14)"
		       " ON CONFLICT (source, dedupe_key) DO UPDATE SET duplicates = duplicates + 1"
		       " RETURNING id, duplicates" },
	/*
	 * A keyed job first moves the pending job of its key (which the next claim looks at afresh);
	 * ST_JOB adds one only when none moved.
	 */
	[ST_MOVE] = { "insert",
		      "UPDATE jobs SET run_at_ms = ?1, params = ?2, event_id = ?3, updated_ms = ?4, held_by = NULL,"
		      " person = " JOB_PERSON("subject", "?6", "") " WHERE job_key = ?5 AND state = 'pending'" },
	[ST_JOB] = { "insert", "INSERT INTO jobs (event_id, action, rule, subject, params, job_key, max_attempts,"
			       " run_at_ms, created_ms, updated_ms, person)"
			       " VALUES (?1,?2,?3,?4,?5,?6,?7,?8,?9,?9," JOB_PERSON("?4", "?10", "") ")" },
	/*
	 * The claim looks at the first ?5 pending jobs that are due and not known to be held
	 * (jobs_claimable, in run_at order). A job there waits while its person has a job running, or an
	 * earlier one due or waiting to be tried again (JOB_BLOCKED: two index probes). Expired
	 * leases are taken back too.
	 */
	[ST_CLAIM] = { "read jobs",
		       "UPDATE jobs SET state = 'running', lease_owner = ?1, lease_expires_ms = ?2 + ?3,"
		       " attempts = attempts + 1, updated_ms = ?2 WHERE id IN ("
		       " SELECT id FROM (SELECT id FROM (" WINDOW_ROWS ") j WHERE NOT " BLOCKED_J " LIMIT ?4)"
		       " UNION ALL SELECT id FROM (SELECT id FROM jobs WHERE state = 'running' AND lease_expires_ms < ?2"
		       " LIMIT ?4) LIMIT ?4) RETURNING " JOB_COLUMNS },
	/*
	 * Marks the jobs of the same window that wait as held, each by the nearest job in its way: the
	 * latest earlier one, else the running one (JOB_HOLDER). Marked jobs leave jobs_claimable, so
	 * the next claim reads past them (see "Held jobs").
	 */
	[ST_HOLD] = { "read jobs", "UPDATE jobs SET held_by = " HOLDER_JOBS " WHERE id IN (SELECT id FROM (" WINDOW_ROWS
				   ") j WHERE " BLOCKED_J ")" },
	[ST_DONE] = { "finish job",
		      "UPDATE jobs SET state = 'done', result = ?3, lease_owner = NULL, lease_expires_ms = NULL,"
		      " updated_ms = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'" },
	[ST_RETRY] = { "finish job",
		       "UPDATE jobs SET state = 'pending', last_error = ?3, run_at_ms = ?5, lease_owner = NULL,"
		       " lease_expires_ms = NULL, updated_ms = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'" },
	[ST_DEAD] = { "finish job",
		      "UPDATE jobs SET state = 'dead', last_error = ?3, lease_owner = NULL, lease_expires_ms = NULL,"
		      " updated_ms = ?4 WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'" },
	[ST_DEFER] = { "finish job",
		       "UPDATE jobs SET state = 'pending', last_error = ?3, run_at_ms = ?5, lease_owner = NULL,"
		       " lease_expires_ms = NULL, updated_ms = ?4, attempts = max(attempts - 1, 0)"
		       " WHERE id = ?1 AND lease_owner = ?2 AND state = 'running'" },
	[ST_REQUEUE] = { "requeue",
			 "UPDATE jobs SET state = 'pending', attempts = 0, run_at_ms = ?2, updated_ms = ?2,"
			 " lease_owner = NULL, lease_expires_ms = NULL WHERE id = ?1 AND state IN ('dead','done')" },
	[ST_CANCEL] = { "cancel", "UPDATE jobs SET state = 'dead', last_error = ?3, updated_ms = ?2"
				  " WHERE id = ?1 AND state = 'pending'" },
	[ST_LIST_EVENTS] = { "list events",
			     "SELECT id, received_ms, duplicates, source, dedupe_key, delivery_id, type, occurred_at,"
			     " subject_id, subject_login, subject_name, actor_id, status, reason, subject_json, raw"
			     " FROM events WHERE (?1 IS NULL OR source = ?1) AND (?2 = 0 OR id < ?2)"
			     " AND (?3 = 0 OR id = ?3) AND (?5 IS NULL OR subject_id = ?5 OR subject_login = ?5 COLLATE NOCASE)"
			     " AND received_ms >= ?6 AND (?7 IS NULL OR type = ?7) AND (?8 IS NULL OR status = ?8)"
			     " AND (?9 = 0 OR received_ms <= ?9) ORDER BY id DESC LIMIT ?4" },
	[ST_LIST_JOBS] = { "read jobs",
			   "SELECT " JOB_COLUMNS " FROM jobs WHERE (?1 IS NULL OR state = ?1)"
			   " AND (?2 = 0 OR id < ?2) AND (?3 = 0 OR id = ?3) AND (?5 IS NULL OR job_key = ?5)"
			   " AND (?6 IS NULL OR subject = ?6 COLLATE NOCASE"
			   " OR event_id IN (SELECT id FROM events WHERE subject_login = ?6 COLLATE NOCASE))"
			   " AND (?7 IS NULL OR action = ?7) AND created_ms >= ?8 AND (?9 = 0 OR event_id = ?9)"
			   " ORDER BY id DESC LIMIT ?4" },
	[ST_COUNTS] = { "counts", "SELECT state, count(*), coalesce(min(run_at_ms), 0) FROM jobs GROUP BY state" },
	[ST_PING] = { "heartbeat", "INSERT OR REPLACE INTO heartbeat (id, at_ms) VALUES (1, ?1)" },
	/* Spends one request when the window is current and more than the reserve is left. */
	[ST_RATE_TAKE] = { "rate take",
			   "UPDATE rate_budget SET remaining = remaining - 1, updated_ms = ?2 WHERE bucket = ?1"
			   " AND reset_ms > ?2 AND remaining > 0"
			   " AND remaining > min(?3, CASE WHEN limit_ > 0 THEN limit_ - 1 ELSE ?3 END)" },
	[ST_RATE_WAIT] = { "rate read", "SELECT reset_ms FROM rate_budget WHERE bucket = ?1" },
	/* No current window: the request goes, counted as blind. */
	[ST_RATE_BLIND] = { "rate blind",
			    "INSERT INTO rate_budget (bucket, window_reset, reset_ms, remaining, limit_, updated_ms, blind)"
			    " VALUES (?1, 0, 0, 0, 0, ?2, 1) ON CONFLICT (bucket) DO UPDATE SET blind = blind + 1,"
			    " updated_ms = excluded.updated_ms" },
	[ST_RATE_UPDATE] = { "rate update",
			     "INSERT INTO rate_budget (bucket, window_reset, reset_ms, remaining, limit_, updated_ms)"
			     " VALUES (?1, ?2, ?3, ?4, ?5, ?6) ON CONFLICT (bucket) DO UPDATE SET"
			     " remaining = CASE WHEN excluded.window_reset > window_reset"
			     " THEN max(excluded.remaining - max(blind - 1, 0), 0) ELSE min(remaining, excluded.remaining) END,"
			     " blind = CASE WHEN excluded.window_reset > window_reset THEN 0 ELSE blind END,"
			     " reset_ms = CASE WHEN excluded.window_reset > window_reset THEN excluded.reset_ms"
			     " ELSE max(reset_ms, excluded.reset_ms) END,"
			     " window_reset = excluded.window_reset, limit_ = excluded.limit_, updated_ms = excluded.updated_ms"
			     " WHERE excluded.window_reset >= window_reset" },
	[ST_RATE_READ] = { "rate read",
			   "SELECT window_reset, reset_ms, remaining, limit_ FROM rate_budget WHERE bucket = ?1" },
	/* The reconciler's lease: taken when free, expired or already ours; the row tells who holds it. */
	[ST_CURSOR_LEASE] = { "cursor lease",
			      "INSERT INTO reconcile_state (name, cursor_ms, updated_ms, lease_owner, lease_expires_ms)"
			      " VALUES (?1, NULL, ?3, ?2, ?3 + ?4) ON CONFLICT (name) DO UPDATE SET"
			      " lease_owner = excluded.lease_owner, lease_expires_ms = excluded.lease_expires_ms"
			      " WHERE reconcile_state.lease_owner IS NULL OR reconcile_state.lease_owner = excluded.lease_owner"
			      " OR reconcile_state.lease_expires_ms <= ?3 RETURNING cursor_ms" },
	[ST_CURSOR_ADVANCE] = { "cursor advance",
				"UPDATE reconcile_state SET cursor_ms = ?3, updated_ms = ?4, found = found + ?5"
				" WHERE name = ?1 AND lease_owner = ?2" },
	[ST_CURSOR_READ] = { "cursor read", "SELECT cursor_ms, updated_ms, lease_owner, lease_expires_ms, found"
					    " FROM reconcile_state WHERE name = ?1" },
	[ST_REQ_RECORD] = { "record request",
			    "INSERT INTO okta_requests (request_id, recorded_ms) VALUES (?1, ?2)"
			    " ON CONFLICT (request_id) DO UPDATE SET recorded_ms = excluded.recorded_ms" },
	/* The ids come as one JSON array; each is one primary-key probe. */
	[ST_REQ_KNOWN] = { "look up requests", "SELECT request_id FROM okta_requests"
					       " WHERE request_id IN (SELECT value FROM json_each(?1))" },
	[ST_REQ_PRUNE] = { "prune requests", "DELETE FROM okta_requests WHERE recorded_ms < ?1" },
	[ST_PRUNE_JOBS] = { "prune", "DELETE FROM jobs WHERE id IN (SELECT id FROM jobs WHERE state IN "
				     "('done','dead') AND updated_ms < ?1 LIMIT ?2)" },
	[ST_PRUNE_SCRUB] = { "prune", "UPDATE events SET raw = 'null', subject_json = NULL, subject_id = "
				      "NULL, subject_login = NULL, subject_name = NULL, reason = NULL WHERE "
				      "id IN (SELECT e.id FROM events e WHERE e.received_ms < ?1 AND e.raw <> "
				      "'null' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.event_id = e.id) "
				      "LIMIT ?2)" },
	[ST_PRUNE_EVENTS] = { "prune", "DELETE FROM events WHERE id IN (SELECT e.id FROM events e WHERE "
				       "e.received_ms < ?1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE "
				       "j.event_id = e.id) LIMIT ?2)" },
	[ST_PRUNE_JOBS_N] = { "prune", "SELECT count(*) FROM jobs WHERE state IN ('done','dead') AND "
				       "updated_ms < ?1" },
	[ST_PRUNE_SCRUB_N] = { "prune", "SELECT count(*) FROM events e WHERE e.received_ms < ?1 AND e.raw <> "
					"'null' AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.event_id = e.id)" },
	[ST_PRUNE_EVENTS_N] = { "prune", "SELECT count(*) FROM events e WHERE e.received_ms < ?1 AND NOT EXISTS "
					 "(SELECT 1 FROM jobs j WHERE j.event_id = e.id)" },
	[ST_SRC_ACCEPTED] = { "note source", "INSERT INTO source_status (source, accepted_ms) VALUES (?1, ?2)"
					     " ON CONFLICT (source) DO UPDATE SET accepted_ms = excluded.accepted_ms" },
	[ST_SRC_REFUSED] = { "note source",
			     "INSERT INTO source_status (source, refused_ms, refusal) VALUES (?1, ?2, ?3)"
			     " ON CONFLICT (source) DO UPDATE SET refused_ms = excluded.refused_ms,"
			     " refusal = excluded.refusal" },
	[ST_SRC_LIST] = { "read source status",
			  "SELECT source, accepted_ms, refused_ms, refusal FROM source_status ORDER BY source" },
	/* Redeliveries journal.c answered from its cache of durable keys. */
	[ST_ADD_DUPS] = { "count duplicates",
			  "UPDATE events SET duplicates = duplicates + ?3 WHERE source = ?1 AND dedupe_key = ?2" },
	[ST_FORGET_N] = { "forget", FORGET_WITH "SELECT (SELECT count(*) FROM m WHERE source <> 'hookd'),"
						" (SELECT count(*) FROM m WHERE source = 'hookd'),"
						" (SELECT count(*) FROM pj WHERE state IN ('done','dead')),"
						" (SELECT count(*) FROM pj WHERE state = 'pending'),"
						" (SELECT count(*) FROM pj WHERE state = 'running')" },
	/* Every SET reads the row as it was: a pending job ends dead, cancelled, and is erased with the rest. */
	[ST_FORGET_JOBS] = { "forget",
			     FORGET_WITH "UPDATE jobs SET params = NULL, subject = NULL, person = NULL, result = NULL,"
					 " job_key = NULL, last_error = CASE state WHEN 'pending' THEN ?2 END,"
					 " updated_ms = CASE state WHEN 'pending' THEN ?3 ELSE updated_ms END,"
					 " state = CASE state WHEN 'pending' THEN 'dead' ELSE state END"
					 " WHERE state IN ('pending','done','dead') AND id IN (SELECT id FROM pj)" },
	[ST_FORGET_EVENTS] = { "forget", FORGET_WITH "UPDATE events SET raw = 'null', subject_json = NULL, subject_id"
						     " = NULL, subject_login = NULL, subject_name = NULL, reason = NULL"
						     " WHERE id IN (SELECT id FROM m)" },
};

/*
 * The connection and its prepared statements. mu is held across every use of a statement, from
 * use() to its reset: one connection, one writer at a time.
 */
struct sq {
	sqlite3 *db;
	pthread_mutex_t mu;
	sqlite3_stmt *st[NSTMT];
	/*
	 * A read-only connection (NULL on itself), under its own lock, for the listings (admin API,
	 * `hookd events`: a filter that matches nothing in a large journal scans it), which must not wait
	 * for mu, held by the writer through a group commit's fsync: WAL lets it read the last commit
	 * meanwhile, and a long listing never delays a delivery.
	 */
	struct sq *reader;
	struct sq_ckpt *ckpt; /* the writer's checkpoint thread (NULL on readers, and in memory) */
};

/*
 * Checkpoints off the commit path. SQLite's automatic checkpoint runs inside the commit that takes
 * the WAL past 1000 frames: that commit copies the frames into the database and fsyncs it while
 * every delivery queued behind it waits. Here the writer's WAL hook wakes a thread, on a connection
 * of its own, to run PASSIVE checkpoints, which never block the writer or a reader, whenever
 * SQ_CKPT_FRAMES frames are not yet copied. SQLite rewinds the WAL to its start only when a write
 * begins after a checkpoint copied every frame, which a steady stream of commits never allows (in
 * test_checkpoints the WAL reached 16,470 frames without the next rule): at SQ_CKPT_WRITER_FRAMES the
 * writer checkpoints in its own commit, as SQLite would have, but only what the thread has not
 * copied yet. Measured in bench/PROFILE.md ("Checkpoints").
 */
#define SQ_CKPT_FRAMES 256	   /* frames not yet copied that wake the thread */
#define SQ_CKPT_WRITER_FRAMES 4000 /* the writer checkpoints itself (16 MiB of 4 KiB pages) */

struct sq_ckpt {
	sqlite3 *db;
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int want, stop;
	int copied; /* frames the thread's last checkpoint copied; 0 once the WAL is rewound */
	struct metric *by_thread, *by_writer, *failed, *wal_frames;
};

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
	sqlite3_stmt *st = prepare(s, "PRAGMA user_version", NULL, 0, "user_version");
	int v = -1;
	if (st && sqlite3_step(st) == SQLITE_ROW)
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

/* Prepares every row of stmts into s->st; 0, or -1 with err (what is prepared stays for sq_close). */
static int prepare_all(struct sq *s, char *err, size_t errlen)
{
	for (int i = 0; i < NSTMT; i++) {
		char what[48];
		snprintf(what, sizeof(what), "prepare %s", stmts[i].what);
		if (!(s->st[i] = prepare(s, stmts[i].sql, err, errlen, what)))
			return -1;
	}
	return 0;
}

static void *ckpt_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-ckpt");
	struct sq_ckpt *c = arg;
	pthread_mutex_lock(&c->mu);
	for (;;) {
		while (!c->want && !c->stop)
			pthread_cond_wait(&c->cv, &c->mu);
		if (c->stop)
			break;
		c->want = 0;
		pthread_mutex_unlock(&c->mu);
		int frames = 0, copied = 0;
		int rc = sqlite3_wal_checkpoint_v2(c->db, "main", SQLITE_CHECKPOINT_PASSIVE, &frames, &copied);
		if (rc == SQLITE_OK) {
			metric_add(c->by_thread, 1);
			pthread_mutex_lock(&c->mu);
			c->copied = copied;
			pthread_mutex_unlock(&c->mu);
		} else if (rc != SQLITE_BUSY) { /* BUSY: the writer's own checkpoint is under way */
			metric_add(c->failed, 1);
			log_warn("journal checkpoint failed; the writer will checkpoint itself", "error",
				 sqlite3_errmsg(c->db));
		}
		pthread_mutex_lock(&c->mu);
	}
	pthread_mutex_unlock(&c->mu);
	return NULL;
}

/* After every commit on the writer's connection (its write lock released, s->mu still held). */
static int on_wal_commit(void *arg, sqlite3 *db, const char *name, int frames)
{
	struct sq_ckpt *c = arg;
	metric_set(c->wal_frames, frames);
	if (frames >= SQ_CKPT_WRITER_FRAMES) {
		int rc = sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
		if (rc == SQLITE_OK)
			metric_add(c->by_writer, 1);
		else if (rc != SQLITE_BUSY)
			metric_add(c->failed, 1);
		return SQLITE_OK;
	}
	pthread_mutex_lock(&c->mu);
	if (frames < c->copied) /* rewound */
		c->copied = 0;
	if (frames - c->copied >= SQ_CKPT_FRAMES) {
		c->want = 1;
		pthread_cond_signal(&c->cv);
	}
	pthread_mutex_unlock(&c->mu);
	return SQLITE_OK;
}

static void ckpt_stop(struct sq *s)
{
	struct sq_ckpt *c = s->ckpt;
	if (!c)
		return;
	sqlite3_wal_hook(s->db, NULL, NULL);
	pthread_mutex_lock(&c->mu);
	c->stop = 1;
	pthread_cond_signal(&c->cv);
	pthread_mutex_unlock(&c->mu);
	pthread_join(c->thread, NULL);
	sqlite3_close_v2(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	s->ckpt = NULL;
}

/*
 * Starts the writer's checkpoint thread: 0, or -1 with err. A journal in memory has no WAL to copy
 * and gets none (0).
 */
static int ckpt_start(struct sq *s, char *err, size_t errlen)
{
	const char *path = sqlite3_db_filename(s->db, "main");
	if (!path || !path[0])
		return 0;
	struct sq_ckpt *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	pthread_mutex_init(&c->mu, NULL);
	pthread_cond_init(&c->cv, NULL);
	if (sqlite3_open_v2(path, &c->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK ||
	    sqlite3_exec(c->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: cannot open %s to checkpoint: %s", path,
			 c->db ? sqlite3_errmsg(c->db) : "out of memory");
		goto fail;
	}
	const char *lb = "backend=\"sqlite\"";
	const char *by = "WAL checkpoints, by who ran them: the checkpoint thread, or the writer when the WAL "
			 "outgrew the thread";
	c->by_thread = metrics_counter("hookd_journal_checkpoints_total", "backend=\"sqlite\",by=\"thread\"", by);
	c->by_writer = metrics_counter("hookd_journal_checkpoints_total", "backend=\"sqlite\",by=\"writer\"", by);
	c->failed = metrics_counter("hookd_journal_checkpoint_errors_total", lb, "WAL checkpoints that failed");
	c->wal_frames = metrics_gauge("hookd_journal_wal_frames", lb,
				      "Frames in the SQLite WAL after the last commit (4 KiB pages each)");
	if (pthread_create(&c->thread, NULL, ckpt_main, c) != 0) {
		snprintf(err, errlen, "cannot start the journal's checkpoint thread");
		goto fail;
	}
	s->ckpt = c;
	sqlite3_wal_hook(s->db, on_wal_commit, c); /* replaces SQLite's automatic checkpoint */
	return 0;
fail:
	sqlite3_close_v2(c->db);
	pthread_cond_destroy(&c->cv);
	pthread_mutex_destroy(&c->mu);
	free(c);
	return -1;
}

static void sq_close(void *b)
{
	struct sq *s = b;
	if (!s)
		return;
	ckpt_stop(s);
	sq_close(s->reader);
	for (int i = 0; i < NSTMT; i++)
		sqlite3_finalize(s->st[i]);
	sqlite3_close_v2(s->db);
	pthread_mutex_destroy(&s->mu);
	free(s);
}

/* The listings' connection to path, opened after the writer made and migrated the file. */
static struct sq *open_reader(const char *path, char *err, size_t errlen)
{
	struct sq *r = calloc(1, sizeof(*r));
	if (!r) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	if (sqlite3_open_v2(path, &r->db, SQLITE_OPEN_READONLY | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		snprintf(err, errlen, "sqlite: cannot open %s to read: %s", path,
			 r->db ? sqlite3_errmsg(r->db) : "out of memory");
		sq_close(r);
		return NULL;
	}
	sqlite3_busy_timeout(r->db, 5000);
	sqlite3_extended_result_codes(r->db, 1);
	if (prepare_all(r, err, errlen) < 0) {
		sq_close(r);
		return NULL;
	}
	return r;
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
		snprintf(err, errlen, "sqlite: cannot open %s: %s", o->path,
			 s->db ? sqlite3_errmsg(s->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(s->db, 5000);
	sqlite3_extended_result_codes(s->db, 1);
	/* WAL + FULL: a commit returns only after the WAL is fsynced. */
	if (exec(s, "PRAGMA journal_mode=WAL", err, errlen) < 0 ||
	    exec(s, "PRAGMA synchronous=FULL", err, errlen) < 0 || exec(s, "PRAGMA foreign_keys=ON", err, errlen) < 0 ||
	    migrate(s, err, errlen) < 0 || prepare_all(s, err, errlen) < 0 ||
	    !(s->reader = open_reader(o->path, err, errlen)) || ckpt_start(s, err, errlen) < 0)
		goto fail;
	return s;
fail:
	sq_close(s);
	return NULL;
}

/* ---- one statement: use, bind, step, done (the caller holds s->mu throughout) ---- */

/* Statement i with no bindings, ready to bind and step; it stays s's. */
static sqlite3_stmt *use(struct sq *s, enum stmt i)
{
	sqlite3_reset(s->st[i]);
	sqlite3_clear_bindings(s->st[i]);
	return s->st[i];
}

/*
 * Ends a use of statement i whose last step returned rc: 0 when rc is SQLITE_DONE, else -1 with err
 * (read before the reset, which clears it). After the reset the statement holds no read snapshot,
 * and the text bound to it (SQLITE_STATIC: the caller's) is no longer read.
 */
static int done(struct sq *s, enum stmt i, int rc, char *err, size_t errlen)
{
	if (rc != SQLITE_DONE)
		db_err(s, err, errlen, stmts[i].what);
	sqlite3_reset(s->st[i]);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Steps statement i to its end, ignoring rows; 0, or -1 with err. */
static int run(struct sq *s, enum stmt i, char *err, size_t errlen)
{
	int rc;
	while ((rc = sqlite3_step(s->st[i])) == SQLITE_ROW)
		;
	return done(s, i, rc, err, errlen);
}

/* run() for an UPDATE: 0 when it changed a row, 1 when none matched, -1 with err. */
static int run_changed(struct sq *s, enum stmt i, char *err, size_t errlen)
{
	if (run(s, i, err, errlen) < 0)
		return -1;
	return sqlite3_changes(s->db) > 0 ? 0 : 1;
}

/* Binds v as text (the caller keeps it valid until the statement is done), or NULL. */
static void bind_text(sqlite3_stmt *st, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

/* ---- write: one transaction per group of events ---- */

/* Moves the pending job of js's key, or adds js; 0, or -1 with err. */
static int write_job(struct sq *s, const struct journal_event *e, int64_t event_id, const struct job_spec *js,
		     int64_t now_ms, char *err, size_t errlen)
{
	int64_t run_at = js->run_at_ms ? js->run_at_ms : now_ms;
	if (js->job_key) {
		sqlite3_stmt *st = use(s, ST_MOVE);
		sqlite3_bind_int64(st, 1, run_at);
		bind_text(st, 2, js->params);
		sqlite3_bind_int64(st, 3, event_id);
		sqlite3_bind_int64(st, 4, now_ms);
		bind_text(st, 5, js->job_key);
		bind_text(st, 6, e->subject_login);
		int moved = run_changed(s, ST_MOVE, err, errlen);
		if (moved <= 0)
			return moved;
	}
	sqlite3_stmt *st = use(s, ST_JOB);
	sqlite3_bind_int64(st, 1, event_id);
	const char *txt[] = { js->action, js->rule, js->subject, js->params, js->job_key };
	for (int i = 0; i < 5; i++)
		bind_text(st, i + 2, txt[i]);
	sqlite3_bind_int(st, 7, js->max_attempts);
	sqlite3_bind_int64(st, 8, run_at);
	sqlite3_bind_int64(st, 9, now_ms);
	bind_text(st, 10, e->subject_login);
	return run(s, ST_JOB, err, errlen);
}

/* Inserts e (or counts it as a duplicate) and, when new, its jobs; 0, or -1 with err. */
static int write_event(struct sq *s, const struct journal_event *e, int echo, int64_t now_ms, enum journal_outcome *out,
		       int *jobs_added, char *err, size_t errlen)
{
	sqlite3_stmt *st = use(s, ST_EVENT);
	const char *txt[] = { e->source,     e->dedupe_key, e->delivery_id,   e->type,	       e->occurred_at,
			      NULL /* ?6 */, e->subject_id, e->subject_login, e->subject_name, e->actor_id,
			      e->status,     e->reason,	    e->subject_json };
	for (int i = 0; i < 13; i++)
		bind_text(st, i + 1, txt[i]);
	sqlite3_bind_int64(st, 6, now_ms);
	sqlite3_bind_text(st, 14, e->raw.p ? e->raw.p : "", (int)e->raw.n, SQLITE_STATIC);
	int rc = sqlite3_step(st);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int dup = rc == SQLITE_ROW && sqlite3_column_int(st, 1) > 0;
	if (rc == SQLITE_ROW)
		rc = sqlite3_step(st);
	if (done(s, ST_EVENT, rc, err, errlen) < 0)
		return -1;
	*out = dup ? JOURNAL_DUPLICATE : echo ? JOURNAL_STORED_ECHO : JOURNAL_STORED;
	for (size_t k = 0; !dup && k < e->njobs; k++) {
		if (echo && e->jobs[k].unless_echo)
			continue;
		if (write_job(s, e, id, &e->jobs[k], now_ms, err, errlen) < 0)
			return -1;
		(*jobs_added)++;
	}
	return 0;
}

/*
 * The echo lookup of a write (backend.h), in its transaction on the writer's connection, whose page
 * cache is never stale. A failed lookup leaves echo[] 0 (the events are written as anyone's).
 */
static void find_echoes(struct sq *s, const struct journal_event *const *ev, size_t n, unsigned char *echo)
{
	int failed;
	char *ids = journal_echo_ids(ev, n, &failed), err[256] = "out of memory";
	if (ids) {
		sqlite3_stmt *st = use(s, ST_REQ_KNOWN);
		sqlite3_bind_text(st, 1, ids, -1, SQLITE_STATIC);
		int step;
		while ((step = sqlite3_step(st)) == SQLITE_ROW)
			journal_echo_found(ev, n, (const char *)sqlite3_column_text(st, 0), echo);
		failed = done(s, ST_REQ_KNOWN, step, err, sizeof(err)) < 0;
		if (failed)
			memset(echo, 0, n);
	}
	if (failed)
		log_warn("cannot look up hookd's own request ids; these events fire rules as anyone's would", "detail",
			 err);
	free(ids);
}

#define STACK_EVENTS 64 /* writes up to this size need no allocation for their echo marks */

/* Inserts ev[0..n) and their jobs in one IMMEDIATE transaction; 0, or -1 with err and all rolled back. */
static int write_all(struct sq *s, const struct journal_event *const *ev, size_t n, int64_t now_ms,
		     enum journal_outcome *out, int *jobs_added, char *err, size_t errlen)
{
	unsigned char stack[STACK_EVENTS] = { 0 };
	unsigned char *echo = n <= STACK_EVENTS ? stack : calloc(n, 1);
	if (!echo) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	int rc = -1;
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		goto out;
	find_echoes(s, ev, n, echo);
	for (size_t i = 0; i < n; i++)
		if (write_event(s, ev[i], echo[i], now_ms, &out[i], jobs_added, err, errlen) < 0)
			goto fail;
	if (exec(s, "COMMIT", err, errlen) == 0) {
		rc = 0;
		goto out;
	}
fail:
	exec(s, "ROLLBACK", NULL, 0);
	*jobs_added = 0;
out:
	if (echo != stack)
		free(echo);
	return rc;
}

static int sq_write(void *b, const struct journal_event *const *ev, size_t n, int64_t now_ms, enum journal_outcome *out,
		    int *jobs_added, char *err, size_t errlen)
{
	struct sq *s = b;
	*jobs_added = 0;
	pthread_mutex_lock(&s->mu);
	int rc = write_all(s, ev, n, now_ms, out, jobs_added, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- reading rows ---- */

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
	char **s[] = { &j->action,	&j->rule,	&j->subject, &j->params, &j->state,
		       &j->lease_owner, &j->last_error, &j->result,  &j->job_key };
	for (int i = 0; i < 9; i++)
		*s[i] = col_dup(st, i + 2);
	j->attempts = sqlite3_column_int(st, 11);
	j->max_attempts = sqlite3_column_int(st, 12);
	j->run_at_ms = sqlite3_column_int64(st, 13);
	j->created_ms = sqlite3_column_int64(st, 14);
	j->updated_ms = sqlite3_column_int64(st, 15);
	j->lease_expires_ms = sqlite3_column_int64(st, 16);
	j->held_by = sqlite3_column_int64(st, 17);
}

static void read_event(sqlite3_stmt *st, struct event_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(st, 0);
	r->received_ms = sqlite3_column_int64(st, 1);
	r->duplicates = sqlite3_column_int(st, 2);
	char **f[] = { &r->source,     &r->dedupe_key,	  &r->delivery_id,  &r->type,	  &r->occurred_at,
		       &r->subject_id, &r->subject_login, &r->subject_name, &r->actor_id, &r->status,
		       &r->reason,     &r->subject_json,  &r->raw };
	for (int i = 0; i < 13; i++)
		*f[i] = col_dup(st, i + 3);
}

/*
 * arr (n elements of size sz used, *cap allocated) with room for one more: arr itself, or its
 * realloc()ed successor (arr is then invalid). NULL when out of memory: arr is untouched and still the caller's.
 */
static void *grow(void *arr, size_t n, size_t *cap, size_t sz)
{
	if (n < *cap)
		return arr;
	size_t nc = *cap ? *cap * 2 : 16;
	void *p = realloc(arr, nc * sz);
	if (p)
		*cap = nc;
	return p;
}

/*
 * Steps statement i to the end, appending one job per row to *jobs (*n of them); the caller owns
 * the array (journal_jobs_free). On failure frees what it gathered and leaves none.
 */
static int collect_jobs(struct sq *s, enum stmt i, struct job **jobs, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s->st[i])) == SQLITE_ROW) {
		struct job *more = grow(*jobs, *n, &cap, sizeof(**jobs));
		if (!more) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		*jobs = more;
		read_job(s->st[i], &(*jobs)[(*n)++]);
	}
	if (done(s, i, rc, rc == SQLITE_ROW ? NULL : err, errlen) == 0)
		return 0;
	journal_jobs_free(*jobs, *n);
	*jobs = NULL;
	*n = 0;
	return -1;
}

/* collect_jobs for event rows (journal_events_free). */
static int collect_events(struct sq *s, enum stmt i, struct event_row **rows, size_t *n, char *err, size_t errlen)
{
	size_t cap = 0;
	int rc;
	while ((rc = sqlite3_step(s->st[i])) == SQLITE_ROW) {
		struct event_row *more = grow(*rows, *n, &cap, sizeof(**rows));
		if (!more) {
			snprintf(err, errlen, "out of memory");
			break;
		}
		*rows = more;
		read_event(s->st[i], &(*rows)[(*n)++]);
	}
	if (done(s, i, rc, rc == SQLITE_ROW ? NULL : err, errlen) == 0)
		return 0;
	journal_events_free(*rows, *n);
	*rows = NULL;
	*n = 0;
	return -1;
}

/* ---- jobs ---- */

/*
 * Held jobs. The claim reads only the first CLAIM_WINDOW due jobs not known to be held, so that jobs
 * waiting behind another of their person's (one person's thousand updates, or every job behind a
 * retry during an outage) are not read again by every claim. When that window yields fewer jobs
 * than asked, the ones in it that wait are marked held (ST_HOLD) and the claim reads the next
 * window, until a claim succeeds or nothing is left to mark. A marked job waits behind one job, the
 * nearest in its way, so finishing a job releases one more of a long queue, not the whole queue.
 * Each window is its own transaction: the writer's lock is given up between windows. Whether a
 * window's job waits is two index probes (JOB_BLOCKED), so a window costs the same however long
 * its people's queues are.
 */
#define CLAIM_WINDOW 128
#define CLAIM_ROUNDS 1024 /* windows one claim reads at most (a guard: each marks a whole window) */

/* One window: claims up to max jobs into *jobs (empty on entry); *held counts the jobs it marked. */
static int claim_window(struct sq *s, const char *owner, int64_t now_ms, int64_t lease_ms, int max, struct job **jobs,
			size_t *n, int64_t *held, char *err, size_t errlen)
{
	*held = 0;
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		return -1;
	for (int pass = 0; pass < 2 && *n < (size_t)max; pass++) {
		if (pass == 1) { /* the window gave too few: mark its waiting jobs, read the next one */
			sqlite3_stmt *st = use(s, ST_HOLD);
			sqlite3_bind_int64(st, 2, now_ms);
			sqlite3_bind_int(st, 5, CLAIM_WINDOW);
			if (run(s, ST_HOLD, err, errlen) < 0)
				goto fail;
			if ((*held = sqlite3_changes(s->db)) == 0)
				break;
		}
		struct job *got = NULL;
		size_t k = 0;
		sqlite3_stmt *st = use(s, ST_CLAIM);
		sqlite3_bind_text(st, 1, owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, now_ms);
		sqlite3_bind_int64(st, 3, lease_ms);
		sqlite3_bind_int(st, 4, max - (int)*n);
		sqlite3_bind_int(st, 5, CLAIM_WINDOW);
		if (collect_jobs(s, ST_CLAIM, &got, &k, err, errlen) < 0)
			goto fail;
		if (k && !*n) {
			*jobs = got;
		} else if (k) {
			struct job *all = realloc(*jobs, (*n + k) * sizeof(**jobs));
			if (!all) {
				journal_jobs_free(got, k);
				snprintf(err, errlen, "out of memory");
				goto fail;
			}
			memcpy(all + *n, got, k * sizeof(*got));
			free(got);
			*jobs = all;
		}
		*n += k;
	}
	if (exec(s, "COMMIT", err, errlen) == 0)
		return 0;
fail:
	exec(s, "ROLLBACK", NULL, 0);
	journal_jobs_free(*jobs, *n);
	*jobs = NULL;
	*n = 0;
	return -1;
}

static int sq_claim(void *b, const char *owner, int64_t now_ms, int64_t lease_ms, int max, struct job **jobs, size_t *n,
		    char *err, size_t errlen)
{
	struct sq *s = b;
	int64_t held = 0;
	int rc = 0, rounds = 0;
	do {
		pthread_mutex_lock(&s->mu);
		rc = claim_window(s, owner, now_ms, lease_ms, max, jobs, n, &held, err, errlen);
		pthread_mutex_unlock(&s->mu);
	} while (rc == 0 && *n == 0 && held > 0 && ++rounds < CLAIM_ROUNDS);
	return rc;
}

static int sq_finish(void *b, int64_t id, const char *owner, enum job_outcome oc, int64_t now_ms, int64_t next_run_ms,
		     const char *text, char *err, size_t errlen)
{
	static const enum stmt by_outcome[] = {
		[JOB_DONE] = ST_DONE, [JOB_RETRY] = ST_RETRY, [JOB_DEAD] = ST_DEAD, [JOB_DEFER] = ST_DEFER
	};
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, by_outcome[oc]);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	bind_text(st, 3, text);
	sqlite3_bind_int64(st, 4, now_ms);
	if (oc == JOB_RETRY || oc == JOB_DEFER)
		sqlite3_bind_int64(st, 5, next_run_ms);
	int rc = run_changed(s, by_outcome[oc], err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_requeue(void *b, int64_t id, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_REQUEUE);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	int rc = run_changed(s, ST_REQUEUE, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_cancel(void *b, int64_t id, int64_t now_ms, const char *why, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_CANCEL);
	sqlite3_bind_int64(st, 1, id);
	sqlite3_bind_int64(st, 2, now_ms);
	bind_text(st, 3, why);
	int rc = run_changed(s, ST_CANCEL, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Binds the parameters both listings share: ?1 filter, ?2 before_id, ?3 id, ?4 limit. */
static void bind_query(sqlite3_stmt *st, const struct journal_query *q, const char *filter)
{
	bind_text(st, 1, filter);
	sqlite3_bind_int64(st, 2, q->before_id);
	sqlite3_bind_int64(st, 3, q->id);
	sqlite3_bind_int(st, 4, q->limit > 0 ? q->limit : 50);
}

static int sq_list_events(void *b, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			  size_t errlen)
{
	struct sq *s = ((struct sq *)b)->reader;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_LIST_EVENTS);
	bind_query(st, q, q->source);
	bind_text(st, 5, q->subject);
	sqlite3_bind_int64(st, 6, q->since_ms);
	bind_text(st, 7, q->type);
	bind_text(st, 8, q->status);
	sqlite3_bind_int64(st, 9, q->until_ms);
	int rc = collect_events(s, ST_LIST_EVENTS, rows, n, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_list_jobs(void *b, const struct journal_query *q, struct job **rows, size_t *n, char *err, size_t errlen)
{
	struct sq *s = ((struct sq *)b)->reader;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_LIST_JOBS);
	bind_query(st, q, q->state);
	bind_text(st, 5, q->job_key);
	bind_text(st, 6, q->subject);
	bind_text(st, 7, q->action);
	sqlite3_bind_int64(st, 8, q->since_ms);
	sqlite3_bind_int64(st, 9, q->event_id);
	int rc = collect_jobs(s, ST_LIST_JOBS, rows, n, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_job_counts(void *b, int64_t counts[JOB_STATE_COUNT], int64_t *oldest_pending_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_COUNTS);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		const char *state = (const char *)sqlite3_column_text(st, 0);
		for (int i = 0; i < JOB_STATE_COUNT; i++)
			if (state && strcmp(state, journal_job_states[i]) == 0)
				counts[i] = sqlite3_column_int64(st, 1);
		if (state && strcmp(state, journal_job_states[JOB_STATE_PENDING]) == 0)
			*oldest_pending_ms = sqlite3_column_int64(st, 2);
	}
	int rc = done(s, ST_COUNTS, step, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/*
 * Free space below which the journal is not ready: a heartbeat row fits in WAL pages SQLite already
 * owns after a checkpoint, so on a full disk the write alone passes while every delivery fails.
 */
#define SQ_MIN_FREE_BYTES (1024 * 1024)

/* -1 with err when the filesystem holding the database has less than SQ_MIN_FREE_BYTES for hookd. */
static int free_space_ok(struct sq *s, char *err, size_t errlen)
{
	const char *path = sqlite3_db_filename(s->db, "main");
	struct statvfs v;
	if (!path || !path[0] || statvfs(path, &v) != 0)
		return 0; /* in memory, or unknown: the write above is all there is to go by */
	unsigned long long avail = (unsigned long long)v.f_bavail * v.f_frsize;
	if (avail >= SQ_MIN_FREE_BYTES)
		return 0;
	snprintf(err, errlen, "sqlite: %llu bytes free on the journal's filesystem (under %d)", avail,
		 SQ_MIN_FREE_BYTES);
	return -1;
}

static int sq_ping(void *b, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_bind_int64(use(s, ST_PING), 1, now_ms);
	int rc = run(s, ST_PING, err, errlen);
	if (rc == 0)
		rc = free_space_ok(s, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* ---- the shared rate budget ---- */

/* ms until bucket's current window resets (> 0), 0 when there is none, -1 with err. */
static int64_t rate_wait(struct sq *s, const char *bucket, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = use(s, ST_RATE_WAIT);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	int64_t reset_ms = step == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	int64_t wait = reset_ms > now_ms ? reset_ms - now_ms : 0;
	if (done(s, ST_RATE_WAIT, step == SQLITE_ROW ? SQLITE_DONE : step, err, errlen) < 0)
		return -1;
	return wait;
}

/* journal_rate_take under s->mu: spend, else wait for the window, else go blind. */
static int64_t rate_take(struct sq *s, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen)
{
	sqlite3_stmt *st = use(s, ST_RATE_TAKE);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	sqlite3_bind_int(st, 3, reserve);
	int spent = run_changed(s, ST_RATE_TAKE, err, errlen);
	if (spent <= 0)
		return spent;
	int64_t wait = rate_wait(s, bucket, now_ms, err, errlen);
	if (wait != 0)
		return wait;
	st = use(s, ST_RATE_BLIND);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	return run(s, ST_RATE_BLIND, err, errlen);
}

static int64_t sq_rate_take(void *b, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	int64_t rc = rate_take(s, bucket, reserve, now_ms, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_rate_update(void *b, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err,
			  size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_RATE_UPDATE);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	int64_t v[5] = { w->reset_s, w->reset_ms, w->remaining, w->limit, now_ms };
	for (int i = 0; i < 5; i++)
		sqlite3_bind_int64(st, i + 2, v[i]);
	int rc = run(s, ST_RATE_UPDATE, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_rate_read(void *b, const char *bucket, struct rate_window *w, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_RATE_READ);
	sqlite3_bind_text(st, 1, bucket, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		w->reset_s = sqlite3_column_int64(st, 0);
		w->reset_ms = sqlite3_column_int64(st, 1);
		w->remaining = sqlite3_column_int64(st, 2);
		w->limit = sqlite3_column_int64(st, 3);
	}
	int rc = done(s, ST_RATE_READ, step == SQLITE_ROW ? SQLITE_DONE : step, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? -1 : step == SQLITE_ROW ? 0 : 1;
}

/* ---- the reconciler's cursor and lease ---- */

static int sq_cursor_lease(void *b, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
			   int64_t *cursor_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_CURSOR_LEASE);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, now_ms);
	sqlite3_bind_int64(st, 4, ttl_ms);
	int step = sqlite3_step(st), held = step == SQLITE_ROW;
	if (held) {
		*cursor_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		step = sqlite3_step(st);
	}
	int rc = done(s, ST_CURSOR_LEASE, step, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? -1 : held;
}

static int sq_cursor_advance(void *b, const char *name, const char *owner, int64_t cursor_ms, int64_t found,
			     int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_CURSOR_ADVANCE);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, owner, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 3, cursor_ms);
	sqlite3_bind_int64(st, 4, now_ms);
	sqlite3_bind_int64(st, 5, found);
	int rc = run(s, ST_CURSOR_ADVANCE, err, errlen);
	int changed = sqlite3_changes(s->db);
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? -1 : changed == 1 ? 0 : 1;
}

static int sq_cursor_read(void *b, const char *name, struct journal_cursor *c, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_CURSOR_READ);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		c->cursor_ms = sqlite3_column_type(st, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(st, 0);
		c->updated_ms = sqlite3_column_int64(st, 1);
		const unsigned char *o = sqlite3_column_text(st, 2);
		snprintf(c->owner, sizeof(c->owner), "%s", o ? (const char *)o : "");
		c->lease_expires_ms = sqlite3_column_int64(st, 3);
		c->found = sqlite3_column_int64(st, 4);
	}
	int rc = done(s, ST_CURSOR_READ, step == SQLITE_ROW ? SQLITE_DONE : step, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc < 0 ? -1 : step == SQLITE_ROW ? 0 : 1;
}

/* ---- hookd's own requests and per-source status ---- */

static int sq_request_record(void *b, const char *request_id, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_REQ_RECORD);
	sqlite3_bind_text(st, 1, request_id, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	int rc = run(s, ST_REQ_RECORD, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int64_t sq_requests_prune(void *b, int64_t before_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	pthread_mutex_lock(&s->mu);
	sqlite3_bind_int64(use(s, ST_REQ_PRUNE), 1, before_ms);
	int64_t rc = run(s, ST_REQ_PRUNE, err, errlen);
	if (rc == 0)
		rc = sqlite3_changes(s->db);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int64_t sq_prune(void *b, enum journal_prune_step step, int dry_run, int64_t before_ms, int limit, char *err,
			size_t errlen)
{
	struct sq *s = b;
	enum stmt i = (enum stmt)(ST_PRUNE_JOBS + (int)step + (dry_run ? 3 : 0));
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, i);
	sqlite3_bind_int64(st, 1, before_ms);
	int64_t rc;
	if (dry_run) {
		int step_rc = sqlite3_step(st);
		int64_t n = step_rc == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
		rc = done(s, i, step_rc == SQLITE_ROW ? SQLITE_DONE : step_rc, err, errlen) < 0 ? -1 : n;
	} else {
		sqlite3_bind_int(st, 2, limit);
		rc = run(s, i, err, errlen);
		if (rc == 0)
			rc = sqlite3_changes(s->db);
	}
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_source_note(void *b, const char *source, const char *refusal, int64_t now_ms, char *err, size_t errlen)
{
	struct sq *s = b;
	enum stmt i = refusal ? ST_SRC_REFUSED : ST_SRC_ACCEPTED;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, i);
	sqlite3_bind_text(st, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, now_ms);
	if (refusal)
		sqlite3_bind_text(st, 3, refusal, -1, SQLITE_STATIC);
	int rc = run(s, i, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

static int sq_source_status(void *b, struct source_status **rows, size_t *n, char *err, size_t errlen)
{
	struct sq *s = b;
	size_t cap = 0;
	pthread_mutex_lock(&s->mu);
	sqlite3_stmt *st = use(s, ST_SRC_LIST);
	int step;
	while ((step = sqlite3_step(st)) == SQLITE_ROW) {
		struct source_status *g = grow(*rows, *n, &cap, sizeof(**rows));
		if (!g)
			break;
		*rows = g;
		struct source_status *r = &g[(*n)++];
		r->source = col_dup(st, 0);
		r->accepted_ms = sqlite3_column_int64(st, 1);
		r->refused_ms = sqlite3_column_int64(st, 2);
		r->refusal = col_dup(st, 3);
	}
	int rc = done(s, ST_SRC_LIST, step, err, errlen);
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* Redeliveries answered from journal.c's cache: each pair's count added in one transaction. */
static int sq_add_duplicates(void *b, const struct journal_dup_count *c, size_t n, char *err, size_t errlen)
{
	struct sq *s = b;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		goto out;
	for (size_t i = 0; i < n; i++) {
		sqlite3_stmt *st = use(s, ST_ADD_DUPS);
		bind_text(st, 1, c[i].source);
		bind_text(st, 2, c[i].dedupe_key);
		sqlite3_bind_int64(st, 3, c[i].n);
		if (run(s, ST_ADD_DUPS, err, errlen) < 0) {
			exec(s, "ROLLBACK", NULL, 0);
			goto out;
		}
	}
	if (exec(s, "COMMIT", err, errlen) < 0) {
		exec(s, "ROLLBACK", NULL, 0);
		goto out;
	}
	rc = 0;
out:
	pthread_mutex_unlock(&s->mu);
	return rc;
}

/* One person's erasure (journal_forget): counted, then erased, in one write transaction. */
static int sq_forget(void *b, const char *who, int flags, int64_t now_ms, struct journal_forget_result *res, char *err,
		     size_t errlen)
{
	struct sq *s = b;
	int rc = -1;
	pthread_mutex_lock(&s->mu);
	if (exec(s, "BEGIN IMMEDIATE", err, errlen) < 0)
		goto out;
	sqlite3_stmt *st = use(s, ST_FORGET_N);
	sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
	int step = sqlite3_step(st);
	if (step == SQLITE_ROW) {
		int64_t *v[] = { &res->events, &res->records, &res->jobs, &res->pending, &res->running };
		for (int i = 0; i < 5; i++)
			*v[i] = sqlite3_column_int64(st, i);
	}
	int ok = done(s, ST_FORGET_N, step == SQLITE_ROW ? SQLITE_DONE : step, err, errlen) == 0;
	res->refused = ok && journal_forget_refuses(res, flags);
	int change = ok && !res->refused && !(flags & JOURNAL_FORGET_DRY_RUN);
	if (change) {
		st = use(s, ST_FORGET_JOBS);
		sqlite3_bind_text(st, 1, who, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, JOURNAL_FORGET_CANCELLED, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, now_ms);
		ok = run(s, ST_FORGET_JOBS, err, errlen) == 0;
	}
	if (change && ok) {
		sqlite3_bind_text(use(s, ST_FORGET_EVENTS), 1, who, -1, SQLITE_STATIC);
		ok = run(s, ST_FORGET_EVENTS, err, errlen) == 0;
	}
	if (change && ok && exec(s, "COMMIT", err, errlen) == 0)
		rc = 0;
	else if (!change && ok)
		rc = 0;
	if (rc < 0 || !change)
		exec(s, "ROLLBACK", NULL, 0);
out:
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
	.cancel = sq_cancel,
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
	.request_record = sq_request_record,
	.requests_prune = sq_requests_prune,
	.prune = sq_prune,
	.source_note = sq_source_note,
	.source_status = sq_source_status,
	.add_duplicates = sq_add_duplicates,
	.forget = sq_forget,
};
