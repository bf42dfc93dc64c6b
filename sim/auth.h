/* auth.h: who is calling: the SSWS API token's principal, Bearer tokens from oauth.c, and scope checks. */
#ifndef OKTA_SIM_AUTH_H
#define OKTA_SIM_AUTH_H

#include <stddef.h>

#include "sim/principal.h"

/* OAuth scopes as bits; an SSWS token holds them all (it acts as a super admin). */
enum {
	SCOPE_USERS_READ = 1,
	SCOPE_USERS_MANAGE = 2,
	SCOPE_HOOKS_READ = 4,
	SCOPE_HOOKS_MANAGE = 8,
	SCOPE_LOGS_READ = 16,
	SCOPE_ALL = 31,
};

/* What a route needs; "read" is also satisfied by the matching "manage" scope (as in Okta). */
enum auth_need {
	NEED_NONE,
	NEED_USERS_READ,
	NEED_USERS_MANAGE,
	NEED_HOOKS_READ,
	NEED_HOOKS_MANAGE,
	NEED_LOGS_READ,
};

struct auth;
struct oauth;

/* token is the SSWS API token (borrowed, must outlive the struct). */
struct auth *auth_new(const char *token);
void auth_free(struct auth *a);
/* The fixed principal behind the SSWS token (id derived from the token, stable across restarts). */
const struct principal *auth_ssws_principal(const struct auth *a);
/* The SSWS token's own id ("00T" + 17 alphanumerics, stable per token): LogEvents' requestApiTokenId. */
const char *auth_ssws_token_id(const struct auth *a);

/*
 * Checks an Authorization header value ("SSWS x" or "Bearer x"; NULL when absent) in constant
 * time against the token, or looks the Bearer token up in o (may be NULL). Returns 0 and fills
 * who, or -1 for missing/invalid credentials (401 E0000011).
 */
int auth_check(const struct auth *a, struct oauth *o, const char *header, long long now_ms, struct principal *who);
/* 1 when who's scopes satisfy need. */
int auth_allows(const struct principal *who, enum auth_need need);
/* Space-separated scope names into bits; -1 (and the first bad name in bad) for an unknown one. */
int auth_scopes_parse(const char *s, unsigned *out, char *bad, size_t badn);
/* Bits back into a space-separated string. */
void auth_scopes_format(unsigned scopes, char *out, size_t n);

#endif
