/* people.c: `hookd people`: the onboarding view (one row per person) and one person's timeline. */
#include "cli/cli.h"
#include "cli/out.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"
#include "store/journal.h"
#include "store/people.h"

#include <openssl/rand.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct people_args {
	struct people_query q;
	int json;
	const char *show;   /* people show LOGIN */
	const char *forget; /* people forget LOGIN */
	int forget_flags;   /* JOURNAL_FORGET_* */
};

static void when(int64_t ms, char *out, size_t n)
{
	if (ms > 0)
		clock_format_ms(ms, out, n);
	else
		snprintf(out, n, "-");
}

static int parse_args(int argc, char **argv, struct people_args *a)
{
	memset(a, 0, sizeof(*a));
	a->q.with_errors = 1;
	for (int i = 1; i < argc; i++) {
		const char *v = i + 1 < argc ? argv[i + 1] : NULL;
		if (strcmp(argv[i], "--json") == 0) {
			a->json = 1;
		} else if (strcmp(argv[i], "--stuck") == 0) {
			a->q.state = "stuck";
		} else if ((strcmp(argv[i], "-c") == 0 || strcmp(argv[i], "--config") == 0) && v) {
			i++;
		} else if (strcmp(argv[i], "--status") == 0 && v) {
			a->q.okta_status = v;
			i++;
		} else if (strcmp(argv[i], "--state") == 0 && v) {
			a->q.state = v;
			i++;
		} else if (strcmp(argv[i], "--limit") == 0 && v) {
			a->q.limit = atoi(v);
			i++;
			if (a->q.limit < 1 || a->q.limit > 100000) {
				fprintf(stderr, "hookd: --limit must be between 1 and 100000\n");
				return -1;
			}
		} else if (i == 1 && strcmp(argv[i], "show") == 0 && v && v[0] != '-') {
			a->show = v;
			i++;
		} else if (i == 1 && strcmp(argv[i], "forget") == 0 && v && v[0] != '-') {
			a->forget = v;
			i++;
		} else if (a->forget && strcmp(argv[i], "--dry-run") == 0) {
			a->forget_flags |= JOURNAL_FORGET_DRY_RUN;
		} else if (a->forget && strcmp(argv[i], "--include-pending") == 0) {
			a->forget_flags |= JOURNAL_FORGET_CANCEL_PENDING;
		} else if (i == 1 && (strcmp(argv[i], "show") == 0 || strcmp(argv[i], "forget") == 0)) {
			fprintf(stderr, "hookd: usage: hookd people %s LOGIN -c FILE (see hookd people --help)\n",
				argv[i]);
			return -1;
		} else {
			fprintf(stderr, "hookd: unknown argument '%s' (see hookd people --help)\n", argv[i]);
			return -1;
		}
	}
	return 0;
}

static void person_json(struct jbuf *b, const struct person *p)
{
	char t[40];
	jbuf_obj_open(b);
	jbuf_key_str(b, "login", p->login);
	jbuf_key_str(b, "user_id", p->user_id);
	jbuf_key_str(b, "origin", p->origin);
	jbuf_key_str(b, "okta_status", p->okta_status);
	jbuf_key_str(b, "state", p->state);
	jbuf_key_str(b, "via", p->via);
	when(p->sent_ms, t, sizeof(t));
	jbuf_key_str(b, "activation_sent_at", p->sent_ms ? t : NULL);
	jbuf_key_int(b, "resends", p->resends);
	when(p->next_follow_up_ms, t, sizeof(t));
	jbuf_key_str(b, "next_follow_up", p->next_follow_up_ms ? t : NULL);
	when(p->updated_ms, t, sizeof(t));
	jbuf_key_str(b, "updated_at", t);
	jbuf_key_str(b, "reason", p->reason);
	jbuf_key_str(b, "last_error", p->last_error);
	jbuf_obj_close(b);
}

static void print_people(const struct person *p, size_t n, int json)
{
	if (json) { /* JSON Lines, like hookd events and hookd jobs */
		for (size_t i = 0; i < n; i++) {
			struct jbuf b;
			jbuf_init(&b);
			person_json(&b, &p[i]);
			if (!b.err)
				printf("%s\n", b.p);
			jbuf_free(&b);
		}
		return;
	}
	printf("%-32s %-12s %-12s %-8s %-24s %-3s %-24s %s\n", "LOGIN", "ORIGIN", "OKTA STATUS", "STATE", "SENT AT",
	       "RES", "NEXT FOLLOW-UP", "LAST ERROR");
	struct out_row o = { 0 };
	for (size_t i = 0; i < n; i++) {
		char sent[40], next[40];
		when(p[i].sent_ms, sent, sizeof(sent));
		when(p[i].next_follow_up_ms, next, sizeof(next));
		printf("%-32s %-12s %-12s %-8s %-24s %-3d %-24s %s\n",
		       out_safe(&o, p[i].login ? p[i].login : p[i].user_id), out_safe(&o, p[i].origin),
		       out_safe(&o, p[i].okta_status), out_safe(&o, p[i].state), sent, p[i].resends, next,
		       p[i].last_error ? out_safe(&o, p[i].last_error) : "");
		out_row_clear(&o);
	}
}

/* One line of a timeline: its time, and what happened. */
struct line {
	int64_t ms;
	int job; /* 0: an event, 1: a job */
	int64_t id;
	char text[600];
};

static int by_time(const void *a, const void *b)
{
	const struct line *x = a, *y = b;
	if (x->ms != y->ms)
		return x->ms < y->ms ? -1 : 1;
	if (x->job != y->job)
		return x->job - y->job;
	return x->id < y->id ? -1 : x->id > y->id;
}

/* "okta email" or "mail to ...@domain": how an activation record's link went out (never the link). */
static void sent_how(const struct event_row *e, char *out, size_t n)
{
	struct json j;
	out[0] = '\0';
	if (!e->subject_json || json_parse(&j, e->subject_json, strlen(e->subject_json), 64, NULL, 0) < 0)
		return;
	char *via = json_strdup(&j, json_get(&j, 0, "via"));
	char *reason = json_strdup(&j, json_get(&j, 0, "reason"));
	int64_t resends = 0;
	json_int(&j, json_get(&j, 0, "resends"), &resends);
	json_free(&j);
	struct out_row o = { 0 };
	snprintf(out, n, " (%s, resends %lld%s%s)",
		 via && strcmp(via, "mail") == 0 ? "link mailed by hookd" : "Okta's email", (long long)resends,
		 reason ? "; " : "", reason ? out_safe(&o, reason) : "");
	out_row_clear(&o);
	free(via);
	free(reason);
}

static void add_event(struct line *l, const struct event_row *e)
{
	struct out_row o = { 0 };
	char how[320];
	l->ms = e->received_ms;
	l->job = 0;
	l->id = e->id;
	if (e->source && strcmp(e->source, "hookd") == 0) {
		sent_how(e, how, sizeof(how));
		snprintf(l->text, sizeof(l->text), "activation: %s%s",
			 out_safe(&o, e->type + (strncmp(e->type, "activation.", 11) ? 0 : 11)), how);
	} else {
		snprintf(l->text, sizeof(l->text), "event %lld %s %s%s%s", (long long)e->id, out_safe(&o, e->source),
			 out_safe(&o, e->type), e->reason ? ": " : "", e->reason ? out_safe(&o, e->reason) : "");
	}
	out_row_clear(&o);
}

static void add_job(struct line *l, const struct job *j)
{
	struct out_row o = { 0 };
	enum job_state st = JOB_STATE_PENDING;
	journal_job_state_parse(j->state, &st);
	const char *note = st == JOB_STATE_DONE ? j->result : j->last_error;
	l->ms = st == JOB_STATE_PENDING ? j->run_at_ms : j->updated_ms;
	l->job = 1;
	l->id = j->id;
	snprintf(l->text, sizeof(l->text), "job %lld %s %s%s%s", (long long)j->id, out_safe(&o, j->action),
		 st == JOB_STATE_PENDING ? "due" : out_safe(&o, j->state), note ? ": " : "",
		 note ? out_safe(&o, note) : "");
	out_row_clear(&o);
}

/* Collects the events and jobs of subject (a login or a user id) into *v. */
static int collect(struct journal *j, const char *subject, struct line **v, size_t *n, size_t *cap)
{
	struct journal_query q = { .subject = subject, .limit = 1000 };
	struct event_row *ev;
	struct job *jobs;
	size_t ne, nj;
	char err[256];
	if (journal_list_events(j, &q, &ev, &ne, err, sizeof(err)) < 0 ||
	    journal_list_jobs(j, &q, &jobs, &nj, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: %s\n", err);
		return -1;
	}
	if (*n + ne + nj > *cap) {
		*cap = *n + ne + nj;
		*v = realloc(*v, *cap * sizeof(**v));
	}
	for (size_t i = 0; *v && i < ne; i++)
		add_event(&(*v)[(*n)++], &ev[i]);
	for (size_t i = 0; *v && i < nj; i++)
		add_job(&(*v)[(*n)++], &jobs[i]);
	journal_events_free(ev, ne);
	journal_jobs_free(jobs, nj);
	return *v ? 0 : -1;
}

static int show(struct journal *j, const struct people_args *a)
{
	struct people_query pq = { .login = a->show, .limit = 1, .with_errors = 1 };
	struct person *p;
	size_t n;
	char err[256];
	if (journal_list_people(j, &pq, &p, &n, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: %s\n", err);
		return 1;
	}
	if (a->json && n) {
		struct jbuf b;
		jbuf_init(&b);
		person_json(&b, &p[0]);
		printf("%s\n", b.err ? "{}" : b.p);
		jbuf_free(&b);
	} else if (n) {
		print_people(p, n, 0);
		printf("\n");
	}
	struct line *v = NULL;
	size_t nl = 0, cap = 0;
	int rc = collect(j, a->show, &v, &nl, &cap);
	if (rc == 0 && n && strcmp(p[0].user_id, a->show) != 0)
		rc = collect(j, p[0].user_id, &v, &nl, &cap);
	if (rc == 0 && !a->json) {
		qsort(v, nl, sizeof(*v), by_time);
		for (size_t i = 0; i < nl; i++) {
			char t[40];
			when(v[i].ms, t, sizeof(t));
			/* A row found both by login and by user id is printed once. */
			if (i == 0 || v[i].job != v[i - 1].job || v[i].id != v[i - 1].id)
				printf("%-24s %s\n", t, v[i].text);
		}
	}
	if (rc == 0 && !n && !nl) {
		fprintf(stderr, "hookd: hookd has no record of %s\n", a->show);
		rc = 1;
	}
	free(v);
	journal_people_free(p, n);
	return rc < 0 ? 1 : rc;
}

/* Who runs the command, for the journal: the person behind sudo when there is one. */
static void operator_name(char *out, size_t n)
{
	const char *sudo = getenv("SUDO_USER");
	struct passwd *pw = getpwuid(geteuid());
	snprintf(out, n, "cli:%s", sudo && sudo[0] ? sudo : pw ? pw->pw_name : "unknown");
}

/*
 * Journals the erasure as an operator event: who ran it and the counts, never the login or a hash
 * of it (a login is guessable from a staff list, so its hash would still name the person).
 */
static int journal_forgotten(struct journal *j, const struct journal_forget_result *r, char *err, size_t errlen)
{
	unsigned char rnd[12];
	char key[48], who[96];
	RAND_bytes(rnd, sizeof(rnd));
	int at = snprintf(key, sizeof(key), "forget-");
	for (size_t i = 0; i < sizeof(rnd); i++)
		at += snprintf(key + at, sizeof(key) - (size_t)at, "%02x", rnd[i]);
	operator_name(who, sizeof(who));
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "events", r->events);
	jbuf_key_int(&b, "records", r->records);
	jbuf_key_int(&b, "jobs", r->jobs);
	jbuf_key_int(&b, "cancelled", r->pending);
	jbuf_obj_close(&b);
	int rc = -1;
	if (b.err) {
		snprintf(err, errlen, "out of memory");
	} else {
		struct journal_event ev = { .source = "admin",
					    .dedupe_key = key,
					    .delivery_id = key,
					    .type = "admin.people.forget",
					    .actor_id = who,
					    .raw = slice_cstr(b.p) };
		enum journal_outcome out;
		rc = journal_commit(j, &ev, 1, &out, err, errlen);
	}
	jbuf_free(&b);
	return rc;
}

/* 0 when the person is (or, dry run, would be) erased; 1 when jobs refuse it or on a store error. */
static int forget(struct journal *j, const struct people_args *a)
{
	struct journal_forget_result r;
	char err[256];
	int dry = a->forget_flags & JOURNAL_FORGET_DRY_RUN;
	if (journal_forget(j, a->forget, a->forget_flags, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: cannot forget: %s\n", err);
		return 1;
	}
	if (r.refused) {
		fprintf(stderr,
			"hookd: nothing %s: the person has %lld pending and %lld running job(s) (hookd jobs --subject "
			"LOGIN --state pending): add --include-pending to cancel the pending ones; let running ones "
			"finish\n",
			dry ? "would be erased" : "erased", (long long)r.pending, (long long)r.running);
		return 1;
	}
	printf("%s %lld event(s), %lld activation record(s), %lld finished job(s), %lld pending job(s) cancelled\n",
	       dry ? "would erase" : "erased", (long long)r.events, (long long)r.records, (long long)r.jobs,
	       (long long)r.pending);
	if (!dry && journal_forgotten(j, &r, err, sizeof(err)) < 0) {
		fprintf(stderr, "hookd: erased, but the admin event recording it was not journaled: %s\n", err);
		return 1;
	}
	return 0;
}

int cli_people(int argc, char **argv)
{
	if (cli_wants_help(argc, argv)) {
		puts("usage: hookd people -c FILE [--stuck] [--state S] [--status OKTA_STATUS] [--json] [--limit N]\n"
		     "       hookd people show LOGIN -c FILE [--json]\n"
		     "       hookd people forget LOGIN -c FILE [--dry-run] [--include-pending]\n\n"
		     "One row per person whose activation hookd started or followed up, newest first: login,\n"
		     "origin (okta, hr:NAME, operator), Okta status as last seen, state (pending, stuck,\n"
		     "active, finished), when the current link was sent, resends, next follow-up, last error.\n"
		     "--stuck lists only people still PROVISIONED after [activation] max_resends.\n"
		     "show prints one person's timeline: events, jobs and their outcomes, emails sent (never a link).\n"
		     "forget erases one person (a login, Okta user id or employee id): their events' raw bodies\n"
		     "and subject fields, activation records, jobs' params and results; rows and counts stay.\n"
		     "A pending or running job of theirs refuses it (exit 1, nothing changed); --include-pending\n"
		     "cancels the pending ones and erases them too. --dry-run counts only. See docs/data.md.");
		return 0;
	}
	struct people_args a;
	if (parse_args(argc, argv, &a) < 0)
		return 2;
	struct config *c = cli_load_config(argc, argv);
	if (!c)
		return 2;
	struct journal_opts jo;
	char err[512];
	struct journal *j = NULL;
	if (journal_opts_from_config(c, &jo) == 0 && !(j = journal_open(&jo, err, sizeof(err))))
		fprintf(stderr, "hookd: cannot open the journal: %s\n", err);
	else if (!j)
		fputs(config_errors(c), stderr);
	int rc = 1;
	if (j && a.forget) {
		rc = forget(j, &a);
	} else if (j && a.show) {
		rc = show(j, &a);
	} else if (j) {
		struct person *p;
		size_t n;
		if (journal_list_people(j, &a.q, &p, &n, err, sizeof(err)) == 0) {
			print_people(p, n, a.json);
			journal_people_free(p, n);
			rc = 0;
		} else {
			fprintf(stderr, "hookd: %s\n", err);
		}
	}
	journal_close(j);
	journal_opts_free(&jo);
	config_free(c);
	return rc;
}
