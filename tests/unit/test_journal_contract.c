/* test_journal_contract.c: one test body every journal backend must pass (run here on SQLite; test_journal_postgres.c runs it on PostgreSQL). */
#include "check.h"

#include "core/clock.h"
#include "store/journal.h"
#include "store/people.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Opens a journal on an empty store; the contract closes it. NULL fails the run. */
typedef struct journal *(*contract_open_fn)(void *ctx);

static struct journal_event contract_ev(const char *source, const char *key, const struct job_spec *jobs, size_t njobs)
{
	return (struct journal_event){ .source = source,
				       .dedupe_key = key,
				       .delivery_id = key,
				       .type = "user.lifecycle.create",
				       .subject_id = "00u1",
				       .subject_login = "ann@example.com",
				       .raw = SLICE_LIT("{\"uuid\":\"x\"}"),
				       .jobs = jobs,
				       .njobs = njobs };
}

static int contract_commit1(struct journal *j, const struct journal_event *e, enum journal_outcome *out)
{
	char err[256];
	int rc = journal_commit(j, e, 1, out, err, sizeof(err));
	if (rc < 0)
		fprintf(stderr, "commit: %s\n", err);
	return rc;
}

static struct job *contract_job(struct journal *j, int64_t id)
{
	struct journal_query q = { .id = id };
	struct job *rows = NULL;
	size_t n = 0;
	char err[256];
	if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) < 0 || n != 1) {
		journal_jobs_free(rows, n);
		return NULL;
	}
	return rows;
}

/* Stored once, a redelivery counted; raw kept byte for byte (a slice that is not NUL-terminated). */
static void contract_dedupe(struct journal *j)
{
	enum journal_outcome out = JOURNAL_DUPLICATE;
	struct journal_event e = contract_ev("okta", "evt-1", NULL, 0);
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_STORED);
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_DUPLICATE);
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_DUPLICATE);
	struct journal_event other = contract_ev("hr:bamboo", "evt-1", NULL, 0); /* same key, other source */
	const char rawbuf[] = "{\"a\":\"\xc3\xa9\"}TRAILING";
	other.raw = (struct slice){ rawbuf, sizeof(rawbuf) - 1 - strlen("TRAILING") };
	CHECK(contract_commit1(j, &other, &out) == 0 && out == JOURNAL_STORED);

	/* Two events with one key in one call: the first is stored, the second is its duplicate. */
	struct journal_event two[2] = { contract_ev("okta", "evt-2", NULL, 0), contract_ev("okta", "evt-2", NULL, 0) };
	enum journal_outcome outs[2];
	char err[256];
	struct journal_query q0;
	struct event_row *rows = NULL;
	size_t n = 0;
	CHECK(journal_commit(j, two, 2, outs, err, sizeof(err)) == 0);
	CHECK(outs[0] == JOURNAL_STORED && outs[1] == JOURNAL_DUPLICATE);
	/*
	 * Text that is not valid UTF-8 (a sender's bug) is stored all the same: refusing it would make
	 * the sender retry forever. (PostgreSQL stores U+FFFD in place of the invalid bytes.)
	 */
	const char badraw[] = "{\"name\":\"caf\xe9\"}";
	struct job_spec badjob = { .action = "create_user", .subject = "caf\xe9", .job_key = "k\xff" };
	struct journal_event bad = contract_ev("hr:latin1", "bad-\xff", &badjob, 1);
	bad.subject_login = "caf\xe9@example.com";
	bad.raw = (struct slice){ badraw, sizeof(badraw) - 1 };
	CHECK(contract_commit1(j, &bad, &out) == 0 && out == JOURNAL_STORED);
	CHECK(contract_commit1(j, &bad, &out) == 0 && out == JOURNAL_DUPLICATE);
	q0 = (struct journal_query){ .source = "hr:latin1" };
	CHECK(journal_list_events(j, &q0, &rows, &n, err, sizeof(err)) == 0 && n == 1);
	if (n == 1)
		CHECK(rows[0].raw && strncmp(rows[0].raw, "{\"name\":\"caf", 12) == 0 && rows[0].duplicates == 1);
	journal_events_free(rows, n);

	struct journal_query q = { .source = "okta", .limit = 10 };
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
	CHECK(n == 2);
	if (n == 2) {
		CHECK_STR(rows[0].dedupe_key, "evt-2"); /* newest first */
		CHECK(rows[0].duplicates == 1);
		CHECK_STR(rows[1].dedupe_key, "evt-1");
		CHECK(rows[1].duplicates == 2);
		CHECK_STR(rows[1].subject_login, "ann@example.com");
		CHECK_STR(rows[1].status, "accepted");
		CHECK(rows[1].delivery_id && !rows[1].reason);
		CHECK(rows[0].id > rows[1].id);
	}
	journal_events_free(rows, n);
	q = (struct journal_query){ .source = "hr:bamboo" };
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0 && n == 1);
	if (n == 1)
		CHECK_STR(rows[0].raw, "{\"a\":\"\xc3\xa9\"}");
	journal_events_free(rows, n);
}

/* Claim, lease, finish (done, retry, dead), stale owners, requeue. */
static void contract_jobs(struct journal *j)
{
	int64_t now = clock_now_ms();
	struct job_spec js[3] = {
		{ .action = "create_user", .rule = "r1", .subject = "ann@example.com", .params = "{\"p\":1}" },
		{ .action = "send_activation", .rule = "r1", .subject = "ann@example.com", .max_attempts = 7 },
		{ .action = "deactivate_user", .rule = "r2", .subject = "bob", .run_at_ms = now + 3600000 },
	};
	struct journal_event e = contract_ev("okta", "jobs-1", js, 3);
	enum journal_outcome out;
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_STORED);
	/* A duplicate adds no jobs. */
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_DUPLICATE);

	int64_t counts[JOB_STATE_COUNT];
	char err[256];
	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0);
	CHECK(counts[JOB_STATE_PENDING] == 3 && counts[JOB_STATE_RUNNING] == 0 && counts[JOB_STATE_DONE] == 0 &&
	      counts[JOB_STATE_DEAD] == 0);
	/* the pending job due first: one of the two due now, not the one in an hour */
	int64_t oldest = 0;
	CHECK(journal_job_stats(j, counts, &oldest, err, sizeof(err)) == 0 && counts[JOB_STATE_PENDING] == 3);
	CHECK(oldest > 0 && oldest < now + 3600000);

	struct job *jobs = NULL;
	size_t n = 0;
	/* ann's second job waits for her first; bob's is due in an hour */
	CHECK(journal_claim(j, "w1", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	int64_t a = 0, b = 0;
	if (n == 1) {
		CHECK_STR(jobs[0].state, "running");
		CHECK_STR(jobs[0].lease_owner, "w1");
		CHECK_STR(jobs[0].action, "create_user");
		CHECK_STR(jobs[0].params, "{\"p\":1}");
		CHECK(jobs[0].attempts == 1);
		CHECK(jobs[0].lease_expires_ms >= now + 60000);
		CHECK(jobs[0].event_id > 0);
		a = jobs[0].id;
	}
	journal_jobs_free(jobs, n);

	/* A running job with a live lease is not claimed again, and holds ann's next one back. */
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 0);

	CHECK(journal_job_finish(j, a, "w2", JOB_DONE, 0, "stolen", err, sizeof(err)) == 1);
	CHECK(journal_job_finish(j, a, "w1", JOB_DONE, 0, "created 00u9", err, sizeof(err)) == 0);
	CHECK(journal_job_finish(j, a, "w1", JOB_DONE, 0, "again", err, sizeof(err)) == 1);
	struct job *row = contract_job(j, a);
	CHECK(row && strcmp(row->state, "done") == 0 && row->result && strcmp(row->result, "created 00u9") == 0);
	CHECK(row && row->lease_owner == NULL);
	journal_jobs_free(row, row ? 1 : 0);

	/* ann's first done, her second is claimed */
	CHECK(journal_claim(j, "w1", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	if (n == 1) {
		CHECK_STR(jobs[0].action, "send_activation");
		CHECK(jobs[0].max_attempts == 7 && jobs[0].params == NULL && jobs[0].attempts == 1);
		b = jobs[0].id;
	}
	journal_jobs_free(jobs, n);
	CHECK(a && b);
	CHECK(journal_job_stats(j, counts, &oldest, err, sizeof(err)) == 0 && oldest == now + 3600000);
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 0);

	/* Retry: back to pending at next_run_ms with its error; claimed again it counts attempt 2. */
	CHECK(journal_job_finish(j, b, "w1", JOB_RETRY, now - 1, "429 from okta", err, sizeof(err)) == 0);
	row = contract_job(j, b);
	CHECK(row && strcmp(row->state, "pending") == 0 && row->run_at_ms == now - 1);
	CHECK(row && row->last_error && strcmp(row->last_error, "429 from okta") == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].id == b && jobs[0].attempts == 2);
	journal_jobs_free(jobs, n);
	/* Defer: pending again at next_run_ms with the claim's attempt given back (a rate-limit wait). */
	CHECK(journal_job_finish(j, b, "w2", JOB_DEFER, now - 1, "rate limit: wait 900 ms", err, sizeof(err)) == 0);
	row = contract_job(j, b);
	CHECK(row && strcmp(row->state, "pending") == 0 && row->run_at_ms == now - 1 && row->attempts == 1);
	CHECK(row && row->lease_owner == NULL && row->last_error &&
	      strcmp(row->last_error, "rate limit: wait 900 ms") == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_job_finish(j, b, "w2", JOB_DEFER, now - 1, "not mine any more", err, sizeof(err)) == 1);
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].id == b && jobs[0].attempts == 2);
	journal_jobs_free(jobs, n);
	CHECK(journal_job_finish(j, b, "w2", JOB_DEAD, 0, "gave up", err, sizeof(err)) == 0);

	/* Requeue: a dead job is due again with attempts reset; a pending one cannot be requeued. */
	CHECK(journal_job_requeue(j, b, err, sizeof(err)) == 0);
	row = contract_job(j, b);
	CHECK(row && strcmp(row->state, "pending") == 0 && row->attempts == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_job_requeue(j, b, err, sizeof(err)) == 1);
	CHECK(journal_job_requeue(j, 987654321, err, sizeof(err)) == 1);

	/* Cancel: the pending job ends dead with the reason; a dead one cannot be cancelled again. */
	CHECK(journal_job_cancel(j, b, "cancelled by test", err, sizeof(err)) == 0);
	row = contract_job(j, b);
	CHECK(row && strcmp(row->state, "dead") == 0 && row->last_error &&
	      strcmp(row->last_error, "cancelled by test") == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_job_cancel(j, b, "again", err, sizeof(err)) == 1);
	CHECK(journal_job_cancel(j, 987654321, "none", err, sizeof(err)) == 1);
	CHECK(journal_job_requeue(j, b, err, sizeof(err)) == 0);

	/* Lease expiry: w3's lease runs out, w4 takes the job over, w3's outcome is refused. */
	CHECK(journal_claim(j, "w3", 1, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	usleep(20000);
	CHECK(journal_claim(j, "w4", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].id == b && jobs[0].attempts == 2 && strcmp(jobs[0].lease_owner, "w4") == 0);
	journal_jobs_free(jobs, n);
	CHECK(journal_job_finish(j, b, "w3", JOB_DONE, 0, "late", err, sizeof(err)) == 1);
	CHECK(journal_job_finish(j, b, "w4", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);

	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0);
	CHECK(counts[JOB_STATE_PENDING] == 1 && counts[JOB_STATE_RUNNING] == 0 && counts[JOB_STATE_DONE] == 2 &&
	      counts[JOB_STATE_DEAD] == 0);

	/* Listing by state, newest first, paging with before_id. */
	struct journal_query q = { .state = "done" };
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0 && n == 2);
	if (n == 2) {
		CHECK(jobs[0].id > jobs[1].id);
		q.before_id = jobs[0].id;
	}
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	q = (struct journal_query){ .limit = 2 };
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0 && n == 2);
	journal_jobs_free(jobs, n);
}

static void sort_ids(int64_t *ids, size_t n)
{
	for (size_t i = 1; i < n; i++)
		for (size_t k = i; k > 0 && ids[k - 1] > ids[k]; k--) {
			int64_t t = ids[k];
			ids[k] = ids[k - 1];
			ids[k - 1] = t;
		}
}

/* Ids of the jobs a claim by owner took, in ascending order, into ids[0..*n). */
static void order_claim(struct journal *j, const char *owner, int64_t *ids, size_t *n)
{
	struct job *jobs = NULL;
	char err[256];
	*n = 0;
	CHECK(journal_claim(j, owner, 60000, 10, &jobs, n, err, sizeof(err)) == 0);
	for (size_t i = 0; i < *n; i++)
		ids[i] = jobs[i].id;
	journal_jobs_free(jobs, *n);
	sort_ids(ids, *n);
}

/*
 * One subject's jobs run one at a time, in the order they were added: a running job holds back every
 * other; an earlier due job, or one waiting for a retry (tried, or deferred), holds back the later
 * ones. A job scheduled ahead and never tried, a dead one, and other subjects' jobs hold nothing back.
 */
static void contract_job_order(struct journal *j)
{
	int64_t now = clock_now_ms(), ids[10];
	size_t n = 0;
	char err[256];
	enum journal_outcome out;
	struct job_spec js[] = {
		{ .action = "send_activation",
		  .subject = "cy",
		  .run_at_ms = now + 3600000,
		  .job_key = "sa:cy" },								   /* 0 */
		{ .action = "create_user", .subject = "cy" },					   /* 1 */
		{ .action = "update_profile", .subject = "cy" },				   /* 2 */
		{ .action = "update_profile", .subject = "cy" },				   /* 3 */
		{ .action = "deactivate_user", .subject = "cy" },				   /* 4 */
		{ .action = "create_user", .subject = "dee" },					   /* 5 */
		{ .action = "follow_up_activation", .subject = "cy", .run_at_ms = now + 3600000 }, /* 6 */
		{ .action = "create_user" },							   /* 7: no subject */
		{ .action = "create_user" },							   /* 8: no subject */
	};
	static const char *const tag[] = { "{\"n\":0}", "{\"n\":1}", "{\"n\":2}", "{\"n\":3}", "{\"n\":4}",
					   "{\"n\":5}", "{\"n\":6}", "{\"n\":7}", "{\"n\":8}" };
	for (int i = 0; i < 9; i++)
		js[i].params = tag[i];
	struct journal_event e = contract_ev("hr:x", "order-1", js, 9);
	e.subject_login = NULL; /* each job is its subject's (contract_person_order: by the event's login) */
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_STORED);
	struct journal_query q = { .state = "pending", .limit = 100 };
	struct job *rows = NULL;
	size_t nrows = 0;
	int64_t id[9] = { 0 };
	CHECK(journal_list_jobs(j, &q, &rows, &nrows, err, sizeof(err)) == 0 && nrows == 9);
	for (size_t i = 0; i < nrows; i++) /* which job is which, by its params */
		for (int t = 0; t < 9; t++)
			if (rows[i].params && strcmp(rows[i].params, tag[t]) == 0)
				id[t] = rows[i].id;
	journal_jobs_free(rows, nrows);
	for (int t = 1; t < 9; t++) /* ids in the order the jobs came, the keyed one too */
		CHECK(id[t - 1] > 0 && id[t - 1] < id[t]);

	order_claim(j, "w1", ids, &n); /* cy's first due job, dee's, both without a subject */
	int64_t want[] = { id[1], id[5], id[7], id[8] };
	sort_ids(want, 4);
	CHECK(n == 4 && memcmp(ids, want, sizeof(want)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 0);
	/* waiting for a retry holds the later ones back; dead, it lets them go */
	CHECK(journal_job_finish(j, id[1], "w1", JOB_RETRY, now + 3600000, "okta 503", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 0);
	CHECK(journal_job_cancel(j, id[1], "given up", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 1 && ids[0] == id[2]);
	/* deferred (the attempt given back) holds them back too */
	CHECK(journal_job_finish(j, id[2], "w2", JOB_DEFER, now + 3600000, "rate limit", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 0);
	CHECK(journal_job_cancel(j, id[2], "given up", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 1 && ids[0] == id[3]);
	/* done, the next in order; a running later job holds back an earlier one that falls due */
	CHECK(journal_job_finish(j, id[3], "w2", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 1 && ids[0] == id[4]);
	struct job_spec now_due = js[0];
	now_due.run_at_ms = now - 1;
	struct journal_event moved = contract_ev("hr:x", "order-2", &now_due, 1); /* job 0 moved to now */
	moved.subject_login = "cy";
	CHECK(contract_commit1(j, &moved, &out) == 0 && out == JOURNAL_STORED);
	order_claim(j, "w3", ids, &n);
	CHECK(n == 0);
	CHECK(journal_job_finish(j, id[4], "w2", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
	order_claim(j, "w3", ids, &n);
	CHECK(n == 1 && ids[0] == id[0]);
	struct job *row = contract_job(j, id[6]);
	CHECK(row && strcmp(row->state, "pending") == 0); /* the job an hour ahead waits for its hour */
	journal_jobs_free(row, row ? 1 : 0);

	/* One call's events, keys and job keys in reverse order: their jobs' ids follow the call's order. */
	struct job_spec ks[3] = {
		{ .action = "send_activation", .subject = "eve", .job_key = "z", .params = "{\"e\":0}" },
		{ .action = "update_profile", .subject = "eve", .params = "{\"e\":1}" },
		{ .action = "send_activation", .subject = "eve", .job_key = "a", .params = "{\"e\":2}" }
	};
	struct journal_event batch[3] = { contract_ev("hr:x", "order-z", &ks[0], 1),
					  contract_ev("hr:x", "order-m", &ks[1], 1),
					  contract_ev("hr:x", "order-a", &ks[2], 1) };
	enum journal_outcome outs[3];
	CHECK(journal_commit(j, batch, 3, outs, err, sizeof(err)) == 0);
	int64_t eid[3] = { 0 };
	q = (struct journal_query){ .subject = "eve", .limit = 10 };
	CHECK(journal_list_jobs(j, &q, &rows, &nrows, err, sizeof(err)) == 0 && nrows == 3);
	for (size_t i = 0; i < nrows; i++)
		for (int t = 0; t < 3; t++)
			eid[t] = rows[i].params && rows[i].params[5] == '0' + t ? rows[i].id : eid[t];
	journal_jobs_free(rows, nrows);
	CHECK(eid[0] > 0 && eid[0] < eid[1] && eid[1] < eid[2]);
}

/* The one job a claim by owner took (lease lease_ms), or 0 when it took none; more than one fails. */
static int64_t held_claim(struct journal *j, const char *owner, int64_t lease_ms)
{
	struct job *jobs = NULL;
	size_t n = 0;
	char err[256];
	CHECK(journal_claim(j, owner, lease_ms, 1, &jobs, &n, err, sizeof(err)) == 0 && n <= 1);
	int64_t id = n == 1 ? jobs[0].id : 0;
	journal_jobs_free(jobs, n);
	return id;
}

/*
 * The order is a person's, not a subject text's: an HR job keyed by login and an Okta job keyed by
 * the user id whose event names that login (in another case) wait for each other. A job without a
 * subject is nobody's, and a subject without a login is its own person.
 */
static void contract_person_order(struct journal *j)
{
	char err[256];
	enum journal_outcome out;
	int64_t ids[10];
	size_t n = 0;
	struct job_spec hr = { .action = "create_user", .subject = "Pat@Example.com" };
	struct job_spec okta = { .action = "send_activation", .subject = "00uPAT" };
	struct job_spec zed = { .action = "send_activation", .subject = "00uZED" };
	struct job_spec none = { .action = "create_user" };
	struct journal_event ev[] = { contract_ev("hr:x", "person-hr", &hr, 1),
				      contract_ev("okta", "person-okta", &okta, 1),
				      contract_ev("okta", "person-zed", &zed, 1),
				      contract_ev("okta", "person-none", &none, 1) };
	ev[0].subject_id = "E7", ev[0].subject_login = "Pat@Example.com";
	ev[1].subject_id = "00uPAT", ev[1].subject_login = "pat@example.COM";
	ev[2].subject_id = "00uZED", ev[2].subject_login = NULL;
	ev[3].subject_id = "00uPAT", ev[3].subject_login = "pat@example.com";
	int64_t id[4];
	for (int i = 0; i < 4; i++) {
		CHECK(contract_commit1(j, &ev[i], &out) == 0 && out == JOURNAL_STORED);
		struct journal_query q = { .limit = 100 };
		struct job *rows = NULL;
		size_t nrows = 0;
		id[i] = 0;
		CHECK(journal_list_jobs(j, &q, &rows, &nrows, err, sizeof(err)) == 0);
		for (size_t k = 0; k < nrows; k++) /* the newest job is this event's */
			if (rows[k].id > id[i])
				id[i] = rows[k].id;
		journal_jobs_free(rows, nrows);
	}
	CHECK(id[0] > 0 && id[0] < id[1] && id[1] < id[2] && id[2] < id[3]);
	order_claim(j, "w1", ids, &n);
	CHECK(n == 3 && ids[0] == id[0] && ids[1] == id[2] && ids[2] == id[3]);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 0);
	struct job *row = contract_job(j, id[1]);
	CHECK(row && strcmp(row->state, "pending") == 0 && row->held_by == id[0]);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_job_finish(j, id[0], "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
	order_claim(j, "w2", ids, &n);
	CHECK(n == 1 && ids[0] == id[1]);
	for (int i = 1; i < 4; i++)
		CHECK(journal_job_finish(j, id[i], i == 1 ? "w2" : "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);

	/* A keyed job held behind its person's running one, moved by the renamed person's event: free. */
	struct job_spec upd = { .action = "update_profile", .subject = "amy@x.org" };
	struct job_spec keyed = { .action = "send_activation", .subject = "amy@x.org", .job_key = "sa:E8" };
	struct journal_event ka[] = { contract_ev("hr:x", "amy-1", &upd, 1), contract_ev("hr:x", "amy-2", &keyed, 1),
				      contract_ev("hr:x", "amy-3", &keyed, 1) };
	ka[0].subject_login = ka[1].subject_login = "amy@x.org";
	ka[2].subject_login = "amy.new@x.org";
	CHECK(contract_commit1(j, &ka[0], &out) == 0 && contract_commit1(j, &ka[1], &out) == 0);
	order_claim(j, "w1", ids, &n); /* the update runs; the keyed job is marked behind it */
	CHECK(n == 1);
	int64_t upd_id = n ? ids[0] : 0;
	order_claim(j, "w2", ids, &n);
	CHECK(n == 0);
	CHECK(contract_commit1(j, &ka[2], &out) == 0 && out == JOURNAL_STORED);
	order_claim(j, "w2", ids, &n);
	row = n ? contract_job(j, ids[0]) : NULL;
	CHECK(n == 1 && row && row->job_key && strcmp(row->job_key, "sa:E8") == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(journal_job_finish(j, upd_id, "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
}

/*
 * Jobs waiting behind their subject's (held) do not stand in the claim's way, however many: with
 * 300 of pat's jobs queued behind her first, a claim still finds quinn's, after them. Each job that
 * ends (done, a retry, a deferral, dead, a lease lost) lets exactly the next one go, in order, until
 * none is left pending.
 */
#define HELD_JOBS 300
static void contract_held_jobs(struct journal *j)
{
	char err[256], key[32];
	enum journal_outcome out;
	struct job_spec pat[50];
	for (int i = 0; i < 50; i++)
		pat[i] = (struct job_spec){ .action = "update_profile", .subject = "pat" };
	for (int e = 0; e < HELD_JOBS / 50; e++) {
		snprintf(key, sizeof(key), "held-%d", e);
		struct journal_event ev = contract_ev("hr:x", key, pat, 50);
		ev.subject_login = "pat";
		CHECK(contract_commit1(j, &ev, &out) == 0 && out == JOURNAL_STORED);
	}
	struct job_spec quinn = { .action = "create_user", .subject = "quinn" };
	struct journal_event ev = contract_ev("hr:x", "held-quinn", &quinn, 1);
	ev.subject_login = "quinn";
	CHECK(contract_commit1(j, &ev, &out) == 0 && out == JOURNAL_STORED);

	int64_t first = held_claim(j, "w1", 60000);
	int64_t q = held_claim(j, "w2", 60000);
	struct job *row = contract_job(j, q);
	CHECK(first > 0 && q > first && row && strcmp(row->subject, "quinn") == 0);
	journal_jobs_free(row, row ? 1 : 0);
	CHECK(held_claim(j, "w3", 60000) == 0);
	CHECK(journal_job_finish(j, q, "w2", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
	/* each passed over behind the nearest job in its way: the running one, then the one before it */
	int64_t behind[][2] = { { first + 1, first },
				{ first + 2, first + 1 },
				{ first + HELD_JOBS - 1, first + HELD_JOBS - 2 } };
	for (size_t i = 0; i < sizeof(behind) / sizeof(behind[0]); i++) {
		row = contract_job(j, behind[i][0]);
		CHECK(row && strcmp(row->subject, "pat") == 0 && row->held_by == behind[i][1]);
		journal_jobs_free(row, row ? 1 : 0);
	}
	row = contract_job(j, first);
	CHECK(row && row->held_by == 0);
	journal_jobs_free(row, row ? 1 : 0);

	int64_t cur = first, settled = 0;
	while (cur > 0 && settled < HELD_JOBS) {
		int64_t now = clock_now_ms();
		switch (settled % 5) {
		case 0: CHECK(journal_job_finish(j, cur, "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0); break;
		case 1: /* due again at once: the same job comes back before the next */
			CHECK(journal_job_finish(j, cur, "w1", JOB_RETRY, now - 1, "okta 503", err, sizeof(err)) == 0);
			CHECK(held_claim(j, "w1", 60000) == cur);
			CHECK(journal_job_finish(j, cur, "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
			break;
		case 2:
			CHECK(journal_job_finish(j, cur, "w1", JOB_DEFER, now - 1, "rate limit", err, sizeof(err)) ==
			      0);
			CHECK(held_claim(j, "w1", 60000) == cur);
			CHECK(journal_job_finish(j, cur, "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
			break;
		case 3: CHECK(journal_job_finish(j, cur, "w1", JOB_DEAD, 0, "okta 400", err, sizeof(err)) == 0); break;
		default: /* a lease lost: taken back by another worker, then done */
			CHECK(journal_job_finish(j, cur, "w1", JOB_RETRY, now - 1, "okta 503", err, sizeof(err)) == 0);
			CHECK(held_claim(j, "w9", 1) == cur);
			usleep(5000);
			CHECK(held_claim(j, "w1", 60000) == cur);
			CHECK(journal_job_finish(j, cur, "w1", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
			break;
		}
		settled++;
		if (settled == 1) { /* the first done: the one behind it is no longer marked */
			row = contract_job(j, first + 1);
			CHECK(row && row->held_by == 0);
			journal_jobs_free(row, row ? 1 : 0);
		}
		int64_t next = held_claim(j, "w1", 60000);
		CHECK(next == 0 || next > cur);			     /* in the order they came */
		CHECK(next == 0 || held_claim(j, "w3", 60000) == 0); /* and one at a time */
		cur = next;
	}
	CHECK(settled == HELD_JOBS && cur == 0);
	int64_t counts[JOB_STATE_COUNT] = { 0 }, oldest = 0;
	CHECK(journal_job_stats(j, counts, &oldest, err, sizeof(err)) == 0 && counts[JOB_STATE_PENDING] == 0 &&
	      counts[JOB_STATE_RUNNING] == 0 && counts[JOB_STATE_DEAD] == HELD_JOBS / 5);
}

/* A keyed job moves the pending job of its key; once that one runs, a new one is added. */
static void contract_job_key(struct journal *j)
{
	int64_t now = clock_now_ms();
	struct job_spec k1 = { .action = "send_activation",
			       .rule = "start",
			       .subject = "emp-7",
			       .params = "{\"v\":1}",
			       .run_at_ms = now + 86400000,
			       .job_key = "send_activation:emp-7" };
	struct job_spec k2 = k1;
	k2.params = "{\"v\":2}";
	k2.run_at_ms = now - 1000;
	struct journal_event e1 = contract_ev("hr:x", "key-1", &k1, 1), e2 = contract_ev("hr:x", "key-2", &k2, 1);
	enum journal_outcome out;
	CHECK(contract_commit1(j, &e1, &out) == 0 && out == JOURNAL_STORED);
	CHECK(contract_commit1(j, &e2, &out) == 0 && out == JOURNAL_STORED);
	struct journal_query q = { .state = "pending", .limit = 100 };
	struct job *jobs = NULL;
	size_t n = 0, keyed = 0;
	char err[256];
	int64_t id = 0;
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++) {
		if (jobs[i].job_key && strcmp(jobs[i].job_key, "send_activation:emp-7") == 0) {
			keyed++;
			id = jobs[i].id;
			CHECK_STR(jobs[i].params, "{\"v\":2}");
			CHECK(jobs[i].run_at_ms == now - 1000);
		}
	}
	journal_jobs_free(jobs, n);
	CHECK(keyed == 1);

	CHECK(journal_claim(j, "w1", 60000, 1, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].id == id);
	journal_jobs_free(jobs, n);
	struct journal_event e3 = contract_ev("hr:x", "key-3", &k1, 1);
	CHECK(contract_commit1(j, &e3, &out) == 0 && out == JOURNAL_STORED);
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0);
	keyed = 0;
	for (size_t i = 0; i < n; i++)
		keyed += jobs[i].job_key && strcmp(jobs[i].job_key, "send_activation:emp-7") == 0 && jobs[i].id != id;
	journal_jobs_free(jobs, n);
	CHECK(keyed == 1);
	CHECK(journal_job_finish(j, id, "w1", JOB_DONE, 0, NULL, err, sizeof(err)) == 0);
}

/* The shared rate budget: spend down to the reserve, then wait for the reset; window rules. */
static void contract_rate(struct journal *j)
{
	char err[256];
	int64_t now = 1700000000000;
	struct rate_window w = { 0 };
	CHECK(journal_rate_read(j, "users", &w, err, sizeof(err)) == 1);
	CHECK(journal_rate_take(j, "users", 2, now, err, sizeof(err)) == 0); /* unknown: go */

	struct rate_window seen = { .limit = 600, .remaining = 4, .reset_s = 1700000060, .reset_ms = now + 60000 };
	CHECK(journal_rate_update(j, "users", &seen, now, err, sizeof(err)) == 0);
	CHECK(journal_rate_take(j, "users", 2, now + 1, err, sizeof(err)) == 0); /* 4 -> 3 */
	CHECK(journal_rate_take(j, "users", 2, now + 2, err, sizeof(err)) == 0); /* 3 -> 2 */
	CHECK(journal_rate_take(j, "users", 2, now + 10, err, sizeof(err)) == 60000 - 10);
	CHECK(journal_rate_read(j, "users", &w, err, sizeof(err)) == 0);
	CHECK(w.remaining == 2 && w.limit == 600 && w.reset_s == 1700000060 && w.reset_ms == now + 60000);
	CHECK(journal_rate_take(j, "user_get", 2, now, err, sizeof(err)) == 0); /* other buckets are apart */

	/* The same window only lowers remaining; an older window is ignored. */
	struct rate_window late = seen;
	late.remaining = 50;
	CHECK(journal_rate_update(j, "users", &late, now + 20, err, sizeof(err)) == 0);
	late.remaining = 1;
	CHECK(journal_rate_update(j, "users", &late, now + 21, err, sizeof(err)) == 0);
	struct rate_window old = { .limit = 600, .remaining = 599, .reset_s = 1700000000, .reset_ms = now };
	CHECK(journal_rate_update(j, "users", &old, now + 22, err, sizeof(err)) == 0);
	CHECK(journal_rate_read(j, "users", &w, err, sizeof(err)) == 0 && w.remaining == 1 && w.reset_s == 1700000060);

	/* Once the window resets, requests go (without spending) until a newer window is recorded. */
	CHECK(journal_rate_take(j, "users", 2, now + 60000, err, sizeof(err)) == 0);
	struct rate_window next = { .limit = 600, .remaining = 599, .reset_s = 1700000120, .reset_ms = now + 120000 };
	CHECK(journal_rate_update(j, "users", &next, now + 60001, err, sizeof(err)) == 0);
	CHECK(journal_rate_take(j, "users", 2, now + 60002, err, sizeof(err)) == 0);
	CHECK(journal_rate_read(j, "users", &w, err, sizeof(err)) == 0 && w.remaining == 598);

	/*
	 * Blind requests (no current window known) go; when a window arrives, all but one of them are
	 * counted as spent in it (the response that brought it was one of them).
	 */
	for (int i = 0; i < 4; i++)
		CHECK(journal_rate_take(j, "event_hooks", 0, now, err, sizeof(err)) == 0);
	struct rate_window eh = { .limit = 100, .remaining = 50, .reset_s = 1700000060, .reset_ms = now + 60000 };
	CHECK(journal_rate_update(j, "event_hooks", &eh, now + 1, err, sizeof(err)) == 0);
	CHECK(journal_rate_read(j, "event_hooks", &w, err, sizeof(err)) == 0 && w.remaining == 47);
	eh.remaining = 49; /* a later response of the same window: lowers only when lower */
	CHECK(journal_rate_update(j, "event_hooks", &eh, now + 2, err, sizeof(err)) == 0);
	CHECK(journal_rate_read(j, "event_hooks", &w, err, sizeof(err)) == 0 && w.remaining == 47);
	/* The window ends: blind again, counted against the next one. */
	CHECK(journal_rate_take(j, "event_hooks", 0, now + 60000, err, sizeof(err)) == 0);
	CHECK(journal_rate_take(j, "event_hooks", 0, now + 60001, err, sizeof(err)) == 0);
	struct rate_window eh2 = { .limit = 100, .remaining = 99, .reset_s = 1700000120, .reset_ms = now + 120000 };
	CHECK(journal_rate_update(j, "event_hooks", &eh2, now + 60002, err, sizeof(err)) == 0);
	CHECK(journal_rate_read(j, "event_hooks", &w, err, sizeof(err)) == 0 && w.remaining == 98);

	/* A tiny limit keeps at most limit - 1 in reserve: with limit 1 the one request goes. */
	struct rate_window tiny = { .limit = 1, .remaining = 1, .reset_s = 1700000060, .reset_ms = now + 60000 };
	CHECK(journal_rate_update(j, "token", &tiny, now, err, sizeof(err)) == 0);
	CHECK(journal_rate_take(j, "token", 5, now, err, sizeof(err)) == 0);
	CHECK(journal_rate_take(j, "token", 5, now, err, sizeof(err)) > 0);
}

/* The reconciler's cursor and lease: one holder at a time, take-over after expiry, cursor only by the holder. */
static void contract_cursor(struct journal *j)
{
	char err[256];
	int64_t now = 1700000000000, cur = 0;
	struct journal_cursor c;
	CHECK(journal_cursor_read(j, "okta_logs", &c, err, sizeof(err)) == 1 && c.cursor_ms == -1);
	CHECK(journal_cursor_lease(j, "okta_logs", "a", now, 10000, &cur, err, sizeof(err)) == 1);
	CHECK(cur == -1); /* never set */
	CHECK(journal_cursor_lease(j, "okta_logs", "b", now + 1, 10000, &cur, err, sizeof(err)) == 0);
	CHECK(journal_cursor_advance(j, "okta_logs", "b", now, 7, now + 2, err, sizeof(err)) == 1); /* not b's */
	CHECK(journal_cursor_advance(j, "okta_logs", "a", now - 5000, 2, now + 3, err, sizeof(err)) == 0);
	CHECK(journal_cursor_read(j, "okta_logs", &c, err, sizeof(err)) == 0);
	CHECK(c.found == 2); /* b's 7 were refused */
	CHECK(c.cursor_ms == now - 5000 && c.updated_ms == now + 3 && strcmp(c.owner, "a") == 0 &&
	      c.lease_expires_ms == now + 10000);
	/* the holder renews; another takes over only once the lease has run out, and sees the cursor */
	CHECK(journal_cursor_lease(j, "okta_logs", "a", now + 5000, 10000, &cur, err, sizeof(err)) == 1);
	CHECK(cur == now - 5000);
	CHECK(journal_cursor_lease(j, "okta_logs", "b", now + 14999, 10000, &cur, err, sizeof(err)) == 0);
	CHECK(journal_cursor_lease(j, "okta_logs", "b", now + 15000, 10000, &cur, err, sizeof(err)) == 1);
	CHECK(cur == now - 5000);
	CHECK(journal_cursor_advance(j, "okta_logs", "b", now + 1000, 3, now + 15000, err, sizeof(err)) == 0);
	CHECK(journal_cursor_read(j, "okta_logs", &c, err, sizeof(err)) == 0 && c.found == 5 &&
	      c.cursor_ms == now + 1000);
	CHECK(journal_cursor_advance(j, "okta_logs", "a", now, 5, now + 15001, err, sizeof(err)) == 1);
	CHECK(journal_cursor_lease(j, "okta_logs", "a", now + 15002, 10000, &cur, err, sizeof(err)) == 0);
	/* giving it up (ttl 0) lets the other take it at once */
	CHECK(journal_cursor_lease(j, "okta_logs", "b", now + 16000, 0, &cur, err, sizeof(err)) == 1);
	CHECK(journal_cursor_lease(j, "okta_logs", "a", now + 16000, 10000, &cur, err, sizeof(err)) == 1);
	/* names are apart */
	CHECK(journal_cursor_read(j, "other", &c, err, sizeof(err)) == 1);
	CHECK(journal_cursor_lease(j, "other", "b", now + 16000, 10000, &cur, err, sizeof(err)) == 1 && cur == -1);
}

/*
 * Commits n fresh Okta events in one write, the i-th naming ids[i] as its transaction.id and asking
 * for the echo lookup, and sets known[i] to whether it was told as hookd's echo. 0, or -1.
 */
static int told_echoes(struct journal *j, const char *const *ids, size_t n, unsigned char *known)
{
	static int seq;
	struct job_spec js = { .action = "send_activation", .rule = "r", .subject = "00uAsk", .unless_echo = 1 };
	struct journal_event ev[8];
	enum journal_outcome out[8];
	char key[8][32];
	if (n > 8)
		return -1;
	for (size_t i = 0; i < n; i++) {
		snprintf(key[i], sizeof(key[i]), "req-ask-%d", seq++);
		ev[i] = contract_ev("okta", key[i], &js, 1);
		ev[i].echo_lookup = 1;
		ev[i].request_id = ids[i];
	}
	char err[256];
	if (journal_commit(j, ev, n, out, err, sizeof(err)) < 0)
		return -1;
	for (size_t i = 0; i < n; i++)
		known[i] = out[i] == JOURNAL_STORED_ECHO;
	return 0;
}

/* hookd's own request ids: recorded, told in one commit's lookup, pruned by age; per-source status. */
static void contract_requests(struct journal *j)
{
	char err[256];
	int64_t now = 1700000000000LL;
	CHECK(journal_request_record(j, "reqAAA", now, err, sizeof(err)) == 0);
	CHECK(journal_request_record(j, "reqBBB", now + 10, err, sizeof(err)) == 0);
	CHECK(journal_request_record(j, "reqAAA", now + 20, err, sizeof(err)) == 0); /* again: the time moves */
	CHECK(journal_request_record(j, "", now, err, sizeof(err)) == -1);
	char longid[200];
	memset(longid, 'x', sizeof(longid) - 1);
	longid[sizeof(longid) - 1] = '\0';
	CHECK(journal_request_record(j, longid, now, err, sizeof(err)) == -1);
	/* ids with JSON's special characters are only ids: nothing matches, nothing breaks */
	const char *ids[] = { "reqBBB", NULL, "nope", "reqAAA", "", "a\"b\\c", longid, "reqAAA" };
	unsigned char known[8];
	CHECK(told_echoes(j, ids, 8, known) == 0);
	CHECK(known[0] == 1 && known[1] == 0 && known[2] == 0 && known[3] == 1 && known[4] == 0 && known[5] == 0 &&
	      known[6] == 0 && known[7] == 1);
	CHECK(journal_request_record(j, "a\"b\\c", now, err, sizeof(err)) == 0);
	CHECK(told_echoes(j, ids + 5, 1, known) == 0 && known[0] == 1);
	CHECK(told_echoes(j, ids + 1, 1, known) == 0 && known[0] == 0);
	/* older than now + 15: reqBBB (now + 10) and the odd id (now) go, reqAAA (now + 20) stays */
	CHECK(journal_requests_prune(j, now + 15, err, sizeof(err)) == 2);
	CHECK(told_echoes(j, ids, 4, known) == 0 && known[0] == 0 && known[3] == 1);
	CHECK(journal_requests_prune(j, now + 15, err, sizeof(err)) == 0);

	struct source_status *st = NULL;
	size_t n = 9;
	CHECK(journal_source_status(j, &st, &n, err, sizeof(err)) == 0 && n == 0);
	journal_source_status_free(st, n);
	CHECK(journal_source_note(j, "okta", NULL, now, err, sizeof(err)) == 0);
	CHECK(journal_source_note(j, "okta", "unauthorized", now + 5, err, sizeof(err)) == 0);
	CHECK(journal_source_note(j, "hr:bamboohr", "bad_signature", now + 7, err, sizeof(err)) == 0);
	CHECK(journal_source_note(j, "okta", NULL, now + 9, err, sizeof(err)) == 0);
	CHECK(journal_source_status(j, &st, &n, err, sizeof(err)) == 0 && n == 2);
	if (n == 2) {
		CHECK(strcmp(st[0].source, "hr:bamboohr") == 0 && st[0].accepted_ms == 0 &&
		      st[0].refused_ms == now + 7);
		CHECK(st[0].refusal && strcmp(st[0].refusal, "bad_signature") == 0);
		CHECK(strcmp(st[1].source, "okta") == 0 && st[1].accepted_ms == now + 9 && st[1].refused_ms == now + 5);
		CHECK(st[1].refusal && strcmp(st[1].refusal, "unauthorized") == 0);
	}
	journal_source_status_free(st, n);
}

/* ---- a first delivery and its redeliveries at once: the unique index judges ---- */

#define RACE_THREADS 6
#define RACE_KEYS 40

struct race {
	struct journal *j;
	pthread_barrier_t *go;
	const char *prefix;
	int stored, dups, errors;
};

static void *race_thread(void *arg)
{
	struct race *r = arg;
	for (int i = 0; i < RACE_KEYS; i++) {
		char key[64];
		snprintf(key, sizeof(key), "%s-%d", r->prefix, i);
		struct job_spec js = { .action = "create_user", .rule = "r", .subject = key };
		struct journal_event e = contract_ev("okta", key, &js, 1);
		enum journal_outcome out;
		pthread_barrier_wait(r->go); /* every thread sends key i at the same moment */
		if (contract_commit1(r->j, &e, &out) < 0)
			r->errors++;
		else if (out == JOURNAL_STORED)
			r->stored++;
		else
			r->dups++;
	}
	return NULL;
}

/*
 * RACE_THREADS send each key together, then once more each (redeliveries of an event now durable,
 * which a backend may answer from a cache): each key stored once with one job, every other send a
 * duplicate, and the counts reach the row.
 */
static void contract_race(struct journal *j)
{
	pthread_barrier_t go;
	pthread_barrier_init(&go, NULL, RACE_THREADS);
	struct race r[RACE_THREADS];
	pthread_t t[RACE_THREADS];
	for (int round = 0; round < 2; round++) {
		for (int i = 0; i < RACE_THREADS; i++) {
			r[i] = (struct race){ .j = j, .go = &go, .prefix = "race" };
			pthread_create(&t[i], NULL, race_thread, &r[i]);
		}
		int stored = 0, dups = 0, errors = 0;
		for (int i = 0; i < RACE_THREADS; i++) {
			pthread_join(t[i], NULL);
			stored += r[i].stored;
			dups += r[i].dups;
			errors += r[i].errors;
		}
		CHECK(errors == 0);
		CHECK(stored == (round == 0 ? RACE_KEYS : 0));
		CHECK(dups == RACE_THREADS * RACE_KEYS - (round == 0 ? RACE_KEYS : 0));
	}
	pthread_barrier_destroy(&go);
	struct journal_query q = { .limit = 1000, .source = "okta" };
	struct event_row *rows = NULL;
	size_t n = 0;
	char err[256];
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
	CHECK(n == RACE_KEYS);
	int bad = 0;
	for (size_t i = 0; i < n; i++)
		bad += rows[i].duplicates != 2 * RACE_THREADS - 1;
	CHECK(bad == 0);
	journal_events_free(rows, n);
	int64_t counts[4];
	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0 && counts[0] == RACE_KEYS);
}

/* One activation record (what handlers/activation.c journals) for user uid. */
static int contract_record(struct journal *j, const char *key, const char *uid, const char *login, const char *json,
			   const struct job_spec *js)
{
	struct journal_event e = { .source = "hookd",
				   .dedupe_key = key,
				   .type = "activation.sent",
				   .subject_id = uid,
				   .subject_login = login,
				   .subject_json = json,
				   .raw = slice_cstr(json),
				   .jobs = js,
				   .njobs = js ? 1 : 0 };
	enum journal_outcome out;
	return contract_commit1(j, &e, &out);
}

/* Stuck people first (the admin list) before the limit cuts; else the newest record first. */
static void contract_people_order(struct journal *j)
{
	CHECK(contract_record(j, "r4", "00uC", "c@x.com", "{\"state\":\"active\",\"okta_status\":\"ACTIVE\"}", NULL) ==
	      0);
	struct person *p;
	size_t n;
	char err[256];
	struct people_query newest = { .limit = 1 }, stuck_first = { .limit = 1, .stuck_first = 1 },
			    all = { .stuck_first = 1 };
	CHECK(journal_list_people(j, &newest, &p, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(p[0].user_id, "00uC") == 0);
	journal_people_free(p, n);
	CHECK(journal_list_people(j, &stuck_first, &p, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(p[0].user_id, "00uA") == 0 && strcmp(p[0].state, "stuck") == 0);
	journal_people_free(p, n);
	CHECK(journal_list_people(j, &all, &p, &n, err, sizeof(err)) == 0 && n == 3);
	CHECK(n == 3 && strcmp(p[0].user_id, "00uA") == 0 && strcmp(p[1].user_id, "00uC") == 0 &&
	      strcmp(p[2].user_id, "00uB") == 0);
	journal_people_free(p, n);
}

/*
 * Okta logins are case-insensitive: the subject filters and the people login filter match a login
 * whatever its ASCII case (an admin types "A@X.com" for "a@x.com"), the same on both backends.
 */
static void contract_login_case(struct journal *j)
{
	struct journal_query upper = { .subject = "A@X.COM", .limit = 10 },
			     mixed = { .subject = "b@X.com", .limit = 10 };
	struct job *jobs;
	struct event_row *ev;
	size_t n;
	char err[256];
	CHECK(journal_list_jobs(j, &upper, &jobs, &n, err, sizeof(err)) == 0 && n == 1); /* via its event's login */
	journal_jobs_free(jobs, n);
	CHECK(journal_list_events(j, &upper, &ev, &n, err, sizeof(err)) == 0 && n == 2);
	journal_events_free(ev, n);
	CHECK(journal_list_events(j, &mixed, &ev, &n, err, sizeof(err)) == 0 && n == 1);
	journal_events_free(ev, n);
	struct people_query one = { .login = "A@x.Com" };
	struct person *p;
	CHECK(journal_list_people(j, &one, &p, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(p[0].user_id, "00uA") == 0);
	journal_people_free(p, n);
	/* ASCII case only, as SQLite folds it: "\xc3\x89" (E acute) is not "\xc3\xa9" (e acute) on either backend */
	struct journal_event e = contract_ev("case", "c1", NULL, 0);
	e.subject_id = "00uE";
	e.subject_login = "\xc3\x89mile@x.com";
	enum journal_outcome out;
	CHECK(contract_commit1(j, &e, &out) == 0 && out == JOURNAL_STORED);
	struct journal_query ascii = { .subject = "\xc3\x89MILE@X.COM", .limit = 10 },
			     accent = { .subject = "\xc3\xa9mile@x.com", .limit = 10 };
	CHECK(journal_list_events(j, &ascii, &ev, &n, err, sizeof(err)) == 0 && n == 1);
	journal_events_free(ev, n);
	CHECK(journal_list_events(j, &accent, &ev, &n, err, sizeof(err)) == 0 && n == 0);
	journal_events_free(ev, n);
}

/* The onboarding view and the listing filters (subject by id or login, action, since). */
static void contract_people(struct journal *j)
{
	int64_t now = clock_now_ms();
	struct job_spec f = { .action = "follow_up_activation",
			      .rule = "activation",
			      .subject = "00uA",
			      .params = "{}",
			      .run_at_ms = now + 86400000,
			      .job_key = "follow_up_activation:00uA" };
	CHECK(contract_record(j, "r1", "00uA", "a@x.com", "{\"state\":\"pending\",\"resends\":0,\"sent_ms\":5}", &f) ==
	      0);
	CHECK(contract_record(j, "r2", "00uB", "b@x.com", "{\"state\":\"pending\",\"okta_status\":\"PROVISIONED\"}",
			      NULL) == 0);
	CHECK(contract_record(
		      j, "r3", "00uA", "a@x.com",
		      "{\"state\":\"stuck\",\"resends\":2,\"okta_status\":\"PROVISIONED\",\"login\":\"a@x.com\"}",
		      &f) == 0);
	struct person *p;
	size_t n;
	char err[256];
	struct people_query all = { 0 }, stuck = { .state = "stuck" }, one = { .login = "a@x.com", .with_errors = 1 };
	CHECK(journal_list_people(j, &all, &p, &n, err, sizeof(err)) == 0 && n == 2);
	CHECK(n == 2 && strcmp(p[0].user_id, "00uA") == 0 && p[0].resends == 2); /* newest record wins */
	journal_people_free(p, n);
	CHECK(journal_list_people(j, &stuck, &p, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(p[0].state, "stuck") == 0);
	journal_people_free(p, n);
	CHECK(journal_list_people(j, &one, &p, &n, err, sizeof(err)) == 0 && n == 1);
	journal_people_free(p, n);

	/* The keyed follow-up was moved, not doubled; it is found by id, by login and by action. */
	struct journal_query by_id = { .subject = "00uA", .limit = 10 },
			     by_login = { .subject = "a@x.com", .limit = 10 };
	struct journal_query by_action = { .action = "follow_up_activation", .limit = 10 };
	struct journal_query later = { .since_ms = now + 3600000, .limit = 10 },
			     none = { .subject = "zz", .limit = 10 };
	struct job *jobs;
	CHECK(journal_list_jobs(j, &by_id, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &by_login, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &by_action, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &later, &jobs, &n, err, sizeof(err)) == 0 && n == 0);
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &none, &jobs, &n, err, sizeof(err)) == 0 && n == 0);
	journal_jobs_free(jobs, n);
	struct event_row *ev;
	CHECK(journal_list_events(j, &by_login, &ev, &n, err, sizeof(err)) == 0 && n == 2);
	journal_events_free(ev, n);
	CHECK(journal_list_events(j, &later, &ev, &n, err, sizeof(err)) == 0 && n == 0);
	journal_events_free(ev, n);
	contract_login_case(j);
	contract_people_order(j);
}

/* The listing filters the admin API pushes down: type, status, until for events; event_id for jobs; paging with them. */
static void contract_filters(struct journal *j)
{
	struct job_spec js = { .action = "create_user", .subject = "u1@x.com" };
	struct journal_event e[4] = { contract_ev("flt", "f1", &js, 1), contract_ev("flt", "f2", NULL, 0),
				      contract_ev("flt", "f3", &js, 1), contract_ev("other", "f4", NULL, 0) };
	e[1].type = "user.lifecycle.deactivate";
	e[1].status = "rejected";
	e[1].reason = "no mapping";
	e[2].subject_login = "u2@x.com";
	e[2].subject_id = "00u2";
	enum journal_outcome out;
	for (int i = 0; i < 4; i++)
		CHECK(contract_commit1(j, &e[i], &out) == 0 && out == JOURNAL_STORED);
	struct event_row *rows;
	size_t n;
	char err[256];
	struct journal_query by_type = { .source = "flt", .type = "user.lifecycle.create", .limit = 10 };
	CHECK(journal_list_events(j, &by_type, &rows, &n, err, sizeof(err)) == 0 && n == 2);
	CHECK(n == 2 && strcmp(rows[0].dedupe_key, "f3") == 0 && strcmp(rows[1].dedupe_key, "f1") == 0);
	int64_t f1 = n == 2 ? rows[1].id : 0, f1_ms = n == 2 ? rows[1].received_ms : 0, f3 = n ? rows[0].id : 0;
	journal_events_free(rows, n);
	struct journal_query rejected = { .status = "rejected", .limit = 10 },
			     accepted = { .source = "flt", .status = "accepted", .limit = 10 };
	CHECK(journal_list_events(j, &rejected, &rows, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(rows[0].dedupe_key, "f2") == 0 && strcmp(rows[0].status, "rejected") == 0);
	journal_events_free(rows, n);
	CHECK(journal_list_events(j, &accepted, &rows, &n, err, sizeof(err)) == 0 && n == 2);
	journal_events_free(rows, n);
	struct journal_query type_subject = { .type = "user.lifecycle.create", .subject = "u2@x.com", .limit = 10 };
	CHECK(journal_list_events(j, &type_subject, &rows, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && rows[0].id == f3);
	journal_events_free(rows, n);
	/* until: nothing received after it; far in the past: nothing at all */
	struct journal_query until = { .source = "flt", .until_ms = f1_ms, .limit = 10 },
			     past = { .until_ms = 1000, .limit = 10 };
	CHECK(journal_list_events(j, &until, &rows, &n, err, sizeof(err)) == 0 && n >= 1);
	int later = 0, has_f1 = 0;
	for (size_t i = 0; i < n; i++) {
		later |= rows[i].received_ms > f1_ms;
		has_f1 |= rows[i].id == f1;
	}
	CHECK(!later && has_f1);
	journal_events_free(rows, n);
	CHECK(journal_list_events(j, &past, &rows, &n, err, sizeof(err)) == 0 && n == 0);
	journal_events_free(rows, n);
	/* a page of one with a filter, then the next older one the filter keeps (f2 in between is skipped) */
	by_type.limit = 1;
	CHECK(journal_list_events(j, &by_type, &rows, &n, err, sizeof(err)) == 0 && n == 1 && rows[0].id == f3);
	journal_events_free(rows, n);
	by_type.before_id = f3;
	CHECK(journal_list_events(j, &by_type, &rows, &n, err, sizeof(err)) == 0 && n == 1 && rows[0].id == f1);
	journal_events_free(rows, n);
	/* jobs of one event */
	struct job *jobs;
	struct journal_query of_f3 = { .event_id = f3, .limit = 10 }, of_none = { .event_id = f3 + 1000, .limit = 10 };
	CHECK(journal_list_jobs(j, &of_f3, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].event_id == f3);
	journal_jobs_free(jobs, n);
	CHECK(journal_list_jobs(j, &of_none, &jobs, &n, err, sizeof(err)) == 0 && n == 0);
	journal_jobs_free(jobs, n);
}

/* Runs the whole contract on journals from open_fn (each on an empty store). */

/* The event with dedupe key key from source "ret", or NULL (caller frees with journal_events_free(row, 1)). */
static struct event_row *ret_event(struct journal *j, const char *key)
{
	struct journal_query q = { .source = "ret", .limit = 100 };
	struct event_row *rows = NULL, *found = NULL;
	size_t n = 0;
	char err[256];
	if (journal_list_events(j, &q, &rows, &n, err, sizeof(err)) < 0)
		return NULL;
	for (size_t i = 0; i < n && !found; i++)
		if (strcmp(rows[i].dedupe_key, key) == 0)
			found = &rows[i];
	static struct event_row copy;
	static struct event_row *keep;
	static size_t keep_n;
	journal_events_free(keep, keep_n);
	keep = rows, keep_n = n;
	if (!found)
		return NULL;
	copy = *found;
	return &copy;
}

/* Retention: finished jobs, then event content, then event rows (dedupe keys) after the dedupe window. */
static void contract_retention(struct journal *j)
{
	char err[256];
	enum journal_outcome out;
	struct journal_prune_result r;
	const int64_t day = 86400000, now = clock_now_ms();
	struct job_spec js[] = { { .action = "create_user", .rule = "r", .subject = "ann@example.com" } };
	struct journal_event a = contract_ev("ret", "ret-a", js, 1), b = contract_ev("ret", "ret-b", NULL, 0);
	CHECK(contract_commit1(j, &a, &out) == 0 && contract_commit1(j, &b, &out) == 0);
	/* nothing is old yet */
	CHECK(journal_prune(j, now, 30 * day, 90 * day, 1, 0, 0, &r, err, sizeof(err)) == 0);
	CHECK(r.jobs == 0 && r.scrubbed == 0 && r.events == 0);
	/* 100 days on: a's job is pending, so a stays whole; b goes (row and key) */
	CHECK(journal_prune(j, now + 100 * day, 30 * day, 90 * day, 1, 0, 1, &r, err, sizeof(err)) == 0);
	CHECK(r.jobs == 0 && r.events >= 1);
	CHECK(journal_prune(j, now + 100 * day, 30 * day, 90 * day, 1, 0, 0, &r, err, sizeof(err)) == 0);
	CHECK(ret_event(j, "ret-a") != NULL && ret_event(j, "ret-b") == NULL);
	/* a's job done: the job, then the event go (batches of 1 until none is left) */
	struct job *jobs = NULL;
	size_t n = 0;
	CHECK(journal_claim(j, "w", 60000, 100, &jobs, &n, err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++)
		CHECK(journal_job_finish(j, jobs[i].id, "w", JOB_DONE, 0, "ok", err, sizeof(err)) == 0);
	journal_jobs_free(jobs, n);
	CHECK(journal_prune(j, now + 100 * day, 30 * day, 90 * day, 1, 0, 1, &r, err, sizeof(err)) == 0 && r.jobs >= 1);
	CHECK(journal_prune(j, now + 100 * day, 30 * day, 90 * day, 1, 0, 0, &r, err, sizeof(err)) == 0);
	CHECK(r.jobs >= 1 && r.events >= 1 && ret_event(j, "ret-a") == NULL);
	/* retain_events shorter than the dedupe window: the body and subject go, the key stays */
	struct journal_event c = contract_ev("ret", "ret-c", NULL, 0);
	CHECK(contract_commit1(j, &c, &out) == 0 && out == JOURNAL_STORED);
	CHECK(journal_prune(j, now + 2 * 3600000, 0, 3600000, 10, 0, 0, &r, err, sizeof(err)) == 0);
	CHECK(r.scrubbed >= 1 && r.events == 0);
	struct event_row *row = ret_event(j, "ret-c");
	CHECK(row && strcmp(row->raw, "null") == 0 && !row->subject_login && !row->subject_id);
	CHECK(contract_commit1(j, &c, &out) == 0 && out == JOURNAL_DUPLICATE); /* a late redelivery */
	CHECK(journal_prune(j, now + 8 * day, 0, 3600000, 10, 0, 0, &r, err, sizeof(err)) == 0 && r.events >= 1);
	CHECK(ret_event(j, "ret-c") == NULL);
	ret_event(j, "none"); /* frees the last listing */
}

/* The event with dedupe key key, any source, or NULL; the copy lives until the next call. */
static struct event_row *any_event(struct journal *j, const char *key, size_t *total)
{
	struct journal_query q = { .limit = 1000 };
	static struct event_row *rows;
	static size_t n;
	char err[256];
	journal_events_free(rows, n);
	rows = NULL, n = 0;
	if (!key || journal_list_events(j, &q, &rows, &n, err, sizeof(err)) < 0)
		return NULL;
	if (total)
		*total = n;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].dedupe_key, key) == 0)
			return &rows[i];
	return NULL;
}

static int erased(const struct event_row *e)
{
	return e && strcmp(e->raw, "null") == 0 && !e->subject_login && !e->subject_id && !e->subject_json &&
	       !e->subject_name;
}

/* One person forgotten: an HR record and Okta events linked by login and id, a record, done jobs, a pending job. */
static void contract_forget(struct journal *j)
{
	char err[256];
	enum journal_outcome out;
	int64_t later = clock_now_ms() + 86400000;
	struct job_spec hr_js = { .action = "create_user", .rule = "r", .subject = "fay@example.com", .params = "{}" };
	struct job_spec okta_js = { .action = "send_activation", .subject = "00uF", .job_key = "send_activation:E42" };
	struct job_spec pend_js = { .action = "follow_up_activation", .subject = "00uF", .run_at_ms = later };
	struct job_spec other_js = { .action = "create_user", .subject = "other@example.com", .params = "{}" };
	struct job_spec other_pend = {
		.action = "follow_up_activation", .subject = "other@example.com", .params = "{}", .run_at_ms = later
	};
	struct journal_event ev[] = {
		contract_ev("hr:bamboo", "f-hr", &hr_js, 1),   contract_ev("okta", "f-okta", &okta_js, 1),
		contract_ev("hookd", "f-rec", NULL, 0),	       contract_ev("okta", "f-renamed", NULL, 0),
		contract_ev("okta", "f-pend", &pend_js, 1),    contract_ev("okta", "o-1", &other_js, 1),
		contract_ev("okta", "o-pend", &other_pend, 1),
	};
	ev[0].subject_id = "E42", ev[0].subject_login = "Fay@Example.com",
	ev[0].subject_json = "{\"email\":\"f@home\"}";
	ev[1].subject_id = ev[2].subject_id = ev[3].subject_id = ev[4].subject_id = "00uF";
	ev[1].subject_login = ev[2].subject_login = "fay@example.com";
	ev[3].subject_login = "fay.renamed@example.com"; /* found by the Okta id the login led to */
	ev[4].subject_login = NULL;
	ev[5].subject_id = ev[6].subject_id = "00uO";
	ev[5].subject_login = ev[6].subject_login = "other@example.com";
	for (size_t i = 0; i < sizeof(ev) / sizeof(ev[0]); i++)
		CHECK(contract_commit1(j, &ev[i], &out) == 0 && out == JOURNAL_STORED);
	struct job *jobs = NULL;
	size_t n = 0, total = 0, total_after = 0;
	for (size_t want = 2; want > 0; want--) { /* fay's HR job and other's, then fay's Okta job */
		CHECK(journal_claim(j, "w", 60000, 100, &jobs, &n, err, sizeof(err)) == 0 && n == want);
		for (size_t i = 0; i < n; i++)
			CHECK(journal_job_finish(j, jobs[i].id, "w", JOB_DONE, 0, "done for fay", err, sizeof(err)) ==
			      0);
		journal_jobs_free(jobs, n);
	}
	any_event(j, "f-hr", &total);

	struct journal_forget_result r;
	const int dry = JOURNAL_FORGET_DRY_RUN, cancel = JOURNAL_FORGET_CANCEL_PENDING;
	CHECK(journal_forget(j, "", 0, &r, err, sizeof(err)) == -1);
	/* the pending follow-up refuses the erasure: nothing changes */
	CHECK(journal_forget(j, "FAY@example.com", 0, &r, err, sizeof(err)) == 0 && r.refused);
	CHECK(r.events == 4 && r.records == 1 && r.jobs == 2 && r.pending == 1 && r.running == 0);
	CHECK(!erased(any_event(j, "f-hr", NULL)));
	CHECK(journal_forget(j, "FAY@example.com", dry | cancel, &r, err, sizeof(err)) == 0 && !r.refused);
	CHECK(r.events == 4 && r.records == 1 && r.jobs == 2 && r.pending == 1);
	CHECK(!erased(any_event(j, "f-hr", NULL))); /* a dry run changes nothing */
	CHECK(journal_forget(j, "FAY@example.com", cancel, &r, err, sizeof(err)) == 0 && !r.refused);
	CHECK(r.events == 4 && r.records == 1 && r.jobs == 2 && r.pending == 1);
	const char *gone[] = { "f-hr", "f-okta", "f-rec", "f-renamed", "f-pend" };
	for (size_t i = 0; i < 5; i++) {
		struct event_row *e = any_event(j, gone[i], &total_after);
		CHECK(erased(e) && e->id > 0);
	}
	CHECK(total_after == total); /* rows, with their types and dedupe keys, stay */
	struct event_row *e = any_event(j, "o-1", NULL);
	CHECK(e && e->subject_login && strcmp(e->subject_login, "other@example.com") == 0 && !erased(e));
	e = any_event(j, "o-pend", NULL);
	CHECK(e && !erased(e));
	struct journal_query all = { .limit = 100 };
	CHECK(journal_list_jobs(j, &all, &jobs, &n, err, sizeof(err)) == 0 && n == 5);
	int blank = 0, cancelled = 0, other = 0;
	for (size_t i = 0; i < n; i++) {
		const struct job *b = &jobs[i];
		blank += strcmp(b->state, "done") == 0 && !b->subject && !b->params && !b->result && !b->job_key;
		cancelled += strcmp(b->state, "dead") == 0 && !b->subject && b->last_error &&
			     strcmp(b->last_error, JOURNAL_FORGET_CANCELLED) == 0;
		other += b->subject && strcmp(b->subject, "other@example.com") == 0 && b->params &&
			 (strcmp(b->state, "pending") == 0 || b->result);
	}
	CHECK(blank == 2 && cancelled == 1 && other == 2);
	journal_jobs_free(jobs, n);
	/* again: nothing left to find */
	CHECK(journal_forget(j, "fay@example.com", 0, &r, err, sizeof(err)) == 0 && !r.refused);
	CHECK(r.events == 0 && r.records == 0 && r.jobs == 0 && r.pending == 0);
	any_event(j, NULL, NULL); /* frees the last listing */
}

static size_t jobs_of(struct journal *j, const char *subject, const char *rule)
{
	struct journal_query q = { .subject = subject, .limit = 500 };
	struct job *rows = NULL;
	size_t n = 0, hits = 0;
	char err[256];
	if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) < 0)
		return (size_t)-1;
	for (size_t i = 0; i < n; i++)
		hits += !rule || (rows[i].rule && strcmp(rows[i].rule, rule) == 0);
	journal_jobs_free(rows, n);
	return hits;
}

/*
 * hookd's echoes told in the commit (echo_lookup): one lookup for the group, by transaction.id or
 * debugData.requestId; an echo keeps only its jobs not marked unless_echo, and a redelivery of it is
 * a duplicate. An event that did not ask is not looked up, whatever it carries.
 */
static void contract_echo_commit(struct journal *j)
{
	char err[256];
	CHECK(journal_request_record(j, "reqECHO1", 1700000000000LL, err, sizeof(err)) == 0);
	const char *subj[] = { "00uEchoA", "00uEchoB", "00uEchoC", "00uEchoD" };
	struct job_spec js[4][2];
	struct journal_event ev[4];
	char key[4][16];
	for (int i = 0; i < 4; i++) {
		js[i][0] = (struct job_spec){
			.action = "send_activation", .rule = "plain", .subject = subj[i], .unless_echo = 1
		};
		js[i][1] = (struct job_spec){ .action = "send_activation", .rule = "selfish", .subject = subj[i] };
		snprintf(key[i], sizeof(key[i]), "echo-%d", i);
		ev[i] = contract_ev("okta", key[i], js[i], 2);
		ev[i].echo_lookup = i < 3;
	}
	ev[0].request_id = "reqECHO1";
	ev[1].request_id = "reqNOPE";
	ev[1].debug_request_id = "reqECHO1";
	ev[2].request_id = "reqOTHER";
	ev[3].request_id = "reqECHO1"; /* did not ask */
	enum journal_outcome out[4];
	CHECK(journal_commit(j, ev, 4, out, err, sizeof(err)) == 0);
	CHECK(out[0] == JOURNAL_STORED_ECHO && out[1] == JOURNAL_STORED_ECHO);
	CHECK(out[2] == JOURNAL_STORED && out[3] == JOURNAL_STORED);
	CHECK(jobs_of(j, subj[0], NULL) == 1 && jobs_of(j, subj[0], "selfish") == 1);
	CHECK(jobs_of(j, subj[1], NULL) == 1 && jobs_of(j, subj[1], "selfish") == 1);
	CHECK(jobs_of(j, subj[2], NULL) == 2 && jobs_of(j, subj[3], NULL) == 2);
	/* the caller's events are as they were */
	CHECK(ev[0].njobs == 2 && ev[0].jobs == js[0] && ev[0].echo == NULL);
	CHECK(contract_commit1(j, &ev[0], &out[0]) == 0 && out[0] == JOURNAL_DUPLICATE);
	CHECK(jobs_of(j, subj[0], NULL) == 1);
	/* an echo alone in its call, and an echo whose jobs all go */
	struct journal_event solo = contract_ev("okta", "echo-solo", js[0], 1);
	solo.echo_lookup = 1;
	solo.request_id = "reqECHO1";
	CHECK(contract_commit1(j, &solo, &out[0]) == 0 && out[0] == JOURNAL_STORED_ECHO);
	CHECK(jobs_of(j, subj[0], NULL) == 1);
	/* ids hookd never records (not visible ASCII: okta/http.c) are not looked up, and break nothing */
	CHECK(journal_request_record(j, "req\"q", 1700000000000LL, err, sizeof(err)) == 0);
	const char *odd[] = { "req\xc3", "req\xff\xfe", "req id", "req\"q" };
	for (int i = 0; i < 4; i++) {
		char k[24];
		snprintf(k, sizeof(k), "echo-odd-%d", i);
		struct journal_event e = contract_ev("okta", k, js[3], 2);
		e.echo_lookup = 1;
		e.request_id = odd[i];
		CHECK(contract_commit1(j, &e, &out[0]) == 0 &&
		      out[0] == (i == 3 ? JOURNAL_STORED_ECHO : JOURNAL_STORED));
	}
	CHECK(jobs_of(j, subj[3], NULL) == 2 + 3 * 2 + 1);
	/* a write larger than the backends' stack arrays: every tenth of 70 events is an echo */
	struct journal_event many[70];
	enum journal_outcome mout[70];
	char mkey[70][24];
	for (int i = 0; i < 70; i++) {
		snprintf(mkey[i], sizeof(mkey[i]), "echo-many-%d", i);
		many[i] = contract_ev("okta", mkey[i], js[2], 2);
		many[i].echo_lookup = 1;
		many[i].request_id = i % 10 ? "reqOTHER" : "reqECHO1";
	}
	CHECK(journal_commit(j, many, 70, mout, err, sizeof(err)) == 0);
	int echoes = 0, stored = 0;
	for (int i = 0; i < 70; i++) {
		echoes += mout[i] == JOURNAL_STORED_ECHO && i % 10 == 0;
		stored += mout[i] == JOURNAL_STORED && i % 10;
	}
	CHECK(echoes == 7 && stored == 63);
	CHECK(jobs_of(j, subj[2], NULL) == 2 + 63 * 2 + 7);
}

static void contract_run(contract_open_fn open_fn, void *ctx)
{
	void (*const parts[])(struct journal *) = { contract_dedupe,	   contract_jobs,      contract_job_order,
						    contract_person_order, contract_held_jobs, contract_job_key,
						    contract_rate,	   contract_requests,  contract_race,
						    contract_cursor,	   contract_people,    contract_retention,
						    contract_filters,	   contract_forget,    contract_echo_commit };
	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		struct journal *j = open_fn(ctx);
		CHECK(j != NULL);
		if (!j)
			continue;
		char err[256];
		CHECK(journal_ping(j, err, sizeof(err)) == 0);
		parts[i](j);
		journal_close(j);
	}
}

#ifndef JOURNAL_CONTRACT_NO_MAIN
/* The job states' one table: names parse back to their state, anything else is an error. */
static void state_names(void)
{
	enum job_state st;
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		CHECK(journal_job_state_parse(journal_job_state_name((enum job_state)i), &st) == 0 &&
		      st == (enum job_state)i);
	CHECK(journal_job_state_parse("dead", &st) == 0 && st == JOB_STATE_DEAD);
	CHECK(journal_job_state_parse("DEAD", &st) == -1);
	CHECK(journal_job_state_parse("", &st) == -1);
	CHECK(journal_job_state_parse(NULL, &st) == -1);
	CHECK(journal_job_state_name(JOB_STATE_COUNT) == NULL);
	CHECK(strcmp(journal_job_outcome_name(JOB_DEFER), "deferred") == 0);
	CHECK(strcmp(journal_job_outcome_name(JOB_RETRY), "retry") == 0);
	CHECK(strcmp(journal_job_outcome_name(JOB_OUTCOME_COUNT), "unknown") == 0);
}

static struct journal *contract_open_sqlite(void *ctx)
{
	char *dir = ctx, path[256];
	static int seq;
	snprintf(path, sizeof(path), "%s/j%d.db", dir, ++seq);
	struct journal_opts o = { .backend = "sqlite", .path = path, .group_commit_max = 64 };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));
	if (!j)
		fprintf(stderr, "sqlite open: %s\n", err);
	return j;
}

int main(void)
{
	char dir[] = "/tmp/hookd-contract.XXXXXX";
	if (!mkdtemp(dir)) {
		perror("mkdtemp");
		return 1;
	}
	state_names();
	contract_run(contract_open_sqlite, dir);
	char cmd[300];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	return check_report("test_journal_contract (sqlite)");
}
#endif
