/* fuzz_landing.c: libFuzzer target for the landing-link opener (any bytes as an opaque token). */
#include "handlers/landing.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static unsigned char key[LANDING_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	char uid[64];
	char *url = NULL;
	/* As the server hands it over: a NUL-terminated path segment. */
	char *s = malloc(size + 1);
	if (!s)
		abort();
	memcpy(s, data, size);
	s[size] = '\0';
	enum landing_check c = landing_open(key, s, strlen(s), 0, uid, sizeof(uid), &url);
	if ((c == LANDING_OK) != (url != NULL))
		abort();
	if (c == LANDING_OK && (strlen(uid) == 0 || strlen(uid) >= sizeof(uid)))
		abort();
	free(url);
	/* A sealed token of the fuzzed text opens to the same text. */
	if (size && size < 512 && !memchr(data, '\0', size)) {
		char tok[LANDING_OPAQUE_MAX];
		if (landing_seal(key, "00u1", s, 10, tok, sizeof(tok)) == 0) {
			if (landing_open(key, tok, strlen(tok), 0, uid, sizeof(uid), &url) != LANDING_OK ||
			    strcmp(url, s) != 0)
				abort();
			free(url);
		}
	}
	free(s);
	return 0;
}
