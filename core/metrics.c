/* metrics.c: a small registry of named metrics with atomic values. */
#include "core/metrics.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

enum kind {
	COUNTER,
	GAUGE,
	HISTOGRAM,
};

static const double buckets[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10 };
#define NBUCKETS (sizeof(buckets) / sizeof(buckets[0]))

struct metric {
	struct metric *next;
	enum kind kind;
	char *name, *labels, *help;
	_Atomic int64_t value;
	_Atomic uint64_t count;
	_Atomic uint64_t sum_ns;
	_Atomic uint64_t bucket[NBUCKETS];
};

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static struct metric *head, *tail;

static struct metric *lookup(enum kind kind, const char *name, const char *labels, const char *help)
{
	labels = labels ? labels : "";
	pthread_mutex_lock(&mu);
	struct metric *m;
	for (m = head; m; m = m->next)
		if (strcmp(m->name, name) == 0 && strcmp(m->labels, labels) == 0)
			break;
	if (!m && (m = calloc(1, sizeof(*m)))) {
		m->kind = kind;
		m->name = strdup(name);
		m->labels = strdup(labels);
		m->help = strdup(help ? help : name);
		if (!m->name || !m->labels || !m->help) {
			free(m->name);
			free(m->labels);
			free(m->help);
			free(m);
			m = NULL;
		} else {
			/* Appended in creation order; metrics of one name stay together when created together. */
			if (tail)
				tail->next = m;
			else
				head = m;
			tail = m;
		}
	}
	pthread_mutex_unlock(&mu);
	return m;
}

struct metric *metrics_counter(const char *name, const char *labels, const char *help)
{
	return lookup(COUNTER, name, labels, help);
}

struct metric *metrics_gauge(const char *name, const char *labels, const char *help)
{
	return lookup(GAUGE, name, labels, help);
}

struct metric *metrics_histogram(const char *name, const char *labels, const char *help)
{
	return lookup(HISTOGRAM, name, labels, help);
}

void metric_add(struct metric *m, int64_t by)
{
	if (m)
		atomic_fetch_add(&m->value, by);
}

void metric_set(struct metric *m, int64_t v)
{
	if (m)
		atomic_store(&m->value, v);
}

int64_t metric_value(const struct metric *m)
{
	return m ? atomic_load(&m->value) : 0;
}

void metric_observe(struct metric *m, double seconds)
{
	if (!m)
		return;
	/* One increment in the value's own bucket; render adds them up (Prometheus buckets are cumulative). */
	for (size_t i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i]) {
			atomic_fetch_add(&m->bucket[i], 1);
			break;
		}
	atomic_fetch_add(&m->count, 1);
	atomic_fetch_add(&m->sum_ns, (uint64_t)(seconds * 1e9));
}

void metrics_count(const char *name, const char *labels, int64_t by)
{
	metric_add(metrics_counter(name, labels, NULL), by);
}

static void render_one(struct jbuf *out, struct metric *m, int header)
{
	static const char *const types[] = { "counter", "gauge", "histogram" };
	if (header)
		jbuf_printf(out, "# HELP %s %s\n# TYPE %s %s\n", m->name, m->help, m->name, types[m->kind]);
	const char *sep = m->labels[0] ? "," : "";
	if (m->kind != HISTOGRAM) {
		if (m->labels[0])
			jbuf_printf(out, "%s{%s} %lld\n", m->name, m->labels, (long long)atomic_load(&m->value));
		else
			jbuf_printf(out, "%s %lld\n", m->name, (long long)atomic_load(&m->value));
		return;
	}
	uint64_t count = atomic_load(&m->count), cum = 0;
	for (size_t i = 0; i < NBUCKETS; i++) {
		cum += atomic_load(&m->bucket[i]);
		jbuf_printf(out, "%s_bucket{%s%sle=\"%g\"} %llu\n", m->name, m->labels, sep, buckets[i],
			    (unsigned long long)(cum < count ? cum : count));
	}
	jbuf_printf(out, "%s_bucket{%s%sle=\"+Inf\"} %llu\n", m->name, m->labels, sep, (unsigned long long)count);
	const char *lb = m->labels[0] ? "{" : "", *rb = m->labels[0] ? "}" : "";
	jbuf_printf(out, "%s_sum%s%s%s %.9f\n", m->name, lb, m->labels, rb, (double)atomic_load(&m->sum_ns) / 1e9);
	jbuf_printf(out, "%s_count%s%s%s %llu\n", m->name, lb, m->labels, rb, (unsigned long long)count);
}

void metrics_render(struct jbuf *out)
{
	pthread_mutex_lock(&mu);
	/* Group by name: HELP/TYPE once per name, every series of that name after it. */
	for (struct metric *m = head; m; m = m->next) {
		int first = 1;
		for (struct metric *p = head; p != m; p = p->next)
			if (strcmp(p->name, m->name) == 0)
				first = 0;
		if (!first)
			continue;
		for (struct metric *s = m; s; s = s->next)
			if (strcmp(s->name, m->name) == 0)
				render_one(out, s, s == m);
	}
	pthread_mutex_unlock(&mu);
}
