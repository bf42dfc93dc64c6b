/* oauth.c: client-credentials grant with a signed client assertion; one token cached under a mutex. */
#include "okta/oauth.h"

#include <openssl/crypto.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "okta/http.h"
#include "okta/jwt.h"

/* A token is renewed this long before Okta says it expires. */
#define OAUTH_EARLY_MS 60000

struct okta_oauth {
	pthread_mutex_t mu;
	char *token_url, *client_id, *scopes, *kid;
	struct okta_jwt_key *key;
	char *token;	       /* cached access token, NULL when none */
	int64_t renew_at_mono; /* clock_mono_ns()/1e6 after which token is not handed out */
};

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

/* Reads {access_token, token_type, expires_in} into the cache. */
static int take_token(struct okta_oauth *o, const struct okta_http_resp *rs, struct okta_error *e)
{
	struct json j;
	int64_t expires = 3600;
	if (json_parse(&j, rs->body.p, rs->body.n, 64, NULL, 0) < 0) {
		okta_error_local(e, "token endpoint answered %d with no JSON body", rs->status);
		return -1;
	}
	char *tok = json_strdup(&j, json_get(&j, 0, "access_token"));
	int type = json_get(&j, 0, "token_type");
	int bearer = type < 0 || json_str_eq(&j, type, "Bearer");
	json_int(&j, json_get(&j, 0, "expires_in"), &expires);
	json_free(&j);
	if (!tok || !*tok || !bearer) {
		secure_free(tok);
		okta_error_local(
			e, bearer ? "token endpoint answered without access_token"
				  : "token endpoint issued a non-Bearer token (DPoP-bound apps are not supported)");
		return -1;
	}
	int64_t early = expires > 2 * OAUTH_EARLY_MS / 1000 ? OAUTH_EARLY_MS : expires * 500;
	secure_free(o->token);
	o->token = tok;
	o->renew_at_mono = mono_ms() + expires * 1000 - early;
	return 0;
}

static int fetch_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, struct okta_error *e)
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
	if (!form) {
		okta_error_local(e, "out of memory");
		return -1;
	}
	struct okta_http_req rq = {
		.method = "POST",
		.url = o->token_url,
		.content_type = "application/x-www-form-urlencoded",
		.body = form,
		.body_len = strlen(form),
		.timeout_ms = timeout_ms,
		.connect_timeout_ms = timeout_ms < 5000 ? timeout_ms : 5000,
	};
	struct okta_http_resp rs;
	metrics_count("hookd_okta_token_fetches_total", NULL, 1);
	int rc = okta_http_do(h, &rq, &rs, e);
	secure_free(form);
	if (rc < 0)
		return -1;
	if (g && rs.have_rate)
		okta_governor_update(g, OKTA_BUCKET_TOKEN, &rs.rate, clock_now_ms());
	if (rs.status / 100 == 2)
		rc = take_token(o, &rs, e);
	else
		okta_error_from_http(e, rs.status, rs.body.p, rs.body.n), rc = -1;
	if (rs.body.p)
		OPENSSL_cleanse(rs.body.p, rs.body.n);
	okta_http_resp_free(&rs);
	return rc;
}

char *okta_oauth_token(struct okta_oauth *o, CURL *h, struct okta_governor *g, int64_t timeout_ms, struct okta_error *e)
{
	char *copy = NULL;
	pthread_mutex_lock(&o->mu);
	if (!o->token || mono_ms() >= o->renew_at_mono) {
		if (fetch_token(o, h, g, timeout_ms, e) < 0)
			goto done;
	}
	copy = strdup(o->token);
	if (!copy)
		okta_error_local(e, "out of memory");
done:
	pthread_mutex_unlock(&o->mu);
	return copy;
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
