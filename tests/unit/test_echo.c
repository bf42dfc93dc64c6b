/* test_echo.c: hookd's echo identity from config (api_token_id, the removed self_actor_id) and the marks without a journal. */
#include "check.h"

#include "core/config.h"
#include "handlers/echo.h"
#include "store/journal.h"

#include <stdlib.h>
#include <string.h>

static struct echo *from(const char *ini, const char *app, struct config **out)
{
	struct config *c = config_load_string(ini, "e.ini");
	struct echo *e = echo_from_config(c, app);
	*out = c;
	return e;
}

static void test_config(void)
{
	struct config *c;
	struct echo *e = from("", NULL, &c);
	CHECK(e != NULL && config_error_count(c) == 0);
	char how[400];
	echo_describe(e, how, sizeof(how));
	CHECK(strstr(how, "request id") != NULL && strstr(how, "API token") == NULL);
	echo_free(e);
	config_free(c);

	e = from("[okta]\napi_token_id = 00T94e3cn9kSEO3c51s5\n", "0oaAPP", &c);
	CHECK(e != NULL);
	echo_describe(e, how, sizeof(how));
	CHECK(strstr(how, "00T94e3cn9kSEO3c51s5") != NULL && strstr(how, "0oaAPP") != NULL);
	echo_describe(e, how, 10); /* truncated, still a string */
	CHECK(strlen(how) == 9);
	echo_free(e);
	config_free(c);

	/* the removed key is an error that says what replaced it */
	e = from("[okta]\nself_actor_id = 00uADMIN\n", NULL, &c);
	CHECK(e == NULL && strstr(config_errors(c), "self_actor_id") && strstr(config_errors(c), "request id") &&
	      strstr(config_errors(c), "api_token_id"));
	config_free(c);
	/* not a token id: the token itself, an empty one, odd characters */
	const char *bad[] = { "[okta]\napi_token_id = 00abcdefSECRETTOKEN\n", "[okta]\napi_token_id = 00T\n",
			      "[okta]\napi_token_id = 00Tab-cd\n" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		e = from(bad[i], NULL, &c);
		CHECK(e == NULL && strstr(config_errors(c), "not an Okta API token id"));
		config_free(c);
	}
	echo_free(NULL);
}

static void test_marks(void)
{
	struct config *c;
	struct echo *e = from("[okta]\napi_token_id = 00Tmine\n", "0oaAPP", &c);
	struct journal_event ev[] = {
		{ .source = "okta", .api_token_id = "00Tmine", .actor_id = "00uADMIN", .actor_type = "User" },
		{ .source = "okta", .api_token_id = "00Tother", .actor_id = "00uADMIN", .actor_type = "User" },
		{ .source = "okta", .actor_id = "0oaAPP", .actor_type = "PublicClientApp" },
		{ .source = "okta", .actor_id = "0oaAPP" }, /* no actor type: not told as the app */
		{ .source = "hr:x", .api_token_id = "00Tmine" },
		{ .source = "okta", .request_id = "REQ" }, /* the commit looks it up */
		{ .source = "hr:x", .request_id = "REQ" }, /* never an Okta echo */
		{ .source = "okta", .debug_request_id = "DBG" },
		{ .source = "okta", .api_token_id = "00Tmine", .request_id = "REQ" }, /* told already */
	};
	echo_mark(e, ev, 9);
	CHECK(ev[0].echo && strcmp(ev[0].echo, ECHO_API_TOKEN) == 0);
	CHECK(ev[1].echo == NULL);
	CHECK(ev[2].echo && strcmp(ev[2].echo, ECHO_SERVICE_APP) == 0);
	CHECK(ev[3].echo == NULL && ev[4].echo == NULL && ev[5].echo == NULL);
	/* a lookup only for Okta events with a request id that token and app did not tell */
	CHECK(!ev[0].echo_lookup && ev[1].echo_lookup == 0 && !ev[2].echo_lookup && !ev[4].echo_lookup);
	CHECK(ev[5].echo_lookup && !ev[6].echo_lookup && ev[7].echo_lookup && !ev[8].echo_lookup);
	echo_mark(NULL, ev, 9);
	CHECK(ev[0].echo == NULL && ev[2].echo == NULL && ev[5].echo_lookup && !ev[0].echo_lookup);
	CHECK(ev[8].echo == NULL && ev[8].echo_lookup);
	echo_mark(e, NULL, 0);
	echo_free(e);
	config_free(c);
}

int main(void)
{
	test_config();
	test_marks();
	return check_report("test_echo");
}
