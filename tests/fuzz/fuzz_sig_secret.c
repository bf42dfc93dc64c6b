/* fuzz_sig_secret.c: libFuzzer target for the shared-secret header and HTTP Basic credential checks. */
#include "hooks/sig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: the header value (NUL-terminated copy); both schemes run on it, with two keys each. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *value = malloc(size + 1);
	if (!value)
		abort();
	memcpy(value, data, size);
	value[size] = '\0';
	struct sig_keys keys = { { SLICE_LIT("s3cret-current"), SLICE_LIT("s3cret-next") }, 2 };
	struct sig_header h = { "Authorization", value };
	char reason[128];
	(void)sig_verify_header_secret(&keys, &h, NULL, reason, sizeof(reason));
	(void)sig_verify_header_secret(&keys, &h, "Bearer", reason, sizeof(reason));
	(void)sig_verify_basic(&keys, "bamboohr", &h, reason, sizeof(reason));
	free(value);
	return 0;
}
