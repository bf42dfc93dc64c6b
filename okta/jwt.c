/* jwt.c: JWS signing with OpenSSL (RS256, ES256): client assertions, DPoP keys and their JWKs, base64url. */
#include "okta/jwt.h"

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/core_names.h>
#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/jbuf.h"

struct okta_jwt_key {
	EVP_PKEY *pkey;
	int ec; /* 1: ES256, 0: RS256 */
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Never prompt for a passphrase: encrypted keys simply fail to load. */
static int no_passphrase(char *buf, int size, int rwflag, void *u)
{
	(void)buf, (void)size, (void)rwflag, (void)u;
	return -1;
}

static int check_key(struct okta_jwt_key *k, char *err, size_t errlen)
{
	if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		if (EVP_PKEY_get_bits(k->pkey) < 2048) {
			set_err(err, errlen, "RSA private key shorter than 2048 bits");
			return -1;
		}
		return 0;
	}
	if (EVP_PKEY_is_a(k->pkey, "EC")) {
		char group[64];
		size_t gl = 0;
		if (EVP_PKEY_get_group_name(k->pkey, group, sizeof(group), &gl) != 1 ||
		    (strcmp(group, "prime256v1") != 0 && strcmp(group, "P-256") != 0)) {
			set_err(err, errlen, "EC private key is not on curve P-256 (ES256)");
			return -1;
		}
		k->ec = 1;
		return 0;
	}
	set_err(err, errlen, "private key is neither RSA nor EC P-256");
	return -1;
}

struct okta_jwt_key *okta_jwt_key_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	struct okta_jwt_key *k = calloc(1, sizeof(*k));
	BIO *bio = len <= (size_t)INT32_MAX ? BIO_new_mem_buf(pem, (int)len) : NULL;
	if (!k || !bio) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	k->pkey = PEM_read_bio_PrivateKey(bio, NULL, no_passphrase, NULL);
	ERR_clear_error();
	if (!k->pkey) {
		set_err(err, errlen, "not an unencrypted PEM private key");
		goto fail;
	}
	if (check_key(k, err, errlen) < 0)
		goto fail;
	BIO_free(bio);
	return k;
fail:
	BIO_free(bio);
	okta_jwt_key_free(k);
	return NULL;
}

void okta_jwt_key_free(struct okta_jwt_key *k)
{
	if (!k)
		return;
	EVP_PKEY_free(k->pkey);
	free(k);
}

const char *okta_jwt_key_alg(const struct okta_jwt_key *k)
{
	return k->ec ? "ES256" : "RS256";
}

struct okta_jwt_key *okta_jwt_key_generate(const char *alg, char *err, size_t errlen)
{
	int ec = alg && strcmp(alg, "ES256") == 0;
	if (!ec && !(alg && strcmp(alg, "RS256") == 0)) {
		set_err(err, errlen, "key algorithm must be ES256 or RS256");
		return NULL;
	}
	struct okta_jwt_key *k = calloc(1, sizeof(*k));
	if (k)
		k->pkey = ec ? EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")
			     : EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	ERR_clear_error();
	if (!k || !k->pkey) {
		set_err(err, errlen, "generating the key failed");
		okta_jwt_key_free(k);
		return NULL;
	}
	k->ec = ec;
	return k;
}

int okta_jwt_key_same(const struct okta_jwt_key *a, const struct okta_jwt_key *b)
{
	int same = EVP_PKEY_eq(a->pkey, b->pkey) == 1;
	ERR_clear_error();
	return same;
}

/* base64url of a big-endian BIGNUM parameter, left-padded to width bytes (0: minimal). */
static char *param_b64(const EVP_PKEY *pk, const char *name, int width)
{
	BIGNUM *bn = NULL;
	char *out = NULL;
	if (EVP_PKEY_get_bn_param(pk, name, &bn) == 1) {
		int n = width ? width : BN_num_bytes(bn);
		unsigned char *buf = n > 0 && n <= 1024 ? malloc((size_t)n) : NULL;
		if (buf && BN_bn2binpad(bn, buf, n) == n)
			out = okta_base64url(buf, (size_t)n);
		free(buf);
	}
	BN_free(bn);
	ERR_clear_error();
	return out;
}

char *okta_jwt_key_jwk(const struct okta_jwt_key *k)
{
	char *a = param_b64(k->pkey, k->ec ? OSSL_PKEY_PARAM_EC_PUB_X : OSSL_PKEY_PARAM_RSA_E, k->ec ? 32 : 0);
	char *b = param_b64(k->pkey, k->ec ? OSSL_PKEY_PARAM_EC_PUB_Y : OSSL_PKEY_PARAM_RSA_N, k->ec ? 32 : 0);
	struct jbuf j;
	jbuf_init(&j);
	if (a && b && k->ec)
		jbuf_printf(&j, "{\"crv\":\"P-256\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", a, b);
	else if (a && b)
		jbuf_printf(&j, "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
	free(a);
	free(b);
	return a && b ? jbuf_take(&j, NULL) : (jbuf_free(&j), NULL);
}

char *okta_jwt_key_thumbprint(const struct okta_jwt_key *k)
{
	unsigned char md[32];
	char *jwk = okta_jwt_key_jwk(k);
	if (!jwk || EVP_Digest(jwk, strlen(jwk), md, NULL, EVP_sha256(), NULL) != 1) {
		free(jwk);
		return NULL;
	}
	free(jwk);
	return okta_base64url(md, sizeof(md));
}

char *okta_base64url(const void *p, size_t n)
{
	if (n > (size_t)INT32_MAX / 2)
		return NULL;
	char *out = malloc(4 * ((n + 2) / 3) + 1);
	if (!out)
		return NULL;
	int len = EVP_EncodeBlock((unsigned char *)out, p, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *c = out; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return out;
}

unsigned char *okta_base64url_decode(const char *s, size_t n, size_t *outlen)
{
	if (n > (size_t)INT32_MAX / 2 || n % 4 == 1)
		return NULL;
	size_t pad = (4 - n % 4) % 4;
	char *in = malloc(n + pad + 1);
	unsigned char *out = malloc((n + pad) / 4 * 3 + 1);
	if (!in || !out)
		goto fail;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		if (c == '+' || c == '/' || c == '=')
			goto fail;
		in[i] = c == '-' ? '+' : c == '_' ? '/' : c;
	}
	memset(in + n, '=', pad);
	int len = EVP_DecodeBlock(out, (unsigned char *)in, (int)(n + pad));
	if (len < 0)
		goto fail;
	len -= (int)pad; /* EVP_DecodeBlock counts padding as zero bytes */
	out[len] = '\0';
	*outlen = (size_t)len;
	free(in);
	return out;
fail:
	free(in);
	free(out);
	return NULL;
}

/* DER ECDSA-Sig-Value to JWS's fixed-width r||s. */
static int der_to_raw(const unsigned char *der, size_t derlen, unsigned char raw[64])
{
	const unsigned char *p = der;
	ECDSA_SIG *sig = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	if (!sig)
		return -1;
	const BIGNUM *r, *s;
	ECDSA_SIG_get0(sig, &r, &s);
	int ok = BN_bn2binpad(r, raw, 32) == 32 && BN_bn2binpad(s, raw + 32, 32) == 32;
	ECDSA_SIG_free(sig);
	return ok ? 0 : -1;
}

/* Signs input with SHA-256; returns malloc'd base64url of the JWS signature. */
static char *sign_b64(const struct okta_jwt_key *k, const char *input, size_t n)
{
	EVP_MD_CTX *md = EVP_MD_CTX_new();
	unsigned char *sig = NULL;
	char *out = NULL;
	size_t siglen = 0;
	if (!md || EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k->pkey) != 1 ||
	    EVP_DigestSign(md, NULL, &siglen, (const unsigned char *)input, n) != 1)
		goto done;
	sig = malloc(siglen);
	if (!sig || EVP_DigestSign(md, sig, &siglen, (const unsigned char *)input, n) != 1)
		goto done;
	if (k->ec) {
		unsigned char raw[64];
		if (der_to_raw(sig, siglen, raw) == 0)
			out = okta_base64url(raw, sizeof(raw));
	} else {
		out = okta_base64url(sig, siglen);
	}
done:
	ERR_clear_error();
	free(sig);
	EVP_MD_CTX_free(md);
	return out;
}

char *okta_jwt_sign_with_header(const struct okta_jwt_key *k, const char *header_json, const char *claims_json,
				char *err, size_t errlen)
{
	struct jbuf t;
	jbuf_init(&t);
	char *hb = okta_base64url(header_json, strlen(header_json));
	char *cb = okta_base64url(claims_json, strlen(claims_json));
	char *sb = NULL;
	if (hb && cb) {
		jbuf_printf(&t, "%s.%s", hb, cb);
		if (!t.err)
			sb = sign_b64(k, t.p, t.n);
	}
	if (sb)
		jbuf_printf(&t, ".%s", sb);
	char *tok = sb ? jbuf_take(&t, NULL) : NULL;
	if (!tok)
		set_err(err, errlen, sb || !hb || !cb ? "out of memory" : "signing the JWT failed");
	free(hb);
	free(cb);
	free(sb);
	jbuf_free(&t);
	return tok;
}

char *okta_jwt_sign(const struct okta_jwt_key *k, const char *kid, const char *claims_json, char *err, size_t errlen)
{
	struct jbuf h;
	jbuf_init(&h);
	jbuf_obj_open(&h);
	jbuf_key_str(&h, "alg", okta_jwt_key_alg(k));
	jbuf_key_str(&h, "typ", "JWT");
	if (kid && *kid)
		jbuf_key_str(&h, "kid", kid);
	jbuf_obj_close(&h);
	char *tok = NULL;
	if (h.err)
		set_err(err, errlen, "out of memory");
	else
		tok = okta_jwt_sign_with_header(k, h.p, claims_json, err, errlen);
	jbuf_free(&h);
	return tok;
}

char *okta_jwt_client_assertion(const struct okta_jwt_key *k, const char *kid, const char *client_id,
				const char *token_url, int64_t now_s, char *err, size_t errlen)
{
	unsigned char rnd[18];
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		set_err(err, errlen, "no randomness for jti");
		return NULL;
	}
	char *jti = okta_base64url(rnd, sizeof(rnd));
	struct jbuf c;
	jbuf_init(&c);
	jbuf_obj_open(&c);
	jbuf_key_str(&c, "aud", token_url);
	jbuf_key_str(&c, "iss", client_id);
	jbuf_key_str(&c, "sub", client_id);
	jbuf_key_int(&c, "iat", now_s);
	jbuf_key_int(&c, "exp", now_s + 300);
	jbuf_key_str(&c, "jti", jti);
	jbuf_obj_close(&c);
	char *tok = NULL;
	if (!jti || c.err)
		set_err(err, errlen, "out of memory");
	else
		tok = okta_jwt_sign(k, kid, c.p, err, errlen);
	free(jti);
	jbuf_free(&c);
	return tok;
}
