/* oauth.h: OAuth 2.0 private_key_jwt access tokens (Bearer or DPoP-bound) for the Management API, cached and shared by workers. */
#ifndef HOOKD_OKTA_OAUTH_H
#define HOOKD_OKTA_OAUTH_H

#include <curl/curl.h>
#include <stdint.h>

#include "okta/dpop.h"
#include "okta/error.h"
#include "okta/governor.h"

struct okta_oauth;

/*
 * Prepares token requests to <org_url>/oauth2/v1/token for client_id with scopes (space
 * separated), signing client assertions with the PEM key (kid may be NULL). Copies what it needs.
 * NULL with e filled (kind LOCAL) when the key does not load.
 */
struct okta_oauth *okta_oauth_new(const char *org_url, const char *client_id, const char *scopes, const char *pem,
				  const char *kid, struct okta_error *e);
/* Wipes the cached token; NULL-safe. */
void okta_oauth_free(struct okta_oauth *o);

/*
 * Hands out an access token valid for at least another 60 s (Bearer, or DPoP-bound when the app
 * requires DPoP: then use okta_oauth_authorize, which adds the proof): the cached one, or a new one fetched
 * with the caller's handle h (one fetch at a time; other callers wait for it and share the result).
 * timeout_ms bounds the fetch. g (may be NULL) learns the token endpoint's rate headers.
 * Returns a malloc'd copy (a secret: wipe and free) or NULL with e filled: OKTA_ERR_OAUTH for the
 * endpoint's refusals (invalid_client for a key Okta does not know), API/TRANSPORT otherwise.
 */
char *okta_oauth_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms,
		       struct okta_error *e);

/* Forgets token if it is still the cached one (the API answered 401 to it). */
void okta_oauth_invalidate(struct okta_oauth *o, const char *token);

/*
 * DPoP (RFC 9449) for service apps that require it: mode off (default), on (every token request
 * carries a proof), or auto (start without; the first invalid_dpop_proof from the token endpoint
 * turns proofs on for the life of o). The proof key is the PEM private key pem, or with pem NULL
 * a fresh pair for alg ("ES256" or "RS256"); it must differ from the client-assertion key.
 * Call once, right after okta_oauth_new, before any thread uses o. -1 with e filled (LOCAL).
 */
int okta_oauth_set_dpop(struct okta_oauth *o, enum okta_dpop_mode mode, const char *pem, const char *alg,
			struct okta_error *e);
/* 1 when token requests carry DPoP proofs now (mode on, or auto after the switch). */
int okta_oauth_dpop_active(struct okta_oauth *o);

/* The credentials of one API call; every member is a secret (okta_oauth_auth_free wipes them). */
struct okta_oauth_auth {
	char *authorization; /* "Bearer <token>" or "DPoP <token>" */
	char *dpop;	     /* the DPoP header value for this call, NULL for a Bearer token */
	char *token;	     /* the bare access token, for okta_oauth_invalidate */
};

/*
 * Like okta_oauth_token, and builds what the call method url needs: for a DPoP-bound token a new
 * proof (htm method, htu url without query and with its path percent-decoded, ath of the token,
 * the API's latest nonce). Returns 0 with out filled (free with okta_oauth_auth_free) or -1 with e.
 */
int okta_oauth_authorize(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, const char *method,
			 const char *url, struct okta_oauth_auth *out, struct okta_error *e);
/* Wipes and frees a's members; NULL-safe. */
void okta_oauth_auth_free(struct okta_oauth_auth *a);
/* Remembers a DPoP-Nonce the Management API sent, for the next proofs; no-op when DPoP is off. */
void okta_oauth_api_nonce(struct okta_oauth *o, const char *nonce);

/*
 * Performs one token request now (cache bypassed, and refreshed on success) and says in why what
 * happened: "token request succeeded (DPoP-bound token)" or the clear error (wrong key, DPoP
 * required, clock skew, nonce loop, network). For `hookd doctor`. Returns 0 or -1.
 */
int okta_oauth_probe(struct okta_oauth *o, CURL *h, int64_t timeout_ms, char *why, size_t whylen);

#endif
