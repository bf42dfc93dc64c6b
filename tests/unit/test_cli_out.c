/* test_cli_out.c: what the CLI prints from stored text: escaped table cells and JSON members that stay JSON. */
#include "check.h"

#include "cli/out.h"
#include "core/jbuf.h"
#include "core/json.h"

#include <stdlib.h>
#include <string.h>

static char *escaped(const char *s, size_t n)
{
	struct jbuf b;
	jbuf_init(&b);
	out_escape(&b, s, n);
	return jbuf_take(&b, NULL);
}

#define CHECK_ESC(in, want)                               \
	do {                                              \
		char *e_ = escaped((in), sizeof(in) - 1); \
		CHECK_STR(e_, (want));                    \
		free(e_);                                 \
	} while (0)

static void test_escape(void)
{
	CHECK_ESC("ann@example.com", "ann@example.com");
	CHECK_ESC("a\nb\r\tc\\d", "a\\nb\\r\\tc\\\\d");
	CHECK_ESC("x\x1b[2J\x1b]0;t\x07\x7f", "x\\x1b[2J\\x1b]0;t\\x07\\x7f");
	CHECK_ESC("a\0b", "a\\x00b");
	CHECK_ESC("\xc3\xa9 \xf0\x9f\x98\x80", "\xc3\xa9 \xf0\x9f\x98\x80");
	CHECK_ESC("bad\xff\xc3", "bad\\xff\\xc3");
	CHECK_ESC("\302\23331m", "\\u{009b}31m");		/* C1 CSI, in UTF-8 */
	CHECK_ESC("\342\200\256moc.evil", "\\u{202e}moc.evil"); /* right-to-left override */
	CHECK_ESC("\xe2\x80\xa8", "\\u{2028}");
	struct out_row r = { 0 };
	CHECK_STR(out_safe(&r, NULL), "-");
	CHECK_STR(out_safe(&r, "row\n99 forged"), "row\\n99 forged");
	out_row_clear(&r);
	CHECK(r.n == 0);
	for (int i = 0; i < 30; i++)
		CHECK(out_safe(&r, "x") != NULL);
	out_row_clear(&r);
}

/* One JSON member as a whole object's text, and whether it parses back. */
static char *member(const char *stored)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "status", "rejected");
	out_json_member(&b, "raw", stored);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

static int valid_json(const char *s)
{
	struct json j;
	int ok = json_parse(&j, s, strlen(s), 0, NULL, 0) == 0 && json_is_object(&j, 0);
	json_free(&j);
	return ok;
}

static void test_json_member(void)
{
	char *m = member("{\n  \"a\": [1, 2],\n  \"b\": \"x y\"\n}\n");
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":{\"a\":[1,2],\"b\":\"x y\"}}");
	free(m);
	/* Not JSON: kept as a string, so it cannot close the object or add members. */
	m = member("x\",\"status\":\"accepted");
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":\"x\\\",\\\"status\\\":\\\"accepted\"}");
	CHECK(valid_json(m));
	free(m);
	m = member("}, \"status\": \"accepted\", \"x\": {");
	CHECK(valid_json(m) && strstr(m, "\"raw\":\"}") != NULL);
	free(m);
	m = member("");
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":\"\"}");
	free(m);
	m = member(NULL);
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":null}");
	free(m);
	/* The journal's "no body" (store_raw, retention, people forget) is JSON null, not the string "null". */
	m = member("null");
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":null}");
	free(m);
	/* Old rows: bytes that are not UTF-8, raw newlines and controls. */
	m = member("{\"a\":\"\xff\"}");
	CHECK(valid_json(m) && strstr(m, "\\ufffd") != NULL);
	free(m);
	m = member("line1\nline2\x1b[2J");
	CHECK(valid_json(m) && !strchr(m, '\n') && !strchr(m, '\x1b'));
	free(m);
	m = member("{\"k\" :\t\"a\\nb\" , \"s\":\"  \"}");
	CHECK_STR(m, "{\"status\":\"rejected\",\"raw\":{\"k\":\"a\\nb\",\"s\":\"  \"}}");
	free(m);
}

/* jbuf_key_pos: a positive number as itself, zero and below as null (the admin API's ids, cursors, times). */
static void test_key_pos(void)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_pos(&b, "held_by", 42);
	jbuf_key_pos(&b, "next_cursor", 0);
	jbuf_key_pos(&b, "sent_ms", -1);
	jbuf_obj_close(&b);
	char *s = jbuf_take(&b, NULL);
	CHECK_STR(s, "{\"held_by\":42,\"next_cursor\":null,\"sent_ms\":null}");
	free(s);
}

int main(void)
{
	test_escape();
	test_json_member();
	test_key_pos();
	return check_report("test_cli_out");
}
