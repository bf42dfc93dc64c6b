/* fuzz_sig_standard.c: libFuzzer target for the Standard Webhooks verifier and its key decoder. */
#include "hooks/sig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Cuts the next '\n'-terminated line off the input as a malloc'd C string (the rest when no '\n'). */
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

/* Input: id \n timestamp \n signature header \n body. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[SIG_MAX_KEY];
	static int keylen;
	if (!keylen)
		keylen = sig_standard_key("whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", key);
	struct sig_keys keys = { { { (const char *)key, (size_t)keylen } }, 1 };
	char *id = take_line(&data, &size), *ts = take_line(&data, &size), *sig = take_line(&data, &size);
	char *body = malloc(size ? size : 1); /* exact size, so overreads are caught */
	if (!body)
		abort();
	memcpy(body, data, size);
	struct sig_standard in = { &keys,
				   { "webhook-id", id },
				   { "webhook-timestamp", ts },
				   { "webhook-signature", sig },
				   { body, size },
				   1614265330,
				   300 };
	char reason[128];
	(void)sig_verify_standard(&in, reason, sizeof(reason));
	unsigned char k[SIG_MAX_KEY];
	(void)sig_standard_key(sig, k);
	free(body);
	free(id);
	free(ts);
	free(sig);
	return 0;
}
