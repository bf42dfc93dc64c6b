/* oauth.h: OAuth 2.0 private_key_jwt access tokens for the Management API, cached and shared by workers. */
#ifndef HOOKD_OKTA_OAUTH_H
#define HOOKD_OKTA_OAUTH_H

#include <curl/curl.h>
#include <stdint.h>

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
 * Hands out a bearer token valid for at least another 60 s: the cached one, or a new one fetched
 * with the caller's handle h (one fetch at a time; other callers wait for it and share the result).
 * timeout_ms bounds the fetch. g (may be NULL) learns the token endpoint's rate headers.
 * Returns a malloc'd copy (a secret: wipe and free) or NULL with e filled: OKTA_ERR_OAUTH for the
 * endpoint's refusals (invalid_client for a key Okta does not know), API/TRANSPORT otherwise.
 */
char *okta_oauth_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms,
		       struct okta_error *e);

/* Forgets token if it is still the cached one (the API answered 401 to it). */
void okta_oauth_invalidate(struct okta_oauth *o, const char *token);

#endif
