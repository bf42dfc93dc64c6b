/* oauth.c: client-credentials grant with a signed client assertion (and a DPoP proof); one token cached under a mutex. */
#include "okta/oauth.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "okta/dpop.h"
#include "okta/http.h"
#include "okta/jwt.h"

/* A token is renewed this long before Okta says it expires. */
#define OAUTH_EARLY_MS 60000
/* JSON tokens in a token response: token_type, access_token, expires_in, scope. */
#define TOKEN_RESP_MAX_TOKENS 64

struct okta_oauth {
	pthread_mutex_t mu;
	char *token_url, *client_id, *scopes, *kid;
	struct okta_jwt_key *key;
	char *token;		/* cached access token, NULL when none */
	int token_dpop;		/* 1: token is DPoP-bound (token_type DPoP) */
	int64_t renew_at_mono;	/* clock_mono_ns()/1e6 after which token is not handed out */
	struct okta_dpop *dpop; /* NULL: DPoP off */
	enum okta_dpop_mode dpop_mode;
	int dpop_on; /* proofs are sent (on, or auto after the first invalid_dpop_proof) */
};

/* Token requests of one fetch: auto's switch, a nonce, a rotated nonce, then give up. */
#define OAUTH_MAX_TOKEN_TRIES 4

static int64_t mono_ms(void)
{
	return clock_mono_ns() / 1000000;
}

struct okta_oauth *okta_oauth_new(const char *org_url, const char *client_id, const char *scopes, const char *pem,
				  const char *kid, struct okta_error *e)
{
	char why[128];
	struct okta_oauth *o = calloc(1, sizeof(*o));
	if (!o) {
		okta_error_local(e, "out of memory");
		return NULL;
	}
	pthread_mutex_init(&o->mu, NULL);
	struct jbuf u;
	jbuf_init(&u);
	jbuf_printf(&u, "%s/oauth2/v1/token", org_url);
	o->token_url = jbuf_take(&u, NULL);
	o->client_id = strdup(client_id ? client_id : "");
	o->scopes = strdup(scopes ? scopes : "");
	o->kid = kid && *kid ? strdup(kid) : NULL;
	if (!o->token_url || !o->client_id || !o->scopes || (kid && *kid && !o->kid)) {
		okta_error_local(e, "out of memory");
		goto fail;
	}
	o->key = okta_jwt_key_from_pem(pem ? pem : "", pem ? strlen(pem) : 0, why, sizeof(why));
	if (!o->key) {
		okta_error_local(e, "private key: %s", why);
		goto fail;
	}
	return o;
fail:
	okta_oauth_free(o);
	return NULL;
}

void okta_oauth_free(struct okta_oauth *o)
{
	if (!o)
		return;
	secure_free(o->token);
	okta_dpop_free(o->dpop);
	okta_jwt_key_free(o->key);
	free(o->token_url);
	free(o->client_id);
	free(o->scopes);
	free(o->kid);
	pthread_mutex_destroy(&o->mu);
	free(o);
}

/* application/x-www-form-urlencoded body of the client-credentials grant. */
static char *token_form(const struct okta_oauth *o, const char *assertion)
{
	char *scope = okta_http_escape(o->scopes);
	char *as = okta_http_escape(assertion);
	struct jbuf b;
	jbuf_init(&b);
	if (scope && as)
		jbuf_printf(
			&b,
			"grant_type=client_credentials&scope=%s"
			"&client_assertion_type=urn%%3Aietf%%3Aparams%%3Aoauth%%3Aclient-assertion-type%%3Ajwt-bearer"
			"&client_assertion=%s",
			scope, as);
	free(scope);
	free(as);
	return scope && as ? jbuf_take(&b, NULL) : (jbuf_free(&b), NULL);
}

/* 1: a Bearer token, 2: a DPoP-bound one, 0: another type. An absent token_type means Bearer. */
static int token_kind(const struct json *j)
{
	int type = json_get(j, 0, "token_type");
	if (type < 0 || json_str_eq(j, type, "Bearer"))
		return 1;
	return json_str_eq(j, type, "DPoP") ? 2 : 0;
}

/* Reads {access_token, token_type, expires_in} into the cache. */
static int take_token(struct okta_oauth *o, const struct okta_http_resp *rs, struct okta_error *e)
{
	struct json j;
	int64_t expires = 3600;
	if (json_parse(&j, rs->body.p, rs->body.n, TOKEN_RESP_MAX_TOKENS, NULL, 0) < 0) {
		okta_error_local(e, "token endpoint answered %d with no JSON body", rs->status);
		return -1;
	}
	char *tok = json_strdup(&j, json_get(&j, 0, "access_token"));
	int kind = token_kind(&j);
	json_int(&j, json_get(&j, 0, "expires_in"), &expires);
	json_free(&j);
	if (!tok || !*tok || !kind || (kind == 2 && !o->dpop_on)) {
		secure_free(tok);
		okta_error_local(e, "%s",
				 !kind	     ? "token endpoint issued a token that is neither Bearer nor DPoP"
				 : kind == 2 ? "token endpoint issued a DPoP token without a DPoP proof"
					     : "token endpoint answered without access_token");
		return -1;
	}
	int64_t early = expires > 2 * OAUTH_EARLY_MS / 1000 ? OAUTH_EARLY_MS : expires * 500;
	secure_free(o->token);
	o->token = tok;
	o->token_dpop = kind == 2;
	o->renew_at_mono = mono_ms() + expires * 1000 - early;
	return 0;
}

/* One POST to the token endpoint with a fresh assertion (and proof when DPoP is on). */
static int token_request(struct okta_oauth *o, CURL *h, int64_t timeout_ms, struct okta_http_resp *rs,
			 struct okta_error *e)
{
	char why[128];
	char *assertion = okta_jwt_client_assertion(o->key, o->kid, o->client_id, o->token_url, clock_now_ms() / 1000,
						    why, sizeof(why));
	if (!assertion) {
		okta_error_local(e, "client assertion: %s", why);
		return -1;
	}
	char *form = token_form(o, assertion);
	secure_free(assertion);
	char *proof = o->dpop_on ? okta_dpop_proof(o->dpop, OKTA_DPOP_TOKEN_SERVER, "POST", o->token_url, NULL, why,
						   sizeof(why))
				 : NULL;
	int rc = -1;
	if (!form || (o->dpop_on && !proof)) {
		okta_error_local(e, "%s%s", form ? "DPoP proof: " : "out of memory", form ? why : "");
		goto done;
	}
	struct okta_http_req rq = {
		.method = "POST",
		.url = o->token_url,
		.content_type = "application/x-www-form-urlencoded",
		.body = form,
		.body_len = strlen(form),
		.timeout_ms = timeout_ms,
		.dpop = proof,
		.connect_timeout_ms = timeout_ms < 5000 ? timeout_ms : 5000,
	};
	metrics_count("hookd_okta_token_fetches_total", NULL, 1);
	rc = okta_http_do(h, &rq, rs, e);
done:
	secure_free(form);
	secure_free(proof);
	return rc;
}

/* What to do after a refused token request. */
enum refusal { GIVE_UP, RETRY };

/* Decides on a refusal already in e; rewrites e's summary into a clear error when giving up. */
static enum refusal on_refusal(struct okta_oauth *o, const struct okta_http_resp *rs, int *nonces, struct okta_error *e)
{
	char desc[sizeof(e->summary)];
	snprintf(desc, sizeof(desc), "%s", e->summary);
	int dpop_error = e->http_status == 400 && e->kind == OKTA_ERR_OAUTH;
	if (dpop_error && strcmp(e->code, "invalid_dpop_proof") == 0 && !o->dpop_on && o->dpop_mode == OKTA_DPOP_AUTO) {
		o->dpop_on = 1;
		log_info("okta: the service app requires DPoP; sending DPoP proofs from now on", "dpop", "auto");
		return RETRY;
	}
	if (dpop_error && strcmp(e->code, "use_dpop_nonce") == 0 && o->dpop_on && rs->dpop_nonce[0] && *nonces < 2) {
		okta_dpop_set_nonce(o->dpop, OKTA_DPOP_TOKEN_SERVER, rs->dpop_nonce);
		metrics_count("hookd_okta_dpop_nonce_retries_total", "server=\"token\"", 1);
		++*nonces;
		return RETRY;
	}
	if (dpop_error && strcmp(e->code, "use_dpop_nonce") == 0)
		snprintf(e->summary, sizeof(e->summary), "DPoP nonce loop: the token endpoint asked for a new nonce %s",
			 rs->dpop_nonce[0] ? "again after each retry with the one it sent"
					   : "without a DPoP-Nonce header");
	else if (dpop_error && strcmp(e->code, "invalid_dpop_proof") == 0 && !o->dpop_on)
		snprintf(e->summary, sizeof(e->summary),
			 "the service app requires DPoP (%.80s): set [okta] dpop = auto or on", desc);
	else if (dpop_error && strcmp(e->code, "invalid_dpop_proof") == 0)
		snprintf(e->summary, sizeof(e->summary),
			 "the token endpoint refused hookd's DPoP proof (%.120s): "
			 "check this host's clock (proofs carry iat) and [okta] dpop_key",
			 desc);
	else if (e->kind == OKTA_ERR_OAUTH && strcmp(e->code, "invalid_client") == 0)
		snprintf(e->summary, sizeof(e->summary),
			 "%.120s (is the public key registered for client_id the one "
			 "of [okta] private_key and key_id?)",
			 desc);
	return GIVE_UP;
}

static int fetch_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, struct okta_error *e)
{
	int64_t deadline = mono_ms() + timeout_ms;
	int nonces = 0, rc = -1;
	for (int tries = 0; tries < OAUTH_MAX_TOKEN_TRIES; tries++) {
		struct okta_http_resp rs;
		int64_t left = deadline - mono_ms();
		if (left <= 0) {
			okta_error_local(e, "deadline passed during the token request");
			e->retryable = 1;
			return -1;
		}
		okta_error_clear(e);
		if (token_request(o, h, left, &rs, e) < 0)
			return -1;
		if (g && rs.have_rate)
			okta_governor_update(g, OKTA_BUCKET_TOKEN, &rs.rate, clock_now_ms());
		enum refusal next = GIVE_UP;
		if (rs.status / 100 == 2) {
			rc = take_token(o, &rs, e);
			if (o->dpop_on && rs.dpop_nonce[0])
				okta_dpop_set_nonce(o->dpop, OKTA_DPOP_TOKEN_SERVER, rs.dpop_nonce);
		} else {
			okta_error_from_http(e, rs.status, rs.body.p, rs.body.n);
			next = on_refusal(o, &rs, &nonces, e);
		}
		if (rs.body.p)
			OPENSSL_cleanse(rs.body.p, rs.body.n);
		OPENSSL_cleanse(rs.dpop_nonce, sizeof(rs.dpop_nonce));
		okta_http_resp_free(&rs);
		if (next == GIVE_UP)
			return rc;
	}
	snprintf(e->summary, sizeof(e->summary), "the token endpoint refused %d DPoP token requests in a row",
		 OAUTH_MAX_TOKEN_TRIES);
	return -1;
}

/* A copy of the cached (or a newly fetched) token and its kind; caller holds nothing. */
static char *token_copy(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, int *dpop,
			struct okta_error *e)
{
	char *copy = NULL;
	pthread_mutex_lock(&o->mu);
	if (!o->token || mono_ms() >= o->renew_at_mono) {
		if (fetch_token(o, h, g, timeout_ms, e) < 0)
			goto done;
	}
	copy = strdup(o->token);
	*dpop = o->token_dpop;
	if (!copy)
		okta_error_local(e, "out of memory");
done:
	pthread_mutex_unlock(&o->mu);
	return copy;
}

char *okta_oauth_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, struct okta_error *e)
{
	int dpop = 0;
	return token_copy(o, h, g, timeout_ms, &dpop, e);
}

int okta_oauth_set_dpop(struct okta_oauth *o, enum okta_dpop_mode mode, const char *pem, const char *alg,
			struct okta_error *e)
{
	char why[128];
	o->dpop_mode = mode;
	o->dpop_on = mode == OKTA_DPOP_ON;
	if (mode == OKTA_DPOP_OFF)
		return 0;
	o->dpop = okta_dpop_new(pem, alg, why, sizeof(why));
	if (!o->dpop) {
		okta_error_local(e, "DPoP key: %s", why);
		return -1;
	}
	if (pem && okta_jwt_key_same(o->key, okta_dpop_key(o->dpop))) {
		okta_error_local(e, "DPoP key: dpop_key must not be the client-assertion key (private_key)");
		return -1;
	}
	return 0;
}

int okta_oauth_dpop_active(struct okta_oauth *o)
{
	pthread_mutex_lock(&o->mu);
	int on = o->dpop_on;
	pthread_mutex_unlock(&o->mu);
	return on;
}

static char *prefixed(const char *scheme, const char *token)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_printf(&b, "%s %s", scheme, token);
	return jbuf_take(&b, NULL);
}

int okta_oauth_authorize(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, const char *method,
			 const char *url, struct okta_oauth_auth *out, struct okta_error *e)
{
	char why[128];
	int dpop = 0;
	memset(out, 0, sizeof(*out));
	out->token = token_copy(o, h, g, timeout_ms, &dpop, e);
	if (!out->token)
		return -1;
	out->authorization = prefixed(dpop ? "DPoP" : "Bearer", out->token);
	if (dpop &&
	    !(out->dpop = okta_dpop_proof(o->dpop, OKTA_DPOP_API_SERVER, method, url, out->token, why, sizeof(why)))) {
		okta_oauth_auth_free(out);
		okta_error_local(e, "DPoP proof: %s", why);
		return -1;
	}
	if (!out->authorization) {
		okta_oauth_auth_free(out);
		okta_error_local(e, "out of memory");
		return -1;
	}
	return 0;
}

void okta_oauth_auth_free(struct okta_oauth_auth *a)
{
	if (!a)
		return;
	secure_free(a->authorization);
	secure_free(a->dpop);
	secure_free(a->token);
	memset(a, 0, sizeof(*a));
}

void okta_oauth_api_nonce(struct okta_oauth *o, const char *nonce)
{
	if (o->dpop && nonce && *nonce)
		okta_dpop_set_nonce(o->dpop, OKTA_DPOP_API_SERVER, nonce);
}

int okta_oauth_probe(struct okta_oauth *o, CURL *h, int64_t timeout_ms, char *why, size_t whylen)
{
	struct okta_error e;
	okta_error_clear(&e);
	pthread_mutex_lock(&o->mu);
	int rc = fetch_token(o, h, NULL, timeout_ms, &e);
	int dpop = rc == 0 && o->token_dpop;
	pthread_mutex_unlock(&o->mu);
	if (rc == 0)
		snprintf(why, whylen, "token request succeeded (%s token%s)", dpop ? "DPoP-bound" : "Bearer",
			 o->dpop_mode == OKTA_DPOP_AUTO && dpop ? ", found by dpop = auto" : "");
	else
		okta_error_format(&e, why, whylen);
	return rc;
}

void okta_oauth_invalidate(struct okta_oauth *o, const char *token)
{
	pthread_mutex_lock(&o->mu);
	if (o->token && token && strcmp(o->token, token) == 0) {
		secure_free(o->token);
		o->token = NULL;
	}
	pthread_mutex_unlock(&o->mu);
}
