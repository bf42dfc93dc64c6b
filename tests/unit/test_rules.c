/* test_rules.c: rules from config, matching, the echo filter, scheduling in time zones, actions' profiles. */
#include "check.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/list.h"
#include "core/tz.h"
#include "handlers/actions.h"
#include "handlers/rules.h"

#include <stdlib.h>
#include <string.h>

static const char ini[] = "[rule okta-created]\n"
			  "on = okta:user.lifecycle.create\n"
			  "do = send_activation\n"
			  "[rule eng-hire]\n"
			  "on = hr:bamboohr:employee.created\n"
			  "do = create_user\n"
			  "when.department = Engineering, Sales\n"
			  "groups = 00g1,00g2\n"
			  "[rule start-date]\n"
			  "on = hr:bamboohr:employee.created\n"
			  "do = send_activation\n"
			  "date_field = start_date\n"
			  "at = 09:30\n"
			  "days_before = 1\n"
			  "[rule any-okta]\n"
			  "on = okta:*\n"
			  "do = update_profile\n"
			  "include_self = true\n"
			  "when.type = user.account.update_profile\n";

static void test_okta_rule_and_self(void)
{
	struct config *c = config_load_string(ini, "r.ini");
	CHECK(config_error_count(c) == 0);
	struct rules *r = rules_from_config(c, NULL);
	CHECK(r != NULL && rules_count(r) == 4);
	CHECK(r && rules_echo(r) == NULL && strcmp(rules_type(r, 0), "user.lifecycle.create") == 0 &&
	      strcmp(rules_source(r, 1), "hr:bamboohr") == 0 && strcmp(rules_name(r, 3), "any-okta") == 0 &&
	      strcmp(rules_action(r, 2), "send_activation") == 0);
	struct journal_event ev = { .source = "okta",
				    .type = "user.lifecycle.create",
				    .subject_id = "00u1",
				    .subject_login = "a@x.com",
				    .actor_id = "00uADMIN" };
	struct rule_jobs out;
	CHECK(rules_apply(r, &ev, 1000, &out) == 0 && out.n == 1);
	if (out.n == 1) {
		CHECK_STR(out.jobs[0].action, "send_activation");
		CHECK_STR(out.jobs[0].subject, "00u1"); /* Okta events act on the Okta user id */
		CHECK(out.jobs[0].run_at_ms == 1000);
		CHECK(strstr(out.jobs[0].params, "\"send_email\":true") != NULL);
	}
	rule_jobs_free(&out);
	/* An event marked as hookd's own echo fires no rule unless the rule opts in; the actor alone never matters. */
	ev.echo = "request_id";
	CHECK(rules_apply(r, &ev, 1000, &out) == 0 && out.n == 0);
	rule_jobs_free(&out);
	ev.type = "user.account.update_profile";
	CHECK(rules_apply(r, &ev, 1000, &out) == 0 && out.n == 1);
	rule_jobs_free(&out);
	/* Rejected events fire nothing. */
	ev.echo = NULL;
	ev.actor_id = NULL;
	ev.type = "user.lifecycle.create";
	ev.status = "rejected";
	CHECK(rules_apply(r, &ev, 1000, &out) == 0 && out.n == 0);
	rule_jobs_free(&out);
	rules_free(r);
	config_free(c);
}

static void test_hr_filters_and_schedule(void)
{
	struct config *c = config_load_string(ini, "r.ini");
	struct rules *r = rules_from_config(c, NULL);
	struct journal_event ev = {
		.source = "hr:bamboohr",
		.type = "employee.created",
		.subject_id = "E42",
		.subject_login = "ann@x.com",
		.subject_json = "{\"department\":\"Engineering\",\"start_date\":\"2026-12-14\","
				"\"time_zone\":\"Europe/Berlin\",\"email\":\"ann@x.com\",\"first_name\":\"Ann\"}",
	};
	struct rule_jobs out;
	CHECK(rules_apply(r, &ev, 5, &out) == 0 && out.n == 2);
	if (out.n == 2) {
		CHECK_STR(out.jobs[0].action, "create_user");
		CHECK_STR(out.jobs[0].subject, "ann@x.com");
		CHECK(strstr(out.jobs[0].params, "\"groups\":[\"00g1\",\"00g2\"]") != NULL);
		CHECK(out.jobs[0].job_key == NULL);
		CHECK_STR(out.jobs[1].action, "send_activation");
		/* 2026-12-13 09:30 in Berlin (CET, UTC+1) is 08:30 UTC. */
		int64_t want;
		CHECK(clock_parse_ms("2026-12-13T08:30:00Z", &want) == 0);
		CHECK(out.jobs[1].run_at_ms == want);
		CHECK_STR(out.jobs[1].job_key, "send_activation:hr:bamboohr:E42");
	}
	rule_jobs_free(&out);
	/* The department filter: Finance fires only the start-date rule. */
	ev.subject_json = "{\"department\":\"Finance\",\"start_date\":\"2020-01-01\"}";
	CHECK(rules_apply(r, &ev, 5, &out) == 0 && out.n == 1);
	if (out.n == 1) {
		int64_t want;
		clock_parse_ms("2019-12-31T09:30:00Z", &want);
		CHECK(out.jobs[0].run_at_ms == want); /* a past date runs at once: run_at is in the past */
	}
	rule_jobs_free(&out);
	rules_free(r);
	config_free(c);
}

static void test_bad_rules(void)
{
	struct config *c = config_load_string("[rule a]\non = nocolon\ndo = send_activation\n"
					      "[rule b]\non = okta:x\ndo = PASSWORD_RESET\n"
					      "[rule c]\ndo = create_user\nat = 25:00\n",
					      "bad.ini");
	CHECK(rules_from_config(c, NULL) == NULL);
	const char *e = config_errors(c);
	CHECK(strstr(e, "bad.ini:2: [rule a] on:") != NULL);
	CHECK(strstr(e, "bad.ini:6: [rule b] do: 'PASSWORD_RESET' is not an action") != NULL);
	CHECK(strstr(e, "create_user, send_activation,") != NULL);
	CHECK(strstr(e, "[rule c]: needs on") != NULL);
	CHECK(strstr(e, "bad.ini:9: [rule c] at:") != NULL);
	CHECK(strstr(e, "bad.ini:5: [rule b] on: 'x' is not an event type Okta's event hooks deliver") != NULL);
	config_free(c);
	/* Okta's event-hook-eligible list, with the closest name; a misspelt action likewise */
	c = config_load_string("[rule t]\non = okta:user.lifecycle.created\ndo = send_activaton\n"
			       "[rule ok]\non = okta:system.email.delivery\ndo = update_profile\n",
			       "t.ini");
	CHECK(rules_from_config(c, NULL) == NULL);
	e = config_errors(c);
	CHECK(strstr(e, "t.ini:2: [rule t] on: 'user.lifecycle.created' is not an event type Okta's event hooks "
			"deliver (did you mean user.lifecycle.create?)") != NULL);
	CHECK(strstr(e, "t.ini:3: [rule t] do: 'send_activaton' is not an action (did you mean send_activation?)") !=
	      NULL);
	CHECK(strstr(e, "[rule ok]") == NULL);
	config_free(c);
}

static void test_tz(void)
{
	int64_t t, want;
	/* New York: EST in January (UTC-5), EDT in July (UTC-4). */
	CHECK(tz_local_to_utc_ms("America/New_York", 2027, 1, 15, 9, 0, &t) == 0);
	clock_parse_ms("2027-01-15T14:00:00Z", &want);
	CHECK(t == want);
	CHECK(tz_local_to_utc_ms("America/New_York", 2027, 7, 15, 9, 0, &t) == 0);
	clock_parse_ms("2027-07-15T13:00:00Z", &want);
	CHECK(t == want);
	CHECK(tz_local_to_utc_ms("Asia/Kolkata", 2027, 3, 1, 9, 0, &t) == 0);
	clock_parse_ms("2027-03-01T03:30:00Z", &want);
	CHECK(t == want);
	CHECK(tz_local_to_utc_ms("UTC", 2027, 3, 1, 9, 0, &t) == 0);
	clock_parse_ms("2027-03-01T09:00:00Z", &want);
	CHECK(t == want);
	CHECK(tz_local_to_utc_ms("../../etc/passwd", 2027, 3, 1, 9, 0, &t) == -1);
	CHECK(tz_local_to_utc_ms("Mars/Olympus_Mons", 2027, 3, 1, 9, 0, &t) == -1);
}

static void test_profile_json(void)
{
	char *p =
		action_profile_json("{\"subject\":{\"email\":\"a@x.com\",\"first_name\":\"Ann\",\"last_name\":\"Lee\","
				    "\"personal_email\":\"ann@home.net\",\"employee_id\":\"E1\"}}",
				    1);
	CHECK_STR(p, "{\"login\":\"a@x.com\",\"email\":\"a@x.com\",\"firstName\":\"Ann\",\"lastName\":\"Lee\","
		     "\"secondEmail\":\"ann@home.net\",\"employeeNumber\":\"E1\"}");
	free(p);
	p = action_profile_json("{\"login\":\"b@x.com\"}", 1);
	CHECK_STR(p, "{\"login\":\"b@x.com\",\"email\":\"b@x.com\"}");
	free(p);
	CHECK(action_profile_json("{\"subject\":{}}", 1) == NULL);
	CHECK(action_profile_json("not json", 1) == NULL);
}

static void test_lists(void)
{
	const char *p = " a, b ,,Human Resources , ";
	struct slice it;
	const char *want[] = { "a", "b", "Human Resources" };
	int n = 0;
	while (list_next(&p, ",", &it)) {
		CHECK(n < 3 && slice_eq_cstr(it, want[n]));
		n++;
	}
	CHECK(n == 3);
	p = "127.0.0.1:8443,[::1]:8443 10.0.0.1:1";
	n = 0;
	while (list_next(&p, ", ", &it))
		n++;
	CHECK(n == 3);
	p = "";
	CHECK(list_next(&p, ",", &it) == 0);
}

/* The action table: every name and verb parses back to its row, anything else is an error. */
static void test_action_table(void)
{
	enum action_id a;
	for (int i = 0; i < ACTION_COUNT; i++) {
		CHECK(action_name((enum action_id)i) != NULL && action_help((enum action_id)i) != NULL);
		CHECK(action_parse(action_name((enum action_id)i), &a) == 0 && a == (enum action_id)i);
		const char *v = action_verb((enum action_id)i);
		CHECK(!v || (action_parse_verb(v, &a) == 0 && a == (enum action_id)i));
	}
	CHECK(action_parse("send_activation", &a) == 0 && a == ACTION_SEND_ACTIVATION);
	CHECK(action_parse_verb("activate", &a) == 0 && a == ACTION_SEND_ACTIVATION);
	CHECK(action_parse("", &a) == -1);
	CHECK(action_parse(NULL, &a) == -1);
	CHECK(action_parse("SEND_ACTIVATION", &a) == -1);
	CHECK(action_parse("send_activation ", &a) == -1);
	CHECK(action_parse("activate", &a) == -1); /* a verb is not an action name */
	CHECK(action_parse_verb("send_activation", &a) == -1);
	CHECK(action_parse_verb(NULL, &a) == -1);
	CHECK(action_name(ACTION_COUNT) == NULL && action_name((enum action_id) - 1) == NULL);
	char buf[256];
	action_list(buf, sizeof(buf), ", ", 0);
	CHECK(strcmp(buf, "create_user, send_activation, resend_activation, deactivate_user, update_profile, "
			  "resend_if_pending, bounce_fallback, watch_activation, follow_up_activation, "
			  "notify_activation_stuck") == 0);
	action_list(buf, sizeof(buf), "|", 1);
	CHECK(strcmp(buf, "create|activate|resend|deactivate") == 0);
	action_list(buf, 10, ", ", 0); /* too small: stops at a whole name, always terminated */
	CHECK(strcmp(buf, "") == 0 || strlen(buf) < 10);
	/* A job whose action is not in the table fails; it is never run as another action. */
	char bad[] = "PASSWORD_RESET", subj[] = "a@x.com", params[] = "{}";
	struct job job = { .id = 1, .action = bad, .subject = subj, .params = params };
	struct action_result r;
	action_run(NULL, NULL, &job, &r);
	CHECK(r.status == ACTION_FAIL && strstr(r.text, "unknown action 'PASSWORD_RESET'") != NULL);
	job.action = NULL;
	action_run(NULL, NULL, &job, &r);
	CHECK(r.status == ACTION_FAIL);
}

/* when.changed matches when any of Okta's changed attributes is listed; when.outcome is the outcome. */
static void test_changed_and_outcome(void)
{
	struct config *c = config_load_string("[rule moved]\non = okta:user.account.update_profile\n"
					      "do = resend_if_pending\nwhen.changed = email\n"
					      "[rule bounced]\non = okta:system.email.delivery\n"
					      "do = bounce_fallback\nwhen.outcome = FAILURE\n",
					      "c.ini");
	struct rules *r = rules_from_config(c, NULL);
	CHECK(r != NULL && rules_count(r) == 2);
	struct journal_event ev = { .source = "okta", .type = "user.account.update_profile", .subject_id = "00u1" };
	struct rule_jobs out;
	const char *changed[] = { "{\"changed\":\"email\"}", "{\"changed\":\"firstName,email\"}",
				  "{\"changed\":\"secondEmail\"}", "{\"changed\":\"emails\"}", NULL };
	size_t want[] = { 1, 1, 0, 0, 0 };
	for (size_t i = 0; i < 5; i++) {
		ev.subject_json = changed[i];
		CHECK(rules_apply(r, &ev, 0, &out) == 0 && out.n == want[i]);
		rule_jobs_free(&out);
	}
	ev.type = "system.email.delivery";
	ev.subject_json = "{\"outcome\":\"FAILURE\",\"reason\":\"Bounce\"}";
	CHECK(rules_apply(r, &ev, 0, &out) == 0 && out.n == 1);
	CHECK(out.n == 1 && strstr(out.jobs[0].params, "\"source\":\"okta\"") != NULL);
	rule_jobs_free(&out);
	ev.subject_json = "{\"outcome\":\"SUCCESS\"}";
	CHECK(rules_apply(r, &ev, 0, &out) == 0 && out.n == 0);
	rule_jobs_free(&out);
	rules_free(r);
	config_free(c);
}

int main(void)
{
	test_changed_and_outcome();
	test_lists();
	test_action_table();
	test_okta_rule_and_self();
	test_hr_filters_and_schedule();
	test_bad_rules();
	test_tz();
	test_profile_json();
	return check_report("rules");
}
