/* rules.h: rules from config that turn a journaled event into jobs, in the event's own transaction. */
#ifndef HOOKD_RULES_H
#define HOOKD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "store/journal.h"

struct config;
struct rules;

/*
 * Reads every [rule NAME] section. self_actor_id (may be NULL) is hookd's own Okta identity: events
 * it caused fire a rule only when that rule sets include_self. Problems are reported to c; returns
 * NULL then. A config without rules gives an empty set (not NULL).
 */
struct rules *rules_from_config(struct config *c, const char *self_actor_id);
void rules_free(struct rules *r);
size_t rules_count(const struct rules *r);
/*
 * The event types of the rules on source (e.g. "okta"), without repeats and without "*", into
 * out[0..max) (borrowed from r). Returns how many.
 */
size_t rules_types(const struct rules *r, const char *source, const char **out, size_t max);

/* What rules_apply made for one event; owns the job specs and their strings. */
struct rule_jobs {
	struct job_spec *jobs;
	size_t n;
	char **strings; /* everything the specs point to */
	size_t nstrings;
};

/*
 * Fills out with a job per rule that matches ev (source:type, when.* filters, self filter), with
 * run_at from delay or from a date field (date_field, at, days_before, the event's time zone).
 * now_ms is the reception time. Returns 0, or -1 when out of memory. Free with rule_jobs_free.
 */
int rules_apply(const struct rules *r, const struct journal_event *ev, int64_t now_ms, struct rule_jobs *out);
void rule_jobs_free(struct rule_jobs *j);

#endif
