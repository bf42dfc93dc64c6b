/* test_hr_examples.c: the example configs in deploy/examples load cleanly; a signed BambooHR delivery makes the expected jobs. */
#include "check.h"
#include "core/config.h"
#include "handlers/rules.h"
#include "hooks/hr_source.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[] = "/tmp/hookd-examples-XXXXXX";

/* The secret variables of every example; each example sees only its own (an unknown HOOKD_* is an error). */
static const struct {
	const char *example, *var;
} secret_vars[] = {
	{ "deploy/examples/bamboohr.ini", "HOOKD_SOURCE_BAMBOOHR_SECRET_FILE" },
	{ "deploy/examples/standard-webhooks.ini", "HOOKD_SOURCE_HRIS_SECRET_FILE" },
	{ "deploy/examples/standard-webhooks.ini", "HOOKD_SOURCE_FINCH_SECRET_FILE" },
	{ "deploy/examples/github-style.ini", "HOOKD_SOURCE_PEOPLE_TOOL_SECRET_FILE" },
};
static char secret_paths[4][256];

/* Writes value to a secret file; load_example points HOOKD_SOURCE_<NAME>_SECRET_FILE at it. */
static void secret_env(const char *var, const char *file, const char *value)
{
	char path[256];
	snprintf(path, sizeof(path), "%s/%s", dir, file);
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	if (!f)
		return;
	fprintf(f, "%s\n", value);
	fclose(f);
	for (size_t i = 0; i < sizeof(secret_vars) / sizeof(secret_vars[0]); i++)
		if (strcmp(secret_vars[i].var, var) == 0)
			snprintf(secret_paths[i], sizeof(secret_paths[i]), "%s", path);
}

/* Loads an example with its sources and rules; both must build without a reported problem. */
static struct config *load_example(const char *path, struct hr_sources **set, struct rules **rules)
{
	for (size_t i = 0; i < sizeof(secret_vars) / sizeof(secret_vars[0]); i++) {
		if (strcmp(secret_vars[i].example, path) == 0)
			setenv(secret_vars[i].var, secret_paths[i], 1);
		else
			unsetenv(secret_vars[i].var);
	}
	struct config *c = config_load(path);
	*set = hr_sources_from_config(c);
	*rules = rules_from_config(c, NULL);
	if (config_error_count(c))
		fprintf(stderr, "%s", config_errors(c));
	CHECK(config_error_count(c) == 0);
	CHECK(*set != NULL && *rules != NULL);
	return c;
}

static void test_all_examples_load(void)
{
	static const char *const files[] = { "deploy/examples/bamboohr.ini", "deploy/examples/standard-webhooks.ini",
					     "deploy/examples/github-style.ini" };
	static const size_t nsources[] = { 1, 2, 1 }, nrules[] = { 4, 4, 3 };
	for (int i = 0; i < 3; i++) {
		struct hr_sources *set;
		struct rules *rules;
		struct config *c = load_example(files[i], &set, &rules);
		CHECK(hr_sources_count(set) == nsources[i]);
		CHECK(rules_count(rules) == nrules[i]);
		hr_sources_free(set);
		rules_free(rules);
		config_free(c);
	}
}

/*
 * The BambooHR example end to end (without the network): verify, map, rules.
 * printf '%s%s' "$BODY" 1769884920 | openssl dgst -sha256 -hmac 'bamboo-key'
 */
#define BODY                                                                                                        \
	"{\"employees\":[{\"action\":\"Updated\",\"id\":\"12345\",\"timestamp\":\"2026-01-31T18:42:00+0000\","      \
	"\"changedFields\":[\"Work Email\"],\"fields\":{\"Work Email\":\"bryony.hale@example.com\",\"First Name\":" \
	"\"Bryony\",\"Last Name\":\"Hale\",\"Hire Date\":\"2026-03-02\",\"Status\":\"Active\"}}]}"

static void test_bamboohr_delivery(void)
{
	struct hr_sources *set;
	struct rules *rules;
	struct config *c = load_example("deploy/examples/bamboohr.ini", &set, &rules);
	const struct hr_source *s = hr_sources_find(set, "bamboohr");
	CHECK(s != NULL);
	if (!s)
		goto done;
	struct hr_header h[] = {
		{ "x-bamboohr-signature", "58e9be9c6c0dfa2e7148be2876c425a255b528ed8a29d8d3766512816bb497eb" },
		{ "x-bamboohr-timestamp", "1769884920" },
		{ NULL, NULL },
	};
	struct hr_request req = { "POST", SLICE_LIT(BODY), hr_header_list, h };
	char dk[HR_DEDUPE_MAX], why[256];
	CHECK(hr_source_verify(s, &req, 1769884920 + 10, dk, sizeof(dk), why, sizeof(why)) == 0);
	struct hr_batch *b = NULL;
	CHECK(hr_source_map(s, req.body, dk, &b, why, sizeof(why)) == 0);
	size_t n = 0;
	struct journal_event *ev = hr_batch_events(b, &n);
	CHECK(n == 1);
	if (n == 1) {
		CHECK_STR(ev[0].type, "employee.updated");
		CHECK_STR(ev[0].subject_login, "bryony.hale@example.com");
		struct rule_jobs jobs = { 0 };
		CHECK(rules_apply(rules, &ev[0], 1769884920000LL, &jobs) == 0);
		/* Active: create, activate on the hire date, update; not the leaver rule. */
		CHECK(jobs.n == 3);
		int create = 0, activate = 0, update = 0;
		for (size_t i = 0; i < jobs.n; i++) {
			create += strcmp(jobs.jobs[i].action, "create_user") == 0;
			update += strcmp(jobs.jobs[i].action, "update_profile") == 0;
			if (strcmp(jobs.jobs[i].action, "send_activation") == 0) {
				activate++;
				/* 2026-03-02T09:00:00Z (no time zone mapped: UTC) = 1772442000 */
				CHECK(jobs.jobs[i].run_at_ms == 1772442000000LL);
			}
		}
		CHECK(create == 1 && activate == 1 && update == 1);
		rule_jobs_free(&jobs);
	}
	hr_batch_free(b);
done:
	hr_sources_free(set);
	rules_free(rules);
	config_free(c);
}

int main(void)
{
	CHECK(mkdtemp(dir) != NULL);
	secret_env("HOOKD_SOURCE_BAMBOOHR_SECRET_FILE", "bamboohr", "bamboo-key");
	secret_env("HOOKD_SOURCE_HRIS_SECRET_FILE", "hris", "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw");
	secret_env("HOOKD_SOURCE_FINCH_SECRET_FILE", "finch", "whsec_dGVzdA==");
	secret_env("HOOKD_SOURCE_PEOPLE_TOOL_SECRET_FILE", "people", "It's a Secret to Everybody");
	test_all_examples_load();
	test_bamboohr_delivery();
	static const char *const files[] = { "bamboohr", "hris", "finch", "people" };
	for (int i = 0; i < 4; i++) {
		char path[256];
		snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return check_report("test_hr_examples");
}
