/* test_sim_schema.c: okta-sim's user schema: attribute checks against base and custom properties, and updates. */
#include "sim/schema.c"

#include "check.h"
#include "core/utf8.h"

/* The few sim and http functions schema.c calls, without a server. */
int64_t sim_now_ms(struct sim *s)
{
	(void)s;
	return 1767225600000LL;
}

void *sim_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		abort();
	return p;
}

char *sim_strdup(const char *s)
{
	char *p = strdup(s);
	if (!p)
		abort();
	return p;
}

static char last_body[65536];

void http_reply_jbuf(struct http_req *r, int status, struct jbuf *b)
{
	r->status = b->err ? 500 : status;
	snprintf(last_body, sizeof(last_body), "%.*s", b->err ? 0 : (int)b->n, b->p);
	jbuf_free(b);
}

static char last_cause[300];

void http_okta_error(struct http_req *r, int status, const char *code, const char *summary, const char *cause)
{
	(void)code;
	(void)summary;
	snprintf(last_cause, sizeof(last_cause), "%s", cause ? cause : "");
	r->status = status;
}

static struct sim sim;

/* POST body to the schema; returns the status. */
static int post(const char *body)
{
	static char dflt[] = "default";
	static struct http_req r;
	static char buf[4096];
	memset(&r, 0, sizeof(r));
	snprintf(buf, sizeof(buf), "%s", body);
	r.sim = &sim;
	r.body = buf;
	r.body_len = strlen(buf);
	r.nseg = 6;
	r.seg[5] = dflt;
	schema_update(&r);
	return r.status;
}

static int ok_attr(const char *key, const char *json)
{
	char cause[300];
	return schema_check_attr(sim.schema, key, json, cause, sizeof(cause)) == 0;
}

static const char *cause_of(const char *key, const char *json)
{
	static char cause[300];
	cause[0] = '\0';
	schema_check_attr(sim.schema, key, json, cause, sizeof(cause));
	return cause;
}

static void test_base(void)
{
	CHECK(ok_attr("firstName", "\"Ada\""));
	/* 50 characters fit, 51 do not */
	CHECK(ok_attr("firstName", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""));
	CHECK_STR(cause_of("firstName", "\"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\""),
		  "firstName: The field cannot exceed 50 characters");
	CHECK(ok_attr("lastName", "\"\\u00e9\""));
	CHECK_STR(cause_of("login", "\"a@b\""), "login: The field must have at least 5 characters");
	CHECK_STR(cause_of("title", "7"), "title: The value must be of type string");
	CHECK_STR(cause_of("title", "{\"a\":1}"), "title: The value must be of type string");
	CHECK(ok_attr("title", "null"));
	CHECK_STR(cause_of("email", "null"), "email: The field cannot be left blank");
	CHECK_STR(cause_of("countryCode", "\"USA\""), "countryCode: The field cannot exceed 2 characters");
	CHECK_STR(cause_of("costCentre", "\"x\""), "Property name 'costCentre' is not defined in profile");
	CHECK(ok_attr("costCenter", "\"x\"")); /* Okta's own base attribute, spelled the American way */
	/* characters, not bytes: 50 two-byte characters fit */
	char v[128] = "\"";
	for (int i = 0; i < 50; i++)
		strcat(v, "\xc3\xa9");
	strcat(v, "\"");
	CHECK(ok_attr("firstName", v));
}

static void test_custom(void)
{
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"costCentre\":{\"title\":\"CC\",\"type\":\"string\","
		   "\"minLength\":2,\"maxLength\":4},\"level\":{\"title\":\"L\",\"type\":\"integer\",\"required\":true},"
		   "\"tags\":{\"title\":\"T\",\"type\":\"array\"},\"ok\":{\"title\":\"O\",\"type\":\"boolean\"}}}}}") ==
	      200);
	CHECK(strstr(last_body, "\"costCentre\":{\"title\":\"CC\"") != NULL);
	CHECK(ok_attr("costCentre", "\"CC1\""));
	CHECK_STR(cause_of("costCentre", "\"C\""), "costCentre: The field must have at least 2 characters");
	CHECK_STR(cause_of("costCentre", "\"CC123\""), "costCentre: The field cannot exceed 4 characters");
	CHECK(ok_attr("level", "3"));
	CHECK(!ok_attr("level", "3.5"));
	CHECK(!ok_attr("level", "\"3\""));
	CHECK_STR(cause_of("level", "null"), "level: The field cannot be left blank");
	CHECK(ok_attr("tags", "[\"a\",\"b\"]"));
	CHECK(!ok_attr("tags", "[1]"));
	CHECK(ok_attr("ok", "true"));
	CHECK(!ok_attr("ok", "\"true\""));
	/* refusals leave the schema as it was */
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"x1\":{\"title\":\"X\",\"type\":\"string\"},"
		   "\"9x\":{\"title\":\"X\",\"type\":\"string\"}}}}}") == 400);
	CHECK_STR(last_cause, "9x: Invalid property name. Property name should only have alphanumeric characters and "
			      "underscores. It should not start with a digit.");
	CHECK(!ok_attr("x1", "\"a\""));
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"email\":{\"title\":\"E\",\"type\":\"string\"}}}}}") ==
	      400);
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"y\":{\"type\":\"string\"}}}}}") == 400);
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"y\":{\"title\":\"Y\",\"type\":\"string\","
		   "\"minLength\":5,\"maxLength\":2}}}}}") == 400);
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":[]}}}") == 400);
	CHECK(post("[]") == 400);
	CHECK(post("{\"definitions\":") == 400);
	/* null removes */
	CHECK(post("{\"definitions\":{\"custom\":{\"properties\":{\"level\":null}}}}") == 200);
	CHECK_STR(cause_of("level", "3"), "Property name 'level' is not defined in profile");
	CHECK(ok_attr("costCentre", "\"CC1\""));
}

/* An unknown attribute's long non-ASCII name is cut whole into the cause, which stays UTF-8 and complete. */
static void test_long_unknown_name(void)
{
	char key[200], cause[200];
	memset(key, 'k', 183);
	memcpy(key + 183, "\xc3\xa9", 3); /* e-acute on bytes 183-184: where a cut to 199 bytes would split it */
	CHECK(schema_check_attr(sim.schema, key, "\"v\"", cause, sizeof(cause)) < 0);
	CHECK(utf8_valid(cause, strlen(cause)));
	CHECK(strncmp(cause, "Property name 'kkkk", 19) == 0);
	size_t n = strlen(cause), tail = strlen("' is not defined in profile");
	CHECK(n > tail && strcmp(cause + n - tail, "' is not defined in profile") == 0);
	memset(key, 0, sizeof(key));
	memset(key, 'k', 150);
	memcpy(key + 150, "\xc3\xa9", 3);
	CHECK(schema_check_attr(sim.schema, key, "\"v\"", cause, sizeof(cause)) < 0);
	CHECK(strstr(cause, "k\xc3\xa9' is not defined in profile") != NULL); /* short enough: whole */
}

static void test_nullable(void)
{
	int n = 0, has_title = 0, has_department = 0;
	for (const char *k; (k = schema_nullable_base(n)); n++) {
		has_title |= strcmp(k, "title") == 0;
		has_department |= strcmp(k, "department") == 0;
	}
	CHECK(n == 26 && has_title && !has_department);
}

int main(void)
{
	pthread_mutex_init(&sim.mu, NULL);
	snprintf(sim.base_url, sizeof(sim.base_url), "https://org.example.com");
	snprintf(sim.user_type_id, sizeof(sim.user_type_id), "oty00000000000000000");
	sim.schema = schema_new();
	test_base();
	test_custom();
	test_nullable();
	test_long_unknown_name();
	schema_free(sim.schema);
	return check_report("test_sim_schema");
}
