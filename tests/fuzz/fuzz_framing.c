/* fuzz_framing.c: libFuzzer target for framing_check, the strict RFC 9112 check of a request head. */
#include "hooks/framing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: the head's bytes, copied to a block of exactly that size so that ASan sees any over-read. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const once[] = { "X-Okta-Secret", NULL };
	static const struct framing_rules rules = { FRAMING_MAX_HEADERS, once };
	char *head = malloc(size ? size : 1);
	if (!head)
		abort();
	memcpy(head, data, size);
	struct framing_verdict v;
	int rc = framing_check(head, size, &rules, &v);
	if (rc < 0 && (v.status < 400 || !v.code))
		abort();
	if (rc == 0 && v.status != 0)
		abort();
	free(head);
	return 0;
}
