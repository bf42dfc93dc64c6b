/* fuzz_okta_headers.c: libFuzzer target for okta/http.c's response header parser (rate headers, X-Okta-Request-Id). */
#include "okta/http.c"

#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct okta_http_resp rs;
	okta_http_resp_init(&rs);
	struct hdr st = { .rs = &rs };
	size_t at = 0;
	while (at < size) { /* one header line at a time, each in an exact-size copy */
		const uint8_t *nl = memchr(data + at, '\n', size - at);
		size_t n = nl ? (size_t)(nl - (data + at)) + 1 : size - at;
		char *line = malloc(n);
		if (!line)
			break;
		memcpy(line, data + at, n);
		on_header(line, 1, n, &st);
		free(line);
		at += n;
	}
	size_t k = strlen(rs.request_id);
	for (size_t i = 0; i < k; i++)
		if (rs.request_id[i] <= ' ' || rs.request_id[i] > '~')
			__builtin_trap();
	okta_http_resp_free(&rs); /* the Link header's next URL, strdup'ed */
	return 0;
}
