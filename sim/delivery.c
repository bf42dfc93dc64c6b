/* delivery.c: the event-hook delivery queue and worker thread; deliveries never run inside an API request. */
#include "sim/delivery.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/clock.h"
#include "sim/sim.h"

#define RING 1024
#define TIMEOUT_MS 3000
#define RETRY_DELAY_MS 500

enum dstate {
	D_EMPTY,
	D_PENDING,
	D_RUNNING,
	D_DELIVERED,
	D_FAILED,
};

static const char *const state_names[] = { "empty", "pending", "running", "delivered", "failed" };

struct record {
	long seq;
	enum dstate state;
	char hook_id[24];
	struct hook_channel ch;
	char *event_id;
	char *types;
	char *body;
	size_t n;
	long redelivery_of;
	int attempts;
	long status;
	char err[256];
	long long queued_ms, finished_ms;
};

struct delivery {
	pthread_mutex_t mu;
	pthread_cond_t cv;
	pthread_t thread;
	int stop;
	char *ca_file;
	int64_t delay_ms; /* a delivery leaves this long after it was queued */
	long next_seq;	  /* next seq to hand out */
	long work_seq;	  /* next seq the worker takes */
	struct record ring[RING];
};

static void record_clear(struct record *r)
{
	hook_channel_clear(&r->ch);
	free(r->event_id);
	free(r->types);
	free(r->body);
	memset(r, 0, sizeof(*r));
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* One delivery: the first try, and one retry after a transport failure or a 5xx (never after a 4xx). */
static void deliver(struct delivery *d, const struct hook_channel *ch, const char *body, size_t n, int *attempts,
		    long *status, char *err, size_t errlen)
{
	for (*attempts = 1; *attempts <= 2; (*attempts)++) {
		struct outcall_result res;
		int rc = outcall_do(ch, "POST", NULL, NULL, body, n, d->ca_file, TIMEOUT_MS, &res);
		*status = res.status;
		snprintf(err, errlen, "%s", rc < 0 ? res.err : res.status >= 300 ? "non-2xx response" : "");
		outcall_result_free(&res);
		if (rc == 0 && res.status < 500)
			return;
		if (*attempts == 2)
			return;
		sleep_ms(RETRY_DELAY_MS);
	}
}

static void *worker(void *arg)
{
	struct delivery *d = arg;
	pthread_mutex_lock(&d->mu);
	while (!d->stop) {
		if (d->work_seq >= d->next_seq) {
			pthread_cond_wait(&d->cv, &d->mu);
			continue;
		}
		long seq = d->work_seq++;
		struct record *r = &d->ring[seq % RING];
		if (r->seq != seq || r->state != D_PENDING)
			continue;
		long long wait = r->queued_ms + d->delay_ms - clock_now_ms();
		if (wait > 0) {
			pthread_mutex_unlock(&d->mu);
			sleep_ms((long)wait);
			pthread_mutex_lock(&d->mu);
			if (r->seq != seq || r->state != D_PENDING)
				continue;
		}
		struct hook_channel ch;
		hook_channel_dup(&r->ch, &ch);
		char *body = sim_strndup(r->body, r->n);
		size_t n = r->n;
		r->state = D_RUNNING;
		pthread_mutex_unlock(&d->mu);

		int attempts;
		long status;
		char err[256];
		deliver(d, &ch, body, n, &attempts, &status, err, sizeof(err));
		hook_channel_clear(&ch);
		free(body);

		pthread_mutex_lock(&d->mu);
		if (r->seq == seq) {
			r->attempts = attempts;
			r->status = status;
			snprintf(r->err, sizeof(r->err), "%s", err);
			r->state = status >= 200 && status < 300 ? D_DELIVERED : D_FAILED;
			r->finished_ms = clock_now_ms();
		}
	}
	pthread_mutex_unlock(&d->mu);
	return NULL;
}

struct delivery *delivery_new(const char *ca_file, int64_t delay_ms)
{
	struct delivery *d = sim_xcalloc(1, sizeof(*d));
	d->delay_ms = delay_ms;
	pthread_mutex_init(&d->mu, NULL);
	pthread_cond_init(&d->cv, NULL);
	d->ca_file = ca_file ? sim_strdup(ca_file) : NULL;
	d->next_seq = d->work_seq = 1;
	if (pthread_create(&d->thread, NULL, worker, d) != 0) {
		fprintf(stderr, "okta-sim: cannot start the delivery thread\n");
		abort();
	}
	return d;
}

void delivery_free(struct delivery *d)
{
	if (!d)
		return;
	pthread_mutex_lock(&d->mu);
	d->stop = 1;
	pthread_cond_broadcast(&d->cv);
	pthread_mutex_unlock(&d->mu);
	pthread_join(d->thread, NULL);
	for (int i = 0; i < RING; i++)
		record_clear(&d->ring[i]);
	free(d->ca_file);
	pthread_cond_destroy(&d->cv);
	pthread_mutex_destroy(&d->mu);
	free(d);
}

/* Caller holds d->mu. */
static long enqueue_locked(struct delivery *d, const char *hook_id, const struct hook_channel *ch, const char *event_id,
			   const char *types, char *body, size_t n, long redelivery_of)
{
	long seq = d->next_seq++;
	struct record *r = &d->ring[seq % RING];
	record_clear(r);
	r->seq = seq;
	r->state = D_PENDING;
	snprintf(r->hook_id, sizeof(r->hook_id), "%s", hook_id);
	hook_channel_dup(ch, &r->ch);
	r->event_id = sim_strdup(event_id);
	r->types = sim_strdup(types);
	r->body = body;
	r->n = n;
	r->redelivery_of = redelivery_of;
	r->queued_ms = clock_now_ms();
	pthread_cond_signal(&d->cv);
	return seq;
}

long delivery_enqueue(struct delivery *d, const char *hook_id, const struct hook_channel *ch, const char *event_id,
		      const char *types, char *body, size_t n, long redelivery_of)
{
	pthread_mutex_lock(&d->mu);
	long seq = enqueue_locked(d, hook_id, ch, event_id, types, body, n, redelivery_of);
	pthread_mutex_unlock(&d->mu);
	return seq;
}

long delivery_redeliver(struct delivery *d, long seq, char *err, size_t errlen)
{
	pthread_mutex_lock(&d->mu);
	if (seq == 0)
		seq = d->next_seq - 1;
	struct record *r = seq > 0 ? &d->ring[seq % RING] : NULL;
	long out = -1;
	if (!r || r->seq != seq || r->state == D_EMPTY) {
		snprintf(err, errlen, seq > 0 ? "no delivery %ld in the log" : "no delivery yet", seq);
	} else {
		struct record src = *r;
		char *body = sim_strndup(src.body, src.n);
		struct hook_channel ch;
		hook_channel_dup(&src.ch, &ch);
		char *eid = sim_strdup(src.event_id), *types = sim_strdup(src.types);
		char hid[24];
		snprintf(hid, sizeof(hid), "%s", src.hook_id);
		out = enqueue_locked(d, hid, &ch, eid, types, body, src.n, seq);
		hook_channel_clear(&ch);
		free(eid);
		free(types);
	}
	pthread_mutex_unlock(&d->mu);
	return out;
}

static void types_json(struct jbuf *b, const char *types)
{
	jbuf_arr_open(b);
	while (*types) {
		size_t n = strcspn(types, ",");
		jbuf_elem(b);
		jbuf_strn(b, types, n);
		types += n;
		if (*types == ',')
			types++;
	}
	jbuf_arr_close(b);
}

static void record_json(const struct record *r, struct jbuf *b, int with_body)
{
	char t[40];
	jbuf_obj_open(b);
	jbuf_key_int(b, "seq", r->seq);
	jbuf_key_str(b, "hook_id", r->hook_id);
	jbuf_key_str(b, "uri", r->ch.uri);
	jbuf_key_str(b, "event_id", r->event_id);
	jbuf_key(b, "event_types");
	types_json(b, r->types);
	jbuf_key_str(b, "state", state_names[r->state]);
	jbuf_key_int(b, "attempts", r->attempts);
	jbuf_key_int(b, "status", r->status);
	jbuf_key_str(b, "error", r->err[0] ? r->err : NULL);
	clock_format_ms(r->queued_ms, t, sizeof(t));
	jbuf_key_str(b, "queued_at", t);
	clock_format_ms(r->finished_ms, t, sizeof(t));
	jbuf_key_str(b, "finished_at", r->finished_ms ? t : NULL);
	jbuf_key_pos(b, "redelivery_of", r->redelivery_of);
	if (with_body)
		jbuf_key_raw(b, "body", r->body, r->n);
	jbuf_obj_close(b);
}

void delivery_to_json(struct delivery *d, struct jbuf *b, int with_body)
{
	pthread_mutex_lock(&d->mu);
	long first = d->next_seq - RING > 1 ? d->next_seq - RING : 1;
	jbuf_arr_open(b);
	for (long s = first; s < d->next_seq; s++) {
		const struct record *r = &d->ring[s % RING];
		if (r->seq != s || r->state == D_EMPTY)
			continue;
		jbuf_elem(b);
		record_json(r, b, with_body);
	}
	jbuf_arr_close(b);
	pthread_mutex_unlock(&d->mu);
}

void delivery_reset(struct delivery *d)
{
	pthread_mutex_lock(&d->mu);
	for (int i = 0; i < RING; i++)
		if (d->ring[i].state != D_RUNNING)
			record_clear(&d->ring[i]);
		else
			d->ring[i].seq = -1;
	d->work_seq = d->next_seq;
	pthread_mutex_unlock(&d->mu);
}
