/* reconcile.h: the System Log reconciler: every event the hook missed is journaled from Okta's System Log. */
#ifndef HOOKD_RECONCILE_H
#define HOOKD_RECONCILE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct config;
struct journal;
struct okta_org;
struct okta_client;
struct rules;
struct reconciler;

/* The journal row that holds the cursor and the lease. */
#define RECONCILE_CURSOR "okta_logs"
/* Most event types one System Log filter names. */
#define RECONCILE_MAX_TYPES 64

struct reconcile_opts {
	int64_t every_ms;    /* 0: off */
	int64_t overlap_ms;  /* each read starts this long before the cursor */
	int64_t lookback_ms; /* first run: since = now - lookback */
	int64_t lease_ms;    /* lease on the cursor row (one poller among instances) */
	int64_t grace_ms;    /* events younger than this are left to the hook */
	char *filter;	     /* eventType eq "..." or ... (malloc'd) */
};

/*
 * Reads [okta] reconcile_* and builds the filter from reconcile_types plus the event types the
 * okta rules of rules fire on. Problems are reported to c; returns -1 then.
 */
int reconcile_opts_from_config(struct config *c, const struct rules *rules, struct reconcile_opts *o);
/* NULL-safe. */
void reconcile_opts_free(struct reconcile_opts *o);

/* One read of the System Log. */
struct reconcile_pass {
	int64_t since_ms; /* -1: the cursor minus the overlap (or the lookback on the first run) */
	int64_t until_ms; /* -1: now minus the grace (with use_cursor), else now */
	int dry_run;	  /* journal nothing; print what would be journaled and fired */
	int use_cursor;	  /* hold the lease and move the cursor (serve); 0 for backfill */
	FILE *print;	  /* NULL, or where each event found is printed (backfill) */
};

/* What one read did. */
struct reconcile_result {
	size_t pages, seen, stored, duplicates;
	int standby; /* another instance holds the lease: nothing was read */
};

/*
 * The reconciler of serve: o is copied (its filter too); journal, org and rules are borrowed and
 * must outlive it; owner names this instance in the lease (copied). With o->every_ms 0 returns a
 * stopped reconciler that reads nothing. NULL with err filled.
 */
struct reconciler *reconcile_new(const struct reconcile_opts *o, struct journal *j, struct okta_org *org,
				 const struct rules *rules, const char *owner, char *err, size_t errlen);
struct intake_rules_src;
/* Before reconcile_start: the rules come from src (a reload's generation) rather than reconcile_new's. */
void reconcile_set_rules_src(struct reconciler *r, const struct intake_rules_src *src);
/*
 * The System Log filter from now on (the next read; a read in progress keeps its own): a reload
 * whose rules fire on other Okta event types changes it. Thread-safe. 0, or -1 when out of memory
 * (the running filter stays).
 */
int reconcile_set_filter(struct reconciler *r, const char *filter);
/* Starts its thread: a read at once, then one every o->every_ms. 0, or -1 with err filled. */
int reconcile_start(struct reconciler *r, char *err, size_t errlen);
/* Stops the thread (the read in progress finishes its page), gives the lease up, frees. NULL-safe. */
void reconcile_free(struct reconciler *r);

/*
 * One read on client cl (the thread's step; backfill and tests call it directly): a bounded
 * listLogEvents query whose pages are followed through Link rel="next" until a page is empty or
 * no next link comes; each page's
 * events go through the same parsing, dedupe key, rules and journal transaction as a hook
 * delivery, and only then does the cursor move (to the newest published time of the page, and
 * to the read's until once the last page is done). Returns 0, or -1 with err filled (the cursor
 * stays where the last durable page put it).
 */
int reconcile_run(struct reconciler *r, struct okta_client *cl, const struct reconcile_pass *p,
		  struct reconcile_result *out, char *err, size_t errlen);

/* For hookd doctor and /metrics: is the reconciler finding events the hook missed? */
struct reconcile_stats {
	int64_t reconciled;    /* events found only in the System Log since start */
	int64_t found_total;   /* the same, all instances, as long as the journal's cursor row exists */
	int64_t seen;	       /* events read from the System Log since start */
	int64_t cursor_ms;     /* -1: no cursor yet */
	int64_t cursor_age_ms; /* now - cursor, -1 without a cursor */
	int64_t last_run_ms;   /* when the last read finished, 0: none yet */
	int holder;	       /* 1 when this instance held the lease at its last read */
	char last_error[256];  /* "" after a good read */
};
/*
 * Fills st from r's counters and the journal's cursor row (j may be NULL). r may be NULL: a process
 * other than serve (hookd doctor) then still gets the cursor, its age and found_total from j.
 */
void reconcile_stats_get(struct reconciler *r, struct journal *j, int64_t now_ms, struct reconcile_stats *st);

#endif
