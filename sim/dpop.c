/* dpop.c: DPoP proofs checked as RFC 9449 section 4.3 says, key from the proof's jwk, nonces rotated, jtis remembered. */
#include "sim/dpop.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/json.h"
#include "sim/jwt.h"
#include "sim/sim.h"

#define MAX_PROOF 8192
#define MAX_JTIS 100000
#define NONCES 4
/* JSON tokens in a DPoP proof's header or claims. */
#define PROOF_PART_MAX_TOKENS 64

struct nonce {
	char value[33];
	long long issued_ms;
};

struct seen {
	unsigned char hash[SHA256_DIGEST_LENGTH];
	long long forget_ms;
};

struct dpop {
	pthread_mutex_t mu;
	int api_nonce;
	long long rotate_ms;
	struct nonce nonce[NONCES]; /* newest first; value "" when unused */
	struct seen *jti;
	int njti;
};

/* String member key of obj into out; 1 when present and fits, 0 when absent, -1 otherwise. */
static int str_member(const struct json *j, int obj, const char *key, char *out, size_t n)
{
	out[0] = '\0';
	int i = json_get(j, obj, key);
	if (i < 0)
		return 0;
	char *s = json_is_string(j, i) ? json_strdup(j, i) : NULL;
	int rc = s && strlen(s) < n ? 1 : -1;
	if (rc == 1)
		memcpy(out, s, strlen(s) + 1);
	free(s);
	return rc;
}

/*
 * Big-endian bytes of a base64url JWK member, exactly want bytes long (0: any, 1 to 1024).
 * b64url_decode refuses any character outside the base64url alphabet, padding included.
 */
static unsigned char *jwk_bytes(const char *b64, size_t want, size_t *n)
{
	unsigned char *out = NULL;
	if (b64url_decode(b64, strlen(b64), &out, n) < 0)
		return NULL;
	if ((want && *n != want) || *n == 0 || *n > 1024) {
		free(out);
		return NULL;
	}
	return out;
}

static EVP_PKEY *pkey_from(const char *type, OSSL_PARAM_BLD *bld)
{
	EVP_PKEY *pk = NULL;
	OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	if (params && ctx && EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &pk, EVP_PKEY_PUBLIC_KEY, params);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	if (pk) {
		EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, pk, NULL);
		if (!chk || EVP_PKEY_public_check(chk) != 1) {
			EVP_PKEY_free(pk);
			pk = NULL;
		}
		EVP_PKEY_CTX_free(chk);
	}
	ERR_clear_error();
	return pk;
}

static EVP_PKEY *ec_key(const char *crv, const char *x, const char *y)
{
	static const struct {
		const char *crv;
		size_t len;
	} curves[] = { { "P-256", 32 }, { "P-384", 48 }, { "P-521", 66 } };
	size_t len = 0, xn, yn;
	for (size_t i = 0; i < sizeof(curves) / sizeof(curves[0]); i++)
		if (strcmp(crv, curves[i].crv) == 0)
			len = curves[i].len;
	unsigned char *xb = len ? jwk_bytes(x, len, &xn) : NULL, *yb = xb ? jwk_bytes(y, len, &yn) : NULL;
	EVP_PKEY *pk = NULL;
	if (yb) {
		unsigned char pub[1 + 2 * 66];
		pub[0] = 0x04;
		memcpy(pub + 1, xb, len);
		memcpy(pub + 1 + len, yb, len);
		OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
		if (bld && OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, crv, 0) == 1 &&
		    OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY, pub, 1 + 2 * len) == 1)
			pk = pkey_from("EC", bld);
		OSSL_PARAM_BLD_free(bld);
	}
	free(xb);
	free(yb);
	return pk;
}

static EVP_PKEY *rsa_key(const char *n64, const char *e64)
{
	size_t nn, en;
	unsigned char *nb = jwk_bytes(n64, 0, &nn), *eb = nb ? jwk_bytes(e64, 0, &en) : NULL;
	BIGNUM *n = eb ? BN_bin2bn(nb, (int)nn, NULL) : NULL, *e = n ? BN_bin2bn(eb, (int)en, NULL) : NULL;
	EVP_PKEY *pk = NULL;
	OSSL_PARAM_BLD *bld = e ? OSSL_PARAM_BLD_new() : NULL;
	if (bld && OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) == 1 &&
	    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) == 1)
		pk = pkey_from("RSA", bld);
	OSSL_PARAM_BLD_free(bld);
	BN_free(n);
	BN_free(e);
	free(nb);
	free(eb);
	return pk;
}

/* The jwk header member as a public key, and its RFC 7638 thumbprint into jkt. */
static EVP_PKEY *jwk_key(const struct json *j, int jwk, char jkt[48], char *err, size_t errlen)
{
	char kty[8], a[1100], b[1100], crv[8];
	if (!json_is_object(j, jwk) || str_member(j, jwk, "kty", kty, sizeof(kty)) != 1) {
		snprintf(err, errlen, "The DPoP proof JWT 'jwk' header is missing or has no 'kty'.");
		return NULL;
	}
	if (json_get(j, jwk, "d") >= 0) {
		snprintf(err, errlen, "The DPoP proof JWT 'jwk' header must not contain a private key.");
		return NULL;
	}
	int ec = strcmp(kty, "EC") == 0;
	EVP_PKEY *pk = NULL;
	char canon[2400];
	if (ec && str_member(j, jwk, "crv", crv, sizeof(crv)) == 1 && str_member(j, jwk, "x", a, sizeof(a)) == 1 &&
	    str_member(j, jwk, "y", b, sizeof(b)) == 1 && (pk = ec_key(crv, a, b)))
		snprintf(canon, sizeof(canon), "{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}", crv, a, b);
	else if (!ec && strcmp(kty, "RSA") == 0 && str_member(j, jwk, "n", a, sizeof(a)) == 1 &&
		 str_member(j, jwk, "e", b, sizeof(b)) == 1 && (pk = rsa_key(a, b)))
		snprintf(canon, sizeof(canon), "{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", b, a);
	if (!pk) {
		snprintf(err, errlen, "The DPoP proof JWT 'jwk' header is not a valid EC or RSA public key.");
		return NULL;
	}
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)canon, strlen(canon), md);
	b64url_encode(md, sizeof(md), jkt, 48);
	return pk;
}

static int alg_allowed(const char *alg)
{
	static const char *const algs[] = { "RS256", "RS384", "RS512", "ES256", "ES384", "ES512" };
	for (size_t i = 0; i < sizeof(algs) / sizeof(algs[0]); i++)
		if (strcmp(alg, algs[i]) == 0)
			return 1;
	return 0;
}

/* typ, alg and jwk of the header; the key for the signature check. */
static EVP_PKEY *read_header(const char *hdr, size_t n, struct dpop_proof *p, char *err, size_t errlen)
{
	struct json j;
	char typ[16];
	EVP_PKEY *key = NULL;
	if (json_parse(&j, hdr, n, PROOF_PART_MAX_TOKENS, NULL, 0) < 0 || !json_is_object(&j, 0))
		snprintf(err, errlen, "The DPoP proof JWT header is not a JSON object.");
	else if (str_member(&j, 0, "typ", typ, sizeof(typ)) != 1 || strcmp(typ, "dpop+jwt") != 0)
		snprintf(err, errlen, "The DPoP proof JWT 'typ' header must be 'dpop+jwt'.");
	else if (str_member(&j, 0, "alg", p->alg, sizeof(p->alg)) != 1 || !alg_allowed(p->alg))
		snprintf(err, errlen, "The DPoP proof JWT 'alg' header must be one of: " DPOP_ALGS ".");
	else if (json_get(&j, 0, "crit") >= 0)
		snprintf(err, errlen, "The DPoP proof JWT 'crit' header is not supported.");
	else
		key = jwk_key(&j, json_get(&j, 0, "jwk"), p->jkt, err, errlen);
	json_free(&j);
	return key;
}

static int read_claims(const char *payload, size_t n, struct dpop_proof *p, char *err, size_t errlen)
{
	struct json j;
	int rc = -1;
	if (json_parse(&j, payload, n, PROOF_PART_MAX_TOKENS, NULL, 0) < 0 || !json_is_object(&j, 0))
		snprintf(err, errlen, "The DPoP proof JWT payload is not a JSON object.");
	else if (str_member(&j, 0, "htm", p->htm, sizeof(p->htm)) != 1 ||
		 str_member(&j, 0, "htu", p->htu, sizeof(p->htu)) != 1)
		snprintf(err, errlen, "The DPoP proof JWT must have 'htm' and 'htu' string claims.");
	else if (json_is_string(&j, json_get(&j, 0, "iat")) || json_int(&j, json_get(&j, 0, "iat"), &p->iat) < 0)
		snprintf(err, errlen, "The DPoP proof JWT must have an integer 'iat' claim.");
	else if (str_member(&j, 0, "jti", p->jti, sizeof(p->jti)) != 1 || !p->jti[0])
		snprintf(err, errlen, "The DPoP proof JWT must have a 'jti' claim (at most 127 bytes).");
	else if (str_member(&j, 0, "ath", p->ath, sizeof(p->ath)) < 0 ||
		 str_member(&j, 0, "nonce", p->nonce, sizeof(p->nonce)) < 0)
		snprintf(err, errlen, "The DPoP proof JWT 'ath' and 'nonce' claims must be short strings.");
	else
		rc = 0;
	json_free(&j);
	return rc;
}

int dpop_parse(const char *proof, size_t n, struct dpop_proof *p, char *err, size_t errlen)
{
	memset(p, 0, sizeof(*p));
	const char *d1 = n ? memchr(proof, '.', n) : NULL;
	const char *d2 = d1 ? memchr(d1 + 1, '.', n - (size_t)(d1 + 1 - proof)) : NULL;
	if (n > MAX_PROOF || !d2 || memchr(d2 + 1, '.', n - (size_t)(d2 + 1 - proof))) {
		snprintf(err, errlen, "The DPoP proof is not a compact JWS of at most %d bytes.", MAX_PROOF);
		return -1;
	}
	unsigned char *hdr = NULL, *payload = NULL, *sig = NULL;
	size_t hn, pn, sn;
	EVP_PKEY *key = NULL;
	int rc = -1;
	if (b64url_decode(proof, (size_t)(d1 - proof), &hdr, &hn) < 0 ||
	    b64url_decode(d1 + 1, (size_t)(d2 - d1 - 1), &payload, &pn) < 0 ||
	    b64url_decode(d2 + 1, n - (size_t)(d2 + 1 - proof), &sig, &sn) < 0) {
		snprintf(err, errlen, "The DPoP proof JWT has a part that is not base64url.");
		goto out;
	}
	if (!(key = read_header((const char *)hdr, hn, p, err, errlen)))
		goto out;
	char why[128];
	if (jwt_verify_signature(proof, (size_t)(d2 - proof), p->alg, key, sig, sn, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "The DPoP proof JWT signature is invalid (%s).", why);
		goto out;
	}
	rc = read_claims((const char *)payload, pn, p, err, errlen);
out:
	EVP_PKEY_free(key);
	free(hdr);
	free(payload);
	free(sig);
	return rc;
}

struct dpop *dpop_new(int api_nonce, long long rotate_ms)
{
	struct dpop *d = sim_xcalloc(1, sizeof(*d));
	pthread_mutex_init(&d->mu, NULL);
	d->api_nonce = api_nonce;
	d->rotate_ms = rotate_ms;
	return d;
}

void dpop_free(struct dpop *d)
{
	if (!d)
		return;
	free(d->jti);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

int dpop_api_nonce(const struct dpop *d)
{
	return d->api_nonce;
}

void dpop_nonce(struct dpop *d, long long now_ms, char out[33])
{
	pthread_mutex_lock(&d->mu);
	if (!d->nonce[0].value[0] || now_ms - d->nonce[0].issued_ms >= d->rotate_ms) {
		memmove(d->nonce + 1, d->nonce, sizeof(d->nonce[0]) * (NONCES - 1));
		sim_random_alnum(d->nonce[0].value, 32);
		d->nonce[0].issued_ms = now_ms;
	}
	memcpy(out, d->nonce[0].value, 33);
	pthread_mutex_unlock(&d->mu);
}

/* Caller holds d->mu. A nonce handed out less than three rotations ago. */
static int nonce_accepted(const struct dpop *d, const char *nonce, long long now_ms)
{
	for (int i = 0; i < NONCES; i++)
		if (d->nonce[i].value[0] && strcmp(d->nonce[i].value, nonce) == 0 &&
		    now_ms - d->nonce[i].issued_ms < 3 * d->rotate_ms)
			return 1;
	return 0;
}

/* Caller holds d->mu. 1 when the jti was seen (and not yet forgotten); else remembers it. */
static int jti_replayed(struct dpop *d, const char *jti, long long forget_ms, long long now_ms)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)jti, strlen(jti), h);
	int k = 0, seen = 0;
	for (int i = 0; i < d->njti; i++) {
		if (d->jti[i].forget_ms <= now_ms)
			continue;
		seen |= memcmp(d->jti[i].hash, h, sizeof(h)) == 0;
		d->jti[k++] = d->jti[i];
	}
	d->njti = k;
	if (seen)
		return 1;
	if (d->njti == MAX_JTIS) {
		memmove(d->jti, d->jti + 1, sizeof(d->jti[0]) * (size_t)(d->njti - 1));
		d->njti--;
	}
	d->jti = sim_xrealloc(d->jti, sizeof(d->jti[0]) * (size_t)(d->njti + 1));
	memcpy(d->jti[d->njti].hash, h, sizeof(h));
	d->jti[d->njti].forget_ms = forget_ms;
	d->njti++;
	return 0;
}

/* The claim checks that need no state; NULL when they pass. */
static const char *check_request(const struct dpop_proof *p, const struct dpop_expect *x, long long now_s)
{
	size_t hl = strcspn(p->htu, "?#");
	if (strcmp(p->htm, x->htm) != 0)
		return "The DPoP proof 'htm' claim does not match the HTTP method of the request.";
	if (strlen(x->htu) != hl || strncmp(p->htu, x->htu, hl) != 0)
		return "The DPoP proof 'htu' claim does not match the HTTP URI of the request.";
	if (p->iat < now_s - DPOP_IAT_PAST_S)
		return "The DPoP proof 'iat' claim is too far in the past: check the client's clock.";
	if (p->iat > now_s + DPOP_IAT_FUTURE_S)
		return "The DPoP proof 'iat' claim is in the future: check the client's clock.";
	if (x->access_token) {
		unsigned char md[SHA256_DIGEST_LENGTH];
		char ath[48];
		SHA256((const unsigned char *)x->access_token, strlen(x->access_token), md);
		b64url_encode(md, sizeof(md), ath, sizeof(ath));
		if (!p->ath[0])
			return "The DPoP proof must have an 'ath' claim for a call with an access token.";
		if (strlen(p->ath) != strlen(ath) || CRYPTO_memcmp(p->ath, ath, strlen(ath)) != 0)
			return "The DPoP proof 'ath' claim does not match the access token.";
	}
	if (x->jkt && strcmp(p->jkt, x->jkt) != 0)
		return "The DPoP proof is not signed by the key the access token is bound to (cnf.jkt).";
	return NULL;
}

enum dpop_verdict dpop_check(struct dpop *d, const char *proof, const struct dpop_expect *x, long long now_ms,
			     struct dpop_proof *p, char *err, size_t errlen)
{
	if (!proof || !*proof) {
		snprintf(err, errlen, "The DPoP proof JWT header is missing.");
		return DPOP_INVALID;
	}
	if (dpop_parse(proof, strlen(proof), p, err, errlen) < 0)
		return DPOP_INVALID;
	const char *bad = check_request(p, x, now_ms / 1000);
	if (bad) {
		snprintf(err, errlen, "%s", bad);
		return DPOP_INVALID;
	}
	enum dpop_verdict v = DPOP_OK;
	pthread_mutex_lock(&d->mu);
	if (x->need_nonce && (!p->nonce[0] || !nonce_accepted(d, p->nonce, now_ms)))
		v = DPOP_USE_NONCE;
	else if (jti_replayed(d, p->jti, (p->iat + DPOP_IAT_PAST_S + 1) * 1000LL, now_ms))
		v = DPOP_INVALID;
	pthread_mutex_unlock(&d->mu);
	if (v == DPOP_USE_NONCE)
		snprintf(err, errlen, "%s server requires nonce in DPoP proof.",
			 x->access_token ? "Resource" : "Authorization");
	else if (v == DPOP_INVALID)
		snprintf(err, errlen, "The DPoP proof 'jti' has already been used.");
	return v;
}
