/* jwt.h: signing keys (RSA / EC P-256), compact JWS tokens for private_key_jwt and DPoP, JWK thumbprints. */
#ifndef HOOKD_OKTA_JWT_H
#define HOOKD_OKTA_JWT_H

#include <stddef.h>
#include <stdint.h>

struct okta_jwt_key;

/*
 * Loads a PEM private key (PKCS#8 or traditional, unencrypted): RSA of at least 2048 bits signs
 * RS256, EC P-256 signs ES256; anything else is refused. Returns NULL and fills err (never with
 * key material). The key is read-only once loaded, so threads may sign with it concurrently.
 */
struct okta_jwt_key *okta_jwt_key_from_pem(const char *pem, size_t len, char *err, size_t errlen);
/* NULL-safe. */
void okta_jwt_key_free(struct okta_jwt_key *k);
/* "RS256" or "ES256". */
const char *okta_jwt_key_alg(const struct okta_jwt_key *k);

/* base64url without padding of p[0..n); malloc'd, NUL-terminated; NULL when out of memory. */
char *okta_base64url(const void *p, size_t n);
/*
 * Decodes base64url (padding optional) into a malloc'd buffer with a NUL after the bytes;
 * *outlen gets the length. NULL when s is not base64url.
 */
unsigned char *okta_base64url_decode(const char *s, size_t n, size_t *outlen);

/*
 * Signs claims_json (an object, used verbatim) into a compact JWS: header {"alg","typ":"JWT"[,"kid"]}.
 * kid may be NULL. ES256 signatures are raw r||s (64 bytes) as JWS requires. Returns a malloc'd
 * token or NULL with err filled.
 */
char *okta_jwt_sign(const struct okta_jwt_key *k, const char *kid, const char *claims_json, char *err, size_t errlen);

/*
 * A fresh key pair for DPoP proofs: alg "ES256" (EC P-256) or "RS256" (RSA 2048). NULL with err
 * filled for another alg or when OpenSSL cannot.
 */
struct okta_jwt_key *okta_jwt_key_generate(const char *alg, char *err, size_t errlen);
/* 1 when a and b hold the same public key. */
int okta_jwt_key_same(const struct okta_jwt_key *a, const struct okta_jwt_key *b);
/*
 * The public half as a JWK holding only the members RFC 7638 requires, in its lexicographic order
 * ({"crv","kty","x","y"} or {"e","kty","n"}), so its SHA-256 is the key's thumbprint. Malloc'd;
 * NULL when out of memory.
 */
char *okta_jwt_key_jwk(const struct okta_jwt_key *k);
/* base64url(SHA-256(okta_jwt_key_jwk(k))): the RFC 7638 thumbprint (cnf.jkt). Malloc'd or NULL. */
char *okta_jwt_key_thumbprint(const struct okta_jwt_key *k);

/*
 * Signs header_json and claims_json (objects, used verbatim) into a compact JWS. Returns a
 * malloc'd token or NULL with err filled.
 */
char *okta_jwt_sign_with_header(const struct okta_jwt_key *k, const char *header_json, const char *claims_json,
				char *err, size_t errlen);

/*
 * The private_key_jwt client assertion for Okta's token endpoint: aud = token_url, iss = sub =
 * client_id, iat = now_s, exp = now_s + 300, a fresh random jti. Returns a malloc'd token or NULL.
 */
char *okta_jwt_client_assertion(const struct okta_jwt_key *k, const char *kid, const char *client_id,
				const char *token_url, int64_t now_s, char *err, size_t errlen);

#endif
