/* journal.c: the journal's public face: backend choice, group commit, job wake-ups, metrics. */
#include "store/journal.h"
#include "store/backend.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/jbuf.h"
#include "core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

/* One caller's events, waiting for the committer. Lives on the caller's stack. */
struct commit_req {
	const struct journal_event *ev;
	size_t n;
	enum journal_outcome *out;
	int rc;
	int done;
	pthread_cond_t cv; /* its own: the committer wakes each waiter, not every waiter for every batch */
	char err[256];
	struct commit_req *next;
};

struct journal {
	const struct journal_backend *be;
	void *b;
	int group_max;
	pthread_mutex_t mu;
	pthread_cond_t work_cv, jobs_cv;
	struct commit_req *head, *tail;
	int stopping;
	uint64_t jobs_seq;
	pthread_t committer;
	struct metric *commit_seconds, *batch_events, *commit_errors;
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

/* Writes the given requests in one transaction; returns the backend's status and jobs added. */
static int write_reqs(struct journal *j, struct commit_req *reqs, size_t events, int *jobs_added, char *err,
		      size_t errlen)
{
	const struct journal_event **ev = malloc(events * sizeof(*ev));
	enum journal_outcome *out = malloc(events * sizeof(*out));
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
	free(ev);
	free(out);
	return rc;
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

static void *committer_main(void *arg)
{
	struct journal *j = arg;
	pthread_mutex_lock(&j->mu);
	for (;;) {
		while (!j->head && !j->stopping)
			pthread_cond_wait(&j->work_cv, &j->mu);
		if (!j->head && j->stopping)
			break;
		struct commit_req *reqs;
		size_t events = take_batch(j, &reqs);
		pthread_mutex_unlock(&j->mu);

		int jobs_added = 0;
		commit_batch(j, reqs, events, &jobs_added);

		pthread_mutex_lock(&j->mu);
		for (struct commit_req *r = reqs, *next; r; r = next) {
			next = r->next;
			r->done = 1; /* r may vanish once its owner sees done and the lock is released */
			pthread_cond_signal(&r->cv);
		}
		if (jobs_added > 0) {
			j->jobs_seq++;
			pthread_cond_broadcast(&j->jobs_cv);
		}
	}
	pthread_mutex_unlock(&j->mu);
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
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&j->jobs_cv, &ca);
	pthread_condattr_destroy(&ca);
	char labels[64];
	snprintf(labels, sizeof(labels), "backend=\"%s\"", be->name);
	j->commit_seconds =
		metrics_histogram("hookd_journal_commit_seconds", labels, "Time to make one group of events durable");
	j->batch_events = metrics_counter("hookd_journal_committed_events_total", labels,
					  "Events written by group commits (stored or duplicate)");
	j->commit_errors =
		metrics_counter("hookd_journal_commit_errors_total", labels, "Journal transactions that failed");
	j->b = be->open(o, err, errlen);
	if (!j->b)
		goto fail;
	if (pthread_create(&j->committer, NULL, committer_main, j) != 0) {
		set_err(err, errlen, "cannot start the committer thread");
		be->close(j->b);
		goto fail;
	}
	return j;
fail:
	pthread_mutex_destroy(&j->mu);
	free(j);
	return NULL;
}

void journal_close(struct journal *j)
{
	if (!j)
		return;
	pthread_mutex_lock(&j->mu);
	j->stopping = 1;
	pthread_cond_broadcast(&j->work_cv);
	pthread_cond_broadcast(&j->jobs_cv);
	pthread_mutex_unlock(&j->mu);
	pthread_join(j->committer, NULL);
	j->be->close(j->b);
	pthread_cond_destroy(&j->work_cv);
	pthread_cond_destroy(&j->jobs_cv);
	pthread_mutex_destroy(&j->mu);
	free(j);
}

int journal_commit(struct journal *j, const struct journal_event *ev, size_t n, enum journal_outcome *out, char *err,
		   size_t errlen)
{
	if (n == 0)
		return 0;
	struct commit_req r = { .ev = ev, .n = n, .out = out, .rc = -1 };
	pthread_cond_init(&r.cv, NULL);
	pthread_mutex_lock(&j->mu);
	if (j->stopping) {
		pthread_mutex_unlock(&j->mu);
		pthread_cond_destroy(&r.cv);
		set_err(err, errlen, "journal is closing");
		return -1;
	}
	if (j->tail)
		j->tail->next = &r;
	else
		j->head = &r;
	j->tail = &r;
	pthread_cond_signal(&j->work_cv);
	while (!r.done)
		pthread_cond_wait(&r.cv, &j->mu);
	pthread_mutex_unlock(&j->mu);
	pthread_cond_destroy(&r.cv);
	if (r.rc != 0)
		set_err(err, errlen, r.err[0] ? r.err : "journal write failed");
	return r.rc;
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

int journal_list_events(struct journal *j, const struct journal_query *q, struct event_row **rows, size_t *n, char *err,
			size_t errlen)
{
	*rows = NULL;
	*n = 0;
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
	memset(counts, 0, 4 * sizeof(counts[0]));
	return j->be->job_counts(j->b, counts, err, errlen);
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
	pthread_mutex_lock(&j->mu);
	uint64_t seq = j->jobs_seq;
	int rc = 0;
	while (j->jobs_seq == seq && !j->stopping && rc == 0)
		rc = pthread_cond_timedwait(&j->jobs_cv, &j->mu, &ts);
	int woken = j->jobs_seq != seq || j->stopping;
	pthread_mutex_unlock(&j->mu);
	return woken;
}

void journal_wake(struct journal *j)
{
	if (j->be->wake)
		j->be->wake(j->b);
	pthread_mutex_lock(&j->mu);
	j->jobs_seq++;
	pthread_cond_broadcast(&j->jobs_cv);
	pthread_mutex_unlock(&j->mu);
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

struct known_ctx {
	const char *const *ids;
	size_t n;
	unsigned char *known;
};

static void mark_known(void *ud, const char *id)
{
	struct known_ctx *k = ud;
	for (size_t i = 0; i < k->n; i++)
		if (k->ids[i] && strcmp(k->ids[i], id) == 0)
			k->known[i] = 1;
}

int journal_requests_known(struct journal *j, const char *const *ids, size_t n, unsigned char *known, char *err,
			   size_t errlen)
{
	memset(known, 0, n);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_arr_open(&b);
	size_t asked = 0;
	for (size_t i = 0; i < n; i++) {
		if (!usable_request_id(ids[i]))
			continue;
		jbuf_elem(&b);
		jbuf_str(&b, ids[i]);
		asked++;
	}
	jbuf_arr_close(&b);
	char *arr = jbuf_take(&b, NULL);
	int rc = 0;
	if (!arr)
		rc = -1, set_err(err, errlen, "out of memory");
	else if (asked && !j->be->requests_known)
		rc = no_backend(err, errlen, "look up requests");
	else if (asked) {
		struct known_ctx k = { ids, n, known };
		rc = j->be->requests_known(j->b, arr, mark_known, &k, err, errlen);
		if (rc < 0)
			memset(known, 0, n);
	}
	free(arr);
	return rc;
}

int64_t journal_requests_prune(struct journal *j, int64_t before_ms, char *err, size_t errlen)
{
	if (!j->be->requests_prune)
		return no_backend(err, errlen, "prune requests");
	return j->be->requests_prune(j->b, before_ms, err, errlen);
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
