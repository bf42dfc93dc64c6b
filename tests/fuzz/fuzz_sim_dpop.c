/* fuzz_sim_dpop.c: libFuzzer target for okta-sim's DPoP proof parser and validator (untrusted JWTs from any client). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "sim/dpop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: the DPoP header value. dpop_parse gets the exact bytes; dpop_check a NUL-terminated copy. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct dpop *d;
	if (!d)
		d = dpop_new(1, DPOP_NONCE_ROTATE_MS);
	struct dpop_proof p;
	char err[256];
	(void)dpop_parse((const char *)data, size, &p, err, sizeof(err));
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	struct dpop_expect x = { .htm = "GET",
				 .htu = "https://127.0.0.1/api/v1/users/a@b",
				 .access_token = "t",
				 .jkt = "x",
				 .need_nonce = 1 };
	(void)dpop_check(d, s, &x, 1767225600000LL, &p, err, sizeof(err));
	free(s);
	return 0;
}
