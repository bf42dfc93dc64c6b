/* test_intake.c: the one intake path on a real SQLite journal: rules before the commit, dedupe, counts. */
#include "check.h"

#include "core/config.h"
#include "core/metrics.h"
#include "handlers/echo.h"
#include "handlers/rules.h"
#include "hooks/intake.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dbpath[64];

static const char ini[] = "[okta]\n"
			  "api_token_id = 00Thookdtoken1234567\n"
			  "[rule okta-created]\n"
			  "on = okta:user.lifecycle.create\n"
			  "do = send_activation\n"
			  "[rule all-updates]\n"
			  "on = okta:user.account.update_profile\n"
			  "do = update_profile\n"
			  "include_self = true\n";

static struct journal_event ev_of(const char *key, const char *type)
{
	return (struct journal_event){ .source = "okta",
				       .dedupe_key = key,
				       .type = type,
				       .subject_id = "00u1",
				       .subject_login = "a@example.com",
				       .raw = SLICE_LIT("{}") };
}

static size_t count_jobs(struct journal *j)
{
	struct journal_query q = { .limit = 100 };
	struct job *rows = NULL;
	size_t n = 0;
	char err[256];
	if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) < 0)
		return (size_t)-1;
	journal_jobs_free(rows, n);
	return n;
}

static int64_t counter(const char *name, const char *labels)
{
	return metric_value(metrics_counter(name, labels, NULL));
}

static void test_commit(struct journal *j, const struct rules *rules)
{
	struct intake *in = intake_new(j, rules, "okta");
	CHECK(in != NULL);
	if (!in)
		return;
	struct journal_event ev[3] = { ev_of("e1", "user.lifecycle.create"), ev_of("e2", "user.session.start"),
				       ev_of("e3", "user.lifecycle.create") };
	struct intake_result res = { 9, 9, 9 };
	char err[256];
	CHECK(intake_commit(in, ev, 3, 1000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.stored == 3 && res.duplicates == 0 && res.rejected == 0);
	/* The rules ran before the commit: their jobs were stored with the events. */
	CHECK(count_jobs(j) == 2);
	/* The caller's events no longer point at the freed jobs. */
	CHECK(ev[0].jobs == NULL && ev[0].njobs == 0 && ev[2].jobs == NULL);
	/* A redelivery is acknowledged, counted, and adds no job. */
	CHECK(intake_commit(in, ev, 1, 2000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.stored == 0 && res.duplicates == 1);
	CHECK(count_jobs(j) == 2);
	CHECK(counter("hookd_events_journaled_total", "source=\"okta\"") == 3);
	CHECK(counter("hookd_events_duplicate_total", "source=\"okta\"") == 1);
	/* A rejected event is kept, fires no rule, and counts as rejected only. */
	struct journal_event rej = ev_of("rejected:x", "user.lifecycle.create");
	rej.status = "rejected";
	rej.reason = "unreadable";
	CHECK(intake_commit(in, &rej, 1, 3000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.rejected == 1 && res.stored == 0 && res.duplicates == 0);
	CHECK(count_jobs(j) == 2);
	CHECK(counter("hookd_events_rejected_total", "source=\"okta\"") == 1);
	CHECK(counter("hookd_events_journaled_total", "source=\"okta\"") == 3);
	/* No events: stored, nothing counted. */
	CHECK(intake_commit(in, NULL, 0, 3000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.stored == 0 && res.duplicates == 0 && res.rejected == 0);
	intake_free(in);
	intake_free(NULL);
}

/* Counts how often the intake asked for its rules (every commit that does more than answer from the cache). */
struct counted_rules {
	const struct rules *rules;
	int acquired;
};

static const struct rules *counted_acquire(void *ctx, void **hold)
{
	struct counted_rules *c = ctx;
	c->acquired++;
	*hold = NULL;
	return c->rules;
}

static void counted_release(void *hold)
{
	(void)hold;
}

/*
 * A redelivery of events this process made durable is answered from the journal's cache before any
 * other work: no rules, no echo lookup (which reads the journal), no commit. A delivery that mixes a
 * known event with a new one goes the whole way.
 */
static void test_known_redelivery(struct journal *j, const struct rules *rules)
{
	struct intake *in = intake_new(j, rules, "okta");
	CHECK(in != NULL);
	if (!in)
		return;
	struct counted_rules cr = { rules, 0 };
	struct intake_rules_src src = { counted_acquire, counted_release, &cr };
	intake_set_rules_src(in, &src);
	struct journal_event ev[2] = { ev_of("k1", "user.lifecycle.create"), ev_of("k2", "user.lifecycle.create") };
	struct intake_result res;
	char err[256];
	CHECK(intake_commit(in, ev, 1, 1000, &res, err, sizeof(err)) == INTAKE_STORED && res.stored == 1);
	CHECK(cr.acquired == 1);
	size_t jobs = count_jobs(j);
	int64_t cached = counter("hookd_journal_duplicates_cached_total", "backend=\"sqlite\"");
	enum journal_outcome each[2] = { JOURNAL_STORED, JOURNAL_STORED };
	CHECK(intake_commit_each(in, ev, 1, 2000, each, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.duplicates == 1 && res.stored == 0 && each[0] == JOURNAL_DUPLICATE);
	CHECK(cr.acquired == 1); /* the rules were not even asked for */
	CHECK(counter("hookd_journal_duplicates_cached_total", "backend=\"sqlite\"") == cached + 1);
	CHECK(count_jobs(j) == jobs);
	CHECK(ev[0].jobs == NULL && ev[0].echo == NULL);
	/* k1 known, k2 new: the rules run, k2 is stored with its job, k1 stays a duplicate. */
	CHECK(intake_commit_each(in, ev, 2, 3000, each, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(res.duplicates == 1 && res.stored == 1 && each[0] == JOURNAL_DUPLICATE && each[1] == JOURNAL_STORED);
	CHECK(cr.acquired == 2);
	CHECK(count_jobs(j) == jobs + 1);
	intake_free(in);
}

/* One created-user event from someone, with the request and credential that caused it. */
static struct journal_event origin_ev(const char *key, const char *tx, const char *dbg, const char *tok,
				      const char *actor, const char *actor_type)
{
	struct journal_event e = ev_of(key, "user.lifecycle.create");
	e.request_id = tx;
	e.debug_request_id = dbg;
	e.api_token_id = tok;
	e.actor_id = actor;
	e.actor_type = actor_type;
	return e;
}

/* hookd's echoes: by recorded request id, by its API token, by its OAuth app; never by actor alone. */
static void test_echoes(struct journal *j, const struct rules *rules)
{
	struct intake *in = intake_new(j, rules, "okta");
	char err[256];
	CHECK(in && journal_request_record(j, "REQhookd1", 500, err, sizeof(err)) == 0);
	CHECK(journal_request_record(j, "REQhookd2", 500, err, sizeof(err)) == 0);
	if (!in)
		return;
	size_t jobs0 = count_jobs(j);
	struct journal_event ev[] = {
		origin_ev("x1", "REQhookd1", "REQhookd1", NULL, "00uADMIN", "User"),   /* hookd's call */
		origin_ev("x2", "REQother", "REQhookd2", NULL, "00uADMIN", "User"),    /* debugData names it */
		origin_ev("x3", "REQconsole", "REQconsole", NULL, "00uADMIN", "User"), /* the admin, same user */
		origin_ev("x4", "REQscript", NULL, "00Thookdtoken1234567", "00uADMIN", "User"),	 /* hookd's token */
		origin_ev("x5", "REQscript2", NULL, "00Tsomeoneelse000000", "00uADMIN", "User"), /* another token */
		origin_ev("x6", NULL, NULL, NULL, "0oaHOOKDAPP", "PublicClientApp"), /* hookd's service app */
		origin_ev("x7", NULL, NULL, NULL, "0oaHOOKDAPP", "User"), /* a user who happens to share the id */
	};
	size_t n = sizeof(ev) / sizeof(ev[0]);
	int64_t before = counter("hookd_events_echo_total", "reason=\"request_id\"");
	struct intake_result res;
	CHECK(intake_commit(in, ev, n, 4000, &res, err, sizeof(err)) == INTAKE_STORED && res.stored == n);
	/* x3, x5 and x7 fire okta-created; the echoes x1, x2, x4 and x6 fire nothing */
	CHECK(count_jobs(j) == jobs0 + 3);
	CHECK(counter("hookd_events_echo_total", "reason=\"request_id\"") == before + 2);
	CHECK(counter("hookd_events_echo_total", "reason=\"api_token\"") == 1);
	CHECK(counter("hookd_events_echo_total", "reason=\"service_app\"") == 1);
	CHECK(ev[0].echo == NULL && ev[5].echo == NULL); /* reset for the caller */
	/* A redelivered echo is a duplicate: not counted again. */
	CHECK(intake_commit(in, ev, 1, 5000, &res, err, sizeof(err)) == INTAKE_STORED && res.duplicates == 1);
	CHECK(counter("hookd_events_echo_total", "reason=\"request_id\"") == before + 2);
	/* A rule with include_self fires on an echo too. */
	struct journal_event upd = origin_ev("x8", "REQhookd1", NULL, NULL, "00uADMIN", "User");
	upd.type = "user.account.update_profile";
	CHECK(intake_commit(in, &upd, 1, 6000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(count_jobs(j) == jobs0 + 4);
	/* HR events are never Okta echoes, whatever they carry (x8 above was one: before + 3). */
	struct intake *hr = intake_new(j, rules, "hr:x");
	struct journal_event h = origin_ev("h1", "REQhookd1", NULL, NULL, NULL, NULL);
	h.source = "hr:x";
	CHECK(hr && intake_commit(hr, &h, 1, 7000, &res, err, sizeof(err)) == INTAKE_STORED);
	CHECK(counter("hookd_events_echo_total", "reason=\"request_id\"") == before + 3);
	/* the source status rows: the last accepted delivery per source, a refusal */
	intake_refused(in, "unauthorized", 7000);
	intake_refused(in, "bad_delivery", 7100); /* within a second of the last: not written */
	struct source_status *st = NULL;
	size_t ns = 0;
	CHECK(journal_source_status(j, &st, &ns, err, sizeof(err)) == 0 && ns == 2);
	for (size_t i = 0; i < ns; i++)
		if (strcmp(st[i].source, "okta") == 0)
			CHECK(st[i].accepted_ms >= 1000 && st[i].refused_ms == 7000 &&
			      strcmp(st[i].refusal, "unauthorized") == 0);
	journal_source_status_free(st, ns);
	intake_free(hr);
	intake_free(in);
}

/* store_raw: the rules see the whole event, the journal keeps only what the mode allows. */
static void test_store_raw(struct journal *j, const struct rules *rules)
{
	CHECK(intake_store_raw_parse("full") == INTAKE_RAW_FULL &&
	      intake_store_raw_parse("mapped") == INTAKE_RAW_MAPPED &&
	      intake_store_raw_parse("none") == INTAKE_RAW_NONE && intake_store_raw_parse("all") == -1 &&
	      intake_store_raw_parse(NULL) == -1);
	static const char *const modes[] = { "mapped", "none" };
	for (int m = 0; m < 2; m++) {
		struct intake *in = intake_new(j, rules, "okta");
		intake_set_store_raw(in, (enum intake_store_raw)intake_store_raw_parse(modes[m]));
		char key[32], err[256];
		snprintf(key, sizeof(key), "raw-%s", modes[m]);
		struct journal_event e = ev_of(key, "user.lifecycle.create");
		e.raw = SLICE_LIT("{\"secret\":\"salary\"}");
		e.subject_json = "{\"department\":\"x\"}";
		size_t before = count_jobs(j);
		CHECK(intake_commit(in, &e, 1, 1000, NULL, err, sizeof(err)) == INTAKE_STORED);
		CHECK(count_jobs(j) == before + 1);		     /* the rule fired */
		CHECK(e.raw.n == strlen("{\"secret\":\"salary\"}")); /* the caller's event is as it was */
		struct journal_query q = { .source = "okta", .limit = 100 };
		struct event_row *rows = NULL;
		size_t n = 0;
		CHECK(journal_list_events(j, &q, &rows, &n, err, sizeof(err)) == 0);
		int seen = 0;
		for (size_t i = 0; i < n; i++)
			if (strcmp(rows[i].dedupe_key, key) == 0) {
				seen = 1;
				CHECK_STR(rows[i].raw, "null");
				CHECK_STR(rows[i].subject_login, "a@example.com");
				CHECK(m == 0 ? rows[i].subject_json && strstr(rows[i].subject_json, "department")
					     : rows[i].subject_json == NULL);
			}
		CHECK(seen);
		journal_events_free(rows, n);
		intake_free(in);
	}
}

/* An event that carries its own job (an admin action) keeps it, and gets the rules' jobs after it. */
static void test_given_jobs(struct journal *j, const struct rules *rules)
{
	struct intake *in = intake_new(j, rules, "okta");
	CHECK(in != NULL);
	if (!in)
		return;
	size_t before = count_jobs(j);
	struct job_spec own = { .action = "resend_activation", .rule = "admin", .subject = "a@example.com" };
	struct journal_event ev = ev_of("given-1", "user.lifecycle.create");
	ev.jobs = &own;
	ev.njobs = 1;
	struct intake_result res;
	char err[256];
	CHECK(intake_commit(in, &ev, 1, 8000, &res, err, sizeof(err)) == INTAKE_STORED && res.stored == 1);
	CHECK(ev.jobs == NULL && ev.njobs == 0);
	CHECK(count_jobs(j) == before + 2);
	struct journal_query q = { .limit = 2 };
	struct job *rows = NULL;
	size_t n = 0;
	CHECK(journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) == 0 && n == 2);
	if (n == 2) {
		CHECK_STR(rows[1].action, "resend_activation"); /* older: stored first */
		CHECK_STR(rows[1].rule, "admin");
		CHECK_STR(rows[0].rule, "okta-created");
	}
	journal_jobs_free(rows, n);
	intake_free(in);
}

int main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/hookd-intake-%d.db", (int)getpid());
	struct config *c = config_load_string(ini, "r.ini");
	CHECK(c && config_error_count(c) == 0);
	struct echo *echo = c ? echo_from_config(c, "0oaHOOKDAPP") : NULL;
	struct rules *rules = echo ? rules_from_config(c, echo) : NULL;
	CHECK(echo != NULL && rules != NULL);
	struct journal_opts o = { .backend = "sqlite", .path = dbpath, .group_commit_max = 64 };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));
	CHECK(j != NULL);
	if (j && rules) {
		test_commit(j, rules);
		test_echoes(j, rules);
		test_given_jobs(j, rules);
		test_known_redelivery(j, rules);
		test_store_raw(j, rules);
	}
	journal_close(j);
	rules_free(rules);
	echo_free(echo);
	config_free(c);
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char p[80];
		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		unlink(p);
	}
	return check_report("test_intake");
}
