/* dpop.h: DPoP proofs (RFC 9449) for Okta's token endpoint and the Management API, and the nonces Okta hands out. */
#ifndef HOOKD_OKTA_DPOP_H
#define HOOKD_OKTA_DPOP_H

#include <stddef.h>
#include <stdint.h>

struct okta_jwt_key;

/* When hookd sends proofs: never, always, or from the first invalid_dpop_proof on (remembered). */
enum okta_dpop_mode { OKTA_DPOP_AUTO, OKTA_DPOP_ON, OKTA_DPOP_OFF };

/* Which server a nonce came from: the token endpoint and the resource server keep their own. */
enum okta_dpop_server { OKTA_DPOP_TOKEN_SERVER, OKTA_DPOP_API_SERVER };

/* A DPoP key pair and the latest nonces; thread-safe. */
struct okta_dpop;

/*
 * Loads the PEM private key (RSA 2048+ for RS256, EC P-256 for ES256), or with pem NULL generates a
 * fresh pair for alg ("ES256" or "RS256"; NULL: ES256). NULL with err filled (never key material).
 */
struct okta_dpop *okta_dpop_new(const char *pem, const char *alg, char *err, size_t errlen);
/* NULL-safe; wipes the nonces. */
void okta_dpop_free(struct okta_dpop *d);
/* The proof key, borrowed (lives as long as d). */
const struct okta_jwt_key *okta_dpop_key(const struct okta_dpop *d);
/* "ES256" or "RS256". */
const char *okta_dpop_alg(const struct okta_dpop *d);
/* The key's RFC 7638 thumbprint (what Okta puts in the token's cnf.jkt); malloc'd or NULL. */
char *okta_dpop_thumbprint(const struct okta_dpop *d);

/*
 * The htu claim for url: scheme, authority and the percent-DECODED path, without query or
 * fragment ("https://o.okta.com/api/v1/users/ann%40example.com?x=1" gives
 * ".../users/ann@example.com"), as Okta compares it. Malloc'd; NULL for a URL without "://", a bad
 * escape, or one that decodes to a NUL or control byte.
 */
char *okta_dpop_htu(const char *url);

/*
 * A proof for method url at now_s: header {typ: "dpop+jwt", alg, jwk}, claims {htm, htu, iat, jti
 * (fresh random)}, plus nonce when not NULL and ath = base64url(SHA-256(access_token)) when
 * access_token is not NULL (API calls). Malloc'd (a credential: never log it) or NULL with err.
 */
char *okta_dpop_proof_at(const struct okta_dpop *d, const char *method, const char *url, const char *access_token,
			 const char *nonce, int64_t now_s, char *err, size_t errlen);
/* okta_dpop_proof_at with the wall clock and the latest nonce from server (if any). */
char *okta_dpop_proof(struct okta_dpop *d, enum okta_dpop_server server, const char *method, const char *url,
		      const char *access_token, char *err, size_t errlen);

/* Remembers nonce (a DPoP-Nonce header value) for server; a NULL or empty nonce forgets it. */
void okta_dpop_set_nonce(struct okta_dpop *d, enum okta_dpop_server server, const char *nonce);
/* 1 when a nonce from server is remembered. */
int okta_dpop_has_nonce(struct okta_dpop *d, enum okta_dpop_server server);

/*
 * Reads a WWW-Authenticate value: 1 when it is a DPoP challenge ("DPoP ..." scheme) with an error
 * parameter, copied (truncated) into error and its error_description into desc ("" when absent);
 * 0 otherwise. www is untrusted: any NUL-terminated string is safe.
 */
int okta_dpop_challenge(const char *www, char *error, size_t errorlen, char *desc, size_t desclen);

/* "auto", "on", "off" into *out; -1 for anything else. */
int okta_dpop_mode_parse(const char *s, enum okta_dpop_mode *out);

#endif
