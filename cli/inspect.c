/* inspect.c: `hookd events` and `hookd jobs`: read the journal, and requeue dead jobs. */
#include "cli/cli.h"
#include "cli/out.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "handlers/actions.h"
#include "store/journal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct inspect_args {
	int json;
	struct journal_query q;
	int64_t retry_id;
	int force;
};

/* An absolute time (RFC 3339 or a date) or an age before now (90m, 2d). */
static int parse_since(const char *v, int64_t *out)
{
	int64_t age;
	if (clock_parse_ms(v, out) == 0)
		return 0;
	if (config_parse_ms(v, &age) < 0 || age < 0)
		return -1;
	*out = clock_now_ms() - age;
	return 0;
}

static int set_limit(struct inspect_args *a, const char *v)
{
	a->q.limit = atoi(v);
	if (a->q.limit >= 1 && a->q.limit <= 100000)
		return 1;
	fprintf(stderr, "hookd: --limit must be between 1 and 100000\n");
	return -1;
}

static int set_since(struct inspect_args *a, const char *v)
{
	if (parse_since(v, &a->q.since_ms) == 0)
		return 1;
	fprintf(stderr, "hookd: --since takes a date or time (2026-11-27, RFC 3339) or an age (90m, 2d)\n");
	return -1;
}

static int set_state(struct inspect_args *a, const char *v)
{
	enum job_state st;
	a->q.state = v;
	if (journal_job_state_parse(v, &st) == 0)
		return 1;
	fprintf(stderr, "hookd: --state is %s, %s, %s or %s\n", journal_job_states[JOB_STATE_PENDING],
		journal_job_states[JOB_STATE_RUNNING], journal_job_states[JOB_STATE_DONE],
		journal_job_states[JOB_STATE_DEAD]);
	return -1;
}

static int set_retry(struct inspect_args *a, const char *v)
{
	a->retry_id = atoll(v);
	if (a->retry_id > 0)
		return 1;
	fprintf(stderr, "hookd: jobs retry takes a job id\n");
	return -1;
}

/*
 * The option name with its value v: 1 when it took v, 0 when name is no such option of this command
 * (`hookd jobs` when jobs, else `hookd events`), -1 when v is bad (reported).
 */
static int value_opt(struct inspect_args *a, const char *name, const char *v, int jobs)
{
	if (strcmp(name, "-c") == 0 || strcmp(name, "--config") == 0)
		return 1;
	if (strcmp(name, "--limit") == 0)
		return set_limit(a, v);
	if (strcmp(name, "--since") == 0)
		return set_since(a, v);
	if (strcmp(name, "--subject") == 0)
		a->q.subject = v;
	else if (jobs && strcmp(name, "--action") == 0)
		a->q.action = v;
	else if (!jobs && strcmp(name, "--source") == 0)
		a->q.source = v;
	else if (strcmp(name, "--before") == 0)
		a->q.before_id = atoll(v);
	else if (strcmp(name, "--id") == 0)
		a->q.id = atoll(v);
	else if (jobs && strcmp(name, "--state") == 0)
		return set_state(a, v);
	else if (jobs && strcmp(name, "retry") == 0)
		return set_retry(a, v);
	else
		return 0;
	return 1;
}

static int parse_args(int argc, char **argv, struct inspect_args *a, int jobs)
{
	memset(a, 0, sizeof(*a));
	a->q.limit = 50;
	for (int i = 1; i < argc; i++) {
		int took = i + 1 < argc ? value_opt(a, argv[i], argv[i + 1], jobs) : 0;
		if (took < 0)
			return -1;
		if (took) {
			i++;
		} else if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (jobs && strcmp(argv[i], "--force") == 0) {
			a->force = 1;
		} else {
			fprintf(stderr, "hookd: unknown argument '%s' (see --help)\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static struct journal *open_journal(struct config *c, struct journal_opts *jo)
{
	char err[512];
	if (journal_opts_from_config(c, jo) < 0) {
		fputs(config_errors(c), stderr);
		return NULL;
	}
	struct journal *j = journal_open(jo, err, sizeof(err));
	if (!j)
		fprintf(stderr, "hookd: cannot open the journal: %s\n", err);
	return j;
}

static void when(int64_t ms, char *out, size_t n)
{
	if (ms)
		clock_format_ms(ms, out, n);
	else
		snprintf(out, n, "-");
}

/* Prints one JSON Lines record (the object in b) and empties b. -1 when it could not be built. */
static int put_line(struct jbuf *b)
{
	int rc = b->err ? -1 : 0;
	if (rc == 0)
		printf("%s\n", b->p);
	jbuf_free(b);
	return rc;
}

static int event_json(const struct event_row *r)
{
	struct jbuf b;
	char t[40];
	when(r->received_ms, t, sizeof(t));
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "id", r->id);
	jbuf_key_str(&b, "received_at", t);
	jbuf_key_str(&b, "source", r->source);
	jbuf_key_str(&b, "dedupe_key", r->dedupe_key);
	jbuf_key_str(&b, "delivery_id", r->delivery_id);
	jbuf_key_str(&b, "type", r->type);
	jbuf_key_str(&b, "occurred_at", r->occurred_at);
	jbuf_key_str(&b, "subject_id", r->subject_id);
	jbuf_key_str(&b, "subject_login", r->subject_login);
	jbuf_key_str(&b, "subject_name", r->subject_name);
	jbuf_key_str(&b, "actor_id", r->actor_id);
	jbuf_key_str(&b, "status", r->status);
	jbuf_key_str(&b, "reason", r->reason);
	jbuf_key_int(&b, "duplicates", r->duplicates);
	if (r->subject_json)
		out_json_member(&b, "subject", r->subject_json);
	out_json_member(&b, "raw", r->raw);
	jbuf_obj_close(&b);
	return put_line(&b);
}

/* JSON Lines (one object a line) or a table whose cells are escaped (stored text may hold anything). */
static int print_events(const struct event_row *r, size_t n, int json)
{
	int rc = 0;
	if (json) {
		for (size_t i = 0; i < n; i++)
			rc |= event_json(&r[i]);
		return rc;
	}
	printf("%-8s %-24s %-14s %-30s %-32s %4s %s\n", "ID", "RECEIVED", "SOURCE", "TYPE", "SUBJECT", "DUPS",
	       "STATUS");
	struct out_row o = { 0 };
	for (size_t i = 0; i < n; i++) {
		char t[40];
		when(r[i].received_ms, t, sizeof(t));
		const char *subj = r[i].subject_login ? r[i].subject_login : r[i].subject_id;
		printf("%-8lld %-24s %-14s %-30s %-32s %4d %s\n", (long long)r[i].id, t, out_safe(&o, r[i].source),
		       out_safe(&o, r[i].type), out_safe(&o, subj), r[i].duplicates, out_safe(&o, r[i].status));
		out_row_clear(&o);
	}
	return rc;
}

/* The login a job acts for (its params' login; Okta-event jobs name the user by id), or NULL. */
static char *job_login(const struct job *r)
{
	struct json j;
	char *login = NULL;
	if (r->params && json_parse(&j, r->params, strlen(r->params), 8192, NULL, 0) == 0) {
		login = json_strdup(&j, json_get(&j, 0, "login"));
		json_free(&j);
	}
	return login;
}

static int job_json(const struct job *r)
{
	struct jbuf b;
	char t[40];
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "id", r->id);
	jbuf_key_int(&b, "event_id", r->event_id);
	jbuf_key_str(&b, "action", r->action);
	jbuf_key_str(&b, "rule", r->rule);
	jbuf_key_str(&b, "subject", r->subject);
	char *login = job_login(r);
	jbuf_key_str(&b, "login", login ? login : r->subject);
	free(login);
	jbuf_key_str(&b, "state", r->state);
	jbuf_key_int(&b, "attempts", r->attempts);
	when(r->run_at_ms, t, sizeof(t));
	jbuf_key_str(&b, "run_at", t);
	jbuf_key_str(&b, "job_key", r->job_key);
	jbuf_key_pos(&b, "held_by", r->held_by);
	jbuf_key_str(&b, "last_error", r->last_error);
	jbuf_key_str(&b, "result", r->result);
	if (r->params)
		out_json_member(&b, "params", r->params);
	jbuf_obj_close(&b);
	return put_line(&b);
}

static int print_jobs(const struct job *r, size_t n, int json)
{
	int rc = 0;
	if (json) {
		for (size_t i = 0; i < n; i++)
			rc |= job_json(&r[i]);
		return rc;
	}
	printf("%-8s %-18s %-8s %-3s %-24s %-32s %s\n", "ID", "ACTION", "STATE", "TRY", "RUN AT", "SUBJECT",
	       "RESULT / LAST ERROR");
	struct out_row o = { 0 };
	for (size_t i = 0; i < n; i++) {
		char t[40];
		when(r[i].run_at_ms, t, sizeof(t));
		enum job_state st;
		int done = journal_job_state_parse(r[i].state, &st) == 0 && st == JOB_STATE_DONE;
		const char *note = done ? r[i].result : r[i].last_error;
		char *login = job_login(&r[i]), held[48] = "";
		if (r[i].held_by > 0)
			snprintf(held, sizeof(held), "held behind job %lld%s", (long long)r[i].held_by,
				 note ? "; " : "");
		printf("%-8lld %-18s %-8s %-3d %-24s %-32s %s%s\n", (long long)r[i].id, out_safe(&o, r[i].action),
		       out_safe(&o, r[i].state), r[i].attempts, t, out_safe(&o, login ? login : r[i].subject), held,
		       note ? out_safe(&o, note) : "");
		free(login);
		out_row_clear(&o);
	}
	return rc;
}

int cli_events(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd events -c FILE [--json] [--limit N] [--source S] [--before ID] [--id ID]\n"
		     "                   [--subject LOGIN|ID] [--since TIME|AGE]\n\n"
		     "Lists journaled events, newest first (default 50); --source okta or hr:NAME filters;\n"
		     "--before pages. The table escapes control characters in stored text (\\n, \\x1b, ...).\n"
		     "--json prints JSON Lines: one JSON object per event per line, always valid JSON. Its\n"
		     "raw member is the stored body as JSON when it is JSON, else the body as a JSON string.");
		return 0;
	}
	struct inspect_args a;
	if (parse_args(argc, argv, &a, 0) < 0)
		return 2;
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct journal_opts jo;
	struct journal *j = open_journal(c, &jo);
	int rc = 1;
	struct event_row *rows;
	size_t n;
	char err[256];
	if (j && journal_list_events(j, &a.q, &rows, &n, err, sizeof(err)) == 0) {
		rc = print_events(rows, n, a.json) < 0 ? 1 : 0;
		journal_events_free(rows, n);
	} else if (j) {
		fprintf(stderr, "hookd: %s\n", err);
	}
	journal_close(j);
	journal_opts_free(&jo);
	config_free(c);
	return rc;
}

/*
 * `hookd jobs retry ID`: tells a missing job from one still pending or running; a done job whose
 * action sends email is rerun only with --force (the person would get another email).
 */
static int retry_job(struct journal *j, int64_t id, int force)
{
	struct journal_query q = { .id = id, .limit = 1 };
	struct job *rows;
	size_t n;
	char err[256];
	if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: %s\n", err);
		return 1;
	}
	enum job_state st = JOB_STATE_PENDING;
	int rc = 1;
	if (n == 1)
		journal_job_state_parse(rows[0].state, &st);
	if (n != 1) {
		fprintf(stderr, "hookd: no such job: %lld\n", (long long)id);
	} else if (st == JOB_STATE_PENDING || st == JOB_STATE_RUNNING) {
		fprintf(stderr, "hookd: job %lld is %s: it runs (again) by itself; nothing to retry\n", (long long)id,
			rows[0].state);
	} else if (st == JOB_STATE_DONE && action_sends_email(rows[0].action) && !force) {
		fprintf(stderr,
			"hookd: job %lld (%s) is done and may email the person again; add --force to rerun it\n",
			(long long)id, rows[0].action);
		rc = 2;
	} else if ((rc = journal_job_requeue(j, id, err, sizeof(err))) == 0) {
		printf("job %lld requeued\n", (long long)id);
	} else {
		fprintf(stderr, "hookd: %s\n", rc == 1 ? "the job changed meanwhile; look again" : err);
		rc = 1;
	}
	journal_jobs_free(rows, n);
	return rc;
}

int cli_jobs(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd jobs -c FILE [--state pending|running|done|dead] [--json] [--limit N]\n"
		     "                 [--subject LOGIN|ID] [--action NAME] [--since TIME|AGE]\n"
		     "       hookd jobs retry ID -c FILE [--force]\n\n"
		     "Lists jobs newest first with their state, attempts, run_at and last error; the subject\n"
		     "column names the person by login; control characters in stored text are escaped.\n"
		     "--json prints JSON Lines (one object a line). --since takes 2026-11-27, RFC 3339, or an\n"
		     "age (2d). retry puts a dead (or done) job back to pending, due now, with attempts reset;\n"
		     "a done job that emails the person (send_activation, resend_activation, follow-ups)\n"
		     "needs --force.");
		return 0;
	}
	struct inspect_args a;
	if (parse_args(argc, argv, &a, 1) < 0)
		return 2;
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct journal_opts jo;
	struct journal *j = open_journal(c, &jo);
	int rc = 1;
	char err[256];
	if (j && a.retry_id) {
		rc = retry_job(j, a.retry_id, a.force);
	} else if (j) {
		struct job *rows;
		size_t n;
		if (journal_list_jobs(j, &a.q, &rows, &n, err, sizeof(err)) == 0) {
			rc = print_jobs(rows, n, a.json) < 0 ? 1 : 0;
			journal_jobs_free(rows, n);
		} else {
			fprintf(stderr, "hookd: %s\n", err);
		}
	}
	journal_close(j);
	journal_opts_free(&jo);
	config_free(c);
	return rc;
}
