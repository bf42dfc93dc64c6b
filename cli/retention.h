/* retention.h: [store] retain_events / retain_jobs, applied in the background by serve and by `hookd prune`. */
#ifndef HOOKD_RETENTION_H
#define HOOKD_RETENTION_H

#include <stdint.h>

struct config;
struct journal;
struct journal_prune_result;

struct retention_opts {
	int64_t events_ms, jobs_ms; /* 0: keep forever */
	int batch;
};

/* Reads [store] retain_events, retain_jobs and prune_batch; problems are reported to c (-1 then). */
int retention_opts_from_config(struct config *c, struct retention_opts *o);
/*
 * One pass of retention over j at most max_batches batches per step (0: until done), counting
 * hookd_pruned_total{what} and logging what went when anything did. res (may be NULL) gets the
 * counts. Returns 0, or -1 after logging the failure.
 */
int retention_run(struct journal *j, const struct retention_opts *o, int max_batches, int dry_run,
		  struct journal_prune_result *res);

#endif
