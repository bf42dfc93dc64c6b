/* intake.c: normalized events in: rules, then one journal transaction with their jobs, then counts. */
#include "hooks/intake.h"

#include "core/log.h"
#include "core/metrics.h"
#include "handlers/echo.h"
#include "handlers/rules.h"
#include "core/slice.h"
#include "store/journal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct intake {
	struct journal *journal;
	const struct rules *rules;
	char source[160];
	struct intake_rules_src src; /* acquire NULL: rules, for the intake's life */
	enum intake_store_raw store_raw;
	struct metric *journaled, *duplicates, *rejected;
	struct metric *echoes[3]; /* by reason, in the order of echo_reasons */
	/* when the source's row in the journal (journal_source_note) was last written, unix ms */
	_Atomic int64_t noted_accepted_ms, noted_refused_ms;
};

/* The source status row is written at most this often per intake, whatever the request rate. */
#define NOTE_EVERY_MS 1000

/* echo_mark's reasons (handlers/echo.h), each with its hookd_events_echo_total handle. */
static const char *const echo_reasons[] = { ECHO_REQUEST, ECHO_API_TOKEN, ECHO_SERVICE_APP };

struct intake *intake_new(struct journal *j, const struct rules *rules, const char *source)
{
	char labels[200];
	if (snprintf(labels, sizeof(labels), "source=\"%s\"", source) >= (int)sizeof(labels))
		return NULL;
	struct intake *in = calloc(1, sizeof(*in));
	if (!in)
		return NULL;
	in->journal = j;
	in->rules = rules;
	snprintf(in->source, sizeof(in->source), "%s", source);
	in->journaled = metrics_counter("hookd_events_journaled_total", labels, "Events stored in the journal");
	in->duplicates = metrics_counter("hookd_events_duplicate_total", labels,
					 "Redelivered events acknowledged without storing them again");
	in->rejected = metrics_counter("hookd_events_rejected_total", labels,
				       "Payloads kept for inspection because the mapping could not read them");
	for (size_t i = 0; i < sizeof(echo_reasons) / sizeof(echo_reasons[0]); i++) {
		snprintf(labels, sizeof(labels), "reason=\"%s\"", echo_reasons[i]);
		in->echoes[i] = metrics_counter("hookd_events_echo_total", labels,
						"Events hookd's own Okta calls caused, journaled without firing rules");
	}
	return in;
}

void intake_free(struct intake *in)
{
	free(in);
}

int intake_store_raw_parse(const char *name)
{
	static const char *const names[] = { "full", "mapped", "none" };
	for (int i = 0; name && i < 3; i++)
		if (strcmp(name, names[i]) == 0)
			return i;
	return -1;
}

void intake_set_rules_src(struct intake *in, const struct intake_rules_src *src)
{
	in->src = *src;
}

void intake_set_store_raw(struct intake *in, enum intake_store_raw mode)
{
	in->store_raw = mode;
}

/* After the rules ran: what store_raw keeps out of the journal, the originals into keep (restored after). */
static void minimize(const struct intake *in, struct journal_event *ev, size_t n, struct journal_event *keep)
{
	for (size_t i = 0; keep && in->store_raw != INTAKE_RAW_FULL && i < n; i++) {
		keep[i] = ev[i];
		ev[i].raw = SLICE_LIT("null");
		if (in->store_raw == INTAKE_RAW_NONE)
			ev[i].subject_json = NULL;
	}
}

static void restore(const struct intake *in, struct journal_event *ev, size_t n, const struct journal_event *keep)
{
	for (size_t i = 0; keep && in->store_raw != INTAKE_RAW_FULL && i < n; i++) {
		ev[i].raw = keep[i].raw;
		ev[i].subject_json = keep[i].subject_json;
	}
}

static int is_rejected(const struct journal_event *e)
{
	return e->status && strcmp(e->status, "rejected") == 0;
}

/*
 * Puts the caller's own jobs (an admin event carries its job) before the rules' in rj, which then
 * owns the array (the specs' strings stay the caller's). -1 when out of memory.
 */
static int keep_given_jobs(const struct journal_event *e, struct rule_jobs *rj)
{
	if (!e->njobs)
		return 0;
	struct job_spec *all = calloc(e->njobs + rj->n, sizeof(*all));
	if (!all)
		return -1;
	memcpy(all, e->jobs, e->njobs * sizeof(*all));
	if (rj->n)
		memcpy(all + e->njobs, rj->jobs, rj->n * sizeof(*all));
	free(rj->jobs);
	rj->jobs = all;
	rj->n += e->njobs;
	return 0;
}

/* Fills jobs[i] and points ev[i] at it; -1 when out of memory (jobs made so far stay in jobs). */
static int apply_rules(const struct rules *rules, struct journal_event *ev, struct rule_jobs *jobs, size_t n,
		       int64_t now_ms)
{
	for (size_t i = 0; i < n; i++) {
		if (is_rejected(&ev[i]))
			continue;
		if (rules_apply(rules, &ev[i], now_ms, &jobs[i]) < 0 || keep_given_jobs(&ev[i], &jobs[i]) < 0)
			return -1;
		ev[i].jobs = jobs[i].jobs;
		ev[i].njobs = jobs[i].n;
	}
	return 0;
}

/* A newly stored echo: counted by reason and said at info, once (a redelivery is a duplicate). */
static void tell_echo(const struct intake *in, const struct journal_event *e)
{
	for (size_t i = 0; i < sizeof(echo_reasons) / sizeof(echo_reasons[0]); i++)
		if (strcmp(e->echo, echo_reasons[i]) == 0)
			metric_add(in->echoes[i], 1);
	log_info("hookd's own echo journaled; it fires no rule unless the rule sets include_self", "reason", e->echo,
		 "type", e->type, "event", e->dedupe_key, "user", e->subject_login, "request_id", e->request_id);
}

static void count(const struct intake *in, const struct journal_event *ev, const enum journal_outcome *out, size_t n,
		  struct intake_result *res)
{
	struct intake_result c = { 0 };
	for (size_t i = 0; i < n; i++) {
		if (is_rejected(&ev[i]))
			c.rejected++;
		else if (out[i] == JOURNAL_DUPLICATE)
			c.duplicates++;
		else
			c.stored++;
		if (!is_rejected(&ev[i]) && out[i] == JOURNAL_STORED && ev[i].echo)
			tell_echo(in, &ev[i]);
	}
	metric_add(in->journaled, (int64_t)c.stored);
	metric_add(in->duplicates, (int64_t)c.duplicates);
	metric_add(in->rejected, (int64_t)c.rejected);
	if (res)
		*res = c;
}

/* Writes the source's status row when NOTE_EVERY_MS passed since *last (one thread wins). */
static void note(struct intake *in, _Atomic int64_t *last, const char *refusal, int64_t now_ms)
{
	int64_t was = atomic_load(last);
	if (now_ms - was < NOTE_EVERY_MS || !atomic_compare_exchange_strong(last, &was, now_ms))
		return;
	char err[256];
	if (journal_source_note(in->journal, in->source, refusal, now_ms, err, sizeof(err)) < 0)
		log_debug("cannot note the source's status", "source", in->source, "detail", err);
}

void intake_refused(struct intake *in, const char *reason, int64_t now_ms)
{
	if (in)
		note(in, &in->noted_refused_ms, reason ? reason : "refused", now_ms);
}

/* Events that are durable now (stored or duplicates): counted, copied to each, noted as accepted. */
static void accepted(struct intake *in, const struct journal_event *ev, const enum journal_outcome *out, size_t n,
		     enum journal_outcome *each, struct intake_result *res, int64_t now_ms)
{
	count(in, ev, out, n, res);
	if (each)
		memcpy(each, out, sizeof(*out) * n);
	note(in, &in->noted_accepted_ms, NULL, now_ms);
}

enum intake_outcome intake_commit(struct intake *in, struct journal_event *ev, size_t n, int64_t now_ms,
				  struct intake_result *res, char *err, size_t errlen)
{
	return intake_commit_each(in, ev, n, now_ms, NULL, res, err, errlen);
}

enum intake_outcome intake_commit_each(struct intake *in, struct journal_event *ev, size_t n, int64_t now_ms,
				       enum journal_outcome *each, struct intake_result *res, char *err, size_t errlen)
{
	enum intake_outcome rc = INTAKE_STORED;
	enum journal_outcome *out = calloc(n ? n : 1, sizeof(*out));
	if (out && journal_answer_known(in->journal, ev, n, out)) {
		/*
		 * A redelivery of events already durable: no echo marks, no rules, no write. On a miss
		 * journal_commit asks the cache once more (one hash probe), for a commit landed meanwhile.
		 */
		accepted(in, ev, out, n, each, res, now_ms);
		free(out);
		return INTAKE_STORED;
	}
	struct rule_jobs *jobs = calloc(n ? n : 1, sizeof(*jobs));
	void *hold = NULL;
	const struct rules *rules = in->src.acquire ? in->src.acquire(in->src.ctx, &hold) : in->rules;
	/* by token and app here; by request id in the commit, which drops the echoes' unless_echo jobs */
	echo_mark(rules_echo(rules), ev, n);
	/* held until the commit is done: the job specs point at their rule's name */
	if (!jobs || !out || apply_rules(rules, ev, jobs, n, now_ms) < 0) {
		snprintf(err, errlen, "out of memory while applying the rules");
		rc = INTAKE_NO_MEMORY;
	} else {
		struct journal_event *keep = in->store_raw != INTAKE_RAW_FULL ? calloc(n ? n : 1, sizeof(*keep)) : NULL;
		minimize(in, ev, n, keep);
		int crc = in->store_raw != INTAKE_RAW_FULL && !keep
				  ? -1
				  : journal_commit(in->journal, ev, n, out, err, errlen);
		restore(in, ev, n, keep);
		free(keep);
		if (crc < 0)
			rc = INTAKE_JOURNAL_DOWN;
		for (size_t i = 0; crc == 0 && i < n; i++)
			if (out[i] == JOURNAL_STORED_ECHO) {
				ev[i].echo = ECHO_REQUEST;
				out[i] = JOURNAL_STORED;
			}
	}
	if (rc == INTAKE_STORED)
		accepted(in, ev, out, n, each, res, now_ms);
	for (size_t i = 0; jobs && i < n; i++) {
		rule_jobs_free(&jobs[i]);
		ev[i].jobs = NULL;
		ev[i].njobs = 0;
		ev[i].echo = NULL;
		ev[i].echo_lookup = 0;
	}
	free(jobs);
	free(out);
	if (in->src.release)
		in->src.release(hold);
	return rc;
}
