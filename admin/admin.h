/* admin.h: the admin API and web console on their own TLS listener, never the hook port. */
#ifndef HOOKD_ADMIN_H
#define HOOKD_ADMIN_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct hr_sources;
struct journal;
struct okta_governor;
struct rules;
struct server_opts;

/* [admin]: strings point into the config, token is allocated (wiped by admin_opts_free). */
struct admin_opts {
	const char *listen; /* "" disables the listener */
	const char *tls_cert, *tls_key;
	char *token;
	int threads;
	int64_t session_ttl_ms;
	/* Set by the caller, not the config: the Okta rate governor whose headroom the overview shows
	 * (borrowed, must outlive the admin); NULL when Okta is not configured. */
	struct okta_governor *governor;
	/* Set by the caller: where the admin events' rules come from after a reload (copied); NULL:
	 * the rules given to admin_start, for the admin's life. */
	const struct intake_rules_src *rules_src;
};

/*
 * Reads [admin] into o; tls_cert/tls_key default to [server]'s. Returns 0 when the listener is to
 * run, 1 when it is off (listen empty, or no token configured: o->listen is then ""), -1 on a
 * problem (reported to c).
 */
int admin_opts_from_config(struct config *c, struct admin_opts *o);
/* NULL-safe on o's token. */
void admin_opts_free(struct admin_opts *o);

struct admin;
/*
 * Starts the admin listener: a second civetweb context with its own few threads, so the console
 * never takes a hook connection's thread and hostile hook traffic never starves the console.
 * so gives the TLS policy ([server] tls_min_version, timeouts). j, rules and hr are borrowed and
 * must outlive the admin; changes made through the API are journaled as source "admin" events
 * through hooks/intake. NULL with err filled when the port or certificate fails.
 */
struct admin *admin_start(const struct admin_opts *o, const struct server_opts *so, struct journal *j,
			  const struct rules *rules, const struct hr_sources *hr, char *err, size_t errlen);
/* The listening port (useful with port 0). */
int admin_port(const struct admin *a);
/* Stops the listener after in-flight requests, then frees. Call before the journal closes. NULL-safe. */
void admin_free(struct admin *a);

#endif
