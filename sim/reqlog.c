/* reqlog.c: ring buffer behind GET /sim/requests. */
#include "sim/reqlog.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sim/sim.h"

struct slot {
	uint64_t seq;
	int64_t start_ms, end_ms;
	long long reset_s;
	long remaining;
	int status, lost_status;
	char method[8];
	char path[160];
	char bucket[16];
	char fault[12];
	char actor[40];
};

struct reqlog {
	pthread_mutex_t mu;
	struct slot *ring;
	unsigned cap;
	uint64_t next;	/* seq of the next entry; entries are 1-based */
	uint64_t first; /* oldest seq still held */
};

struct reqlog *reqlog_new(unsigned cap)
{
	struct reqlog *l = sim_xcalloc(1, sizeof(*l));
	pthread_mutex_init(&l->mu, NULL);
	l->cap = cap ? cap : 1;
	l->ring = sim_xcalloc(l->cap, sizeof(*l->ring));
	l->next = l->first = 1;
	return l;
}

void reqlog_free(struct reqlog *l)
{
	if (!l)
		return;
	pthread_mutex_destroy(&l->mu);
	free(l->ring);
	free(l);
}

static void put(char *dst, size_t n, const char *src)
{
	snprintf(dst, n, "%s", src ? src : "");
}

void reqlog_add(struct reqlog *l, const struct reqlog_entry *e)
{
	pthread_mutex_lock(&l->mu);
	struct slot *s = &l->ring[l->next % l->cap];
	s->seq = l->next++;
	if (l->next - l->first > l->cap)
		l->first = l->next - l->cap;
	s->start_ms = e->start_ms;
	s->end_ms = e->end_ms;
	s->reset_s = e->reset_s;
	s->remaining = e->remaining;
	s->status = e->status;
	s->lost_status = e->lost_status;
	put(s->method, sizeof(s->method), e->method);
	put(s->path, sizeof(s->path), e->path);
	put(s->bucket, sizeof(s->bucket), e->bucket);
	put(s->fault, sizeof(s->fault), e->fault);
	put(s->actor, sizeof(s->actor), e->actor);
	pthread_mutex_unlock(&l->mu);
}

void reqlog_clear(struct reqlog *l)
{
	pthread_mutex_lock(&l->mu);
	l->first = l->next;
	pthread_mutex_unlock(&l->mu);
}

void reqlog_to_json(struct reqlog *l, uint64_t since, struct jbuf *b)
{
	pthread_mutex_lock(&l->mu);
	uint64_t from = since + 1 > l->first ? since + 1 : l->first;
	jbuf_obj_open(b);
	jbuf_key_int(b, "dropped", (long long)(l->first - 1));
	jbuf_key_int(b, "next_seq", (long long)l->next);
	jbuf_key(b, "requests");
	jbuf_arr_open(b);
	for (uint64_t q = from; q < l->next; q++) {
		const struct slot *s = &l->ring[q % l->cap];
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_int(b, "seq", (long long)s->seq);
		jbuf_key_int(b, "start_ms", s->start_ms);
		jbuf_key_int(b, "end_ms", s->end_ms);
		jbuf_key_str(b, "method", s->method);
		jbuf_key_str(b, "path", s->path);
		jbuf_key_str(b, "bucket", s->bucket);
		jbuf_key_int(b, "status", s->status);
		jbuf_key_str(b, "fault", s->fault);
		if (s->lost_status)
			jbuf_key_int(b, "lost_status", s->lost_status);
		jbuf_key_int(b, "reset_s", s->reset_s);
		jbuf_key_int(b, "remaining", s->remaining);
		jbuf_key_str(b, "actor", s->actor);
		jbuf_obj_close(b);
	}
	jbuf_arr_close(b);
	jbuf_obj_close(b);
	pthread_mutex_unlock(&l->mu);
}
