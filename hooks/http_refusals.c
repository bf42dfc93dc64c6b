/* http_refusals.c: a refusal log an attacker cannot flood: first sight of a reason, then counts. */
#include "hooks/http_refusals.h"

#include "core/jbuf.h"
#include "core/log.h"
#include "core/metrics.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define REASONS 64

struct reason {
	char code[48];
	uint64_t since; /* refusals since the last summary */
	struct metric *counter;
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct reason reasons[REASONS];
static int nreasons;
static int64_t last_summary_ns;

/* The reason's slot (the last one is "other"), and whether it is new. Under mu. */
static struct reason *find(const char *code, int *fresh)
{
	*fresh = 0;
	for (int i = 0; i < nreasons; i++)
		if (strcmp(reasons[i].code, code) == 0)
			return &reasons[i];
	if (nreasons == REASONS - 1 && !reasons[REASONS - 1].counter) {
		snprintf(reasons[REASONS - 1].code, sizeof(reasons[0].code), "other");
		reasons[REASONS - 1].counter = metrics_counter("hookd_http_refusals_total", "error=\"other\"",
							       "Requests refused, by error code");
	}
	if (nreasons >= REASONS - 1)
		return &reasons[REASONS - 1];
	struct reason *r = &reasons[nreasons++];
	snprintf(r->code, sizeof(r->code), "%s", code);
	char labels[80];
	snprintf(labels, sizeof(labels), "error=\"%s\"", r->code);
	r->counter = metrics_counter("hookd_http_refusals_total", labels, "Requests refused, by error code");
	*fresh = 1;
	return r;
}

/* One line with every count since the last summary; the counts start again. Under mu. */
static void summarize(int64_t now_ns)
{
	struct jbuf b;
	jbuf_init(&b);
	for (int i = 0; i < REASONS; i++) {
		if (!reasons[i].since)
			continue;
		jbuf_printf(&b, "%s%s=%llu", b.n ? " " : "", reasons[i].code, (unsigned long long)reasons[i].since);
		reasons[i].since = 0;
	}
	char secs[16];
	snprintf(secs, sizeof(secs), "%d", HTTP_REFUSAL_SUMMARY_S);
	if (b.n && !b.err)
		log_kv(LOG_INFO, "requests refused since the last summary", "interval_s", secs, "counts", b.p,
		       (const char *)0);
	jbuf_free(&b);
	last_summary_ns = now_ns;
}

int http_refusal_note(const char *code, int64_t now_ns)
{
	pthread_mutex_lock(&mu);
	int fresh;
	struct reason *r = find(code ? code : "unknown", &fresh);
	if (!fresh)
		r->since++;
	if (!last_summary_ns)
		last_summary_ns = now_ns;
	else if (now_ns - last_summary_ns >= (int64_t)HTTP_REFUSAL_SUMMARY_S * 1000000000LL)
		summarize(now_ns);
	struct metric *m = r->counter;
	pthread_mutex_unlock(&mu);
	if (m)
		metric_add(m, 1);
	return fresh;
}
