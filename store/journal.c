/* journal.c: the journal's public face: backend choice, group commit, job wake-ups, metrics. */
#include "store/journal.h"
#include "store/backend.h"
#include "store/seen.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/jbuf.h"
#include "core/metrics.h"

#include <linux/futex.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

const char *const journal_job_states[JOB_STATE_COUNT] = {
	[JOB_STATE_PENDING] = "pending",
	[JOB_STATE_RUNNING] = "running",
	[JOB_STATE_DONE] = "done",
	[JOB_STATE_DEAD] = "dead",
};

static const char *const outcome_names[JOB_OUTCOME_COUNT] = {
	[JOB_DONE] = "done",
	[JOB_RETRY] = "retry",
	[JOB_DEAD] = "dead",
	[JOB_DEFER] = "deferred",
};

const char *journal_job_state_name(enum job_state s)
{
	return (unsigned)s < JOB_STATE_COUNT ? journal_job_states[s] : NULL;
}

int journal_job_state_parse(const char *name, enum job_state *out)
{
	for (int s = 0; name && s < JOB_STATE_COUNT; s++) {
		if (strcmp(name, journal_job_states[s]) == 0) {
			*out = (enum job_state)s;
			return 0;
		}
	}
	return -1;
}

const char *journal_job_outcome_name(enum job_outcome oc)
{
	return (unsigned)oc < JOB_OUTCOME_COUNT ? outcome_names[oc] : "unknown";
}

/*
 * Group commit. A caller queues its request and sleeps on its own futex word; the committer thread
 * takes the whole queue (up to group_max events), writes it in one transaction and wakes each
 * caller. j->mu guards only the queue, for a few instructions at a time; no wake-up happens under
 * it, each caller is woken exactly once, and the committer itself is woken only when it was idle
 * (under load it goes from one batch to the next without sleeping).
 */
enum req_state { REQ_QUEUED, REQ_SLEEPING, REQ_DONE };

/* One caller's events in the queue. Lives on the caller's stack until its state is DONE. */
struct commit_req {
	const struct journal_event *ev;
	size_t n;
	enum journal_outcome *out;
	int rc;
	_Atomic uint32_t state;
	char err[256];
	struct commit_req *next;
};

#define DUPS_BATCH 512		  /* redelivery counts written per statement */
#define DUPS_FLUSH_MS 1000	  /* the counter's idle wake-up, for a count it might have missed */
#define DUPS_GAP_MS 20		  /* least time between two writes of redelivery counts */
#define DEDUPE_CACHE_DEFAULT 8192 /* durable pairs remembered when the options say 0 */

struct journal {
	const struct journal_backend *be;
	void *b;
	int group_max;
	pthread_mutex_t mu; /* the queue and the committer's idle flag */
	pthread_cond_t work_cv;
	struct commit_req *head, *tail;
	int idle, stopping;
	pthread_t committer;
	pthread_mutex_t jobs_mu; /* job wake-ups, and the dup counter's sleep */
	pthread_cond_t jobs_cv, dups_cv;
	uint64_t jobs_seq;
	int dups_stop;
	atomic_int dups_kicked;
	pthread_t dups_thread;
	int dups_started;
	pthread_mutex_t flush_mu; /* one writer of redelivery counts at a time */
	struct seen *seen;
	struct seen_count *dupbuf;	/* DUPS_BATCH of them, for flush_dups (under flush_mu) */
	struct journal_dup_count *dupc; /* the same, as the backend takes them */
	struct metric *commit_seconds, *batch_events, *commit_errors, *cached_dups, *lost_dups;
	int64_t fail_logged_ns; /* the committer's last "group commit failed" line, and those since */
	long fail_quiet;
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

int journal_opts_from_config(struct config *c, struct journal_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->backend = config_get(c, "store", NULL, "backend");
	o->path = config_get(c, "store", NULL, "path");
	int64_t v = 0;
	int rc = 0;
	if (strcmp(o->backend, "sqlite") != 0 && strcmp(o->backend, "postgres") != 0) {
		config_report(c, "store", NULL, "backend", "'%s' is not a backend: use sqlite or postgres", o->backend);
		rc = -1;
	}
	/* Ranges are the schema's (core/config_schema.c), reported when the config was loaded. */
	if (config_int(c, "store", NULL, "group_commit_max", &v) < 0)
		rc = -1;
	o->group_commit_max = (int)v;
	if (config_int(c, "store", NULL, "dedupe_cache", &v) < 0)
		rc = -1;
	o->dedupe_cache = v == 0 ? -1 : (int)v;
	if (config_int(c, "store", NULL, "pool_size", &v) < 0)
		rc = -1;
	o->pool_size = (int)v;
	if (config_secret(c, "store", NULL, "url", &o->owned) < 0)
		rc = -1;
	o->url = o->owned;
	return rc;
}

void journal_opts_free(struct journal_opts *o)
{
	if (!o)
		return;
	free(o->owned);
	o->owned = NULL;
	o->url = NULL;
}

/* Waits until the committer is done with the request. */
static void req_wait(struct commit_req *r)
{
	for (;;) {
		uint32_t s = atomic_load_explicit(&r->state, memory_order_acquire);
		if (s == REQ_DONE)
			return;
		if (s == REQ_QUEUED && !atomic_compare_exchange_strong(&r->state, &s, REQ_SLEEPING))
			continue;
		syscall(SYS_futex, &r->state, FUTEX_WAIT_PRIVATE, REQ_SLEEPING, NULL, NULL, 0);
	}
}

/*
 * Sets r's state (publishing everything written to it before) and wakes its owner if it sleeps.
 * r may be gone as soon as the state is stored: only its address is used after that (a futex wake
 * on a reused address is a spurious wake-up, which every futex waiter tolerates).
 */
static void req_post(struct commit_req *r, uint32_t state)
{
	uint32_t was = atomic_exchange_explicit(&r->state, state, memory_order_acq_rel);
	if (was == REQ_SLEEPING)
		syscall(SYS_futex, &r->state, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
}

/* Unlinks the first requests of the queue, up to group_max events (at least one request). Under mu. */
static size_t take_batch(struct journal *j, struct commit_req **first)
{
	size_t events = 0;
	struct commit_req *r = j->head, *last = NULL;
	*first = r;
	while (r && (events == 0 || events + r->n <= (size_t)j->group_max)) {
		events += r->n;
		last = r;
		r = r->next;
	}
	last->next = NULL;
	j->head = r;
	if (!r)
		j->tail = NULL;
	return events;
}

#define STACK_EVENTS 64 /* batches up to this size need no allocation */

/* Writes the given requests in one transaction; returns the backend's status and jobs added. */
static int write_reqs(struct journal *j, struct commit_req *reqs, size_t events, int *jobs_added, char *err,
		      size_t errlen)
{
	const struct journal_event *ev_stack[STACK_EVENTS];
	enum journal_outcome out_stack[STACK_EVENTS];
	int small = events <= STACK_EVENTS;
	const struct journal_event **ev = small ? ev_stack : malloc(events * sizeof(*ev));
	enum journal_outcome *out = small ? out_stack : malloc(events * sizeof(*out));
	int rc = -1;
	if (!ev || !out) {
		set_err(err, errlen, "out of memory");
		goto done;
	}
	size_t k = 0;
	for (struct commit_req *r = reqs; r; r = r->next)
		for (size_t i = 0; i < r->n; i++)
			ev[k++] = &r->ev[i];
	int64_t t0 = clock_mono_ns();
	rc = j->be->write(j->b, ev, events, clock_now_ms(), out, jobs_added, err, errlen);
	metric_observe(j->commit_seconds, (double)(clock_mono_ns() - t0) / 1e9);
	if (rc == 0) {
		metric_add(j->batch_events, (int64_t)events);
		k = 0;
		for (struct commit_req *r = reqs; r; r = r->next)
			for (size_t i = 0; i < r->n; i++)
				r->out[i] = out[k++];
	}
done:
	if (!small) {
		free(ev);
		free(out);
	}
	return rc;
}

/*
 * Says that a group's transaction failed (its callers are then retried alone and may never see
 * the failure): at most one line every 10 s, with the count of failures it did not report.
 */
static void commit_failed(struct journal *j, const char *err)
{
	int64_t now = clock_mono_ns();
	if (j->fail_logged_ns && now - j->fail_logged_ns < 10 * 1000000000LL) {
		j->fail_quiet++;
		return;
	}
	char quiet[24];
	snprintf(quiet, sizeof(quiet), "%ld", j->fail_quiet);
	log_warn("journal: a group commit failed; its requests are retried one by one", "detail", err,
		 "#unreported_since_last", quiet);
	j->fail_logged_ns = now;
	j->fail_quiet = 0;
}

static void commit_batch(struct journal *j, struct commit_req *reqs, size_t events, int *jobs_added)
{
	char err[256] = "";
	if (write_reqs(j, reqs, events, jobs_added, err, sizeof(err)) == 0) {
		for (struct commit_req *r = reqs; r; r = r->next)
			r->rc = 0;
		return;
	}
	metric_add(j->commit_errors, 1);
	if (!reqs->next) {
		reqs->rc = -1;
		snprintf(reqs->err, sizeof(reqs->err), "%s", err);
		return;
	}
	/* One caller's bad event must not fail the others: retry each caller alone. */
	commit_failed(j, err);
	for (struct commit_req *r = reqs; r;) {
		struct commit_req *next = r->next;
		r->next = NULL;
		int added = 0;
		r->rc = write_reqs(j, r, r->n, &added, r->err, sizeof(r->err));
		*jobs_added += r->rc == 0 ? added : 0;
		if (r->rc != 0)
			metric_add(j->commit_errors, 1);
		r->next = next;
		r = next;
	}
}

static void jobs_bump(struct journal *j)
{
	pthread_mutex_lock(&j->jobs_mu);
	j->jobs_seq++;
	pthread_cond_broadcast(&j->jobs_cv);
	pthread_mutex_unlock(&j->jobs_mu);
}

/* Takes batches off the queue, writes each, wakes its callers; sleeps only when the queue is empty. */
static void *committer_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-commit");
	struct journal *j = arg;
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->head && !j->stopping) {
			j->idle = 1;
			pthread_cond_wait(&j->work_cv, &j->mu);
		}
		j->idle = 0;
		if (!j->head)
			break;
		struct commit_req *reqs;
		size_t events = take_batch(j, &reqs);
		pthread_mutex_unlock(&j->mu);

		int jobs_added = 0;
		commit_batch(j, reqs, events, &jobs_added);
		for (struct commit_req *r = reqs, *nx; r; r = nx) {
			nx = r->next; /* read before the post: r may vanish right after it */
			req_post(r, REQ_DONE);
		}
		if (jobs_added > 0)
			jobs_bump(j);
		pthread_mutex_lock(&j->mu);
	}
	pthread_mutex_unlock(&j->mu);
	return NULL;
}

/* Remembers the pairs of a committed request as durable (every event has a row now). */
static void remember(struct journal *j, const struct journal_event *ev, size_t n)
{
	for (size_t i = 0; j->seen && i < n; i++)
		seen_add(j->seen, ev[i].source, ev[i].dedupe_key);
}

/* Wakes the counter for the first redelivery counted since its last flush. */
static void dups_kick(struct journal *j)
{
	if (atomic_exchange(&j->dups_kicked, 1))
		return;
	pthread_mutex_lock(&j->jobs_mu);
	pthread_cond_signal(&j->dups_cv);
	pthread_mutex_unlock(&j->jobs_mu);
}

/* 1 when every event is a redelivery of a pair known durable: out says so, counts are queued. */
static int answer_from_cache(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out)
{
	if (!j->seen)
		return 0;
	if (n == 1) {
		if (!seen_hit(j->seen, ev[0].source, ev[0].dedupe_key))
			return 0;
	} else {
		for (size_t i = 0; i < n; i++)
			if (!seen_has(j->seen, ev[i].source, ev[i].dedupe_key))
				return 0;
		for (size_t i = 0; i < n; i++)
			if (!seen_hit(j->seen, ev[i].source, ev[i].dedupe_key))
				metric_add(j->lost_dups, 1); /* forgotten meanwhile: still durable, count lost */
	}
	for (size_t i = 0; i < n; i++)
		out[i] = JOURNAL_DUPLICATE;
	metric_add(j->cached_dups, (int64_t)n);
	dups_kick(j);
	return 1;
}

/*
 * Writes the redelivery counts taken from the cache; one writer at a time. On return every count
 * taken before the call has been written (or given up as lost).
 */
static void flush_dups(struct journal *j)
{
	if (!j->seen || !j->dupbuf || !j->dupc)
		return;
	pthread_mutex_lock(&j->flush_mu); /* also waits for a flush under way: its counts are taken already */
	size_t n;
	do {
		n = seen_take(j->seen, j->dupbuf, DUPS_BATCH);
		if (n == 0)
			break;
		struct journal_dup_count *c = j->dupc;
		int64_t total = 0;
		for (size_t i = 0; i < n; i++) {
			c[i] = (struct journal_dup_count){ j->dupbuf[i].source, j->dupbuf[i].key, j->dupbuf[i].n };
			total += j->dupbuf[i].n;
		}
		char err[256] = "";
		if (j->be->add_duplicates(j->b, c, n, err, sizeof(err)) < 0) {
			metric_add(j->lost_dups, total);
			log_warn("redelivery counts not written", "detail", err);
		}
	} while (n == DUPS_BATCH);
	pthread_mutex_unlock(&j->flush_mu);
}

/* Sleeps on dups_cv until ms have passed, the journal stops, or (when kickable) a kick. Under jobs_mu. */
static void dups_sleep(struct journal *j, int64_t ms, int kickable)
{
	struct timespec ts;
	clock_mono_deadline(ms, &ts);
	while (!j->dups_stop && !(kickable && atomic_load(&j->dups_kicked)))
		if (pthread_cond_timedwait(&j->dups_cv, &j->jobs_mu, &ts) != 0)
			break;
}

/*
 * Writes counted redeliveries to their rows soon after the first one (at most every DUPS_GAP_MS,
 * so that a stream of redeliveries shares one transaction per gap).
 */
static void *dups_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-dups");
	struct journal *j = arg;
	pthread_mutex_lock(&j->jobs_mu);
	while (!j->dups_stop) {
		dups_sleep(j, DUPS_FLUSH_MS, 1);
		pthread_mutex_unlock(&j->jobs_mu);
		atomic_store(&j->dups_kicked, 0);
		flush_dups(j);
		pthread_mutex_lock(&j->jobs_mu);
		dups_sleep(j, DUPS_GAP_MS, 0);
	}
	pthread_mutex_unlock(&j->jobs_mu);
	return NULL;
}

static const struct journal_backend *find_backend(const char *name)
{
	if (!name || strcmp(name, "sqlite") == 0)
		return &journal_backend_sqlite;
	if (strcmp(name, "postgres") == 0)
		return &journal_backend_postgres;
	return NULL;
}

static void init_metrics(struct journal *j)
{
	char labels[64];
	snprintf(labels, sizeof(labels), "backend=\"%s\"", j->be->name);
	j->commit_seconds =
		metrics_histogram("hookd_journal_commit_seconds", labels, "Time to make one group of events durable");
	j->batch_events = metrics_counter("hookd_journal_committed_events_total", labels,
					  "Events written by group commits (stored or duplicate)");
	j->commit_errors =
		metrics_counter("hookd_journal_commit_errors_total", labels, "Journal transactions that failed");
	j->cached_dups = metrics_counter("hookd_journal_duplicates_cached_total", labels,
					 "Redeliveries of events known durable, answered without a journal write");
	j->lost_dups = metrics_counter("hookd_journal_duplicate_counts_lost_total", labels,
				       "Cached redeliveries whose count could not be added to their event row");
}

/* The cache of durable pairs and its counter thread, when the backend can take the counts. */
static int start_cache(struct journal *j, const struct journal_opts *o, char *err, size_t errlen)
{
	if (!j->be->add_duplicates || o->dedupe_cache < 0)
		return 0;
	j->seen = seen_new(o->dedupe_cache > 0 ? (size_t)o->dedupe_cache : DEDUPE_CACHE_DEFAULT);
	j->dupbuf = malloc(DUPS_BATCH * sizeof(*j->dupbuf));
	j->dupc = malloc(DUPS_BATCH * sizeof(*j->dupc));
	if (!j->seen || !j->dupbuf || !j->dupc) {
		set_err(err, errlen, "out of memory for the dedupe cache");
		return -1;
	}
	if (pthread_create(&j->dups_thread, NULL, dups_main, j) != 0) {
		set_err(err, errlen, "cannot start the redelivery counter thread");
		return -1;
	}
	j->dups_started = 1;
	return 0;
}

/* Stops the redelivery counter thread (after its last flush) and writes what is left. */
static void stop_cache(struct journal *j)
{
	pthread_mutex_lock(&j->jobs_mu);
	j->dups_stop = 1;
	pthread_cond_broadcast(&j->dups_cv);
	pthread_cond_broadcast(&j->jobs_cv);
	pthread_mutex_unlock(&j->jobs_mu);
	if (j->dups_started)
		pthread_join(j->dups_thread, NULL);
	j->dups_started = 0;
	flush_dups(j);
}

static void free_journal(struct journal *j)
{
	seen_free(j->seen);
	free(j->dupbuf);
	free(j->dupc);
	pthread_cond_destroy(&j->work_cv);
	pthread_cond_destroy(&j->jobs_cv);
	pthread_cond_destroy(&j->dups_cv);
	pthread_mutex_destroy(&j->jobs_mu);
	pthread_mutex_destroy(&j->flush_mu);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

struct journal *journal_open(const struct journal_opts *o, char *err, size_t errlen)
{
	const struct journal_backend *be = find_backend(o->backend);
	if (!be) {
		set_err(err, errlen, "unknown journal backend");
		return NULL;
	}
	struct journal *j = calloc(1, sizeof(*j));
	if (!j) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	j->be = be;
	j->group_max = o->group_commit_max > 0 ? o->group_commit_max : 512;
	pthread_mutex_init(&j->mu, NULL);
	pthread_cond_init(&j->work_cv, NULL);
	pthread_mutex_init(&j->jobs_mu, NULL);
	pthread_mutex_init(&j->flush_mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->jobs_cv, &ca);
	pthread_cond_init(&j->dups_cv, &ca);
	pthread_condattr_destroy(&ca);
	init_metrics(j);
	j->b = be->open(o, err, errlen);
	if (!j->b)
		goto fail;
	if (start_cache(j, o, err, errlen) < 0) {
		stop_cache(j);
		be->close(j->b);
		goto fail;
	}
	if (pthread_create(&j->committer, NULL, committer_main, j) != 0) {
		set_err(err, errlen, "cannot start the committer thread");
		stop_cache(j);
		be->close(j->b);
		goto fail;
	}
	return j;
fail:
	free_journal(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = 1; /* the committer writes what is queued, then ends */
	pthread_cond_signal(&j->work_cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->committer, NULL);
	stop_cache(j);
	j->be->close(j->b);
	free_journal(j);
}

int journal_answer_known(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out)
{
	return n > 0 && answer_from_cache(j, ev, n, out);
}

int journal_commit(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out, char *err,
		   size_t errlen)
{
	if (n == 0 || answer_from_cache(j, ev, n, out))
		return 0;
	struct commit_req r = { .ev = ev, .n = n, .out = out, .rc = -1 };
	atomic_init(&r.state, REQ_QUEUED);
	pthread_mutex_lock(&j->mu);
	if (j->stopping) {
		pthread_mutex_unlock(&j->mu);
		set_err(err, errlen, "journal is closing");
		return -1;
	}
	if (j->tail)
		j->tail->next = &r;
	else
		j->head = &r;
	j->tail = &r;
	int wake = j->idle;
	j->idle = 0;
	pthread_mutex_unlock(&j->mu);
	if (wake)
		pthread_cond_signal(&j->work_cv);
	req_wait(&r);
	if (r.rc != 0) {
		set_err(err, errlen, r.err[0] ? r.err : "journal write failed");
		return r.rc;
	}
	remember(j, ev, n);
	return 0;
}

int journal_claim(struct journal *j, const char *owner, int64_t lease_ms, int max, struct job **jobs, size_t *n,
		  char *err, size_t errlen)
{
	*jobs = NULL;
	*n = 0;
	return j->be->claim(j->b, owner, clock_now_ms(), lease_ms, max, jobs, n, err, errlen);
}

int journal_job_finish(struct journal *j, int64_t id, const char *owner, enum job_outcome outcome, int64_t next_run_ms,
		       const char *text, char *err, size_t errlen)
{
	return j->be->finish(j->b, id, owner, outcome, clock_now_ms(), next_run_ms, text, err, errlen);
}

int journal_job_requeue(struct journal *j, int64_t id, char *err, size_t errlen)
{
	int rc = j->be->requeue(j->b, id, clock_now_ms(), err, errlen);
	if (rc == 0)
		journal_wake(j);
	return rc;
}

int journal_job_cancel(struct journal *j, int64_t id, const char *why, char *err, size_t errlen)
{
	return j->be->cancel(j->b, id, clock_now_ms(), why, err, errlen);
}

int journal_list_events(struct journal *j, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			size_t errlen)
{
	*rows = NULL;
	*n = 0;
	flush_dups(j); /* a listing shows every redelivery answered so far */
	return j->be->list_events(j->b, q, rows, n, err, errlen);
}

int journal_list_jobs(struct journal *j, const struct journal_query *q, struct job **rows, size_t *n, char *err,
		      size_t errlen)
{
	*rows = NULL;
	*n = 0;
	return j->be->list_jobs(j->b, q, rows, n, err, errlen);
}

int journal_job_counts(struct journal *j, int64_t counts[JOB_STATE_COUNT], char *err, size_t errlen)
{
	int64_t oldest;
	return journal_job_stats(j, counts, &oldest, err, errlen);
}

int journal_job_stats(struct journal *j, int64_t counts[JOB_STATE_COUNT], int64_t *oldest_pending_ms, char *err,
		      size_t errlen)
{
	memset(counts, 0, JOB_STATE_COUNT * sizeof(counts[0]));
	*oldest_pending_ms = 0;
	return j->be->job_counts(j->b, counts, oldest_pending_ms, err, errlen);
}

int journal_ping(struct journal *j, char *err, size_t errlen)
{
	return j->be->ping(j->b, clock_now_ms(), err, errlen);
}

void journal_events_free(struct event_row *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		struct event_row *r = &rows[i];
		char **s[] = { &r->source,     &r->dedupe_key,	  &r->delivery_id,  &r->type,	  &r->occurred_at,
			       &r->subject_id, &r->subject_login, &r->subject_name, &r->actor_id, &r->status,
			       &r->reason,     &r->subject_json,  &r->raw };
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
			free(*s[k]);
	}
	free(rows);
}

void journal_jobs_free(struct job *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		struct job *r = &rows[i];
		char **s[] = { &r->action,	&r->rule,	&r->subject, &r->params, &r->state,
			       &r->lease_owner, &r->last_error, &r->result,  &r->job_key };
		for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
			free(*s[k]);
	}
	free(rows);
}

int journal_wait_jobs(struct journal *j, int64_t timeout_ms)
{
	if (j->be->wait_remote) {
		/* The backend hears other instances (and our own commits, which it also notifies). */
		return j->be->wait_remote(j->b, timeout_ms);
	}
	struct timespec ts;
	clock_mono_deadline(timeout_ms, &ts);
	pthread_mutex_lock(&j->jobs_mu);
	uint64_t seq = j->jobs_seq;
	int rc = 0;
	while (j->jobs_seq == seq && !j->dups_stop && rc == 0)
		rc = pthread_cond_timedwait(&j->jobs_cv, &j->jobs_mu, &ts);
	int woken = j->jobs_seq != seq || j->dups_stop;
	pthread_mutex_unlock(&j->jobs_mu);
	return woken;
}

void journal_wake(struct journal *j)
{
	if (j->be->wake)
		j->be->wake(j->b);
	jobs_bump(j);
}

int64_t journal_rate_take(struct journal *j, const char *bucket, int reserve, int64_t now_ms, char *err, size_t errlen)
{
	if (!j->be->rate_take) {
		set_err(err, errlen, "this journal backend has no shared rate budget");
		return -1;
	}
	return j->be->rate_take(j->b, bucket, reserve < 0 ? 0 : reserve, now_ms, err, errlen);
}

int journal_rate_update(struct journal *j, const char *bucket, const struct rate_window *w, int64_t now_ms, char *err,
			size_t errlen)
{
	if (!j->be->rate_update) {
		set_err(err, errlen, "this journal backend has no shared rate budget");
		return -1;
	}
	return j->be->rate_update(j->b, bucket, w, now_ms, err, errlen);
}

int journal_rate_read(struct journal *j, const char *bucket, struct rate_window *w, char *err, size_t errlen)
{
	memset(w, 0, sizeof(*w));
	if (!j->be->rate_read) {
		set_err(err, errlen, "this journal backend has no shared rate budget");
		return -1;
	}
	return j->be->rate_read(j->b, bucket, w, err, errlen);
}

/* ---- the reconciler's cursor and lease ---- */

int journal_cursor_lease(struct journal *j, const char *name, const char *owner, int64_t now_ms, int64_t ttl_ms,
			 int64_t *cursor_ms, char *err, size_t errlen)
{
	*cursor_ms = -1;
	if (!j->be->cursor_lease) {
		set_err(err, errlen, "this journal backend keeps no cursor");
		return -1;
	}
	return j->be->cursor_lease(j->b, name, owner, now_ms, ttl_ms < 0 ? 0 : ttl_ms, cursor_ms, err, errlen);
}

int journal_cursor_advance(struct journal *j, const char *name, const char *owner, int64_t cursor_ms, int64_t found,
			   int64_t now_ms, char *err, size_t errlen)
{
	if (!j->be->cursor_advance) {
		set_err(err, errlen, "this journal backend keeps no cursor");
		return -1;
	}
	return j->be->cursor_advance(j->b, name, owner, cursor_ms, found, now_ms, err, errlen);
}

int journal_cursor_read(struct journal *j, const char *name, struct journal_cursor *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	c->cursor_ms = -1;
	if (!j->be->cursor_read) {
		set_err(err, errlen, "this journal backend keeps no cursor");
		return -1;
	}
	return j->be->cursor_read(j->b, name, c, err, errlen);
}

/* ---- hookd's own requests (echoes) and per-source status ---- */

static int no_backend(char *err, size_t errlen, const char *what)
{
	char msg[128];
	snprintf(msg, sizeof(msg), "this journal backend cannot %s", what);
	set_err(err, errlen, msg);
	return -1;
}

static int usable_request_id(const char *id)
{
	return id && id[0] && strlen(id) <= JOURNAL_REQUEST_ID_MAX;
}

int journal_request_record(struct journal *j, const char *request_id, int64_t now_ms, char *err, size_t errlen)
{
	if (!usable_request_id(request_id)) {
		set_err(err, errlen, "request id is empty or too long");
		return -1;
	}
	if (!j->be->request_record)
		return no_backend(err, errlen, "record requests");
	return j->be->request_record(j->b, request_id, now_ms, err, errlen);
}

static int echo_asks(const struct journal_event *e)
{
	return e->echo_lookup && !e->echo;
}

/* Visible ASCII, as every id hookd records is (okta/http.c): anything else cannot be one of its requests. */
static int echo_id_ok(const char *id)
{
	if (!usable_request_id(id))
		return 0;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		if (*p < 0x21 || *p > 0x7e)
			return 0;
	return 1;
}

char *journal_echo_ids(const struct journal_event *const *ev, size_t n, int *oom)
{
	*oom = 0;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_arr_open(&b);
	size_t asked = 0;
	for (size_t i = 0; i < n; i++) {
		const char *ids[2] = { ev[i]->request_id, ev[i]->debug_request_id };
		for (int k = 0; echo_asks(ev[i]) && k < 2; k++) {
			if (!echo_id_ok(ids[k]) || (k == 1 && ids[0] && strcmp(ids[0], ids[1]) == 0))
				continue;
			jbuf_elem(&b);
			jbuf_str(&b, ids[k]);
			asked++;
		}
	}
	jbuf_arr_close(&b);
	char *arr = jbuf_take(&b, NULL);
	if (!arr)
		*oom = asked > 0;
	if (!asked) {
		free(arr);
		return NULL;
	}
	return arr;
}

void journal_echo_found(const struct journal_event *const *ev, size_t n, const char *id, unsigned char *echo)
{
	for (size_t i = 0; id && i < n; i++)
		if (echo_asks(ev[i]) && ((ev[i]->request_id && strcmp(ev[i]->request_id, id) == 0) ||
					 (ev[i]->debug_request_id && strcmp(ev[i]->debug_request_id, id) == 0)))
			echo[i] = 1;
}

int64_t journal_requests_prune(struct journal *j, int64_t before_ms, char *err, size_t errlen)
{
	if (!j->be->requests_prune)
		return no_backend(err, errlen, "prune requests");
	return j->be->requests_prune(j->b, before_ms, err, errlen);
}

int journal_forget_refuses(const struct journal_forget_result *res, int flags)
{
	return res->running > 0 || (res->pending > 0 && !(flags & JOURNAL_FORGET_CANCEL_PENDING));
}

int journal_forget(struct journal *j, const char *who, int flags, struct journal_forget_result *res, char *err,
		   size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (!who || !who[0]) {
		snprintf(err, errlen, "no login or id to forget");
		return -1;
	}
	if (!j->be->forget)
		return no_backend(err, errlen, "forget a person");
	return j->be->forget(j->b, who, flags, clock_now_ms(), res, err, errlen);
}

int journal_source_note(struct journal *j, const char *source, const char *refusal, int64_t now_ms, char *err,
			size_t errlen)
{
	if (!j->be->source_note)
		return no_backend(err, errlen, "note source status");
	char cut[256];
	if (refusal) /* a reason is short text of hookd's own; bounded all the same */
		snprintf(cut, sizeof(cut), "%s", refusal);
	return j->be->source_note(j->b, source, refusal ? cut : NULL, now_ms, err, errlen);
}

int journal_source_status(struct journal *j, struct source_status **rows, size_t *n, char *err, size_t errlen)
{
	*rows = NULL;
	*n = 0;
	if (!j->be->source_status)
		return no_backend(err, errlen, "read source status");
	if (j->be->source_status(j->b, rows, n, err, errlen) == 0)
		return 0;
	journal_source_status_free(*rows, *n);
	*rows = NULL;
	*n = 0;
	return -1;
}

void journal_source_status_free(struct source_status *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++) {
		free(rows[i].source);
		free(rows[i].refusal);
	}
	free(rows);
}

/* Runs step in batches; adds the rows to *total. */
static int prune_step(struct journal *j, enum journal_prune_step step, int64_t before_ms, int batch, int max_batches,
		      int dry_run, int64_t *total, char *err, size_t errlen)
{
	for (int i = 0; max_batches <= 0 || i < max_batches; i++) {
		int64_t t0 = clock_mono_ns();
		int64_t n = j->be->prune(j->b, step, dry_run, before_ms, batch, err, errlen);
		if (n < 0)
			return -1;
		*total += n;
		if (dry_run || n < batch)
			break;
		/* At most half of the journal's write time: intake's commits get the other half. */
		int64_t took = clock_mono_ns() - t0, pause = took > 2000000 ? took : 2000000;
		struct timespec ts = { .tv_sec = pause / 1000000000, .tv_nsec = pause % 1000000000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

int journal_prune(struct journal *j, int64_t now_ms, int64_t retain_jobs_ms, int64_t retain_events_ms, int batch,
		  int max_batches, int dry_run, struct journal_prune_result *res, char *err, size_t errlen)
{
	memset(res, 0, sizeof(*res));
	if (!j->be->prune) {
		snprintf(err, errlen, "this journal backend cannot prune");
		return -1;
	}
	batch = batch > 0 ? batch : 100;
	if (retain_jobs_ms > 0 && prune_step(j, JOURNAL_PRUNE_JOBS, now_ms - retain_jobs_ms, batch, max_batches,
					     dry_run, &res->jobs, err, errlen) < 0)
		return -1;
	if (retain_events_ms <= 0)
		return 0;
	int64_t keep_rows = retain_events_ms > JOURNAL_DEDUPE_KEEP_MS ? retain_events_ms : JOURNAL_DEDUPE_KEEP_MS;
	if (retain_events_ms < keep_rows && prune_step(j, JOURNAL_PRUNE_SCRUB, now_ms - retain_events_ms, batch,
						       max_batches, dry_run, &res->scrubbed, err, errlen) < 0)
		return -1;
	return prune_step(j, JOURNAL_PRUNE_EVENTS, now_ms - keep_rows, batch, max_batches, dry_run, &res->events, err,
			  errlen);
}
