/* test_okta_dpop.c: DPoP proofs: header (typ, alg, public jwk), claims, htu decoding, ath, nonces, thumbprints, challenges. */
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/json.h"
#include "okta/dpop.h"
#include "okta/jwt.h"

static char *pem_of(EVP_PKEY *k)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

/* Decodes part idx (0 header, 1 claims) of tok. */
static char *part(const char *tok, int idx)
{
	const char *p = tok;
	for (int i = 0; i < idx; i++)
		p = strchr(p, '.') + 1;
	size_t len;
	return (char *)okta_base64url_decode(p, strcspn(p, "."), &len);
}

/* Verifies the JWS signature with the test's own copy of the public key. */
static int verify(EVP_PKEY *k, const char *tok, int ec)
{
	const char *dot2 = strrchr(tok, '.');
	size_t siglen;
	unsigned char *sig = okta_base64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	unsigned char der[128], *use = sig;
	size_t uselen = siglen;
	if (ec) {
		ECDSA_SIG *s = ECDSA_SIG_new();
		ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		unsigned char *p = der;
		uselen = siglen == 64 ? (size_t)i2d_ECDSA_SIG(s, &p) : 0;
		ECDSA_SIG_free(s);
		use = der;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = uselen && EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
		 EVP_DigestVerify(md, use, uselen, (const unsigned char *)tok, (size_t)(dot2 - tok)) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

static char *member(const char *json, const char *ptr)
{
	struct json j;
	char *v = NULL;
	if (json_parse(&j, json, strlen(json), 0, NULL, 0) == 0)
		v = json_strdup(&j, json_pointer(&j, 0, ptr));
	json_free(&j);
	return v;
}

static int64_t int_member(const char *json, const char *key)
{
	struct json j;
	int64_t v = -1;
	if (json_parse(&j, json, strlen(json), 0, NULL, 0) == 0)
		json_int(&j, json_get(&j, 0, key), &v);
	json_free(&j);
	return v;
}

static void check_htu(const char *url, const char *want)
{
	char *h = okta_dpop_htu(url);
	if (want)
		CHECK_STR(h, want);
	else
		CHECK(h == NULL);
	free(h);
}

static void test_htu(void)
{
	check_htu("https://dev-1.okta.com/oauth2/v1/token", "https://dev-1.okta.com/oauth2/v1/token");
	/* Okta compares the percent-decoded path: a login in the path is proven as ann@example.com */
	check_htu("https://dev-1.okta.com/api/v1/users/ann%40example.com",
		  "https://dev-1.okta.com/api/v1/users/ann@example.com");
	check_htu("https://dev-1.okta.com/api/v1/users/ann%2Bx%40example.com/lifecycle/activate?sendEmail=true",
		  "https://dev-1.okta.com/api/v1/users/ann+x@example.com/lifecycle/activate");
	check_htu("https://127.0.0.1:8443/api/v1/users?filter=profile.login%20eq%20%22a%22#frag",
		  "https://127.0.0.1:8443/api/v1/users");
	check_htu("https://dev-1.okta.com", "https://dev-1.okta.com/");
	check_htu("https://dev-1.okta.com?q=1", "https://dev-1.okta.com/");
	check_htu("https://h/a%e2%82%acb", "https://h/a\xe2\x82\xac"
					   "b");
	/* bad escapes and control bytes are refused rather than proven */
	check_htu("https://h/a%zz", NULL);
	check_htu("https://h/a%4", NULL);
	check_htu("https://h/a%", NULL);
	check_htu("https://h/a%00b", NULL);
	check_htu("https://h/a%0Ab", NULL);
	check_htu("no-scheme/path", NULL);
	check_htu("://h/p", NULL);
}

static void check_proof(EVP_PKEY *pk, struct okta_dpop *d, const char *alg, int ec)
{
	char err[128] = "";
	int64_t now = 1767225600;
	const char *url = "https://dev-1.okta.com/api/v1/users/ann%40example.com?x=1";
	char *p1 = okta_dpop_proof_at(d, "GET", url, "tok.en-1", "n0nce", now, err, sizeof(err));
	char *p2 = okta_dpop_proof_at(d, "POST", "https://dev-1.okta.com/oauth2/v1/token", NULL, NULL, now, err,
				      sizeof(err));
	CHECK(p1 && p2);
	if (!p1 || !p2) {
		fprintf(stderr, "proof: %s\n", err);
		free(p1), free(p2);
		return;
	}
	CHECK(verify(pk, p1, ec) && verify(pk, p2, ec));
	char *h = part(p1, 0), *c1 = part(p1, 1), *c2 = part(p2, 1), *jwk = okta_jwt_key_jwk(okta_dpop_key(d));
	char want[2048];
	snprintf(want, sizeof(want), "{\"typ\":\"dpop+jwt\",\"alg\":\"%s\",\"jwk\":%s}", alg, jwk);
	CHECK_STR(h, want);
	char *v;
	CHECK_STR((v = member(c1, "/htm")), "GET");
	free(v);
	CHECK_STR((v = member(c1, "/htu")), "https://dev-1.okta.com/api/v1/users/ann@example.com");
	free(v);
	CHECK_STR((v = member(c1, "/nonce")), "n0nce");
	free(v);
	CHECK(int_member(c1, "iat") == now);
	/* ath = base64url(SHA-256("tok.en-1")), computed here independently */
	unsigned char md[32];
	EVP_Digest("tok.en-1", 8, md, NULL, EVP_sha256(), NULL);
	char *ath = okta_base64url(md, sizeof(md));
	CHECK_STR((v = member(c1, "/ath")), ath);
	free(v);
	CHECK(strlen(ath) == 43);
	/* the token request's proof: htu is the token URL, no ath, no nonce */
	CHECK_STR((v = member(c2, "/htm")), "POST");
	free(v);
	CHECK_STR((v = member(c2, "/htu")), "https://dev-1.okta.com/oauth2/v1/token");
	free(v);
	CHECK((v = member(c2, "/ath")) == NULL);
	free(v);
	CHECK((v = member(c2, "/nonce")) == NULL);
	free(v);
	char *j1 = member(c1, "/jti"), *j2 = member(c2, "/jti");
	CHECK(j1 && j2 && strlen(j1) >= 16 && strcmp(j1, j2) != 0);
	/* a tampered proof no longer verifies */
	char *bad = strdup(p1);
	char *dot = strchr(bad, '.') + 1;
	*dot = *dot == 'e' ? 'f' : 'e';
	CHECK(!verify(pk, bad, ec));
	free(bad), free(j1), free(j2), free(ath), free(h), free(c1), free(c2), free(jwk), free(p1), free(p2);
}

/* The jwk carries the public key: EC x/y or RSA n/e equal the key's own parameters. */
static void check_jwk(EVP_PKEY *pk, struct okta_dpop *d, int ec)
{
	char *jwk = okta_jwt_key_jwk(okta_dpop_key(d));
	BIGNUM *bn = NULL;
	EVP_PKEY_get_bn_param(pk, ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_N, &bn);
	unsigned char buf[512];
	int n = ec ? 32 : BN_num_bytes(bn);
	BN_bn2binpad(bn, buf, n);
	char *want = okta_base64url(buf, (size_t)n), *got = member(jwk, ec ? "/x" : "/n");
	CHECK_STR(got, want);
	const char *prefix = ec ? "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":" : "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":";
	CHECK(strncmp(jwk, prefix, strlen(prefix)) == 0);
	CHECK(strstr(jwk, "\"d\"") == NULL);
	/* thumbprint = base64url(SHA-256(canonical jwk)) */
	unsigned char md[32];
	EVP_Digest(jwk, strlen(jwk), md, NULL, EVP_sha256(), NULL);
	char *tp = okta_base64url(md, sizeof(md)), *tp2 = okta_dpop_thumbprint(d);
	CHECK_STR(tp2, tp);
	free(tp), free(tp2), free(want), free(got), free(jwk);
	BN_free(bn);
}

static void test_key(const char *alg, int ec)
{
	EVP_PKEY *pk =
		ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256") : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	char *pem = pem_of(pk), err[128];
	struct okta_dpop *d = okta_dpop_new(pem, NULL, err, sizeof(err));
	CHECK(d != NULL);
	if (d) {
		CHECK_STR(okta_dpop_alg(d), alg);
		check_proof(pk, d, alg, ec);
		check_jwk(pk, d, ec);
	}
	okta_dpop_free(d);
	free(pem);
	EVP_PKEY_free(pk);
}

static void test_generated(void)
{
	char err[128];
	struct okta_dpop *a = okta_dpop_new(NULL, NULL, err, sizeof(err)),
			 *b = okta_dpop_new(NULL, "RS256", err, sizeof(err));
	CHECK(a && b);
	CHECK_STR(okta_dpop_alg(a), "ES256");
	CHECK_STR(okta_dpop_alg(b), "RS256");
	CHECK(!okta_jwt_key_same(okta_dpop_key(a), okta_dpop_key(b)));
	CHECK(okta_jwt_key_same(okta_dpop_key(a), okta_dpop_key(a)));
	CHECK(okta_dpop_new(NULL, "HS256", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "ES256 or RS256") != NULL);
	CHECK(okta_dpop_new("-----BEGIN "
			    "PRIVATE KEY-----\nAAAA\n-----END "
			    "PRIVATE KEY-----\n" /* not a key: markers split */,
			    NULL, err, sizeof(err)) == NULL);
	/* nonces: remembered per server, used in the next proof, forgotten with NULL */
	CHECK(!okta_dpop_has_nonce(a, OKTA_DPOP_TOKEN_SERVER));
	okta_dpop_set_nonce(a, OKTA_DPOP_TOKEN_SERVER, "tok-nonce");
	CHECK(okta_dpop_has_nonce(a, OKTA_DPOP_TOKEN_SERVER) && !okta_dpop_has_nonce(a, OKTA_DPOP_API_SERVER));
	char *p =
		okta_dpop_proof(a, OKTA_DPOP_TOKEN_SERVER, "POST", "https://h/oauth2/v1/token", NULL, err, sizeof(err));
	char *c = p ? part(p, 1) : NULL, *v;
	v = c ? member(c, "/nonce") : NULL;
	CHECK_STR(v, "tok-nonce");
	free(v);
	free(c);
	free(p);
	p = okta_dpop_proof(a, OKTA_DPOP_API_SERVER, "GET", "https://h/api/v1/users", "t", err, sizeof(err));
	c = p ? part(p, 1) : NULL;
	v = c ? member(c, "/nonce") : NULL;
	CHECK(c && v == NULL);
	free(v);
	free(c);
	free(p);
	okta_dpop_set_nonce(a, OKTA_DPOP_TOKEN_SERVER, NULL);
	CHECK(!okta_dpop_has_nonce(a, OKTA_DPOP_TOKEN_SERVER));
	/* a URL that cannot be proven gives an error, not a proof */
	CHECK(okta_dpop_proof(a, OKTA_DPOP_API_SERVER, "GET", "https://h/a%00", "t", err, sizeof(err)) == NULL);
	CHECK(strstr(err, "path") != NULL);
	okta_dpop_free(a);
	okta_dpop_free(b);
	okta_dpop_free(NULL);
}

static void test_modes(void)
{
	enum okta_dpop_mode m = OKTA_DPOP_OFF;
	CHECK(okta_dpop_mode_parse("auto", &m) == 0 && m == OKTA_DPOP_AUTO);
	CHECK(okta_dpop_mode_parse("on", &m) == 0 && m == OKTA_DPOP_ON);
	CHECK(okta_dpop_mode_parse("off", &m) == 0 && m == OKTA_DPOP_OFF);
	CHECK(okta_dpop_mode_parse("yes", &m) < 0);
	CHECK(okta_dpop_mode_parse("", &m) < 0);
	CHECK(okta_dpop_mode_parse(NULL, &m) < 0);
}

static void test_challenge(void)
{
	char err[32], desc[64];
	CHECK(okta_dpop_challenge(
		      "DPoP algs=\"ES256 RS256\", error=\"use_dpop_nonce\", error_description=\"Resource server "
		      "requires nonce in DPoP proof\"",
		      err, sizeof(err), desc, sizeof(desc)) == 1);
	CHECK_STR(err, "use_dpop_nonce");
	CHECK_STR(desc, "Resource server requires nonce in DPoP proof");
	CHECK(okta_dpop_challenge("dpop error=\"invalid_dpop_proof\"", err, sizeof(err), desc, sizeof(desc)) == 1);
	CHECK_STR(err, "invalid_dpop_proof");
	CHECK_STR(desc, "");
	/* error_description is not error; a name inside a value is not a parameter */
	CHECK(okta_dpop_challenge("DPoP error_description=\"x\"", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("DPoP realm=\"a error=b\"", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("Bearer error=\"invalid_token\"", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("DPoPx error=\"a\"", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("DPoP", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("", err, sizeof(err), desc, sizeof(desc)) == 0);
	/* unterminated and over-long values are cut to the buffer */
	CHECK(okta_dpop_challenge("DPoP error=\"use_dpop_nonce_and_then_a_lot_more_than_fits", err, sizeof(err), desc,
				  sizeof(desc)) == 1);
	CHECK(strlen(err) == sizeof(err) - 1);
	CHECK(okta_dpop_challenge("DPoP error=", err, sizeof(err), desc, sizeof(desc)) == 0);
	CHECK(okta_dpop_challenge("DPoP error=\"", err, sizeof(err), desc, sizeof(desc)) == 1 && err[0] == '\0');
}

int main(void)
{
	test_htu();
	test_key("ES256", 1);
	test_key("RS256", 0);
	test_generated();
	test_modes();
	test_challenge();
	return check_report("test_okta_dpop");
}
