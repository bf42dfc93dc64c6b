/* live.h: what serve can swap while it runs (rules, sources, Okta hook, secrets, mail, TLS), and SIGHUP reload. */
#ifndef HOOKD_LIVE_H
#define HOOKD_LIVE_H

#include "hooks/http.h"

struct config;
struct echo;
struct journal;
struct server;
struct workers;
struct live;

/*
 * The serving state of one configuration is a generation: rules, HR sources, the Okta hook (with
 * its secret) and the HR hook. A request takes a reference to the current generation when its
 * handler starts and drops it when it answers, so a reload never changes the rules or secrets
 * under a request in flight; the old generation is freed when its last request is done.
 */

/*
 * Builds generation 1 from c (the configuration serve started with; borrowed, must outlive the
 * live state: reloads compare restart-only keys against it). path is the file reloads read again
 * (NULL: defaults and environment only). journal, server, workers (may be NULL) and echo (hookd's
 * own identity for the rules, from [okta], which needs a restart) are borrowed and must outlive
 * the live state. NULL after logging problems.
 */
struct live *live_new(struct config *c, const char *path, struct journal *j, struct server *s, struct workers *w,
		      const struct echo *echo);
/* Drops the current generation (after the server stopped). NULL-safe. */
void live_free(struct live *l);
/* The URL path of the Okta hook (fixed for the life of the process). */
const char *live_okta_path(const struct live *l);
/* 1 when the current generation serves an Okta event hook ([okta_hook] auth_value set). */
int live_okta_enabled(struct live *l);
struct intake_rules_src;
struct reconciler;
/* The current generation's rules, for an intake that outlives a reload (the reconciler, the admin API). */
void live_rules_src(struct live *l, struct intake_rules_src *out);
/* r (borrowed, may be NULL) gets the System Log filter of each reloaded generation's rules. */
void live_set_reconciler(struct live *l, struct reconciler *r);
/* Route handlers; arg is the live state. They serve through the current generation. */
void live_okta_handle(struct http_req *r, void *arg);
void live_hr_handle(struct http_req *r, void *arg);
/*
 * Reads the configuration file again and, when every part of it is good (TLS certificate and key
 * included), swaps in a new generation, the new certificate and the new mailer at once; otherwise
 * logs every problem and keeps the running one. Keys that need a restart are named in the log when
 * they changed. Counts hookd_config_reloads_total{result}. Returns 0 when applied, -1 when refused.
 * Called from serve's signal loop (one reload at a time).
 */
int live_reload(struct live *l);

#endif
