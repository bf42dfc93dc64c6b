/* journal.h: the durable journal of events and the jobs derived from them (SQLite or PostgreSQL). */
#ifndef HOOKD_JOURNAL_H
#define HOOKD_JOURNAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

struct journal;
struct config;

/* Where the journal lives. Strings are borrowed for the duration of journal_open only. */
struct journal_opts {
	const char *backend;  /* "sqlite" or "postgres" */
	const char *path;     /* sqlite: database file */
	const char *url;      /* postgres: connection URI, NULL for libpq's PG* variables */
	int group_commit_max; /* most events in one transaction */
	int pool_size;	      /* postgres connections */
	int dedupe_cache;     /* durable events remembered to answer redeliveries; 0: 8192, -1: none */
	char *owned;	      /* internal: the url read from url_file, freed by journal_opts_free */
};

/* A job that a rule derives from an event; stored in the event's transaction. */
struct job_spec {
	const char *action;  /* an action name (handlers/actions.h: action_parse) */
	const char *rule;    /* name of the rule that made it, or "admin" */
	const char *subject; /* Okta user id or login the action applies to */
	const char *params;  /* JSON object text (profile, groups, options), or NULL */
	int64_t run_at_ms;   /* unix ms; 0 = now */
	int max_attempts;    /* 0: the worker's default */
	/*
	 * NULL, or a key that names "the" job of its kind for a subject (send_activation:<employee>).
	 * When a pending job with the same key exists, it is moved (run_at, params) instead of adding one.
	 */
	const char *job_key;
	/*
	 * 1: not added when the commit finds the event is hookd's own echo by its request ids
	 * (journal_event.echo_lookup): the rule that made it does not set include_self.
	 */
	int unless_echo;
};

/* One normalized event. Every string is borrowed; NULL means unknown. */
struct journal_event {
	const char *source;	   /* "okta", "hr:<name>", "admin" */
	const char *dedupe_key;	   /* unique per source: a redelivery repeats it */
	const char *delivery_id;   /* the envelope's id (Okta eventId, webhook-id) */
	const char *type;	   /* user.lifecycle.create, employee.created, ... */
	const char *occurred_at;   /* RFC 3339 as the source gave it */
	const char *subject_id;	   /* Okta user id or employee id */
	const char *subject_login; /* Okta login (alternateId) or work email */
	const char *subject_name;  /* display name */
	const char *actor_id;	   /* who caused it (Okta actor id) */
	const char *subject_json;  /* normalized profile as a JSON object text, or NULL */
	const char *status;	   /* NULL or "accepted"; "rejected" for payloads a mapping could not read */
	const char *reason;	   /* why rejected */
	struct slice raw;	   /* the event's own JSON, stored verbatim */
	/* Okta only, not stored as columns (raw holds them): which request and credential caused it. */
	const char *request_id;	      /* transaction.id */
	const char *debug_request_id; /* debugContext.debugData.requestId */
	const char *api_token_id;     /* transaction.detail.requestApiTokenId */
	const char *actor_type;	      /* actor.type */
	/* Set by the intake (handlers/echo.h): why this is hookd's own echo, NULL when it is not. */
	const char *echo;
	/*
	 * 1: journal_commit looks request_id and debug_request_id up among hookd's recorded requests
	 * (journal_request_record), once for its whole group commit; when one is known and the event is
	 * stored, its jobs marked unless_echo are not added and its outcome is JOURNAL_STORED_ECHO.
	 */
	int echo_lookup;
	const struct job_spec *jobs;
	size_t njobs;
};

enum journal_outcome {
	JOURNAL_STORED = 0,
	JOURNAL_DUPLICATE = 1,
	JOURNAL_STORED_ECHO = 2, /* stored, and hookd's own echo by request id (only with echo_lookup) */
};

/* A job as stored. Strings are owned by the row; free with journal_jobs_free. */
struct job {
	int64_t id, event_id;
	char *action, *rule, *subject, *params, *state, *lease_owner, *last_error, *result, *job_key;
	int attempts, max_attempts;
	int64_t run_at_ms, created_ms, updated_ms, lease_expires_ms;
	/*
	 * A claim found this pending job waiting behind job held_by of its subject (0: not known to
	 * wait, or not pending). Set when a claim passed it over; cleared when that job changes. It
	 * informs; the ordering rule decides.
	 */
	int64_t held_by;
};

/* An event as stored, for inspection. Free with journal_events_free. */
struct event_row {
	int64_t id, received_ms;
	char *source, *dedupe_key, *delivery_id, *type, *occurred_at, *subject_id, *subject_login, *subject_name,
		*actor_id, *status, *reason, *subject_json, *raw;
	int duplicates;
};

/*
 * Opens (creating and migrating as needed) the journal and starts its group committer.
 * Returns NULL with err filled when the store cannot be opened or migrated.
 */
struct journal *journal_open(const struct journal_opts *opts, char *err, size_t errlen);
/* Reads [store] into opts (strings point into c). Problems are reported to c; returns -1 then. */
int journal_opts_from_config(struct config *c, struct journal_opts *opts);
/* Frees what journal_opts_from_config allocated; NULL-safe. */
void journal_opts_free(struct journal_opts *opts);
/* Stops the committer after the queued commits are durable, then closes. NULL-safe. */
void journal_close(struct journal *j);

/*
 * Durably stores n events, each with its jobs, and returns only once they are on disk (several
 * callers' events share one transaction and one fsync). out[i] says whether event i was stored or
 * was a duplicate (same source and dedupe_key as a stored one; its jobs are then not added and its
 * duplicate count is raised). Jobs are numbered (job ids) in the order of ev[] and of each event's
 * jobs, the order journal_claim keeps for one person. Events with echo_lookup are looked up in one
 * query for the whole group (JOURNAL_STORED_ECHO). When that lookup fails, SQLite stores them as
 * anyone's, with a warning logged; on PostgreSQL the commit fails, as for any of its statements.
 * Returns 0, or -1 with err filled when nothing of the call was stored. Thread-safe.
 */
int journal_commit(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out, char *err,
		   size_t errlen);

/*
 * 1 when every one of the n events is a redelivery of a pair this process knows is durable: out[i]
 * is JOURNAL_DUPLICATE for each, their duplicate counts are queued, and nothing else need be done
 * (journal_commit would answer the same without a write). 0 otherwise, with nothing counted; the
 * caller then goes through journal_commit, where the unique index stays the judge. Thread-safe.
 */
int journal_answer_known(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out);

/*
 * Claims up to max due pending jobs (run_at <= now), or running jobs whose lease expired, for owner,
 * leasing them for lease_ms. *jobs is a malloc'd array of *n jobs (free with journal_jobs_free).
 * One person's jobs run one at a time, in the order they were added: a due job is passed over while
 * another job of its person is running, or while an earlier one is due or waiting for a retry
 * (tried before, or deferred). An earlier job scheduled ahead and never tried (an activation on the
 * start date) holds nothing back, nor does a dead one. Exact across instances (PostgreSQL claims
 * take turns under an advisory lock). A job passed over is marked held behind the job in its way
 * (job.held_by) and skipped by later claims until that job changes, so how many jobs wait costs a
 * claim nothing once they are marked. A job's person is its event's login, else its subject, ASCII
 * case folded (JOB_PERSON in store/backend.h), so an HR job by login and an Okta job by user id for
 * one login are ordered. Returns with none only when no job is claimable.
 */
int journal_claim(struct journal *j, const char *owner, int64_t lease_ms, int max, struct job **jobs, size_t *n,
		  char *err, size_t errlen);

/*
 * A job's state, as the journal stores, filters and counts it. journal_job_states[s] is its name
 * ("pending", "running", "done", "dead"), the text the backends store.
 */
enum job_state {
	JOB_STATE_PENDING,
	JOB_STATE_RUNNING,
	JOB_STATE_DONE,
	JOB_STATE_DEAD,
	JOB_STATE_COUNT,
};
extern const char *const journal_job_states[JOB_STATE_COUNT];
/* The state's name; NULL when out of range. */
const char *journal_job_state_name(enum job_state s);
/* "pending" -> JOB_STATE_PENDING ...; 0, or -1 for any other name (NULL included). */
int journal_job_state_parse(const char *name, enum job_state *out);

enum job_outcome {
	JOB_DONE,
	JOB_RETRY,
	JOB_DEAD,
	JOB_DEFER,
	JOB_OUTCOME_COUNT,
};
/* "done", "retry", "dead", "deferred" (metric labels and logs); "unknown" when out of range. */
const char *journal_job_outcome_name(enum job_outcome oc);
/*
 * Records what became of a job claimed by owner: done (with result text), retry at next_run_ms
 * (the claim counted the attempt; with error), dead (with error), or deferred to next_run_ms with
 * the claim's attempt given back (Okta's rate limit held it up: waiting is not failing). Returns 1 when the lease was no longer owner's
 * (the job was taken over), 0 on success, -1 on a store error.
 */
int journal_job_finish(struct journal *j, int64_t id, const char *owner, enum job_outcome outcome, int64_t next_run_ms,
		       const char *text, char *err, size_t errlen);
/* Operator retry: a dead (or done) job goes back to pending, due now, attempts reset. 1 if no such job. */
int journal_job_requeue(struct journal *j, int64_t id, char *err, size_t errlen);

/*
 * Operator cancel: a pending job (not yet claimed) ends dead with last_error why, so no worker runs
 * it. 0, 1 when there is no pending job with that id (running, finished or unknown), -1 on a store error.
 */
int journal_job_cancel(struct journal *j, int64_t id, const char *why, char *err, size_t errlen);

/* Newest first; every filter is applied by the store (indexed), so a page of limit rows is exact. NULL/0: any. */
struct journal_query {
	const char *state;  /* jobs: a journal_job_states name */
	const char *source; /* events */
	int limit;
	int64_t before_id;   /* 0: from the newest */
	int64_t id;	     /* nonzero: that row only */
	const char *job_key; /* jobs: only the job with this job_key */
	const char *subject; /* events: subject_id or subject_login; jobs: subject, or its event's subject_login */
	const char *action;  /* jobs: only this action */
	int64_t since_ms;    /* events received, jobs created at or after this unix ms; 0: any */
	const char *type;    /* events: only this type */
	const char *status;  /* events: "accepted" or "rejected" only */
	int64_t until_ms;    /* events received at or before this unix ms; 0: any */
	int64_t event_id;    /* jobs: only the jobs of this event; 0: any */
};
int journal_list_events(struct journal *j, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			size_t errlen);
int journal_list_jobs(struct journal *j, const struct journal_query *q, struct job **rows, size_t *n, char *err,
		      size_t errlen);
void journal_events_free(struct event_row *rows, size_t n);
void journal_jobs_free(struct job *rows, size_t n);

/* Counts for /metrics and `hookd jobs`: counts[s] jobs in state s. */
int journal_job_counts(struct journal *j, int64_t counts[JOB_STATE_COUNT], char *err, size_t errlen);
/* journal_job_counts, and the run_at (unix ms) of the pending job due first, 0 when none is pending. */
int journal_job_stats(struct journal *j, int64_t counts[JOB_STATE_COUNT], int64_t *oldest_pending_ms, char *err,
		      size_t errlen);

/* 0 when the journal can take a write now (for /readyz). */
int journal_ping(struct journal *j, char *err, size_t errlen);

/*
 * Waits up to timeout_ms for a commit that added jobs (or for journal_wake), so idle workers start
 * new work at once. Returns 1 when woken, 0 on timeout.
 */
int journal_wait_jobs(struct journal *j, int64_t timeout_ms);
void journal_wake(struct journal *j);

/*
 * The Okta rate budget shared by every instance on one journal (the cross-instance half of the
 * okta governor). One row per bucket name holds the window Okta last reported: reset_s is Okta's
 * X-Rate-Limit-Reset (the window's identity), reset_ms the same instant on the recording
 * instance's clock (instances must keep their clocks in sync, e.g. NTP), remaining and limit.
 * The okta governor plugs these in with okta_governor_new_ops: its take calls journal_rate_take
 * with okta_bucket_name(b) and its reserve (falling back to an in-memory governor on -1), its
 * update calls journal_rate_update with the response's struct okta_rate fields.
 */
struct rate_window {
	int64_t limit, remaining, reset_s, reset_ms;
};

/*
 * Takes one request from bucket's shared budget at now_ms. Returns 0 to go now (the request is
 * counted as spent by every instance), a positive number of milliseconds to wait (no more than
 * min(reserve, limit - 1) requests are left in the window), or -1 with err filled when the store
 * cannot answer (the caller should fall back to its per-process budget). A bucket never recorded,
 * or whose window has reset, returns 0 without spending. One atomic statement: concurrent takers
 * on several instances never spend the same request twice. Thread-safe.
 */
int64_t journal_rate_take(struct journal *j, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen);
/*
 * Records what a response's X-Rate-Limit-* headers said about bucket: a newer window (larger
 * reset_s) replaces the row, the same window only lowers remaining (responses of concurrent
 * requests arrive out of order), an older window is ignored. Returns 0, or -1 with err filled.
 */
int journal_rate_update(struct journal *j, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err,
			size_t errlen);
/* Reads bucket's row into *w: 0, 1 when the bucket was never recorded, -1 on a store error. */
int journal_rate_read(struct journal *j, const char *bucket, struct rate_window *w, char *err, size_t errlen);

/*
 * ---- the System Log reconciler's cursor and lease (handlers/reconcile.c) ----
 * One row per name ("okta_logs") holds the cursor (unix ms of the newest published time up to
 * which every event is durable, -1 before the first run) and a lease, so that only one instance
 * polls at a time: the holder renews it; when the holder dies another takes over once it expires.
 */
struct journal_cursor {
	int64_t cursor_ms;	  /* -1: never set */
	int64_t updated_ms;	  /* when it last moved */
	int64_t lease_expires_ms; /* 0: no lease */
	int64_t found;		  /* events only the reconciler found, all instances, since the row exists */
	char owner[128];	  /* the lease holder, "" when none */
};

/*
 * Takes or renews the lease name for owner until now_ms + ttl_ms (ttl_ms 0 gives it up). Returns 1
 * when owner holds it (*cursor_ms filled, -1 when never set), 0 when another holder's lease is
 * still running, -1 with err filled on a store error. One atomic statement.
 */
int journal_cursor_lease(struct journal *j, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
			 int64_t *cursor_ms, char *err, size_t errlen);
/*
 * Moves the cursor of name to cursor_ms and adds found (events only the reconciler found since the
 * last move) to the row's total, only while owner holds the lease. Call it only after the events up
 * to cursor_ms are durable. Returns 0, 1 when the lease is no longer owner's (nothing
 * written), -1 with err filled.
 */
int journal_cursor_advance(struct journal *j, const char *name, const char *owner, int64_t cursor_ms, int64_t found,
			   int64_t now_ms, char *err, size_t errlen);
/* Reads name's row: 0, 1 when it does not exist yet (c->cursor_ms = -1), -1 with err filled. */
int journal_cursor_read(struct journal *j, const char *name, struct journal_cursor *c, char *err, size_t errlen);

/*
 * hookd's own Okta requests: the X-Okta-Request-Id of every call hookd made that can cause an
 * event, shared by every instance on the journal, so that an event whose transaction.id names one
 * of them is told as hookd's echo (handlers/echo.h).
 */
/* Records request_id (at most JOURNAL_REQUEST_ID_MAX bytes) at now_ms; again: the time moves. 0, or -1 with err. */
#define JOURNAL_REQUEST_ID_MAX 128
int journal_request_record(struct journal *j, const char *request_id, int64_t now_ms, char *err, size_t errlen);
/*
 * Retention (docs/data.md). A dedupe key outlives its event's content: an event's row (with its
 * dedupe key) stays JOURNAL_DEDUPE_KEEP_MS after it was received even when retain_events is
 * shorter, so that a sender's late redelivery is still told from a new event; only its raw body
 * and subject fields are scrubbed at retain_events.
 */
#define JOURNAL_DEDUPE_KEEP_MS (7LL * 24 * 3600 * 1000)
enum journal_prune_step {
	JOURNAL_PRUNE_JOBS,   /* done and dead jobs last updated before the cutoff: deleted */
	JOURNAL_PRUNE_SCRUB,  /* events received before the cutoff, with no job left: raw 'null', subject NULL */
	JOURNAL_PRUNE_EVENTS, /* events received before the cutoff, with no job left: deleted */
};
struct journal_prune_result {
	int64_t jobs, scrubbed, events;
};
/*
 * Prunes in batches of batch rows (each its own short transaction, so intake waits at most one
 * batch): finished jobs older than retain_jobs_ms, event content older than retain_events_ms and
 * event rows older than max(retain_events_ms, JOURNAL_DEDUPE_KEEP_MS); a retention of 0 keeps
 * forever. Events that still have a job are kept whole. Stops after max_batches batches per step
 * (0: no bound). dry_run counts what would go and changes nothing. res gets the counts. Returns 0,
 * or -1 with err filled (what went before the failure stays gone).
 */
int journal_prune(struct journal *j, int64_t now_ms, int64_t retain_jobs_ms, int64_t retain_events_ms, int batch,
		  int max_batches, int dry_run, struct journal_prune_result *res, char *err, size_t errlen);

/*
 * Erasing one person (`hookd people forget`, docs/data.md). who is a login, an Okta user id or an
 * employee id. The person is who, plus every subject_id of an event whose subject_login is who and
 * every subject_login of an event whose subject_id is who (one step: an HR record and the Okta
 * events of one login are linked that way). Logins compare case-insensitively, ids exactly.
 * Their events (HR, Okta, operator, activation records) lose raw ('null'), subject_json, reason and
 * the subject fields; their jobs (by subject, or by belonging to one of those events) lose params,
 * subject, person, result, last_error and job_key. Rows, types, times and counts stay.
 * A running job, or a pending one without JOURNAL_FORGET_CANCEL_PENDING, refuses the whole erasure
 * (nothing changes: a job still needs its params, and a half-done erasure would lose the links a
 * second run needs). With the flag, pending jobs end dead ("cancelled: ...") and are erased too.
 * One transaction; the queries scan both tables (an operator command, no index of its own).
 */
enum {
	JOURNAL_FORGET_DRY_RUN = 1,	  /* count, change nothing */
	JOURNAL_FORGET_CANCEL_PENDING = 2 /* cancel the person's pending jobs instead of refusing */
};
#define JOURNAL_FORGET_CANCELLED "cancelled: the person was forgotten (hookd people forget)"
struct journal_forget_result {
	int64_t events;	 /* events (not activation records) erased */
	int64_t records; /* activation records (source "hookd") erased */
	int64_t jobs;	 /* done and dead jobs erased */
	int64_t pending; /* pending jobs: cancelled and erased, or the reason for a refusal */
	int64_t running; /* running jobs: always a refusal */
	int refused;	 /* 1: nothing was (or would be) changed because of pending or running jobs */
};
/* 0 (see res->refused), or -1 with err filled (nothing erased). */
int journal_forget(struct journal *j, const char *who, int flags, struct journal_forget_result *res, char *err,
		   size_t errlen);

/* Forgets the requests recorded before before_ms. Returns how many went, or -1 with err filled. */
int64_t journal_requests_prune(struct journal *j, int64_t before_ms, char *err, size_t errlen);

/*
 * Each source's last accepted delivery and last refusal, one row per source (for `hookd doctor`).
 * Writers note at most about once a second per source (the caller throttles), never per request.
 */
struct source_status {
	char *source, *refusal;		 /* refusal: the last refusal's reason, NULL when none */
	int64_t accepted_ms, refused_ms; /* unix ms, 0 when never */
};
/* refusal NULL: an accepted delivery at now_ms; else a refusal with that reason. 0, or -1 with err. */
int journal_source_note(struct journal *j, const char *source, const char *refusal, int64_t now_ms, char *err,
			size_t errlen);
/* Every source's row, by source name; free with journal_source_status_free. 0, or -1 with err. */
int journal_source_status(struct journal *j, struct source_status **rows, size_t *n, char *err, size_t errlen);
void journal_source_status_free(struct source_status *rows, size_t n);

#endif
