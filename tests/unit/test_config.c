/* test_config.c: INI loading, schema checks with line numbers, environment overrides, typed reads. */
#include "check.h"

#include "core/config.h"
#include "core/str.h"
#include "hooks/okta_hook.h"

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static void test_issue_example(void)
{
	const char *ini = "[server]\n"
			  "listen = 127.0.0.1:8443        ; host:port[,host:port...]\n"
			  "tls_cert = /etc/hookd/server.crt\n"
			  "tls_key = /etc/hookd/server.key\n"
			  "threads = 16\n"
			  "max_body = 1048576\n"
			  "[store]\n"
			  "backend = sqlite               ; postgres later\n"
			  "path = /var/lib/hookd/hookd.db\n"
			  "[okta_hook]\n"
			  "path = /hooks/okta\n"
			  "auth_header = Authorization\n"
			  "auth_value_file = /etc/hookd/okta-hook.secret   ; or auth_value = ...\n"
			  "[rule okta-created]\n"
			  "on = okta:user.lifecycle.create\n"
			  "do = send_activation\n";
	struct config *c = config_load_string(ini, "hookd.ini");
	CHECK(config_error_count(c) == 0);
	CHECK_STR(config_get(c, "server", NULL, "listen"), "127.0.0.1:8443");
	CHECK_STR(config_get(c, "store", NULL, "backend"), "sqlite");
	CHECK_STR(config_get(c, "okta_hook", NULL, "auth_value_file"), "/etc/hookd/okta-hook.secret");
	int64_t v = 0;
	CHECK(config_int(c, "server", NULL, "threads", &v) == 0 && v == 16);
	CHECK(config_size(c, "server", NULL, "max_body", &v) == 0 && v == 1048576);
	CHECK(config_section_count(c, "rule") == 1);
	CHECK_STR(config_section_name(c, "rule", 0), "okta-created");
	CHECK_STR(config_get(c, "rule", "okta-created", "do"), "send_activation");
	/* Defaults come from the schema when a key is unset. */
	CHECK_STR(config_get(c, "worker", NULL, "lease"), "60s");
	CHECK(config_ms(c, "worker", NULL, "lease", &v) == 0 && v == 60000);
	CHECK(config_is_set(c, "worker", NULL, "lease") == 0);
	config_free(c);
}

static void test_errors_with_lines(void)
{
	const char *ini = "[server]\n"
			  "listen = 127.0.0.1:8443\n"
			  "colour = blue\n"
			  "threads = many\n"
			  "[nonsense]\n"
			  "x = 1\n"
			  "[store]\n"
			  "path = a\n"
			  "path = b\n"
			  "[rule r1]\n"
			  "on = okta:x\n"
			  "[rule r1]\n"
			  "[rule bad name!]\n";
	struct config *c = config_load_string(ini, "t.ini");
	const char *e = config_errors(c);
	CHECK(config_error_count(c) >= 5);
	CHECK(strstr(e, "t.ini:3: unknown key 'colour' in [server]") != NULL);
	CHECK(strstr(e, "t.ini:4: [server] threads: 'many' is not a valid integer") != NULL);
	CHECK(strstr(e, "t.ini:5: unknown section [nonsense]") != NULL);
	CHECK(strstr(e, "t.ini:9: key 'path' in [store] set twice (first on line 8)") != NULL);
	CHECK(strstr(e, "t.ini:12: section [rule r1] defined twice") != NULL);
	CHECK(strstr(e, "t.ini:13: bad section name") != NULL);
	/* Keys of an unknown section are not reported again one by one. */
	CHECK(strstr(e, "'x'") == NULL);
	if (config_error_count(c) < 5)
		fprintf(stderr, "%s", e);
	config_free(c);
}

static void test_env_overrides(void)
{
	setenv("HOOKD_SERVER_THREADS", "4", 1);
	setenv("HOOKD_RULE_OKTA_CREATED_DO", "resend_activation", 1);
	setenv("HOOKD_OKTA_HOOK_AUTH_VALUE", "from-env", 1);
	struct config *c =
		config_load_string("[server]\nthreads = 16\n[rule okta-created]\non = okta:a\ndo = x\n", "e.ini");
	int64_t v = 0;
	CHECK(config_int(c, "server", NULL, "threads", &v) == 0 && v == 4);
	CHECK_STR(config_get(c, "rule", "okta-created", "do"), "resend_activation");
	/* A section absent from the file is created by its environment variables. */
	CHECK_STR(config_get(c, "okta_hook", NULL, "auth_value"), "from-env");
	setenv("HOOKD_SERVER_THREADS", "lots", 1);
	config_free(c);
	c = config_load_string("", "e.ini");
	CHECK(strstr(config_errors(c), "HOOKD_SERVER_THREADS") != NULL);
	unsetenv("HOOKD_SERVER_THREADS");
	unsetenv("HOOKD_RULE_OKTA_CREATED_DO");
	unsetenv("HOOKD_OKTA_HOOK_AUTH_VALUE");
	config_free(c);
}

static void test_secrets(void)
{
	char path[] = "/tmp/hookd-test-secretXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "top-secret\n", 11) == 11);
	close(fd);
	char ini[256];
	snprintf(ini, sizeof(ini), "[okta_hook]\nauth_value_file = %s\n", path);
	struct config *c = config_load_string(ini, "s.ini");
	char *s = NULL;
	CHECK(config_secret(c, "okta_hook", NULL, "auth_value", &s) == 0);
	CHECK_STR(s, "top-secret");
	free(s);
	config_free(c);
	/* Both forms at once is an error; a missing file is reported without the secret. */
	snprintf(ini, sizeof(ini), "[okta_hook]\nauth_value = x\nauth_value_file = %s\n", path);
	c = config_load_string(ini, "s.ini");
	CHECK(config_secret(c, "okta_hook", NULL, "auth_value", &s) == -1 && s == NULL);
	CHECK(strstr(config_errors(c), "not both") != NULL);
	config_free(c);
	unlink(path);
	c = config_load_string("[okta_hook]\nauth_value_file = /nonexistent/secret\n", "s.ini");
	CHECK(config_secret(c, "okta_hook", NULL, "auth_value", &s) == -1);
	CHECK(strstr(config_errors(c), "s.ini:2:") != NULL);
	config_free(c);
	c = config_load_string("[okta_hook]\nauth_value = hunter2\n[server]\nthreads = x\n", "s.ini");
	CHECK(strstr(config_errors(c), "hunter2") == NULL);
	config_free(c);
}

static void test_parsers(void)
{
	int64_t v;
	CHECK(config_parse_ms("250ms", &v) == 0 && v == 250);
	CHECK(config_parse_ms("30", &v) == 0 && v == 30000);
	CHECK(config_parse_ms("5m", &v) == 0 && v == 300000);
	CHECK(config_parse_ms("1d", &v) == 0 && v == 86400000);
	CHECK(config_parse_ms("-1s", &v) == -1);
	CHECK(config_parse_ms("5 parsecs", &v) == -1);
	CHECK(config_parse_size("1MiB", &v) == 0 && v == 1048576);
	CHECK(config_parse_size("64k", &v) == 0 && v == 65536);
	CHECK(config_parse_size("99999999999999999999", &v) == -1);
	struct config *c = config_load_string("[rule x]\non = a:b\nwhen.department = Eng, Sales\nwhen.type = t\n", "p");
	CHECK(config_prefixed_count(c, "rule", "x", "when.") == 2);
	const char *k, *val;
	CHECK(config_prefixed_at(c, "rule", "x", "when.", 1, &k, &val) == 0 && strcmp(k, "when.type") == 0);
	int b = -1;
	CHECK(config_bool(c, "rule", "x", "include_self", &b) == 0 && b == 0);
	config_free(c);
	/* A file that cannot be opened is one error, not a crash. */
	c = config_load("/nonexistent/hookd.ini");
	CHECK(config_error_count(c) == 1 && strstr(config_errors(c), "cannot open") != NULL);
	config_free(c);
}

/* Ranges declared in the schema: checked at load, and the typed reads refuse what is outside. */
static void test_ranges(void)
{
	struct config *c = config_load_string("[server]\nthreads = 0\nmax_body = 100\nrequest_timeout = 11m\n"
					      "[worker]\nthreads = 0\nlease = 4s\npoll = 2m\n"
					      "[rule r]\non = okta:a\ndo = create_user\ndays_before = 366\n",
					      "r.ini");
	const char *e = config_errors(c);
	CHECK(strstr(e, "r.ini:2: [server] threads: must be between 1 and 16384") != NULL);
	CHECK(strstr(e, "[server] max_body: must be between 1 KiB and 64 MiB") != NULL);
	CHECK(strstr(e, "[server] request_timeout: must be between 100ms and 10m") != NULL);
	CHECK(strstr(e, "[worker] threads") == NULL); /* 0 is in range: no workers */
	CHECK(strstr(e, "[worker] lease: must be at least 5s") != NULL);
	CHECK(strstr(e, "[worker] poll: must be between 10ms and 60s") != NULL);
	CHECK(strstr(e, "[rule r] days_before: must be between 0 and 365") != NULL);
	CHECK(config_error_count(c) == 6);
	int64_t v = 42;
	CHECK(config_int(c, "server", NULL, "threads", &v) == -1 && v == 42);
	CHECK(config_size(c, "server", NULL, "max_body", &v) == -1 && v == 42);
	CHECK(config_ms(c, "worker", NULL, "poll", &v) == -1 && v == 42);
	CHECK(config_int(c, "worker", NULL, "threads", &v) == 0 && v == 0);
	config_free(c);
	/* The bounds themselves are inside; a bad value is a type error, not also a range error. */
	c = config_load_string("[server]\nthreads = 16384\nmax_body = 64 MiB\n[worker]\nlease = 5s\nmax_attempts = x\n",
			       "b.ini");
	CHECK(config_error_count(c) == 1 && strstr(config_errors(c), "'x' is not a valid integer") != NULL);
	CHECK(config_size(c, "server", NULL, "max_body", &v) == 0 && v == 64 * 1048576);
	config_free(c);
}

/* check-config in one pass: problems in line order whatever stage found them, with hints and examples. */
static void test_one_pass(void)
{
	setenv("HOOKD_SERVER_MAXBODY", "1", 1);
	setenv("HOOKD_BIN", "/not/a/config/key", 1); /* another tool's variable: not reported */
	struct config *c = config_load_string("[server]\nmax_body = 1MB\ntls_kye = x\nrequest_timeout = 5 minutes\n"
					      "[log]\nlevel = info\n",
					      "o.ini");
	unsetenv("HOOKD_SERVER_MAXBODY");
	unsetenv("HOOKD_BIN");
	config_report(c, "server", NULL, "max_body", "reported late"); /* a later stage, an earlier line */
	const char *e = config_errors(c);
	const char *size = strstr(e, "o.ini:2: [server] max_body: '1MB' is not a valid size: use e.g. 1m, 512k");
	const char *late = strstr(e, "o.ini:2: [server] max_body: reported late");
	const char *key = strstr(e, "o.ini:3: unknown key 'tls_kye' in [server] (did you mean tls_key?)");
	const char *dur =
		strstr(e, "o.ini:4: [server] request_timeout: '5 minutes' is not a valid duration: use e.g. 5m");
	const char *env = strstr(e, "environment: HOOKD_SERVER_MAXBODY sets no configuration key (did you mean "
				    "HOOKD_SERVER_MAX_BODY?)");
	CHECK(size && late && key && dur && env);
	CHECK(size < key && late < key && key < dur && dur < env);
	CHECK(strstr(e, "HOOKD_BIN") == NULL);
	CHECK(config_error_count(c) == 5);
	config_free(c);
	/* a named section's variable for a section the file does not have */
	setenv("HOOKD_RULE_NOPE_DO", "create_user", 1);
	c = config_load_string("[rule yes]\non = okta:user.lifecycle.create\ndo = create_user\n", "n.ini");
	unsetenv("HOOKD_RULE_NOPE_DO");
	CHECK(strstr(config_errors(c), "HOOKD_RULE_NOPE_DO sets no configuration key") != NULL);
	config_free(c);
}

/* A module reads a key's declared range from the schema: a bad max_events fails the hook, reported once. */
static void test_okta_hook_range(void)
{
	struct config *c = config_load_string("[okta_hook]\nauth_value = s\nmax_events = 0\n", "h.ini");
	CHECK(okta_hook_from_config(c, NULL, NULL) == NULL);
	CHECK(config_error_count(c) == 1 &&
	      strstr(config_errors(c), "[okta_hook] max_events: must be between 1 and 100000") != NULL);
	config_free(c);
	c = config_load_string("[okta_hook]\nauth_value = s\nmax_events = 100000\n", "h.ini");
	struct okta_hook *h = okta_hook_from_config(c, NULL, NULL);
	CHECK(h != NULL && config_error_count(c) == 0);
	okta_hook_free(h);
	config_free(c);
}

/* Text is text: a NUL in a secret file or a config line would cut what follows it, so both are refused. */
static void test_nul_bytes(void)
{
	char path[] = "/tmp/hookd-test-nulXXXXXX";
	int fd = mkstemp(path);
	CHECK(fd >= 0);
	CHECK(write(fd, "top\0secret\n", 11) == 11);
	close(fd);
	char ini[256];
	snprintf(ini, sizeof(ini), "[okta_hook]\nauth_value_file = %s\n", path);
	struct config *c = config_load_string(ini, "s.ini");
	char *s = NULL;
	CHECK(config_secret(c, "okta_hook", NULL, "auth_value", &s) == -1 && s == NULL);
	CHECK(strstr(config_errors(c), "contains a NUL byte") != NULL);
	config_free(c);
	fd = open(path, O_WRONLY | O_TRUNC);
	CHECK(fd >= 0);
	CHECK(write(fd, "[server]\nthreads = 8\0 0\n", 24) == 24);
	close(fd);
	c = config_load(path);
	CHECK(config_error_count(c) > 0 && strstr(config_errors(c), ":2: NUL byte") != NULL);
	config_free(c);
	unlink(path);
}

/*
 * The "did you mean" pick skips names whose length alone rules them out; it must pick what comparing
 * every name picks (the first name at the least distance, within the limit), for any input.
 */
static void test_closest(void)
{
	static const char *const names[] = {
		"tls_key",     "tls_cert", "threads", "max_body", "listen", "a", "thread_idle_timeout",
		"tls_ciphers", "ab",	   "abc"
	};
	const size_t n = sizeof(names) / sizeof(names[0]);
	CHECK_STR(str_closest("tls_kye", names, n), "tls_key");
	CHECK_STR(str_closest("thread_idle_timeot", names, n), "thread_idle_timeout");
	CHECK(str_closest("completely_unrelated", names, n) == NULL);
	const char alphabet[] = "abcdehilmorstx_";
	unsigned seed = 1, same = 0, tries = 5000;
	for (unsigned t = 0; t < tries; t++) {
		char s[24];
		size_t len = (seed = seed * 1103515245u + 12345u) >> 16 & 15;
		for (size_t i = 0; i < len; i++)
			s[i] = alphabet[((seed = seed * 1103515245u + 12345u) >> 16) % (sizeof(alphabet) - 1)];
		s[len] = '\0';
		unsigned limit = (unsigned)(len / 3 > 2 ? len / 3 : 2), best = limit + 1;
		const char *want = NULL;
		for (size_t i = 0; i < n; i++) {
			unsigned d = str_distance(s, names[i]);
			if (d < best) {
				best = d;
				want = names[i];
			}
		}
		same += str_closest(s, names, n) == want;
	}
	CHECK(same == tries);
}

int main(void)
{
	test_closest();
	test_one_pass();
	test_ranges();
	test_okta_hook_range();
	test_issue_example();
	test_errors_with_lines();
	test_env_overrides();
	test_secrets();
	test_nul_bytes();
	test_parsers();
	return check_report("config");
}
