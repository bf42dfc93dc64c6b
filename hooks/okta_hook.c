/* okta_hook.c: answers Okta's verification GET and journals authenticated deliveries before the 200. */
#include "hooks/okta_hook.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/log.h"
#include "core/metrics.h"
#include "core/secure.h"
#include "handlers/rules.h"
#include "hooks/okta_delivery.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_CHALLENGE 1024

struct okta_hook {
	char *path, *header, *secret;
	size_t max_events;
	struct journal *journal;
	const struct rules *rules;
	struct metric *journaled, *duplicates;
};

struct okta_hook *okta_hook_from_config(struct config *c, struct journal *j, const struct rules *rules)
{
	struct okta_hook *h = calloc(1, sizeof(*h));
	if (!h)
		return NULL;
	int rc = 0;
	const char *path = config_get(c, "okta_hook", NULL, "path");
	if (path[0] != '/' || strchr(path, '?') || strchr(path, ' ')) {
		config_report(c, "okta_hook", NULL, "path", "'%s' is not a URL path starting with /", path);
		rc = -1;
	}
	const char *header = config_get(c, "okta_hook", NULL, "auth_header");
	if (!header[0] || strpbrk(header, " :\r\n")) {
		config_report(c, "okta_hook", NULL, "auth_header", "'%s' is not a header name", header);
		rc = -1;
	}
	int s = config_secret(c, "okta_hook", NULL, "auth_value", &h->secret);
	if (s == 1) {
		config_report(c, "okta_hook", NULL, NULL,
			      "needs auth_value or auth_value_file: the secret Okta sends in %s", header);
		rc = -1;
	} else if (s < 0) {
		rc = -1;
	}
	int64_t max = 0;
	if (config_int(c, "okta_hook", NULL, "max_events", &max) == 0 && (max < 1 || max > 100000)) {
		config_report(c, "okta_hook", NULL, "max_events", "must be between 1 and 100000");
		rc = -1;
	}
	h->max_events = (size_t)max;
	h->path = strdup(path);
	h->header = strdup(header);
	h->journal = j;
	h->rules = rules;
	h->journaled = metrics_counter("hookd_events_journaled_total", "source=\"okta\"", "Events stored in the journal");
	h->duplicates = metrics_counter("hookd_events_duplicate_total", "source=\"okta\"",
					"Redelivered events acknowledged without storing them again");
	if (rc < 0 || !h->path || !h->header) {
		okta_hook_free(h);
		return NULL;
	}
	return h;
}

void okta_hook_free(struct okta_hook *h)
{
	if (!h)
		return;
	free(h->path);
	free(h->header);
	secure_free(h->secret);
	free(h);
}

const char *okta_hook_path(const struct okta_hook *h)
{
	return h->path;
}

static int authenticated(const struct okta_hook *h, struct http_req *r)
{
	const char *v = http_header(r, h->header);
	/* Compare even when absent, so that timing does not tell the two apart. */
	int ok = secure_equal(v ? v : "", v ? strlen(v) : 0, h->secret, strlen(h->secret));
	return v && ok;
}

static void verify_challenge(struct okta_hook *h, struct http_req *r)
{
	(void)h;
	const char *ch = http_header(r, "x-okta-verification-challenge");
	if (!ch || !ch[0]) {
		http_fail(r, 400, "missing_challenge", "a verification GET needs the x-okta-verification-challenge header");
		return;
	}
	if (strlen(ch) > MAX_CHALLENGE) {
		http_fail(r, 400, "challenge_too_long", "the challenge exceeds %d bytes", MAX_CHALLENGE);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "verification", ch);
	jbuf_obj_close(&b);
	if (b.err)
		http_fail(r, 503, "out_of_memory", "cannot build the answer");
	else
		http_reply(r, 200, "application/json", b.p, b.n);
	jbuf_free(&b);
	log_info("okta event hook verified", "req", r->id);
}

static int json_content_type(const char *ct)
{
	if (!ct)
		return 0;
	while (*ct == ' ')
		ct++;
	size_t n = strlen("application/json");
	return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ');
}

/* Builds the journal records (and their rule jobs) for a parsed delivery. */
static int build_events(struct okta_hook *h, const struct okta_delivery *d, struct journal_event *ev,
			struct rule_jobs *jobs, int64_t now_ms)
{
	for (size_t i = 0; i < d->n; i++) {
		const struct okta_event *e = &d->ev[i];
		ev[i] = (struct journal_event){
			.source = "okta",
			.dedupe_key = e->dedupe_key,
			.delivery_id = d->event_id,
			.type = e->type,
			.occurred_at = e->published,
			.subject_id = e->target_id,
			.subject_login = e->target_login,
			.subject_name = e->target_name,
			.actor_id = e->actor_id,
			.raw = e->raw,
		};
		if (strcmp(e->type, "system.email.delivery") == 0 && e->outcome && strcmp(e->outcome, "SUCCESS") != 0)
			log_warn("Okta could not deliver an email", "user", e->target_login, "user_id", e->target_id,
				 "outcome", e->outcome, "reason", e->reason, "event", e->uuid);
		if (rules_apply(h->rules, &ev[i], now_ms, &jobs[i]) < 0)
			return -1;
		ev[i].jobs = jobs[i].jobs;
		ev[i].njobs = jobs[i].n;
	}
	return 0;
}

static void deliver(struct okta_hook *h, struct http_req *r)
{
	if (!json_content_type(http_header(r, "Content-Type"))) {
		http_fail(r, 415, "unsupported_media_type", "deliveries must be Content-Type: application/json");
		return;
	}
	if (http_read_body(r) < 0)
		return;
	struct okta_delivery d;
	char err[256];
	int prc = okta_delivery_parse(r->body, r->body_len, h->max_events, &d, err, sizeof(err));
	if (prc < 0) {
		http_fail(r, prc == -2 ? 413 : 400, prc == -2 ? "too_many_events" : "bad_delivery", "%s", err);
		return;
	}
	struct journal_event *ev = calloc(d.n ? d.n : 1, sizeof(*ev));
	struct rule_jobs *jobs = calloc(d.n ? d.n : 1, sizeof(*jobs));
	enum journal_outcome *out = calloc(d.n ? d.n : 1, sizeof(*out));
	if (!ev || !jobs || !out || build_events(h, &d, ev, jobs, clock_now_ms()) < 0) {
		http_fail(r, 503, "out_of_memory", "cannot prepare the delivery");
		goto done;
	}
	if (journal_commit(h->journal, ev, d.n, out, err, sizeof(err)) < 0) {
		/* Nothing was stored: a 5xx makes Okta deliver again. */
		http_fail(r, 503, "journal_unavailable", "the delivery could not be stored; retry");
		log_error("journal commit failed", "req", r->id, "detail", err);
		goto done;
	}
	size_t dups = 0;
	for (size_t i = 0; i < d.n; i++)
		dups += out[i] == JOURNAL_DUPLICATE;
	metric_add(h->journaled, (int64_t)(d.n - dups));
	metric_add(h->duplicates, (int64_t)dups);
	http_reply(r, 200, NULL, NULL, 0);
	if (dups || d.n)
		log_debug("okta delivery journaled", "req", r->id, "event_id", d.event_id);
done:
	for (size_t i = 0; jobs && i < d.n; i++)
		rule_jobs_free(&jobs[i]);
	free(jobs);
	free(ev);
	free(out);
	okta_delivery_free(&d);
}

void okta_hook_handle(struct http_req *r, void *arg)
{
	struct okta_hook *h = arg;
	const char *m = http_method(r);
	int get = strcmp(m, "GET") == 0, post = strcmp(m, "POST") == 0;
	if (!get && !post) {
		http_fail_method(r, "GET, POST");
		return;
	}
	if (!authenticated(h, r)) {
		http_fail(r, 401, "unauthorized", "missing or wrong %s header", h->header);
		return;
	}
	if (get)
		verify_challenge(h, r);
	else
		deliver(h, r);
}
