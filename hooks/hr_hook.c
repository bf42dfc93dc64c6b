/* hr_hook.c: HR deliveries: signature check, mapping (422 when unreadable), journal before the 2xx. */
#include "hooks/hr_hook.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/rules.h"
#include "hooks/hr_source.h"
#include "store/journal.h"

#include <civetweb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *req_header(void *ctx, const char *name)
{
	return http_header(ctx, name);
}

static void count(const struct hr_source *s, const char *what, int64_t n)
{
	char labels[160];
	snprintf(labels, sizeof(labels), "source=\"%s\"", hr_source_label(s));
	metrics_count(what, labels, n);
}

/* A payload the mapping cannot read is kept for inspection, as a rejected event with no job. */
static void reject(struct hr_hook *h, struct http_req *r, const struct hr_source *s, const char *key,
		   const char *why)
{
	/* Its own key space: a corrected mapping must still accept the sender's retry of this delivery. */
	char rkey[HR_DEDUPE_MAX + 16];
	snprintf(rkey, sizeof(rkey), "rejected:%s", key);
	struct journal_event ev = { .source = hr_source_label(s), .dedupe_key = rkey, .delivery_id = key,
				    .type = "unmapped", .status = "rejected", .reason = why,
				    .raw = { r->body, r->body_len } };
	enum journal_outcome out;
	char err[256];
	if (journal_commit(h->journal, &ev, 1, &out, err, sizeof(err)) < 0) {
		http_fail(r, 503, "journal_unavailable", "the delivery could not be stored; retry");
		return;
	}
	count(s, "hookd_events_rejected_total", 1);
	http_fail(r, 422, "unmappable_payload", "%s", why);
}

static void store(struct hr_hook *h, struct http_req *r, const struct hr_source *s, struct journal_event *ev,
		  size_t n)
{
	struct rule_jobs *jobs = calloc(n ? n : 1, sizeof(*jobs));
	enum journal_outcome *out = calloc(n ? n : 1, sizeof(*out));
	char err[256];
	int64_t now = clock_now_ms();
	size_t i = 0;
	for (; jobs && out && i < n; i++) {
		if (rules_apply(h->rules, &ev[i], now, &jobs[i]) < 0)
			break;
		ev[i].jobs = jobs[i].jobs;
		ev[i].njobs = jobs[i].n;
	}
	if (!jobs || !out || i < n) {
		http_fail(r, 503, "out_of_memory", "cannot prepare the delivery");
	} else if (journal_commit(h->journal, ev, n, out, err, sizeof(err)) < 0) {
		log_error("journal commit failed", "req", r->id, "detail", err);
		http_fail(r, 503, "journal_unavailable", "the delivery could not be stored; retry");
	} else {
		size_t dups = 0;
		for (size_t k = 0; k < n; k++)
			dups += out[k] == JOURNAL_DUPLICATE;
		count(s, "hookd_events_journaled_total", (int64_t)(n - dups));
		count(s, "hookd_events_duplicate_total", (int64_t)dups);
		http_reply(r, 200, NULL, NULL, 0);
	}
	for (size_t k = 0; jobs && k < n; k++)
		rule_jobs_free(&jobs[k]);
	free(jobs);
	free(out);
}

void hr_hook_handle(struct http_req *r, void *arg)
{
	struct hr_hook *h = arg;
	const char *name = r->ri->local_uri + strlen("/hooks/hr/");
	const struct hr_source *s = h->sources ? hr_sources_find(h->sources, name) : NULL;
	if (!s) {
		http_fail(r, 404, "unknown_source", "no HR source is configured at this path");
		return;
	}
	if (strcmp(http_method(r), "POST") != 0) {
		http_fail_method(r, "POST");
		return;
	}
	if (http_read_body(r) < 0)
		return;
	struct hr_request req = { .method = http_method(r), .body = { r->body, r->body_len }, .header = req_header,
				  .ctx = r };
	char key[HR_DEDUPE_MAX], why[256];
	if (hr_source_verify(s, &req, clock_now_ms() / 1000, key, sizeof(key), why, sizeof(why)) < 0) {
		count(s, "hookd_hr_verify_failures_total", 1);
		http_fail(r, 401, "verification_failed", "%s", why);
		return;
	}
	struct hr_batch *batch = NULL;
	if (hr_source_map(s, req.body, key, &batch, why, sizeof(why)) < 0) {
		reject(h, r, s, key, why);
		return;
	}
	size_t n = 0;
	struct journal_event *ev = hr_batch_events(batch, &n);
	if (n == 0)
		http_reply(r, 200, NULL, NULL, 0); /* every element's type maps to "-": nothing to keep */
	else
		store(h, r, s, ev, n);
	hr_batch_free(batch);
}
