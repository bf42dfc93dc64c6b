/* test_sig.c: known-answer and negative tests of every signature scheme in hooks/sig*.c. */
#include "check.h"
#include "hooks/sig.h"

#include <string.h>

/* Standard Webhooks libraries' published vector (each library's test "sign function works"). */
#define STD_SECRET "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
#define STD_ID "msg_p5jXN8AQM9LWM0D4loKWxJek"
#define STD_TS "1614265330"
#define STD_T 1614265330
#define STD_BODY "{\"test\": 2432232314}"
#define STD_SIG "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="
/* The same key and id over an empty body:
 * printf 'msg_p5jXN8AQM9LWM0D4loKWxJek.1614265330.' | openssl dgst -sha256 -mac HMAC \
 *   -macopt hexkey:31f290f6bf06298aab4f08d43c3f082cf648a362da2da4b0 -binary | openssl base64 -A */
#define STD_SIG_EMPTY "v1,v48jdbgvh29KJz2Qc+ghw8G6vG3nAKnujWBg8oM/62A="

/* GitHub docs, "Validating webhook deliveries" / "Testing the webhook payload validation". */
#define GH_SECRET "It's a Secret to Everybody"
#define GH_BODY "Hello, World!"
#define GH_SIG "sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17"

static char reason[256];

static unsigned char std_key[SIG_MAX_KEY], wrong_key[SIG_MAX_KEY];
static struct sig_keys std_keys, wrong_keys, rotated_keys;

static void setup_keys(void)
{
	int n = sig_standard_key(STD_SECRET, std_key);
	int w = sig_standard_key("whsec_c2VjcmV0LXRoYXQtaXMtd3Jvbmc=", wrong_key);
	CHECK(n == 24);
	CHECK(w > 0);
	std_keys = (struct sig_keys){ { { (const char *)std_key, (size_t)n } }, 1 };
	wrong_keys = (struct sig_keys){ { { (const char *)wrong_key, (size_t)w } }, 1 };
	rotated_keys =
		(struct sig_keys){ { { (const char *)wrong_key, (size_t)w }, { (const char *)std_key, (size_t)n } },
				   2 };
}

static int std_verify(const struct sig_keys *k, const char *id, const char *ts, const char *sig, const char *body,
		      int64_t now)
{
	struct sig_standard in = { k,
				   { "webhook-id", id },
				   { "webhook-timestamp", ts },
				   { "webhook-signature", sig },
				   slice_cstr(body),
				   now,
				   300 };
	reason[0] = '\0';
	return sig_verify_standard(&in, reason, sizeof(reason));
}

static void test_standard_known_answer(void)
{
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T) == 0);
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG_EMPTY, "", STD_T) == 0);
	/* The key works with and without whsec_ and padding. */
	unsigned char a[SIG_MAX_KEY], b[SIG_MAX_KEY], c[SIG_MAX_KEY];
	CHECK(sig_standard_key("MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", a) == 24 && memcmp(a, std_key, 24) == 0);
	CHECK(sig_standard_key("whsec_dGVzdA==", b) == 4 && memcmp(b, "test", 4) == 0);
	CHECK(sig_standard_key("dGVzdA", c) == 4 && memcmp(c, "test", 4) == 0);
	CHECK(sig_standard_key("whsec_", a) == -1);
	CHECK(sig_standard_key("whsec_not base64!", a) == -1);
}

static void test_standard_missing_headers(void)
{
	CHECK(std_verify(&std_keys, NULL, STD_TS, STD_SIG, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "missing webhook-id header");
	CHECK(std_verify(&std_keys, STD_ID, NULL, STD_SIG, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "missing webhook-timestamp header");
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, NULL, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "missing webhook-signature header");
	CHECK(std_verify(&std_keys, "", STD_TS, STD_SIG, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "missing webhook-id header");
}

static void test_standard_timestamps(void)
{
	CHECK(std_verify(&std_keys, STD_ID, "hello", STD_SIG, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "webhook-timestamp header is not a unix timestamp");
	CHECK(std_verify(&std_keys, STD_ID, "-1614265330", STD_SIG, STD_BODY, STD_T) < 0);
	CHECK(std_verify(&std_keys, STD_ID, "1614265330.5", STD_SIG, STD_BODY, STD_T) < 0);
	/* Too old and too new, by one second past the 5 minute tolerance; the edges pass. */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T + 301) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T - 301) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T + 300) == 0);
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T - 300) == 0);
}

static void test_standard_bad_signatures(void)
{
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,dawfeoifkpqwoekfpqoekf", STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "no signature matched");
	/* One bit off (the Python suite's invalid signature). */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OA=", STD_BODY,
			 STD_T) < 0);
	/* Truncated: the first 8 characters, and a bare "v1,". */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,g0hM9", STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "no signature matched");
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,", STD_BODY, STD_T) < 0);
	/* Without its version, or only under another version: no v1 entry at all. */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", STD_BODY, STD_T) <
	      0);
	CHECK_STR(reason, "no v1 signature in webhook-signature header");
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", STD_BODY,
			 STD_T) < 0);
	/* Invalid base64 fails; the valid one without its padding passes (signatures compare as bytes). */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,!!!!", STD_BODY, STD_T) < 0);
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE", STD_BODY,
			 STD_T) == 0);
	/* Changed body, id or timestamp. */
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, "{\"test\": 2432232315}", STD_T) < 0);
	CHECK(std_verify(&std_keys, "msg_p5jXN8AQM9LWM0D4loKWxJeK", STD_TS, STD_SIG, STD_BODY, STD_T) < 0);
	CHECK(std_verify(&std_keys, STD_ID, "1614265331", STD_SIG, STD_BODY, STD_T) < 0);
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, STD_SIG, "", STD_T) < 0);
	/* The reason never shows the expected signature. */
	CHECK(strstr(reason, "g0hM9") == NULL);
}

static void test_standard_multi_and_rotation(void)
{
	const char *multi =
		"v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= " STD_SIG
		" v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc=";
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, multi, STD_BODY, STD_T) == 0);
	CHECK(std_verify(&std_keys, STD_ID, STD_TS, "  " STD_SIG "  ", STD_BODY, STD_T) == 0);
	/* The valid value under v2 does not count. */
	CHECK(std_verify(
		      &std_keys, STD_ID, STD_TS,
		      "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=",
		      STD_BODY, STD_T) < 0);
	CHECK(std_verify(&wrong_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T) < 0);
	CHECK_STR(reason, "no signature matched");
	CHECK(std_verify(&rotated_keys, STD_ID, STD_TS, STD_SIG, STD_BODY, STD_T) == 0);
}

static struct sig_keys raw_keys(const char *a, const char *b)
{
	struct sig_keys k = { { slice_cstr(a), slice_cstr(b) }, b ? 2 : 1 };
	return k;
}

static int hmac_verify(struct sig_hmac in)
{
	reason[0] = '\0';
	if (!in.signature.name)
		in.signature.name = "X-Signature";
	if (!in.tolerance_s)
		in.tolerance_s = 300;
	return sig_verify_hmac(&in, reason, sizeof(reason));
}

static void test_hmac_github(void)
{
	struct sig_keys k = raw_keys(GH_SECRET, NULL), wrong = raw_keys("It's a Secret to Everybody!", NULL);
	struct sig_hmac in = { .keys = &k,
			       .alg = SIG_SHA256,
			       .enc = SIG_HEX,
			       .prefix = "sha256=",
			       .tmpl = "{body}",
			       .signature = { "X-Hub-Signature-256", GH_SIG },
			       .body = SLICE_LIT(GH_BODY) };
	CHECK(hmac_verify(in) == 0);
	in.tmpl = NULL; /* NULL template means {body} */
	CHECK(hmac_verify(in) == 0);
	in.signature.value = "SHA256=757107EA0EB2509FC211221CCE984B8A37570B6D7586C22C46F4379C8B043E17";
	CHECK(hmac_verify(in) == 0);
	in.signature.value = "757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "X-Hub-Signature-256 header lacks the prefix sha256=");
	in.signature.value = "sha256=757107ea0eb2509f";
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "X-Hub-Signature-256 header has the wrong length for SHA-256");
	in.signature.value = "sha256=zz7107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17";
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "X-Hub-Signature-256 header is not hex");
	in.signature.value = GH_SIG;
	in.body = SLICE_LIT("Hello, World?");
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "no signature matched");
	CHECK(strstr(reason, "757107") == NULL);
	in.body = SLICE_LIT(GH_BODY);
	in.keys = &wrong;
	CHECK(hmac_verify(in) < 0);
	struct sig_keys rot = raw_keys("old secret", GH_SECRET);
	in.keys = &rot;
	CHECK(hmac_verify(in) == 0);
	in.signature.value = NULL;
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "missing X-Hub-Signature-256 header");
}

/*
 * BambooHR-style: hex HMAC-SHA256 of body + timestamp, no separator.
 * printf '%s%s' '{"employees":[{"id":"123"}]}' 1700000000 | openssl dgst -sha256 -hmac 'bamboo-secret'
 */
#define BAMBOO_BODY "{\"employees\":[{\"id\":\"123\"}]}"
#define BAMBOO_SIG "4a3f29a856370e387dc272199a08ef8fade35897951d22a2807b899ce085e064"

static void test_hmac_bamboohr(void)
{
	struct sig_keys k = raw_keys("bamboo-secret", NULL);
	struct sig_hmac in = { .keys = &k,
			       .alg = SIG_SHA256,
			       .enc = SIG_HEX,
			       .tmpl = "{body}{timestamp}",
			       .signature = { "X-BambooHR-Signature", BAMBOO_SIG },
			       .timestamp = { "X-BambooHR-Timestamp", "1700000000" },
			       .body = SLICE_LIT(BAMBOO_BODY),
			       .now_s = 1700000100 };
	CHECK(hmac_verify(in) == 0);
	in.now_s = 1700000000 + 301;
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	in.now_s = 1700000000 - 301;
	CHECK(hmac_verify(in) < 0);
	in.now_s = 1700000100;
	in.timestamp.value = "1700000001"; /* inside the window but not what was signed */
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "no signature matched");
	in.timestamp.value = NULL;
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "missing X-BambooHR-Timestamp header");
	in.timestamp.value = "yesterday";
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "X-BambooHR-Timestamp header is not a timestamp");
}

static void test_hmac_other_vendors(void)
{
	/* Merge-style, base64url: printf '%s' "$M" | openssl dgst -sha256 -hmac 'merge-key' -binary | openssl base64 -A | tr '+/' '-_'
	 * with M='{"hook":{"event":"Employee.created"},"data":{"id":"e1"}}' */
	struct sig_keys merge = raw_keys("merge-key", NULL);
	struct sig_hmac in = {
		.keys = &merge,
		.alg = SIG_SHA256,
		.enc = SIG_BASE64URL,
		.signature = { "X-Merge-Webhook-Signature", "N_Eo0y4d30J3Y75lgphJd0M-lxdGq79_Bku51YZ9f0w=" },
		.body = SLICE_LIT("{\"hook\":{\"event\":\"Employee.created\"},\"data\":{\"id\":\"e1\"}}")
	};
	CHECK(hmac_verify(in) == 0);
	in.signature.value = "N_Eo0y4d30J3Y75lgphJd0M-lxdGq79_Bku51YZ9f0w";
	CHECK(hmac_verify(in) == 0);
	in.signature.value = "N/Eo0y4d30J3Y75lgphJd0M+lxdGq79/Bku51YZ9f0w=";
	CHECK(hmac_verify(in) < 0);
	CHECK_STR(reason, "X-Merge-Webhook-Signature header is not base64url");

	/* HiBob-style, SHA-512 base64:
	 * printf '%s' '{"type":"employee.joined","employee":{"id":"3"}}' | openssl dgst -sha512 -hmac 'bob-secret' -binary | openssl base64 -A */
	struct sig_keys bob = raw_keys("bob-secret", NULL);
	struct sig_hmac hb = {
		.keys = &bob,
		.alg = SIG_SHA512,
		.enc = SIG_BASE64,
		.signature = { "Bob-Signature",
			       "CL8gvJIwaOSZThuGombJDhfiizRM5oLrgWzMalT0l/dA2vdxye64k9uuBavEXi+nD0aLknZcQD0tT1DcWrU2Ng==" },
		.body = SLICE_LIT("{\"type\":\"employee.joined\",\"employee\":{\"id\":\"3\"}}")
	};
	CHECK(hmac_verify(hb) == 0);
	hb.alg = SIG_SHA256;
	CHECK(hmac_verify(hb) < 0);
	CHECK_STR(reason, "Bob-Signature header has the wrong length for SHA-256");

	/* Deel-style, "POST" + body:
	 * printf 'POST%s' '{"data":{"meta":{"event_type":"contract.created"}}}' | openssl dgst -sha256 -hmac 'deel-secret' */
	struct sig_keys deel = raw_keys("deel-secret", NULL);
	struct sig_hmac dl = { .keys = &deel,
			       .alg = SIG_SHA256,
			       .enc = SIG_HEX,
			       .tmpl = "{method}{body}",
			       .method = "POST",
			       .signature = { "x-deel-signature",
					      "e9225426226c810bcfe9b87933b033f60db798b68cd0b5fab34a63a79dbdd4d7" },
			       .body = SLICE_LIT("{\"data\":{\"meta\":{\"event_type\":\"contract.created\"}}}") };
	CHECK(hmac_verify(dl) == 0);
	dl.method = "PUT";
	CHECK(hmac_verify(dl) < 0);
	dl.method = "POST";
	dl.tmpl = "POST{body}";
	CHECK(hmac_verify(dl) == 0);
}

static void test_template_check(void)
{
	char err[128];
	CHECK(sig_template_check("{body}", 0, 0, err, sizeof(err)) == 0);
	CHECK(sig_template_check("{id}.{timestamp}.{body}", 1, 1, err, sizeof(err)) == 0);
	CHECK(sig_template_check("{body}{timestamp}", 0, 0, err, sizeof(err)) < 0);
	CHECK_STR(err, "{timestamp} needs timestamp_header");
	CHECK(sig_template_check("{id}{body}", 1, 0, err, sizeof(err)) < 0);
	CHECK_STR(err, "{id} needs id_header");
	CHECK(sig_template_check("{bodyy}", 1, 1, err, sizeof(err)) < 0);
	CHECK_STR(err, "unknown placeholder {bodyy} (use {body} {timestamp} {id} {method})");
	CHECK(sig_template_check("{body", 1, 1, err, sizeof(err)) < 0);
	CHECK(sig_template_check("", 1, 1, err, sizeof(err)) < 0);
}

/*
 * Stripe-style: printf '1700000000.%s' '{"id":"evt_1","type":"employee.created"}' |
 *   openssl dgst -sha256 -hmac 'whsec_test_secret'
 */
#define STRIPE_BODY "{\"id\":\"evt_1\",\"type\":\"employee.created\"}"
#define STRIPE_V1 "e9e382d666aaac6dbc482702e06fbe9f15e3ea467f176235f3e2c6db06471c69"
#define STRIPE_DECOY "0000000000000000000000000000000000000000000000000000000000000000"

static int stripe_verify(const struct sig_keys *k, const char *header, const char *body, int64_t now)
{
	struct sig_stripe in = { k, { "Stripe-Signature", header }, slice_cstr(body), now, 300 };
	reason[0] = '\0';
	return sig_verify_stripe(&in, reason, sizeof(reason));
}

static void test_stripe(void)
{
	struct sig_keys k = raw_keys("whsec_test_secret", NULL), wrong = raw_keys("whsec_other", NULL);
	struct sig_keys rot = raw_keys("whsec_other", "whsec_test_secret");
	const int64_t t = 1700000000;
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_V1, STRIPE_BODY, t) == 0);
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_DECOY ",v1=" STRIPE_V1 ",v0=" STRIPE_DECOY, STRIPE_BODY, t) ==
	      0);
	CHECK(stripe_verify(&k, "v1=" STRIPE_V1 ", t=1700000000", STRIPE_BODY, t) == 0);
	CHECK(stripe_verify(&k, "t=1700000000,v0=" STRIPE_V1, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "no v1 signature in Stripe-Signature header");
	CHECK(stripe_verify(&k, "v1=" STRIPE_V1, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "no timestamp (t=) in Stripe-Signature header");
	CHECK(stripe_verify(&k, "t=17e8,v1=" STRIPE_V1, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "t= in Stripe-Signature header is not a unix timestamp");
	CHECK(stripe_verify(&k, "t=1700000000,t=1700000001,v1=" STRIPE_V1, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "Stripe-Signature header has more than one t=");
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_V1, STRIPE_BODY, t + 301) < 0);
	CHECK_STR(reason, "timestamp outside tolerance");
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_V1, STRIPE_BODY, t - 301) < 0);
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_DECOY, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "no signature matched");
	CHECK(stripe_verify(&k, "t=1700000000,v1=e9e382d666aaac6d", STRIPE_BODY, t) < 0);
	CHECK(stripe_verify(&k, "t=1700000000,v1=", STRIPE_BODY, t) < 0);
	CHECK(stripe_verify(&wrong, "t=1700000000,v1=" STRIPE_V1, STRIPE_BODY, t) < 0);
	CHECK(stripe_verify(&rot, "t=1700000000,v1=" STRIPE_V1, STRIPE_BODY, t) == 0);
	CHECK(stripe_verify(&k, "t=1700000000,v1=" STRIPE_V1, "", t) < 0);
	CHECK(stripe_verify(&k, NULL, STRIPE_BODY, t) < 0);
	CHECK_STR(reason, "missing Stripe-Signature header");
	CHECK(stripe_verify(&k, ",,,", STRIPE_BODY, t) < 0);
}

static void test_header_secret_and_basic(void)
{
	struct sig_keys k = raw_keys("tok-123", "tok-456");
	struct sig_header h = { "Authorization", "Bearer tok-123" };
	CHECK(sig_verify_header_secret(&k, &h, "Bearer ", reason, sizeof(reason)) == 0);
	h.value = "bearer tok-456";
	CHECK(sig_verify_header_secret(&k, &h, "Bearer ", reason, sizeof(reason)) == 0);
	h.value = "Bearer tok-12";
	CHECK(sig_verify_header_secret(&k, &h, "Bearer ", reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "Authorization header does not match the secret");
	h.value = "tok-123";
	CHECK(sig_verify_header_secret(&k, &h, "Bearer ", reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "Authorization header lacks the prefix Bearer ");
	CHECK(sig_verify_header_secret(&k, &h, NULL, reason, sizeof(reason)) == 0);
	h.value = NULL;
	CHECK(sig_verify_header_secret(&k, &h, NULL, reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "missing Authorization header");

	/* printf 'hookd:s3cret' | base64 -> aG9va2Q6czNjcmV0; printf 'hookd:n3xt' | base64 -> aG9va2Q6bjN4dA== */
	struct sig_keys bk = raw_keys("s3cret", "n3xt"), one = raw_keys("s3cret", NULL);
	struct sig_header a = { "Authorization", "Basic aG9va2Q6czNjcmV0" };
	CHECK(sig_verify_basic(&bk, "hookd", &a, reason, sizeof(reason)) == 0);
	a.value = "basic   aG9va2Q6bjN4dA==";
	CHECK(sig_verify_basic(&bk, "hookd", &a, reason, sizeof(reason)) == 0);
	CHECK(sig_verify_basic(&one, "hookd", &a, reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "credentials do not match");
	a.value = "Basic aG9va2Q6czNjcmV0";
	CHECK(sig_verify_basic(&bk, "admin", &a, reason, sizeof(reason)) < 0);
	a.value = "Bearer aG9va2Q6czNjcmV0";
	CHECK(sig_verify_basic(&bk, "hookd", &a, reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "Authorization header is not Basic credentials");
	a.value = "Basic !!!";
	CHECK(sig_verify_basic(&bk, "hookd", &a, reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "Authorization header holds invalid base64");
	a.value = "Basic aG9va2Q="; /* "hookd": no colon */
	CHECK(sig_verify_basic(&bk, "hookd", &a, reason, sizeof(reason)) < 0);
	CHECK_STR(reason, "Authorization credentials lack a ':'");
}

static void test_helpers(void)
{
	unsigned char out[16];
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("QQ=="), out, sizeof(out)) == 1 && out[0] == 'A');
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("QQ"), out, sizeof(out)) == 1 && out[0] == 'A');
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("QUI"), out, sizeof(out)) == 2 && memcmp(out, "AB", 2) == 0);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("QQ="), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("Q==="), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("QQ=A"), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("Q"), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT(" QUJD"), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("-_8="), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64URL, SLICE_LIT("-_8="), out, sizeof(out)) == 2 && out[0] == 0xfb && out[1] == 0xff);
	CHECK(sig_decode(SIG_BASE64URL, SLICE_LIT("+/8="), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_BASE64, SLICE_LIT("AAAAAAAAAAAAAAAAAAAAAAAA"), out, sizeof(out)) == -1); /* 18 > 16 */
	CHECK(sig_decode(SIG_HEX, SLICE_LIT("0aFf"), out, sizeof(out)) == 2 && out[0] == 0x0a && out[1] == 0xff);
	CHECK(sig_decode(SIG_HEX, SLICE_LIT("0aF"), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_HEX, SLICE_LIT("0g"), out, sizeof(out)) == -1);
	CHECK(sig_decode(SIG_HEX, SLICE_LIT(""), out, sizeof(out)) == 0);

	int64_t t;
	CHECK(sig_parse_timestamp("1700000000", &t) == 0 && t == 1700000000);
	CHECK(sig_parse_timestamp("1700000000123", &t) == 0 && t == 1700000000);
	CHECK(sig_parse_timestamp("2023-11-14T22:13:20Z", &t) == 0 && t == 1700000000);
	CHECK(sig_parse_timestamp("2023-11-14T23:13:20+01:00", &t) == 0 && t == 1700000000);
	CHECK(sig_parse_timestamp("2023-11-14T23:13:20+0100", &t) == 0 && t == 1700000000);
	CHECK(sig_parse_timestamp("2023-11-14T23:13:20+01", &t) < 0);
	CHECK(sig_parse_timestamp("soon", &t) < 0);
	CHECK(sig_parse_timestamp("", &t) < 0);
	CHECK(sig_within(100, 400, 300) == 1);
	CHECK(sig_within(100, 401, 300) == 0);
	CHECK(sig_within(INT64_MIN, INT64_MAX, 300) == 0);
	CHECK(sig_within(INT64_MAX, INT64_MIN, 300) == 0);

	char hex[65];
	sig_sha256_hex(SLICE_LIT("Hello, World!"), hex); /* printf 'Hello, World!' | sha256sum */
	CHECK_STR(hex, "dffd6021bb2bd5b0af676290809ec3a53191dd81c7f70a4b28688a362182986f");
	CHECK(sig_secret_eq(SLICE_LIT("abc"), SLICE_LIT("abc")) == 1);
	CHECK(sig_secret_eq(SLICE_LIT("abc"), SLICE_LIT("abcd")) == 0);
	CHECK(sig_secret_eq(SLICE_LIT(""), SLICE_LIT("")) == 1);
}

int main(void)
{
	setup_keys();
	test_standard_known_answer();
	test_standard_missing_headers();
	test_standard_timestamps();
	test_standard_bad_signatures();
	test_standard_multi_and_rotation();
	test_hmac_github();
	test_hmac_bamboohr();
	test_hmac_other_vendors();
	test_template_check();
	test_stripe();
	test_header_secret_and_basic();
	test_helpers();
	return check_report("test_sig");
}
