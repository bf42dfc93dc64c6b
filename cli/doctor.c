/* doctor.c: `hookd doctor`: checks a deployment end to end, one line per check with the fix. */
#include "cli/cli.h"
#include "cli/out.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/list.h"
#include "core/secure.h"
#include "handlers/echo.h"
#include "handlers/rules.h"
#include "hooks/hr_source.h"
#include "hooks/reconcile.h"
#include "okta/client.h"
#include "okta/eventhooks.h"
#include "okta/governor.h"
#include "okta/opts.h"
#include "store/journal.h"

#include <curl/curl.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509_vfy.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_CHECKS 64
#define DOCTOR_TIMEOUT_MS 10000

struct check {
	char name[32];
	int ok;
	char detail[600];
	char fix[400];
};

struct doctor {
	struct config *c;
	const char *ca_file; /* --ca: extra trust anchors for the chain check */
	struct check k[MAX_CHECKS];
	int n;
	struct rules *rules;
	struct echo *echo;
	struct journal *journal;
	struct okta_opts oo;
	int okta_configured;
	struct okta_governor *gov; /* records the rate headers; the org borrows it */
	struct okta_org *org;
	struct okta_client *cl;
	int okta_up, creds_ok;
	struct okta_rate rate[OKTA_BUCKET_COUNT]; /* the last X-Rate-Limit-* seen per bucket */
	int have_rate[OKTA_BUCKET_COUNT];
};

/* Adds one check line; fix is what to do when it failed (ignored when ok). */
static void add(struct doctor *d, const char *name, int ok, const char *fix, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
static void add(struct doctor *d, const char *name, int ok, const char *fix, const char *fmt, ...)
{
	if (d->n >= MAX_CHECKS)
		return;
	struct check *k = &d->k[d->n++];
	snprintf(k->name, sizeof(k->name), "%s", name);
	k->ok = ok;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(k->detail, sizeof(k->detail), fmt, ap);
	va_end(ap);
	snprintf(k->fix, sizeof(k->fix), "%s", ok || !fix ? "" : fix);
}

/* ---- TLS certificate and key ---- */

static STACK_OF(X509) * read_chain(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	if (!b)
		return NULL;
	STACK_OF(X509) *chain = sk_X509_new_null();
	X509 *x;
	while (chain && (x = PEM_read_bio_X509(b, NULL, NULL, NULL)))
		sk_X509_push(chain, x);
	ERR_clear_error();
	BIO_free(b);
	if (chain && sk_X509_num(chain) == 0) {
		sk_X509_free(chain);
		return NULL;
	}
	return chain;
}

static EVP_PKEY *read_key(const char *path)
{
	BIO *b = BIO_new_file(path, "r");
	EVP_PKEY *k = b ? PEM_read_bio_PrivateKey(b, NULL, NULL, NULL) : NULL;
	ERR_clear_error();
	BIO_free(b);
	return k;
}

/* Verifies leaf against the system roots (and --ca) with the file's other certificates as intermediates. */
static int chain_verifies(struct doctor *d, STACK_OF(X509) * chain, char *why, size_t whylen)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	STACK_OF(X509) *rest = sk_X509_dup(chain);
	int ok = 0;
	if (st && ctx && rest) {
		X509_STORE_set_default_paths(st);
		if (d->ca_file)
			X509_STORE_load_locations(st, d->ca_file, NULL);
		X509 *leaf = sk_X509_shift(rest);
		X509_STORE_CTX_init(ctx, st, leaf, rest);
		ok = X509_verify_cert(ctx) == 1;
		if (!ok)
			snprintf(why, whylen, "%s", X509_verify_cert_error_string(X509_STORE_CTX_get_error(ctx)));
	}
	ERR_clear_error();
	sk_X509_free(rest);
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

static void check_expiry(struct doctor *d, X509 *leaf)
{
	int days = 0, secs = 0;
	ASN1_TIME_diff(&days, &secs, NULL, X509_get0_notAfter(leaf));
	int before_days = 0, before_secs = 0;
	ASN1_TIME_diff(&before_days, &before_secs, NULL, X509_get0_notBefore(leaf));
	if (days < 0 || secs < 0)
		add(d, "tls_expiry", 0, "renew the certificate and restart hookd",
		    "the certificate expired %d day(s) ago", -days);
	else if (before_days > 0 || before_secs > 0)
		add(d, "tls_expiry", 0, "check the clock of this machine, or use a certificate already valid",
		    "the certificate is not valid yet");
	else if (days < 14)
		add(d, "tls_expiry", 0, "renew the certificate now and restart hookd",
		    "the certificate expires in %d day(s)", days);
	else
		add(d, "tls_expiry", 1, NULL, "the certificate is valid for %d more days", days);
}

static void check_tls(struct doctor *d)
{
	const char *cert = config_get(d->c, "server", NULL, "tls_cert");
	const char *key = config_get(d->c, "server", NULL, "tls_key");
	STACK_OF(X509) *chain = read_chain(cert);
	EVP_PKEY *pk = read_key(key);
	if (!chain)
		add(d, "tls_cert", 0, "point [server] tls_cert at a readable PEM certificate chain, leaf first",
		    "cannot read a PEM certificate from %s", cert);
	else
		add(d, "tls_cert", 1, NULL, "%s holds %d certificate(s)", cert, sk_X509_num(chain));
	if (!pk)
		add(d, "tls_key", 0, "point [server] tls_key at the certificate's PEM private key, readable by hookd",
		    "cannot read a PEM private key from %s", key);
	if (chain && pk) {
		X509 *leaf = sk_X509_value(chain, 0);
		if (X509_check_private_key(leaf, pk) == 1)
			add(d, "tls_key", 1, NULL, "the key matches the certificate");
		else
			add(d, "tls_key", 0,
			    "use the private key the certificate was issued for (or the certificate of this key)",
			    "%s does not match the certificate in %s", key, cert);
		ERR_clear_error();
		check_expiry(d, leaf);
		char why[200] = "";
		if (chain_verifies(d, chain, why, sizeof(why)))
			add(d, "tls_chain", 1, NULL, "the chain verifies to a trusted root");
		else
			add(d, "tls_chain", 0,
			    "append the intermediate certificates to tls_cert after the leaf, as the CA gave them "
			    "(okta-sim or a private CA: doctor --ca FILE)",
			    "the chain does not verify: %s", why);
	}
	EVP_PKEY_free(pk);
	sk_X509_pop_free(chain, X509_free);
}

/* ---- journal ---- */

static void check_journal(struct doctor *d)
{
	struct journal_opts jo;
	char err[512];
	if (journal_opts_from_config(d->c, &jo) < 0) {
		add(d, "journal", 0, "fix [store]", "[store] is not usable");
		return;
	}
	d->journal = journal_open(&jo, err, sizeof(err));
	if (d->journal && journal_ping(d->journal, err, sizeof(err)) == 0)
		add(d, "journal", 1, NULL, "%s journal %s is writable", jo.backend,
		    strcmp(jo.backend, "sqlite") == 0 ? jo.path : "(PostgreSQL)");
	else
		add(d, "journal", 0,
		    strcmp(jo.backend, "sqlite") == 0
			    ? "make [store] path and its directory writable by the user hookd runs as (and the disk not full)"
			    : "check [store] url, the server, and the role's rights (CREATE on first start, then INSERT/UPDATE)",
		    "the journal cannot take a write: %s", err);
	journal_opts_free(&jo);
}

/* ---- Okta ---- */

static int64_t gov_take(void *ctx, enum okta_bucket b, int64_t now_ms)
{
	(void)ctx, (void)b, (void)now_ms;
	return 0;
}

static void gov_update(void *ctx, enum okta_bucket b, const struct okta_rate *r, int64_t now_ms)
{
	(void)now_ms;
	struct doctor *d = ctx;
	if ((unsigned)b < OKTA_BUCKET_COUNT) {
		d->rate[b] = *r;
		d->have_rate[b] = 1;
	}
}

static void gov_free(void *ctx)
{
	(void)ctx;
}

static const struct okta_governor_ops recording_ops = { gov_take, gov_update, gov_free };

static const char *creds_fix(const struct doctor *d)
{
	return d->oo.auth_mode == OKTA_AUTH_PRIVATE_KEY
		       ? "check [okta] client_id, that the app's public key matches private_key, and that the app is granted "
			 "the scopes (Okta Admin Console > Applications > the app > Okta API Scopes)"
		       : "put a valid API token in [okta] api_token_file (Security > API > Tokens); a revoked or "
			 "expired token answers E0000011";
}

/* Classifies a failed call: reachability first, then credentials, then scope. */
static void okta_failure(struct doctor *d, const char *what, const struct okta_error *e)
{
	char msg[400];
	okta_error_format(e, msg, sizeof(msg));
	if (e->kind == OKTA_ERR_TRANSPORT) {
		add(d, "okta_reachable", 0, "check [okta] org_url, DNS, the proxy and the firewall (outbound HTTPS)",
		    "%s: %s", d->oo.org_url, msg);
		return;
	}
	if (!d->okta_up) {
		d->okta_up = 1;
		add(d, "okta_reachable", 1, NULL, "%s answers", d->oo.org_url);
	}
	if (e->http_status == 401 || e->kind == OKTA_ERR_OAUTH || e->kind == OKTA_ERR_LOCAL)
		add(d, "okta_credentials", 0, creds_fix(d), "%s refused: %s", what, msg);
	else if (e->http_status == 403)
		add(d, "okta_scopes", 0,
		    d->oo.auth_mode == OKTA_AUTH_PRIVATE_KEY
			    ? "grant the app the scope and list it in [okta] scopes"
			    : "use a token of an admin whose role may do this (Super or Org Admin for event hooks)",
		    "%s is not allowed: %s", what, msg);
	else
		add(d, "okta_credentials", 0, "see Okta's error above", "%s failed: %s", what, msg);
}

static int open_okta(struct doctor *d)
{
	int orc = okta_opts_from_config(d->c, &d->oo);
	d->okta_configured = orc == 0;
	if (orc != 0) {
		add(d, "okta_reachable", rules_count(d->rules) == 0,
		    "set [okta] org_url and credentials (api_token, or auth_mode = private_key with client_id and "
		    "private_key): without them every job waits",
		    "no Okta org is configured");
		return -1;
	}
	d->oo.max_retries = 0;
	d->oo.timeout_ms = DOCTOR_TIMEOUT_MS;
	d->gov = okta_governor_new_ops(&recording_ops, d);
	struct okta_error e;
	okta_error_clear(&e);
	d->org = d->gov ? okta_org_new(&d->oo, d->gov, &e) : NULL;
	d->cl = d->org ? okta_client_new(d->org, &e) : NULL;
	if (!d->cl) {
		char msg[300];
		add(d, "okta_credentials", 0, creds_fix(d), "cannot set up the Okta client: %s",
		    okta_error_format(&e, msg, sizeof(msg)));
		return -1;
	}
	/* OAuth: one token request now (with DPoP when the app needs it), with okta/'s own diagnosis. */
	char why[512];
	int t = okta_org_check_credentials(d->org, why, sizeof(why));
	if (t < 0) {
		add(d, "okta_token", 0, creds_fix(d), "%s", why);
		return -1;
	}
	if (t == 0)
		add(d, "okta_token", 1, NULL, "%s", why);
	return 0;
}

/* The scopes hookd needs: users for the rules' actions, event hooks for doctor and register-hook. */
static void check_scopes(struct doctor *d)
{
	if (d->oo.auth_mode != OKTA_AUTH_PRIVATE_KEY) {
		add(d, "okta_scopes", 1, NULL,
		    "API token: it acts with its admin's role; the calls here show what that role may do");
		return;
	}
	const char *need[] = { rules_count(d->rules) ? "okta.users.manage" : NULL, "okta.eventHooks.read" };
	char missing[200] = "";
	for (size_t i = 0; i < 2; i++) {
		if (!need[i])
			continue;
		const char *alt = strcmp(need[i], "okta.eventHooks.read") == 0 ? "okta.eventHooks.manage" : NULL;
		const char *p = d->oo.scopes ? d->oo.scopes : "";
		int have = 0;
		struct slice s;
		while (list_next(&p, " ", &s))
			have |= slice_eq_cstr(s, need[i]) || (alt && slice_eq_cstr(s, alt));
		if (!have)
			snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s",
				 missing[0] ? " " : "", need[i]);
	}
	if (missing[0])
		add(d, "okta_scopes", 0, "grant the app these scopes in Okta and add them to [okta] scopes",
		    "[okta] scopes lack %s", missing);
	else
		add(d, "okta_scopes", 1, NULL, "granted: %s", d->oo.scopes);
}

/* One call that needs the users scope: GET /api/v1/users?limit=1. */
static void check_users_call(struct doctor *d)
{
	struct okta_resp r;
	struct okta_error e;
	if (okta_client_request(d->cl, "GET", "/api/v1/users?limit=1", NULL, &r, &e) == 0) {
		if (!d->okta_up)
			add(d, "okta_reachable", 1, NULL, "%s answers", d->oo.org_url);
		d->okta_up = d->creds_ok = 1;
		add(d, "okta_credentials", 1, NULL, "%s credentials work (listUsers answered %d)",
		    d->oo.auth_mode == OKTA_AUTH_PRIVATE_KEY ? "OAuth service app" : "API token", r.status);
	} else {
		okta_failure(d, "listUsers", &e);
	}
	okta_resp_free(&r);
}

/* ---- the event hook ---- */

/* 1 when type is one of the comma-separated items. */
static int in_items(const char *items, const char *type)
{
	struct slice s;
	const char *p = items ? items : "";
	while (list_next(&p, ",", &s))
		if (slice_eq_cstr(s, type))
			return 1;
	return 0;
}

static int okta_hook_configured(struct config *c)
{
	char *secret = NULL;
	int s = config_secret(c, "okta_hook", NULL, "auth_value", &secret);
	secure_free(secret);
	return s == 0;
}

static void check_hook_types(struct doctor *d, const struct okta_eventhook *h)
{
	char missing[400] = "";
	for (size_t i = 0; i < rules_count(d->rules); i++) {
		const char *t = rules_type(d->rules, i);
		if (strcmp(rules_source(d->rules, i), "okta") != 0 || strcmp(t, "*") == 0 || in_items(h->events, t))
			continue;
		snprintf(missing + strlen(missing), sizeof(missing) - strlen(missing), "%s%s (rule %s)",
			 missing[0] ? ", " : "", t, rules_name(d->rules, i));
	}
	if (missing[0])
		add(d, "okta_hook_events", 0,
		    "add the missing event types to the hook (Admin Console: Workflow > Event Hooks > Edit), or "
		    "register it again with hookd okta register-hook --events ...",
		    "the hook does not deliver %s", missing);
	else
		add(d, "okta_hook_events", 1, NULL, "the hook delivers every event type a rule listens to");
}

static int okta_rules(const struct rules *r)
{
	int n = 0;
	for (size_t i = 0; i < rules_count(r); i++)
		n += strcmp(rules_source(r, i), "okta") == 0;
	return n;
}

static void check_hook(struct doctor *d)
{
	if (!okta_hook_configured(d->c)) {
		add(d, "okta_hook", okta_rules(d->rules) == 0,
		    "set [okta_hook] auth_value_file (the secret Okta sends back), then hookd okta register-hook",
		    "no [okta_hook]: /hooks/okta answers 404%s",
		    okta_rules(d->rules) ? ", yet rules listen to okta: events" : " (an HR-only deployment)");
		return;
	}
	const char *pub = config_get(d->c, "server", NULL, "public_url");
	if (!pub) {
		add(d, "okta_hook", 0, "set [server] public_url to the https:// base URL Okta calls",
		    "[server] public_url is not set: which hook is hookd's is unknown");
		return;
	}
	if (!d->creds_ok)
		return;
	char url[1200];
	size_t n = strlen(pub);
	snprintf(url, sizeof(url), "%.*s%s", (int)(n && pub[n - 1] == '/' ? n - 1 : n), pub,
		 config_get(d->c, "okta_hook", NULL, "path"));
	struct okta_eventhook_list l = { 0 };
	struct okta_error e;
	if (okta_eventhook_list(d->cl, &l, &e) < 0) {
		okta_failure(d, "listEventHooks", &e);
		return;
	}
	const struct okta_eventhook *h = NULL;
	for (size_t i = 0; i < l.n && !h; i++)
		if (l.v[i].uri && strcmp(l.v[i].uri, url) == 0)
			h = &l.v[i];
	char fix[300];
	snprintf(fix, sizeof(fix), "run hookd okta register-hook -c FILE (registers %.200s)", url);
	if (!h) {
		add(d, "okta_hook", 0, fix, "no event hook in the org calls %s (%zu hook(s) listed)", url, l.n);
	} else if (!h->status || strcmp(h->status, "ACTIVE") != 0) {
		add(d, "okta_hook", 0, "activate the hook: Admin Console > Workflow > Event Hooks > Activate",
		    "hook %s for %s is %s", h->id, url, h->status ? h->status : "of unknown status");
	} else if (!h->verification_status || strcmp(h->verification_status, "VERIFIED") != 0) {
		add(d, "okta_hook", 0,
		    "with hookd running at public_url, verify it: hookd okta register-hook, or Verify in the Admin Console",
		    "hook %s for %s is ACTIVE but %s", h->id, url,
		    h->verification_status ? h->verification_status : "not verified");
	} else {
		add(d, "okta_hook", 1, NULL, "hook %s for %s is ACTIVE and VERIFIED", h->id, url);
	}
	if (h)
		check_hook_types(d, h);
	okta_eventhook_list_free(&l);
}

static void check_rate(struct doctor *d)
{
	char seen[500] = "";
	int low = 0;
	for (int b = 0; b < OKTA_BUCKET_COUNT; b++) {
		if (!d->have_rate[b])
			continue;
		const struct okta_rate *r = &d->rate[b];
		int pct = r->limit > 0 ? (int)(r->remaining * 100 / r->limit) : 100;
		low |= pct < 10;
		snprintf(seen + strlen(seen), sizeof(seen) - strlen(seen), "%s%s %lld/%lld", seen[0] ? ", " : "",
			 okta_bucket_name((enum okta_bucket)b), (long long)r->remaining, (long long)r->limit);
	}
	if (!seen[0])
		add(d, "okta_rate", d->okta_up == 0, "see okta_reachable", "no X-Rate-Limit-* headers seen");
	else
		add(d, "okta_rate", !low,
		    "another client spends this org's budget: find it (System Log), or raise the limit with Okta",
		    "left in the window: %s", seen);
}

/* ---- SMTP, sources ---- */

static void check_smtp(struct doctor *d)
{
	const char *url = config_get(d->c, "mail", NULL, "smtp_url");
	if (!url)
		return;
	CURL *h = curl_easy_init();
	if (!h) {
		add(d, "smtp", 0, "retry", "curl is unusable");
		return;
	}
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_CONNECT_ONLY, 1L);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 5000L);
	curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, 10000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	const char *ca = config_get(d->c, "mail", NULL, "ca_file");
	if (ca)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca);
	CURLcode rc = curl_easy_perform(h);
	if (rc == CURLE_OK)
		add(d, "smtp", 1, NULL, "%s accepts connections", url);
	else
		add(d, "smtp", 0, "check [mail] smtp_url (host, port, smtp:// or smtps://), ca_file and the firewall",
		    "%s: %s", url, curl_easy_strerror(rc));
	curl_easy_cleanup(h);
}

static void fmt_ms(int64_t ms, char *out, size_t n)
{
	if (ms <= 0)
		snprintf(out, n, "never");
	else
		clock_format_ms(ms, out, n);
}

static void source_line(struct doctor *d, const char *source, const struct source_status *st, size_t n)
{
	const struct source_status *s = NULL;
	for (size_t i = 0; i < n && !s; i++)
		if (strcmp(st[i].source, source) == 0)
			s = &st[i];
	char acc[40], ref[40], name[40];
	fmt_ms(s ? s->accepted_ms : 0, acc, sizeof(acc));
	fmt_ms(s ? s->refused_ms : 0, ref, sizeof(ref));
	snprintf(name, sizeof(name), "source %s", source);
	add(d, name, 1, NULL, "last accepted delivery: %s; last refusal: %s%s%s%s", acc, ref,
	    s && s->refusal ? " (" : "", s && s->refusal ? s->refusal : "", s && s->refusal ? ")" : "");
}

static void check_sources(struct doctor *d)
{
	if (!d->journal)
		return;
	struct source_status *st = NULL;
	size_t n = 0;
	char err[256];
	if (journal_source_status(d->journal, &st, &n, err, sizeof(err)) < 0) {
		add(d, "sources", 0, "see journal", "cannot read the sources' status: %s", err);
		return;
	}
	if (okta_hook_configured(d->c))
		source_line(d, "okta", st, n);
	struct hr_sources *hs = hr_sources_from_config(d->c);
	for (size_t i = 0; hs && i < hr_sources_count(hs); i++)
		source_line(d, hr_source_label(hr_sources_at(hs, i)), st, n);
	hr_sources_free(hs);
	journal_source_status_free(st, n);
}

/*
 * The System Log reconciler, from the journal's cursor row: is it reading (the cursor's age), and
 * has it found events the hook missed (a non-zero total means the hook is losing events)?
 */
static void check_reconcile(struct doctor *d)
{
	struct reconcile_opts ro;
	if (!d->journal || !d->okta_configured || reconcile_opts_from_config(d->c, d->rules, &ro) < 0)
		return;
	struct reconcile_stats st;
	reconcile_stats_get(NULL, d->journal, clock_now_ms(), &st);
	int64_t stale_ms = 3 * ro.every_ms + 60000;
	if (ro.every_ms == 0)
		add(d, "system_log", 1, NULL,
		    "reconciler off ([okta] reconcile_every = off): events the hook misses are lost");
	else if (st.cursor_ms < 0)
		add(d, "system_log", 1, NULL,
		    "no System Log read recorded yet (hookd serve reads it at start, then every %lld s)",
		    (long long)(ro.every_ms / 1000));
	else if (st.cursor_age_ms > stale_ms)
		add(d, "system_log", 0,
		    "check that hookd serve runs and can read the System Log (okta.logs.read; its log and "
		    "hookd_reconcile_failures_total)",
		    "the System Log cursor is %lld s old (reads are due every %lld s)",
		    (long long)(st.cursor_age_ms / 1000), (long long)(ro.every_ms / 1000));
	else
		add(d, "system_log", 1, NULL, "read up to %lld s ago; events found only in the System Log: %lld%s",
		    (long long)(st.cursor_age_ms / 1000), (long long)st.found_total,
		    st.found_total
			    ? " (the hook has missed events: see hookd_events_reconciled_total and the hook's deliveries)"
			    : "");
	reconcile_opts_free(&ro);
}

/* ---- output ---- */

static int all_ok(const struct doctor *d)
{
	for (int i = 0; i < d->n; i++)
		if (!d->k[i].ok)
			return 0;
	return 1;
}

/* One line per check; detail and fix escaped (a refusal reason or an Okta message may hold any bytes). */
static void print_text(const struct doctor *d)
{
	for (int i = 0; i < d->n; i++) {
		const struct check *k = &d->k[i];
		struct jbuf b;
		jbuf_init(&b);
		jbuf_printf(&b, "%-4s %-18s ", k->ok ? "ok" : "FAIL", k->name);
		out_escape(&b, k->detail, strlen(k->detail));
		if (!k->ok) {
			jbuf_puts(&b, " -- fix: ");
			out_escape(&b, k->fix, strlen(k->fix));
		}
		char *line = jbuf_take(&b, NULL);
		puts(line ? line : "FAIL (out of memory)");
		free(line);
	}
	printf("%s\n", all_ok(d) ? "all checks passed" : "some checks failed");
}

static void print_json(const struct doctor *d)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_bool(&b, "ok", all_ok(d));
	jbuf_key(&b, "checks");
	jbuf_arr_open(&b);
	for (int i = 0; i < d->n; i++) {
		jbuf_elem(&b);
		jbuf_obj_open(&b);
		jbuf_key_str(&b, "name", d->k[i].name);
		jbuf_key_bool(&b, "ok", d->k[i].ok);
		jbuf_key_str(&b, "detail", d->k[i].detail);
		jbuf_key_str(&b, "fix", d->k[i].ok ? NULL : d->k[i].fix);
		jbuf_obj_close(&b);
	}
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	char *s = jbuf_take(&b, NULL);
	puts(s ? s : "{\"ok\":false,\"checks\":[]}");
	free(s);
}

static const char *arg_after(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc - 1; i++)
		if (strcmp(argv[i], flag) == 0)
			return argv[i + 1];
	return NULL;
}

static int has_arg(int argc, char **argv, const char *flag)
{
	for (int i = 1; i < argc; i++)
		if (strcmp(argv[i], flag) == 0)
			return 1;
	return 0;
}

static void run_checks(struct doctor *d)
{
	add(d, "config", 1, NULL, "valid: %zu rule(s)", rules_count(d->rules));
	check_tls(d);
	check_journal(d);
	if (open_okta(d) == 0) {
		check_users_call(d);
		check_scopes(d);
	}
	char how[400];
	echo_describe(d->echo, how, sizeof(how));
	add(d, "echoes", 1, NULL, "hookd tells its own events %s", how);
	check_hook(d);
	if (d->okta_configured)
		check_rate(d);
	check_smtp(d);
	check_sources(d);
	check_reconcile(d);
}

int cli_doctor(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd doctor -c FILE [--json] [--ca FILE]\n\n"
		     "Checks a deployment end to end and prints one line per check, with what to do when it\n"
		     "fails: config valid; TLS certificate and key readable, matching, days until expiry, chain\n"
		     "complete; journal writable; Okta reachable; credentials work and the scopes cover the\n"
		     "rules; how echoes are recognised; the event hook for [server] public_url exists, is\n"
		     "ACTIVE and VERIFIED and delivers every event type a rule listens to; rate-limit headroom;\n"
		     "SMTP reachable when [mail] smtp_url is set; each source's last accepted delivery and\n"
		     "last refusal; the System Log reconciler's cursor age and the events only it found.\n"
		     "Exits 0 only when every check passes.\n\n"
		     "  -c, --config FILE   configuration (default: $HOOKD_CONFIG)\n"
		     "  --json              one JSON object {ok, checks: [{name, ok, detail, fix}]}\n"
		     "  --ca FILE           extra trusted roots for the certificate chain check (a private CA)");
		return 0;
	}
	struct doctor d;
	memset(&d, 0, sizeof(d));
	d.ca_file = arg_after(argc, argv, "--ca");
	const char *path = arg_after(argc, argv, "-c");
	path = path ? path : arg_after(argc, argv, "--config");
	path = path ? path : getenv("HOOKD_CONFIG");
	d.c = config_load(path);
	if (!d.c)
		return 1;
	if (cli_config_check(d.c) < 0) {
		add(&d, "config", 0, "fix the lines named (hookd check-config -c FILE prints the same)", "%s",
		    config_errors(d.c));
	} else {
		okta_opts_from_config(d.c, &d.oo);
		d.echo = echo_from_config(d.c, d.oo.auth_mode == OKTA_AUTH_PRIVATE_KEY ? d.oo.client_id : NULL);
		okta_opts_free(&d.oo);
		memset(&d.oo, 0, sizeof(d.oo));
		d.rules = rules_from_config(d.c, d.echo);
		run_checks(&d);
	}
	if (has_arg(argc, argv, "--json"))
		print_json(&d);
	else
		print_text(&d);
	int ok = all_ok(&d);
	okta_client_free(d.cl);
	okta_org_free(d.org);
	okta_governor_free(d.gov);
	okta_opts_free(&d.oo);
	journal_close(d.journal);
	rules_free(d.rules);
	echo_free(d.echo);
	config_free(d.c);
	return ok ? 0 : 1;
}
