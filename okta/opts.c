/* opts.c: builds struct okta_opts from [okta] and OKTA_CLIENT_* and checks it before any call is made. */
#include "okta/opts.h"

#include <ctype.h>
#include <openssl/crypto.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "core/config.h"
#include "core/jbuf.h"
#include "okta/dpop.h"
#include "okta/jwt.h"

#define SEC "okta"

static char *env_dup(const char *name)
{
	const char *v = getenv(name);
	return v && *v ? strdup(v) : NULL;
}

/* [okta] key when set there, else the SDK variable, else the schema default. */
static char *pick(struct config *c, const char *key, const char *env)
{
	if (!config_is_set(c, SEC, NULL, key) && env) {
		char *v = env_dup(env);
		if (v)
			return v;
	}
	const char *v = config_get(c, SEC, NULL, key);
	return v && *v ? strdup(v) : NULL;
}

static char *read_small_file(const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	struct jbuf b;
	jbuf_init(&b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.n <= 65536)
		jbuf_put(&b, buf, n);
	fclose(f);
	if (b.n > 65536) {
		OPENSSL_cleanse(b.p, b.n);
		jbuf_free(&b);
		return NULL;
	}
	return jbuf_take(&b, NULL);
}

/* PEM pasted into one environment line often carries literal "\n": turn them into newlines. */
static void unescape_newlines(char *s)
{
	if (strchr(s, '\n'))
		return;
	char *w = s;
	for (const char *r = s; *r; r++) {
		if (r[0] == '\\' && r[1] == 'n') {
			*w++ = '\n';
			r++;
		} else {
			*w++ = *r;
		}
	}
	*w = '\0';
}

/* OKTA_CLIENT_PRIVATEKEY: PEM text or the path of a PEM file. */
static int env_private_key(struct config *c, char **out)
{
	char *v = env_dup("OKTA_CLIENT_PRIVATEKEY");
	if (!v)
		return 1;
	if (strstr(v, "-----BEGIN")) {
		unescape_newlines(v);
		*out = v;
		return 0;
	}
	*out = read_small_file(v);
	if (!*out)
		config_report(c, SEC, NULL, NULL,
			      "OKTA_CLIENT_PRIVATEKEY: neither PEM text nor a readable file (up to 64 KiB)");
	free(v);
	return *out ? 0 : -1;
}

/* config_secret with an SDK fallback; returns -1 only after a reported problem. */
static int pick_secret(struct config *c, const char *key, const char *env, char **out)
{
	int rc = config_secret(c, SEC, NULL, key, out);
	if (rc != 1)
		return rc;
	if (strcmp(key, "private_key") == 0)
		return env_private_key(c, out) < 0 ? -1 : 0;
	*out = env_dup(env);
	return 0;
}

/* Commas and runs of white space become single spaces. */
static void normalize_scopes(char *s)
{
	char *w = s;
	int space = 1;
	for (const char *r = s; *r; r++) {
		int sep = *r == ',' || isspace((unsigned char)*r);
		if (sep && !space)
			*w++ = ' ';
		else if (!sep)
			*w++ = *r;
		space = sep;
	}
	if (w > s && w[-1] == ' ')
		w--;
	*w = '\0';
}

static int host_is_loopback(const char *h, size_t n)
{
	return (n == 9 && strncasecmp(h, "127.0.0.1", n) == 0) || (n == 9 && strncasecmp(h, "localhost", n) == 0) ||
	       (n == 5 && strncmp(h, "[::1]", n) == 0);
}

int okta_opts_check_url(const char *url, int *plain_http, const char **why)
{
	const char *host;
	*plain_http = 0;
	if (strncasecmp(url, "https://", 8) == 0) {
		host = url + 8;
	} else if (strncasecmp(url, "http://", 7) == 0) {
		host = url + 7;
		*plain_http = 1;
	} else {
		*why = "must start with https://";
		return -1;
	}
	size_t hl = host[0] == '[' ? strcspn(host, "]/?#") + 1 : strcspn(host, ":/?#");
	if (host[0] == '[' && host[hl - 1] != ']') {
		*why = "has a bad IPv6 literal";
		return -1;
	}
	const char *rest = host + hl;
	if (*rest == ':') {
		rest++;
		size_t digits = strspn(rest, "0123456789");
		if (digits == 0 || digits > 5 || atoi(rest) > 65535 || atoi(rest) == 0) {
			*why = "has a bad port";
			return -1;
		}
		rest += digits;
	}
	if (hl == 0 || (*rest && strcmp(rest, "/") != 0)) {
		*why = "must be scheme://host[:port] without a path, query or fragment";
		return -1;
	}
	if (memchr(host, '{', hl) || memchr(host, '}', hl)) {
		*why = "still holds a placeholder such as {yourOktaDomain}";
		return -1;
	}
	if (memmem(host, hl, "-admin.", 7)) {
		*why = "names the admin domain (-admin.): use the org domain without -admin";
		return -1;
	}
	if (*plain_http && !host_is_loopback(host, hl)) {
		*why = "must use https:// (http:// is allowed only for 127.0.0.1, [::1] and localhost)";
		return -1;
	}
	return 0;
}

static int read_mode(struct config *c, struct okta_opts *o)
{
	char *m = pick(c, "auth_mode", "OKTA_CLIENT_AUTHORIZATIONMODE");
	int rc = 0;
	if (!m || strcasecmp(m, "ssws") == 0)
		o->auth_mode = OKTA_AUTH_SSWS;
	else if (strcasecmp(m, "private_key") == 0 || strcasecmp(m, "privatekey") == 0)
		o->auth_mode = OKTA_AUTH_PRIVATE_KEY;
	else
		rc = -1;
	if (rc < 0)
		config_report(
			c, SEC, NULL, config_is_set(c, SEC, NULL, "auth_mode") ? "auth_mode" : NULL,
			"auth_mode '%s' is neither ssws nor private_key (OKTA_CLIENT_AUTHORIZATIONMODE: SSWS or PrivateKey)",
			m);
	free(m);
	return rc;
}

/* Type and declared range were checked (and reported) when the config was loaded. */
static int read_numbers(struct config *c, struct okta_opts *o)
{
	int64_t timeout, retries, reserve;
	if (config_ms(c, SEC, NULL, "timeout", &timeout) < 0 || config_int(c, SEC, NULL, "max_retries", &retries) < 0 ||
	    config_int(c, SEC, NULL, "rate_reserve", &reserve) < 0)
		return -1;
	o->timeout_ms = timeout;
	o->max_retries = (int)retries;
	o->rate_reserve = (int)reserve;
	return 0;
}

static int check_private_key(struct config *c, const struct okta_opts *o)
{
	int bad = 0;
	if (!o->client_id)
		bad = 1,
		config_report(c, SEC, NULL, NULL, "auth_mode = private_key needs client_id (or OKTA_CLIENT_CLIENTID)");
	if (!o->scopes || !*o->scopes)
		bad = 1, config_report(c, SEC, NULL, "scopes", "auth_mode = private_key needs scopes");
	if (!o->private_key_pem) {
		config_report(
			c, SEC, NULL, NULL,
			"auth_mode = private_key needs private_key or private_key_file (or OKTA_CLIENT_PRIVATEKEY)");
		return -1;
	}
	char why[128];
	struct okta_jwt_key *k =
		okta_jwt_key_from_pem(o->private_key_pem, strlen(o->private_key_pem), why, sizeof(why));
	if (!k)
		bad = 1, config_report(c, SEC, NULL, NULL, "private key: %s", why);
	okta_jwt_key_free(k);
	return bad ? -1 : 0;
}

/* [okta] dpop, dpop_alg and dpop_key(_file); the key must load and differ from private_key. */
static int read_dpop(struct config *c, struct okta_opts *o)
{
	char why[128];
	const char *mode = config_get(c, SEC, NULL, "dpop");
	int bad = 0;
	if (okta_dpop_mode_parse(mode ? mode : "auto", &o->dpop_mode) < 0)
		bad = 1, config_report(c, SEC, NULL, "dpop", "must be auto, on or off");
	o->dpop_alg = pick(c, "dpop_alg", NULL);
	if (o->dpop_alg && strcmp(o->dpop_alg, "ES256") != 0 && strcmp(o->dpop_alg, "RS256") != 0)
		bad = 1, config_report(c, SEC, NULL, "dpop_alg", "must be ES256 or RS256");
	if (config_secret(c, SEC, NULL, "dpop_key", &o->dpop_key_pem) < 0)
		return -1;
	if (!o->dpop_key_pem || bad)
		return bad ? -1 : 0;
	struct okta_dpop *d = okta_dpop_new(o->dpop_key_pem, NULL, why, sizeof(why));
	struct okta_jwt_key *k =
		o->private_key_pem ? okta_jwt_key_from_pem(o->private_key_pem, strlen(o->private_key_pem), NULL, 0)
				   : NULL;
	if (!d)
		bad = 1, config_report(c, SEC, NULL, NULL, "dpop_key: %s", why);
	else if (k && okta_jwt_key_same(k, okta_dpop_key(d)))
		bad = 1, config_report(c, SEC, NULL, NULL,
				       "dpop_key must be its own key pair, not the client-assertion key (private_key)");
	okta_jwt_key_free(k);
	okta_dpop_free(d);
	return bad ? -1 : 0;
}

static int check_opts(struct config *c, const struct okta_opts *o)
{
	int bad = 0, plain;
	const char *why;
	if (okta_opts_check_url(o->org_url, &plain, &why) < 0)
		bad = 1, config_report(c, SEC, NULL, config_is_set(c, SEC, NULL, "org_url") ? "org_url" : NULL,
				       "org URL %s", why);
	if (o->auth_mode == OKTA_AUTH_SSWS && !o->api_token)
		bad = 1, config_report(c, SEC, NULL, NULL,
				       "auth_mode = ssws needs api_token or api_token_file (or OKTA_CLIENT_TOKEN)");
	if (o->auth_mode == OKTA_AUTH_PRIVATE_KEY && check_private_key(c, o) < 0)
		bad = 1;
	if (o->ca_file && access(o->ca_file, R_OK) != 0)
		bad = 1, config_report(c, SEC, NULL, "ca_file", "cannot read %s", o->ca_file);
	return bad ? -1 : 0;
}

int okta_opts_from_config(struct config *c, struct okta_opts *o)
{
	memset(o, 0, sizeof(*o));
	o->org_url = pick(c, "org_url", "OKTA_CLIENT_ORGURL");
	if (!o->org_url)
		return 1;
	size_t ul = strlen(o->org_url);
	if (ul > 0 && o->org_url[ul - 1] == '/')
		o->org_url[ul - 1] = '\0';
	int bad = read_mode(c, o) < 0;
	bad |= pick_secret(c, "api_token", "OKTA_CLIENT_TOKEN", &o->api_token) < 0;
	bad |= pick_secret(c, "private_key", NULL, &o->private_key_pem) < 0;
	o->client_id = pick(c, "client_id", "OKTA_CLIENT_CLIENTID");
	o->scopes = pick(c, "scopes", "OKTA_CLIENT_SCOPES");
	if (o->scopes)
		normalize_scopes(o->scopes);
	o->key_id = pick(c, "key_id", NULL);
	o->ca_file = pick(c, "ca_file", NULL);
	bad |= read_numbers(c, o) < 0;
	bad |= read_dpop(c, o) < 0;
	bad |= check_opts(c, o) < 0;
	return bad ? -1 : 0;
}

static void free_secret(char **s)
{
	if (*s)
		OPENSSL_cleanse(*s, strlen(*s));
	free(*s);
	*s = NULL;
}

void okta_opts_free(struct okta_opts *o)
{
	if (!o)
		return;
	free_secret(&o->api_token);
	free_secret(&o->private_key_pem);
	free_secret(&o->dpop_key_pem);
	free(o->dpop_alg);
	free(o->org_url);
	free(o->client_id);
	free(o->scopes);
	free(o->key_id);
	free(o->ca_file);
	memset(o, 0, sizeof(*o));
}
