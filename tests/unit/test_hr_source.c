/* test_hr_source.c: HR sources from config (hooks/hr_source.c): scheme set-up, verification, dedupe keys. */
#include "check.h"
#include "core/config.h"
#include "hooks/hr_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char reason[256], dk[HR_DEDUPE_MAX], err[512];

static struct hr_source *source_from(const char *ini, const char *name)
{
	struct config *c = config_load_string(ini, "test.ini");
	struct hr_source *s = config_error_count(c) == 0 ? hr_source_from_config(c, name) : NULL;
	if (!s)
		fprintf(stderr, "config: %s", config_errors(c));
	config_free(c);
	return s;
}

/* The problems config reports for ini's [source x]. */
static void source_errors(const char *ini, char *out, size_t n)
{
	struct config *c = config_load_string(ini, "test.ini");
	struct hr_source *s = config_error_count(c) == 0 ? hr_source_from_config(c, "x") : NULL;
	snprintf(out, n, "%s", config_errors(c));
	hr_source_free(s);
	config_free(c);
}

static int verify(const struct hr_source *s, const char *body, struct hr_header *h, int64_t now)
{
	struct hr_request req = { "POST", slice_cstr(body), hr_header_list, h };
	reason[0] = dk[0] = '\0';
	return hr_source_verify(s, &req, now, dk, sizeof(dk), reason, sizeof(reason));
}

#define MAP "map.type = /event_type\nmap.employee_id = /employee_id\n"

static void test_standard_source(void)
{
	struct hr_source *s = source_from("[source std]\nscheme = standard-webhooks\n"
					  "secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n" MAP,
					  "std");
	CHECK(s != NULL);
	CHECK_STR(hr_source_name(s), "std");
	CHECK_STR(hr_source_label(s), "hr:std");
	CHECK_STR(hr_source_path(s), "/hooks/hr/std");
	/* The published vector, with header names in other cases than the spec writes them. */
	struct hr_header h[] = { { "Webhook-Id", "msg_p5jXN8AQM9LWM0D4loKWxJek" },
				 { "WEBHOOK-TIMESTAMP", "1614265330" },
				 { "webhook-Signature", "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=" },
				 { NULL, NULL } };
	CHECK(verify(s, "{\"test\": 2432232314}", h, 1614265330) == 0);
	CHECK_STR(dk, "msg_p5jXN8AQM9LWM0D4loKWxJek");
	CHECK(verify(s, "{\"test\": 2432232314}", h, 1614265330 + 301) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	CHECK_STR(dk, "");
	h[2].name = "x-other";
	CHECK(verify(s, "{\"test\": 2432232314}", h, 1614265330) < 0);
	CHECK_STR(reason, "missing webhook-signature header");
	hr_source_free(s);

	/* Rotation: the old secret fails, secret_next carries it; tolerance is configurable. */
	s = source_from("[source std]\nscheme = standard-webhooks\nsecret = whsec_c2VjcmV0LXRoYXQtaXMtd3Jvbmc=\n"
			"secret_next = MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\ntolerance = 10m\n" MAP,
			"std");
	h[2].name = "webhook-signature";
	CHECK(s != NULL && verify(s, "{\"test\": 2432232314}", h, 1614265330 + 599) == 0);
	hr_source_free(s);
}

/*
 * Finch renames the headers. Signature over 'evt_finch_1.1700000000.<body>' with the key above:
 * printf '%s' 'evt_finch_1.1700000000.{"employee_id":"e-42","event_type":"employment.created"}' |
 *   openssl dgst -sha256 -mac HMAC -macopt hexkey:31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0 -binary |
 *   openssl base64 -A
 */
static void test_finch_renamed_headers(void)
{
	struct hr_source *s = source_from("[source finch]\nscheme = standard-webhooks\n"
					  "secret = whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw\n"
					  "id_header = finch-event-id\ntimestamp_header = finch-timestamp\n"
					  "signature_header = finch-signature\n" MAP
					  "type_map.employment.created = employee.created\n",
					  "finch");
	CHECK(s != NULL);
	const char body[] = "{\"employee_id\":\"e-42\",\"event_type\":\"employment.created\"}";
	struct hr_header h[] = { { "Finch-Event-Id", "evt_finch_1" },
				 { "Finch-Timestamp", "1700000000" },
				 { "Finch-Signature", "v1,RYyGUCZhweMOEuaT3eRmtVzJ8vY2dzOSC/MjqCFlABU=" },
				 { NULL, NULL } };
	CHECK(verify(s, body, h, 1700000000) == 0);
	CHECK_STR(dk, "evt_finch_1");
	struct hr_batch *b = NULL;
	CHECK(hr_source_map(s, slice_cstr(body), dk, &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1 && strcmp(ev[0].source, "hr:finch") == 0 && strcmp(ev[0].type, "employee.created") == 0 &&
	      strcmp(ev[0].dedupe_key, "evt_finch_1") == 0 && strcmp(ev[0].subject_id, "e-42") == 0);
	hr_batch_free(b);
	/* The spec's header names no longer count for this source. */
	struct hr_header plain[] = { { "webhook-id", "evt_finch_1" },
				     { "webhook-timestamp", "1700000000" },
				     { "webhook-signature", "v1,RYyGUCZhweMOEuaT3eRmtVzJ8vY2dzOSC/MjqCFlABU=" },
				     { NULL, NULL } };
	CHECK(verify(s, body, plain, 1700000000) < 0);
	CHECK_STR(reason, "missing finch-event-id header");
	hr_source_free(s);
}

static void test_github_style_source(void)
{
	struct hr_source *s = source_from("[source gh]\nscheme = hmac\nsecret = It's a Secret to Everybody\n"
					  "signature_header = X-Hub-Signature-256\nprefix = sha256=\n"
					  "id_header = X-GitHub-Delivery\n" MAP,
					  "gh");
	CHECK(s != NULL);
	struct hr_header h[] = { { "x-hub-signature-256",
				   "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17" },
				 { "x-github-delivery", "72d3162e-cc78-11e3-81ab-4c9367dc0958" },
				 { NULL, NULL } };
	CHECK(verify(s, "Hello, World!", h, 0) == 0);
	CHECK_STR(dk, "72d3162e-cc78-11e3-81ab-4c9367dc0958");
	/* Without a delivery id: the body's SHA-256 (printf 'Hello, World!' | sha256sum). */
	h[1].name = NULL;
	CHECK(verify(s, "Hello, World!", h, 0) == 0);
	CHECK_STR(dk, "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f");
	/* An over-long id is replaced by its SHA-256 (printf 'a%.0s' $(seq 200) | sha256sum). */
	char longid[201];
	memset(longid, 'a', 200);
	longid[200] = '\0';
	h[1] = (struct hr_header){ "X-GitHub-Delivery", longid };
	CHECK(verify(s, "Hello, World!", h, 0) == 0);
	CHECK_STR(dk, "c2a908d98f5df987ade41b5fce213067efbcc21ef2240212a41e54b5e7c28ae5");
	/* An id in hookd's own key space ('~') too (printf '%s' '~rejected:x' | sha256sum). */
	h[1].value = "~rejected:x";
	CHECK(verify(s, "Hello, World!", h, 0) == 0);
	CHECK_STR(dk, "5f3485567b0ba842a337918e118c90b5c6e7bd0bf2678d190160041173cf25ec");
	/* An id with a '#' (an events element's key: printf '%s' 'd-77#0' | sha256sum). */
	h[1].value = "d-77#0";
	CHECK(verify(s, "Hello, World!", h, 0) == 0);
	CHECK_STR(dk, "6b345ebea140b1cbdd2c5961a85dc422d5c2ce64444cacc34a97003660aaf9a7");
	CHECK(verify(s, "Hello, World?", h, 0) < 0);
	CHECK_STR(reason, "no signature matched");
	/* A dedupe key buffer too small is refused. */
	struct hr_request req = { "POST", SLICE_LIT("Hello, World!"), hr_header_list, h };
	char small[16];
	CHECK(hr_source_verify(s, &req, 0, small, sizeof(small), reason, sizeof(reason)) < 0);
	hr_source_free(s);
}

/* printf '%s%s' '{"employees":[{"id":"123"}]}' 1700000000 | openssl dgst -sha256 -hmac 'bamboo-secret' */
static void test_bamboohr_source(void)
{
	struct hr_source *s =
		source_from("[source bamboo]\nscheme = hmac\nsecret = bamboo-secret\n"
			    "signature_header = X-BambooHR-Signature\ntimestamp_header = X-BambooHR-Timestamp\n"
			    "signed = {body}{timestamp}\nevents = /employees\nmap.type = =employee.updated\n"
			    "map.employee_id = /id\n",
			    "bamboo");
	CHECK(s != NULL);
	const char body[] = "{\"employees\":[{\"id\":\"123\"}]}";
	struct hr_header h[] = { { "X-BambooHR-Signature",
				   "4a3f29a856370e387dc272199a08ef8fade35897951d22a2807b899ce085e064" },
				 { "X-BambooHR-Timestamp", "1700000000" },
				 { NULL, NULL } };
	CHECK(verify(s, body, h, 1700000000) == 0);
	/*
	 * No id header: the signed timestamp and the body hash together,
	 * printf '1700000000\n%s' "$(printf '%s' '{"employees":[{"id":"123"}]}' | sha256sum | cut -d' ' -f1)" | sha256sum
	 */
	CHECK_STR(dk, "9efd87215f5a1f100c38caae5755159601a81928e76bcbe7c5f3da8619941b6f");
	struct hr_batch *b = NULL;
	CHECK(hr_source_map(s, slice_cstr(body), dk, &b, err, sizeof(err)) == 0);
	size_t n;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1 &&
	      strcmp(ev[0].dedupe_key, "9efd87215f5a1f100c38caae5755159601a81928e76bcbe7c5f3da8619941b6f#0") == 0);
	/* The same body resent ten minutes later, signed anew: a new delivery, not a duplicate. */
	struct hr_header h2[] = { { "X-BambooHR-Signature",
				    "794c1d04c3799940635d6b6ad2dfafc9577cf5d9182d8d840c2acef9c7d66066" },
				  { "X-BambooHR-Timestamp", "1700000600" },
				  { NULL, NULL } };
	CHECK(verify(s, body, h2, 1700000600) == 0);
	CHECK_STR(dk, "b220e10c744418d29f8a875e449d93364f37dddbe1e37040d00efca3ba95ace4");
	/* The first request replayed as it was: the same key, so the journal acknowledges it once. */
	CHECK(verify(s, body, h, 1700000000) == 0);
	CHECK_STR(dk, "9efd87215f5a1f100c38caae5755159601a81928e76bcbe7c5f3da8619941b6f");
	hr_batch_free(b);
	CHECK(verify(s, body, h, 1700000000 + 3600) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	hr_source_free(s);
}

static void test_stripe_and_shared_secret_sources(void)
{
	struct hr_source *s = source_from("[source st]\nscheme = stripe\nsecret = whsec_test_secret\n" MAP, "st");
	CHECK(s != NULL);
	struct hr_header h[] = { { "stripe-signature",
				   "t=1700000000,v1=e9e382d666aaac6dbc482702e06fbe9f15e3ea467f176235f3e2c6db06471c69" },
				 { NULL, NULL } };
	CHECK(verify(s, "{\"id\":\"evt_1\",\"type\":\"employee.created\"}", h, 1700000000) == 0);
	hr_source_free(s);

	/* header-secret with the secret in a file (one trailing newline dropped). */
	char path[] = "/tmp/hookd-test-secret-XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, "tok-123\n", 8) == 8);
	close(fd);
	char ini[512];
	snprintf(ini, sizeof(ini),
		 "[source rip]\nscheme = header-secret\nsecret_file = %s\nsignature_header = Authorization\n"
		 "prefix = Bearer\nsecret_next = tok-456\nid_header = X-Request-Id\n" MAP,
		 path);
	s = source_from(ini, "rip");
	unlink(path);
	CHECK(s != NULL);
	struct hr_header a[] = { { "authorization", "Bearer tok-123" }, { "x-request-id", "r1" }, { NULL, NULL } };
	CHECK(verify(s, "{}", a, 0) == 0);
	CHECK_STR(dk, "r1");
	a[0].value = "Bearer tok-456";
	CHECK(verify(s, "{}", a, 0) == 0);
	a[0].value = "Bearer tok-789";
	CHECK(verify(s, "{}", a, 0) < 0);
	CHECK_STR(reason, "Authorization header does not match the secret");
	CHECK(strstr(reason, "tok-123") == NULL);
	hr_source_free(s);

	/* Basic (Workday-style outbound subscription); printf 'hookd:s3cret' | base64 */
	s = source_from("[source wd]\nscheme = basic\nusername = hookd\nsecret = s3cret\n" MAP, "wd");
	CHECK(s != NULL);
	struct hr_header ba[] = { { "Authorization", "Basic aG9va2Q6czNjcmV0" }, { NULL, NULL } };
	CHECK(verify(s, "{}", ba, 0) == 0);
	ba[0].value = "Basic aG9va2Q6bjN4dA==";
	CHECK(verify(s, "{}", ba, 0) < 0);
	CHECK_STR(reason, "credentials do not match");
	hr_source_free(s);
}

static void test_config_errors(void)
{
	char e[4096];
	source_errors("[source x]\nsecret = s\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "[source x]: scheme is required") != NULL);
	source_errors("[source x]\nscheme = svix\nsecret = s\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "test.ini:2: [source x] scheme: 'svix' is not standard-webhooks") != NULL);
	source_errors("[source x]\nscheme = hmac\nsignature_header = X-Sig\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "secret (or secret_file) is required") != NULL);
	source_errors("[source x]\nscheme = standard-webhooks\nsecret = whsec_not*base64\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "test.ini:3: [source x] secret: is not a Standard Webhooks key") != NULL);
	CHECK(strstr(e, "not*base64") == NULL);
	source_errors("[source x]\nscheme = standard-webhooks\nsecret = dGVzdA\nalgorithm = sha512\nprefix = v1,\n" MAP,
		      e, sizeof(e));
	CHECK(strstr(e, "[source x] algorithm: does not apply to scheme standard-webhooks") != NULL);
	CHECK(strstr(e, "[source x] prefix: does not apply to scheme standard-webhooks") != NULL);
	source_errors("[source x]\nscheme = hmac\nsecret = s\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "signature_header is required for scheme hmac") != NULL);
	source_errors("[source x]\nscheme = hmac\nsecret = s\nsignature_header = X-S\nsigned = {body}{timestamp}\n" MAP,
		      e, sizeof(e));
	CHECK(strstr(e, "[source x] signed: {timestamp} needs timestamp_header") != NULL);
	source_errors(
		"[source x]\nscheme = hmac\nsecret = s\nsignature_header = X-S\nalgorithm = md5\nencoding = b32\n" MAP,
		e, sizeof(e));
	CHECK(strstr(e, "algorithm: 'md5' is not sha256 or sha512") != NULL);
	CHECK(strstr(e, "encoding: 'b32' is not hex, base64 or base64url") != NULL);
	source_errors("[source x]\nscheme = stripe\nsecret = s\ntolerance = 500ms\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "tolerance: must be at least 1s") != NULL);
	source_errors("[source x]\nscheme = basic\nsecret = s\n" MAP, e, sizeof(e));
	CHECK(strstr(e, "basic needs a username") != NULL);
	/* Scheme and mapping problems are reported together. */
	source_errors("[source x]\nscheme = stripe\n", e, sizeof(e));
	CHECK(strstr(e, "secret (or secret_file) is required") != NULL && strstr(e, "map.type is required") != NULL);
}

static void test_source_set(void)
{
	struct config *c = config_load_string("[source a]\nscheme = stripe\nsecret = s1\n" MAP
					      "[source b]\nscheme = basic\nusername = u\nsecret = s2\n" MAP,
					      "set.ini");
	struct hr_sources *set = hr_sources_from_config(c);
	CHECK(set != NULL && hr_sources_count(set) == 2);
	CHECK(hr_sources_find(set, "b") == hr_sources_at(set, 1));
	CHECK(hr_sources_find(set, "c") == NULL);
	CHECK_STR(hr_source_path(hr_sources_find(set, "a")), "/hooks/hr/a");
	hr_sources_free(set);
	config_free(c);

	c = config_load_string("[source a]\nscheme = stripe\n" MAP "[source b]\nscheme = nope\nsecret = s\n" MAP,
			       "set.ini");
	CHECK(hr_sources_from_config(c) == NULL);
	CHECK(strstr(config_errors(c), "[source a]: secret") != NULL &&
	      strstr(config_errors(c), "[source b] scheme") != NULL);
	config_free(c);

	c = config_load_string("[server]\nthreads = 2\n", "none.ini");
	set = hr_sources_from_config(c);
	CHECK(set != NULL && hr_sources_count(set) == 0);
	hr_sources_free(set);
	config_free(c);
}

int main(void)
{
	test_standard_source();
	test_finch_renamed_headers();
	test_github_style_source();
	test_bamboohr_source();
	test_stripe_and_shared_secret_sources();
	test_config_errors();
	test_source_set();
	return check_report("test_hr_source");
}
