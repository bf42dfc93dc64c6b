/* test_okta_error.c: Okta error objects (bodies from the spec and REFERENCE.md), OAuth errors, junk bodies. */
#include <curl/curl.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "okta/error.h"

static void parse(struct okta_error *e, int status, const char *body)
{
	okta_error_from_http(e, status, body, body ? strlen(body) : 0);
}

static void test_spec_bodies(void)
{
	struct okta_error e;
	/* components/examples/ErrorResourceNotFound */
	parse(&e, 404,
	      "{\"errorCode\":\"E0000007\",\"errorSummary\":\"Not found: Resource not found: nobody@example.com (User)\","
	      "\"errorLink\":\"E0000007\",\"errorId\":\"sampleMlLvGUj_YD5v16vkYWY\",\"errorCauses\":[]}");
	CHECK(e.kind == OKTA_ERR_API && e.http_status == 404 && !e.retryable);
	CHECK_STR(e.code, "E0000007");
	CHECK_STR(e.summary, "Not found: Resource not found: nobody@example.com (User)");
	CHECK_STR(e.id, "sampleMlLvGUj_YD5v16vkYWY");
	CHECK_STR(e.cause, "");
	CHECK(okta_error_is_not_found(&e) && !okta_error_is_duplicate_login(&e));

	/* REFERENCE.md: createUser with an existing login */
	parse(&e, 400,
	      "{\"errorCode\":\"E0000001\",\"errorSummary\":\"Api validation failed: login\",\"errorLink\":\"E0000001\","
	      "\"errorId\":\"oaeXYZ\",\"errorCauses\":[{\"errorSummary\":\"login: An object with this field already exists in the current organization\"}]}");
	CHECK_STR(e.code, "E0000001");
	CHECK_STR(e.cause, "login: An object with this field already exists in the current organization");
	CHECK(okta_error_is_duplicate_login(&e) && !okta_error_is_not_found(&e) && !e.retryable);

	/* E0000001 for another field is not a duplicate login */
	parse(&e, 400,
	      "{\"errorCode\":\"E0000001\",\"errorSummary\":\"Api validation failed: email\","
	      "\"errorCauses\":[{\"errorSummary\":\"email: Does not match required pattern\"}]}");
	CHECK(!okta_error_is_duplicate_login(&e));

	/* components/examples/ErrorTooManyRequests */
	parse(&e, 429,
	      "{\"errorCode\":\"E0000047\",\"errorSummary\":\"API call exceeded rate limit due to too many requests.\","
	      "\"errorLink\":\"E0000047\",\"errorId\":\"sampleQPivGUj_ND5v78vbYWW\",\"errorCauses\":[]}");
	CHECK(e.retryable && e.http_status == 429);
	CHECK_STR(e.code, "E0000047");

	/* components/examples/ErrorCreateUserWithTooManyManyGroupsResponse */
	parse(&e, 400,
	      "{\"errorCode\":\"E0000093\",\"errorSummary\":\"Target count limit exceeded\",\"errorLink\":\"E0000093\","
	      "\"errorId\":\"oaePVSLIYnIQsC0B-ptBIllVA\",\"errorCauses\":[{\"errorSummary\":\"The number of group targets is too large\"}]}");
	CHECK_STR(e.cause, "The number of group targets is too large");
	char line[600];
	CHECK_STR(okta_error_format(&e, line, sizeof(line)),
		  "HTTP 400 E0000093: Target count limit exceeded (The number of group targets is too large)");

	/* 401 E0000011 and 403 E0000006 */
	parse(&e, 401,
	      "{\"errorCode\":\"E0000011\",\"errorSummary\":\"Invalid token provided\",\"errorLink\":\"E0000011\",\"errorId\":\"x\",\"errorCauses\":[]}");
	CHECK(okta_error_is_unauthorized(&e) && !e.retryable);
	parse(&e, 403,
	      "{\"errorCode\":\"E0000006\",\"errorSummary\":\"You do not have permission to perform the requested action\",\"errorCauses\":[]}");
	CHECK_STR(e.code, "E0000006");
	CHECK(!e.retryable && !okta_error_is_unauthorized(&e));
	CHECK(!okta_error_is_status_conflict(&e) && !e.rate_limited);

	/* status conflicts: activate on an activated user, reactivate on a STAGED one */
	parse(&e, 403,
	      "{\"errorCode\":\"E0000016\",\"errorSummary\":\"Activation failed because the user is already active\",\"errorCauses\":[]}");
	CHECK(okta_error_is_status_conflict(&e) && !e.retryable);
	parse(&e, 403,
	      "{\"errorCode\":\"E0000038\",\"errorSummary\":\"This operation is not allowed in the user's current status.\",\"errorCauses\":[]}");
	CHECK(okta_error_is_status_conflict(&e));
	parse(&e, 400, "{\"errorCode\":\"E0000038\",\"errorSummary\":\"x\"}");
	CHECK(!okta_error_is_status_conflict(&e));
	parse(&e, 429,
	      "{\"errorCode\":\"E0000047\",\"errorSummary\":\"API call exceeded rate limit due to too many requests.\"}");
	CHECK(e.rate_limited && e.retryable && !okta_error_is_status_conflict(&e));
	parse(&e, 503, "{\"errorCode\":\"E0000009\",\"errorSummary\":\"Internal Server Error\"}");
	CHECK(!e.rate_limited && e.retryable);

	/* escapes are unescaped */
	parse(&e, 400, "{\"errorCode\":\"E0000001\",\"errorSummary\":\"quote \\\" and \\u00e9\"}");
	CHECK_STR(e.summary, "quote \" and \xc3\xa9");
}

static void test_oauth_bodies(void)
{
	struct okta_error e;
	parse(&e, 401,
	      "{\"error\":\"invalid_client\",\"error_description\":\"The client_assertion signature is invalid.\"}");
	CHECK(e.kind == OKTA_ERR_OAUTH && e.http_status == 401);
	CHECK_STR(e.code, "invalid_client");
	CHECK_STR(e.summary, "The client_assertion signature is invalid.");
	parse(&e, 400, "{\"error\":\"invalid_scope\"}");
	CHECK_STR(e.code, "invalid_scope");
	CHECK_STR(e.summary, "HTTP 400");
}

static void test_malformed(void)
{
	struct okta_error e;
	const char *junk[] = { NULL,
			       "",
			       "<html><body>Bad Gateway</body></html>",
			       "{",
			       "[]",
			       "{\"errorCode\":5}",
			       "{\"errorCode\":\"E0000001\"",
			       "null",
			       "\"E0000007\"",
			       "{\"errorCauses\":{}}" };
	for (size_t i = 0; i < sizeof(junk) / sizeof(junk[0]); i++) {
		parse(&e, 502, junk[i]);
		CHECK(e.kind == OKTA_ERR_API && e.http_status == 502 && e.retryable);
		CHECK_STR(e.code, "");
		CHECK_STR(e.summary, "HTTP 502");
	}
	/* errorCauses that is not an array of objects is ignored, the rest kept */
	parse(&e, 400,
	      "{\"errorCode\":\"E0000003\",\"errorSummary\":\"The request body was not well-formed.\",\"errorCauses\":[\"x\"]}");
	CHECK_STR(e.code, "E0000003");
	CHECK_STR(e.cause, "");
	/* over-long fields are truncated, not overflowed */
	char big[2000];
	int n = snprintf(big, sizeof(big), "{\"errorCode\":\"E0000001\",\"errorSummary\":\"");
	memset(big + n, 'a', 1500);
	snprintf(big + n + 1500, sizeof(big) - (size_t)n - 1500, "\"}");
	parse(&e, 400, big);
	CHECK(strlen(e.summary) == sizeof(e.summary) - 1);
	/* a long code is cut to its field */
	parse(&e, 400, "{\"errorCode\":\"E00000010000000000000000000000000000000000000000\"}");
	CHECK(strlen(e.code) == sizeof(e.code) - 1);
}

static void test_transport_and_local(void)
{
	struct okta_error e;
	okta_error_transport(&e, CURLE_COULDNT_CONNECT, "Failed to connect to 127.0.0.1 port 1: Connection refused");
	CHECK(e.kind == OKTA_ERR_TRANSPORT && e.retryable && e.transport == CURLE_COULDNT_CONNECT &&
	      e.http_status == 0);
	okta_error_transport(&e, CURLE_OPERATION_TIMEDOUT, "");
	CHECK(e.retryable && strlen(e.summary) > 0);
	okta_error_transport(&e, CURLE_PEER_FAILED_VERIFICATION, "SSL certificate problem");
	CHECK(!e.retryable);
	char line[600];
	CHECK_STR(okta_error_format(&e, line, sizeof(line)), "transport error: SSL certificate problem");
	okta_error_local(&e, "bad %s", "thing");
	CHECK(e.kind == OKTA_ERR_LOCAL && !e.retryable);
	CHECK_STR(e.summary, "bad thing");
	okta_error_clear(&e);
	CHECK(e.kind == OKTA_ERR_NONE && e.summary[0] == '\0');
}

int main(void)
{
	test_spec_bodies();
	test_oauth_bodies();
	test_malformed();
	test_transport_and_local();
	return check_report("okta_error");
}
