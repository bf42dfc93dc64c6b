/*
 * journal_bench.c: journal throughput without HTTP: events/s through journal_commit (group commit,
 * one event with one job per call, as a delivery of one event) and jobs/s through journal_claim +
 * journal_job_finish (no Okta calls, no rate limits). Built and run by bench/journal_ingest.sh.
 *
 * Usage: journal_bench ingest|claim --backend sqlite|postgres (--path FILE | --url URL)
 *        [--threads T] [--events N] [--batch B] [--prefix P] [--start-at UNIX_MS] [--subjects S]
 * --subjects S: ingest spreads the jobs over S subjects (default: one each), so that one subject's
 * jobs queue behind each other; claim then runs until N jobs are done, and a worker that finds
 * nothing due waits 1 ms and looks again (for a second at most) instead of stopping.
 * Prints one line: "<phase> <backend> threads=T n=N seconds=S rate=R/s p50_ms=.. p99_ms=..".
 */
#include "core/clock.h"
#include "store/journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct opts {
	const char *phase, *backend, *path, *url, *prefix;
	int threads, events, batch, subjects;
	int64_t start_at_ms;
};

static atomic_int claimed_total; /* jobs finished by all claim workers */

struct worker {
	struct journal *j;
	const struct opts *o;
	int id, done, errors;
	double *lat_ms;
	size_t nlat;
};

static void *ingest_main(void *arg)
{
	struct worker *w = arg;
	int per = w->o->events / w->o->threads;
	char raw[512];
	int rawn = snprintf(
		raw, sizeof(raw),
		"{\"uuid\":\"bench\",\"eventType\":\"user.lifecycle.create\",\"published\":\"2026-11-27T05:00:00Z\","
		"\"target\":[{\"id\":\"00ubench\",\"type\":\"User\",\"alternateId\":\"bench@example.com\"}]}");
	for (int i = 0; i < per; i++) {
		char key[96], subject[64], login[96];
		snprintf(key, sizeof(key), "%s-%d-%d", w->o->prefix, w->id, i);
		if (w->o->subjects > 0)
			snprintf(subject, sizeof(subject), "00us%d", (i * w->o->threads + w->id) % w->o->subjects);
		else
			snprintf(subject, sizeof(subject), "00u%d%d", w->id, i);
		snprintf(login, sizeof(login), "%s@example.com", subject); /* a person per subject (JOB_PERSON) */
		struct job_spec js = { .action = "send_activation", .rule = "bench", .subject = subject };
		struct journal_event e = { .source = "okta",
					   .dedupe_key = key,
					   .delivery_id = key,
					   .type = "user.lifecycle.create",
					   .subject_id = subject,
					   .subject_login = login,
					   .raw = { raw, (size_t)rawn },
					   .jobs = &js,
					   .njobs = 1 };
		enum journal_outcome out;
		char err[256];
		int64_t t0 = clock_mono_ns();
		if (journal_commit(w->j, &e, 1, &out, err, sizeof(err)) < 0) {
			if (!w->errors++)
				fprintf(stderr, "commit: %s\n", err);
			continue;
		}
		w->lat_ms[w->nlat++] = (double)(clock_mono_ns() - t0) / 1e6;
		w->done++;
	}
	return NULL;
}

static void *claim_main(void *arg)
{
	struct worker *w = arg;
	char owner[64];
	snprintf(owner, sizeof(owner), "%s-w%d", w->o->prefix, w->id);
	int patience = w->o->subjects > 0 ? 1000 : 2; /* empty claims in a row before the worker stops */
	for (int empty = 0; empty < patience && atomic_load(&claimed_total) < w->o->events;) {
		struct job *jobs = NULL;
		size_t n = 0;
		char err[256];
		int64_t t0 = clock_mono_ns();
		if (journal_claim(w->j, owner, 60000, w->o->batch, &jobs, &n, err, sizeof(err)) < 0) {
			if (!w->errors++)
				fprintf(stderr, "claim: %s\n", err);
			break;
		}
		empty = n ? 0 : empty + 1;
		if (!n && patience > 2)
			usleep(1000);
		for (size_t i = 0; i < n; i++)
			if (journal_job_finish(w->j, jobs[i].id, owner, JOB_DONE, 0, "bench", err, sizeof(err)) == 0) {
				w->done++;
				atomic_fetch_add(&claimed_total, 1);
			} else {
				w->errors++;
			}
		if (n && w->nlat < (size_t)w->o->events)
			w->lat_ms[w->nlat++] = (double)(clock_mono_ns() - t0) / 1e6 / (double)n;
		journal_jobs_free(jobs, n);
	}
	return NULL;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static int parse(int argc, char **argv, struct opts *o)
{
	*o = (struct opts){ .threads = 16, .events = 20000, .batch = 1, .prefix = "b" };
	if (argc < 2)
		return -1;
	o->phase = argv[1];
	for (int i = 2; i + 1 < argc; i += 2) {
		const char *k = argv[i], *v = argv[i + 1];
		if (!strcmp(k, "--backend"))
			o->backend = v;
		else if (!strcmp(k, "--path"))
			o->path = v;
		else if (!strcmp(k, "--url"))
			o->url = v;
		else if (!strcmp(k, "--threads"))
			o->threads = atoi(v);
		else if (!strcmp(k, "--events"))
			o->events = atoi(v);
		else if (!strcmp(k, "--batch"))
			o->batch = atoi(v);
		else if (!strcmp(k, "--prefix"))
			o->prefix = v;
		else if (!strcmp(k, "--start-at"))
			o->start_at_ms = strtoll(v, NULL, 10);
		else if (!strcmp(k, "--subjects"))
			o->subjects = atoi(v);
		else
			return -1;
	}
	return o->backend && o->threads > 0 && o->events > 0 && o->batch > 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	struct opts o;
	if (parse(argc, argv, &o) < 0) {
		fprintf(stderr,
			"usage: journal_bench ingest|claim --backend sqlite|postgres (--path FILE | --url URL)"
			" [--threads T] [--events N] [--batch B] [--prefix P] [--start-at UNIX_MS] [--subjects S]\n");
		return 2;
	}
	struct journal_opts jo = {
		.backend = o.backend, .path = o.path, .url = o.url, .group_commit_max = 512, .pool_size = 4
	};
	char err[256];
	struct journal *j = journal_open(&jo, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "open: %s\n", err);
		return 1;
	}
	int ingest = strcmp(o.phase, "ingest") == 0;
	struct worker *w = calloc((size_t)o.threads, sizeof(*w));
	pthread_t *t = calloc((size_t)o.threads, sizeof(*t));
	while (o.start_at_ms && clock_now_ms() < o.start_at_ms)
		usleep(1000);
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < o.threads; i++) {
		w[i] = (struct worker){
			.j = j, .o = &o, .id = i, .lat_ms = calloc((size_t)o.events + 1, sizeof(double))
		};
		pthread_create(&t[i], NULL, ingest ? ingest_main : claim_main, &w[i]);
	}
	int done = 0, errors = 0;
	size_t nlat = 0;
	double *lat = calloc((size_t)o.events * (size_t)o.threads + 1, sizeof(double));
	for (int i = 0; i < o.threads; i++) {
		pthread_join(t[i], NULL);
		done += w[i].done;
		errors += w[i].errors;
		memcpy(lat + nlat, w[i].lat_ms, w[i].nlat * sizeof(double));
		nlat += w[i].nlat;
		free(w[i].lat_ms);
	}
	double secs = (double)(clock_mono_ns() - t0) / 1e9;
	qsort(lat, nlat, sizeof(double), cmp_double);
	printf("%s %s threads=%d n=%d errors=%d seconds=%.2f rate=%.0f/s p50_ms=%.2f p99_ms=%.2f\n", o.phase, o.backend,
	       o.threads, done, errors, secs, done / secs, nlat ? lat[nlat / 2] : 0.0,
	       nlat ? lat[nlat * 99 / 100] : 0.0);
	free(lat);
	free(w);
	free(t);
	journal_close(j);
	return errors ? 1 : 0;
}
