/* dpop.c: DPoP proof JWTs (RFC 9449) signed with OpenSSL through jwt.c; the nonces each server asked for. */
#include "okta/dpop.h"

#include <openssl/evp.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/hex.h"
#include "core/jbuf.h"
#include "core/secure.h"
#include "okta/jwt.h"

struct okta_dpop {
	pthread_mutex_t mu;
	struct okta_jwt_key *key;
	char *header;	/* {"typ":"dpop+jwt","alg":...,"jwk":{...}}, the same for every proof */
	char *nonce[2]; /* by enum okta_dpop_server; NULL when none */
};

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

static char *proof_header(const struct okta_jwt_key *k)
{
	char *jwk = okta_jwt_key_jwk(k);
	struct jbuf h;
	jbuf_init(&h);
	jbuf_obj_open(&h);
	jbuf_key_str(&h, "typ", "dpop+jwt");
	jbuf_key_str(&h, "alg", okta_jwt_key_alg(k));
	if (jwk)
		jbuf_key_raw(&h, "jwk", jwk, strlen(jwk));
	jbuf_obj_close(&h);
	free(jwk);
	return jwk ? jbuf_take(&h, NULL) : (jbuf_free(&h), NULL);
}

struct okta_dpop *okta_dpop_new(const char *pem, const char *alg, char *err, size_t errlen)
{
	struct okta_dpop *d = calloc(1, sizeof(*d));
	if (!d) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&d->mu, NULL);
	d->key = pem ? okta_jwt_key_from_pem(pem, strlen(pem), err, errlen)
		     : okta_jwt_key_generate(alg ? alg : "ES256", err, errlen);
	if (!d->key)
		goto fail;
	if (!(d->header = proof_header(d->key))) {
		set_err(err, errlen, "out of memory");
		goto fail;
	}
	return d;
fail:
	okta_dpop_free(d);
	return NULL;
}

void okta_dpop_free(struct okta_dpop *d)
{
	if (!d)
		return;
	secure_free(d->nonce[0]);
	secure_free(d->nonce[1]);
	free(d->header);
	okta_jwt_key_free(d->key);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

const struct okta_jwt_key *okta_dpop_key(const struct okta_dpop *d)
{
	return d->key;
}

const char *okta_dpop_alg(const struct okta_dpop *d)
{
	return okta_jwt_key_alg(d->key);
}

char *okta_dpop_thumbprint(const struct okta_dpop *d)
{
	return okta_jwt_key_thumbprint(d->key);
}

/* Appends p[0..n) percent-decoded; -1 for a bad escape or a control byte (NUL included). */
static int put_decoded(struct jbuf *b, const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)p[i];
		if (c == '%') {
			int hi = i + 2 < n ? hex_value(p[i + 1]) : -1;
			int lo = hi >= 0 ? hex_value(p[i + 2]) : -1;
			if (lo < 0)
				return -1;
			c = hi * 16 + lo;
			i += 2;
		}
		if (c < 0x20 || c == 0x7f)
			return -1;
		jbuf_putc(b, (char)c);
	}
	return 0;
}

char *okta_dpop_htu(const char *url)
{
	const char *sep = strstr(url, "://");
	if (!sep || sep == url)
		return NULL;
	size_t auth_end = (size_t)(sep + 3 - url) + strcspn(sep + 3, "/?#");
	size_t path_len = strcspn(url + auth_end, "?#");
	struct jbuf b;
	jbuf_init(&b);
	jbuf_put(&b, url, auth_end);
	if (path_len == 0)
		jbuf_putc(&b, '/');
	if (put_decoded(&b, url + auth_end, path_len) < 0) {
		jbuf_free(&b);
		return NULL;
	}
	return jbuf_take(&b, NULL);
}

/* base64url(SHA-256(token)). */
static char *ath_of(const char *token)
{
	unsigned char md[32];
	if (EVP_Digest(token, strlen(token), md, NULL, EVP_sha256(), NULL) != 1)
		return NULL;
	return okta_base64url(md, sizeof(md));
}

static char *proof_claims(const char *method, const char *htu, const char *ath, const char *nonce, int64_t now_s,
			  const char *jti)
{
	struct jbuf c;
	jbuf_init(&c);
	jbuf_obj_open(&c);
	jbuf_key_str(&c, "htm", method);
	jbuf_key_str(&c, "htu", htu);
	jbuf_key_int(&c, "iat", now_s);
	jbuf_key_str(&c, "jti", jti);
	if (nonce && *nonce)
		jbuf_key_str(&c, "nonce", nonce);
	if (ath)
		jbuf_key_str(&c, "ath", ath);
	jbuf_obj_close(&c);
	return jbuf_take(&c, NULL);
}

char *okta_dpop_proof_at(const struct okta_dpop *d, const char *method, const char *url, const char *access_token,
			 const char *nonce, int64_t now_s, char *err, size_t errlen)
{
	unsigned char rnd[18];
	char *htu = okta_dpop_htu(url);
	if (!htu) {
		set_err(err, errlen, "the request URL has no valid path for a DPoP proof");
		return NULL;
	}
	if (RAND_bytes(rnd, sizeof(rnd)) != 1) {
		free(htu);
		set_err(err, errlen, "no randomness for the DPoP jti");
		return NULL;
	}
	char *jti = okta_base64url(rnd, sizeof(rnd));
	char *ath = access_token ? ath_of(access_token) : NULL;
	char *claims = jti && (ath || !access_token) ? proof_claims(method, htu, ath, nonce, now_s, jti) : NULL;
	char *proof = NULL;
	if (!claims)
		set_err(err, errlen, "out of memory");
	else
		proof = okta_jwt_sign_with_header(d->key, d->header, claims, err, errlen);
	secure_free(claims);
	free(ath);
	free(jti);
	free(htu);
	return proof;
}

char *okta_dpop_proof(struct okta_dpop *d, enum okta_dpop_server server, const char *method, const char *url,
		      const char *access_token, char *err, size_t errlen)
{
	pthread_mutex_lock(&d->mu);
	char *nonce = d->nonce[server] ? strdup(d->nonce[server]) : NULL;
	int oom = d->nonce[server] && !nonce;
	pthread_mutex_unlock(&d->mu);
	if (oom) {
		set_err(err, errlen, "out of memory");
		return NULL;
	}
	char *proof = okta_dpop_proof_at(d, method, url, access_token, nonce, clock_now_ms() / 1000, err, errlen);
	secure_free(nonce);
	return proof;
}

void okta_dpop_set_nonce(struct okta_dpop *d, enum okta_dpop_server server, const char *nonce)
{
	char *copy = nonce && *nonce ? strdup(nonce) : NULL;
	pthread_mutex_lock(&d->mu);
	secure_free(d->nonce[server]);
	d->nonce[server] = copy;
	pthread_mutex_unlock(&d->mu);
}

int okta_dpop_has_nonce(struct okta_dpop *d, enum okta_dpop_server server)
{
	pthread_mutex_lock(&d->mu);
	int has = d->nonce[server] != NULL;
	pthread_mutex_unlock(&d->mu);
	return has;
}

/*
 * Parameter name="value" of an auth-param list into out; 1 when found. Values are short tokens and
 * descriptions, so quoted-pair escapes are not unescaped.
 */
static int auth_param(const char *list, const char *name, char *out, size_t n)
{
	size_t nl = strlen(name);
	for (const char *p = list; (p = strstr(p, name)) != NULL; p += nl) {
		if ((p == list || p[-1] == ' ' || p[-1] == ',') && p[nl] == '=' && p[nl + 1] == '"') {
			const char *v = p + nl + 2;
			size_t len = strcspn(v, "\"");
			snprintf(out, n, "%.*s", (int)(len < n ? len : n - 1), v);
			return 1;
		}
	}
	return 0;
}

int okta_dpop_challenge(const char *www, char *error, size_t errorlen, char *desc, size_t desclen)
{
	if (errorlen == 0 || desclen == 0)
		return 0;
	error[0] = desc[0] = '\0';
	if (strncasecmp(www, "DPoP", 4) != 0 || (www[4] != ' ' && www[4] != '\0'))
		return 0;
	if (!auth_param(www + 4, "error", error, errorlen))
		return 0;
	auth_param(www + 4, "error_description", desc, desclen);
	return 1;
}

int okta_dpop_mode_parse(const char *s, enum okta_dpop_mode *out)
{
	static const struct {
		const char *name;
		enum okta_dpop_mode mode;
	} modes[] = { { "auto", OKTA_DPOP_AUTO }, { "on", OKTA_DPOP_ON }, { "off", OKTA_DPOP_OFF } };
	for (size_t i = 0; s && i < sizeof(modes) / sizeof(modes[0]); i++) {
		if (strcmp(s, modes[i].name) == 0) {
			*out = modes[i].mode;
			return 0;
		}
	}
	return -1;
}
