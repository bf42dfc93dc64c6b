/* fuzz_admin_parse.c: libFuzzer target for the admin listener's session cookie and sign-in body parsers. */
#include "admin/admin_internal.h"
#include "core/secure.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Input: the bytes as a Cookie header (NUL-terminated copy) and as a sign-in body (exact bytes). */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);
	if (!text)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	char id[65];
	if (admin_cookie_parse(text, id) == 0 && (strlen(id) != 64 || strspn(id, "0123456789abcdef") != 64))
		abort();
	char *token, *name;
	if (admin_signin_parse((struct slice){ (const char *)data, size }, &token, &name) == 0 && !token)
		abort();
	secure_free(token);
	free(name);
	free(text);
	return 0;
}
