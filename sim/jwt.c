/* jwt.c: compact JWS verification with OpenSSL (EVP_DigestVerify; ES* raw r||s turned into DER). */
#include "sim/jwt.h"

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/ecdsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "sim/sim.h"

/* JSON tokens in a client assertion's claims. */
#define CLAIMS_MAX_TOKENS 512
/* JSON tokens in a JWS header. */
#define HEADER_MAX_TOKENS 64

static int b64url_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

int b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen)
{
	if (n % 4 == 1 || n > 64 * 1024)
		return -1;
	size_t pad = (4 - n % 4) % 4;
	char *std = sim_xcalloc(1, n + pad + 1);
	for (size_t i = 0; i < n; i++) {
		if (!b64url_char(in[i])) {
			free(std);
			return -1;
		}
		std[i] = in[i] == '-' ? '+' : in[i] == '_' ? '/' : in[i];
	}
	for (size_t i = 0; i < pad; i++)
		std[n + i] = '=';
	unsigned char *buf = sim_xcalloc(1, (n + pad) / 4 * 3 + 1);
	int got = n + pad ? EVP_DecodeBlock(buf, (const unsigned char *)std, (int)(n + pad)) : 0;
	free(std);
	if (got < 0 || (size_t)got < pad) {
		free(buf);
		return -1;
	}
	*outlen = (size_t)got - pad;
	buf[*outlen] = '\0';
	*out = buf;
	return 0;
}

int b64url_encode(const unsigned char *in, size_t n, char *out, size_t outn)
{
	if (n > 64 * 1024 || outn < 4 * ((n + 2) / 3) + 1)
		return -1;
	int len = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (len > 0 && out[len - 1] == '=')
		len--;
	out[len] = '\0';
	for (char *c = out; *c; c++)
		*c = *c == '+' ? '-' : *c == '/' ? '_' : *c;
	return 0;
}

struct alg_info {
	const char *name;
	const char *md;
	int ec_bits; /* 0 for RSA */
};

static const struct alg_info algs[] = {
	{ "RS256", "SHA256", 0 },   { "RS384", "SHA384", 0 },	{ "RS512", "SHA512", 0 },
	{ "ES256", "SHA256", 256 }, { "ES384", "SHA384", 384 }, { "ES512", "SHA512", 521 },
};

static const struct alg_info *alg_find(const char *name)
{
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(algs[i].name, name) == 0)
			return &algs[i];
	return NULL;
}

/* JWS ECDSA signatures are r||s with fixed-width halves; OpenSSL wants DER. */
static unsigned char *ecdsa_raw_to_der(const unsigned char *sig, size_t n, int bits, size_t *dern)
{
	size_t half = (size_t)(bits + 7) / 8;
	if (n != 2 * half)
		return NULL;
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(sig, (int)half, NULL), *s = BN_bin2bn(sig + half, (int)half, NULL);
	unsigned char *der = NULL;
	if (!es || !r || !s || ECDSA_SIG_set0(es, r, s) != 1) {
		BN_free(r);
		BN_free(s);
		ECDSA_SIG_free(es);
		return NULL;
	}
	int len = i2d_ECDSA_SIG(es, &der);
	ECDSA_SIG_free(es);
	if (len <= 0)
		return NULL;
	*dern = (size_t)len;
	return der;
}

static int key_fits(const struct alg_info *a, EVP_PKEY *key)
{
	if (a->ec_bits == 0)
		return EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA && EVP_PKEY_get_bits(key) >= 2048;
	return EVP_PKEY_get_base_id(key) == EVP_PKEY_EC && EVP_PKEY_get_bits(key) == a->ec_bits;
}

static int verify_sig(const struct alg_info *a, EVP_PKEY *key, const char *input, size_t inlen,
		      const unsigned char *sig, size_t siglen)
{
	unsigned char *der = NULL;
	size_t dern = 0;
	if (a->ec_bits) {
		der = ecdsa_raw_to_der(sig, siglen, a->ec_bits, &dern);
		if (!der)
			return -1;
		sig = der;
		siglen = dern;
	}
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int ok = ctx && EVP_DigestVerifyInit_ex(ctx, NULL, a->md, NULL, NULL, key, NULL) == 1 &&
		 EVP_DigestVerify(ctx, sig, siglen, (const unsigned char *)input, inlen) == 1;
	EVP_MD_CTX_free(ctx);
	OPENSSL_free(der);
	return ok ? 0 : -1;
}

static void copy_str(const struct json *j, int obj, const char *key, char *out, size_t n)
{
	int i = json_get(j, obj, key);
	char *s = json_is_string(j, i) ? json_strdup(j, i) : NULL;
	snprintf(out, n, "%s", s && strlen(s) < n ? s : "");
	free(s);
}

static int copy_time(const struct json *j, int obj, const char *key, int64_t *out, int *has)
{
	int i = json_get(j, obj, key);
	*has = 0;
	if (i < 0)
		return 0;
	if (json_is_string(j, i) || json_int(j, i, out) < 0)
		return -1;
	*has = 1;
	return 0;
}

static int read_claims(const char *payload, size_t n, struct jwt_claims *c, char *err, size_t errlen)
{
	struct json j;
	if (json_parse(&j, payload, n, CLAIMS_MAX_TOKENS, err, errlen) < 0 || !json_is_object(&j, 0)) {
		snprintf(err, errlen, "JWT payload is not a JSON object");
		json_free(&j);
		return -1;
	}
	copy_str(&j, 0, "iss", c->iss, sizeof(c->iss));
	copy_str(&j, 0, "sub", c->sub, sizeof(c->sub));
	copy_str(&j, 0, "jti", c->jti, sizeof(c->jti));
	int aud = json_get(&j, 0, "aud");
	if (json_is_string(&j, aud)) {
		copy_str(&j, 0, "aud", c->aud[0], sizeof(c->aud[0]));
		c->naud = 1;
	} else if (json_is_array(&j, aud)) {
		for (int k = 0; k < json_size(&j, aud) && c->naud < 16; k++) {
			int e = json_at(&j, aud, k);
			char *s = json_is_string(&j, e) ? json_strdup(&j, e) : NULL;
			if (s && strlen(s) < sizeof(c->aud[0]))
				snprintf(c->aud[c->naud++], sizeof(c->aud[0]), "%s", s);
			free(s);
		}
	}
	int rc = 0;
	if (copy_time(&j, 0, "exp", &c->exp, &c->has_exp) < 0 || copy_time(&j, 0, "iat", &c->iat, &c->has_iat) < 0 ||
	    copy_time(&j, 0, "nbf", &c->nbf, &c->has_nbf) < 0) {
		snprintf(err, errlen, "JWT time claims must be integers");
		rc = -1;
	}
	json_free(&j);
	return rc;
}

static const struct alg_info *read_header(const char *hdr, size_t n, char *err, size_t errlen)
{
	struct json j;
	const struct alg_info *a = NULL;
	if (json_parse(&j, hdr, n, HEADER_MAX_TOKENS, err, errlen) < 0 || !json_is_object(&j, 0)) {
		snprintf(err, errlen, "JWT header is not a JSON object");
		json_free(&j);
		return NULL;
	}
	char alg[16];
	copy_str(&j, 0, "alg", alg, sizeof(alg));
	if (json_get(&j, 0, "crit") >= 0)
		snprintf(err, errlen, "JWT header 'crit' is not supported");
	else if (!(a = alg_find(alg)))
		snprintf(err, errlen, "unsupported JWT alg '%s' (RS256/384/512, ES256/384/512)", alg);
	json_free(&j);
	return a;
}

int jwt_verify(const char *token, EVP_PKEY *key, struct jwt_claims *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
	unsigned char *hdr = NULL, *payload = NULL, *sig = NULL;
	size_t hn, pn, sn;
	int rc = -1;
	if (!d1 || !d2 || strchr(d2 + 1, '.')) {
		snprintf(err, errlen, "not a compact JWS (three dot-separated parts)");
		return -1;
	}
	if (b64url_decode(token, (size_t)(d1 - token), &hdr, &hn) < 0 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload, &pn) < 0 ||
	    b64url_decode(d2 + 1, strlen(d2 + 1), &sig, &sn) < 0) {
		snprintf(err, errlen, "JWT part is not base64url");
		goto out;
	}
	const struct alg_info *a = read_header((const char *)hdr, hn, err, errlen);
	if (!a)
		goto out;
	snprintf(c->alg, sizeof(c->alg), "%s", a->name);
	if (!key_fits(a, key)) {
		snprintf(err, errlen, "JWT alg %s does not match the registered key", a->name);
		goto out;
	}
	if (verify_sig(a, key, token, (size_t)(d2 - token), sig, sn) < 0) {
		snprintf(err, errlen, "The client_assertion signature is invalid.");
		goto out;
	}
	rc = read_claims((const char *)payload, pn, c, err, errlen);
out:
	free(hdr);
	free(payload);
	free(sig);
	return rc;
}

int jwt_verify_signature(const char *token, size_t signed_len, const char *alg, EVP_PKEY *key, const unsigned char *sig,
			 size_t siglen, char *err, size_t errlen)
{
	const struct alg_info *a = alg_find(alg);
	if (!a) {
		snprintf(err, errlen, "unsupported JWT alg (RS256/384/512, ES256/384/512)");
		return -1;
	}
	if (!key_fits(a, key)) {
		snprintf(err, errlen, "JWT alg %s does not fit the key", a->name);
		return -1;
	}
	if (verify_sig(a, key, token, signed_len, sig, siglen) < 0) {
		snprintf(err, errlen, "the JWT signature is invalid");
		return -1;
	}
	return 0;
}
