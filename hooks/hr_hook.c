/* hr_hook.c: HR deliveries: signature check, mapping (422 when unreadable), journal before the 2xx. */
#include "hooks/hr_hook.h"

#include "core/clock.h"
#include "core/log.h"
#include "core/metrics.h"
#include "hooks/hr_source.h"
#include "hooks/intake.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One configured source's door: its intake and its verification-failure counter. */
struct door {
	const struct hr_source *source;
	struct intake *intake;
	struct metric *verify_failures;
};

struct hr_hook {
	struct door *doors;
	size_t n;
};

/* The door of source s: its intake and counter. -1 when out of memory. */
static int door_open(struct door *d, const struct hr_source *s, struct journal *j, const struct rules *rules)
{
	char labels[200];
	snprintf(labels, sizeof(labels), "source=\"%s\"", hr_source_label(s));
	d->source = s;
	d->verify_failures = metrics_counter("hookd_hr_verify_failures_total", labels,
					     "HR deliveries refused by their signature check");
	d->intake = intake_new(j, rules, hr_source_label(s));
	if (d->intake)
		intake_set_store_raw(d->intake, (enum intake_store_raw)hr_source_store_raw(s));
	return d->intake ? 0 : -1;
}

struct hr_hook *hr_hook_new(const struct hr_sources *sources, struct journal *j, const struct rules *rules)
{
	struct hr_hook *h = calloc(1, sizeof(*h));
	size_t n = hr_sources_count(sources);
	if (!h || !(h->doors = calloc(n ? n : 1, sizeof(*h->doors)))) {
		free(h);
		return NULL;
	}
	for (; h->n < n; h->n++)
		if (door_open(&h->doors[h->n], hr_sources_at(sources, h->n), j, rules) < 0) {
			hr_hook_free(h);
			return NULL;
		}
	return h;
}

void hr_hook_free(struct hr_hook *h)
{
	if (!h)
		return;
	for (size_t i = 0; i < h->n; i++)
		intake_free(h->doors[i].intake);
	free(h->doors);
	free(h);
}

/* The door of the source served at path (compared whole: no arithmetic on the path), or NULL. */
static const struct door *door_at(const struct hr_hook *h, const char *path)
{
	for (size_t i = 0; i < h->n; i++)
		if (strcmp(hr_source_path(h->doors[i].source), path) == 0)
			return &h->doors[i];
	return NULL;
}

static const char *req_header(void *ctx, const char *name)
{
	return http_header(ctx, name);
}

/* Answers an intake that did not store the events. */
static void fail_intake(struct http_req *r, enum intake_outcome rc, const char *err)
{
	if (rc == INTAKE_NO_MEMORY) {
		http_fail(r, 503, "out_of_memory", "cannot prepare the delivery");
		return;
	}
	log_error("journal commit failed", "req", http_req_id(r), "detail", err);
	http_fail(r, 503, "journal_unavailable", "the delivery could not be stored; retry");
}

/* A payload the mapping cannot read is kept for inspection, as a rejected event with no job. */
static void reject(const struct door *d, struct http_req *r, const char *key, const char *why)
{
	/*
	 * Its own key space: a corrected mapping must still accept the sender's retry of this delivery,
	 * and no delivery id starts with '~' (hr_source_verify hashes those), so "~rejected:X" is never
	 * the key of an accepted delivery (one whose id is "rejected:X" included).
	 */
	char rkey[HR_DEDUPE_MAX + 16];
	snprintf(rkey, sizeof(rkey), "~rejected:%s", key);
	struct journal_event ev = { .source = hr_source_label(d->source),
				    .dedupe_key = rkey,
				    .delivery_id = key,
				    .type = "unmapped",
				    .status = "rejected",
				    .reason = why,
				    .raw = http_body(r) };
	char err[256];
	enum intake_outcome rc = intake_commit(d->intake, &ev, 1, clock_now_ms(), NULL, err, sizeof(err));
	if (rc != INTAKE_STORED) {
		fail_intake(r, rc, err);
	} else {
		intake_refused(d->intake, "unmappable_payload", clock_now_ms());
		http_fail(r, 422, "unmappable_payload", "%s", why);
	}
}

static void store(const struct door *d, struct http_req *r, struct journal_event *ev, size_t n)
{
	char err[256];
	enum intake_outcome rc = intake_commit(d->intake, ev, n, clock_now_ms(), NULL, err, sizeof(err));
	if (rc != INTAKE_STORED)
		fail_intake(r, rc, err);
	else
		http_reply(r, 200, NULL, NULL, 0);
}

void hr_hook_handle(struct http_req *r, void *arg)
{
	struct hr_hook *h = arg;
	const struct door *d = door_at(h, http_path(r));
	if (!d) {
		http_fail(r, 404, "unknown_source", "no HR source is configured at this path");
		return;
	}
	if (!hr_source_admits(d->source, http_remote_addr(r))) {
		intake_refused(d->intake, "address_not_allowed", clock_now_ms());
		http_fail(r, 403, "address_not_allowed", "the client address is not in [source %s] allow",
			  hr_source_name(d->source));
		return;
	}
	if (strcmp(http_method(r), "POST") != 0) {
		http_fail_method(r, "POST");
		return;
	}
	if (http_read_body(r) < 0)
		return;
	struct hr_request req = { .method = http_method(r), .body = http_body(r), .header = req_header, .ctx = r };
	char key[HR_DEDUPE_MAX], why[256];
	if (hr_source_verify(d->source, &req, clock_now_ms() / 1000, key, sizeof(key), why, sizeof(why)) < 0) {
		metric_add(d->verify_failures, 1);
		char reason[300];
		snprintf(reason, sizeof(reason), "verification_failed: %s", why);
		intake_refused(d->intake, reason, clock_now_ms());
		http_fail(r, 401, "verification_failed", "%s", why);
		return;
	}
	struct hr_batch *batch = NULL;
	if (hr_source_map(d->source, req.body, key, &batch, why, sizeof(why)) < 0) {
		reject(d, r, key, why);
		return;
	}
	size_t n = 0;
	struct journal_event *ev = hr_batch_events(batch, &n);
	if (n == 0)
		http_reply(r, 200, NULL, NULL, 0); /* every element's type maps to "-": nothing to keep */
	else
		store(d, r, ev, n);
	hr_batch_free(batch);
}
