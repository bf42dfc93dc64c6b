/* test_admin.c: the admin listener's parsers (session cookie, sign-in body) and its [admin] config. */
#include "admin/admin_internal.h"
#include "check.h"
#include "core/config.h"
#include "core/secure.h"

#include <stdlib.h>
#include <string.h>

static const char id64[] = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

static void test_cookie(void)
{
	char out[65], h[256];
	snprintf(h, sizeof(h), "a=b; __Host-hookd_session=%s; c=d", id64);
	CHECK(admin_cookie_parse(h, out) == 0);
	CHECK_STR(out, id64);
	snprintf(h, sizeof(h), "__Host-hookd_session=%s", id64);
	CHECK(admin_cookie_parse(h, out) == 0);
	/* absent, NULL, short, long, not lowercase hex, a look-alike name */
	CHECK(admin_cookie_parse(NULL, out) < 0);
	CHECK(admin_cookie_parse("", out) < 0);
	CHECK(admin_cookie_parse("a=b", out) < 0);
	CHECK(admin_cookie_parse("__Host-hookd_session=abc", out) < 0);
	snprintf(h, sizeof(h), "__Host-hookd_session=%s0", id64);
	CHECK(admin_cookie_parse(h, out) < 0);
	snprintf(h, sizeof(h), "__Host-hookd_session=%.63sZ", id64);
	CHECK(admin_cookie_parse(h, out) < 0);
	snprintf(h, sizeof(h), "x__Host-hookd_session=%s", id64);
	CHECK(admin_cookie_parse(h, out) < 0);
	snprintf(h, sizeof(h), "__Host-hookd_sessionx=%s", id64);
	CHECK(admin_cookie_parse(h, out) < 0);
}

static int signin(const char *body, char **t, char **n)
{
	return admin_signin_parse(slice_cstr(body), t, n);
}

static void test_signin(void)
{
	char *t, *n;
	CHECK(signin("{\"token\":\"abc\",\"name\":\"Ann\"}", &t, &n) == 0);
	CHECK_STR(t, "abc");
	CHECK_STR(n, "Ann");
	secure_free(t);
	free(n);
	CHECK(signin("{\"token\":\"abc\"}", &t, &n) == 0 && n == NULL);
	secure_free(t);
	const char *bad[] = { "",
			      "null",
			      "[]",
			      "{}",
			      "{\"token\":1}",
			      "{\"token\":null}",
			      "{\"token\":\"a\",\"token\":\"b\"}",
			      "{\"token\":\"a\"} x",
			      "{\"token\":\"\xff\"}",
			      "{\"name\":\"Ann\"}" };
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(signin(bad[i], &t, &n) < 0 && t == NULL && n == NULL);
		secure_free(t);
		free(n);
	}
}

static void test_config(void)
{
	struct admin_opts o;
	struct config *c = config_load_string("[server]\ntls_cert = s.crt\ntls_key = s.key\n", "t");
	CHECK(admin_opts_from_config(c, &o) == 1); /* no token: off */
	CHECK_STR(o.listen, "");
	admin_opts_free(&o);
	config_free(c);
	c = config_load_string("[admin]\ntoken = 0123456789abcdef-long\n[server]\ntls_cert = s.crt\n", "t");
	CHECK(admin_opts_from_config(c, &o) == 0);
	CHECK_STR(o.listen, "127.0.0.1:9443");
	CHECK_STR(o.tls_cert, "s.crt"); /* the server's certificate by default */
	CHECK(o.threads == 16 && o.session_ttl_ms == 8 * 3600 * 1000LL);
	admin_opts_free(&o);
	config_free(c);
	c = config_load_string("[admin]\nlisten =\ntoken = 0123456789abcdef-long\n", "t");
	CHECK(admin_opts_from_config(c, &o) == 1); /* empty listen: off */
	admin_opts_free(&o);
	config_free(c);
	c = config_load_string("[admin]\ntoken = short\n", "t");
	CHECK(admin_opts_from_config(c, &o) < 0 && config_error_count(c) == 1);
	admin_opts_free(&o);
	config_free(c);
	c = config_load_string("[admin]\ntoken = 0123456789abcdef-long\nsession_ttl = 10s\n", "t");
	CHECK(admin_opts_from_config(c, &o) < 0);
	admin_opts_free(&o);
	config_free(c);
}

int main(void)
{
	test_cookie();
	test_signin();
	test_config();
	return check_report("test_admin");
}
