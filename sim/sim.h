/* sim.h: okta-sim's shared state (the org behind one mutex), its configuration and small helpers. */
#ifndef OKTA_SIM_SIM_H
#define OKTA_SIM_SIM_H

#include <pthread.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

struct users;
struct outbox;
struct hooks;
struct events;
struct delivery;
struct ratelimit;
struct faults;
struct oauth;
struct auth;
struct reqlog;
struct logs;
struct schema;

#define SIM_BODY_MAX (1024 * 1024)

/* Command-line settings; strings are borrowed from argv. */
struct sim_config {
	const char *listen;
	const char *token;
	const char *cert, *key;
	const char *hook_ca;
	int64_t token_ttl_ms;
	const char *rate_spec;
	const char *oauth_client_id;
	const char *oauth_key_file;
	int oauth_dpop;			 /* the app requires DPoP */
	int oauth_dpop_api_nonce;	 /* ...and a nonce on API calls */
	int64_t oauth_dpop_nonce_ttl_ms; /* nonce rotation; 0: every nonce stale at once */
	const char *base_url;
	int64_t search_lag_ms; /* filter/search see a write this long after it (eventual consistency) */
	int64_t transition_ms; /* activate/deactivate show transitioningToStatus this long (0: never) */
	int64_t hook_delay_ms; /* event-hook deliveries wait this long after their call (Okta is asynchronous) */
};

/*
 * One simulated org. mu guards users, outbox, hooks, events and logs (the org data); ratelimit, faults,
 * oauth and delivery have their own locks and may be called with or without mu held (never the
 * other way round: none of them takes mu).
 */
struct sim {
	pthread_mutex_t mu;
	struct sim_config cfg;
	char base_url[256];
	char user_type_id[24];
	_Atomic int64_t clock_offset_ms;
	struct users *users;
	struct outbox *outbox;
	struct hooks *hooks;
	struct events *events;
	struct logs *logs; /* the System Log (guarded by mu) */
	struct delivery *delivery;
	struct ratelimit *rl;
	struct faults *faults;
	struct oauth *oauth;
	struct auth *auth;
	struct reqlog *reqlog; /* /api and /oauth2 requests, for GET /sim/requests */
	struct schema *schema; /* the default user schema (custom properties added by POST) */
};

/* The sim's clock: wall clock plus the offset set through /sim/clock, in unix milliseconds. */
int64_t sim_now_ms(struct sim *s);
/* Fills out[0..n) with random [A-Za-z0-9] and NUL-terminates it (out holds n + 1 bytes). */
void sim_random_alnum(char *out, size_t n);
/* Okta-style id: prefix ("00u", "who", "oty") followed by 17 random alphanumerics (20 chars). */
void sim_new_id(char out[24], const char *prefix);
/* A random RFC 4122 version-4 UUID, 36 chars plus NUL. */
void sim_uuid(char out[37]);
/* Uniform random double in [0, 1). */
double sim_random_unit(void);
/* strdup that aborts on allocation failure (the sim treats OOM as fatal). */
char *sim_strdup(const char *s);
char *sim_strndup(const char *s, size_t n);
void *sim_xcalloc(size_t n, size_t size);
void *sim_xrealloc(void *p, size_t size);

#endif
