/* test_sim_dpop.c: okta-sim's DPoP validator against hookd's proofs, and every way a proof must be refused. */
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "okta/dpop.h"
#include "okta/jwt.h"
#include "sim/dpop.h"

#define NOW_MS 1767225600000LL
#define NOW_S (NOW_MS / 1000)
#define TOKEN_URL "https://127.0.0.1:8443/oauth2/v1/token"
#define USER_URL "https://127.0.0.1:8443/api/v1/users/ann@example.com"

static struct okta_jwt_key *ec_key, *rsa_key, *other_key;
static int jti_seq;

/* A proof signed by k with the given header members and claims; jwk NULL: k's own. */
static char *proof(const struct okta_jwt_key *k, const char *typ, const char *alg, const char *jwk, const char *htm,
		   const char *htu, long long iat, const char *ath, const char *nonce)
{
	char *own = okta_jwt_key_jwk(k), header[2048], claims[2048], extra[512] = "";
	snprintf(header, sizeof(header), "{\"typ\":\"%s\",\"alg\":\"%s\",\"jwk\":%s}", typ, alg, jwk ? jwk : own);
	size_t n = 0;
	if (ath)
		n += (size_t)snprintf(extra + n, sizeof(extra) - n, ",\"ath\":\"%s\"", ath);
	if (nonce)
		snprintf(extra + n, sizeof(extra) - n, ",\"nonce\":\"%s\"", nonce);
	snprintf(claims, sizeof(claims), "{\"htm\":\"%s\",\"htu\":\"%s\",\"iat\":%lld,\"jti\":\"jti-%d\"%s}", htm, htu,
		 iat, ++jti_seq, extra);
	char err[128];
	char *p = okta_jwt_sign_with_header(k, header, claims, err, sizeof(err));
	free(own);
	return p;
}

static char *ath_of(const char *token)
{
	unsigned char md[32];
	EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(), NULL);
	return okta_base64url(md, sizeof(md));
}

/* Runs dpop_check; checks the verdict and that err contains want (when not NULL). */
static void expect(struct dpop *d, const char *p, const struct dpop_expect *x, long long now_ms, enum dpop_verdict v,
		   const char *want)
{
	struct dpop_proof out;
	char err[400] = "";
	enum dpop_verdict got = dpop_check(d, p, x, now_ms, &out, err, sizeof(err));
	CHECK(got == v);
	if (want)
		CHECK(strstr(err, want) != NULL);
	if (got != v || (want && !strstr(err, want)))
		fprintf(stderr, "  verdict %d, err '%s' (want %d '%s')\n", got, err, v, want ? want : "");
}

/* hookd's own proofs pass, bound to the key hookd reports; the jti cannot be replayed. */
static void test_hookd_proofs(void)
{
	char err[128], nonce[33];
	struct dpop *d = dpop_new(0, DPOP_NONCE_ROTATE_MS);
	struct okta_dpop *c = okta_dpop_new(NULL, NULL, err, sizeof(err));
	dpop_nonce(d, NOW_MS, nonce);
	char *p = okta_dpop_proof_at(c, "POST", TOKEN_URL, NULL, nonce, NOW_S, err, sizeof(err));
	struct dpop_expect tx = { .htm = "POST", .htu = TOKEN_URL, .need_nonce = 1 };
	struct dpop_proof out;
	CHECK(dpop_check(d, p, &tx, NOW_MS, &out, err, sizeof(err)) == DPOP_OK);
	char *tp = okta_dpop_thumbprint(c);
	CHECK_STR(out.jkt, tp);
	CHECK_STR(out.alg, "ES256");
	expect(d, p, &tx, NOW_MS, DPOP_INVALID, "'jti' has already been used");
	/* an API call with a login in the path: hookd proves the decoded path, as Okta compares it */
	char *api = okta_dpop_proof_at(c, "GET", "https://127.0.0.1:8443/api/v1/users/ann%40example.com?expand=x",
				       "tok", NULL, NOW_S, err, sizeof(err));
	struct dpop_expect ax = { .htm = "GET", .htu = USER_URL, .access_token = "tok", .jkt = tp };
	expect(d, api, &ax, NOW_MS, DPOP_OK, NULL);
	free(api);
	/* RS256 proofs from a file key work the same */
	struct okta_dpop *r = okta_dpop_new(NULL, "RS256", err, sizeof(err));
	char *rp = okta_dpop_proof_at(r, "POST", TOKEN_URL, NULL, nonce, NOW_S, err, sizeof(err));
	CHECK(dpop_check(d, rp, &tx, NOW_MS, &out, err, sizeof(err)) == DPOP_OK);
	CHECK_STR(out.alg, "RS256");
	free(rp);
	free(tp);
	free(p);
	okta_dpop_free(r);
	okta_dpop_free(c);
	dpop_free(d);
}

static void test_header_refusals(void)
{
	struct dpop *d = dpop_new(0, DPOP_NONCE_ROTATE_MS);
	struct dpop_expect x = { .htm = "POST", .htu = TOKEN_URL };
	char *p;
	expect(d, NULL, &x, NOW_MS, DPOP_INVALID, "The DPoP proof JWT header is missing.");
	expect(d, "", &x, NOW_MS, DPOP_INVALID, "The DPoP proof JWT header is missing.");
	expect(d, "abc", &x, NOW_MS, DPOP_INVALID, "compact JWS");
	expect(d, "a.b.c.d", &x, NOW_MS, DPOP_INVALID, "compact JWS");
	expect(d, "a*.b.c", &x, NOW_MS, DPOP_INVALID, "base64url");
	expect(d, "e30.e30.", &x, NOW_MS, DPOP_INVALID, "'typ'");
	p = proof(ec_key, "JWT", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'typ' header must be 'dpop+jwt'");
	free(p);
	p = proof(ec_key, "dpop+jwt", "none", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'alg' header must be one of");
	free(p);
	p = proof(ec_key, "dpop+jwt", "HS256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'alg' header must be one of");
	free(p);
	/* alg and key disagree: an EC key cannot make an RS256 proof */
	p = proof(ec_key, "dpop+jwt", "RS256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "signature is invalid");
	free(p);
	p = proof(rsa_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "signature is invalid");
	free(p);
	p = proof(rsa_key, "dpop+jwt", "RS256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_OK, NULL);
	free(p);
	/* signed by one key, claiming another's jwk */
	char *other = okta_jwt_key_jwk(other_key);
	p = proof(ec_key, "dpop+jwt", "ES256", other, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "signature is invalid");
	free(p);
	free(other);
	p = proof(ec_key, "dpop+jwt", "ES256", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AAAA\",\"y\":\"AAAA\"}",
		  "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "not a valid EC or RSA public key");
	free(p);
	/* a point of the right size that is not on the curve */
	p = proof(ec_key, "dpop+jwt", "ES256",
		  "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\","
		  "\"y\":\"AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\"}",
		  "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "not a valid EC or RSA public key");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"A\",\"y\":\"B\",\"d\":\"C\"}",
		  "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "must not contain a private key");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", "\"x\"", "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'jwk' header is missing");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", "{\"kty\":\"oct\",\"k\":\"AAAA\"}", "POST", TOKEN_URL, NOW_S, NULL,
		  NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "not a valid EC or RSA public key");
	free(p);
	/* a tampered payload */
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	char *dot = strchr(p, '.') + 2;
	*dot = *dot == 'A' ? 'B' : 'A';
	expect(d, p, &x, NOW_MS, DPOP_INVALID, NULL);
	free(p);
	dpop_free(d);
}

static void test_claim_refusals(void)
{
	struct dpop *d = dpop_new(0, DPOP_NONCE_ROTATE_MS);
	struct dpop_expect x = { .htm = "POST", .htu = TOKEN_URL };
	char *p;
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'htm' claim does not match");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", "https://127.0.0.1:8443/oauth2/v1/token2", NOW_S, NULL,
		  NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'htu' claim does not match");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", "https://127.0.0.1:8443/oauth2/v1/tok", NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "'htu' claim does not match");
	free(p);
	/* query and fragment of htu are ignored (RFC 9449 section 4.3, step 9) */
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL "?a=b#c", NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_OK, NULL);
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S - DPOP_IAT_PAST_S - 1, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "too far in the past: check the client's clock");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S + DPOP_IAT_FUTURE_S + 1, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_INVALID, "in the future");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S - DPOP_IAT_PAST_S + 5, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_OK, NULL);
	free(p);
	/* API calls: a login in the path proven as sent (percent-encoded) is refused, as Okta does */
	char *ath = ath_of("tok"), *jkt = okta_jwt_key_thumbprint(ec_key);
	struct dpop_expect ax = { .htm = "GET", .htu = USER_URL, .access_token = "tok", .jkt = jkt };
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", "https://127.0.0.1:8443/api/v1/users/ann%40example.com",
		  NOW_S, ath, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_INVALID, "'htu' claim does not match");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", USER_URL, NOW_S, NULL, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_INVALID, "must have an 'ath' claim");
	free(p);
	char *wrong = ath_of("tok2");
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", USER_URL, NOW_S, wrong, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_INVALID, "'ath' claim does not match the access token");
	free(p);
	free(wrong);
	/* the token is bound to ec_key: a valid proof by another key is refused */
	p = proof(other_key, "dpop+jwt", "ES256", NULL, "GET", USER_URL, NOW_S, ath, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_INVALID, "not signed by the key the access token is bound to");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", USER_URL, NOW_S, ath, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_OK, NULL);
	free(p);
	free(ath), free(jkt);
	dpop_free(d);
}

static void test_nonces(void)
{
	struct dpop *d = dpop_new(1, DPOP_NONCE_ROTATE_MS);
	char n1[33], n2[33], n3[33];
	struct dpop_expect x = { .htm = "POST", .htu = TOKEN_URL, .need_nonce = 1 };
	char *p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	expect(d, p, &x, NOW_MS, DPOP_USE_NONCE, "Authorization server requires nonce in DPoP proof.");
	free(p);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, "made-up");
	expect(d, p, &x, NOW_MS, DPOP_USE_NONCE, NULL);
	free(p);
	dpop_nonce(d, NOW_MS, n1);
	dpop_nonce(d, NOW_MS + 1000, n2);
	CHECK(strlen(n1) == 32 && strcmp(n1, n2) == 0);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, n1);
	expect(d, p, &x, NOW_MS, DPOP_OK, NULL);
	free(p);
	/* rotated after 24 h; the old one is still accepted for three days from its issue */
	long long later = NOW_MS + DPOP_NONCE_ROTATE_MS;
	dpop_nonce(d, later, n3);
	CHECK(strcmp(n1, n3) != 0);
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, later / 1000, NULL, n1);
	expect(d, p, &x, later, DPOP_OK, NULL);
	free(p);
	long long gone = NOW_MS + 3 * DPOP_NONCE_ROTATE_MS;
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, gone / 1000, NULL, n1);
	expect(d, p, &x, gone, DPOP_USE_NONCE, NULL);
	free(p);
	/* the resource server's wording, when an API call lacks the nonce */
	char *ath = ath_of("t"), *jkt = okta_jwt_key_thumbprint(ec_key);
	struct dpop_expect ax = { .htm = "GET", .htu = USER_URL, .access_token = "t", .jkt = jkt, .need_nonce = 1 };
	p = proof(ec_key, "dpop+jwt", "ES256", NULL, "GET", USER_URL, NOW_S, ath, NULL);
	expect(d, p, &ax, NOW_MS, DPOP_USE_NONCE, "Resource server requires nonce in DPoP proof.");
	free(p);
	CHECK(dpop_api_nonce(d) == 1);
	free(ath), free(jkt);
	dpop_free(d);
}

/* rotate_ms 0: every nonce is stale as soon as it is issued. */
static void test_stale_nonces(void)
{
	struct dpop *d = dpop_new(0, 0);
	char n1[33], n2[33];
	struct dpop_expect x = { .htm = "POST", .htu = TOKEN_URL, .need_nonce = 1 };
	dpop_nonce(d, NOW_MS, n1);
	dpop_nonce(d, NOW_MS, n2);
	CHECK(strcmp(n1, n2) != 0);
	char *p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, n2);
	expect(d, p, &x, NOW_MS, DPOP_USE_NONCE, NULL);
	free(p);
	dpop_free(d);
}

/* dpop_parse reads only the bytes it is given. */
static void test_parse_bounds(void)
{
	struct dpop_proof out;
	char err[200];
	char *p = proof(ec_key, "dpop+jwt", "ES256", NULL, "POST", TOKEN_URL, NOW_S, NULL, NULL);
	size_t n = strlen(p);
	char *copy = malloc(n);
	memcpy(copy, p, n); /* no NUL */
	CHECK(dpop_parse(copy, n, &out, err, sizeof(err)) == 0);
	CHECK_STR(out.htm, "POST");
	CHECK(dpop_parse(copy, n - 1, &out, err, sizeof(err)) < 0);
	CHECK(dpop_parse(copy, 0, &out, err, sizeof(err)) < 0);
	free(copy), free(p);
}

int main(void)
{
	char err[128];
	ec_key = okta_jwt_key_generate("ES256", err, sizeof(err));
	rsa_key = okta_jwt_key_generate("RS256", err, sizeof(err));
	other_key = okta_jwt_key_generate("ES256", err, sizeof(err));
	test_hookd_proofs();
	test_header_refusals();
	test_claim_refusals();
	test_nonces();
	test_stale_nonces();
	test_parse_bounds();
	okta_jwt_key_free(ec_key), okta_jwt_key_free(rsa_key), okta_jwt_key_free(other_key);
	return check_report("test_sim_dpop");
}
