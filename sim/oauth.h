/* oauth.h: the OAuth 2.0 client-credentials token endpoint (private_key_jwt) and the access tokens it issues. */
#ifndef OKTA_SIM_OAUTH_H
#define OKTA_SIM_OAUTH_H

#include <stddef.h>

#include "sim/auth.h"

struct oauth;
struct http_req;

/*
 * A service app with client_id whose public key is the PEM in key_file (a PUBLIC KEY, or a
 * private key whose public half is used). Returns NULL and fills err when the key is unreadable.
 */
struct oauth *oauth_new(const char *client_id, const char *key_file, char *err, size_t errlen);
void oauth_free(struct oauth *o);
/* The principal (actor) events carry for calls made with this client's tokens. */
const struct principal *oauth_principal(const struct oauth *o);

/*
 * POST /oauth2/v1/token: form body already read into r. Verifies the client assertion (signature,
 * aud == <base URL>/oauth2/v1/token, iss == sub == client id, exp in the future and at most one
 * hour ahead, unused jti) and answers with a Bearer token or an OAuth error. o may be NULL (no
 * client configured: every request is invalid_client).
 */
void oauth_token_endpoint(struct oauth *o, struct http_req *r);

/*
 * Looks up a Bearer access token at now_ms (sim clock). Returns 0 and fills who, -1 when unknown,
 * expired or DPoP-bound (a DPoP token is never a Bearer token, RFC 9449 section 7.2).
 */
int oauth_lookup(struct oauth *o, const char *token, long long now_ms, struct principal *who);

/*
 * The app requires DPoP (Okta's "Require Demonstrating Proof of Possession (DPoP) header in token
 * requests"): token requests need a proof with a server nonce (400 invalid_dpop_proof /
 * use_dpop_nonce otherwise), tokens are DPoP-bound to the proof's key (cnf.jkt) and typed DPoP.
 * api_nonce: API calls need a nonce too. A nonce is handed out for nonce_ttl_ms of sim time and
 * accepted three times as long (0: stale at once). Call once before serving.
 */
void oauth_require_dpop(struct oauth *o, int api_nonce, long long nonce_ttl_ms);
/* 1 when o is set and requires DPoP. */
int oauth_requires_dpop(const struct oauth *o);
/* 1 when token is a live DPoP-bound token (presented as Bearer it is refused). */
int oauth_token_bound(struct oauth *o, const char *token, long long now_ms);
/*
 * Authenticates "Authorization: DPoP <token>" on an API call: a live DPoP-bound token and a DPoP
 * header proof for this method and URL (base URL plus decoded path), ath of the token, signed by
 * the bound key, unreplayed, with a nonce when required. Returns 0 with who filled, or -1 after
 * answering 401 with a DPoP WWW-Authenticate challenge (and DPoP-Nonce for use_dpop_nonce).
 */
int oauth_dpop_authenticate(struct oauth *o, struct http_req *r, const char *token, struct principal *who);
/* Answers 401 for a DPoP-bound token presented with the Bearer scheme. */
void oauth_bearer_refused(struct oauth *o, struct http_req *r);

#endif
