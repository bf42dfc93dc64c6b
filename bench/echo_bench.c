/*
 * echo_bench.c: the cost of telling hookd's echoes: journal_request_record per Okta call (a worker
 * writes it before finishing the job) and journal_requests_known per delivery (one batched lookup
 * of 10 request ids, half of them recorded).
 *
 * Build (after scripts/build.sh build/release):
 *   cc -O2 -I. -o /tmp/echo_bench bench/echo_bench.c build/release/libhookd_lib.a \
 *      -lsqlite3 -lpq -lcurl -lssl -lcrypto -linih -lpthread -lm
 * Usage: echo_bench sqlite FILE | echo_bench postgres URL
 * Prints one line: "<backend>: record R us/call (N), lookup of 10 ids L us/delivery (M)".
 */
#include "core/clock.h"
#include "store/journal.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define NREC 2000
#define NLOOK 5000

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
	int64_t t1 = clock_mono_ns();
	for (int i = 0; i < NLOOK; i++) {
		char a[10][32];
		const char *ids[10];
		unsigned char known[10];
		for (int k = 0; k < 10; k++) {
			snprintf(a[k], sizeof(a[k]), "REQ%08d", (i * 7 + k * 13) % (2 * NREC));
			ids[k] = a[k];
		}
		if (journal_requests_known(j, ids, 10, known, err, sizeof(err)) < 0)
			fprintf(stderr, "%s\n", err);
	}
	int64_t t2 = clock_mono_ns();
	printf("%s: record %.1f us/call (%d), lookup of 10 ids %.1f us/delivery (%d)\n", argv[1],
	       (double)(t1 - t0) / 1e3 / NREC, NREC, (double)(t2 - t1) / 1e3 / NLOOK, NLOOK);
	journal_close(j);
	return 0;
}
