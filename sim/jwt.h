/* jwt.h: verification of compact JWS tokens (RS256/384/512, ES256/384/512) with OpenSSL, and base64url. */
#ifndef OKTA_SIM_JWT_H
#define OKTA_SIM_JWT_H

#include <openssl/evp.h>
#include <stddef.h>
#include <stdint.h>

/* The registered claims okta-sim checks; absent strings are "", absent times 0 with has_* 0. */
struct jwt_claims {
	char alg[8];
	char iss[256];
	char sub[256];
	char jti[256];
	char aud[16][512];
	int naud;
	int64_t exp, iat, nbf;
	int has_exp, has_iat, has_nbf;
};

/*
 * Decodes unpadded base64url in[0..n) into a new buffer (caller frees, NUL-terminated for
 * convenience). Returns -1 for characters outside the alphabet, padding or a bad length.
 */
int b64url_decode(const char *in, size_t n, unsigned char **out, size_t *outlen);
/* Encodes in[0..n) as unpadded base64url into out (outn bytes, NUL-terminated); -1 when it does not fit. */
int b64url_encode(const unsigned char *in, size_t n, char *out, size_t outn);

/*
 * Verifies the signature of compact JWS token with key (alg taken from the header and required
 * to match the key: RS* for RSA keys of 2048 bits or more, ES256/384/512 for P-256/384/521) and
 * reads its claims. Returns 0, or -1 with a reason in err (never the token itself).
 */
int jwt_verify(const char *token, EVP_PKEY *key, struct jwt_claims *c, char *err, size_t errlen);

/*
 * Verifies the JWS signature sig[0..siglen) (raw r||s for ES*) over token[0..signed_len) with key
 * for alg (one of RS256/384/512, ES256/384/512, and fitting the key as in jwt_verify). Returns 0,
 * or -1 with a reason in err. For callers that take the key from the token itself (DPoP).
 */
int jwt_verify_signature(const char *token, size_t signed_len, const char *alg, EVP_PKEY *key, const unsigned char *sig,
			 size_t siglen, char *err, size_t errlen);

#endif
