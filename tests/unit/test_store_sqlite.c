/* test_store_sqlite.c: the journal on SQLite: group commit, dedupe, jobs, leases, listing. */
#include "check.h"

#include "core/clock.h"
#include "core/metrics.h"
#include "store/backend.h"
#include "store/journal.h"

#include <fcntl.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dbpath[64];

static struct journal *open_j(void)
{
	struct journal_opts o = { .backend = "sqlite", .path = dbpath, .group_commit_max = 64 };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));
	if (!j)
		fprintf(stderr, "open: %s\n", err);
	return j;
}

static struct journal_event ev_of(const char *key, const struct job_spec *jobs, size_t njobs)
{
	return (struct journal_event){ .source = "okta",
				       .dedupe_key = key,
				       .type = "user.lifecycle.create",
				       .subject_id = "00u1",
				       .raw = SLICE_LIT("{\"uuid\":\"x\"}"),
				       .jobs = jobs,
				       .njobs = njobs };
}

struct worker_arg {
	struct journal *j;
	int id;
	int stored, dups, errors;
};

/* 8 threads x 200 events, half of them keys another thread also sends. */
static void *committer(void *p)
{
	struct worker_arg *a = p;
	for (int i = 0; i < 200; i++) {
		char key[32];
		if (i % 2)
			snprintf(key, sizeof(key), "shared-%d", i);
		else
			snprintf(key, sizeof(key), "own-%d-%d", a->id, i);
		struct job_spec js = { .action = "send_activation", .rule = "r", .subject = "00u1" };
		struct journal_event e = ev_of(key, &js, 1);
		enum journal_outcome out;
		char err[256];
		if (journal_commit(a->j, &e, 1, &out, err, sizeof(err)) < 0)
			a->errors++;
		else if (out == JOURNAL_STORED)
			a->stored++;
		else
			a->dups++;
	}
	return NULL;
}

static void test_group_commit(void)
{
	struct journal *j = open_j();
	CHECK(j != NULL);
	if (!j)
		return;
	pthread_t t[8];
	struct worker_arg a[8];
	for (int i = 0; i < 8; i++) {
		a[i] = (struct worker_arg){ .j = j, .id = i };
		pthread_create(&t[i], NULL, committer, &a[i]);
	}
	int stored = 0, dups = 0, errors = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		stored += a[i].stored;
		dups += a[i].dups;
		errors += a[i].errors;
	}
	/* 8*100 own keys + 100 shared keys stored once each; the other 7*100 shared sends are duplicates. */
	CHECK(errors == 0);
	CHECK(stored == 900);
	CHECK(dups == 700);
	int64_t counts[4];
	char err[256];
	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0);
	CHECK(counts[0] == 900); /* one job per stored event, none for duplicates */
	struct journal_query q = { .limit = 5 };
	struct event_row *rows;
	size_t n;
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0 && n == 5);
	CHECK(n == 5 && rows[0].id > rows[1].id);
	journal_events_free(rows, n);
	journal_close(j);

	/* Reopened: everything is still there (it was durable before journal_commit returned). */
	j = open_j();
	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0 && counts[0] == 900);
	journal_close(j);
}

/*
 * One lookup thread: 100 commits of four events that ask for the echo lookup, two naming recorded
 * ids, one an id never recorded, one none; each must be told right.
 */
struct lookup_arg {
	struct journal *j;
	int id, wrong, errors;
};

static void *lookups(void *p)
{
	struct lookup_arg *a = p;
	for (int i = 0; i < 100; i++) {
		char known_a[32], known_b[32], never[32], key[4][40];
		snprintf(known_a, sizeof(known_a), "pool-req-%d", (a->id * 7 + i) % 64);
		snprintf(known_b, sizeof(known_b), "pool-req-%d", (a->id + i * 3) % 64);
		snprintf(never, sizeof(never), "pool-never-%d-%d", a->id, i);
		const char *ids[4] = { known_a, never, NULL, known_b };
		struct job_spec js = { .action = "send_activation", .rule = "r", .subject = "00u2", .unless_echo = 1 };
		struct journal_event e[4];
		for (int k = 0; k < 4; k++) {
			snprintf(key[k], sizeof(key[k]), "lookup-%d-%d-%d", a->id, i, k);
			e[k] = ev_of(key[k], &js, 1);
			e[k].echo_lookup = 1;
			e[k].request_id = ids[k];
		}
		enum journal_outcome out[4];
		char err[256];
		if (journal_commit(a->j, e, 4, out, err, sizeof(err)) < 0)
			a->errors++;
		else if (out[0] != JOURNAL_STORED_ECHO || out[1] != JOURNAL_STORED || out[2] != JOURNAL_STORED ||
			 out[3] != JOURNAL_STORED_ECHO)
			a->wrong++;
	}
	return NULL;
}

/* 200 events that ask for the echo lookup, every other one with a recorded request id. */
static void *echo_committer(void *p)
{
	struct worker_arg *a = p;
	for (int i = 0; i < 200; i++) {
		char key[32], req[32];
		snprintf(key, sizeof(key), "echoing-%d", i);
		snprintf(req, sizeof(req), i % 2 ? "pool-never-x-%d" : "pool-req-%d", i % 64);
		struct job_spec js = { .action = "send_activation", .rule = "r", .subject = "00u1", .unless_echo = 1 };
		struct journal_event e = ev_of(key, &js, 1);
		e.echo_lookup = 1;
		e.request_id = req;
		enum journal_outcome out;
		char err[256];
		if (journal_commit(a->j, &e, 1, &out, err, sizeof(err)) < 0)
			a->errors++;
		else if (out == JOURNAL_STORED_ECHO && i % 2 == 0)
			a->dups++; /* here: echoes told */
		else if (out == JOURNAL_STORED && i % 2)
			a->stored++;
	}
	return NULL;
}

struct one_commit {
	struct journal *j;
	struct journal_event ev;
	enum journal_outcome out;
	int rc;
	char err[256];
};

static void *commit_one(void *p)
{
	struct one_commit *c = p;
	c->rc = journal_commit(c->j, &c->ev, 1, &c->out, c->err, sizeof(c->err));
	return NULL;
}

/*
 * A group whose transaction fails (one caller's bad event) is retried caller by caller: the others
 * are stored, the bad one fails alone, and the failure is logged once, since no caller but the bad
 * one ever hears of it (a WAL-gathering VFS once failed every large group, and it showed only as a
 * slowdown: bench/PROFILE.md).
 */
static void test_bad_caller_in_group(void)
{
	struct journal *j = open_j();
	sqlite3 *lock = NULL;
	CHECK(j != NULL);
	CHECK(sqlite3_open(dbpath, &lock) == SQLITE_OK);
	if (!j || !lock) {
		sqlite3_close(lock);
		journal_close(j);
		return;
	}
	sqlite3_busy_timeout(lock, 5000);
	/* the committer's first transaction waits for this one, and the next callers queue meanwhile */
	CHECK(sqlite3_exec(lock, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK);
	char logpath[80];
	snprintf(logpath, sizeof(logpath), "%s.log", dbpath);
	int saved = dup(2), fd = open(logpath, O_CREAT | O_TRUNC | O_RDWR, 0600);
	CHECK(saved >= 0 && fd >= 0 && dup2(fd, 2) == 2);
	struct one_commit c[6];
	char keys[6][16];
	pthread_t t[6];
	for (int i = 0; i < 6; i++) {
		snprintf(keys[i], sizeof(keys[i]), "grp-%d", i);
		c[i] = (struct one_commit){ .j = j, .ev = ev_of(keys[i], NULL, 0), .rc = 99 };
	}
	c[3].ev.dedupe_key = NULL; /* refused by the table (NOT NULL) */
	pthread_create(&t[0], NULL, commit_one, &c[0]);
	usleep(200 * 1000);
	for (int i = 1; i < 6; i++)
		pthread_create(&t[i], NULL, commit_one, &c[i]);
	usleep(500 * 1000); /* time for all five to queue, even on a loaded machine */
	CHECK(sqlite3_exec(lock, "COMMIT", NULL, NULL, NULL) == SQLITE_OK);
	for (int i = 0; i < 6; i++)
		pthread_join(t[i], NULL);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	for (int i = 0; i < 6; i++)
		if (i != 3)
			CHECK(c[i].rc == 0 && c[i].out == JOURNAL_STORED);
	CHECK(c[3].rc == -1 && c[3].err[0] != '\0');
	char log[4096] = "";
	ssize_t n = pread(fd, log, sizeof(log) - 1, 0);
	log[n > 0 ? n : 0] = '\0';
	close(fd);
	unlink(logpath);
	const char *hit = strstr(log, "a group commit failed; its requests are retried one by one");
	CHECK(hit != NULL);
	CHECK(hit && !strstr(hit + 1, "a group commit failed")); /* once */
	CHECK(strstr(log, "NOT NULL") != NULL);			 /* with SQLite's reason */
	sqlite3_close(lock);
	journal_close(j);
}

/*
 * Echo lookups inside group commits from 10 threads at once, beside commits that ask for none:
 * every event is told right, none fails (events of several threads share each commit's lookup).
 */
static void test_concurrent_lookups(void)
{
	struct journal *j = open_j();
	CHECK(j != NULL);
	if (!j)
		return;
	char err[256];
	int recorded = 0;
	for (int i = 0; i < 64; i++) {
		char id[32];
		snprintf(id, sizeof(id), "pool-req-%d", i);
		recorded += journal_request_record(j, id, clock_now_ms(), err, sizeof(err)) == 0;
	}
	CHECK(recorded == 64);
	pthread_t t[8], w, we;
	struct lookup_arg a[8];
	struct worker_arg wa = { .j = j, .id = 100 }, wea = { .j = j };
	pthread_create(&w, NULL, committer, &wa);
	pthread_create(&we, NULL, echo_committer, &wea);
	for (int i = 0; i < 8; i++) {
		a[i] = (struct lookup_arg){ .j = j, .id = i };
		pthread_create(&t[i], NULL, lookups, &a[i]);
	}
	int wrong = 0, errors = 0;
	for (int i = 0; i < 8; i++) {
		pthread_join(t[i], NULL);
		wrong += a[i].wrong;
		errors += a[i].errors;
	}
	pthread_join(w, NULL);
	pthread_join(we, NULL);
	CHECK(wea.errors == 0 && wea.dups == 100 && wea.stored == 100);
	CHECK(errors == 0);
	CHECK(wrong == 0);
	CHECK(wa.errors == 0 && wa.stored > 0);
	journal_close(j);
}

static void test_dedupe_counts(void)
{
	struct journal *j = open_j();
	struct journal_event e[3] = { ev_of("d1", NULL, 0), ev_of("d2", NULL, 0), ev_of("d1", NULL, 0) };
	enum journal_outcome out[3];
	char err[256];
	/* A duplicate inside one call is caught too. */
	CHECK(journal_commit(j, e, 3, out, err, sizeof(err)) == 0);
	CHECK(out[0] == JOURNAL_STORED && out[1] == JOURNAL_STORED && out[2] == JOURNAL_DUPLICATE);
	CHECK(journal_commit(j, e, 1, out, err, sizeof(err)) == 0 && out[0] == JOURNAL_DUPLICATE);
	struct journal_query q = { .limit = 100, .source = "okta" };
	struct event_row *rows;
	size_t n;
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
	int found = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].dedupe_key, "d1") == 0) {
			found = 1;
			CHECK(rows[i].duplicates == 2);
			CHECK_STR(rows[i].raw, "{\"uuid\":\"x\"}");
		}
	CHECK(found);
	journal_events_free(rows, n);
	/* Same key from another source is another event. */
	e[0].source = "hr:x";
	CHECK(journal_commit(j, e, 1, out, err, sizeof(err)) == 0 && out[0] == JOURNAL_STORED);
	journal_close(j);
}

static void test_jobs_lifecycle(void)
{
	unlink(dbpath);
	struct journal *j = open_j();
	char err[256];
	int64_t now = clock_now_ms();
	struct job_spec js[2] = {
		{ .action = "create_user", .rule = "r", .subject = "a@x", .params = "{\"k\":1}" },
		{ .action = "send_activation",
		  .rule = "r",
		  .subject = "a@x",
		  .run_at_ms = now + 3600000,
		  .job_key = "send_activation:hr:x:e1" },
	};
	struct journal_event e = ev_of("j1", js, 2);
	enum journal_outcome out;
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0);

	/* Only the due job is claimed; a second claimer gets nothing. */
	struct job *jobs;
	size_t n;
	CHECK(journal_claim(j, "w1", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(jobs[0].action, "create_user") == 0 && jobs[0].attempts == 1);
	CHECK(n == 1 && strcmp(jobs[0].state, "running") == 0 && strcmp(jobs[0].lease_owner, "w1") == 0);
	int64_t id = n ? jobs[0].id : 0;
	journal_jobs_free(jobs, n);
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 0);
	/* Retry, then dead; a stale owner cannot record. */
	CHECK(journal_job_finish(j, id, "w2", JOB_DONE, 0, "x", err, sizeof(err)) == 1);
	CHECK(journal_job_finish(j, id, "w1", JOB_RETRY, now - 1, "429", err, sizeof(err)) == 0);
	CHECK(journal_claim(j, "w2", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && jobs[0].attempts == 2 && strcmp(jobs[0].last_error, "429") == 0);
	journal_jobs_free(jobs, n);
	CHECK(journal_job_finish(j, id, "w2", JOB_DEAD, 0, "E0000001", err, sizeof(err)) == 0);
	struct journal_query q = { .state = "dead", .limit = 10 };
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	/* Operator retry: pending again with attempts reset. */
	CHECK(journal_job_requeue(j, id, err, sizeof(err)) == 0);
	CHECK(journal_job_requeue(j, 999999, err, sizeof(err)) == 1);
	CHECK(journal_claim(j, "w3", 1, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1 && jobs[0].attempts == 1);
	journal_jobs_free(jobs, n);
	/* A lease of 1 ms expires: another worker takes the job over. */
	usleep(20000);
	CHECK(journal_claim(j, "w4", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(jobs[0].lease_owner, "w4") == 0 && jobs[0].attempts == 2);
	journal_jobs_free(jobs, n);
	CHECK(journal_job_finish(j, id, "w3", JOB_DONE, 0, "late", err, sizeof(err)) == 1);
	CHECK(journal_job_finish(j, id, "w4", JOB_DONE, 0, "created", err, sizeof(err)) == 0);

	/* A second event with the same job_key moves the pending job instead of adding one. */
	struct job_spec moved = js[1];
	moved.run_at_ms = now - 1000;
	struct journal_event e2 = ev_of("j2", &moved, 1);
	CHECK(journal_commit(j, &e2, 1, &out, err, sizeof(err)) == 0);
	int64_t counts[4];
	CHECK(journal_job_counts(j, counts, err, sizeof(err)) == 0 && counts[0] == 1 && counts[2] == 1);
	CHECK(journal_claim(j, "w5", 60000, 10, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	CHECK(n == 1 && strcmp(jobs[0].action, "send_activation") == 0);
	journal_jobs_free(jobs, n);
	q = (struct journal_query){ .job_key = "send_activation:hr:x:e1", .limit = 5 };
	CHECK(journal_list_jobs(j, &q, &jobs, &n, err, sizeof(err)) == 0 && n == 1);
	journal_jobs_free(jobs, n);
	CHECK(journal_ping(j, err, sizeof(err)) == 0);
	journal_close(j);
}

static void test_wake(void)
{
	struct journal *j = open_j();
	int64_t t0 = clock_mono_ns();
	CHECK(journal_wait_jobs(j, 50) == 0);
	CHECK(clock_mono_ns() - t0 >= 40000000);
	journal_wake(j);
	journal_close(j);
}

static void test_open_failure(void)
{
	struct journal_opts o = { .backend = "sqlite", .path = "/nonexistent-dir/x.db" };
	char err[256] = "";
	CHECK(journal_open(&o, err, sizeof(err)) == NULL);
	CHECK(strstr(err, "cannot open") != NULL);
	o.backend = "oracle";
	CHECK(journal_open(&o, err, sizeof(err)) == NULL);
}

/*
 * A redelivery of an event already durable is answered from the cache: no journal write (the
 * committed-events counter stands still), yet the count reaches the row (listing flushes it, and
 * it survives a reopen). With the cache off the same redelivery is a write.
 */
static void test_cached_duplicates(void)
{
	struct metric *cached = metrics_counter("hookd_journal_duplicates_cached_total", "backend=\"sqlite\"", NULL);
	struct metric *written = metrics_counter("hookd_journal_committed_events_total", "backend=\"sqlite\"", NULL);
	struct journal *j = open_j();
	struct journal_event e = ev_of("cache-1", NULL, 0);
	enum journal_outcome out;
	char err[256];
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_STORED);
	int64_t c0 = metric_value(cached), w0 = metric_value(written);
	for (int i = 0; i < 3; i++)
		CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_DUPLICATE);
	CHECK(metric_value(cached) - c0 == 3);
	CHECK(metric_value(written) == w0);
	/* A call that mixes a known pair with a new one goes to the journal, whole. */
	struct journal_event two[2] = { ev_of("cache-1", NULL, 0), ev_of("cache-2", NULL, 0) };
	enum journal_outcome outs[2];
	CHECK(journal_commit(j, two, 2, outs, err, sizeof(err)) == 0);
	CHECK(outs[0] == JOURNAL_DUPLICATE && outs[1] == JOURNAL_STORED);
	CHECK(metric_value(written) == w0 + 2);
	struct journal_query q = { .limit = 100, .source = "okta" };
	struct event_row *rows;
	size_t n;
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].dedupe_key, "cache-1") == 0)
			CHECK(rows[i].duplicates == 4);
	journal_events_free(rows, n);
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_DUPLICATE);
	journal_close(j); /* closing writes the last count */
	struct journal_opts o = { .backend = "sqlite", .path = dbpath, .group_commit_max = 64, .dedupe_cache = -1 };
	j = journal_open(&o, err, sizeof(err));
	CHECK(j != NULL);
	if (!j)
		return;
	c0 = metric_value(cached);
	w0 = metric_value(written);
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_DUPLICATE);
	CHECK(metric_value(cached) == c0 && metric_value(written) == w0 + 1);
	CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].dedupe_key, "cache-1") == 0)
			CHECK(rows[i].duplicates == 6);
	journal_events_free(rows, n);
	journal_close(j);
}

/*
 * user_version of the file and how many of the indexes and triggers of migrations 6 to 9 it has (9
 * of them); -1 on error.
 */
static int listing_indexes(int *version)
{
	sqlite3 *db;
	sqlite3_stmt *st;
	int n = -1;
	*version = -1;
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return -1;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		*version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (sqlite3_prepare_v2(db,
			       "SELECT count(*) FROM sqlite_master WHERE type IN ('index', 'trigger') AND name IN"
			       " ('events_received', 'events_source', 'jobs_state', 'jobs_person_pending', 'jobs_held',"
			       " 'jobs_claimable', 'jobs_unhold', 'jobs_unhold_gone', 'jobs_person_running')",
			       -1, &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW)
		n = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	sqlite3_close(db);
	return n;
}

/* The text of one SQL answer (or "(null)", or "(error)") into out. */
static void sql_text(const char *sql, char *out, size_t outlen)
{
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	snprintf(out, outlen, "(error)");
	if (sqlite3_open(dbpath, &db) != SQLITE_OK)
		return;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW) {
		const unsigned char *t = sqlite3_column_text(st, 0);
		snprintf(out, outlen, "%s", t ? (const char *)t : "(null)");
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
}

/*
 * A version 5 journal gains the listing, person and held-job indexes when it opens, and its jobs
 * their person (the event's login, else the subject, folded); a new one has them.
 */
static void test_listing_indexes(void)
{
	struct journal *j = open_j();
	CHECK(j != NULL);
	journal_close(j);
	int v;
	CHECK(listing_indexes(&v) == 9 && v == 9);
	sqlite3 *db;
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	CHECK(sqlite3_exec(
		      db,
		      "DROP INDEX events_received; DROP INDEX events_source; DROP INDEX jobs_state;"
		      " DROP INDEX jobs_person_pending; DROP INDEX jobs_person_running; DROP TRIGGER jobs_unhold; DROP TRIGGER jobs_unhold_gone;"
		      " DROP INDEX jobs_held; DROP INDEX jobs_claimable; ALTER TABLE jobs DROP COLUMN held_by;"
		      " ALTER TABLE jobs DROP COLUMN person; PRAGMA user_version = 5;"
		      " INSERT INTO events (id, source, dedupe_key, type, received_ms, subject_id, subject_login, raw)"
		      " VALUES (901, 'okta', 'mig-1', 't', 1, '00uMIG', 'Mig@Example.com', '{}'),"
		      " (902, 'hr:x', 'mig-2', 't', 1, 'E9', NULL, '{}');"
		      " INSERT INTO jobs (id, event_id, action, subject, run_at_ms, created_ms, updated_ms) VALUES"
		      " (901, 901, 'send_activation', '00uMIG', 1, 1, 1), (902, 902, 'create_user', 'Nob@X.org', 1, 1, 1),"
		      " (903, 902, 'create_user', NULL, 1, 1, 1), (904, NULL, 'update_profile', 'Zed', 1, 1, 1);",
		      NULL, NULL, NULL) == SQLITE_OK);
	sqlite3_close(db);
	CHECK(listing_indexes(&v) == 0 && v == 5);
	j = open_j();
	CHECK(j != NULL);
	journal_close(j);
	CHECK(listing_indexes(&v) == 9 && v == 9);
	char got[200];
	sql_text("SELECT group_concat(coalesce(person, '-'), ' ') FROM (SELECT person FROM jobs WHERE id > 900"
		 " ORDER BY id)",
		 got, sizeof(got));
	CHECK_STR(got, "mig@example.com nob@x.org - zed");
}

/*
 * The ordering rule costs two index probes however many jobs a person has queued: the running half
 * reads jobs_person_running, the earlier half a range of jobs_person_pending below the job's id. A
 * plan that scans the person's jobs instead made the drain of 16 people's 20,000 jobs 2-3x slower
 * (bench/RESULTS.md, "Claims probe two indexes").
 */
static void test_blocked_plan(void)
{
	struct journal *j = open_j();
	CHECK(j != NULL);
	journal_close(j);
	sqlite3 *db;
	sqlite3_stmt *st = NULL;
	CHECK(sqlite3_open(dbpath, &db) == SQLITE_OK);
	char plan[2048] = "";
	size_t n = 0;
	if (sqlite3_prepare_v2(
		    db,
		    "EXPLAIN QUERY PLAN SELECT id FROM jobs j WHERE j.state = 'pending' AND " JOB_BLOCKED("j", "?1"),
		    -1, &st, NULL) == SQLITE_OK)
		while (sqlite3_step(st) == SQLITE_ROW && n < sizeof(plan) - 200)
			n += (size_t)snprintf(plan + n, sizeof(plan) - n, "%s\n",
					      (const char *)sqlite3_column_text(st, 3));
	sqlite3_finalize(st);
	sqlite3_close(db);
	CHECK(strstr(plan, "USING INDEX jobs_person_running (person=?)") != NULL);
	CHECK(strstr(plan, "USING INDEX jobs_person_pending (person=? AND rowid<?)") != NULL);
	if (!strstr(plan, "jobs_person_pending (person=? AND rowid<?)"))
		fprintf(stderr, "plan:\n%s", plan);
}

/* A job's person is its event's login, folded, and an erasure (journal_forget) clears it with the rest. */
static void test_person_forgotten(void)
{
	struct journal *j = open_j();
	CHECK(j != NULL);
	if (!j)
		return;
	char err[256], got[200];
	enum journal_outcome out;
	struct job_spec js = { .action = "send_activation",
			       .subject = "00uGIL",
			       .run_at_ms = clock_now_ms() + 86400000 };
	struct journal_event e = ev_of("person-gil", &js, 1);
	e.subject_id = "00uGIL", e.subject_login = "Gil@Example.com";
	CHECK(journal_commit(j, &e, 1, &out, err, sizeof(err)) == 0 && out == JOURNAL_STORED);
	sql_text("SELECT person FROM jobs WHERE subject = '00uGIL'", got, sizeof(got));
	CHECK_STR(got, "gil@example.com");
	struct journal_forget_result r;
	CHECK(journal_forget(j, "gil@example.com", JOURNAL_FORGET_CANCEL_PENDING, &r, err, sizeof(err)) == 0 &&
	      !r.refused && r.pending == 1);
	journal_close(j);
	sql_text("SELECT count(*) FROM jobs WHERE person = 'gil@example.com' OR subject = '00uGIL'", got, sizeof(got));
	CHECK_STR(got, "0");
}

static long long wal_bytes(void)
{
	char p[80];
	struct stat st;
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	return stat(p, &st) == 0 ? (long long)st.st_size : -1;
}

/*
 * Checkpoints run on their own thread, and the WAL stays bounded although every commit is followed
 * by another: 2500 one-event commits of an Okta-sized event (an overflow page each) write far more
 * frames than the WAL may hold (4000, plus the commits during a checkpoint under way).
 */
static void test_checkpoints(void)
{
	unlink(dbpath);
	struct journal *j = open_j();
	CHECK(j != NULL);
	if (!j)
		return;
	struct metric *by_thread =
		metrics_counter("hookd_journal_checkpoints_total", "backend=\"sqlite\",by=\"thread\"", "");
	struct metric *failed = metrics_counter("hookd_journal_checkpoint_errors_total", "backend=\"sqlite\"", "");
	int64_t thread0 = metric_value(by_thread), failed0 = metric_value(failed);
	static char raw[5001];
	memset(raw, 'x', sizeof(raw) - 1);
	int errors = 0;
	long long most = 0;
	for (int i = 0; i < 2500; i++) {
		char key[32];
		snprintf(key, sizeof(key), "ck-%d", i);
		struct journal_event e = ev_of(key, NULL, 0);
		e.raw = (struct slice){ raw, sizeof(raw) - 1 };
		enum journal_outcome out;
		char err[256];
		if (journal_commit(j, &e, 1, &out, err, sizeof(err)) < 0 || out != JOURNAL_STORED)
			errors++;
		long long w = wal_bytes();
		most = w > most ? w : most;
	}
	CHECK(errors == 0);
	long long frame = 4096 + 24;
	printf("  WAL at most %lld frames over 2500 commits; %lld checkpoints by the thread\n", most / frame,
	       (long long)(metric_value(by_thread) - thread0));
	CHECK(metric_value(by_thread) - thread0 >= 5);
	CHECK(metric_value(failed) == failed0);
	CHECK(most > 256 * frame);   /* it did grow, so the bound below was tested */
	CHECK(most <= 5000 * frame); /* and was rewound instead of growing past the writer's limit */
	journal_close(j);
	j = open_j();
	struct journal_query q = { .limit = 1 };
	struct event_row *rows;
	size_t n;
	char err[256];
	CHECK(j && journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0 && n == 1);
	if (j && n == 1) {
		CHECK(strcmp(rows[0].dedupe_key, "ck-2499") == 0 && rows[0].raw && strlen(rows[0].raw) == 5000);
		journal_events_free(rows, n);
	}
	journal_close(j);
}

int main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/hookd-test-%d.db", (int)getpid());
	test_group_commit();
	test_dedupe_counts();
	test_jobs_lifecycle();
	test_wake();
	test_cached_duplicates();
	test_open_failure();
	test_listing_indexes();
	test_blocked_plan();
	test_person_forgotten();
	test_checkpoints();
	test_concurrent_lookups();
	test_bad_caller_in_group();
	char p[80];
	unlink(dbpath);
	snprintf(p, sizeof(p), "%s-wal", dbpath);
	unlink(p);
	snprintf(p, sizeof(p), "%s-shm", dbpath);
	unlink(p);
	return check_report("store_sqlite");
}
