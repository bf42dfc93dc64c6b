/* live.c: generations of the reloadable configuration, reference-counted, swapped on SIGHUP. */
#include "cli/live.h"

#include "cli/cli.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/tlscert.h"
#include "handlers/mail.h"
#include "handlers/rules.h"
#include "handlers/workers.h"
#include "hooks/hr_hook.h"
#include "hooks/hr_source.h"
#include "hooks/intake.h"
#include "hooks/okta_hook.h"
#include "hooks/reconcile.h"
#include "hooks/server.h"
#include "store/journal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct gen {
	_Atomic int refs;
	int64_t id;
	struct rules *rules;
	struct hr_sources *sources;
	struct okta_hook *okta;
	struct hr_hook *hr;
};

struct live {
	pthread_mutex_t lock; /* guards cur between load and reference */
	struct gen *cur;
	int64_t next_id;
	struct config *boot; /* the configuration serve started with */
	char *path;
	const struct echo *echo;
	char *okta_path;
	struct journal *journal;
	struct server *server;
	struct workers *workers;
	struct reconciler *reconciler;
};

/* Keys whose running value stays until a restart: listeners, threads, the store, Okta, workers, admin. */
static int restart_only(const struct cfg_key *k)
{
	if (strcmp(k->section, "okta_hook") == 0) /* the route and the header checked once are set at start */
		return strcmp(k->key, "path") == 0 || strcmp(k->key, "auth_header") == 0;
	if (strcmp(k->section, "server") == 0)
		return strcmp(k->key, "tls_cert") != 0 && strcmp(k->key, "tls_key") != 0;
	return strcmp(k->section, "store") == 0 || strcmp(k->section, "okta") == 0 ||
	       strcmp(k->section, "worker") == 0 ||
	       strcmp(k->section, "admin") == 0; /* its listener and token are read at start */
}

static void gen_free(struct gen *g)
{
	okta_hook_free(g->okta); /* the hooks' intakes borrow the rules */
	hr_hook_free(g->hr);
	hr_sources_free(g->sources);
	rules_free(g->rules);
	free(g);
}

static void gen_release(struct gen *g)
{
	if (g && atomic_fetch_sub(&g->refs, 1) == 1)
		gen_free(g);
}

static struct gen *gen_acquire(struct live *l)
{
	pthread_mutex_lock(&l->lock);
	struct gen *g = l->cur;
	atomic_fetch_add(&g->refs, 1);
	pthread_mutex_unlock(&l->lock);
	return g;
}

/* A generation from c; every problem is reported to c. old (may be NULL) hands over its Okta secret. */
static struct gen *gen_build(struct live *l, struct config *c, const struct gen *old)
{
	struct gen *g = calloc(1, sizeof(*g));
	if (!g)
		return NULL;
	atomic_init(&g->refs, 1);
	g->rules = rules_from_config(c, l->echo);
	g->sources = hr_sources_from_config(c);
	if (g->rules)
		g->okta = okta_hook_from_config(c, l->journal, g->rules);
	if (g->rules && g->sources)
		g->hr = hr_hook_new(g->sources, l->journal, g->rules);
	int64_t grace = 0;
	config_ms(c, "okta_hook", NULL, "previous_secret_grace", &grace);
	if (!g->okta || !g->hr || config_error_count(c) ||
	    okta_hook_keep_previous(g->okta, old ? old->okta : NULL, clock_now_ms() + grace) < 0) {
		gen_free(g);
		return NULL;
	}
	return g;
}

/* The whole file checked as at start, so that a reload is refused whole; the certificate and mailer kept. */
static void check_rest(struct config *c, struct mailer **mail, struct tls_cert **cert)
{
	cli_config_check(c); /* every section as serve reads it at start, rules and sources included */
	tls_cert_from_config(c, cert);
	if (!config_error_count(c))
		mailer_from_config(c, mail);
}

/* result: "ok" or "refused" after a reload; NULL at start (generation 1, counters at 0). */
static void count_reload(const char *result, int64_t gen_id)
{
	char labels[32];
	snprintf(labels, sizeof(labels), "result=\"%s\"", result ? result : "ok");
	metric_add(metrics_counter("hookd_config_reloads_total", labels, "Configuration reloads (SIGHUP) by outcome"),
		   result ? 1 : 0);
	metric_set(
		metrics_gauge(
			"hookd_config_last_reload_ok", NULL,
			"1 when the last reload was applied (or none was tried), 0 when it was refused and the previous configuration runs"),
		!result || strcmp(result, "ok") == 0);
	metric_set(metrics_gauge("hookd_config_last_reload_time_seconds", NULL,
				 "Unix time of the last reload attempt, or of the start"),
		   clock_now_ms() / 1000);
	metric_set(metrics_gauge("hookd_config_generation", NULL,
				 "Generation of the configuration in force: 1 at start, one more per applied reload"),
		   gen_id);
}

static void install(struct live *l, struct gen *g)
{
	g->id = ++l->next_id;
	pthread_mutex_lock(&l->lock);
	struct gen *old = l->cur;
	l->cur = g;
	pthread_mutex_unlock(&l->lock);
	gen_release(old);
}

struct live *live_new(struct config *c, const char *path, struct journal *j, struct server *s, struct workers *w,
		      const struct echo *echo)
{
	struct live *l = calloc(1, sizeof(*l));
	if (!l)
		return NULL;
	pthread_mutex_init(&l->lock, NULL);
	l->boot = c;
	l->journal = j;
	l->server = s;
	l->workers = w;
	l->path = path ? strdup(path) : NULL;
	l->echo = echo;
	l->okta_path = strdup(config_get(c, "okta_hook", NULL, "path"));
	struct gen *g = gen_build(l, c, NULL);
	if (!g || !l->okta_path || (path && !l->path)) {
		if (g)
			gen_free(g);
		live_free(l);
		return NULL;
	}
	install(l, g);
	metrics_counter("hookd_config_reloads_total", "result=\"refused\"",
			"Configuration reloads (SIGHUP) by outcome");
	count_reload(NULL, g->id);
	return l;
}

void live_free(struct live *l)
{
	if (!l)
		return;
	gen_release(l->cur);
	pthread_mutex_destroy(&l->lock);
	free(l->path);
	free(l->okta_path);
	free(l);
}

const char *live_okta_path(const struct live *l)
{
	return l->okta_path;
}

int live_okta_enabled(struct live *l)
{
	struct gen *g = gen_acquire(l);
	int on = okta_hook_enabled(g->okta);
	gen_release(g);
	return on;
}

static const struct rules *rules_acquire(void *ctx, void **hold)
{
	struct gen *g = gen_acquire(ctx);
	*hold = g;
	return g->rules;
}

static void rules_release(void *hold)
{
	gen_release(hold);
}

void live_rules_src(struct live *l, struct intake_rules_src *out)
{
	out->acquire = rules_acquire;
	out->release = rules_release;
	out->ctx = l;
}

void live_set_reconciler(struct live *l, struct reconciler *r)
{
	l->reconciler = r;
}

/*
 * The reconciler reads the System Log for reconcile_types (restart-only: the boot value) and the
 * types the new rules fire on. -1 when the filter cannot be built (then the reload is refused).
 */
static int reconcile_filter(struct live *l, const struct rules *rules, char **filter)
{
	struct reconcile_opts ro;
	*filter = NULL;
	if (!l->reconciler)
		return 0;
	if (reconcile_opts_from_config(l->boot, rules, &ro) < 0)
		return -1;
	*filter = ro.filter;
	ro.filter = NULL;
	reconcile_opts_free(&ro);
	return 0;
}

void live_okta_handle(struct http_req *r, void *arg)
{
	struct gen *g = gen_acquire(arg);
	okta_hook_handle(r, g->okta);
	gen_release(g);
}

void live_hr_handle(struct http_req *r, void *arg)
{
	struct gen *g = gen_acquire(arg);
	hr_hook_handle(r, g->hr);
	gen_release(g);
}

/* Logs each "file:line: message" line of the refused configuration. */
static void log_problems(const struct config *c)
{
	const char *p = config_errors(c);
	while (p && *p) {
		const char *nl = strchr(p, '\n');
		size_t n = nl ? (size_t)(nl - p) : strlen(p);
		char line[600];
		snprintf(line, sizeof(line), "%.*s", (int)(n < sizeof(line) - 1 ? n : sizeof(line) - 1), p);
		log_error("reload: configuration problem", "problem", line);
		p += n + (nl ? 1 : 0);
	}
}

static int same(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

/* Names every restart-only key whose value in c differs from the running one. */
static void log_restart_only(struct live *l, const struct config *c)
{
	for (const struct cfg_key *k = cfg_schema; k->section; k++) {
		if (strchr(k->section, '*') || !restart_only(k))
			continue;
		if (same(config_get(l->boot, k->section, NULL, k->key), config_get(c, k->section, NULL, k->key)))
			continue;
		char key[96];
		snprintf(key, sizeof(key), "%s.%s", k->section, k->key);
		log_warn("reload: this key changed but needs a restart; the running value stays", "key", key);
	}
}

int live_reload(struct live *l)
{
	struct config *c = config_load(l->path);
	if (!c) {
		log_error("reload refused: out of memory");
		count_reload("refused", l->next_id);
		return -1;
	}
	const char *level = config_get(c, "log", NULL, "level");
	if (!level || log_set_level_name(level) < 0)
		config_report(c, "log", NULL, "level", "'%s' is not debug, info, warn or error", level ? level : "");
	struct mailer *mail = NULL;
	struct tls_cert *cert = NULL;
	check_rest(c, &mail, &cert);
	struct gen *g = config_error_count(c) ? NULL : gen_build(l, c, l->cur);
	char *filter = NULL;
	if (g && reconcile_filter(l, g->rules, &filter) < 0) {
		config_report(c, "okta", NULL, "reconcile_types",
			      "the new rules' event types do not fit the System Log filter");
		gen_free(g);
		g = NULL;
	}
	if (!g) {
		log_problems(c);
		log_error("reload refused: the running configuration stays", "file", l->path);
		mailer_free(mail);
		tls_cert_unref(cert);
		config_free(c);
		count_reload("refused", l->next_id);
		return -1;
	}
	log_restart_only(l, c);
	char fp[65];
	tls_cert_fingerprint(cert, fp);
	server_tls_set(l->server, cert);
	if (l->workers)
		workers_set_mailer(l->workers, mail);
	mailer_free(mail);
	if (filter && reconcile_set_filter(l->reconciler, filter) < 0)
		log_warn("reload: out of memory for the System Log filter; the reconciler keeps the old one");
	free(filter);
	install(l, g);
	char id[24];
	snprintf(id, sizeof(id), "%lld", (long long)g->id);
	log_info("configuration reloaded", "#generation", id, "tls_sha256", fp, "file", l->path);
	count_reload("ok", g->id);
	config_free(c);
	return 0;
}
