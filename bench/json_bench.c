/*
 * json_bench.c: the cost of json_parse (jsmn plus hookd's UTF-8, nesting and grammar checks) on one
 * document, parsed and freed in a loop.
 *
 * Build (after scripts/build.sh build/release):
 *   cc -O2 -D_GNU_SOURCE -DJSMN_STRICT -DJSMN_PARENT_LINKS -I. -o /tmp/json_bench bench/json_bench.c \
 *      build/release/libhookd_lib.a
 * Usage: json_bench FILE [ITERATIONS]   (default 200000; e.g. tests/fuzz/corpus/okta_delivery/docs-sample.json)
 * Prints one line: "<bytes> bytes: <ns> ns per parse, <MB/s> MB/s (<iterations> parses)".
 * Compare builds only within one run: these machines are noisy.
 */
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <time.h>

int main(int argc, char **argv)
{
	if (argc < 2 || argc > 3) {
		fputs("usage: json_bench FILE [ITERATIONS]\n", stderr);
		return 2;
	}
	FILE *f = fopen(argv[1], "rb");
	static char buf[1 << 20];
	size_t n = f ? fread(buf, 1, sizeof(buf), f) : 0;
	if (f)
		fclose(f);
	long iters = argc == 3 ? strtol(argv[2], NULL, 10) : 200000;
	if (n == 0 || iters <= 0) {
		fprintf(stderr, "json_bench: cannot read %s, or bad iteration count\n", argv[1]);
		return 2;
	}
	struct json j;
	char err[128];
	struct timespec a, b;
	clock_gettime(CLOCK_MONOTONIC, &a);
	for (long i = 0; i < iters; i++) {
		if (json_parse(&j, buf, n, 0, err, sizeof(err)) < 0) {
			fprintf(stderr, "json_bench: %s: %s\n", argv[1], err);
			return 1;
		}
		json_free(&j);
	}
	clock_gettime(CLOCK_MONOTONIC, &b);
	double ns = ((double)(b.tv_sec - a.tv_sec) * 1e9 + (double)(b.tv_nsec - a.tv_nsec)) / (double)iters;
	printf("%zu bytes: %.0f ns per parse, %.0f MB/s (%ld parses)\n", n, ns, (double)n / ns * 1e3, iters);
	return 0;
}
