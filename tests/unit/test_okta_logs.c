/* test_okta_logs.c: Link header scanning, listLogEvents paths and filters, next-link origin checks, the page parser. */
#include "hooks/okta_delivery.h"
#include "okta/link.h"
#include "okta/logs.h"

#include <stdlib.h>
#include <string.h>

#include "check.h"

static int next_of(const char *v, char *out, size_t n)
{
	return okta_link_next(v, strlen(v), out, n);
}

static void test_link(void)
{
	char u[256];
	CHECK(next_of("<https://o.okta.com/api/v1/logs?after=1_2>; rel=\"next\"", u, sizeof(u)) == 1);
	CHECK_STR(u, "https://o.okta.com/api/v1/logs?after=1_2");
	CHECK(next_of("<https://a/self>; rel=\"self\", <https://a/n>; rel=\"next\"", u, sizeof(u)) == 1);
	CHECK_STR(u, "https://a/n");
	CHECK(next_of("<https://a/n>;rel=next", u, sizeof(u)) == 1);
	CHECK_STR(u, "https://a/n");
	CHECK(next_of("<https://a/n>; type=\"x,y\"; REL=\"prev Next\"", u, sizeof(u)) == 1);
	CHECK_STR(u, "https://a/n");
	CHECK(next_of("<https://a/self>; rel=\"self\"", u, sizeof(u)) == 0);
	CHECK(next_of("<https://a/n>; rel=\"nextpage\"", u, sizeof(u)) == 0);
	CHECK(next_of("", u, sizeof(u)) == 0);
	/* malformed */
	CHECK(next_of("https://a/n; rel=next", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n; rel=next", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n>; rel=\"next", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n>; rel", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n>; =next", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n> rel=next", u, sizeof(u)) == -1);
	CHECK(next_of("<>; rel=next", u, sizeof(u)) == -1);
	CHECK(next_of("<https://a/n>; rel=\"next\\", u, sizeof(u)) == -1);
	CHECK(strcmp(u, "") == 0);
	/* too long for out */
	CHECK(next_of("<https://a/much-too-long>; rel=next", u, 8) == -1);
	/* not NUL-terminated: only n bytes are read */
	const char v[] = "<https://a/n>; rel=nextXXXX";
	CHECK(okta_link_next(v, strlen(v) - 4, u, sizeof(u)) == 1);
	CHECK(okta_link_next(v, 5, u, sizeof(u)) == -1);
}

static void test_paths(void)
{
	struct okta_logs_query q = { .since = "2026-12-02T10:00:00.000Z",
				     .until = "2026-12-02T11:00:00.000Z",
				     .filter = "eventType eq \"user.lifecycle.create\"",
				     .limit = 1000 };
	char *p = okta_logs_path(&q);
	CHECK_STR(p, "/api/v1/logs?since=2026-12-02T10%3A00%3A00.000Z&until=2026-12-02T11%3A00%3A00.000Z"
		     "&filter=eventType%20eq%20%22user.lifecycle.create%22&limit=1000&sortOrder=ASCENDING");
	free(p);
	q.until = NULL;
	q.filter = NULL;
	q.limit = 5;
	p = okta_logs_path(&q);
	CHECK_STR(p, "/api/v1/logs?since=2026-12-02T10%3A00%3A00.000Z&limit=5&sortOrder=ASCENDING");
	free(p);
	q.limit = 1001;
	CHECK(okta_logs_path(&q) == NULL);
	q.limit = 0;
	CHECK(okta_logs_path(&q) == NULL);

	const char *types[] = { "user.lifecycle.create", "user.account.update_profile" };
	char *f = okta_logs_type_filter(types, 2);
	CHECK_STR(f, "eventType eq \"user.lifecycle.create\" or eventType eq \"user.account.update_profile\"");
	free(f);
	const char *bad[] = { "user\" or actor.id pr or eventType eq \"x" };
	CHECK(okta_logs_type_filter(bad, 1) == NULL);
	const char *empty[] = { "" };
	CHECK(okta_logs_type_filter(empty, 1) == NULL);
	CHECK(okta_logs_type_filter(types, 0) == NULL);

	const char *org = "https://o.okta.com";
	p = okta_logs_next_path(org, "https://o.okta.com/api/v1/logs?after=1_2&limit=1000");
	CHECK_STR(p, "/api/v1/logs?after=1_2&limit=1000");
	free(p);
	p = okta_logs_next_path("https://o.okta.com/", "https://o.okta.com/api/v1/logs");
	CHECK_STR(p, "/api/v1/logs");
	free(p);
	/* never somewhere else: other host, user info, other port, other path, other scheme */
	CHECK(okta_logs_next_path(org, "https://o.okta.com.evil.example/api/v1/logs?x") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com@evil.example/api/v1/logs") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com:8443/api/v1/logs") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com/api/v1/users?limit=1") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com/api/v1/logsX") == NULL);
	CHECK(okta_logs_next_path(org, "http://o.okta.com/api/v1/logs") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com/api/v1/logs?a=b c") == NULL);
	CHECK(okta_logs_next_path(org, "https://o.okta.com/api/v1/logs?a=b\r\nX: y") == NULL);
}

static const char PAGE[] =
	"[{\"uuid\":\"u-1\",\"published\":\"2026-12-02T10:00:00.000Z\",\"eventType\":\"user.lifecycle.create\","
	"\"actor\":{\"id\":\"00uadmin\",\"type\":\"User\"},\"outcome\":{\"result\":\"SUCCESS\",\"reason\":null},"
	"\"target\":[{\"id\":\"00unew\",\"type\":\"User\",\"alternateId\":\"new@example.com\",\"displayName\":\"New\"}]},"
	"{\"uuid\":\"u-2\",\"published\":\"2026-12-02T10:00:01.000Z\",\"eventType\":\"user.lifecycle.activate\","
	"\"target\":[{\"id\":\"00uapp\",\"type\":\"AppInstance\"},{\"id\":\"00unew\",\"type\":\"User\"}]}]";

static int parse(const char *s, size_t max, struct okta_delivery *d)
{
	char err[256];
	return okta_logpage_parse(s, strlen(s), max, d, err, sizeof(err));
}

static void test_page(void)
{
	struct okta_delivery d;
	CHECK(parse(PAGE, 1000, &d) == 0);
	CHECK(d.n == 2 && d.event_id == NULL);
	if (d.n == 2) {
		CHECK_STR(d.ev[0].dedupe_key, "u-1");
		CHECK_STR(d.ev[0].type, "user.lifecycle.create");
		CHECK_STR(d.ev[0].published, "2026-12-02T10:00:00.000Z");
		CHECK_STR(d.ev[0].actor_id, "00uadmin");
		CHECK_STR(d.ev[0].target_id, "00unew");
		CHECK_STR(d.ev[0].target_login, "new@example.com");
		CHECK(d.ev[0].raw.n > 10 && d.ev[0].raw.p[0] == '{');
		CHECK_STR(d.ev[1].target_id, "00unew"); /* the User target, not the first */
	}
	okta_delivery_free(&d);
	CHECK(parse("[]", 1000, &d) == 0 && d.n == 0);
	okta_delivery_free(&d);
	/* negative: not an array, not JSON, no uuid, no eventType, a non-object, too many */
	CHECK(parse("{\"data\":{\"events\":[]}}", 1000, &d) == -1);
	CHECK(parse("[{\"uuid\":\"x\",", 1000, &d) == -1);
	CHECK(parse("[{\"eventType\":\"user.lifecycle.create\"}]", 1000, &d) == -1);
	CHECK(parse("[{\"uuid\":\"\",\"eventType\":\"user.lifecycle.create\"}]", 1000, &d) == -1);
	CHECK(parse("[{\"uuid\":\"x\"}]", 1000, &d) == -1);
	CHECK(parse("[{\"uuid\":\"x\",\"eventType\":\"\"}]", 1000, &d) == -1);
	CHECK(parse("[1]", 1000, &d) == -1);
	CHECK(parse("[{\"uuid\":\"x\",\"eventType\":7}]", 1000, &d) == -1);
	CHECK(parse(PAGE, 1, &d) == -2);
	CHECK(d.n == 0 && d.ev == NULL);
	CHECK(parse("", 1000, &d) == -1);
}

int main(void)
{
	test_link();
	test_paths();
	test_page();
	return check_report("test_okta_logs");
}
