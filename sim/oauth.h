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

/* Looks up an access token at now_ms (sim clock). Returns 0 and fills who, -1 when unknown or expired. */
int oauth_lookup(struct oauth *o, const char *token, long long now_ms, struct principal *who);

#endif
