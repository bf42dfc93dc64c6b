/* auth.c: the SSWS API token's principal, Authorization header checks and OAuth scope bits. */
#include "sim/auth.h"

#include <openssl/crypto.h>
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/oauth.h"
#include "sim/sim.h"

struct auth {
	unsigned char token_hash[SHA256_DIGEST_LENGTH];
	struct principal admin;
	char token_id[24]; /* the token's own id (00T...), as Okta shows in Security > API */
};

static const char *const scope_names[] = { "okta.users.read", "okta.users.manage", "okta.eventHooks.read",
					   "okta.eventHooks.manage", "okta.logs.read" };

static void hash_str(const char *s, size_t n, unsigned char out[SHA256_DIGEST_LENGTH])
{
	SHA256((const unsigned char *)s, n, out);
}

/* A stable 20-char id (prefix + 17 alphanumerics) from a hash of label and token: reveals nothing usable. */
static void derive_id(char out[24], const char *prefix, const char *label, const char *token)
{
	static const char alnum[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
	unsigned char h[SHA256_DIGEST_LENGTH];
	char seed[512];
	snprintf(seed, sizeof(seed), "okta-sim %s:%s", label, token);
	hash_str(seed, strlen(seed), h);
	memcpy(out, prefix, 3);
	for (int i = 0; i < 17; i++)
		out[3 + i] = alnum[h[i] % 62];
	out[20] = '\0';
}

struct auth *auth_new(const char *token)
{
	struct auth *a = sim_xcalloc(1, sizeof(*a));
	hash_str(token, strlen(token), a->token_hash);
	derive_id(a->admin.id, "00u", "actor id", token);
	derive_id(a->token_id, "00T", "token id", token);
	snprintf(a->admin.type, sizeof(a->admin.type), "User");
	snprintf(a->admin.alternate_id, sizeof(a->admin.alternate_id), "okta-sim.admin@example.com");
	snprintf(a->admin.display_name, sizeof(a->admin.display_name), "okta-sim API token admin");
	a->admin.scopes = SCOPE_ALL;
	return a;
}

void auth_free(struct auth *a)
{
	free(a);
}

const struct principal *auth_ssws_principal(const struct auth *a)
{
	return &a->admin;
}

const char *auth_ssws_token_id(const struct auth *a)
{
	return a->token_id;
}

int auth_check(const struct auth *a, struct oauth *o, const char *header, long long now_ms, struct principal *who)
{
	if (!header)
		return -1;
	if (strncmp(header, "SSWS ", 5) == 0) {
		unsigned char h[SHA256_DIGEST_LENGTH];
		hash_str(header + 5, strlen(header + 5), h);
		if (CRYPTO_memcmp(h, a->token_hash, sizeof(h)) != 0)
			return -1;
		*who = a->admin;
		return 0;
	}
	if (strncmp(header, "Bearer ", 7) == 0 && o)
		return oauth_lookup(o, header + 7, now_ms, who);
	return -1;
}

int auth_allows(const struct principal *who, enum auth_need need)
{
	switch (need) {
	case NEED_NONE: return 1;
	case NEED_USERS_READ: return (who->scopes & (SCOPE_USERS_READ | SCOPE_USERS_MANAGE)) != 0;
	case NEED_USERS_MANAGE: return (who->scopes & SCOPE_USERS_MANAGE) != 0;
	case NEED_HOOKS_READ: return (who->scopes & (SCOPE_HOOKS_READ | SCOPE_HOOKS_MANAGE)) != 0;
	case NEED_HOOKS_MANAGE: return (who->scopes & SCOPE_HOOKS_MANAGE) != 0;
	case NEED_LOGS_READ: return (who->scopes & SCOPE_LOGS_READ) != 0;
	}
	return 0;
}

int auth_scopes_parse(const char *s, unsigned *out, char *bad, size_t badn)
{
	*out = 0;
	while (*s) {
		while (*s == ' ')
			s++;
		size_t n = strcspn(s, " ");
		if (n == 0)
			break;
		unsigned bit = 0;
		for (unsigned i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]); i++)
			if (strlen(scope_names[i]) == n && strncmp(s, scope_names[i], n) == 0)
				bit = 1u << i;
		if (!bit) {
			snprintf(bad, badn, "%.*s", (int)(n > 200 ? 200 : n), s);
			return -1;
		}
		*out |= bit;
		s += n;
	}
	return 0;
}

void auth_scopes_format(unsigned scopes, char *out, size_t n)
{
	size_t used = 0;
	out[0] = '\0';
	for (unsigned i = 0; i < sizeof(scope_names) / sizeof(scope_names[0]) && used < n; i++)
		if (scopes & (1u << i))
			used += (size_t)snprintf(out + used, n - used, "%s%s", used ? " " : "", scope_names[i]);
}
