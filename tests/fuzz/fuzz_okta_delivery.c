/* fuzz_okta_delivery.c: libFuzzer target for the Okta event-hook delivery parser. */
#include "hooks/okta_delivery.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* An exact-size copy, so reads past the end are caught. */
	char *body = malloc(size ? size : 1);
	if (!body)
		return 0;
	memcpy(body, data, size);
	struct okta_delivery d;
	char err[256];
	if (okta_delivery_parse(body, size, 1000, &d, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < d.n; i++) {
			/* Touch every field the journal would read. */
			volatile size_t n = strlen(d.ev[i].dedupe_key) + strlen(d.ev[i].type) + d.ev[i].raw.n;
			const char *origin[] = { d.ev[i].request_id, d.ev[i].debug_request_id, d.ev[i].api_token_id,
						 d.ev[i].actor_type };
			for (size_t k = 0; k < 4; k++)
				n += origin[k] ? strlen(origin[k]) : 0;
			(void)n;
		}
		okta_delivery_free(&d);
	}
	free(body);
	return 0;
}
