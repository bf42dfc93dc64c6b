/* fuzz_cli_out.c: libFuzzer target for what the CLI prints from stored text: escaped cells and JSON Lines members. */
#include "cli/out.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/utf8.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A table cell holds no control byte and is UTF-8; it never holds a raw newline. */
static void check_cell(const char *s, size_t n)
{
	struct jbuf b;
	jbuf_init(&b);
	out_escape(&b, s, n);
	for (size_t i = 0; i < b.n; i++)
		if ((unsigned char)b.p[i] < 0x20 || b.p[i] == 0x7f)
			abort();
	if (!utf8_valid(b.p ? b.p : "", b.n))
		abort();
	jbuf_free(&b);
}

/* A JSON Lines record with the stored bytes as a member is one valid JSON object on one line. */
static void check_member(const char *s)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "status", "rejected");
	out_json_member(&b, "raw", s);
	jbuf_obj_close(&b);
	struct json j;
	if (b.err || memchr(b.p, '\n', b.n) || json_parse(&j, b.p, b.n, 0, NULL, 0) < 0)
		abort();
	if (!json_is_object(&j, 0) || json_size(&j, 0) != 2 || !json_str_eq(&j, json_get(&j, 0, "status"), "rejected"))
		abort();
	json_free(&j);
	jbuf_free(&b);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A NUL-terminated copy, as the journal hands out stored text. */
	char *s = malloc(size + 1);
	if (!s)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	check_cell(s, size);
	check_member(s);
	free(s);
	return 0;
}
