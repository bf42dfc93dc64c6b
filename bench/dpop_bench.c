/*
 * dpop_bench.c: the cost of one DPoP proof (what every Okta call of a DPoP app adds) for ES256 and
 * RS256 keys. Build and run from the repository root after scripts/build.sh build/release:
 *   cc -O2 -I. bench/dpop_bench.c build/release/libhookd_lib.a -lcrypto -lpthread -o /tmp/dpop_bench
 *   /tmp/dpop_bench [N]
 * Prints one line per algorithm: "<alg> n=N us_per_proof=U".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "okta/dpop.h"

static double seconds(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
	const char *algs[] = { "ES256", "RS256" };
	int n = argc > 1 ? atoi(argv[1]) : 2000;
	for (int a = 0; a < 2 && n > 0; a++) {
		char err[128];
		struct okta_dpop *d = okta_dpop_new(NULL, algs[a], err, sizeof(err));
		if (!d) {
			fprintf(stderr, "%s: %s\n", algs[a], err);
			return 1;
		}
		double t0 = seconds();
		for (int i = 0; i < n; i++)
			free(okta_dpop_proof_at(d, "GET", "https://x.okta.com/api/v1/users/ann%40example.com", "token",
						NULL, 1767225600, err, sizeof(err)));
		printf("%s n=%d us_per_proof=%.1f\n", algs[a], n, (seconds() - t0) / n * 1e6);
		okta_dpop_free(d);
	}
	return 0;
}
