/* fuzz_sig_hmac.c: libFuzzer target for the generic HMAC verifier, its template and decoders, and Basic. */
#include "hooks/sig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char *take_line(const uint8_t **p, size_t *n)
{
	const uint8_t *nl = memchr(*p, '\n', *n);
	size_t len = nl ? (size_t)(nl - *p) : *n;
	char *s = malloc(len + 1);
	if (!s)
		abort();
	memcpy(s, *p, len);
	s[len] = '\0';
	*p += len + (nl != NULL);
	*n -= len + (nl != NULL);
	return s;
}

/*
 * Input: one option byte (algorithm, encoding, prefix), then template \n signature \n timestamp \n
 * id \n body. A template that fails sig_template_check is replaced by "{body}", as config would.
 */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	uint8_t opt = data[0];
	data++;
	size--;
	char *tmpl = take_line(&data, &size), *sig = take_line(&data, &size);
	char *ts = take_line(&data, &size), *id = take_line(&data, &size);
	char *body = malloc(size ? size : 1);
	if (!body)
		abort();
	memcpy(body, data, size);
	char err[128];
	struct sig_keys keys = { { SLICE_LIT("It's a Secret to Everybody"), SLICE_LIT("next") }, 2 };
	struct sig_hmac in = { .keys = &keys,
			       .alg = opt & 1 ? SIG_SHA512 : SIG_SHA256,
			       .enc = (enum sig_enc)((opt >> 1) % 3),
			       .prefix = opt & 8 ? "sha256=" : NULL,
			       .tmpl = sig_template_check(tmpl, 1, 1, err, sizeof(err)) == 0 ? tmpl : "{body}",
			       .method = "POST",
			       .signature = { "X-Signature", sig },
			       .timestamp = { opt & 16 ? "X-Timestamp" : NULL, ts },
			       .id = { "X-Id", id },
			       .body = { body, size },
			       .now_s = 1700000000,
			       .tolerance_s = 300 };
	(void)sig_verify_hmac(&in, err, sizeof(err));
	struct sig_header h = { "Authorization", sig };
	(void)sig_verify_basic(&keys, "hookd", &h, err, sizeof(err));
	(void)sig_verify_header_secret(&keys, &h, opt & 32 ? "Bearer" : NULL, err, sizeof(err));
	int64_t t;
	(void)sig_parse_timestamp(ts, &t);
	free(body);
	free(tmpl);
	free(sig);
	free(ts);
	free(id);
	return 0;
}
