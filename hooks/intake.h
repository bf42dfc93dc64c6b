/* intake.h: the one way in for normalized events, whatever door they came through: rules, journal, counts. */
#ifndef HOOKD_INTAKE_H
#define HOOKD_INTAKE_H

#include <stddef.h>
#include <stdint.h>

#include "store/journal.h"

struct journal;
struct journal_event;
struct rules;

/*
 * The intake of one event source ("okta", "hr:<name>", "admin", ...): the journal and rules it
 * feeds and its metric handles (hookd_events_{journaled,duplicate,rejected}_total{source}), made
 * once here. It knows nothing of HTTP, so an HTTP hook, a System Log reconciler and an admin API
 * all journal through intake_commit. journal, rules and source are borrowed and must outlive it.
 */
struct intake;
/* NULL when out of memory. */
struct intake *intake_new(struct journal *j, const struct rules *rules, const char *source);
/* NULL-safe. */
void intake_free(struct intake *in);

/* What of an event's body is journaled ([source NAME] store_raw, [okta_hook] store_raw). */
enum intake_store_raw {
	INTAKE_RAW_FULL,   /* the bytes as received */
	INTAKE_RAW_MAPPED, /* only what the mapping read (subject fields, subject_json); raw is null */
	INTAKE_RAW_NONE,   /* neither raw nor subject_json: the extracted login, names and ids only */
};
/*
 * Where an intake's rules come from when a reload can replace them (cli/live.c): acquire returns
 * the rules in force and a hold that release drops; each intake_commit holds them for its own
 * events, so a reload never changes the rules under a commit in flight.
 */
struct intake_rules_src {
	const struct rules *(*acquire)(void *ctx, void **hold);
	void (*release)(void *hold);
	void *ctx;
};
/* Before the intake is first used: its rules come from src (copied) instead of intake_new's. */
void intake_set_rules_src(struct intake *in, const struct intake_rules_src *src);

/* "full", "mapped" or "none" -> its mode; -1 for anything else. */
int intake_store_raw_parse(const char *name);
/* Sets what intake_commit journals of each event's body; rules still see all of it. */
void intake_set_store_raw(struct intake *in, enum intake_store_raw mode);

enum intake_outcome {
	INTAKE_STORED = 0,   /* every event is durable (or was already): answer 2xx */
	INTAKE_NO_MEMORY,    /* the rules could not run: nothing stored */
	INTAKE_JOURNAL_DOWN, /* the commit failed: nothing stored, the sender should retry */
};

/* What a stored call held: new events and redeliveries (rejected events count in neither). */
struct intake_result {
	size_t stored, duplicates, rejected;
};

/*
 * Marks hookd's own echoes (handlers/echo.h, one journal lookup for the n events), then runs the
 * rules over each of the n normalized events (none for an event whose status is
 * "rejected": it is kept for inspection only), then commits the events with the jobs the rules
 * derived, in one journal transaction, before the caller answers. Counts the outcome in the
 * source's metrics. now_ms is the reception time the rules see. Jobs the caller put in ev[i].jobs
 * (an admin action's own job) are stored first, then the rules'; ev[i].jobs and njobs are reset to
 * NULL/0 before it returns (ev[i].echo too; the caller's array is only read); everything else in ev
 * is only read. res (may be
 * NULL) is filled on INTAKE_STORED; err gets the detail otherwise. Thread-safe.
 */
enum intake_outcome intake_commit(struct intake *in, struct journal_event *ev, size_t n, int64_t now_ms,
				  struct intake_result *res, char *err, size_t errlen);
/*
 * intake_commit that also tells each event's fate: out (n entries, may be NULL) receives
 * JOURNAL_STORED or JOURNAL_DUPLICATE per event on INTAKE_STORED (for the System Log reconciler,
 * which counts and logs the events only it found).
 */
enum intake_outcome intake_commit_each(struct intake *in, struct journal_event *ev, size_t n, int64_t now_ms,
				       enum journal_outcome *out, struct intake_result *res, char *err, size_t errlen);

/*
 * A request to the source's door was refused (reason: hookd's short code, e.g. "unauthorized").
 * Kept as the source's last refusal in the journal, written at most once a second per source
 * (as is the last accepted delivery, by intake_commit): never a row per request. Thread-safe.
 */
void intake_refused(struct intake *in, const char *reason, int64_t now_ms);

#endif
