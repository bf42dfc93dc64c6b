/*
 * echo_bench.c: the cost of telling hookd's echoes: journal_request_record per Okta call (a worker
 * writes it before finishing the job), and the lookup inside the group commit: writes of 10 events
 * that ask for it (half of their request ids recorded) against writes of 10 that do not, alternated.
 *
 * Build (after scripts/build.sh build/release):
 *   cc -O2 -I. -o /tmp/echo_bench bench/echo_bench.c build/release/libhookd_lib.a \
 *      -lsqlite3 -lpq -lcurl -lssl -lcrypto -linih -lpthread -lm
 * Usage: echo_bench sqlite FILE | echo_bench postgres URL
 * Prints one line: "<backend>: record R us/call (N), write of 10 events A us asking, P us not (M each)".
 */
#include "core/clock.h"
#include "store/journal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NREC 2000
#define NWRITE 1000

int main(int argc, char **argv)
{
	if (argc != 3 || (strcmp(argv[1], "sqlite") != 0 && strcmp(argv[1], "postgres") != 0)) {
		fputs("usage: echo_bench sqlite FILE | echo_bench postgres URL\n", stderr);
		return 2;
	}
	int pg = strcmp(argv[1], "postgres") == 0;
	struct journal_opts o = { .backend = argv[1],
				  .path = pg ? NULL : argv[2],
				  .url = pg ? argv[2] : NULL,
				  .group_commit_max = 64,
				  .pool_size = 2 };
	char err[256];
	if (!pg)
		unlink(argv[2]);
	struct journal *j = journal_open(&o, err, sizeof(err));
	if (!j) {
		fprintf(stderr, "%s\n", err);
		return 1;
	}
	int64_t t0 = clock_mono_ns();
	for (int i = 0; i < NREC; i++) {
		char id[32];
		snprintf(id, sizeof(id), "REQ%08d", i);
		if (journal_request_record(j, id, 1000 + i, err, sizeof(err)) < 0)
			fprintf(stderr, "%s\n", err);
	}
	int64_t t1 = clock_mono_ns(), asking = 0, plain = 0;
	struct job_spec js = { .action = "send_activation", .rule = "r", .subject = "00uBench", .unless_echo = 1 };
	for (int i = 0; i < 2 * NWRITE; i++) {
		char key[10][40], req[10][32];
		struct journal_event ev[10];
		enum journal_outcome out[10];
		for (int k = 0; k < 10; k++) {
			snprintf(key[k], sizeof(key[k]), "bench-%d-%d", i, k);
			snprintf(req[k], sizeof(req[k]), "REQ%08d", (i * 7 + k * 13) % (2 * NREC));
			ev[k] = (struct journal_event){ .source = "okta",
							.dedupe_key = key[k],
							.delivery_id = key[k],
							.type = "user.lifecycle.create",
							.subject_id = "00uBench",
							.raw = SLICE_LIT("{\"uuid\":\"x\"}"),
							.jobs = &js,
							.njobs = 1,
							.echo_lookup = i % 2 == 0,
							.request_id = req[k] };
		}
		int64_t a = clock_mono_ns();
		if (journal_commit(j, ev, 10, out, err, sizeof(err)) < 0)
			fprintf(stderr, "%s\n", err);
		int64_t d = clock_mono_ns() - a;
		if (i % 2 == 0)
			asking += d;
		else
			plain += d;
	}
	printf("%s: record %.1f us/call (%d), write of 10 events %.1f us asking, %.1f us not (%d each)\n", argv[1],
	       (double)(t1 - t0) / 1e3 / NREC, NREC, (double)asking / 1e3 / NWRITE, (double)plain / 1e3 / NWRITE,
	       NWRITE);
	journal_close(j);
	return 0;
}
