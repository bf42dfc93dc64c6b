/* workers.h: the job worker pool: claim due jobs, run their actions, record outcomes with backoff. */
#ifndef HOOKD_WORKERS_H
#define HOOKD_WORKERS_H

#include <stddef.h>
#include <stdint.h>

struct config;
struct journal;
struct okta_org;
struct mailer;
struct workers;
struct activation_opts;

struct worker_opts {
	int threads;
	int64_t lease_ms;
	int max_attempts;
	int64_t backoff_base_ms, backoff_max_ms;
	int64_t poll_ms;
	const struct activation_opts *activation; /* borrowed, set by the caller; NULL: [activation] defaults */
	int64_t request_keep_ms;		  /* how long hookd's own Okta request ids are kept (echoes), >= 24 h */
};

/* Reads [worker]; reports problems to c and returns -1 then. */
int worker_opts_from_config(struct config *c, struct worker_opts *o);

/*
 * Starts o->threads workers, each with its own Okta client of org. journal, org and mail (NULL: no
 * self-delivered links) are borrowed and must outlive the pool (the pool keeps a reference to mail). NULL with err filled.
 */
struct workers *workers_start(const struct worker_opts *o, struct journal *j, struct okta_org *org, struct mailer *mail,
			      char *err, size_t errlen);
/*
 * Jobs claimed from now on use mail (NULL: none); a job already running keeps the mailer it began
 * with. The pool takes its own reference. Thread-safe.
 */
void workers_set_mailer(struct workers *w, struct mailer *mail);
/* Stops claiming, lets each worker finish its current job, joins them. NULL-safe. */
void workers_stop(struct workers *w);

/* The delay before retry number attempt (1-based): base * 2^(attempt-1), capped, with full jitter. */
int64_t workers_backoff_ms(const struct worker_opts *o, int attempt, uint32_t rnd);

#endif
