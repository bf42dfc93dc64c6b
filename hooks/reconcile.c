/* reconcile.c: reads Okta's System Log behind the hook and journals what the hook missed, cursor and lease in the journal. */
#include "hooks/reconcile.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/rules.h"
#include "hooks/intake.h"
#include "hooks/okta_delivery.h"
#include "okta/client.h"
#include "okta/logs.h"
#include "store/journal.h"

#define PAGE_LIMIT 1000
#define MAX_PAGES 200 /* per read; the next read goes on from the cursor */

struct reconciler {
	struct reconcile_opts o;
	struct journal *journal;
	struct okta_org *org;
	const struct rules *rules;
	char owner[128];
	pthread_t thread;
	int started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int stopping;
	_Atomic int64_t reconciled, seen, last_run_ms;
	_Atomic int holder;
	char last_error[256];  /* under mu */
	struct intake *intake; /* source label okta_log: its duplicates are re-reads, not redeliveries */
	struct metric *seen_m, *runs_failed, *cursor_ts, *cursor_age;
};

/* ---- configuration ---- */

static int add_type(const char **types, size_t *n, const char *t)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp(types[i], t) == 0)
			return 0;
	if (*n == RECONCILE_MAX_TYPES)
		return -1;
	types[(*n)++] = t;
	return 0;
}

/* The filter over reconcile_types and the okta rules' types; types[] borrow list and rules. */
static char *build_filter(struct config *c, const struct rules *rules, char *list)
{
	const char *types[RECONCILE_MAX_TYPES], *rt[RECONCILE_MAX_TYPES];
	size_t n = 0, nr = rules_types(rules, "okta", rt, RECONCILE_MAX_TYPES);
	for (char *save = NULL, *t = strtok_r(list, ", ", &save); t; t = strtok_r(NULL, ", ", &save))
		if (add_type(types, &n, t) < 0)
			break;
	for (size_t i = 0; i < nr; i++)
		add_type(types, &n, rt[i]);
	char *f = okta_logs_type_filter(types, n);
	if (!f)
		config_report(c, "okta", NULL, "reconcile_types",
			      "needs 1 to %d event types made of letters, digits, '.', '_' and '-'",
			      RECONCILE_MAX_TYPES);
	return f;
}

static int read_every(struct config *c, struct reconcile_opts *o)
{
	const char *v = config_get(c, "okta", NULL, "reconcile_every");
	if (strcmp(v, "off") == 0) {
		o->every_ms = 0;
		return 0;
	}
	if (config_parse_ms(v, &o->every_ms) < 0 || o->every_ms < 100 || o->every_ms > 86400000) {
		config_report(c, "okta", NULL, "reconcile_every", "'%s' is not off or a duration from 100ms to 1d", v);
		return -1;
	}
	return 0;
}

int reconcile_opts_from_config(struct config *c, const struct rules *rules, struct reconcile_opts *o)
{
	memset(o, 0, sizeof(*o));
	int rc = read_every(c, o);
	if (config_ms(c, "okta", NULL, "reconcile_overlap", &o->overlap_ms) < 0 ||
	    config_ms(c, "okta", NULL, "reconcile_lookback", &o->lookback_ms) < 0 ||
	    config_ms(c, "okta", NULL, "reconcile_lease", &o->lease_ms) < 0 ||
	    config_ms(c, "okta", NULL, "reconcile_grace", &o->grace_ms) < 0)
		rc = -1;
	if (o->lookback_ms > 90LL * 86400000) {
		config_report(c, "okta", NULL, "reconcile_lookback", "the System Log keeps 90 days at most");
		rc = -1;
	}
	if (o->lease_ms < 1000) {
		config_report(c, "okta", NULL, "reconcile_lease", "must be at least 1s");
		rc = -1;
	}
	char *list = strdup(config_get(c, "okta", NULL, "reconcile_types"));
	if (list)
		o->filter = build_filter(c, rules, list);
	free(list);
	if (!o->filter)
		rc = -1;
	if (rc < 0)
		reconcile_opts_free(o);
	return rc;
}

void reconcile_opts_free(struct reconcile_opts *o)
{
	if (!o)
		return;
	free(o->filter);
	o->filter = NULL;
}

/* ---- lifecycle ---- */

struct reconciler *reconcile_new(const struct reconcile_opts *o, struct journal *j, struct okta_org *org,
				 const struct rules *rules, const char *owner, char *err, size_t errlen)
{
	struct reconciler *r = calloc(1, sizeof(*r));
	if (!r || !(r->o.filter = strdup(o->filter ? o->filter : ""))) {
		snprintf(err, errlen, "out of memory");
		free(r);
		return NULL;
	}
	r->o.every_ms = o->every_ms;
	r->o.overlap_ms = o->overlap_ms;
	r->o.lookback_ms = o->lookback_ms;
	r->o.lease_ms = o->lease_ms;
	r->o.grace_ms = o->grace_ms;
	r->journal = j;
	r->org = org;
	r->rules = rules;
	snprintf(r->owner, sizeof(r->owner), "%s", owner);
	if (!(r->intake = intake_new(j, rules, "okta_log"))) {
		snprintf(err, errlen, "out of memory");
		free(r->o.filter);
		free(r);
		return NULL;
	}
	pthread_mutex_init(&r->mu, NULL);
	pthread_cond_init(&r->cv, NULL);
	r->seen_m = metrics_counter("hookd_reconcile_events_seen_total", NULL,
				    "Events read from Okta's System Log (found by the hook or not)");
	r->runs_failed = metrics_counter("hookd_reconcile_failures_total", NULL,
					 "System Log reads that stopped on an error (the cursor stayed)");
	r->cursor_ts = metrics_gauge("hookd_reconcile_cursor_timestamp_seconds", NULL,
				     "Unix time up to which the System Log has been journaled");
	r->cursor_age = metrics_gauge("hookd_reconcile_cursor_age_seconds", NULL,
				      "Seconds since the System Log cursor's time (-1: no cursor yet)");
	metric_set(r->cursor_age, -1);
	return r;
}

static void set_error(struct reconciler *r, const char *msg)
{
	pthread_mutex_lock(&r->mu);
	snprintf(r->last_error, sizeof(r->last_error), "%s", msg);
	pthread_mutex_unlock(&r->mu);
}

/* ---- one page ---- */

/* The type as a safe label value (Okta's event types are [a-z0-9._]); "other" when it is not. */
static void type_label(const char *type, char *out, size_t n)
{
	int ok = type && type[0] && strlen(type) < 100;
	for (const char *p = type; ok && *p; p++)
		ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '.' ||
		     *p == '_' || *p == '-';
	snprintf(out, n, "type=\"%s\"", ok ? type : "other");
}

/* The event was found only in the System Log: count it and say how late. */
static void note_reconciled(struct reconciler *r, const struct okta_event *e, int64_t now_ms)
{
	char label[128], late[24] = "unknown";
	int64_t pub;
	type_label(e->type, label, sizeof(label));
	metric_add(metrics_counter("hookd_events_reconciled_total", label,
				   "Events the hook missed, found in Okta's System Log"),
		   1);
	if (e->published && clock_parse_ms(e->published, &pub) == 0)
		snprintf(late, sizeof(late), "%lld", (long long)(now_ms - pub));
	atomic_fetch_add(&r->reconciled, 1);
	log_info("event the hook missed journaled from the System Log", "type", e->type, "uuid", e->uuid, "user",
		 e->target_login, "published", e->published, "lateness_ms", late);
}

/* Prints one event and the jobs it made or would make (backfill). */
static void print_event(FILE *f, const struct journal_event *ev, const struct rule_jobs *jobs, const char *state)
{
	fprintf(f, "%-10s %-24s %-36s %-30s %s\n", state, ev->occurred_at ? ev->occurred_at : "-", ev->dedupe_key,
		ev->type, ev->subject_login ? ev->subject_login : "-");
	for (size_t k = 0; jobs && k < jobs->n; k++)
		fprintf(f, "           -> %s %s (rule %s)\n", jobs->jobs[k].action, jobs->jobs[k].subject,
			jobs->jobs[k].rule);
}

/* A dry run: the rules run, nothing is journaled, each event is printed with its jobs. */
static int dry_run(struct reconciler *r, const struct journal_event *ev, size_t n, int64_t now_ms, FILE *f, char *err,
		   size_t errlen)
{
	for (size_t i = 0; i < n; i++) {
		struct rule_jobs jobs = { 0 };
		if (rules_apply(r->rules, &ev[i], now_ms, &jobs) < 0) {
			snprintf(err, errlen, "out of memory while applying the rules");
			return -1;
		}
		if (f)
			print_event(f, &ev[i], &jobs, "would");
		rule_jobs_free(&jobs);
	}
	return 0;
}

/* Journals (or with dry_run prints) one parsed page through the intake; *newest is its latest published time. */
static int take_page(struct reconciler *r, const struct okta_delivery *d, const struct reconcile_pass *p,
		     struct reconcile_result *res, int64_t *newest, char *err, size_t errlen)
{
	struct journal_event *ev = calloc(d->n ? d->n : 1, sizeof(*ev));
	enum journal_outcome *out = calloc(d->n ? d->n : 1, sizeof(*out));
	int64_t now = clock_now_ms();
	int rc = -1;
	if (!ev || !out) {
		snprintf(err, errlen, "out of memory");
		goto done;
	}
	okta_delivery_to_journal(d, "system-log", ev);
	if (p->dry_run)
		rc = dry_run(r, ev, d->n, now, p->print, err, errlen);
	else
		rc = intake_commit_each(r->intake, ev, d->n, now, out, NULL, err, errlen) == INTAKE_STORED ? 0 : -1;
	for (size_t i = 0; rc == 0 && i < d->n; i++) {
		int64_t pub;
		if (d->ev[i].published && clock_parse_ms(d->ev[i].published, &pub) == 0 && pub > *newest)
			*newest = pub;
		if (p->dry_run)
			continue;
		int stored = out[i] == JOURNAL_STORED;
		res->stored += stored;
		res->duplicates += !stored;
		if (stored)
			note_reconciled(r, &d->ev[i], now);
		if (p->print)
			print_event(p->print, &ev[i], NULL, stored ? "journaled" : "duplicate");
	}
done:
	free(ev);
	free(out);
	return rc;
}

/* ---- one read ---- */

/* The read's bounds: since the cursor minus the overlap (first run: the lookback), until now minus the grace. */
static void bounds(struct reconciler *r, const struct reconcile_pass *p, int64_t cursor_ms, int64_t now_ms,
		   int64_t *since, int64_t *until)
{
	*since = p->since_ms >= 0 ? p->since_ms
		 : cursor_ms >= 0 ? cursor_ms - r->o.overlap_ms
				  : now_ms - r->o.lookback_ms;
	*until = p->until_ms >= 0 ? p->until_ms : now_ms - (p->use_cursor ? r->o.grace_ms : 0);
}

static char *first_path(struct reconciler *r, int64_t since_ms, int64_t until_ms)
{
	char since[40], until[40];
	clock_format_ms(since_ms, since, sizeof(since));
	clock_format_ms(until_ms, until, sizeof(until));
	pthread_mutex_lock(&r->mu); /* reconcile_set_filter swaps it */
	struct okta_logs_query q = {
		.since = since, .until = until, .filter = r->o.filter[0] ? r->o.filter : NULL, .limit = PAGE_LIMIT
	};
	char *path = okta_logs_path(&q);
	pthread_mutex_unlock(&r->mu);
	return path;
}

void reconcile_set_rules_src(struct reconciler *r, const struct intake_rules_src *src)
{
	intake_set_rules_src(r->intake, src);
}

int reconcile_set_filter(struct reconciler *r, const char *filter)
{
	char *f = strdup(filter ? filter : "");
	if (!f)
		return -1;
	pthread_mutex_lock(&r->mu);
	char *old = r->o.filter;
	r->o.filter = f;
	pthread_mutex_unlock(&r->mu);
	free(old);
	return 0;
}

/* Moves the cursor forward (never back) and records *found new events (then 0); 1 when the lease was lost. */
static int advance(struct reconciler *r, int64_t *cursor, int64_t to, size_t *found, char *err, size_t errlen)
{
	if (to <= *cursor && *found == 0)
		return 0;
	to = to > *cursor ? to : *cursor;
	int rc = journal_cursor_advance(r->journal, RECONCILE_CURSOR, r->owner, to, (int64_t)*found, clock_now_ms(),
					err, errlen);
	if (rc == 0) {
		*cursor = to;
		*found = 0;
		metric_set(r->cursor_ts, to / 1000);
	} else if (rc == 1) {
		snprintf(err, errlen, "the reconciler's lease passed to another instance");
	}
	return rc;
}

/* One page fetched, parsed and journaled; *next is the next page's path or NULL. */
static int one_page(struct reconciler *r, struct okta_client *cl, const char *path, const struct reconcile_pass *p,
		    struct reconcile_result *res, int64_t *newest, size_t *n, char **next, char *err, size_t errlen)
{
	struct okta_resp resp;
	struct okta_error e;
	struct okta_delivery d;
	*next = NULL;
	if (okta_logs_page(cl, path, &resp, &e) < 0) {
		char msg[400];
		snprintf(err, errlen, "System Log read failed: %s%s", okta_error_format(&e, msg, sizeof(msg)),
			 e.http_status == 403 ? " (the credentials need okta.logs.read)" : "");
		return -1;
	}
	int rc = okta_logpage_parse(resp.body, resp.len, PAGE_LIMIT, &d, err, errlen);
	if (rc == 0) {
		*n = d.n;
		res->pages++;
		res->seen += d.n;
		atomic_fetch_add(&r->seen, (int64_t)d.n);
		metric_add(r->seen_m, (int64_t)d.n);
		rc = d.n ? take_page(r, &d, p, res, newest, err, errlen) : 0;
		okta_delivery_free(&d);
	}
	if (rc == 0 && resp.next && !(*next = okta_logs_next_path(okta_org_url(r->org), resp.next))) {
		snprintf(err, errlen, "the System Log's next link does not lead to the org's /api/v1/logs");
		rc = -1;
	}
	okta_resp_free(&resp);
	return rc;
}

/* Takes (or renews) the lease; 1 held, 0 standby, -1 error. */
static int lease(struct reconciler *r, int64_t *cursor, char *err, size_t errlen)
{
	int rc = journal_cursor_lease(r->journal, RECONCILE_CURSOR, r->owner, clock_now_ms(), r->o.lease_ms, cursor,
				      err, errlen);
	if (rc >= 0 && rc != atomic_exchange(&r->holder, rc))
		log_info(rc ? "this instance reads the System Log" : "another instance reads the System Log", "owner",
			 r->owner);
	return rc;
}

/* After a durable page: the cursor moves to its newest event, and the lease is renewed before the next. */
static int checkpoint(struct reconciler *r, int64_t *cursor, int64_t newest, size_t *found, int last, char *err,
		      size_t errlen)
{
	if (advance(r, cursor, newest, found, err, errlen) != 0)
		return -1;
	if (last)
		return 0;
	int held = lease(r, cursor, err, errlen);
	if (held == 0)
		snprintf(err, errlen, "the reconciler's lease passed to another instance");
	return held == 1 ? 0 : -1;
}

int reconcile_run(struct reconciler *r, struct okta_client *cl, const struct reconcile_pass *p,
		  struct reconcile_result *out, char *err, size_t errlen)
{
	memset(out, 0, sizeof(*out));
	int64_t start = clock_now_ms(), cursor = -1, newest = -1;
	if (p->use_cursor) {
		int held = lease(r, &cursor, err, errlen);
		if (held <= 0) {
			out->standby = held == 0;
			return held;
		}
	}
	int64_t since, until;
	bounds(r, p, cursor, start, &since, &until);
	if (since >= until)
		return 0; /* nothing old enough yet */
	char *path = first_path(r, since, until), *next = NULL;
	int rc = path ? 0 : -1, done = 0;
	if (!path)
		snprintf(err, errlen, "out of memory");
	size_t found = 0;
	for (int pg = 0; rc == 0 && !done && pg < MAX_PAGES; pg++) {
		size_t n = 0, before = out->stored;
		rc = one_page(r, cl, path, p, out, &newest, &n, &next, err, errlen);
		free(path);
		path = next;
		found += out->stored - before;
		done = rc == 0 && (n == 0 || !next);
		if (rc == 0 && p->use_cursor && !p->dry_run)
			rc = checkpoint(r, &cursor, newest, &found, done, err, errlen);
	}
	free(path);
	if (rc == 0 && done && p->use_cursor && !p->dry_run)
		rc = advance(r, &cursor, until, &found, err, errlen) == 0 ? 0 : -1;
	return rc;
}

/* ---- the thread ---- */

static void update_age(struct reconciler *r)
{
	struct journal_cursor c;
	char err[128];
	if (journal_cursor_read(r->journal, RECONCILE_CURSOR, &c, err, sizeof(err)) == 0 && c.cursor_ms >= 0)
		metric_set(r->cursor_age, (clock_now_ms() - c.cursor_ms) / 1000);
}

/* Sleeps up to ms (in one-second steps that refresh the cursor's age); 1 when stopping. */
static int pause_ms(struct reconciler *r, int64_t ms)
{
	int64_t end = clock_mono_ns() / 1000000 + ms;
	pthread_mutex_lock(&r->mu);
	while (!r->stopping) {
		int64_t left = end - clock_mono_ns() / 1000000;
		if (left <= 0)
			break;
		struct timespec ts;
		clock_mono_deadline(left < 1000 ? left : 1000, &ts);
		pthread_cond_timedwait(&r->cv, &r->mu, &ts);
		pthread_mutex_unlock(&r->mu);
		update_age(r);
		pthread_mutex_lock(&r->mu);
	}
	int stop = r->stopping;
	pthread_mutex_unlock(&r->mu);
	return stop;
}

static void run_once(struct reconciler *r, struct okta_client *cl)
{
	struct reconcile_pass p = { .since_ms = -1, .until_ms = -1, .use_cursor = 1 };
	struct reconcile_result res;
	char err[512] = "";
	if (reconcile_run(r, cl, &p, &res, err, sizeof(err)) < 0) {
		metric_add(r->runs_failed, 1);
		log_warn("System Log read stopped; the next one goes on from the cursor", "detail", err);
		set_error(r, err);
	} else {
		set_error(r, "");
	}
	if (!res.standby && res.stored) {
		char seen[24], stored[24];
		snprintf(seen, sizeof(seen), "%zu", res.seen);
		snprintf(stored, sizeof(stored), "%zu", res.stored);
		log_warn("the System Log held events the hook missed", "seen", seen, "journaled", stored);
	}
	atomic_store(&r->last_run_ms, clock_now_ms());
	update_age(r);
}

static void *loop(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-reconcile");
	struct reconciler *r = arg;
	struct okta_error e;
	struct okta_client *cl = okta_client_new(r->org, &e);
	if (!cl) {
		log_error("the reconciler cannot create an Okta client");
		return NULL;
	}
	do
		run_once(r, cl);
	while (!pause_ms(r, r->o.every_ms));
	okta_client_free(cl);
	return NULL;
}

/* The condvar waits on the monotonic clock, like clock_mono_deadline's instants. */
static int cv_monotonic(pthread_cond_t *cv)
{
	pthread_condattr_t a;
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_destroy(cv);
	int rc = pthread_cond_init(cv, &a);
	pthread_condattr_destroy(&a);
	return rc;
}

int reconcile_start(struct reconciler *r, char *err, size_t errlen)
{
	if (r->o.every_ms == 0) {
		log_info("System Log reconciler off ([okta] reconcile_every = off)");
		return 0;
	}
	if (cv_monotonic(&r->cv) != 0 || pthread_create(&r->thread, NULL, loop, r) != 0) {
		snprintf(err, errlen, "cannot start the reconciler thread");
		return -1;
	}
	r->started = 1;
	return 0;
}

void reconcile_free(struct reconciler *r)
{
	if (!r)
		return;
	if (r->started) {
		pthread_mutex_lock(&r->mu);
		r->stopping = 1;
		pthread_cond_broadcast(&r->cv);
		pthread_mutex_unlock(&r->mu);
		pthread_join(r->thread, NULL);
		int64_t cursor;
		char err[128];
		if (atomic_load(&r->holder)) /* give the lease up: another instance may start at once */
			journal_cursor_lease(r->journal, RECONCILE_CURSOR, r->owner, clock_now_ms(), 0, &cursor, err,
					     sizeof(err));
	}
	pthread_cond_destroy(&r->cv);
	pthread_mutex_destroy(&r->mu);
	intake_free(r->intake);
	free(r->o.filter);
	free(r);
}

void reconcile_stats_get(struct reconciler *r, struct journal *j, int64_t now_ms, struct reconcile_stats *st)
{
	struct journal_cursor c;
	char err[128];
	memset(st, 0, sizeof(*st));
	st->cursor_ms = st->cursor_age_ms = -1;
	if (j && journal_cursor_read(j, RECONCILE_CURSOR, &c, err, sizeof(err)) == 0 && c.cursor_ms >= 0) {
		st->cursor_ms = c.cursor_ms;
		st->cursor_age_ms = now_ms - c.cursor_ms;
		st->found_total = c.found;
	}
	if (!r)
		return;
	st->reconciled = atomic_load(&r->reconciled);
	st->seen = atomic_load(&r->seen);
	st->last_run_ms = atomic_load(&r->last_run_ms);
	st->holder = atomic_load(&r->holder);
	pthread_mutex_lock(&r->mu);
	snprintf(st->last_error, sizeof(st->last_error), "%s", r->last_error);
	pthread_mutex_unlock(&r->mu);
}
