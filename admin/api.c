/* api.c: the admin API's JSON endpoints over the journal; changes go in as "admin" events via hooks/intake. */
#include "admin/admin_internal.h"

#include "cli/out.h"
#include "core/clock.h"
#include "core/jbuf.h"
#include "core/log.h"
#include "handlers/actions.h"
#include "hooks/hr_source.h"
#include "hooks/http.h"
#include "hooks/intake.h"
#include "hooks/reconcile.h"
#include "okta/governor.h"
#include "store/journal.h"
#include "store/people.h"

#include <openssl/rand.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE 200      /* rows read from the journal at a time while counting */
#define SCAN_MAX 5000 /* most rows one count reads (the overview and sources say "capped" then) */
#define LIMIT_DEFAULT 50
#define LIMIT_MAX 500

/* An /api/events or /api/jobs filter, from the query string; NULL/0 fields match anything. */
struct filter {
	char source[64], type[96], status[16], subject[256], state[16], action[40];
	int64_t since_ms, until_ms, cursor;
	int limit;
};

static int parse_time(const char *s, int64_t *out)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*s && !*end && v >= 0) {
		*out = v;
		return 0;
	}
	return clock_parse_ms(s, out);
}

/* Query parameter name into dst ("" when absent); -1 after answering 400 when it is longer than n - 1. */
static int query_text(struct http_req *r, const char *name, char *dst, size_t n)
{
	int rc = http_query(r, name, dst, n);
	if (rc == -2) {
		http_fail(r, 400, "bad_filter", "%s is longer than %zu bytes", name, n - 1);
		return -1;
	}
	if (rc < 0)
		dst[0] = '\0';
	return 0;
}

/* limit from the query into *limit (left alone when absent); -1 after answering 400. */
static int query_limit(struct http_req *r, int *limit)
{
	char v[16], *end;
	int rc = http_query(r, "limit", v, sizeof(v));
	if (rc == -1)
		return 0;
	long l = rc == 0 ? strtol(v, &end, 10) : 0;
	if (rc < 0 || l < 1 || l > LIMIT_MAX || *end) {
		http_fail(r, 400, "bad_filter", "limit is between 1 and %d", LIMIT_MAX);
		return -1;
	}
	*limit = (int)l;
	return 0;
}

/* A time parameter into *out (left alone when absent); -1 after answering 400. */
static int query_time(struct http_req *r, const char *name, int64_t *out)
{
	char v[64];
	int rc = http_query(r, name, v, sizeof(v));
	if (rc == -1)
		return 0;
	if (rc < 0 || parse_time(v, out) < 0) {
		http_fail(r, 400, "bad_filter", "%s is unix milliseconds or an RFC 3339 time", name);
		return -1;
	}
	return 0;
}

/* Reads the query into f; -1 after answering 400 for a malformed value. */
static int read_filter(struct http_req *r, struct filter *f)
{
	memset(f, 0, sizeof(*f));
	f->limit = LIMIT_DEFAULT;
	char v[64];
	struct {
		const char *name;
		char *dst;
		size_t n;
	} text[] = { { "source", f->source, sizeof(f->source) }, { "type", f->type, sizeof(f->type) },
		     { "status", f->status, sizeof(f->status) }, { "subject", f->subject, sizeof(f->subject) },
		     { "state", f->state, sizeof(f->state) },	 { "action", f->action, sizeof(f->action) } };
	for (size_t i = 0; i < sizeof(text) / sizeof(text[0]); i++)
		if (query_text(r, text[i].name, text[i].dst, text[i].n) < 0)
			return -1;
	if (f->status[0] && strcmp(f->status, "accepted") != 0 && strcmp(f->status, "rejected") != 0) {
		http_fail(r, 400, "bad_filter", "status is accepted or rejected");
		return -1;
	}
	enum job_state st;
	if (f->state[0] && journal_job_state_parse(f->state, &st) < 0) {
		http_fail(r, 400, "bad_filter", "state is pending, running, done or dead");
		return -1;
	}
	enum action_id act;
	if (f->action[0] && action_parse(f->action, &act) < 0) {
		http_fail(r, 400, "bad_filter", "unknown action");
		return -1;
	}
	if (query_time(r, "since", &f->since_ms) < 0 || query_time(r, "until", &f->until_ms) < 0)
		return -1;
	char *end;
	int rc = http_query(r, "cursor", v, sizeof(v));
	if (rc != -1 && (rc < 0 || (f->cursor = strtoll(v, &end, 10)) <= 0 || *end)) {
		http_fail(r, 400, "bad_cursor", "cursor is the next_cursor of a previous page");
		return -1;
	}
	if (query_limit(r, &f->limit) < 0)
		return -1;
	return 0;
}

static void event_json(struct jbuf *b, const struct event_row *e, int full)
{
	jbuf_obj_open(b);
	jbuf_key_int(b, "id", e->id);
	jbuf_key_int(b, "received_ms", e->received_ms);
	jbuf_key_str(b, "source", e->source);
	jbuf_key_str(b, "type", e->type);
	jbuf_key_str(b, "status", e->status ? e->status : "accepted");
	jbuf_key_str(b, "reason", e->reason);
	jbuf_key_str(b, "delivery_id", e->delivery_id);
	jbuf_key_str(b, "occurred_at", e->occurred_at);
	jbuf_key_str(b, "subject_id", e->subject_id);
	jbuf_key_str(b, "subject_login", e->subject_login);
	jbuf_key_str(b, "subject_name", e->subject_name);
	jbuf_key_str(b, "actor_id", e->actor_id);
	jbuf_key_int(b, "duplicates", e->duplicates);
	if (full) {
		jbuf_key_str(b, "dedupe_key", e->dedupe_key);
		out_json_member(b, "subject", e->subject_json);
		out_json_member(b, "raw", e->raw);
	}
	jbuf_obj_close(b);
}

static void job_json(struct jbuf *b, const struct job *j)
{
	jbuf_obj_open(b);
	jbuf_key_int(b, "id", j->id);
	jbuf_key_int(b, "event_id", j->event_id);
	jbuf_key_str(b, "action", j->action);
	jbuf_key_str(b, "rule", j->rule);
	jbuf_key_str(b, "subject", j->subject);
	jbuf_key_str(b, "state", j->state);
	jbuf_key_int(b, "attempts", j->attempts);
	jbuf_key_int(b, "max_attempts", j->max_attempts);
	jbuf_key_int(b, "run_at_ms", j->run_at_ms);
	jbuf_key_int(b, "created_ms", j->created_ms);
	jbuf_key_int(b, "updated_ms", j->updated_ms);
	jbuf_key_pos(b, "held_by", j->held_by);
	jbuf_key_str(b, "last_error", j->last_error);
	jbuf_key_str(b, "result", j->result);
	out_json_member(b, "params", j->params);
	jbuf_obj_close(b);
}

static void page_end(struct jbuf *b, int64_t next)
{
	jbuf_arr_close(b);
	jbuf_key_pos(b, "next_cursor", next);
	jbuf_obj_close(b);
}

static void store_fail(struct http_req *r, const char *err)
{
	http_fail(r, 503, "journal_unavailable", "the journal cannot answer: %s", err);
}

/* f as a journal query for one page: one row more than the limit tells whether another page follows. */
static struct journal_query page_query(const struct filter *f)
{
	return (struct journal_query){ .source = f->source[0] ? f->source : NULL,
				       .type = f->type[0] ? f->type : NULL,
				       .status = f->status[0] ? f->status : NULL,
				       .subject = f->subject[0] ? f->subject : NULL,
				       .state = f->state[0] ? f->state : NULL,
				       .action = f->action[0] ? f->action : NULL,
				       .since_ms = f->since_ms,
				       .until_ms = f->until_ms,
				       .before_id = f->cursor,
				       .limit = f->limit + 1 };
}

/* Writes the events f matches (the journal filters), newest first, up to f->limit; *next the cursor, 0 on the last page. */
static int scan_events(struct admin *a, const struct filter *f, struct jbuf *b, int64_t *next, char *err, size_t errlen)
{
	struct journal_query q = page_query(f);
	struct event_row *rows;
	size_t n;
	if (journal_list_events(a->journal, &q, &rows, &n, err, errlen) < 0)
		return -1;
	size_t keep = n > (size_t)f->limit ? (size_t)f->limit : n;
	for (size_t i = 0; i < keep; i++) {
		jbuf_elem(b);
		event_json(b, &rows[i], 0);
	}
	*next = n > keep ? rows[keep - 1].id : 0;
	journal_events_free(rows, n);
	return 0;
}

/* scan_events for jobs; event_id nonzero: that event's jobs only. */
static int scan_jobs(struct admin *a, const struct filter *f, int64_t event_id, struct jbuf *b, int64_t *next,
		     char *err, size_t errlen)
{
	struct journal_query q = page_query(f);
	q.event_id = event_id;
	struct job *rows;
	size_t n;
	if (journal_list_jobs(a->journal, &q, &rows, &n, err, errlen) < 0)
		return -1;
	size_t keep = n > (size_t)f->limit ? (size_t)f->limit : n;
	for (size_t i = 0; i < keep; i++) {
		jbuf_elem(b);
		job_json(b, &rows[i]);
	}
	*next = n > keep ? rows[keep - 1].id : 0;
	journal_jobs_free(rows, n);
	return 0;
}

/* GET /api/events and GET /api/jobs (jobs nonzero): one page of the list the query's filter asks for. */
static void get_list(struct admin *a, struct http_req *r, int jobs)
{
	struct filter f;
	if (read_filter(r, &f) < 0)
		return;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key(&b, jobs ? "jobs" : "events");
	jbuf_arr_open(&b);
	int64_t next;
	char err[256];
	int rc = jobs ? scan_jobs(a, &f, 0, &b, &next, err, sizeof(err))
		      : scan_events(a, &f, &b, &next, err, sizeof(err));
	if (rc < 0)
		store_fail(r, err);
	else {
		page_end(&b, next);
		admin_reply_json(r, 200, &b);
	}
	jbuf_free(&b);
}

static void get_event(struct admin *a, struct http_req *r, int64_t id)
{
	struct journal_query q = { .id = id, .limit = 1 };
	struct event_row *rows;
	size_t n;
	char err[256];
	if (journal_list_events(a->journal, &q, &rows, &n, err, sizeof(err)) < 0) {
		store_fail(r, err);
		return;
	}
	if (n != 1) {
		journal_events_free(rows, n);
		http_fail(r, 404, "not_found", "no event %lld", (long long)id);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key(&b, "event");
	event_json(&b, &rows[0], 1);
	jbuf_key(&b, "jobs");
	jbuf_arr_open(&b);
	struct filter f = { .limit = LIMIT_MAX };
	int64_t next;
	if (scan_jobs(a, &f, id, &b, &next, err, sizeof(err)) < 0) {
		store_fail(r, err);
	} else {
		jbuf_arr_close(&b);
		jbuf_obj_close(&b);
		admin_reply_json(r, 200, &b);
	}
	jbuf_free(&b);
	journal_events_free(rows, n);
}

/* The job, or NULL after answering 404/503. Free with journal_jobs_free(j, 1). */
static struct job *find_job(struct admin *a, struct http_req *r, int64_t id)
{
	struct journal_query q = { .id = id, .limit = 1 };
	struct job *rows;
	size_t n;
	char err[256];
	if (journal_list_jobs(a->journal, &q, &rows, &n, err, sizeof(err)) < 0) {
		store_fail(r, err);
		return NULL;
	}
	if (n != 1) {
		journal_jobs_free(rows, n);
		http_fail(r, 404, "not_found", "no job %lld", (long long)id);
		return NULL;
	}
	return rows;
}

static void get_job(struct admin *a, struct http_req *r, int64_t id)
{
	struct job *j = find_job(a, r, id);
	if (!j)
		return;
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key(&b, "job");
	job_json(&b, j);
	jbuf_obj_close(&b);
	admin_reply_json(r, 200, &b);
	jbuf_free(&b);
	journal_jobs_free(j, 1);
}

/*
 * Journals what the caller did as one "admin" event (type admin.<what>, actor who, raw the
 * details) through the intake, with job js when not NULL. 0, or -1 after answering 503.
 */
static int journal_admin(struct admin *a, struct http_req *r, const struct admin_caller *c, const char *what,
			 const char *subject, const char *details, const struct job_spec *js)
{
	unsigned char rnd[12];
	RAND_bytes(rnd, sizeof(rnd));
	char key[40], type[64];
	snprintf(key, sizeof(key), "admin-");
	for (int i = 0; i < 12; i++)
		snprintf(key + 6 + 2 * i, 3, "%02x", rnd[i]);
	snprintf(type, sizeof(type), "admin.%s", what);
	struct journal_event ev = { .source = "admin",
				    .dedupe_key = key,
				    .delivery_id = key,
				    .type = type,
				    .subject_id = subject,
				    .subject_login = subject,
				    .actor_id = c->who,
				    .raw = slice_cstr(details),
				    .jobs = js,
				    .njobs = js ? 1 : 0 };
	char err[256];
	if (intake_commit(a->intake, &ev, 1, clock_now_ms(), NULL, err, sizeof(err)) != INTAKE_STORED) {
		http_fail(r, 503, "journal_unavailable", "the change was not made: %s", err);
		return -1;
	}
	log_info("admin change", "who", c->who, "what", type, "subject", subject ? subject : "");
	return 0;
}

static char *details_json(const char *by, int64_t job_id, const char *extra_key, const char *extra)
{
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "by", by);
	if (job_id)
		jbuf_key_int(&b, "job_id", job_id);
	if (extra_key)
		jbuf_key_str(&b, extra_key, extra);
	jbuf_obj_close(&b);
	return jbuf_take(&b, NULL);
}

/* POST /api/jobs/ID/retry (dead or done jobs) and /cancel (pending jobs): 200 with the job after. */
static void change_job(struct admin *a, struct http_req *r, const struct admin_caller *c, int64_t id, int retry)
{
	struct job *j = find_job(a, r, id);
	if (!j)
		return;
	enum job_state st = JOB_STATE_PENDING;
	journal_job_state_parse(j->state, &st);
	int allowed = retry ? st == JOB_STATE_DEAD || st == JOB_STATE_DONE : st == JOB_STATE_PENDING;
	char *details = allowed ? details_json(c->who, id, "action", j->action) : NULL;
	char err[256], why[160];
	snprintf(why, sizeof(why), "cancelled by %s", c->who);
	if (!allowed) {
		http_fail(r, 409, "wrong_state", "job %lld is %s: only %s jobs can be %s", (long long)id, j->state,
			  retry ? "dead or done" : "pending", retry ? "retried" : "cancelled");
	} else if (!details) {
		http_fail(r, 503, "out_of_memory", "cannot record the change");
	} else if (journal_admin(a, r, c, retry ? "job.retry" : "job.cancel", j->subject, details, NULL) == 0) {
		int rc = retry ? journal_job_requeue(a->journal, id, err, sizeof(err))
			       : journal_job_cancel(a->journal, id, why, err, sizeof(err));
		if (rc < 0)
			store_fail(r, err);
		else if (rc == 1)
			http_fail(r, 409, "wrong_state", "job %lld changed state meanwhile", (long long)id);
		else
			get_job(a, r, id);
	}
	free(details);
	journal_jobs_free(j, 1);
}

/* POST /api/people/LOGIN/resend: a resend_activation job, as `hookd user resend LOGIN` makes. */
static void resend(struct admin *a, struct http_req *r, const struct admin_caller *c, const char *login)
{
	struct jbuf p;
	jbuf_init(&p);
	jbuf_obj_open(&p);
	jbuf_key_bool(&p, "send_email", 1);
	jbuf_key_bool(&p, "allow_reactivate", 0);
	jbuf_key_str(&p, "login", login);
	jbuf_key_str(&p, "by", c->who);
	jbuf_obj_close(&p);
	char *params = jbuf_take(&p, NULL);
	char key[64];
	unsigned char rnd[8];
	RAND_bytes(rnd, sizeof(rnd));
	snprintf(key, sizeof(key), "admin-resend-%02x%02x%02x%02x%02x%02x%02x%02x", rnd[0], rnd[1], rnd[2], rnd[3],
		 rnd[4], rnd[5], rnd[6], rnd[7]);
	struct job_spec js = { .action = action_name(ACTION_RESEND_ACTIVATION),
			       .rule = "admin",
			       .subject = login,
			       .params = params,
			       .job_key = key };
	if (!params) {
		http_fail(r, 503, "out_of_memory", "cannot record the change");
	} else if (journal_admin(a, r, c, "user.resend", login, params, &js) == 0) {
		struct journal_query q = { .limit = 1, .job_key = key };
		struct job *rows;
		size_t n;
		char err[256];
		if (journal_list_jobs(a->journal, &q, &rows, &n, err, sizeof(err)) < 0 || n != 1) {
			http_fail(r, 503, "journal_unavailable", "the job was queued but cannot be read back");
		} else {
			struct jbuf b;
			jbuf_init(&b);
			jbuf_obj_open(&b);
			jbuf_key(&b, "job");
			job_json(&b, &rows[0]);
			jbuf_obj_close(&b);
			admin_reply_json(r, 202, &b);
			jbuf_free(&b);
		}
		if (n)
			journal_jobs_free(rows, n);
	}
	free(params);
}

static void person_json(struct jbuf *b, const struct person *p)
{
	jbuf_obj_open(b);
	jbuf_key_str(b, "user_id", p->user_id);
	jbuf_key_str(b, "login", p->login);
	jbuf_key_str(b, "state", p->state);
	jbuf_key_str(b, "okta_status", p->okta_status);
	jbuf_key_str(b, "origin", p->origin);
	jbuf_key_str(b, "via", p->via);
	jbuf_key_int(b, "resends", p->resends);
	jbuf_key_pos(b, "sent_ms", p->sent_ms);
	jbuf_key_pos(b, "next_follow_up_ms", p->next_follow_up_ms);
	jbuf_key_int(b, "updated_ms", p->updated_ms);
	jbuf_key_str(b, "reason", p->reason);
	jbuf_key_str(b, "last_error", p->last_error);
	jbuf_obj_close(b);
}

/* The /api/people query into q (strings in the caller's buffers); -1 after answering 400. */
static int read_people_query(struct http_req *r, struct people_query *q, char state[16], char status[32],
			     char login[256])
{
	static const char *const states[] = { "pending", "stuck", "active", "finished", "undeliverable" };
	if (query_text(r, "state", state, 16) < 0 || query_text(r, "okta_status", status, 32) < 0 ||
	    query_text(r, "login", login, 256) < 0 || query_limit(r, &q->limit) < 0)
		return -1;
	int known = !state[0];
	for (size_t i = 0; !known && i < sizeof(states) / sizeof(states[0]); i++)
		known = strcmp(state, states[i]) == 0;
	if (!known) {
		http_fail(r, 400, "bad_filter", "state is pending, stuck, active, finished or undeliverable");
		return -1;
	}
	q->state = state[0] ? state : NULL;
	q->okta_status = status[0] ? status : NULL;
	q->login = login[0] ? login : NULL;
	return 0;
}

/* GET /api/people: the onboarding list, stuck people first, then the most recently updated. */
static void get_people(struct admin *a, struct http_req *r)
{
	char state[16], status[32], login[256], err[256];
	struct people_query q = { .limit = LIMIT_DEFAULT, .with_errors = 1, .stuck_first = 1 };
	if (read_people_query(r, &q, state, status, login) < 0)
		return;
	int limit = q.limit;
	q.limit = limit + 1; /* one more tells whether the list goes on */
	struct person *p;
	size_t n;
	if (journal_list_people(a->journal, &q, &p, &n, err, sizeof(err)) < 0) {
		store_fail(r, err);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key(&b, "people");
	jbuf_arr_open(&b);
	for (size_t i = 0; i < n && i < (size_t)limit; i++) {
		jbuf_elem(&b);
		person_json(&b, &p[i]);
	}
	jbuf_arr_close(&b);
	jbuf_key_bool(&b, "more", n > (size_t)limit);
	jbuf_obj_close(&b);
	admin_reply_json(r, 200, &b);
	jbuf_free(&b);
	journal_people_free(p, n);
}

/* GET /api/people/LOGIN: the person's timeline, their events and jobs newest first. */
static void get_person(struct admin *a, struct http_req *r, const char *login)
{
	struct filter f = { .limit = LIMIT_MAX };
	snprintf(f.subject, sizeof(f.subject), "%s", login);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_str(&b, "login", login);
	jbuf_key(&b, "events");
	jbuf_arr_open(&b);
	int64_t next;
	char err[256];
	int rc = scan_events(a, &f, &b, &next, err, sizeof(err));
	jbuf_arr_close(&b);
	jbuf_key(&b, "jobs");
	jbuf_arr_open(&b);
	if (rc == 0)
		rc = scan_jobs(a, &f, 0, &b, &next, err, sizeof(err));
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	if (rc < 0)
		store_fail(r, err);
	else
		admin_reply_json(r, 200, &b);
	jbuf_free(&b);
}

/* Events received since since_ms, counted by source and status (at most SCAN_MAX rows read). */
struct tally {
	int64_t total, accepted, rejected, last_accepted_ms;
	int capped;
};

static int count_events(struct admin *a, const char *source, int64_t since_ms, struct tally *t, char *err,
			size_t errlen)
{
	memset(t, 0, sizeof(*t));
	struct journal_query q = { .source = source, .limit = PAGE };
	int scanned = 0;
	for (;;) {
		struct event_row *rows;
		size_t n;
		if (journal_list_events(a->journal, &q, &rows, &n, err, errlen) < 0)
			return -1;
		int done = n < PAGE, older = 0;
		for (size_t i = 0; i < n && !older; i++) {
			q.before_id = rows[i].id;
			scanned++;
			int rejected = rows[i].status && strcmp(rows[i].status, "rejected") == 0;
			if (!rejected && !t->last_accepted_ms)
				t->last_accepted_ms = rows[i].received_ms;
			if (rows[i].received_ms < since_ms) {
				older = 1;
				break;
			}
			t->total++;
			if (rejected)
				t->rejected++;
			else
				t->accepted++;
		}
		journal_events_free(rows, n);
		/* an older row ends the count, but the last accepted delivery may be older still */
		if (done || (older && t->last_accepted_ms) || (t->capped = scanned >= SCAN_MAX))
			return 0;
	}
}

static void source_json(struct admin *a, struct jbuf *b, const char *name, const char *kind, int64_t now, char *err,
			size_t errlen, int *failed)
{
	struct tally t;
	if (count_events(a, name, now - 86400000LL, &t, err, errlen) < 0) {
		*failed = 1;
		return;
	}
	jbuf_elem(b);
	jbuf_obj_open(b);
	jbuf_key_str(b, "source", name);
	jbuf_key_str(b, "kind", kind);
	jbuf_key_pos(b, "last_accepted_ms", t.last_accepted_ms);
	jbuf_key(b, "last_24h");
	jbuf_obj_open(b);
	jbuf_key_int(b, "accepted", t.accepted);
	jbuf_key_int(b, "rejected", t.rejected);
	jbuf_key_bool(b, "capped", t.capped);
	jbuf_obj_close(b);
	admin_refusals_json(b, name, now);
	jbuf_obj_close(b);
}

static void get_sources(struct admin *a, struct http_req *r)
{
	int64_t now = clock_now_ms();
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "since_ms", now - 86400000LL);
	jbuf_key_int(&b, "refusals_since_ms", a->started_ms > now - 86400000LL ? a->started_ms : now - 86400000LL);
	jbuf_key(&b, "sources");
	jbuf_arr_open(&b);
	char err[256];
	int failed = 0;
	source_json(a, &b, "okta", "okta_event_hook", now, err, sizeof(err), &failed);
	for (size_t i = 0; !failed && i < hr_sources_count(a->hr); i++) {
		char name[96];
		snprintf(name, sizeof(name), "hr:%s", hr_source_name(hr_sources_at(a->hr, i)));
		source_json(a, &b, name, "hr", now, err, sizeof(err), &failed);
	}
	jbuf_arr_close(&b);
	jbuf_obj_close(&b);
	if (failed)
		store_fail(r, err);
	else
		admin_reply_json(r, 200, &b);
	jbuf_free(&b);
}

static int count_stuck(struct admin *a, int64_t *stuck, char *err, size_t errlen)
{
	struct people_query q = { .state = "stuck" };
	struct person *p;
	size_t n;
	if (journal_list_people(a->journal, &q, &p, &n, err, errlen) < 0)
		return -1;
	journal_people_free(p, n);
	*stuck = (int64_t)n;
	return 0;
}

/*
 * "okta_rate": each bucket's window as the last Okta answer that carried X-Rate-Limit-* headers
 * said (null when Okta is not configured); a window whose reset has passed has its full limit again.
 */
static void okta_rate_json(struct jbuf *b, struct okta_governor *g, int64_t now)
{
	jbuf_key(b, "okta_rate");
	if (!g) {
		jbuf_puts(b, "null");
		return;
	}
	jbuf_arr_open(b);
	for (int i = 0; i < OKTA_BUCKET_COUNT; i++) {
		struct okta_rate rt;
		int64_t seen;
		if (okta_governor_last(g, (enum okta_bucket)i, &rt, &seen) != 0)
			continue;
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_str(b, "bucket", okta_bucket_name((enum okta_bucket)i));
		jbuf_key_int(b, "limit", rt.limit);
		jbuf_key_int(b, "remaining", rt.remaining);
		jbuf_key_int(b, "reset_ms", rt.reset_ms);
		jbuf_key_int(b, "seen_ms", seen);
		jbuf_key_bool(b, "reset_passed", now >= rt.reset_ms);
		jbuf_obj_close(b);
	}
	jbuf_arr_close(b);
}

static void get_overview(struct admin *a, struct http_req *r)
{
	int64_t now = clock_now_ms(), counts[JOB_STATE_COUNT];
	struct tally t5, t24;
	char err[256];
	int64_t stuck;
	if (journal_job_counts(a->journal, counts, err, sizeof(err)) < 0 ||
	    count_events(a, NULL, now - 300000, &t5, err, sizeof(err)) < 0 ||
	    count_events(a, NULL, now - 86400000LL, &t24, err, sizeof(err)) < 0 ||
	    count_stuck(a, &stuck, err, sizeof(err)) < 0) {
		store_fail(r, err);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "now_ms", now);
	jbuf_key_int(&b, "started_ms", a->started_ms);
	jbuf_key(&b, "ingest");
	jbuf_obj_open(&b);
	jbuf_key_int(&b, "last_5m", t5.total);
	jbuf_key(&b, "per_minute");
	jbuf_printf(&b, "%.1f", (double)t5.total / 5.0);
	jbuf_key_int(&b, "last_24h", t24.total);
	jbuf_key_int(&b, "rejected_24h", t24.rejected);
	jbuf_key_bool(&b, "capped", t24.capped);
	jbuf_obj_close(&b);
	jbuf_key(&b, "jobs");
	jbuf_obj_open(&b);
	for (int i = 0; i < JOB_STATE_COUNT; i++)
		jbuf_key_int(&b, journal_job_state_name((enum job_state)i), counts[i]);
	jbuf_obj_close(&b);
	jbuf_key_int(&b, "dead_jobs", counts[JOB_STATE_DEAD]);
	jbuf_key_int(&b, "stuck_people", stuck);
	okta_rate_json(&b, a->o.governor, now);
	/* how far behind now the System Log reconciler's cursor is (any instance's, from the journal) */
	struct reconcile_stats rs;
	reconcile_stats_get(NULL, a->journal, now, &rs);
	if (rs.cursor_ms >= 0 && rs.cursor_age_ms >= 0) {
		jbuf_key(&b, "reconcile_lateness_s");
		jbuf_printf(&b, "%.1f", (double)rs.cursor_age_ms / 1000.0);
	} else {
		jbuf_key_raw(&b, "reconcile_lateness_s", "null", 4);
	}
	jbuf_obj_close(&b);
	admin_reply_json(r, 200, &b);
	jbuf_free(&b);
}

/* "123" or "123/rest" at p: the id (positive), *rest pointing past it. -1 when p holds no id. */
static int64_t path_id(const char *p, const char **rest)
{
	char *end;
	long long v = strtoll(p, &end, 10);
	if (p[0] < '0' || p[0] > '9' || v <= 0 || (*end && *end != '/'))
		return -1;
	*rest = end;
	return v;
}

static int want(struct http_req *r, const char *method)
{
	if (strcmp(http_method(r), method) == 0)
		return 1;
	http_fail_method(r, method);
	return 0;
}

static void jobs_route(struct admin *a, struct http_req *r, const struct admin_caller *c, const char *p)
{
	const char *rest;
	int64_t id = path_id(p, &rest);
	if (id < 0)
		http_fail(r, 404, "not_found", "no such job path");
	else if (!*rest) {
		if (want(r, "GET"))
			get_job(a, r, id);
	} else if (strcmp(rest, "/retry") == 0 || strcmp(rest, "/cancel") == 0) {
		if (want(r, "POST"))
			change_job(a, r, c, id, strcmp(rest, "/retry") == 0);
	} else
		http_fail(r, 404, "not_found", "no such job path");
}

static void people_route(struct admin *a, struct http_req *r, const struct admin_caller *c, const char *p)
{
	if (!*p) {
		if (want(r, "GET"))
			get_people(a, r);
		return;
	}
	char login[256];
	size_t n = strcspn(p, "/");
	if (n == 0 || n >= sizeof(login)) {
		http_fail(r, 400, "bad_login", "the login is empty or longer than 255 bytes");
		return;
	}
	memcpy(login, p, n);
	login[n] = '\0';
	if (!p[n]) {
		if (want(r, "GET"))
			get_person(a, r, login);
	} else if (strcmp(p + n, "/resend") == 0) {
		if (want(r, "POST"))
			resend(a, r, c, login);
	} else
		http_fail(r, 404, "not_found", "no such people path");
}

void admin_api_handle(struct admin *a, struct http_req *r, const struct admin_caller *c)
{
	const char *p = http_path(r) + 5; /* after "/api/" */
	const char *rest;
	if (strcmp(p, "overview") == 0) {
		if (want(r, "GET"))
			get_overview(a, r);
	} else if (strcmp(p, "events") == 0) {
		if (want(r, "GET"))
			get_list(a, r, 0);
	} else if (strncmp(p, "events/", 7) == 0) {
		int64_t id = path_id(p + 7, &rest);
		if (id < 0 || *rest)
			http_fail(r, 404, "not_found", "no such event path");
		else if (want(r, "GET"))
			get_event(a, r, id);
	} else if (strcmp(p, "jobs") == 0) {
		if (want(r, "GET"))
			get_list(a, r, 1);
	} else if (strncmp(p, "jobs/", 5) == 0) {
		jobs_route(a, r, c, p + 5);
	} else if (strcmp(p, "sources") == 0) {
		if (want(r, "GET"))
			get_sources(a, r);
	} else if (strcmp(p, "people") == 0 || strncmp(p, "people/", 7) == 0) {
		people_route(a, r, c, p[6] ? p + 7 : p + 6);
	} else {
		http_fail(r, 404, "not_found", "no such API path");
	}
}
