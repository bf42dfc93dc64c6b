/* oauth.c: the client-credentials token endpoint with private_key_jwt assertions, issued Bearer and DPoP-bound tokens. */
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
#include "sim/dpop.h"
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
	char jkt[48]; /* cnf.jkt of a DPoP-bound token, "" for a Bearer token */
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
	struct dpop *dpop; /* NULL: the app does not require DPoP */
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
	dpop_free(o->dpop);
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

static void token_issue(struct oauth *o, unsigned scopes, const char *jkt, long long now_ms, char out[48])
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
	snprintf(o->tok[o->ntok].jkt, sizeof(o->tok[0].jkt), "%s", jkt ? jkt : "");
	o->ntok++;
}

/* The live token whose hash matches, or NULL; caller holds o->mu. */
static const struct issued *token_find(const struct oauth *o, const char *token, long long now_ms)
{
	unsigned char h[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)token, strlen(token), h);
	const struct issued *found = NULL;
	for (int i = 0; i < o->ntok; i++)
		if (CRYPTO_memcmp(h, o->tok[i].hash, sizeof(h)) == 0 && o->tok[i].exp_ms > now_ms)
			found = &o->tok[i];
	return found;
}

int oauth_lookup(struct oauth *o, const char *token, long long now_ms, struct principal *who)
{
	int rc = -1;
	pthread_mutex_lock(&o->mu);
	const struct issued *t = token_find(o, token, now_ms);
	if (t && !t->jkt[0]) {
		*who = o->app;
		who->scopes = t->scopes;
		rc = 0;
	}
	pthread_mutex_unlock(&o->mu);
	return rc;
}

int oauth_token_bound(struct oauth *o, const char *token, long long now_ms)
{
	pthread_mutex_lock(&o->mu);
	const struct issued *t = token_find(o, token, now_ms);
	int bound = t && t->jkt[0];
	pthread_mutex_unlock(&o->mu);
	return bound;
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

static void reply_token(struct http_req *r, const char *token, unsigned scopes, int dpop)
{
	char scope[128];
	auth_scopes_format(scopes, scope, sizeof(scope));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "token_type", dpop ? "DPoP" : "Bearer");
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

static int token_proof(struct oauth *o, struct http_req *r, long long now_ms, char jkt[48]);

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
	char jkt[48] = "";
	if (o->dpop && token_proof(o, r, now_ms, jkt) < 0)
		return;
	if (client_authenticate(o, r, now_ms) < 0 || requested_scopes(r, &scopes) < 0)
		return;
	char token[48];
	pthread_mutex_lock(&o->mu);
	token_issue(o, scopes, jkt, now_ms, token);
	pthread_mutex_unlock(&o->mu);
	reply_token(r, token, scopes, o->dpop != NULL);
}

void oauth_require_dpop(struct oauth *o, int api_nonce, long long nonce_ttl_ms)
{
	o->dpop = dpop_new(api_nonce, nonce_ttl_ms);
}

int oauth_requires_dpop(const struct oauth *o)
{
	return o && o->dpop;
}

/* Answers 400 invalid_dpop_proof, or use_dpop_nonce with a DPoP-Nonce header. */
static void token_proof_refused(struct oauth *o, struct http_req *r, enum dpop_verdict v, const char *why,
				long long now_ms)
{
	char nonce[33];
	if (v == DPOP_USE_NONCE) {
		dpop_nonce(o->dpop, now_ms, nonce);
		http_add_header(r, "DPoP-Nonce", nonce);
	}
	http_oauth_error(r, 400, v == DPOP_USE_NONCE ? "use_dpop_nonce" : "invalid_dpop_proof", why);
}

/*
 * A DPoP app's token request must carry a proof for POST <base>/oauth2/v1/token with a nonce the
 * server issued (Okta checks it before the client assertion). Returns 0 with the key's thumbprint
 * in jkt, or -1 after answering.
 */
static int token_proof(struct oauth *o, struct http_req *r, long long now_ms, char jkt[48])
{
	char token_url[400], why[400];
	struct dpop_proof p;
	snprintf(token_url, sizeof(token_url), "%s/oauth2/v1/token", r->sim->base_url);
	struct dpop_expect x = { .htm = "POST", .htu = token_url, .need_nonce = 1 };
	enum dpop_verdict v = dpop_check(o->dpop, http_header_in(r, "DPoP"), &x, now_ms, &p, why, sizeof(why));
	if (v != DPOP_OK) {
		token_proof_refused(o, r, v, why, now_ms);
		return -1;
	}
	memcpy(jkt, p.jkt, 48);
	return 0;
}

/* 401 with a DPoP challenge (and a fresh nonce for use_dpop_nonce) and Okta's E0000011 body. */
static void dpop_challenge(struct oauth *o, struct http_req *r, const char *error, const char *why, long long now_ms)
{
	char www[600], nonce[33];
	snprintf(www, sizeof(www), "DPoP algs=\"%s\", error=\"%s\", error_description=\"%s\"", DPOP_ALGS, error, why);
	http_add_header(r, "WWW-Authenticate", www);
	if (strcmp(error, "use_dpop_nonce") == 0) {
		dpop_nonce(o->dpop, now_ms, nonce);
		http_add_header(r, "DPoP-Nonce", nonce);
	}
	http_okta_error(r, 401, "E0000011", "Invalid token provided", NULL);
}

/* "<base URL>/<decoded segments>": the htu an API request must be proven for. */
static void request_htu(const struct http_req *r, char *out, size_t n)
{
	size_t used = (size_t)snprintf(out, n, "%s", r->sim->base_url);
	for (int i = 0; i < r->nseg && used < n; i++)
		used += (size_t)snprintf(out + used, n - used, "/%s", r->seg[i]);
}

int oauth_dpop_authenticate(struct oauth *o, struct http_req *r, const char *token, struct principal *who)
{
	char htu[1400], why[400];
	long long now_ms = sim_now_ms(r->sim);
	struct issued t = { .exp_ms = 0 };
	pthread_mutex_lock(&o->mu);
	const struct issued *f = token_find(o, token, now_ms);
	if (f)
		t = *f;
	pthread_mutex_unlock(&o->mu);
	if (!o->dpop || !t.jkt[0]) {
		if (o->dpop)
			dpop_challenge(o, r, "invalid_token", "The access token is invalid or expired.", now_ms);
		else
			http_okta_error(r, 401, "E0000011", "Invalid token provided", NULL);
		return -1;
	}
	request_htu(r, htu, sizeof(htu));
	struct dpop_proof p;
	struct dpop_expect x = {
		.htm = r->method, .htu = htu, .access_token = token, .jkt = t.jkt, .need_nonce = dpop_api_nonce(o->dpop)
	};
	enum dpop_verdict v = dpop_check(o->dpop, http_header_in(r, "DPoP"), &x, now_ms, &p, why, sizeof(why));
	if (v != DPOP_OK) {
		dpop_challenge(o, r, v == DPOP_USE_NONCE ? "use_dpop_nonce" : "invalid_dpop_proof", why, now_ms);
		return -1;
	}
	*who = o->app;
	who->scopes = t.scopes;
	return 0;
}

void oauth_bearer_refused(struct oauth *o, struct http_req *r)
{
	dpop_challenge(o, r, "invalid_token",
		       "The access token is DPoP-bound: send it with the DPoP scheme and a proof.", sim_now_ms(r->sim));
}
