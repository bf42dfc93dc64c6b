/* refusals.c: what the hook listener refused, per source and reason, over the last 24 hours (in memory). */
#include "admin/admin_internal.h"

#include "core/clock.h"
#include "core/jbuf.h"
#include "hooks/hr_source.h"
#include "hooks/http.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#define REASONS 128
#define HOURS 24

struct reason {
	char source[64], code[40], msg[160];
	int status;
	int64_t hour[HOURS]; /* hour[k]: the hour (ms / 3600000) counts[k] belongs to */
	int64_t counts[HOURS];
	int64_t last_ms;
};

static struct {
	pthread_mutex_t mu;
	struct reason r[REASONS];
	int n;
} tab = { .mu = PTHREAD_MUTEX_INITIALIZER };

/* "okta" or "hr:<name>" for a hook route; NULL for health, metrics and unknown paths. */
static int source_of(const char *route, const char *path, char *out, size_t n)
{
	if (!route || route[0] != '/' || strcmp(route, "/healthz") == 0 || strcmp(route, "/readyz") == 0 ||
	    strcmp(route, "/metrics") == 0 || strcmp(route, "/") == 0)
		return -1;
	size_t pl = strlen(HR_PATH_PREFIX);
	if (strcmp(route, HR_PATH_PREFIX) == 0)
		snprintf(out, n, "hr:%.*s", (int)strcspn(path + (strlen(path) >= pl ? pl : strlen(path)), "/"),
			 path + (strlen(path) >= pl ? pl : strlen(path)));
	else
		snprintf(out, n, "okta");
	return 0;
}

static void observe(const char *route, const char *path, int status, const char *code, const char *msg)
{
	char src[64];
	if (status >= 500 || source_of(route, path, src, sizeof(src)) < 0)
		return;
	int64_t now = clock_now_ms(), h = now / 3600000;
	pthread_mutex_lock(&tab.mu);
	struct reason *hit = NULL;
	for (int i = 0; i < tab.n && !hit; i++)
		if (tab.r[i].status == status && strcmp(tab.r[i].source, src) == 0 &&
		    strcmp(tab.r[i].code, code) == 0 && strncmp(tab.r[i].msg, msg, sizeof(tab.r[i].msg) - 1) == 0)
			hit = &tab.r[i];
	if (!hit) {
		/* a full table reuses the reason seen longest ago */
		int k = 0;
		for (int i = 1; i < tab.n; i++)
			if (tab.r[i].last_ms < tab.r[k].last_ms)
				k = i;
		hit = tab.n < REASONS ? &tab.r[tab.n++] : &tab.r[k];
		memset(hit, 0, sizeof(*hit));
		snprintf(hit->source, sizeof(hit->source), "%s", src);
		snprintf(hit->code, sizeof(hit->code), "%s", code);
		snprintf(hit->msg, sizeof(hit->msg), "%s", msg);
		hit->status = status;
	}
	int slot = (int)(h % HOURS);
	if (hit->hour[slot] != h) {
		hit->hour[slot] = h;
		hit->counts[slot] = 0;
	}
	hit->counts[slot]++;
	hit->last_ms = now;
	pthread_mutex_unlock(&tab.mu);
}

void admin_refusals_install(void)
{
	http_observe_failures(observe);
}

static int64_t last_day(const struct reason *r, int64_t now_ms)
{
	int64_t h = now_ms / 3600000, sum = 0;
	for (int k = 0; k < HOURS; k++)
		if (r->hour[k] > h - HOURS)
			sum += r->counts[k];
	return sum;
}

void admin_refusals_json(struct jbuf *b, const char *source, int64_t now_ms)
{
	int64_t total = 0;
	jbuf_key(b, "refusals");
	jbuf_obj_open(b);
	jbuf_key(b, "by_reason");
	jbuf_arr_open(b);
	pthread_mutex_lock(&tab.mu);
	for (int i = 0; i < tab.n; i++) {
		const struct reason *r = &tab.r[i];
		int64_t c = last_day(r, now_ms);
		if (strcmp(r->source, source) != 0 || c == 0)
			continue;
		total += c;
		jbuf_elem(b);
		jbuf_obj_open(b);
		jbuf_key_int(b, "status", r->status);
		jbuf_key_str(b, "error", r->code);
		jbuf_key_str(b, "message", r->msg);
		jbuf_key_int(b, "count", c);
		jbuf_key_int(b, "last_ms", r->last_ms);
		jbuf_obj_close(b);
	}
	pthread_mutex_unlock(&tab.mu);
	jbuf_arr_close(b);
	jbuf_key_int(b, "total", total);
	jbuf_obj_close(b);
}
