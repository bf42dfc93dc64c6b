/* test_okta_opts.c: [okta] settings, OKTA_CLIENT_* fallbacks, and the problems they report. */
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "core/config.h"
#include "okta/opts.h"

static const char *sdk_vars[] = { "OKTA_CLIENT_ORGURL",	  "OKTA_CLIENT_TOKEN",	"OKTA_CLIENT_AUTHORIZATIONMODE",
				  "OKTA_CLIENT_CLIENTID", "OKTA_CLIENT_SCOPES", "OKTA_CLIENT_PRIVATEKEY" };

static void clear_env(void)
{
	for (size_t i = 0; i < sizeof(sdk_vars) / sizeof(sdk_vars[0]); i++)
		unsetenv(sdk_vars[i]);
}

/* Loads text, reads the options; returns okta_opts_from_config's result, errors copied to errs. */
static int load(const char *text, struct okta_opts *o, char *errs, size_t n)
{
	struct config *c = config_load_string(text, "test.ini");
	int rc = okta_opts_from_config(c, o);
	snprintf(errs, n, "%s", config_errors(c));
	config_free(c);
	return rc;
}

static char *ec_pem(void)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	char *s = strndup(p, (size_t)n);
	BIO_free(b);
	EVP_PKEY_free(k);
	return s;
}

static void test_unset_and_defaults(void)
{
	struct okta_opts o;
	char errs[2048];
	clear_env();
	CHECK(load("", &o, errs, sizeof(errs)) == 1);
	CHECK(o.org_url == NULL);
	CHECK(load("[okta]\norg_url = https://dev-1.okta.com/\napi_token = 00abc\n", &o, errs, sizeof(errs)) == 0);
	CHECK_STR(o.org_url, "https://dev-1.okta.com");
	CHECK(o.auth_mode == OKTA_AUTH_SSWS);
	CHECK_STR(o.api_token, "00abc");
	CHECK(o.timeout_ms == 10000 && o.max_retries == 5 && o.rate_reserve == 2);
	CHECK_STR(o.scopes, "okta.users.manage okta.eventHooks.manage okta.logs.read");
	okta_opts_free(&o);
	CHECK(o.api_token == NULL);
	okta_opts_free(NULL);
}

static void test_urls(void)
{
	struct okta_opts o;
	char errs[2048];
	const char *bad[] = { "http://dev-1.okta.com",
			      "ftp://x",
			      "https://dev-1-admin.okta.com",
			      "https://{yourOktaDomain}",
			      "https://dev-1.okta.com/api/v1",
			      "https://dev-1.okta.com:99999",
			      "https://",
			      "http://127.0.0.2" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char ini[256];
		snprintf(ini, sizeof(ini), "[okta]\norg_url = %s\napi_token = t\n", bad[i]);
		CHECK(load(ini, &o, errs, sizeof(errs)) == -1);
		CHECK(strstr(errs, "org_url") != NULL);
		okta_opts_free(&o);
	}
	const char *good[] = { "https://dev-1.okta.com", "https://dev-1.oktapreview.com:8443/",
			       "http://127.0.0.1:18080", "http://localhost:1",
			       "https://[::1]:9443",	 "http://[::1]:80" };
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		char ini[256];
		snprintf(ini, sizeof(ini), "[okta]\norg_url = %s\napi_token = t\n", good[i]);
		int rc = load(ini, &o, errs, sizeof(errs));
		CHECK(rc == 0);
		if (rc != 0)
			fprintf(stderr, "%s: %s\n", good[i], errs);
		okta_opts_free(&o);
	}
	int plain;
	const char *why = NULL;
	CHECK(okta_opts_check_url("http://example.com", &plain, &why) == -1 && strstr(why, "https"));
}

static void test_private_key_mode(void)
{
	struct okta_opts o;
	char errs[2048];
	clear_env();
	CHECK(load("[okta]\norg_url = https://dev-1.okta.com\nauth_mode = private_key\n", &o, errs, sizeof(errs)) ==
	      -1);
	CHECK(strstr(errs, "client_id") != NULL);
	CHECK(strstr(errs, "private_key") != NULL);
	okta_opts_free(&o);
	CHECK(load("[okta]\norg_url = https://dev-1.okta.com\nauth_mode = jwt\n", &o, errs, sizeof(errs)) == -1);
	CHECK(strstr(errs, "auth_mode") != NULL);
	okta_opts_free(&o);
	/* a key that does not parse is reported without its text */
	CHECK(load("[okta]\norg_url = https://dev-1.okta.com\nauth_mode = private_key\nclient_id = 0oa1\n"
		   "private_key = -----BEGIN PRIVATE "
		   "KEY-----SECRETBYTES\n" /* not a key */,
		   &o, errs, sizeof(errs)) == -1);
	CHECK(strstr(errs, "private key") != NULL && strstr(errs, "SECRETBYTES") == NULL);
	okta_opts_free(&o);
	/* ssws without a token */
	CHECK(load("[okta]\norg_url = https://dev-1.okta.com\n", &o, errs, sizeof(errs)) == -1);
	CHECK(strstr(errs, "api_token") != NULL);
	okta_opts_free(&o);
}

static void test_sdk_env(void)
{
	struct okta_opts o;
	char errs[2048];
	clear_env();
	setenv("OKTA_CLIENT_ORGURL", "https://env.okta.com", 1);
	setenv("OKTA_CLIENT_TOKEN", "envtoken", 1);
	CHECK(load("", &o, errs, sizeof(errs)) == 0);
	CHECK_STR(o.org_url, "https://env.okta.com");
	CHECK_STR(o.api_token, "envtoken");
	okta_opts_free(&o);
	/* [okta] wins over the SDK variables */
	CHECK(load("[okta]\norg_url = https://file.okta.com\napi_token = filetoken\n", &o, errs, sizeof(errs)) == 0);
	CHECK_STR(o.org_url, "https://file.okta.com");
	CHECK_STR(o.api_token, "filetoken");
	okta_opts_free(&o);

	/* PrivateKey mode entirely from the environment; PEM with literal \n as pasted into one line */
	char *pem = ec_pem();
	char oneline[1024] = "";
	for (const char *p = pem; *p; p++)
		strcat(oneline, *p == '\n' ? "\\n" : (char[2]){ *p, 0 });
	setenv("OKTA_CLIENT_AUTHORIZATIONMODE", "PrivateKey", 1);
	setenv("OKTA_CLIENT_CLIENTID", "0oaENV", 1);
	setenv("OKTA_CLIENT_SCOPES", "okta.users.manage, okta.eventHooks.manage", 1);
	setenv("OKTA_CLIENT_PRIVATEKEY", oneline, 1);
	int rc = load("", &o, errs, sizeof(errs));
	CHECK(rc == 0);
	if (rc)
		fprintf(stderr, "%s\n", errs);
	CHECK(o.auth_mode == OKTA_AUTH_PRIVATE_KEY);
	CHECK_STR(o.client_id, "0oaENV");
	CHECK_STR(o.scopes, "okta.users.manage okta.eventHooks.manage");
	CHECK(o.private_key_pem && strcmp(o.private_key_pem, pem) == 0);
	okta_opts_free(&o);

	/* OKTA_CLIENT_PRIVATEKEY as a path */
	char path[] = "/tmp/test_okta_opts_XXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0 && write(fd, pem, strlen(pem)) == (ssize_t)strlen(pem));
	close(fd);
	setenv("OKTA_CLIENT_PRIVATEKEY", path, 1);
	CHECK(load("", &o, errs, sizeof(errs)) == 0);
	CHECK(o.private_key_pem && strcmp(o.private_key_pem, pem) == 0);
	okta_opts_free(&o);
	unlink(path);
	setenv("OKTA_CLIENT_PRIVATEKEY", "/nonexistent/key.pem", 1);
	CHECK(load("", &o, errs, sizeof(errs)) == -1);
	CHECK(strstr(errs, "OKTA_CLIENT_PRIVATEKEY") != NULL);
	okta_opts_free(&o);
	free(pem);
	clear_env();
}

static void test_numbers(void)
{
	struct okta_opts o;
	char errs[2048];
	CHECK(load("[okta]\norg_url = https://a.okta.com\napi_token = t\ntimeout = 30s\nmax_retries = 0\nrate_reserve = 5\n",
		   &o, errs, sizeof(errs)) == 0);
	CHECK(o.timeout_ms == 30000 && o.max_retries == 0 && o.rate_reserve == 5);
	okta_opts_free(&o);
	CHECK(load("[okta]\norg_url = https://a.okta.com\napi_token = t\nmax_retries = 99\n", &o, errs, sizeof(errs)) ==
	      -1);
	CHECK(strstr(errs, "max_retries") != NULL);
	okta_opts_free(&o);
	/* ranges come from the schema: each bad value is reported once, with its declared bound */
	CHECK(load("[okta]\norg_url = https://a.okta.com\napi_token = t\ntimeout = 0ms\nmax_retries = 21\n"
		   "rate_reserve = -1\n",
		   &o, errs, sizeof(errs)) == -1);
	CHECK(strstr(errs, "[okta] timeout: must be at least 1ms") != NULL);
	CHECK(strstr(errs, "[okta] max_retries: must be between 0 and 20") != NULL);
	CHECK(strstr(errs, "[okta] rate_reserve: must be between 0 and 1000") != NULL);
	CHECK(strstr(strstr(errs, "max_retries") + 1, "max_retries") == NULL);
	okta_opts_free(&o);
	CHECK(load("[okta]\norg_url = https://a.okta.com\napi_token = t\nca_file = /nonexistent/ca.pem\n", &o, errs,
		   sizeof(errs)) == -1);
	CHECK(strstr(errs, "ca_file") != NULL);
	okta_opts_free(&o);
}

int main(void)
{
	test_unset_and_defaults();
	test_urls();
	test_private_key_mode();
	test_sdk_env();
	test_numbers();
	return check_report("okta_opts");
}
