/* test_okta_jwt.c: client assertions signed with fresh RSA and P-256 keys, verified and decoded here. */
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "core/json.h"
#include "okta/jwt.h"

/* Independent base64url decoder for the test (OpenSSL's block decoder after translating). */
static unsigned char *b64url_decode(const char *s, size_t n, size_t *outlen)
{
	size_t pad = (4 - n % 4) % 4;
	char *in = malloc(n + pad + 1);
	unsigned char *out = malloc(n + pad + 1);
	for (size_t i = 0; i < n; i++)
		in[i] = s[i] == '-' ? '+' : s[i] == '_' ? '/' : s[i];
	memset(in + n, '=', pad);
	in[n + pad] = '\0';
	int len = EVP_DecodeBlock(out, (unsigned char *)in, (int)(n + pad));
	free(in);
	if (len < 0) {
		free(out);
		return NULL;
	}
	*outlen = (size_t)len - pad;
	out[*outlen] = '\0';
	return out;
}

static char *pem_of(EVP_PKEY *k, int encrypted)
{
	BIO *b = BIO_new(BIO_s_mem());
	const EVP_CIPHER *c = encrypted ? EVP_aes_128_cbc() : NULL;
	PEM_write_bio_PrivateKey(b, k, c, encrypted ? (unsigned char *)"pass" : NULL, encrypted ? 4 : 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	return s;
}

/* Verifies a JWS signature over the first two parts with the public half of k. */
static int verify(EVP_PKEY *k, const char *tok, int ec)
{
	const char *dot2 = strrchr(tok, '.');
	size_t siglen;
	unsigned char *sig = b64url_decode(dot2 + 1, strlen(dot2 + 1), &siglen);
	unsigned char der[128];
	unsigned char *use = sig;
	size_t uselen = siglen;
	if (ec) {
		if (siglen != 64)
			return 0;
		ECDSA_SIG *s = ECDSA_SIG_new();
		ECDSA_SIG_set0(s, BN_bin2bn(sig, 32, NULL), BN_bin2bn(sig + 32, 32, NULL));
		unsigned char *p = der;
		uselen = (size_t)i2d_ECDSA_SIG(s, &p);
		ECDSA_SIG_free(s);
		use = der;
	}
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	int ok = EVP_DigestVerifyInit(md, NULL, EVP_sha256(), NULL, k) == 1 &&
		 EVP_DigestVerify(md, use, uselen, (const unsigned char *)tok, (size_t)(dot2 - tok)) == 1;
	EVP_MD_CTX_free(md);
	free(sig);
	return ok;
}

/* Decodes part idx (0 header, 1 claims) of tok into a NUL-terminated string. */
static char *part(const char *tok, int idx)
{
	const char *p = tok;
	for (int i = 0; i < idx; i++)
		p = strchr(p, '.') + 1;
	size_t n = strcspn(p, "."), len;
	return (char *)b64url_decode(p, n, &len);
}

static void check_claims(const char *claims, int64_t now, char *jti_out, size_t jn)
{
	struct json j;
	CHECK(json_parse(&j, claims, strlen(claims), 0, NULL, 0) == 0);
	CHECK(json_str_eq(&j, json_get(&j, 0, "aud"), "https://dev-1.okta.com/oauth2/v1/token"));
	CHECK(json_str_eq(&j, json_get(&j, 0, "iss"), "0oaCLIENT"));
	CHECK(json_str_eq(&j, json_get(&j, 0, "sub"), "0oaCLIENT"));
	int64_t iat = 0, exp = 0;
	CHECK(json_int(&j, json_get(&j, 0, "iat"), &iat) == 0 && iat == now);
	CHECK(json_int(&j, json_get(&j, 0, "exp"), &exp) == 0 && exp - iat == 300);
	char *jti = json_strdup(&j, json_get(&j, 0, "jti"));
	CHECK(jti && strlen(jti) >= 16);
	snprintf(jti_out, jn, "%s", jti ? jti : "");
	free(jti);
	json_free(&j);
}

static void one_key(EVP_PKEY *k, const char *alg, int ec)
{
	char err[128] = "", *pem = pem_of(k, 0);
	struct okta_jwt_key *key = okta_jwt_key_from_pem(pem, strlen(pem), err, sizeof(err));
	CHECK(key != NULL);
	if (!key) {
		fprintf(stderr, "load: %s\n", err);
		free(pem);
		return;
	}
	CHECK_STR(okta_jwt_key_alg(key), alg);
	int64_t now = 1767225600;
	char *t1 = okta_jwt_client_assertion(key, "kid-1", "0oaCLIENT", "https://dev-1.okta.com/oauth2/v1/token", now,
					     err, sizeof(err));
	char *t2 = okta_jwt_client_assertion(key, NULL, "0oaCLIENT", "https://dev-1.okta.com/oauth2/v1/token", now, err,
					     sizeof(err));
	CHECK(t1 && t2);
	CHECK(verify(k, t1, ec) && verify(k, t2, ec));
	char *h1 = part(t1, 0), *h2 = part(t2, 0), *c1 = part(t1, 1), *c2 = part(t2, 1);
	char want[96];
	snprintf(want, sizeof(want), "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"kid-1\"}", alg);
	CHECK_STR(h1, want);
	snprintf(want, sizeof(want), "{\"alg\":\"%s\",\"typ\":\"JWT\"}", alg);
	CHECK_STR(h2, want);
	char jti1[64], jti2[64];
	check_claims(c1, now, jti1, sizeof(jti1));
	check_claims(c2, now, jti2, sizeof(jti2));
	CHECK(strcmp(jti1, jti2) != 0);
	/* a tampered payload no longer verifies */
	char *bad = strdup(t1);
	char *dot = strchr(bad, '.') + 1;
	*dot = *dot == 'e' ? 'f' : 'e';
	CHECK(!verify(k, bad, ec));
	/* no padding, no characters outside base64url */
	CHECK(strspn(t1, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.") == strlen(t1));
	free(bad);
	free(h1), free(h2), free(c1), free(c2), free(t1), free(t2);
	okta_jwt_key_free(key);
	OPENSSL_cleanse(pem, strlen(pem));
	free(pem);
}

static void refused(EVP_PKEY *k, int encrypted, const char *why_has)
{
	char err[128] = "", *pem = pem_of(k, encrypted);
	struct okta_jwt_key *key = okta_jwt_key_from_pem(pem, strlen(pem), err, sizeof(err));
	CHECK(key == NULL);
	CHECK(strstr(err, why_has) != NULL);
	if (!strstr(err, why_has))
		fprintf(stderr, "refusal said \"%s\", want \"%s\"\n", err, why_has);
	/* the message never quotes key material */
	CHECK(strstr(err, "BEGIN") == NULL);
	okta_jwt_key_free(key);
	free(pem);
}

static void test_keys(void)
{
	EVP_PKEY *rsa = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	EVP_PKEY *ec = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	CHECK(rsa && ec);
	one_key(rsa, "RS256", 0);
	one_key(ec, "ES256", 1);
	EVP_PKEY *small = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)1024);
	EVP_PKEY *p384 = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-384");
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	refused(small, 0, "2048");
	refused(p384, 0, "P-256");
	refused(ed, 0, "neither RSA nor EC");
	refused(rsa, 1, "unencrypted PEM");
	char err[128] = "";
	CHECK(okta_jwt_key_from_pem("not a key", 9, err, sizeof(err)) == NULL && strlen(err) > 0);
	CHECK(okta_jwt_key_from_pem("", 0, err, sizeof(err)) == NULL);
	EVP_PKEY_free(rsa), EVP_PKEY_free(ec), EVP_PKEY_free(small), EVP_PKEY_free(p384), EVP_PKEY_free(ed);
}

static void test_base64url(void)
{
	const char *in[] = { "", "f", "fo", "foo", "foob", "fooba", "foobar" };
	const char *out[] = { "", "Zg", "Zm8", "Zm9v", "Zm9vYg", "Zm9vYmE", "Zm9vYmFy" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char *e = okta_base64url(in[i], strlen(in[i]));
		CHECK_STR(e, out[i]);
		size_t n = 99;
		unsigned char *d = okta_base64url_decode(out[i], strlen(out[i]), &n);
		CHECK(d && n == strlen(in[i]) && memcmp(d, in[i], n) == 0);
		free(e);
		free(d);
	}
	unsigned char bin[] = { 0xfb, 0xff, 0xbf };
	char *e = okta_base64url(bin, sizeof(bin));
	CHECK_STR(e, "-_-_");
	free(e);
	size_t n;
	CHECK(okta_base64url_decode("+/+/", 4, &n) == NULL);
	CHECK(okta_base64url_decode("Z", 1, &n) == NULL);
	CHECK(okta_base64url_decode("Zm9v!", 5, &n) == NULL);
}

int main(void)
{
	test_base64url();
	test_keys();
	return check_report("okta_jwt");
}
