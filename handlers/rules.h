/* rules.h: rules from config that turn a journaled event into jobs, in the event's own transaction. */
#ifndef HOOKD_RULES_H
#define HOOKD_RULES_H

#include <stddef.h>
#include <stdint.h>

#include "store/journal.h"

struct config;
struct echo;
struct rules;

/*
 * Reads every [rule NAME] section. echo (may be NULL; borrowed, it must outlive the rules) is
 * hookd's own Okta identity, which the intake uses to mark hookd's echoes (handlers/echo.h): an
 * event marked as one fires a rule only when that rule sets include_self. Problems are reported
 * to c; returns NULL then. A config without rules gives an empty set (not NULL).
 */
struct rules *rules_from_config(struct config *c, const struct echo *echo);
void rules_free(struct rules *r);
size_t rules_count(const struct rules *r);
/*
 * The event types of the rules on source (e.g. "okta"), without repeats and without "*", into
 * out[0..max) (borrowed from r). Returns how many.
 */
size_t rules_types(const struct rules *r, const char *source, const char **out, size_t max);
/* The echo identity given to rules_from_config (may be NULL). */
const struct echo *rules_echo(const struct rules *r);
/* The "source:type" a rule listens to, for i < rules_count (for `hookd doctor`). */
const char *rules_source(const struct rules *r, size_t i);
const char *rules_type(const struct rules *r, size_t i);
const char *rules_name(const struct rules *r, size_t i);
const char *rules_action(const struct rules *r, size_t i);

/* What rules_apply made for one event; owns the job specs and their strings. */
struct rule_jobs {
	struct job_spec *jobs;
	size_t n;
	char **strings; /* everything the specs point to */
	size_t nstrings;
};

/*
 * Fills out with a job per rule that matches ev (source:type, when.* filters; an echo only with include_self), with
 * run_at from delay or from a date field (date_field, at, days_before, the event's time zone).
 * now_ms is the reception time. Returns 0, or -1 when out of memory. Free with rule_jobs_free.
 */
int rules_apply(const struct rules *r, const struct journal_event *ev, int64_t now_ms, struct rule_jobs *out);
void rule_jobs_free(struct rule_jobs *j);

#endif
