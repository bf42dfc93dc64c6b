/* test_okta_delivery.c: the Okta event-hook delivery parser. */
#include "check.h"

#include "core/jbuf.h"
#include "hooks/okta_delivery.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static char *read_file(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	struct jbuf b;
	jbuf_init(&b);
	char buf[4096];
	size_t k;
	while ((k = fread(buf, 1, sizeof(buf), f)) > 0)
		jbuf_put(&b, buf, k);
	fclose(f);
	return jbuf_take(&b, n);
}

static int parse(const char *s, struct okta_delivery *d, char *err, size_t errlen)
{
	return okta_delivery_parse(s, strlen(s), 1000, d, err, errlen);
}

static void test_docs_sample(void)
{
	size_t n;
	char *body = read_file("../shared/okta/examples/delivery-docs-sample.json", &n);
	if (!body)
		body = read_file("tests/fuzz/corpus/okta_delivery/docs-sample.json", &n); /* the same bytes */
	CHECK(body != NULL);
	if (!body)
		return;
	struct okta_delivery d;
	char err[256] = "";
	CHECK(okta_delivery_parse(body, n, 1000, &d, err, sizeof(err)) == 0);
	CHECK_STR(d.event_id, "85b60edb-4263-4e13-993b-818e26201052");
	CHECK(d.n == 1);
	if (d.n == 1) {
		CHECK_STR(d.ev[0].uuid, "f1d0b993-cc19-11ed-a688-db22c99ef6c4");
		CHECK_STR(d.ev[0].dedupe_key, "f1d0b993-cc19-11ed-a688-db22c99ef6c4");
		CHECK_STR(d.ev[0].type, "user.session.start");
		CHECK_STR(d.ev[0].published, "2023-03-26T21:05:32.159Z");
		CHECK(d.ev[0].raw.n > 100 && d.ev[0].raw.p[0] == '{' && d.ev[0].raw.p[d.ev[0].raw.n - 1] == '}');
	}
	okta_delivery_free(&d);
	free(body);
}

static void test_multi_event_and_target(void)
{
	const char *s =
		"{\"eventId\":\"d1\",\"data\":{\"events\":["
		"{\"uuid\":\"u1\",\"eventType\":\"user.lifecycle.create\",\"published\":\"2026-01-01T00:00:00Z\","
		"\"actor\":{\"id\":\"00uADMIN\",\"type\":\"User\"},"
		"\"target\":[{\"type\":\"AppInstance\",\"id\":\"0oa1\"},{\"type\":\"User\",\"id\":\"00u1\","
		"\"alternateId\":\"ann@example.com\",\"displayName\":\"Ann \\\"A\\\" Lee\"}]},"
		"{\"uuid\":\"u2\",\"eventType\":\"user.lifecycle.activate\","
		"\"outcome\":{\"result\":\"FAILURE\",\"reason\":\"bounced\"}}]}}";
	struct okta_delivery d;
	char err[256] = "";
	CHECK(parse(s, &d, err, sizeof(err)) == 0);
	CHECK(d.n == 2);
	if (d.n == 2) {
		CHECK_STR(d.ev[0].target_id, "00u1");
		CHECK_STR(d.ev[0].target_login, "ann@example.com");
		CHECK_STR(d.ev[0].target_name, "Ann \"A\" Lee");
		CHECK_STR(d.ev[0].actor_id, "00uADMIN");
		CHECK(d.ev[1].target_id == NULL);
		CHECK_STR(d.ev[1].type, "user.lifecycle.activate");
		CHECK_STR(d.ev[1].outcome, "FAILURE");
		CHECK_STR(d.ev[1].reason, "bounced");
		CHECK(d.ev[0].outcome == NULL);
	}
	okta_delivery_free(&d);
}

/* Which request caused an event: transaction, debugData, token id; odd shapes are ignored, not fatal. */
static void test_origin(void)
{
	const char *s =
		"{\"data\":{\"events\":["
		"{\"uuid\":\"o1\",\"eventType\":\"user.lifecycle.create\","
		"\"actor\":{\"id\":\"0oaAPP\",\"type\":\"PublicClientApp\"},"
		"\"transaction\":{\"type\":\"WEB\",\"id\":\"REQ1\",\"detail\":{\"requestApiTokenId\":\"00Tabc\"}},"
		"\"debugContext\":{\"debugData\":{\"requestId\":\"REQ1\",\"url\":\"/x\"}}},"
		"{\"uuid\":\"o2\",\"eventType\":\"t\",\"transaction\":{\"id\":{\"x\":1},\"detail\":[]},"
		"\"debugContext\":{\"debugData\":null}},"
		"{\"uuid\":\"o3\",\"eventType\":\"t\",\"transaction\":\"REQ3\",\"debugContext\":[1]}]}}";
	struct okta_delivery d;
	char err[256] = "";
	CHECK(parse(s, &d, err, sizeof(err)) == 0 && d.n == 3);
	if (d.n == 3) {
		CHECK_STR(d.ev[0].request_id, "REQ1");
		CHECK_STR(d.ev[0].debug_request_id, "REQ1");
		CHECK_STR(d.ev[0].api_token_id, "00Tabc");
		CHECK_STR(d.ev[0].actor_type, "PublicClientApp");
		CHECK(d.ev[1].request_id == NULL && d.ev[1].api_token_id == NULL && d.ev[1].debug_request_id == NULL);
		CHECK(d.ev[2].request_id == NULL && d.ev[2].debug_request_id == NULL && d.ev[2].actor_type == NULL);
	}
	okta_delivery_free(&d);
}

static void test_escapes(void)
{
	const char *s = "{\"data\":{\"events\":[{\"uuid\":\"\\u00e9\\ud83d\\ude00\\/x\",\"eventType\":\"a\\tb\","
			"\"target\":[{\"type\":\"User\",\"alternateId\":\"x\\\\y\"}]}]}}";
	struct okta_delivery d;
	char err[256] = "";
	CHECK(parse(s, &d, err, sizeof(err)) == 0);
	if (d.n == 1) {
		CHECK_STR(d.ev[0].uuid, "\xc3\xa9\xf0\x9f\x98\x80/x");
		CHECK_STR(d.ev[0].type, "a\tb");
		CHECK_STR(d.ev[0].target_login, "x\\y");
	}
	okta_delivery_free(&d);
	/* A lone surrogate is not text: the delivery is refused, never read as if the uuid were absent. */
	const char *bad = "{\"eventId\":\"e\",\"data\":{\"events\":[{\"uuid\":\"\\ud83d\",\"eventType\":\"t\"}]}}";
	CHECK(parse(bad, &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "data.events[0].uuid contains a lone UTF-16 surrogate") != NULL);
}

static void test_missing_fields(void)
{
	struct okta_delivery d;
	char err[256];
	struct {
		const char *body, *want;
	} cases[] = {
		{ "[]", "not a JSON object" },
		{ "{}", "no data.events" },
		{ "{\"data\":{\"events\":{}}}", "no data.events" },
		{ "{\"data\":{\"events\":[1]}}", "data.events[0] is not an object" },
		{ "{\"data\":{\"events\":[{\"uuid\":\"x\"}]}}", "data.events[0] has no eventType" },
		{ "{\"data\":{\"events\":[{\"uuid\":\"x\",\"eventType\":\"\"}]}}", "has no eventType" },
		{ "{\"data\":{\"events\":[{\"eventType\":\"t\"}]}}", "no uuid" },
		{ "{\"data\":{\"events\":[{\"uuid\":\"x\",\"eventType\":7}]}}", "eventType is not a string" },
		{ "{\"data\":", "not valid JSON" },
		{ "{\"data\":{}} trailing", "not valid JSON" },
		{ "", "not valid JSON" },
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		err[0] = '\0';
		int rc = parse(cases[i].body, &d, err, sizeof(err));
		CHECK(rc == -1);
		CHECK(strstr(err, cases[i].want) != NULL);
		if (!strstr(err, cases[i].want))
			fprintf(stderr, "  case %zu: got '%s'\n", i, err);
		CHECK(d.n == 0 && d.ev == NULL);
	}
	/* An empty events array is a valid, empty delivery. */
	CHECK(parse("{\"data\":{\"events\":[]}}", &d, err, sizeof(err)) == 0 && d.n == 0);
	okta_delivery_free(&d);
}

/* An event with depth nested arrays inside it. */
static void nested(struct jbuf *b, int depth)
{
	jbuf_init(b);
	jbuf_puts(b, "{\"data\":{\"events\":[{\"uuid\":\"deep\",\"eventType\":\"t\",\"x\":");
	for (int i = 0; i < depth; i++)
		jbuf_putc(b, '[');
	for (int i = 0; i < depth; i++)
		jbuf_putc(b, ']');
	jbuf_puts(b, ",\"s\":\"[[[[\"}]}}");
}

static void test_deep_nesting(void)
{
	struct jbuf b;
	struct okta_delivery d;
	char err[256];
	/* 250 levels in an event (plus the envelope's 4) are fine; brackets inside strings do not count. */
	nested(&b, 250);
	CHECK(okta_delivery_parse(b.p, b.n, 1000, &d, err, sizeof(err)) == 0);
	CHECK(d.n == 1 && strcmp(d.ev[0].uuid, "deep") == 0);
	okta_delivery_free(&d);
	jbuf_free(&b);
	/* 100,000 levels are refused at once: no recursion, and no quadratic closing in jsmn. */
	nested(&b, 100000);
	CHECK(okta_delivery_parse(b.p, b.n, 1000, &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "nested deeper than 256") != NULL);
	jbuf_free(&b);
}

static void test_huge_arrays(void)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_puts(&b, "{\"data\":{\"events\":[");
	for (int i = 0; i < 1000; i++)
		jbuf_printf(&b, "%s{\"uuid\":\"u%d\",\"eventType\":\"t\",\"pad\":[1,2,3,4,5,6,7,8]}", i ? "," : "", i);
	jbuf_puts(&b, "]}}");
	struct okta_delivery d;
	char err[256];
	CHECK(okta_delivery_parse(b.p, b.n, 1000, &d, err, sizeof(err)) == 0);
	CHECK(d.n == 1000);
	if (d.n == 1000)
		CHECK_STR(d.ev[999].uuid, "u999");
	okta_delivery_free(&d);
	/* One more than the limit: refused as too many (-2). */
	CHECK(okta_delivery_parse(b.p, b.n, 999, &d, err, sizeof(err)) == -2);
	CHECK(strstr(err, "more than the limit") != NULL);
	jbuf_free(&b);

	/* A huge array elsewhere in an event is just skipped over. */
	jbuf_init(&b);
	jbuf_puts(&b, "{\"data\":{\"events\":[{\"big\":[");
	for (int i = 0; i < 200000; i++)
		jbuf_puts(&b, i ? ",0" : "0");
	jbuf_puts(&b, "],\"uuid\":\"after\",\"eventType\":\"t\"}]}}");
	CHECK(okta_delivery_parse(b.p, b.n, 1000, &d, err, sizeof(err)) == 0);
	CHECK(d.n == 1 && strcmp(d.ev[0].uuid, "after") == 0);
	okta_delivery_free(&d);
	jbuf_free(&b);
}

/* An envelope with eventId e around events (the JSON text of the events array's members). */
static int parse_events(const char *events, struct okta_delivery *d, char *err, size_t errlen)
{
	char body[4096];
	snprintf(body, sizeof(body), "{\"eventId\":\"e\",\"data\":{\"events\":[%s]}}", events);
	return parse(body, d, err, errlen);
}

/* Refused with 400: the parse fails and err contains want. */
static void refused(const char *events, const char *want)
{
	struct okta_delivery d;
	char err[256] = "";
	int rc = parse_events(events, &d, err, sizeof(err));
	CHECK(rc == -1);
	if (rc != -1 || !strstr(err, want))
		fprintf(stderr, "  for %s: rc %d, err \"%s\", want \"%s\"\n", events, rc, err, want);
	if (rc == 0)
		okta_delivery_free(&d);
}

static void test_nul_is_refused(void)
{
	/* Distinct uuids that a C string would cut to one ("X"): refused, never collapsed into one event. */
	refused("{\"uuid\":\"X\\u0000one\",\"eventType\":\"t\"},{\"uuid\":\"X\\u0000two\",\"eventType\":\"t\"}",
		"data.events[0].uuid contains U+0000 (NUL)");
	refused("{\"uuid\":\"u1\",\"eventType\":\"user.lifecycle.create\",\"target\":[{\"type\":\"User\",\"id\":\"00u1\","
		"\"alternateId\":\"ceo@example.com\\u0000@evil.example\"}]}",
		"data.events[0].target(User).alternateId contains U+0000 (NUL)");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\\u0000x\"}", "data.events[0].eventType contains U+0000");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"actor\":{\"id\":\"a\\u0000\"}}",
		"data.events[0].actor.id contains U+0000");
}

static void test_key_with_nul_is_another_key(void)
{
	struct okta_delivery d;
	char err[256] = "";
	/* "uuid\u0000" does not take the place of uuid. */
	CHECK(parse_events("{\"uuid\\u0000\":\"fake\",\"uuid\":\"real\",\"eventType\":\"t\"},"
			   "{\"uuid\\u0000\":\"fake2\",\"eventType\":\"t\"}",
			   &d, err, sizeof(err)) == 0);
	CHECK(d.n == 2);
	if (d.n == 2) {
		CHECK_STR(d.ev[0].dedupe_key, "real");
		CHECK_STR(d.ev[1].dedupe_key, "~e#1");
		CHECK(d.ev[1].uuid == NULL);
	}
	okta_delivery_free(&d);
}

static void test_not_text_is_refused(void)
{
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"target\":[{\"type\":\"User\",\"alternateId\":\"a\\ud800@x\"}]}",
		"alternateId contains a lone UTF-16 surrogate");
	refused("{\"uuid\":\"\\udc00\",\"eventType\":\"t\"}", "data.events[0].uuid contains a lone UTF-16 surrogate");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"outcome\":{\"reason\":\"\\ud83dx\"}}",
		"data.events[0].outcome.reason contains a lone UTF-16 surrogate");
	/* Bytes that are not UTF-8, and raw control bytes, anywhere in the body. */
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"target\":[{\"type\":\"User\",\"displayName\":\"Ann\xff\"}]}",
		"invalid UTF-8");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"target\":[{\"type\":\"User\",\"alternateId\":\"a\x1b[2J\"}]}",
		"control character");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"published\":\"\xc0\xaf\"}", "invalid UTF-8");
	refused("{\"uuid\":7,\"eventType\":\"t\"}", "data.events[0].uuid is not a string");
	refused("{\"uuid\":\"u1\",\"eventType\":\"t\",\"actor\":\"00u1\"}", "data.events[0].actor is not an object");
}

static void test_duplicates_are_refused(void)
{
	refused("{\"uuid\":\"a\",\"uuid\":\"b\",\"eventType\":\"t\"}", "data.events[0].uuid appears twice");
	refused("{\"uuid\":\"a\",\"u\\u0075id\":\"b\",\"eventType\":\"t\"}", "data.events[0].uuid appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"eventType\":\"u\"}", "data.events[0].eventType appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"target\":[{\"type\":\"User\",\"alternateId\":\"x\",\"alternateId\":\"y\"}]}",
		"data.events[0].target(User).alternateId appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"target\":[{\"type\":\"AppInstance\",\"type\":\"User\"}]}",
		"data.events[0].target[0].type appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"target\":[],\"target\":[]}",
		"data.events[0].target appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"actor\":{\"id\":\"1\",\"id\":\"2\"}}",
		"data.events[0].actor.id appears twice");
	refused("{\"uuid\":\"a\",\"eventType\":\"t\",\"outcome\":{},\"outcome\":{}}",
		"data.events[0].outcome appears twice");
	struct okta_delivery d;
	char err[256] = "";
	CHECK(parse("{\"eventId\":\"e\",\"eventId\":\"f\",\"data\":{\"events\":[]}}", &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "eventId appears twice") != NULL);
	CHECK(parse("{\"data\":{\"events\":[]},\"data\":{\"events\":[]}}", &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "data appears twice") != NULL);
	CHECK(parse("{\"data\":{\"events\":[],\"events\":[]}}", &d, err, sizeof(err)) == -1);
	CHECK(strstr(err, "data.events appears twice") != NULL);
	/* Fields hookd does not read may repeat. */
	CHECK(parse_events("{\"uuid\":\"a\",\"eventType\":\"t\",\"debugContext\":1,\"debugContext\":2}", &d, err,
			   sizeof(err)) == 0);
	okta_delivery_free(&d);
}

static void test_generated_keys_have_their_own_space(void)
{
	struct okta_delivery d;
	char err[256] = "";
	/* Delivery E: an explicit uuid "E#0" and the first event without uuid must not share a key. */
	CHECK(parse("{\"eventId\":\"E\",\"data\":{\"events\":[{\"eventType\":\"t\"},{\"uuid\":\"E#0\",\"eventType\":\"t\"}]}}",
		    &d, err, sizeof(err)) == 0);
	CHECK(d.n == 2 && strcmp(d.ev[0].dedupe_key, d.ev[1].dedupe_key) != 0);
	if (d.n == 2) {
		CHECK_STR(d.ev[0].dedupe_key, "~E#0");
		CHECK_STR(d.ev[1].dedupe_key, "E#0");
	}
	okta_delivery_free(&d);
	/* No uuid may enter the generated space. */
	refused("{\"uuid\":\"~e#0\",\"eventType\":\"t\"}", "data.events[0].uuid starts with '~'");
	/* The eventId is never cut: two long eventIds that differ at the end give two keys. */
	char body[1200], key0[600];
	char long_id[520];
	memset(long_id, 'a', sizeof(long_id) - 1);
	long_id[sizeof(long_id) - 1] = '\0';
	snprintf(body, sizeof(body), "{\"eventId\":\"%s1\",\"data\":{\"events\":[{\"eventType\":\"t\"}]}}", long_id);
	CHECK(parse(body, &d, err, sizeof(err)) == 0);
	snprintf(key0, sizeof(key0), "%s", d.n == 1 ? d.ev[0].dedupe_key : "");
	okta_delivery_free(&d);
	snprintf(body, sizeof(body), "{\"eventId\":\"%s2\",\"data\":{\"events\":[{\"eventType\":\"t\"}]}}", long_id);
	CHECK(parse(body, &d, err, sizeof(err)) == 0);
	CHECK(d.n == 1 && strcmp(key0, d.ev[0].dedupe_key) != 0 && strlen(key0) == strlen(long_id) + 4);
	okta_delivery_free(&d);
}

int main(void)
{
	test_docs_sample();
	test_multi_event_and_target();
	test_origin();
	test_escapes();
	test_missing_fields();
	test_deep_nesting();
	test_huge_arrays();
	test_nul_is_refused();
	test_key_with_nul_is_another_key();
	test_not_text_is_refused();
	test_duplicates_are_refused();
	test_generated_keys_have_their_own_space();
	return check_report("okta_delivery");
}
