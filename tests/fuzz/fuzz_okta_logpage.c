/* fuzz_okta_logpage.c: libFuzzer target for the System Log page parser and the Link header scanner. */
#include "hooks/okta_delivery.h"
#include "okta/link.h"
#include "okta/logs.h"

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
	char url[OKTA_LINK_MAX];
	if (okta_link_next(body, size, url, sizeof(url)) == 1) {
		char *p = okta_logs_next_path("https://example.okta.com", url);
		free(p);
	}
	struct okta_delivery d;
	char err[256];
	if (okta_logpage_parse(body, size, 1000, &d, err, sizeof(err)) == 0) {
		for (size_t i = 0; i < d.n; i++) {
			volatile size_t n = strlen(d.ev[i].dedupe_key) + strlen(d.ev[i].type) + d.ev[i].raw.n;
			(void)n;
		}
		okta_delivery_free(&d);
	}
	free(body);
	return 0;
}
