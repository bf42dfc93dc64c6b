/* test_intake.c: the one intake path on a real SQLite journal: rules before the commit, dedupe, counts. */
#include "check.h"

#include "core/config.h"
#include "core/metrics.h"
#include "handlers/rules.h"
#include "hooks/intake.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dbpath[64];

static const char ini[] = "[rule okta-created]\n"
			  "on = okta:user.lifecycle.create\n"
			  "do = send_activation\n";

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

int main(void)
{
	snprintf(dbpath, sizeof(dbpath), "/tmp/hookd-intake-%d.db", (int)getpid());
	struct config *c = config_load_string(ini, "r.ini");
	CHECK(c && config_error_count(c) == 0);
	struct rules *rules = c ? rules_from_config(c, "00uHOOKD") : NULL;
	CHECK(rules != NULL);
	struct journal_opts o = { .backend = "sqlite", .path = dbpath, .group_commit_max = 64 };
	char err[256];
	struct journal *j = journal_open(&o, err, sizeof(err));
	CHECK(j != NULL);
	if (j && rules)
		test_commit(j, rules);
	journal_close(j);
	rules_free(rules);
	config_free(c);
	static const char *const suffix[] = { "", "-wal", "-shm" };
	for (int i = 0; i < 3; i++) {
		char p[80];
		snprintf(p, sizeof(p), "%s%s", dbpath, suffix[i]);
		unlink(p);
	}
	return check_report("test_intake");
}
