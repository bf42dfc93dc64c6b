/* fuzz_okta_delivery.c: libFuzzer target for the Okta event-hook delivery parser. */
#include "core/utf8.h"
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
			const struct okta_event *e = &d.ev[i];
			/* Every field is text; a generated key ('~') only for an event without uuid. */
			const char *f[] = { e->uuid,	     e->dedupe_key, e->type,	     e->published,
					    e->actor_id,     e->target_id,  e->target_login, e->target_name,
					    e->outcome,	     e->reason,	    e->request_id,   e->debug_request_id,
					    e->api_token_id, e->actor_type };
			for (size_t k = 0; k < sizeof(f) / sizeof(f[0]); k++)
				if (f[k] && !utf8_valid(f[k], strlen(f[k])))
					abort();
			if (!e->dedupe_key[0] || (e->dedupe_key[0] == '~') != (e->uuid == NULL || !e->uuid[0]))
				abort();
			volatile size_t n = strlen(e->type) + e->raw.n;
			(void)n;
		}
		okta_delivery_free(&d);
	}
	free(body);
	return 0;
}
