/* backend.h: what a journal backend implements; journal.c adds group commit and wake-ups on top. */
#ifndef HOOKD_STORE_BACKEND_H
#define HOOKD_STORE_BACKEND_H

#include "store/journal.h"

/*
 * The person a job is for, which orders it: its event's login, else its subject, with ASCII letters
 * folded (Okta logins are case-insensitive); NULL for a job without a subject. So an HR job (subject:
 * the login) and an Okta one (subject: the user id, its event naming the login) for one person wait
 * for each other. subject, login: SQL text expressions (login may be NULL); fold: what makes lower()
 * fold ASCII only ("" in SQLite; COLLATE "C" in PostgreSQL, whatever the database's locale).
 */
#define JOB_PERSON(subject, login, fold) \
	"CASE WHEN " subject " IS NULL THEN NULL ELSE lower(coalesce(nullif(" login ", ''), " subject ") " fold ") END"

/*
 * Migration 9 of both backends: the person column, filled for the jobs already stored from their
 * event's login (else their subject), and two small indexes the ordering rule reads: a person's
 * pending jobs by id, and their running ones. fold: as JOB_PERSON's; id: the id column for the
 * first index ("id" in PostgreSQL; in SQLite the rowid, which every index ends with).
 */
/* clang-format off */
#define JOB_PERSON_MIGRATION(fold, id)                                                                \
	"ALTER TABLE jobs ADD COLUMN person TEXT;"                                                    \
	"UPDATE jobs SET person = "                                                                   \
	JOB_PERSON("subject", "(SELECT e.subject_login FROM events e WHERE e.id = jobs.event_id)", fold) \
	";"                                                                                           \
	"CREATE INDEX jobs_person_pending ON jobs (person" id ") WHERE state = 'pending';"            \
	"CREATE INDEX jobs_person_running ON jobs (person) WHERE state = 'running';"
/* clang-format on */

/*
 * The ordering rule of one person's jobs, in the SQL both backends speak (k, j: table aliases; now:
 * a parameter). Job k is in the way of pending job j when both are the person's and k is running,
 * or k is earlier, pending and due, waiting for a retry (tried) or deferred (its error kept). Each
 * half reads one of migration 9's indexes, so proving that nothing is in a job's way costs two
 * index probes however many jobs the person has queued.
 */
/* clang-format off */
#define JOB_RUNNING_BLOCKER(k, j) \
	k ".person = " j ".person AND " k ".state = 'running' AND " k ".id <> " j ".id"
#define JOB_EARLIER_BLOCKER(k, j, now) \
	k ".person = " j ".person AND " k ".state = 'pending' AND " k ".id < " j ".id" \
	" AND (" k ".run_at_ms <= " now " OR " k ".attempts > 0 OR " k ".last_error IS NOT NULL)"
/* True when pending job j has a job in its way. */
#define JOB_BLOCKED(j, now) \
	"(EXISTS (SELECT 1 FROM jobs k WHERE " JOB_RUNNING_BLOCKER("k", j) ")" \
	" OR EXISTS (SELECT 1 FROM jobs k WHERE " JOB_EARLIER_BLOCKER("k", j, now) "))"
/*
 * The job j is marked held behind (held_by): the latest earlier pending one in its way, else the
 * running one. Any job in its way will do: j cannot become free while that job stays as it is, and
 * any change to it clears the mark (migration 8's triggers).
 */
#define JOB_HOLDER(j, now) \
	"coalesce((SELECT k.id FROM jobs k WHERE " JOB_EARLIER_BLOCKER("k", j, now) " ORDER BY k.id DESC LIMIT 1)," \
	" (SELECT k.id FROM jobs k WHERE " JOB_RUNNING_BLOCKER("k", j) " LIMIT 1))"
/* clang-format on */

/* Redeliveries answered from journal.c's cache, to be added to the events' duplicate counts. */
struct journal_dup_count {
	const char *source, *dedupe_key;
	uint32_t n;
};

/*
 * Every function is called with the backend's own handle b and must be thread-safe with respect
 * to the others (journal.c calls write only from its committer thread, add_duplicates only from
 * one thread at a time, the rest from any thread).
 * Times are passed in so that the backend never reads the clock itself.
 */
struct journal_backend {
	const char *name;
	void *(*open)(const struct journal_opts *o, char *err, size_t errlen);
	void (*close)(void *b);
	/*
	 * Stores ev[0..n) with their jobs in ONE transaction, durable when it returns 0. out[i] is
	 * STORED or DUPLICATE; *jobs_added counts jobs inserted or moved. On -1 nothing is stored.
	 * The request ids of the events that ask (journal_echo_ids) are looked up among okta_requests in
	 * the same transaction, in one query: a stored event with one of them is hookd's echo, its jobs
	 * marked unless_echo are not added and out[i] is STORED_ECHO.
	 */
	int (*write)(void *b, const struct journal_event *const *ev, size_t n, int64_t now_ms,
		     enum journal_outcome *out, int *jobs_added, char *err, size_t errlen);
	int (*claim)(void *b, const char *owner, int64_t now_ms, int64_t lease_ms, int max, struct job **jobs,
		     size_t *n, char *err, size_t errlen);
	int (*finish)(void *b, int64_t id, const char *owner, enum job_outcome oc, int64_t now_ms, int64_t next_run_ms,
		      const char *text, char *err, size_t errlen);
	int (*requeue)(void *b, int64_t id, int64_t now_ms, char *err, size_t errlen);
	int (*cancel)(void *b, int64_t id, int64_t now_ms, const char *why, char *err, size_t errlen);
	int (*list_events)(void *b, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			   size_t errlen);
	int (*list_jobs)(void *b, const struct journal_query *q, struct job **rows, size_t *n, char *err,
			 size_t errlen);
	/* counts by state, and the smallest run_at_ms of a pending job (0: none) */
	int (*job_counts)(void *b, int64_t counts[JOB_STATE_COUNT], int64_t *oldest_pending_ms, char *err,
			  size_t errlen);
	int (*ping)(void *b, int64_t now_ms, char *err, size_t errlen);
	/* Optional: block up to timeout_ms for another instance's new jobs (PostgreSQL LISTEN). NULL: none. */
	int (*wait_remote)(void *b, int64_t timeout_ms);
	/* Optional: make wait_remote callers return now (journal_wake). NULL: none. */
	void (*wake)(void *b);
	/* The shared rate budget; same contracts as journal_rate_take/update/read. */
	int64_t (*rate_take)(void *b, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen);
	int (*rate_update)(void *b, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err,
			   size_t errlen);
	int (*rate_read)(void *b, const char *bucket, struct rate_window *w, char *err, size_t errlen);
	/* The reconciler's cursor and lease; same contracts as journal_cursor_lease/advance/read. */
	int (*cursor_lease)(void *b, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
			    int64_t *cursor_ms, char *err, size_t errlen);
	int (*cursor_advance)(void *b, const char *name, const char *owner, int64_t cursor_ms, int64_t found,
			      int64_t now_ms, char *err, size_t errlen);
	int (*cursor_read)(void *b, const char *name, struct journal_cursor *c, char *err, size_t errlen);
	/*
	 * hookd's own requests; same contracts as journal_request_record/requests_prune. They are looked
	 * up only inside write (events marked echo_lookup): journal_echo_ids.
	 */
	int (*request_record)(void *b, const char *request_id, int64_t now_ms, char *err, size_t errlen);
	int64_t (*requests_prune)(void *b, int64_t before_ms, char *err, size_t errlen);
	/* One batch of retention (journal_prune): at most limit rows of step; dry_run counts them all. */
	int64_t (*prune)(void *b, enum journal_prune_step step, int dry_run, int64_t before_ms, int limit, char *err,
			 size_t errlen);
	/* Erases one person in one transaction; same contract as journal_forget. */
	int (*forget)(void *b, const char *who, int flags, int64_t now_ms, struct journal_forget_result *res, char *err,
		      size_t errlen);
	/* Per-source status; same contracts as journal_source_note/journal_source_status. */
	int (*source_note)(void *b, const char *source, const char *refusal, int64_t now_ms, char *err, size_t errlen);
	int (*source_status)(void *b, struct source_status **rows, size_t *n, char *err, size_t errlen);
	/*
	 * Optional: raises the duplicate count of each stored event (source, key) by c[i].n, in one
	 * transaction (redeliveries journal.c answered from its cache of durable keys). A pair with no
	 * row is skipped. NULL: journal.c keeps no such cache.
	 */
	int (*add_duplicates)(void *b, const struct journal_dup_count *c, size_t n, char *err, size_t errlen);
};

/*
 * The echo lookup of a write (journal_event.echo_lookup): the request ids of ev[0..n) to look up as a
 * JSON array of strings, malloc'd; NULL when no event asks (or out of memory: *oom is then 1, and
 * the events are written as anyone's).
 */
char *journal_echo_ids(const struct journal_event *const *ev, size_t n, int *oom);
/* Sets echo[i] to 1 for each event of ev[0..n) that asked and has id (a row the lookup found). */
void journal_echo_found(const struct journal_event *const *ev, size_t n, const char *id, unsigned char *echo);

/* 1 when counts in res refuse the erasure under flags (journal_forget: running, or pending without the flag). */
int journal_forget_refuses(const struct journal_forget_result *res, int flags);

extern const struct journal_backend journal_backend_sqlite;
extern const struct journal_backend journal_backend_postgres;

#endif
