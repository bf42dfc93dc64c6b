/* server.h: the TLS HTTP server (civetweb): listeners, routes, health, readiness and metrics. */
#ifndef HOOKD_SERVER_H
#define HOOKD_SERVER_H

#include <stddef.h>
#include <stdint.h>

#include "hooks/http.h"

struct config;
struct journal;
struct server;
struct tls_cert;

struct server_opts {
	const char *listen; /* host:port[,host:port...] */
	const char *tls_cert, *tls_key;
	int tls13_only;
	int threads;
	int64_t max_body;
	int64_t body_memory; /* all bodies being buffered at once */
	int64_t request_timeout_ms;
	int64_t keep_alive_ms;
	int64_t thread_idle_ms; /* a request thread idle this long ends, down to 16 (0: none ends) */
	char *admin_token;	/* owned; NULL: /metrics open only when every listener is on loopback */
	int max_per_address;	/* connections one client address may hold at once; 0: no cap */
	const char *allow;	/* CIDR[,CIDR...] admitted at accept; NULL or "": every address */
	/*
	 * 1 for a second listener in the process (the admin API): the connection guard, the body
	 * watchdog and the body budget are process-wide and belong to the hook listener; this one's
	 * threads neither take the guard's slots nor count against the hook listener's threads.
	 */
	int unguarded;
};

/* Reads [server] into o (strings point into c, admin_token is allocated). Reports problems; -1 then. */
int server_opts_from_config(struct config *c, struct server_opts *o);
void server_opts_free(struct server_opts *o);

typedef void (*http_handler)(struct http_req *r, void *arg);

/* A server that is not yet listening. j (borrowed) answers /readyz and /metrics job gauges. */
struct server *server_new(const struct server_opts *o, struct journal *j);
/*
 * Adds a route before server_start. path is exact ("/hooks/okta") or, ending in '/', a prefix
 * ("/hooks/hr/"). The handler must answer through http_reply / http_fail; arg is passed through.
 */
int server_route(struct server *s, const char *path, http_handler fn, void *arg);
/*
 * Before server_start: a request carrying header name twice is refused (400) before any route
 * sees it, even when the name is one HTTP lets repeat. Every non-list field is refused twice
 * anyway; this is for a configured auth header. Returns 0, or -1 past 8 names.
 */
int server_header_once(struct server *s, const char *name);
/* Starts listening (TLS only). Returns -1 with err filled when a port or the certificate fails. */
int server_start(struct server *s, char *err, size_t errlen);
/*
 * Serves c (the reference is taken over) to every handshake from now on; connections already open
 * keep the certificate they shook hands with. Thread-safe, callable while serving. server_start
 * loads tls_cert and tls_key itself when none was set.
 */
void server_tls_set(struct server *s, struct tls_cert *c);
/* The first listening port (useful with port 0). */
int server_port(const struct server *s);
/* Stops accepting, lets in-flight requests finish, then frees. NULL-safe. */
void server_free(struct server *s);

#endif
