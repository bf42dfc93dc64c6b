/* faults.c: injected failures for /api and /oauth2 requests, configured through /sim/faults. */
#include "sim/faults.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/clock.h"
#include "core/json.h"
#include "sim/sim.h"

/* JSON tokens in a /sim/faults body. */
#define FAULTS_MAX_TOKENS 256

struct fault_cfg {
	double error_rate;
	int status;
	long long burst_429;
	int64_t burst_until_ms; /* wall clock: every request until then gets 429 */
	int latency_ms;
	double latency_rate;
	double drop_rate;
	double lost_rate;
};

struct faults {
	pthread_mutex_t mu;
	struct fault_cfg c;
	long long injected;
};

struct faults *faults_new(void)
{
	struct faults *f = sim_xcalloc(1, sizeof(*f));
	pthread_mutex_init(&f->mu, NULL);
	f->c.status = 500;
	return f;
}

void faults_free(struct faults *f)
{
	if (!f)
		return;
	pthread_mutex_destroy(&f->mu);
	free(f);
}

static int get_rate(const struct json *j, const char *key, double *out, char *err, size_t errlen)
{
	int i = json_get(j, 0, key);
	*out = 0;
	if (i < 0 || json_is_null(j, i))
		return 0;
	struct slice s = json_raw(j, i);
	char buf[32];
	char *end;
	if (json_is_string(j, i) || s.n == 0 || s.n >= sizeof(buf))
		goto bad;
	memcpy(buf, s.p, s.n);
	buf[s.n] = '\0';
	*out = strtod(buf, &end);
	if (*end == '\0' && *out >= 0 && *out <= 1)
		return 0;
bad:
	snprintf(err, errlen, "%s must be a number between 0 and 1", key);
	return -1;
}

static int get_int(const struct json *j, const char *key, long long lo, long long hi, long long *out, char *err,
		   size_t errlen)
{
	int i = json_get(j, 0, key);
	if (i < 0 || json_is_null(j, i))
		return 0;
	int64_t v;
	if (json_is_string(j, i) || json_int(j, i, &v) < 0 || v < lo || v > hi) {
		snprintf(err, errlen, "%s must be an integer between %lld and %lld", key, lo, hi);
		return -1;
	}
	*out = v;
	return 0;
}

int faults_set_json(struct faults *f, const char *body, size_t n, char *err, size_t errlen)
{
	struct json j;
	if (json_parse(&j, body, n, FAULTS_MAX_TOKENS, err, errlen) < 0)
		return -1;
	struct fault_cfg c = { 0 };
	long long status = 500, latency = 0, burst_ms = 0;
	int rc = -1;
	if (!json_is_object(&j, 0)) {
		snprintf(err, errlen, "body must be a JSON object");
		goto out;
	}
	if (get_rate(&j, "error_rate", &c.error_rate, err, errlen) < 0 ||
	    get_rate(&j, "latency_rate", &c.latency_rate, err, errlen) < 0 ||
	    get_rate(&j, "drop_rate", &c.drop_rate, err, errlen) < 0 ||
	    get_rate(&j, "lost_rate", &c.lost_rate, err, errlen) < 0 ||
	    get_int(&j, "status", 500, 599, &status, err, errlen) < 0 ||
	    get_int(&j, "burst_429", 0, 1000000, &c.burst_429, err, errlen) < 0 ||
	    get_int(&j, "latency_ms", 0, 60000, &latency, err, errlen) < 0 ||
	    get_int(&j, "burst_429_ms", 0, 3600000, &burst_ms, err, errlen) < 0)
		goto out;
	if (burst_ms > 0)
		c.burst_until_ms = clock_now_ms() + burst_ms;
	c.status = (int)status;
	c.latency_ms = (int)latency;
	if (c.latency_ms > 0 && c.latency_rate == 0 && json_get(&j, 0, "latency_rate") < 0)
		c.latency_rate = 1;
	pthread_mutex_lock(&f->mu);
	f->c = c;
	pthread_mutex_unlock(&f->mu);
	rc = 0;
out:
	json_free(&j);
	return rc;
}

void faults_to_json(struct faults *f, struct jbuf *b)
{
	pthread_mutex_lock(&f->mu);
	struct fault_cfg c = f->c;
	long long injected = f->injected;
	pthread_mutex_unlock(&f->mu);
	jbuf_obj_open(b);
	jbuf_key(b, "error_rate");
	jbuf_printf(b, "%g", c.error_rate);
	jbuf_key_int(b, "status", c.status);
	jbuf_key_int(b, "burst_429", c.burst_429);
	int64_t left = c.burst_until_ms - clock_now_ms();
	jbuf_key_int(b, "burst_429_ms", left > 0 ? left : 0);
	jbuf_key_int(b, "latency_ms", c.latency_ms);
	jbuf_key(b, "latency_rate");
	jbuf_printf(b, "%g", c.latency_rate);
	jbuf_key(b, "drop_rate");
	jbuf_printf(b, "%g", c.drop_rate);
	jbuf_key(b, "lost_rate");
	jbuf_printf(b, "%g", c.lost_rate);
	jbuf_key_int(b, "injected", injected);
	jbuf_obj_close(b);
}

void faults_clear(struct faults *f)
{
	pthread_mutex_lock(&f->mu);
	memset(&f->c, 0, sizeof(f->c));
	f->c.status = 500;
	pthread_mutex_unlock(&f->mu);
}

enum fault_action faults_roll(struct faults *f, int *delay_ms, int *status)
{
	pthread_mutex_lock(&f->mu);
	struct fault_cfg c = f->c;
	enum fault_action a = FAULT_NONE;
	*delay_ms = 0;
	*status = c.status;
	if (c.latency_ms > 0 && sim_random_unit() < c.latency_rate)
		*delay_ms = c.latency_ms;
	if (c.burst_429 > 0) {
		f->c.burst_429--;
		a = FAULT_429;
	} else if (c.burst_until_ms > 0 && clock_now_ms() < c.burst_until_ms) {
		a = FAULT_429;
	} else if (c.drop_rate > 0 && sim_random_unit() < c.drop_rate) {
		a = FAULT_DROP;
	} else if (c.error_rate > 0 && sim_random_unit() < c.error_rate) {
		a = FAULT_ERROR;
	} else if (c.lost_rate > 0 && sim_random_unit() < c.lost_rate) {
		a = FAULT_LOST;
	}
	if (a != FAULT_NONE || *delay_ms)
		f->injected++;
	pthread_mutex_unlock(&f->mu);
	return a;
}
