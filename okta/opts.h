/* opts.h: the Okta client's settings, read from [okta] or the Okta SDKs' OKTA_CLIENT_* variables. */
#ifndef HOOKD_OKTA_OPTS_H
#define HOOKD_OKTA_OPTS_H

#include <stdint.h>

#include "okta/dpop.h"

struct config;

enum okta_auth_mode {
	OKTA_AUTH_SSWS,
	OKTA_AUTH_PRIVATE_KEY,
};

/* Every string is malloc'd and owned by the struct (okta_opts_free); NULL when unset. */
struct okta_opts {
	char *org_url; /* scheme://host[:port], no trailing slash */
	enum okta_auth_mode auth_mode;
	char *api_token;       /* secret (SSWS) */
	char *client_id;       /* private_key */
	char *scopes;	       /* space separated */
	char *private_key_pem; /* secret (private_key) */
	char *key_id;
	enum okta_dpop_mode dpop_mode; /* private_key only */
	char *dpop_key_pem;	       /* secret; NULL: a key is generated at start */
	char *dpop_alg;		       /* of the generated key: ES256 or RS256 */
	char *ca_file;
	int64_t timeout_ms; /* total deadline of one call, retries and waits included */
	int max_retries;
	int rate_reserve;
};

/*
 * Reads [okta] from c; each key left unset there (file or HOOKD_OKTA_*) falls back to the Okta
 * SDK variable: OKTA_CLIENT_ORGURL, OKTA_CLIENT_TOKEN, OKTA_CLIENT_AUTHORIZATIONMODE (SSWS or
 * PrivateKey), OKTA_CLIENT_CLIENTID, OKTA_CLIENT_SCOPES (comma or space separated),
 * OKTA_CLIENT_PRIVATEKEY (PEM text or a file path). Checks the result (URL scheme, the
 * credentials the mode needs, the private key parses) and reports problems with config_report,
 * never quoting a secret. Returns 0 when Okta is configured, 1 when no org URL is set at all (hookd
 * makes no Okta calls; o is zeroed), -1 after reporting problems. o is filled (free it) unless 1.
 */
int okta_opts_from_config(struct config *c, struct okta_opts *o);

/*
 * Checks org_url: https://host[:port] with an optional trailing slash, or http:// only for
 * 127.0.0.1, [::1] or localhost (okta-sim plain mode). Returns 0 and sets *plain_http, or -1 with why.
 */
int okta_opts_check_url(const char *url, int *plain_http, const char **why);

/* Frees the strings (secrets wiped first) and zeroes o; NULL-safe. */
void okta_opts_free(struct okta_opts *o);

#endif
