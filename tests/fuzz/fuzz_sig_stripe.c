/* fuzz_sig_stripe.c: libFuzzer target for the Stripe-Signature header parser and verifier. */
#include "hooks/sig.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: Stripe-Signature header \n body. Two keys, so the rotation path runs too. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *nl = memchr(data, '\n', size);
	size_t hn = nl ? (size_t)(nl - data) : size;
	char *header = malloc(hn + 1);
	size_t bn = nl ? size - hn - 1 : 0;
	char *body = malloc(bn ? bn : 1);
	if (!header || !body)
		abort();
	memcpy(header, data, hn);
	header[hn] = '\0';
	if (bn)
		memcpy(body, nl + 1, bn);
	struct sig_keys keys = { { SLICE_LIT("whsec_test_secret"), SLICE_LIT("whsec_next") }, 2 };
	struct sig_stripe in = { &keys, { "Stripe-Signature", header }, { body, bn }, 1700000000, 300 };
	char reason[128];
	(void)sig_verify_stripe(&in, reason, sizeof(reason));
	free(header);
	free(body);
	return 0;
}
