/* metrics.h: process-wide counters, gauges and histograms, rendered in Prometheus text format. */
#ifndef HOOKD_METRICS_H
#define HOOKD_METRICS_H

#include <stdint.h>

#include "core/jbuf.h"

struct metric;

/*
 * Returns the counter name{labels} (labels: Prometheus label text such as route="/x",code="200",
 * or NULL), creating it on first use. The pointer stays valid for the life of the process, so hot
 * paths look it up once. help is used the first time a name is seen. NULL only when out of memory.
 */
struct metric *metrics_counter(const char *name, const char *labels, const char *help);
struct metric *metrics_gauge(const char *name, const char *labels, const char *help);
/* A histogram with Prometheus' default latency buckets (0.0005 s .. 10 s). */
struct metric *metrics_histogram(const char *name, const char *labels, const char *help);

/* NULL-safe updates, lock-free. */
void metric_add(struct metric *m, int64_t by);
void metric_set(struct metric *m, int64_t v);
void metric_observe(struct metric *m, double seconds);
int64_t metric_value(const struct metric *m);

/* Shorthand: counter name{labels} += by. */
void metrics_count(const char *name, const char *labels, int64_t by);

/* Appends every metric in the text exposition format 0.0.4. */
void metrics_render(struct jbuf *out);

#endif
