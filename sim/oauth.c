/* oauth.c: the client-credentials token endpoint with private_key_jwt assertions, and issued Bearer tokens. */
#include "sim/oauth.h"

#include <openssl/crypto.h>
#include <openssl/pem.h>
#include <openssl/sha.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/jbuf.h"
#include "sim/http.h"
#include "sim/jwt.h"
#include "sim/sim.h"

#define TOKEN_TTL_S 3600
#define MAX_TOKENS 10000
#define MAX_JTIS 100000
#define ASSERTION_TYPE "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

struct issued {
	unsigned char hash[SHA256_DIGEST_LENGTH];
	long long exp_ms;
	unsigned scopes;
};

struct seen_jti {
	char *jti;
	long long exp_ms;
};

struct oauth {
	pthread_mutex_t mu;
	char *client_id;
	EVP_PKEY *key;
	struct principal app;
	struct issued *tok;
	int ntok;
	struct seen_jti *jti;
	int njti;
};

static EVP_PKEY *load_key(const char *file, char *err, size_t errlen)
{
	BIO *bio = BIO_new_file(file, "r");
	if (!bio) {
		snprintf(err, errlen, "cannot open OAuth public key %s", file);
		return NULL;
	}
	EVP_PKEY *k = PEM_read_bio_PUBKEY(bio, NULL, NULL, NULL);
	if (!k) {
		(void)BIO_reset(bio);
		k = PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL);
	}
	BIO_free(bio);
	if (!k)
		snprintf(err, errlen, "%s holds no PEM public (or private) key", file);
	return k;
}

struct oauth *oauth_new(const char *client_id, const char *key_file, char *err, size_t errlen)
{
	EVP_PKEY *k = load_key(key_file, err, errlen);
	if (!k)
		return NULL;
	int id = EVP_PKEY_get_base_id(k);
	if (id != EVP_PKEY_RSA && id != EVP_PKEY_EC) {
		snprintf(err, errlen, "%s: only RSA and EC keys are supported", key_file);
		EVP_PKEY_free(k);
		return NULL;
	}
	struct oauth *o = sim_xcalloc(1, sizeof(*o));
	pthread_mutex_init(&o->mu, NULL);
	o->client_id = sim_strdup(client_id);
	o->key = k;
	snprintf(o->app.id, sizeof(o->app.id), "%.39s", client_id);
	snprintf(o->app.type, sizeof(o->app.type), "PublicClientApp");
	snprintf(o->app.alternate_id, sizeof(o->app.alternate_id), "%s", client_id);
	snprintf(o->app.display_name, sizeof(o->app.display_name), "okta-sim service app");
	return o;
}

void oauth_free(struct oauth *o)
{
	if (!o)
		return;
	for (int i = 0; i < o->njti; i++)
		free(o->jti[i].jti);
	free(o->jti);
	free(o->tok);
	free(o->client_id);
	EVP_PKEY_free(o->key);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

const struct principal *oauth_principal(const struct oauth *o)
{
	return &o->app;
}

/* Caller holds o->mu. Forgets expired jtis; returns 1 when jti is still remembered. */
static int jti_seen(struct oauth *o, const char *jti, long long now_ms)
{
	int k = 0, seen = 0;
	for (int i = 0; i < o->njti; i++) {
		if (o->jti[i].exp_ms <= now_ms) {
			free(o->jti[i].jti);
			continue;
		}
		seen |= strcmp(o->jti[i].jti, jti) == 0;
		o->jti[k++] = o->jti[i];
	}
	o->njti = k;
	return seen;
}

static void jti_remember(struct oauth *o, const char *jti, long long exp_ms)
{
	if (o->njti == MAX_JTIS) {
		free(o->jti[0].jti);
		memmove(o->jti, o->jti + 1, sizeof(o->jti[0]) * (size_t)(o->njti - 1));
		o->njti--;
	}
	o->jti = sim_xrealloc(o->jti, sizeof(o->jti[0]) * (size_t)(o->njti + 1));
	o->jti[o->njti].jti = sim_strdup(jti);
	o->jti[o->njti].exp_ms = exp_ms;
	o->njti++;
}

static void token_issue(struct oauth *o, unsigned scopes, long long now_ms, char out[48])
{
	memcpy(out, "sim.", 4);
	sim_random_alnum(out + 4, 40);
	int k = 0;
	for (int i = 0; i < o->ntok; i++)
		if (o->tok[i].exp_ms > now_ms)
			o->tok[k++] = o->tok[i];
	o->ntok = k;
	if (o->ntok == MAX_TOKENS) {
		memmove(o->tok, o->tok + 1, sizeof(o->tok[0]) * (size_t)(o->ntok - 1));
		o->ntok--;
	}
	o->tok = sim_xrealloc(o->tok, sizeof(o->tok[0]) * (size_t)(o->ntok + 1));
	SHA256((const unsigned char *)out, strlen(out), o->tok[o->ntok].hash);
	o->tok[o->ntok].exp_ms = now_ms + TOKEN_TTL_S * 1000LL;
	o->tok[o->ntok].scopes = scopes;
	o->ntok++;
}

int oauth_lookup(struct oauth *o, const char *token, long long now_ms, struct principal *who)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)token, strlen(token), h);
	int found = -1;
	pthread_mutex_lock(&o->mu);
	for (int i = 0; i < o->ntok; i++) {
		if (CRYPTO_memcmp(h, o->tok[i].hash, sizeof(h)) == 0 && o->tok[i].exp_ms > now_ms) {
			*who = o->app;
			who->scopes = o->tok[i].scopes;
			found = 0;
		}
	}
	pthread_mutex_unlock(&o->mu);
	return found;
}

static int aud_ok(const struct jwt_claims *c, const char *want)
{
	for (int i = 0; i < c->naud; i++)
		if (strcmp(c->aud[i], want) == 0)
			return 1;
	return 0;
}

/* Claim checks after the signature; returns NULL when fine, else the error_description. */
static const char *check_claims(struct oauth *o, const struct jwt_claims *c, const char *token_url, long long now_ms,
				char *why, size_t whyn)
{
	long long now_s = now_ms / 1000;
	if (strcmp(c->iss, o->client_id) != 0 || strcmp(c->sub, o->client_id) != 0)
		return "The client_assertion token must have iss and sub claims equal to the client_id.";
	if (!aud_ok(c, token_url)) {
		snprintf(why, whyn, "The audience of the client_assertion token is invalid: it must be %s.", token_url);
		return why;
	}
	if (!c->has_exp)
		return "The client_assertion token must have an exp claim.";
	if (c->exp <= now_s)
		return "The client_assertion token is expired.";
	if (c->exp > now_s + 3600)
		return "The client_assertion token has an expiration too far into the future (at most one hour).";
	if (c->has_nbf && c->nbf > now_s + 60)
		return "The client_assertion token is not valid yet (nbf).";
	if (!c->jti[0])
		return "The client_assertion token must have a jti claim.";
	return NULL;
}

static void reply_token(struct http_req *r, const char *token, unsigned scopes)
{
	char scope[128];
	auth_scopes_format(scopes, scope, sizeof(scope));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "token_type", "Bearer");
	jbuf_key_int(&b, "expires_in", TOKEN_TTL_S);
	jbuf_key_str(&b, "access_token", token);
	jbuf_key_str(&b, "scope", scope);
	jbuf_obj_close(&b);
	http_add_header(r, "Cache-Control", "no-store");
	http_add_header(r, "Pragma", "no-cache");
	http_reply_jbuf(r, 200, &b);
}

/* Grants the requested scopes or answers invalid_scope; returns -1 when it answered. */
static int requested_scopes(struct http_req *r, unsigned *scopes)
{
	char scope[1024], bad[256], desc[400];
	int rc = http_form(r->body, r->body_len, "scope", scope, sizeof(scope));
	if (rc <= 0 || !scope[0]) {
		http_oauth_error(r, 400, "invalid_scope",
				 "The authorization server resource does not have any configured default scopes, "
				 "'scope' must be provided.");
		return -1;
	}
	if (auth_scopes_parse(scope, scopes, bad, sizeof(bad)) < 0) {
		snprintf(desc, sizeof(desc),
			 "One or more scopes are not configured for the authorization server resource: %s", bad);
		http_oauth_error(r, 400, "invalid_scope", desc);
		return -1;
	}
	return 0;
}

/* Checks the client assertion; returns -1 after answering invalid_client. */
static int client_authenticate(struct oauth *o, struct http_req *r, long long now_ms)
{
	char type[128], cid[256], err[256], why[700], token_url[400];
	struct jwt_claims c;
	const char *bad = NULL;
	char *as = sim_xcalloc(1, 16384);
	if (http_form(r->body, r->body_len, "client_assertion_type", type, sizeof(type)) <= 0 ||
	    strcmp(type, ASSERTION_TYPE) != 0)
		bad = "Client authentication failed: client_assertion_type must be " ASSERTION_TYPE ".";
	else if (http_form(r->body, r->body_len, "client_assertion", as, 16384) <= 0)
		bad = "Client authentication failed: client_assertion is missing or longer than 16 KiB.";
	else if (http_form(r->body, r->body_len, "client_id", cid, sizeof(cid)) > 0 && strcmp(cid, o->client_id))
		bad = "Client authentication failed: client_id does not match the client_assertion.";
	else if (jwt_verify(as, o->key, &c, err, sizeof(err)) < 0)
		bad = err;
	snprintf(token_url, sizeof(token_url), "%s/oauth2/v1/token", r->sim->base_url);
	if (!bad)
		bad = check_claims(o, &c, token_url, now_ms, why, sizeof(why));
	if (!bad) {
		pthread_mutex_lock(&o->mu);
		if (jti_seen(o, c.jti, now_ms))
			bad = "The client_assertion token has already been used (jti replay).";
		else
			jti_remember(o, c.jti, c.exp * 1000LL);
		pthread_mutex_unlock(&o->mu);
	}
	free(as);
	if (bad) {
		http_oauth_error(r, 401, "invalid_client", bad);
		return -1;
	}
	return 0;
}

void oauth_token_endpoint(struct oauth *o, struct http_req *r)
{
	char grant[64];
	const char *ct = http_header_in(r, "Content-Type");
	if (!ct || strncasecmp(ct, "application/x-www-form-urlencoded", 33) != 0) {
		http_oauth_error(r, 400, "invalid_request",
				 "The token request must have Content-Type application/x-www-form-urlencoded.");
		return;
	}
	if (http_form(r->body, r->body_len, "grant_type", grant, sizeof(grant)) <= 0 ||
	    strcmp(grant, "client_credentials") != 0) {
		http_oauth_error(r, 400, "unsupported_grant_type",
				 "The authorization grant type is not supported by the authorization server. "
				 "Configured grant types: [client_credentials].");
		return;
	}
	if (!o) {
		http_oauth_error(r, 401, "invalid_client",
				 "Client authentication failed: okta-sim runs without --oauth-client-id.");
		return;
	}
	long long now_ms = sim_now_ms(r->sim);
	unsigned scopes;
	if (client_authenticate(o, r, now_ms) < 0 || requested_scopes(r, &scopes) < 0)
		return;
	char token[48];
	pthread_mutex_lock(&o->mu);
	token_issue(o, scopes, now_ms, token);
	pthread_mutex_unlock(&o->mu);
	reply_token(r, token, scopes);
}
