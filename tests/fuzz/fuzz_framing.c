/* fuzz_framing.c: libFuzzer target for framing_check, and for the head civetweb parses and hookd rebuilds. */
#include "hooks/civetweb_ext.h"
#include "hooks/framing.h"

#include <civetweb.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const once[] = { "X-Okta-Secret", NULL };
static const struct framing_rules rules = { FRAMING_MAX_HEADERS, once };

static void check_verdict(const char *head, size_t n)
{
	struct framing_verdict v;
	int rc = framing_check(head, n, &rules, &v);
	if (rc < 0 && (v.status < 400 || !v.code))
		abort();
	if (rc == 0 && v.status != 0)
		abort();
}

/*
 * The bytes as civetweb's request buffer, filled exactly (the head may end on its last byte):
 * civetweb parses them in place, hookd rebuilds the head without reading past it.
 */
static void check_rebuilt(const uint8_t *data, size_t size)
{
	char *buf = malloc(size ? size : 1);
	static char out[FRAMING_HEAD_MAX];
	struct mg_request_info ri;
	if (!buf)
		abort();
	memcpy(buf, data, size);
	struct slice head = civetweb_ext_parse(buf, size, &ri);
	size_t n = head.p ? framing_head_rebuild(&ri, head, out, sizeof(out)) : 0;
	if (n)
		check_verdict(out, n);
	free(buf);
}

/* Input: the head's bytes, copied to a block of exactly that size so that ASan sees any over-read. */
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *head = malloc(size ? size : 1);
	if (!head)
		abort();
	memcpy(head, data, size);
	check_verdict(head, size);
	free(head);
	check_rebuilt(data, size);
	return 0;
}
