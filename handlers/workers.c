/* workers.c: a pool of threads that claim jobs from the journal and run them against Okta. */
#include "handlers/workers.h"

#include "core/clock.h"
#include "core/config.h"
#include "core/log.h"
#include "core/metrics.h"
#include "handlers/actions.h"
#include "handlers/activation.h"
#include "handlers/mail.h"
#include "okta/client.h"
#include "store/journal.h"

#include <openssl/rand.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

struct worker {
	struct workers *pool;
	pthread_t thread;
	int index;
	char owner[128];
};

struct workers {
	struct worker_opts o;
	struct journal *journal;
	struct okta_org *org;
	pthread_mutex_t mail_lock;
	struct mailer *mail; /* a reference; replaced by workers_set_mailer */
	struct worker *w;
	int n;
	atomic_int stopping;
	_Atomic int64_t pruned_ms; /* when a worker last pruned hookd's old request ids */
};

/* How often some worker of the pool prunes the request ids older than [worker] request_id_keep. */
#define PRUNE_EVERY_MS (10 * 60 * 1000)

int worker_opts_from_config(struct config *c, struct worker_opts *o)
{
	memset(o, 0, sizeof(*o));
	int64_t v = 0;
	int rc = 0;
	/* Ranges (threads 0-256, max_attempts 1-1000, lease >= 5s, poll 10ms-60s) are the schema's. */
	if (config_int(c, "worker", NULL, "threads", &v) < 0)
		rc = -1;
	o->threads = (int)v;
	if (config_int(c, "worker", NULL, "max_attempts", &v) < 0)
		rc = -1;
	o->max_attempts = (int)v;
	if (config_ms(c, "worker", NULL, "lease", &o->lease_ms) < 0)
		rc = -1;
	config_ms(c, "worker", NULL, "backoff_base", &o->backoff_base_ms);
	config_ms(c, "worker", NULL, "backoff_max", &o->backoff_max_ms);
	if (config_ms(c, "worker", NULL, "poll", &o->poll_ms) < 0)
		rc = -1;
	if (config_ms(c, "worker", NULL, "request_id_keep", &o->request_keep_ms) < 0) /* >= 24h: the schema's */
		rc = -1;
	return rc;
}

int64_t workers_backoff_ms(const struct worker_opts *o, int attempt, uint32_t rnd)
{
	int64_t d = o->backoff_base_ms;
	for (int i = 1; i < attempt && d < o->backoff_max_ms; i++)
		d *= 2;
	if (d > o->backoff_max_ms)
		d = o->backoff_max_ms;
	/* Full jitter between half and all of d, so retries of many jobs spread out. */
	return d / 2 + (d > 1 ? (int64_t)(rnd % (uint64_t)(d / 2 + 1)) : 0);
}

static uint32_t rnd32(void)
{
	uint32_t r = 0;
	RAND_bytes((unsigned char *)&r, sizeof(r));
	return r;
}

static void record(struct worker *w, const struct job *job, const struct action_result *res)
{
	struct workers *p = w->pool;
	char err[256], label[96];
	enum job_outcome oc = JOB_DONE;
	int64_t next = 0;
	int max = job->max_attempts > 0 ? job->max_attempts : p->o.max_attempts;
	if (res->status == ACTION_RETRY && res->rate_limited) {
		/* Okta's budget, not the job, stopped it: wait for the reset without using up an attempt */
		oc = JOB_DEFER;
		next = clock_now_ms() +
		       (res->retry_after_ms > 0 ? res->retry_after_ms : workers_backoff_ms(&p->o, 1, rnd32()));
	} else if (res->status == ACTION_RETRY && job->attempts < max) {
		oc = JOB_RETRY;
		int64_t delay = workers_backoff_ms(&p->o, job->attempts, rnd32());
		if (res->retry_after_ms > delay)
			delay = res->retry_after_ms;
		next = clock_now_ms() + delay;
	} else if (res->status != ACTION_DONE) {
		oc = JOB_DEAD;
	}
	int rc = journal_job_finish(p->journal, job->id, w->owner, oc, next, res->text, err, sizeof(err));
	char id[24], attempts[16];
	snprintf(id, sizeof(id), "%lld", (long long)job->id);
	snprintf(attempts, sizeof(attempts), "%d", job->attempts);
	snprintf(label, sizeof(label), "action=\"%s\",outcome=\"%s\"", job->action, journal_job_outcome_name(oc));
	metric_add(metrics_counter("hookd_jobs_finished_total", label, "Job runs finished, by action and outcome"), 1);
	if (rc < 0)
		log_error("cannot record a job's outcome", "#job", id, "detail", err);
	else if (rc == 1)
		log_warn("job lease lost before its outcome was recorded", "#job", id);
	if (job->subject && rc == 0)
		journal_wake(p->journal); /* the subject's next job, held back while this one ran, may be due */
	log_kv(oc == JOB_DEAD ? LOG_WARN : LOG_INFO, "job finished", "#job", id, "action", job->action, "subject",
	       job->subject, "outcome", journal_job_outcome_name(oc), "#attempt", attempts, "result", res->text,
	       (const char *)0);
}

/*
 * Journals what the job learned about a person's activation (and the next follow-up) before its
 * outcome, so a done job always has its follow-up. A store error is logged; the job still finishes.
 */
static void note(struct workers *p, const struct job *job, const struct action_result *res)
{
	char err[256];
	if (res->status != ACTION_DONE || res->note.kind == ACTIVATION_NONE)
		return;
	if (activation_record(p->journal, p->o.activation, job, &res->note, err, sizeof(err)) < 0) {
		char id[24];
		snprintf(id, sizeof(id), "%lld", (long long)job->id);
		log_error("cannot journal the activation follow-up", "job", id, "detail", err);
	}
}

/*
 * The X-Okta-Request-Id of a call the worker just made, into the journal before the job is
 * finished, so the event it causes is told as hookd's echo (handlers/echo.h) on every instance.
 */
static void remember_request(void *ud, const char *method, const char *request_id)
{
	struct worker *w = ud;
	char err[256];
	if (journal_request_record(w->pool->journal, request_id, clock_now_ms(), err, sizeof(err)) < 0)
		log_warn(
			"cannot record hookd's Okta request id; its event may fire a rule (actions read the user first)",
			"method", method, "request_id", request_id, "detail", err);
}

/* At most every PRUNE_EVERY_MS over the pool: forgets request ids older than request_keep_ms. */
static void maybe_prune(struct workers *p)
{
	int64_t now = clock_now_ms(), last = atomic_load(&p->pruned_ms);
	if (now - last < PRUNE_EVERY_MS || !atomic_compare_exchange_strong(&p->pruned_ms, &last, now))
		return;
	char err[256], n[24];
	int64_t gone = journal_requests_prune(p->journal, now - p->o.request_keep_ms, err, sizeof(err));
	if (gone < 0) {
		log_warn("cannot prune old Okta request ids", "detail", err);
		return;
	}
	snprintf(n, sizeof(n), "%lld", (long long)gone);
	if (gone > 0)
		log_debug("pruned old Okta request ids", "count", n);
}

static void *worker_main(void *arg)
{
	pthread_setname_np(pthread_self(), "hookd-worker");
	struct worker *w = arg;
	struct workers *p = w->pool;
	struct okta_error e;
	struct okta_client *c = okta_client_new(p->org, &e);
	if (!c) {
		char msg[300];
		log_error("worker cannot create its Okta client", "detail", okta_error_format(&e, msg, sizeof(msg)));
		return NULL;
	}
	okta_client_on_request(c, remember_request, w);
	while (!atomic_load(&p->stopping)) {
		maybe_prune(p);
		struct job *jobs = NULL;
		size_t n = 0;
		char err[256];
		if (journal_claim(p->journal, w->owner, p->o.lease_ms, 1, &jobs, &n, err, sizeof(err)) < 0) {
			log_error("cannot claim jobs", "detail", err);
			journal_wait_jobs(p->journal, p->o.poll_ms);
			continue;
		}
		if (n == 0) {
			activation_refresh_gauge(p->journal, 60000, 0);
			journal_wait_jobs(p->journal, p->o.poll_ms);
			continue;
		}
		for (size_t i = 0; i < n; i++) {
			struct action_result res;
			pthread_mutex_lock(&p->mail_lock);
			struct mailer *mail = mailer_ref(p->mail);
			pthread_mutex_unlock(&p->mail_lock);
			struct action_env env = { c, mail, p->o.activation, p->journal };
			action_run_env(&env, &jobs[i], &res);
			mailer_free(mail);
			note(p, &jobs[i], &res);
			record(w, &jobs[i], &res);
		}
		journal_jobs_free(jobs, n);
	}
	okta_client_free(c);
	return NULL;
}

struct workers *workers_start(const struct worker_opts *o, struct journal *j, struct okta_org *org, struct mailer *mail,
			      char *err, size_t errlen)
{
	struct workers *p = calloc(1, sizeof(*p));
	if (!p || !(p->w = calloc((size_t)(o->threads > 0 ? o->threads : 1), sizeof(*p->w)))) {
		free(p);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	p->o = *o;
	p->journal = j;
	p->org = org;
	p->mail = mailer_ref(mail);
	pthread_mutex_init(&p->mail_lock, NULL);
	atomic_store(&p->pruned_ms, clock_now_ms() - PRUNE_EVERY_MS);
	char host[64] = "host";
	gethostname(host, sizeof(host) - 1);
	activation_refresh_gauge(j, 0, 1);
	for (int i = 0; i < o->threads; i++) {
		struct worker *w = &p->w[i];
		w->pool = p;
		w->index = i;
		snprintf(w->owner, sizeof(w->owner), "%s:%d:%d", host, (int)getpid(), i);
		if (pthread_create(&w->thread, NULL, worker_main, w) != 0) {
			snprintf(err, errlen, "cannot start worker %d", i);
			workers_stop(p);
			return NULL;
		}
		p->n++;
	}
	return p;
}

void workers_stop(struct workers *p)
{
	if (!p)
		return;
	atomic_store(&p->stopping, 1);
	journal_wake(p->journal);
	for (int i = 0; i < p->n; i++)
		pthread_join(p->w[i].thread, NULL);
	mailer_free(p->mail);
	pthread_mutex_destroy(&p->mail_lock);
	free(p->w);
	free(p);
}

void workers_set_mailer(struct workers *p, struct mailer *mail)
{
	mailer_ref(mail);
	pthread_mutex_lock(&p->mail_lock);
	struct mailer *old = p->mail;
	p->mail = mail;
	pthread_mutex_unlock(&p->mail_lock);
	mailer_free(old);
}
