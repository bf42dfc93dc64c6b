/* dpop.h: DPoP proof validation (RFC 9449) for apps that require it: proofs, nonces, replayed jtis. */
#ifndef OKTA_SIM_DPOP_H
#define OKTA_SIM_DPOP_H

#include <stddef.h>
#include <stdint.h>

/* The algorithms okta-sim accepts in proofs, as Okta lists them in WWW-Authenticate algs="...". */
#define DPOP_ALGS "RS256 RS384 RS512 ES256 ES384 ES512"
/* A proof's iat may be this far behind or ahead of the sim clock. */
#define DPOP_IAT_PAST_S 300
#define DPOP_IAT_FUTURE_S 60
/* By default a nonce is handed out for this long, and accepted for three times as long (Okta: 24 h and 3 days). */
#define DPOP_NONCE_ROTATE_MS (24LL * 3600 * 1000)

/* What a proof says; absent strings are "". */
struct dpop_proof {
	char alg[8];
	char jkt[48]; /* RFC 7638 SHA-256 thumbprint of the header's jwk, base64url */
	char htm[16];
	char htu[1200];
	char jti[128];
	char ath[64];
	char nonce[128];
	int64_t iat;
};

/*
 * Decodes and checks one proof on its own: three base64url parts, header typ "dpop+jwt", alg in
 * DPOP_ALGS, a public jwk (EC P-256/384/521 or RSA 2048+, no private members) that verifies the
 * signature, claims htm, htu, iat (integer) and jti present, ath and nonce strings when present.
 * Returns 0 with p filled, or -1 with an error_description in err. Reads only proof[0..n).
 */
int dpop_parse(const char *proof, size_t n, struct dpop_proof *p, char *err, size_t errlen);

/* The org's DPoP state: nonces and the jtis seen. Thread-safe. */
struct dpop;

/*
 * api_nonce: resource calls need a nonce too (Okta does not require it today; RFC 9449 allows it).
 * rotate_ms: a nonce is handed out this long and accepted three times as long; 0 makes every nonce
 * stale at once (a server whose nodes disagree: clients must give up rather than loop).
 */
struct dpop *dpop_new(int api_nonce, long long rotate_ms);
void dpop_free(struct dpop *d);
/* 1 when the API (not only the token endpoint) requires a nonce. */
int dpop_api_nonce(const struct dpop *d);
/* The nonce to hand out now (a new one every rotate_ms of sim time), into out. */
void dpop_nonce(struct dpop *d, long long now_ms, char out[33]);

/* What the request a proof comes with must match. */
struct dpop_expect {
	const char *htm;	  /* request method */
	const char *htu;	  /* scheme://host[:port] + percent-decoded path, no query */
	const char *access_token; /* API calls: ath must be its hash; NULL at the token endpoint */
	const char *jkt;	  /* API calls: the key the token is bound to; NULL at the token endpoint */
	int need_nonce;
};

enum dpop_verdict { DPOP_OK, DPOP_INVALID, DPOP_USE_NONCE };

/*
 * Full validation at now_ms (sim clock): dpop_parse, then htm, htu, iat window, ath, the bound
 * key, the nonce (absent or no longer accepted: DPOP_USE_NONCE) and jti replay. On DPOP_OK the jti
 * is remembered and p is filled; otherwise err holds the error_description.
 */
enum dpop_verdict dpop_check(struct dpop *d, const char *proof, const struct dpop_expect *x, long long now_ms,
			     struct dpop_proof *p, char *err, size_t errlen);

#endif
