/*
 * test_okta_client_live.c: the Okta client end to end against real okta-sim processes it starts:
 * users lifecycle, duplicate login, SSWS and OAuth (RS256, ES256) auth, DPoP, 429s and 5xx faults.
 *
 * Finds okta-sim at argv[1], $OKTA_SIM_BIN, $HOOKD_BUILD/okta-sim or next to this program's build
 * dir. Plain http on 127.0.0.1 by default; with OKTA_SIM_CERT, OKTA_SIM_KEY and OKTA_SIM_CA set
 * (tests/integration/t_okta_client.sh does that) every sim serves TLS and the client verifies it.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "core/clock.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "core/metrics.h"
#include "okta/client.h"
#include "okta/eventhooks.h"
#include "okta/users.h"

#define TOKEN "00sim-test-token-0123456789"
#define MAX_SIMS 8

struct sim {
	pid_t pid;
	char url[256];
};

static const char *sim_bin;
static char tmpdir[PATH_MAX];
static const char *tls_cert, *tls_key, *tls_ca;
static pid_t children[MAX_SIMS];
static int nchildren;

/* okta_opts holds char *; the test hands it string literals and buffers it never frees. */
static char *mut(const char *s)
{
	return (char *)(uintptr_t)s;
}

static void kill_children(void)
{
	for (int i = 0; i < nchildren; i++) {
		if (children[i] > 0) {
			kill(children[i], SIGTERM);
			waitpid(children[i], NULL, 0);
			children[i] = 0;
		}
	}
}

static int64_t now_ms(void)
{
	return clock_mono_ns() / 1000000;
}

static int free_port(void)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t len = sizeof(a);
	if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0 ||
	    getsockname(fd, (struct sockaddr *)&a, &len) < 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	return ntohs(a.sin_port);
}

/* Reads the sim's first stdout line (its base URL) within 15 s. */
static int read_url(int fd, char *out, size_t n)
{
	size_t k = 0;
	int64_t end = now_ms() + 15000;
	while (k + 1 < n && now_ms() < end) {
		struct pollfd p = { .fd = fd, .events = POLLIN };
		if (poll(&p, 1, 200) <= 0)
			continue;
		char c;
		if (read(fd, &c, 1) != 1)
			return -1;
		if (c == '\n')
			break;
		out[k++] = c;
	}
	out[k] = '\0';
	char *u = strstr(out, "http");
	if (!u)
		return -1;
	memmove(out, u, strlen(u) + 1);
	return 0;
}

/* Starts okta-sim with extra arguments (NULL-terminated); fills s. */
static int sim_start(struct sim *s, const char *const *extra)
{
	char listen[64];
	int port = free_port(), pfd[2];
	if (port < 0 || pipe(pfd) < 0 || nchildren == MAX_SIMS)
		return -1;
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	char *argv[32] = { mut(sim_bin), "--listen", listen, "--token", TOKEN, "--log-level", "warn" };
	int ac = 7;
	/* no search lag: the client's own calls are tested here; hookd's handling of the lag is elsewhere */
	argv[ac++] = "--search-lag-ms", argv[ac++] = "0";
	if (tls_cert) {
		argv[ac++] = "--cert", argv[ac++] = mut(tls_cert);
		argv[ac++] = "--key", argv[ac++] = mut(tls_key);
	}
	for (int i = 0; extra && extra[i] && ac < 31; i++)
		argv[ac++] = mut(extra[i]);
	argv[ac] = NULL;
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		execv(sim_bin, argv);
		_exit(127);
	}
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		return -1;
	}
	children[nchildren++] = pid;
	s->pid = pid;
	int rc = read_url(pfd[0], s->url, sizeof(s->url));
	close(pfd[0]);
	if (rc < 0)
		fprintf(stderr, "okta-sim (%s) did not print its URL\n", listen);
	size_t ul = strlen(s->url);
	if (ul && s->url[ul - 1] == '/')
		s->url[ul - 1] = '\0';
	return rc;
}

static void sim_stop(struct sim *s)
{
	for (int i = 0; i < nchildren; i++) {
		if (children[i] == s->pid) {
			kill(s->pid, SIGTERM);
			waitpid(s->pid, NULL, 0);
			children[i] = 0;
		}
	}
}

/* A raw call to the sim's /sim/ control endpoints; returns the status, body in *body (caller frees). */
static size_t collect(char *p, size_t size, size_t nmemb, void *ud)
{
	jbuf_put(ud, p, size * nmemb);
	return size * nmemb;
}

static int sim_control(const struct sim *s, const char *method, const char *path, const char *json, char **body)
{
	CURL *h = curl_easy_init();
	struct jbuf b, u;
	jbuf_init(&b);
	jbuf_init(&u);
	jbuf_printf(&u, "%s%s", s->url, path);
	struct curl_slist *hd = curl_slist_append(NULL, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Authorization: SSWS " TOKEN);
	curl_easy_setopt(h, CURLOPT_URL, u.p);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hd);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (json)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, json);
	if (tls_ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, tls_ca);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, collect);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, &b);
	curl_easy_setopt(h, CURLOPT_TIMEOUT, 10L);
	long status = 0;
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hd);
	curl_easy_cleanup(h);
	jbuf_free(&u);
	char *p = jbuf_take(&b, NULL);
	if (body)
		*body = p;
	else
		free(p);
	return (int)status;
}

static void base_opts(struct okta_opts *o, const struct sim *s)
{
	memset(o, 0, sizeof(*o));
	o->org_url = mut(s->url);
	o->auth_mode = OKTA_AUTH_SSWS;
	o->api_token = TOKEN;
	o->ca_file = mut(tls_ca);
	o->timeout_ms = 20000;
	o->max_retries = 5;
	o->rate_reserve = 2;
}

struct conn {
	struct okta_org *org;
	struct okta_client *c;
};

static int connect_org(struct conn *k, const struct okta_opts *o)
{
	struct okta_error e;
	k->org = okta_org_new(o, NULL, &e);
	k->c = k->org ? okta_client_new(k->org, &e) : NULL;
	if (!k->c) {
		char line[600];
		fprintf(stderr, "client: %s\n", okta_error_format(&e, line, sizeof(line)));
		okta_org_free(k->org);
		return -1;
	}
	okta_org_set_backoff(k->org, 50, 1000);
	return 0;
}

static void disconnect(struct conn *k)
{
	okta_client_free(k->c);
	okta_org_free(k->org);
}

static void report(const char *what, const struct okta_error *e)
{
	char line[600];
	fprintf(stderr, "  %s: %s\n", what, okta_error_format(e, line, sizeof(line)));
}

static int count_outbox(const struct sim *s, const char *email)
{
	char *body = NULL;
	int n = 0;
	if (sim_control(s, "GET", "/sim/outbox", NULL, &body) == 200 && body)
		for (const char *p = body; (p = strstr(p, email)); p += strlen(email))
			n++;
	free(body);
	return n;
}

static int get_status(struct okta_client *c, const char *id, char *out, size_t n)
{
	struct okta_user u;
	struct okta_error e;
	if (okta_user_get(c, id, &u, &e) < 0) {
		report("get", &e);
		snprintf(out, n, "?");
		return -1;
	}
	snprintf(out, n, "%s", u.status);
	okta_user_free(&u);
	return 0;
}

static void test_user_lifecycle(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u, f;
	char login[128], profile[512], st[32];
	base_opts(&o, s);
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	/* a login with characters that need URL encoding and quote escaping */
	snprintf(login, sizeof(login), "ada.o'brien+%d@example.com", (int)getpid());
	snprintf(profile, sizeof(profile),
		 "{\"firstName\":\"Ada\",\"lastName\":\"O'Brien\",\"email\":\"%s\",\"login\":\"%s\"}", login, login);
	int rc = okta_user_create(k.c, profile, NULL, 0, 0, &u, &e);
	CHECK(rc == 0);
	if (rc < 0) {
		report("create", &e);
		disconnect(&k);
		return;
	}
	CHECK_STR(u.status, "STAGED");
	CHECK_STR(u.login, login);
	CHECK_STR(u.first_name, "Ada");
	CHECK(u.raw && strstr(u.raw, u.id) != NULL);

	/* the same login again: Okta's duplicate-login refusal, recognized */
	CHECK(okta_user_create(k.c, profile, NULL, 0, 0, &f, &e) == -1);
	CHECK(okta_error_is_duplicate_login(&e));
	if (!okta_error_is_duplicate_login(&e))
		report("duplicate create", &e);
	CHECK(e.http_status == 400 && !e.retryable);

	/* find by login (listUsers filter) and get by login and id */
	rc = okta_user_find_by_login(k.c, login, &f, &e);
	CHECK(rc == 0 && f.id && strcmp(f.id, u.id) == 0);
	if (rc < 0)
		report("find", &e);
	okta_user_free(&f);
	rc = okta_user_get(k.c, login, &f, &e);
	CHECK(rc == 0 && f.id && strcmp(f.id, u.id) == 0);
	okta_user_free(&f);
	CHECK(okta_user_get(k.c, "nobody-here@example.com", &f, &e) == -1 && okta_error_is_not_found(&e));
	CHECK(e.http_status == 404);
	CHECK_STR(e.code, "E0000007");
	CHECK(okta_user_find_by_login(k.c, "nobody-here@example.com", &f, &e) == -1 && okta_error_is_not_found(&e));

	/* activate with the email: PROVISIONED, one message in the outbox */
	int mails0 = count_outbox(s, login);
	struct okta_activation act;
	rc = okta_user_activate(k.c, u.id, 1, &act, &e);
	CHECK(rc == 0);
	if (rc < 0)
		report("activate", &e);
	okta_activation_free(&act);
	get_status(k.c, u.id, st, sizeof(st));
	CHECK_STR(st, "PROVISIONED");
	int mails1 = count_outbox(s, login);
	CHECK(mails1 > mails0);

	/* activate again is refused by Okta (not retried) */
	CHECK(okta_user_activate(k.c, u.id, 1, NULL, &e) == -1 && e.kind == OKTA_ERR_API && !e.retryable);

	/* reactivate with sendEmail=true: another email; with false: a link and no email */
	rc = okta_user_reactivate(k.c, u.id, 1, NULL, &e);
	CHECK(rc == 0);
	if (rc < 0)
		report("reactivate", &e);
	int mails2 = count_outbox(s, login);
	CHECK(mails2 > mails1);
	rc = okta_user_reactivate(k.c, u.id, 0, &act, &e);
	CHECK(rc == 0 && act.url && strlen(act.url) > 8);
	okta_activation_free(&act);
	CHECK(count_outbox(s, login) == mails2);
	get_status(k.c, u.id, st, sizeof(st));
	CHECK_STR(st, "PROVISIONED");

	/* partial profile update keeps the rest */
	rc = okta_user_update_profile(k.c, u.id, "{\"firstName\":\"Augusta\"}", &f, &e);
	CHECK(rc == 0 && f.first_name && strcmp(f.first_name, "Augusta") == 0 && f.last_name &&
	      strcmp(f.last_name, "O'Brien") == 0);
	if (rc < 0)
		report("update", &e);
	okta_user_free(&f);
	CHECK(okta_user_update_profile(k.c, u.id, "[1]", NULL, &e) == -1 && e.kind == OKTA_ERR_LOCAL);

	/* deactivate: DEPROVISIONED, still found by login filter */
	rc = okta_user_deactivate(k.c, u.id, 0, &e);
	CHECK(rc == 0);
	if (rc < 0)
		report("deactivate", &e);
	get_status(k.c, u.id, st, sizeof(st));
	CHECK_STR(st, "DEPROVISIONED");
	rc = okta_user_find_by_login(k.c, login, &f, &e);
	CHECK(rc == 0 && f.status && strcmp(f.status, "DEPROVISIONED") == 0);
	okta_user_free(&f);
	okta_user_free(&u);
	disconnect(&k);
}

static void test_event_hooks(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_eventhook h;
	struct okta_eventhook_list l;
	base_opts(&o, s);
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	const char *types[] = { "user.lifecycle.create", "user.lifecycle.activate" };
	int rc = okta_eventhook_create(k.c, "hookd live test", "https://127.0.0.1:9/hooks/okta", "Authorization",
				       "hook-secret", types, 2, &h, &e);
	CHECK(rc == 0 && h.id && h.status);
	if (rc < 0)
		report("eventhook create", &e);
	CHECK(okta_eventhook_create(k.c, "x", "http://127.0.0.1:9/", "Authorization", "s", types, 2, NULL, &e) == -1 &&
	      e.kind == OKTA_ERR_LOCAL);
	rc = okta_eventhook_list(k.c, &l, &e);
	int found = 0;
	for (size_t i = 0; rc == 0 && i < l.n; i++)
		found += h.id && strcmp(l.v[i].id, h.id) == 0 && l.v[i].uri &&
			 strcmp(l.v[i].uri, "https://127.0.0.1:9/hooks/okta") == 0;
	CHECK(rc == 0 && found == 1);
	okta_eventhook_list_free(&l);
	/* nobody listens at :9, so verification fails, but as an API answer, not a transport failure */
	struct okta_eventhook v;
	rc = h.id ? okta_eventhook_verify(k.c, h.id, &v, &e) : -1;
	CHECK(rc == 0 ? v.verification_status != NULL : e.kind == OKTA_ERR_API);
	if (rc == 0)
		okta_eventhook_free(&v);
	okta_eventhook_free(&h);
	disconnect(&k);
}

static void test_bad_token(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u;
	base_opts(&o, s);
	o.api_token = "00wrong-token";
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	int64_t t0 = now_ms();
	CHECK(okta_user_get(k.c, "anyone@example.com", &u, &e) == -1);
	CHECK(e.http_status == 401 && okta_error_is_unauthorized(&e) && !e.retryable);
	CHECK_STR(e.code, "E0000011");
	CHECK(now_ms() - t0 < 2000); /* not retried */
	char line[600];
	okta_error_format(&e, line, sizeof(line));
	CHECK(strstr(line, "HTTP 401 E0000011") == line && strstr(line, "00wrong") == NULL);
	printf("bad token: %s\n", line);
	disconnect(&k);
}

static int64_t metric_now(const char *name, const char *labels)
{
	return metric_value(metrics_counter(name, labels, "test"));
}

/* Writes k's private PEM into *priv (malloc'd) and its public PEM to path. */
static int key_files(EVP_PKEY *k, char **priv, const char *path)
{
	BIO *b = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
	char *p;
	long n = BIO_get_mem_data(b, &p);
	*priv = strndup(p, (size_t)n);
	BIO_free(b);
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = PEM_write_PUBKEY(f, k) == 1;
	fclose(f);
	return ok ? 0 : -1;
}

static void oauth_opts(struct okta_opts *o, const struct sim *s, const char *client_id, char *pem)
{
	base_opts(o, s);
	o->auth_mode = OKTA_AUTH_PRIVATE_KEY;
	o->api_token = NULL;
	o->client_id = mut(client_id);
	o->scopes = "okta.users.manage okta.eventHooks.manage";
	o->private_key_pem = pem;
	o->key_id = "live-key";
}

static void test_oauth(const char *type, const char *param)
{
	char pub[PATH_MAX + 32], *pem = NULL, *other_pem = NULL;
	snprintf(pub, sizeof(pub), "%s/%s.pub.pem", tmpdir, type);
	EVP_PKEY *k = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
					       : EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	EVP_PKEY *other = strcmp(type, "RSA") == 0 ? EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048)
						   : EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	char junk[PATH_MAX + 32];
	snprintf(junk, sizeof(junk), "%s/%s.other.pub.pem", tmpdir, type);
	CHECK(key_files(k, &pem, pub) == 0 && key_files(other, &other_pem, junk) == 0);
	const char *extra[] = { "--oauth-client-id", "0oaLIVECLIENT", "--oauth-public-key", pub, NULL };
	struct sim s;
	if (sim_start(&s, extra) < 0) {
		CHECK(0);
		goto done;
	}
	struct okta_opts o;
	struct conn c;
	struct okta_error e;
	struct okta_user u;
	char login[128], profile[512];
	oauth_opts(&o, &s, "0oaLIVECLIENT", pem);
	if (connect_org(&c, &o) == 0) {
		snprintf(login, sizeof(login), "oauth.%s.%d@example.com", type, (int)getpid());
		snprintf(profile, sizeof(profile),
			 "{\"firstName\":\"O\",\"lastName\":\"Auth\",\"email\":\"%s\",\"login\":\"%s\"}", login, login);
		int64_t f0 = metric_now("hookd_okta_token_fetches_total", NULL);
		int rc = okta_user_create(c.c, profile, NULL, 0, 0, &u, &e);
		CHECK(rc == 0);
		if (rc < 0)
			report("oauth create", &e);
		/* several calls: the token is reused from the cache */
		for (int i = 0; rc == 0 && i < 3; i++) {
			struct okta_user g;
			CHECK(okta_user_get(c.c, u.id, &g, &e) == 0);
			okta_user_free(&g);
		}
		/* a second worker of the same org shares the cached token */
		struct okta_client *c2 = okta_client_new(c.org, &e);
		struct okta_eventhook_list l;
		CHECK(c2 && okta_eventhook_list(c2, &l, &e) == 0);
		okta_eventhook_list_free(&l);
		okta_client_free(c2);
		CHECK(metric_now("hookd_okta_token_fetches_total", NULL) - f0 == 1);
		/* the sim's clock passes the token's expiry: the 401 makes the client drop the cached
		 * token and fetch another (whose assertion the sim then finds expired: an OAuth error) */
		CHECK(sim_control(&s, "POST", "/sim/clock", "{\"offset_s\":3700}", NULL) == 200);
		struct okta_user g;
		int rc2 = okta_user_get(c.c, login, &g, &e);
		CHECK(rc2 == 0 || e.kind == OKTA_ERR_OAUTH);
		if (rc2 == 0)
			okta_user_free(&g);
		CHECK(metric_now("hookd_okta_token_fetches_total", NULL) - f0 == 2);
		CHECK(sim_control(&s, "POST", "/sim/clock", "{\"offset_s\":0}", NULL) == 200);
		CHECK(okta_user_get(c.c, login, &g, &e) == 0);
		okta_user_free(&g);
		if (rc == 0)
			okta_user_free(&u);
		disconnect(&c);
	} else {
		CHECK(0);
	}
	/* a key the app does not know: a clear OAuth refusal */
	oauth_opts(&o, &s, "0oaLIVECLIENT", other_pem);
	if (connect_org(&c, &o) == 0) {
		CHECK(okta_user_get(c.c, "x@example.com", &u, &e) == -1);
		CHECK(e.kind == OKTA_ERR_OAUTH && !e.retryable);
		CHECK_STR(e.code, "invalid_client");
		char line[600];
		printf("%s unknown key: %s\n", type, okta_error_format(&e, line, sizeof(line)));
		disconnect(&c);
	}
	/* a client id the sim does not know */
	oauth_opts(&o, &s, "0oaSOMEONEELSE", pem);
	if (connect_org(&c, &o) == 0) {
		CHECK(okta_user_get(c.c, "x@example.com", &u, &e) == -1 && e.kind == OKTA_ERR_OAUTH);
		disconnect(&c);
	}
	/* a key that is no key is refused before anything is sent */
	oauth_opts(&o, &s, "0oaLIVECLIENT",
		   mut("-----BEGIN PRIVATE "
		       "KEY-----\nnot a key\n-----END PRIVATE "
		       "KEY-----\n" /* not a key: split so no scanner takes it for one */));
	struct okta_org *bad = okta_org_new(&o, NULL, &e);
	CHECK(bad == NULL && e.kind == OKTA_ERR_LOCAL && strstr(e.summary, "private key") != NULL);
	okta_org_free(bad);
	sim_stop(&s);
done:
	free(pem);
	free(other_pem);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/*
 * A service app that requires DPoP, with nonces on token and API calls: dpop = auto finds out,
 * okta_org_check_credentials (for `hookd doctor`) says so, users are read by login in the path;
 * dpop = off gets a clear error; SSWS has no token request to make.
 */
static void test_dpop(void)
{
	char pub[PATH_MAX + 32], *pem = NULL, why[300];
	snprintf(pub, sizeof(pub), "%s/dpop-app.pub.pem", tmpdir);
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	CHECK(key_files(k, &pem, pub) == 0);
	const char *extra[] = { "--oauth-client-id",	  "0oaDPOP", "--oauth-public-key", pub, "--oauth-dpop",
				"--oauth-dpop-api-nonce", NULL };
	struct sim s;
	struct okta_opts o;
	struct conn c;
	struct okta_error e;
	struct okta_user u;
	if (sim_start(&s, extra) < 0) {
		CHECK(0);
		goto done;
	}
	oauth_opts(&o, &s, "0oaDPOP", pem);
	if (connect_org(&c, &o) == 0) {
		CHECK(okta_org_check_credentials(c.org, why, sizeof(why)) == 0);
		CHECK(strstr(why, "DPoP-bound") != NULL);
		printf("dpop auto: %s\n", why);
		const char *profile = "{\"firstName\":\"Ann\",\"lastName\":\"Lee\",\"email\":\"ann@example.com\","
				      "\"login\":\"ann@example.com\"}";
		CHECK(okta_user_create(c.c, profile, NULL, 0, 0, &u, &e) == 0);
		okta_user_free(&u);
		int rc = okta_user_get(c.c, "ann@example.com", &u, &e);
		CHECK(rc == 0);
		if (rc == 0)
			okta_user_free(&u);
		else
			report("dpop get by login", &e);
		disconnect(&c);
	}
	o.dpop_mode = OKTA_DPOP_OFF;
	if (connect_org(&c, &o) == 0) {
		CHECK(okta_org_check_credentials(c.org, why, sizeof(why)) == -1);
		CHECK(strstr(why, "invalid_dpop_proof") && strstr(why, "dpop = auto or on"));
		printf("dpop off: %s\n", why);
		disconnect(&c);
	}
	base_opts(&o, &s);
	if (connect_org(&c, &o) == 0) {
		CHECK(okta_org_check_credentials(c.org, why, sizeof(why)) == 1);
		disconnect(&c);
	}
	sim_stop(&s);
done:
	free(pem);
	EVP_PKEY_free(k);
}

struct worker {
	struct okta_org *org;
	const char *id;
	int ok, failed;
};

static void *hammer(void *arg)
{
	struct worker *w = arg;
	struct okta_error e;
	struct okta_client *c = okta_client_new(w->org, &e);
	for (int i = 0; c && i < 8; i++) {
		struct okta_user u;
		if (okta_user_get(c, w->id, &u, &e) == 0) {
			w->ok++;
			okta_user_free(&u);
		} else {
			w->failed++;
			report("rate-limited get", &e);
		}
	}
	okta_client_free(c);
	return NULL;
}

/* Creates one user for the rate tests; returns its id (malloc'd) or NULL. */
static char *one_user(struct okta_client *c, const char *tag)
{
	struct okta_user u;
	struct okta_error e;
	char profile[256];
	snprintf(
		profile, sizeof(profile),
		"{\"firstName\":\"R\",\"lastName\":\"L\",\"email\":\"%s.%d@example.com\",\"login\":\"%s.%d@example.com\"}",
		tag, (int)getpid(), tag, (int)getpid());
	if (okta_user_create(c, profile, NULL, 0, 0, &u, &e) < 0) {
		report("create", &e);
		return NULL;
	}
	char *id = strdup(u.id);
	okta_user_free(&u);
	return id;
}

static void test_rate_limit(void)
{
	const char *extra[] = { "--rate-limit", "user=10,window=2", NULL };
	struct sim s;
	if (sim_start(&s, extra) < 0) {
		CHECK(0);
		return;
	}
	struct okta_opts o;
	struct conn k;
	base_opts(&o, &s);
	o.timeout_ms = 30000;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		sim_stop(&s);
		return;
	}
	char *id = one_user(k.c, "rate");
	CHECK(id != NULL);
	int64_t waits0 = metric_now("hookd_okta_rate_waits_total", "bucket=\"user_get\"");
	int64_t n429_0 = metric_now("hookd_okta_requests_total", "bucket=\"user_get\",code=\"429\"");
	int64_t t0 = now_ms();
	struct worker w[4];
	pthread_t th[4];
	for (int i = 0; id && i < 4; i++) {
		w[i] = (struct worker){ k.org, id, 0, 0 };
		pthread_create(&th[i], NULL, hammer, &w[i]);
	}
	int ok = 0, failed = 0;
	for (int i = 0; id && i < 4; i++) {
		pthread_join(th[i], NULL);
		ok += w[i].ok;
		failed += w[i].failed;
	}
	int64_t took = now_ms() - t0;
	int64_t waits = metric_now("hookd_okta_rate_waits_total", "bucket=\"user_get\"") - waits0;
	int64_t got429 = metric_now("hookd_okta_requests_total", "bucket=\"user_get\",code=\"429\"") - n429_0;
	printf("rate limit 10 per 2 s, reserve 2: 32 gets by 4 workers in %lld ms, %lld governor waits, %lld 429s\n",
	       (long long)took, (long long)waits, (long long)got429);
	CHECK(ok == 32 && failed == 0);
	CHECK(waits > 0);
	CHECK(got429 == 0); /* the governor waited instead of spending the reserve */
	/* 32 requests at most 8 per window need at least 3 window rollovers of 2 s */
	CHECK(took >= 4000);
	free(id);
	disconnect(&k);
	sim_stop(&s);
}

static void test_429_burst(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u;
	base_opts(&o, s);
	o.timeout_ms = 90000;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	char *id = one_user(k.c, "burst");
	int64_t before = metric_now("hookd_okta_requests_total", "bucket=\"user_get\",code=\"429\"");
	CHECK(sim_control(s, "POST", "/sim/faults", "{\"burst_429\":2}", NULL) == 200);
	int64_t t0 = now_ms();
	int rc = id ? okta_user_get(k.c, id, &u, &e) : -1;
	int64_t took = now_ms() - t0;
	CHECK(rc == 0);
	if (rc == 0)
		okta_user_free(&u);
	else
		report("get after 429s", &e);
	int64_t n429 = metric_now("hookd_okta_requests_total", "bucket=\"user_get\",code=\"429\"") - before;
	printf("two injected 429s: answered after %lld ms, %lld 429s seen\n", (long long)took, (long long)n429);
	CHECK(n429 == 2);
	CHECK(took >= 1000); /* each 429 waits for its reset (at least the 1 s floor), never hammers */
	/* max_retries = 1 and three 429s: the call gives up with a retryable error and a hint */
	okta_client_free(k.c);
	okta_org_free(k.org);
	o.max_retries = 1;
	connect_org(&k, &o);
	CHECK(sim_control(s, "POST", "/sim/faults", "{\"burst_429\":3}", NULL) == 200);
	rc = id ? okta_user_get(k.c, id, &u, &e) : 0;
	CHECK(rc == -1 && e.http_status == 429 && e.retryable);
	CHECK_STR(e.code, "E0000047");
	sim_control(s, "DELETE", "/sim/faults", NULL, NULL);
	free(id);
	disconnect(&k);
}

struct bg {
	struct okta_client *c;
	const char *id;
	int rc;
	struct okta_error e;
};

static void *bg_get(void *arg)
{
	struct bg *b = arg;
	struct okta_user u;
	b->rc = okta_user_get(b->c, b->id, &u, &b->e);
	if (b->rc == 0)
		okta_user_free(&u);
	return NULL;
}

static void test_5xx(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u;
	base_opts(&o, s);
	o.max_retries = 2;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	char *id = one_user(k.c, "faults");
	int64_t r0 = metric_now("hookd_okta_retries_total", "bucket=\"user_get\"");
	CHECK(sim_control(s, "POST", "/sim/faults", "{\"error_rate\":1,\"status\":500}", NULL) == 200);
	int rc = id ? okta_user_get(k.c, id, &u, &e) : 0;
	CHECK(rc == -1 && e.http_status == 500 && e.retryable);
	CHECK(metric_now("hookd_okta_retries_total", "bucket=\"user_get\"") - r0 == 2);
	disconnect(&k);
	/* faults clear while the call backs off: it succeeds */
	o.max_retries = 10;
	connect_org(&k, &o);
	struct bg b = { k.c, id, -2, { 0 } };
	pthread_t th;
	pthread_create(&th, NULL, bg_get, &b);
	usleep(400000);
	sim_control(s, "DELETE", "/sim/faults", NULL, NULL);
	pthread_join(th, NULL);
	CHECK(b.rc == 0);
	if (b.rc != 0)
		report("get across 500s", &b.e);
	int64_t retries = metric_now("hookd_okta_retries_total", "bucket=\"user_get\"") - r0 - 2;
	printf("500s for 400 ms: succeeded after %lld retries\n", (long long)retries);
	CHECK(retries >= 1);
	free(id);
	disconnect(&k);
}

static int count_substr(const char *hay, const char *needle)
{
	int n = 0;
	for (const char *p = hay; p && (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/*
 * An answer lost after the call took effect, on a reused connection: libcurl on its own would send
 * the POST again on a fresh connection; the client must not let it (one send, a retryable
 * "nothing came back" error), and must retry only through its own loop.
 */
static void test_lost_answer(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u;
	base_opts(&o, s);
	o.max_retries = 0;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	char *id = one_user(k.c, "lost"); /* leaves a live connection to reuse */
	CHECK(sim_control(s, "DELETE", "/sim/requests", NULL, NULL) == 200);
	CHECK(sim_control(s, "POST", "/sim/faults", "{\"lost_rate\":1}", NULL) == 200);
	int rc = id ? okta_user_activate(k.c, id, 1, NULL, &e) : 0;
	sim_control(s, "DELETE", "/sim/faults", NULL, NULL);
	CHECK(rc == -1 && e.kind == OKTA_ERR_TRANSPORT && e.transport == CURLE_GOT_NOTHING && e.retryable);
	report("activate whose answer was lost (expected)", &e);
	char *log = NULL;
	CHECK(sim_control(s, "GET", "/sim/requests", NULL, &log) == 200);
	CHECK(log && count_substr(log, "/lifecycle/activate") == 1);
	CHECK(log && count_substr(log, "\"lost_status\":200") == 1);
	free(log);
	/* it took effect: the user is PROVISIONED, and a second activate is a status conflict */
	int got = id ? okta_user_get(k.c, id, &u, &e) : -1;
	CHECK(got == 0 && strcmp(u.status, "PROVISIONED") == 0);
	if (got == 0)
		okta_user_free(&u);
	CHECK(id && okta_user_activate(k.c, id, 1, NULL, &e) == -1 && okta_error_is_status_conflict(&e));
	free(id);
	disconnect(&k);
}

static void test_transport(const struct sim *s)
{
	struct okta_opts o;
	struct conn k;
	struct okta_error e;
	struct okta_user u;
	char url[64];
	base_opts(&o, s);
	snprintf(url, sizeof(url), "%s://127.0.0.1:%d", tls_ca ? "https" : "http", free_port());
	o.org_url = url;
	o.max_retries = 2;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	CHECK(okta_user_get(k.c, "x", &u, &e) == -1);
	CHECK(e.kind == OKTA_ERR_TRANSPORT && e.retryable && e.transport == CURLE_COULDNT_CONNECT);
	disconnect(&k);
	if (!tls_ca)
		return;
	/* TLS: without the dev CA the sim's certificate is not trusted */
	base_opts(&o, s);
	o.ca_file = NULL;
	if (connect_org(&k, &o) < 0) {
		CHECK(0);
		return;
	}
	CHECK(okta_user_get(k.c, "x", &u, &e) == -1);
	CHECK(e.kind == OKTA_ERR_TRANSPORT && !e.retryable);
	report("TLS without the dev CA (expected)", &e);
	disconnect(&k);
}

/* okta-sim from argv, the environment, or the build directory this program lives in. */
static const char *find_sim(int argc, char **argv)
{
	static char path[PATH_MAX];
	if (argc > 1)
		return argv[1];
	if (getenv("OKTA_SIM_BIN"))
		return getenv("OKTA_SIM_BIN");
	if (getenv("HOOKD_BUILD")) {
		snprintf(path, sizeof(path), "%s/okta-sim", getenv("HOOKD_BUILD"));
		return path;
	}
	ssize_t n = readlink("/proc/self/exe", path, sizeof(path) - 16);
	if (n <= 0)
		return NULL;
	path[n] = '\0';
	char *slash = strrchr(path, '/');
	*slash = '\0';
	slash = strrchr(path, '/'); /* <build>/tests/test_okta_client_live -> <build>/okta-sim */
	if (slash)
		strcpy(slash, "/okta-sim");
	return path;
}

int main(int argc, char **argv)
{
	sim_bin = find_sim(argc, argv);
	if (!sim_bin || access(sim_bin, X_OK) != 0) {
		fprintf(stderr, "okta-sim not found at %s: build it (cmake --build <dir>) or pass its path\n",
			sim_bin ? sim_bin : "(unknown)");
		return 1;
	}
	tls_cert = getenv("OKTA_SIM_CERT");
	tls_key = getenv("OKTA_SIM_KEY");
	tls_ca = getenv("OKTA_SIM_CA");
	if (!(tls_cert && tls_key && tls_ca))
		tls_cert = tls_key = tls_ca = NULL;
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/okta-live-XXXXXX");
	if (!mkdtemp(tmpdir))
		return 1;
	atexit(kill_children);
	signal(SIGPIPE, SIG_IGN);
	curl_global_init(CURL_GLOBAL_DEFAULT);
	printf("okta-sim: %s (%s)\n", sim_bin, tls_ca ? "TLS with the dev CA" : "plain http on loopback");

	/* 2 s rate windows (default limits): an injected 429's reset is at most 2 s away */
	const char *short_windows[] = { "--rate-limit", "window=2", NULL };
	struct sim s;
	if (sim_start(&s, short_windows) < 0) {
		CHECK(0);
		return check_report("okta_client_live");
	}
	test_user_lifecycle(&s);
	test_event_hooks(&s);
	test_bad_token(&s);
	test_transport(&s);
	test_lost_answer(&s);
	test_5xx(&s);
	test_429_burst(&s);
	sim_stop(&s);
	test_oauth("RSA", NULL);
	test_oauth("EC", "P-256");
	test_dpop();
	test_rate_limit();

	char cmd[PATH_MAX + 16];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", tmpdir);
	curl_global_cleanup();
	return check_report("okta_client_live");
}
