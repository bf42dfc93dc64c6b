/* test_json.c: the JSON reader's text rules (no NUL, no lone surrogate, UTF-8 only), duplicate keys, and the writer's UTF-8. */
#include "check.h"

#include "core/jbuf.h"
#include "core/json.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int parse(struct json *j, const char *s, char *err, size_t errlen)
{
	return json_parse(j, s, strlen(s), 0, err, errlen);
}

/* Parses s, reads member key of the root with json_text; returns json_text's result and fills why and *out. */
static int text_of(const char *s, const char *key, char **out, const char **why)
{
	struct json j;
	char err[128];
	*out = NULL;
	*why = "does not parse";
	if (parse(&j, s, err, sizeof(err)) < 0)
		return -9;
	int rc = json_text(&j, json_get_unique(&j, 0, key), out, why);
	json_free(&j);
	return rc;
}

static void test_document_is_utf8(void)
{
	static const char *const bad[] = {
		"{\"a\":\"\xff\"}",		/* not a UTF-8 byte */
		"{\"a\":\"\xc0\x80\"}",		/* overlong NUL */
		"{\"a\":\"\xed\xa0\x80\"}",	/* a surrogate, UTF-8 encoded */
		"{\"a\":\"\xf4\x90\x80\x80\"}", /* past U+10FFFF */
		"{\"a\":\"\xc3\"}",		/* truncated */
		"{\"a\":\"x\ty\"}",		/* raw control character in a string */
		"{\"a\":\"x\x1b[2Jy\"}",	/* raw ESC */
	};
	struct json j;
	char err[128];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(parse(&j, bad[i], err, sizeof(err)) == -1);
		CHECK(strstr(err, "UTF-8") || strstr(err, "control character"));
	}
	CHECK(parse(&j, "{\"a\":\"\xc3\xa9\xf0\x9f\x98\x80\",\n\t\"b\": 1}", err, sizeof(err)) == 0);
	json_free(&j);
	CHECK(utf8_valid("\xe2\x82\xac", 3) && !utf8_valid("\xe2\x82", 2) && utf8_seq_len("\xf0\x9f\x98\x80", 4) == 4);
	CHECK(utf8_decode("\xe2\x80\xae", 3) == 0x202e);
}

/*
 * The scan passes plain bytes in a table-driven loop (core/json.c stops[]): whatever the offset of a
 * quote, backslash, control or non-ASCII byte within a run of them, and whatever the run's length and
 * the padding before it, it is seen.
 */
static void test_scan_runs(void)
{
	char doc[128], err[128];
	struct json j;
	for (int pre = 0; pre < 20; pre++) {
		for (int len = 0; len < 24; len++) {
			/* {"a":"xxxx<bad>yyyy"} with the bad byte at every offset: refused (DEL is allowed: below) */
			static const unsigned char bad[] = { 0x01, 0x1f, 0xff, 0xc3 };
			for (size_t b = 0; b < sizeof(bad); b++) {
				int n = snprintf(doc, sizeof(doc), "{%*s\"a\":\"%.*s", pre, "", len,
						 "abcdefghijklmnopqrstuvwxyz");
				doc[n++] = (char)bad[b];
				n += snprintf(doc + n, sizeof(doc) - (size_t)n, "%.*s\"}", len,
					      "ABCDEFGHIJKLMNOPQRSTUVWXYZ");
				int rc = json_parse(&j, doc, (size_t)n, 0, err, sizeof(err));
				CHECK(rc == -1);
				if (rc == 0) {
					fprintf(stderr, "accepted byte 0x%02x at pre=%d len=%d\n", bad[b], pre, len);
					json_free(&j);
				} else {
					CHECK(strstr(err, "UTF-8") || strstr(err, "control character"));
				}
			}
			/* a quote, an escaped quote, DEL and a two-byte character at every offset: the string ends right */
			int n = snprintf(doc, sizeof(doc), "{%*s\"a\":\"%.*s\\\"\x7f\xc3\xa9%.*s\",%*s\"b\":%*s1}", pre,
					 "", len, "abcdefghijklmnopqrstuvwxyz", len, "ABCDEFGHIJKLMNOPQRSTUVWXYZ", len,
					 "", pre, "");
			CHECK(json_parse(&j, doc, (size_t)n, 0, err, sizeof(err)) == 0);
			if (j.tok) {
				int64_t v = 0;
				CHECK(json_int(&j, json_get(&j, 0, "b"), &v) == 0 && v == 1);
				struct slice a = json_raw(&j, json_get(&j, 0, "a"));
				CHECK(a.n == (size_t)(2 * len + 5));
			}
			json_free(&j);
			/* spaces then a stray byte outside any string: refused */
			n = snprintf(doc, sizeof(doc), "[%*s1,%*sx]", pre, "", len, "");
			CHECK(json_parse(&j, doc, (size_t)n, 0, err, sizeof(err)) == -1);
		}
	}
}

/* utf8_prefix cuts at a character boundary, never inside one; text that is not UTF-8 is still cut. */
static void test_utf8_prefix(void)
{
	CHECK(utf8_prefix("abc", 10) == 3 && utf8_prefix("abc", 3) == 3 && utf8_prefix("abc", 2) == 2);
	CHECK(utf8_prefix("", 0) == 0 && utf8_prefix("a", 0) == 0);
	CHECK(utf8_prefix("ab\xc3\xa9", 3) == 2 && utf8_prefix("ab\xc3\xa9", 4) == 4);
	CHECK(utf8_prefix("a\xf0\x9f\x98\x80z", 2) == 1 && utf8_prefix("a\xf0\x9f\x98\x80z", 4) == 1);
	CHECK(utf8_prefix("a\xf0\x9f\x98\x80z", 5) == 5);
	CHECK(utf8_prefix("a\x80\x80\x80\x80\x80", 5) == 2); /* stray continuation bytes: backs up 3 at most */
}

static void test_text_refuses_what_is_not_text(void)
{
	char *v;
	const char *why;
	CHECK(text_of("{\"a\":\"X\\u0000one\"}", "a", &v, &why) == -1 && v == NULL);
	CHECK_STR(why, "contains U+0000 (NUL)");
	CHECK(text_of("{\"a\":\"\\ud83d\"}", "a", &v, &why) == -1);
	CHECK_STR(why, "contains a lone UTF-16 surrogate");
	CHECK(text_of("{\"a\":\"\\ude00x\"}", "a", &v, &why) == -1);
	CHECK_STR(why, "contains a lone UTF-16 surrogate");
	CHECK(text_of("{\"a\":\"\\ud83d\\u0041\"}", "a", &v, &why) == -1);
	CHECK(text_of("{\"a\":5}", "a", &v, &why) == -1);
	CHECK_STR(why, "is not a string");
	CHECK(text_of("{\"a\":\"1\",\"a\":\"2\"}", "a", &v, &why) == -1);
	CHECK_STR(why, "appears twice");
	CHECK(text_of("{\"a\":null}", "a", &v, &why) == 0 && v == NULL);
	CHECK(text_of("{}", "a", &v, &why) == 0 && v == NULL);
	CHECK(text_of("{\"a\":\"\\ud83d\\ude00 \\u00e9\\n\"}", "a", &v, &why) == 1);
	CHECK_STR(v, "\xf0\x9f\x98\x80 \xc3\xa9\n");
	free(v);
	char out[16];
	CHECK(json_decode_text("a\\u0000", 7, out, &why) == -1);
	CHECK(json_decode_text("\xff", 1, out, &why) == -1);
	CHECK_STR(why, "is not valid UTF-8");
	/* json_unescape keeps the NUL and counts it; json_strdup never hands out a string cut at one. */
	CHECK(json_unescape("a\\u0000b", 8, out) == 3 && memcmp(out, "a\0b", 3) == 0);
	struct json j;
	char err[64];
	CHECK(parse(&j, "[\"X\\u0000one\",\"\\udfff\"]", err, sizeof(err)) == 0);
	CHECK(json_strdup(&j, json_at(&j, 0, 0)) == NULL);
	CHECK(json_strdup(&j, json_at(&j, 0, 1)) == NULL);
	json_free(&j);
}

static void test_keys_are_exact(void)
{
	struct json j;
	char err[64];
	/* "uuid\u0000" is a key of its own, not uuid; an escaped spelling of uuid is uuid. */
	CHECK(parse(&j, "{\"uuid\\u0000\":\"fake\",\"uuid\":\"real\"}", err, sizeof(err)) == 0);
	CHECK(json_get(&j, 0, "uuid") == 4 && json_get_unique(&j, 0, "uuid") == 4);
	CHECK(json_str_eq(&j, 2, "fake") && !json_str_eq(&j, 1, "uuid"));
	json_free(&j);
	CHECK(parse(&j, "{\"uuid\":\"a\",\"u\\u0075id\":\"b\",\"x\":{\"k\":1,\"k\":2}}", err, sizeof(err)) == 0);
	CHECK(json_get(&j, 0, "uuid") == 2);
	CHECK(json_get_unique(&j, 0, "uuid") == JSON_DUPLICATE);
	CHECK(json_pointer(&j, 0, "/uuid") == JSON_DUPLICATE);
	CHECK(json_pointer(&j, 0, "/x/k") == JSON_DUPLICATE);
	CHECK(json_pointer(&j, 0, "/x/none") == -1);
	CHECK(json_keys_unique(&j, 0) == 0 && json_keys_unique(&j, json_get(&j, 0, "x")) == 0);
	json_free(&j);
	CHECK(parse(&j, "{\"a\":1,\"b\":2,\"a\\u0000\":3,\"\\u0062c\":4}", err, sizeof(err)) == 0);
	CHECK(json_keys_unique(&j, 0) == 1);
	json_free(&j);
}

static void test_writer_emits_utf8(void)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_strn(&b, "a\xff\xc3\xa9\xed\xa0\x80\x00z", 9);
	CHECK_STR(b.p, "\"a\\ufffd\xc3\xa9\\ufffd\\ufffd\\ufffd\\u0000z\"");
	jbuf_free(&b);
	jbuf_str(&b, "\xe2\x82");
	CHECK_STR(b.p, "\"\\ufffd\\ufffd\"");
	jbuf_free(&b);
}

/* jsmn's tokens come with RFC 8259's grammar checked on top: what jsmn lets through is refused. */
static void test_grammar(void)
{
	static const char *const bad[] = {
		"[:,1 [,: [:, 3, 3,3]],]",
		"[1 2]",
		"[1,]",
		"[,1]",
		"[1,,2]",
		"{\"a\":1,}",
		"{\"a\"}",
		"{\"a\" 1}",
		"{\"a\"::1}",
		"{\"a\":1 \"b\":2}",
		"{\"a\":1 2}",
		"[\"a\":1]",
		"[1:2]",
		"[tru]",
		"[nul]",
		"[01]",
		"[1.]",
		"[.5]",
		"[1e]",
		"[-]",
		"[+1]",
		"[1.2.3]",
		"[0x10]",
		"[truex]",
		"{,}",
		"[1]]",
		"{\"a\":{}:1}",
	};
	static const char *const good[] = {
		"[]",
		"{}",
		" [ 1 , 2 ] ",
		"{\"a\":[1,{\"b\":null}],\"c\":true}",
		"[-0,0.5,1e10,-1.25E-3,2e+2]",
		"\"top\"",
		"0 ", /* jsmn needs a delimiter after a top-level number */
		"[false, \"x\", [[]], {\"k\": {\"l\": []}}]",
		"\n{\n \"a\" : 1\n}\n",
	};
	struct json j;
	char err[64];
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		int rc = parse(&j, bad[i], err, sizeof(err));
		CHECK(rc == -1);
		if (rc == 0) {
			fprintf(stderr, "  accepted: %s\n", bad[i]);
			json_free(&j);
		}
	}
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		int rc = parse(&j, good[i], err, sizeof(err));
		CHECK(rc == 0);
		if (rc < 0)
			fprintf(stderr, "  refused: %s (%s)\n", good[i], err);
		json_free(&j);
	}
}

/* Each refusal says what it is; a token limit holds whether or not the first guess was big enough. */
static void test_errors(void)
{
	static const struct {
		const char *doc;
		int max_tokens;
		const char *err;
	} cases[] = {
		{ "", 0, "empty document" },
		{ "  ", 0, "empty document" },
		{ "[1, 2", 0, "truncated JSON" },
		{ "{} {}", 0, "trailing data after JSON value" },
		{ "[1] 2 ", 0, "trailing data after JSON value" },
		{ "[1 2]", 0, "invalid JSON" },
		{ "[1,2,3]", 3, "too many JSON tokens" }, /* guess is the limit: jsmn runs out */
		{ "[1,2,3]", 4, NULL },
	};
	struct json j;
	char err[64];
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = json_parse(&j, cases[i].doc, strlen(cases[i].doc), cases[i].max_tokens, err, sizeof(err));
		if (!cases[i].err) {
			CHECK(rc == 0 && j.ntok == 4);
			json_free(&j);
			continue;
		}
		CHECK(rc == -1 && j.tok == NULL && j.ntok == 0);
		CHECK_STR(err, cases[i].err);
	}
	/* Past the first guess (len / 8 + 64 tokens): the count pass finds the size, and the limit. */
	char big[4096] = "[";
	for (int k = 0; k < 1000; k++)
		strcat(big, k ? ",1" : "1");
	strcat(big, "]");
	CHECK(json_parse(&j, big, strlen(big), 0, err, sizeof(err)) == 0 && j.ntok == 1001);
	json_free(&j);
	CHECK(json_parse(&j, big, strlen(big), 1000, err, sizeof(err)) == -1);
	CHECK_STR(err, "too many JSON tokens");
}

int main(void)
{
	test_errors();
	test_document_is_utf8();
	test_scan_runs();
	test_utf8_prefix();
	test_text_refuses_what_is_not_text();
	test_keys_are_exact();
	test_writer_emits_utf8();
	test_grammar();
	return check_report("test_json");
}
