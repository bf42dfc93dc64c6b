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
		body = read_file("/work/shared/okta/examples/delivery-docs-sample.json", &n);
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
	/* A lone surrogate is not valid: the field is dropped, and without a uuid the eventId is used. */
	const char *bad = "{\"eventId\":\"e\",\"data\":{\"events\":[{\"uuid\":\"\\ud83d\",\"eventType\":\"t\"}]}}";
	CHECK(parse(bad, &d, err, sizeof(err)) == 0);
	if (d.n == 1)
		CHECK_STR(d.ev[0].dedupe_key, "e#0");
	okta_delivery_free(&d);
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
		{ "{\"data\":{\"events\":[{\"uuid\":\"x\",\"eventType\":7}]}}", "has no eventType" },
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

int main(void)
{
	test_docs_sample();
	test_multi_event_and_target();
	test_escapes();
	test_missing_fields();
	test_deep_nesting();
	test_huge_arrays();
	return check_report("okta_delivery");
}
