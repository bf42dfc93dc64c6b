/* fuzz_okta_dpop.c: libFuzzer target for hookd's reading of Okta's DPoP answers (WWW-Authenticate) and of URLs into htu. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "okta/dpop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: a WWW-Authenticate header value, also taken as a request URL for okta_dpop_htu. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	char err[32], desc[160];
	(void)okta_dpop_challenge(s, err, sizeof(err), desc, sizeof(desc));
	free(okta_dpop_htu(s));
	free(s);
	return 0;
}
