/* logs.c: the System Log store and listLogEvents: bounded and polling queries, filter, q, paging by an opaque cursor. */
#include "sim/logs.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"
#include "core/json.h"
#include "sim/filter.h"
#include "sim/http.h"
#include "sim/sim.h"

#define LIMIT_DEFAULT 100
#define LIMIT_MAX 1000
#define KEYWORDS_MAX 10
#define KEYWORD_LEN 40
#define WEEK_MS (7LL * 86400000)
#define RETENTION_MS (90LL * 86400000)

/* The attributes a filter may name, with where they sit in a LogEvent (target: its first element). */
static const struct {
	const char *name, *pointer;
} attrs[] = {
	{ "uuid", "/uuid" },
	{ "published", "/published" },
	{ "eventType", "/eventType" },
	{ "legacyEventType", "/legacyEventType" },
	{ "severity", "/severity" },
	{ "displayMessage", "/displayMessage" },
	{ "actor.id", "/actor/id" },
	{ "actor.type", "/actor/type" },
	{ "actor.alternateId", "/actor/alternateId" },
	{ "actor.displayName", "/actor/displayName" },
	{ "target.id", "/target/0/id" },
	{ "target.type", "/target/0/type" },
	{ "target.alternateId", "/target/0/alternateId" },
	{ "target.displayName", "/target/0/displayName" },
	{ "outcome.result", "/outcome/result" },
	{ "outcome.reason", "/outcome/reason" },
	{ "transaction.id", "/transaction/id" },
	{ "client.ipAddress", "/client/ipAddress" },
};
#define NATTRS (sizeof(attrs) / sizeof(attrs[0]))

struct entry {
	int64_t published_ms, visible_ms, seq;
	char *json;
	char *val[NATTRS]; /* NULL when absent or not a string */
};

struct logs {
	struct entry *v;
	size_t n, cap;
	int64_t next_seq;
	int64_t lag_ms, jitter_ms;
};

/* One listLogEvents request, read and checked. */
struct logq {
	int polling, desc;
	long limit;
	int64_t since_ms, until_ms;
	int64_t cur_key, cur_seq; /* the position to continue after (polling, or from `after`) */
	int have_cursor;
	char since[64], until[64], sort[16];
	char filter[4097];
	char q[512];
	char kw[KEYWORDS_MAX][KEYWORD_LEN + 1];
	int nkw;
};

/* One match: its sort key and where it is. */
struct hit {
	int64_t key, seq;
	size_t i;
};

struct logs *logs_new(void)
{
	return sim_xcalloc(1, sizeof(struct logs));
}

static void entry_clear(struct entry *e)
{
	free(e->json);
	for (size_t k = 0; k < NATTRS; k++)
		free(e->val[k]);
}

void logs_reset(struct logs *l)
{
	for (size_t i = 0; i < l->n; i++)
		entry_clear(&l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = l->cap = 0;
}

void logs_free(struct logs *l)
{
	if (!l)
		return;
	logs_reset(l);
	free(l);
}

void logs_set_lag(struct logs *l, int64_t lag_ms, int64_t jitter_ms)
{
	l->lag_ms = lag_ms < 0 ? 0 : lag_ms;
	l->jitter_ms = jitter_ms < 0 ? 0 : jitter_ms;
}

/* Forgets the oldest tenth once the store is full. */
static void make_room(struct logs *l)
{
	if (l->n == LOGS_MAX) {
		size_t drop = LOGS_MAX / 10;
		for (size_t i = 0; i < drop; i++)
			entry_clear(&l->v[i]);
		memmove(l->v, l->v + drop, sizeof(l->v[0]) * (l->n - drop));
		l->n -= drop;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 256;
		l->v = sim_xrealloc(l->v, sizeof(l->v[0]) * l->cap);
	}
}

static int entry_fill(struct entry *e, const char *json)
{
	struct json j;
	char why[64];
	memset(e, 0, sizeof(*e));
	if (json_parse(&j, json, strlen(json), 0, why, sizeof(why)) < 0)
		return -1;
	for (size_t k = 0; k < NATTRS; k++) {
		int t = json_pointer(&j, 0, attrs[k].pointer);
		if (json_is_string(&j, t))
			e->val[k] = json_strdup(&j, t);
	}
	json_free(&j);
	if (!e->val[0] || !e->val[1] || !e->val[2] || clock_parse_ms(e->val[1], &e->published_ms) < 0) {
		entry_clear(e);
		return -1;
	}
	e->json = sim_strdup(json);
	return 0;
}

int logs_add(struct logs *l, const char *json)
{
	struct entry e;
	if (entry_fill(&e, json) < 0)
		return -1;
	make_room(l);
	e.seq = l->next_seq++;
	e.visible_ms = e.published_ms + l->lag_ms + (int64_t)(sim_random_unit() * (double)l->jitter_ms);
	l->v[l->n++] = e;
	return 0;
}

void logs_describe(const struct logs *l, int64_t now_ms, struct jbuf *b)
{
	int64_t visible = 0;
	for (size_t i = 0; i < l->n; i++)
		visible += l->v[i].visible_ms <= now_ms;
	jbuf_obj_open(b);
	jbuf_key_int(b, "lag_ms", l->lag_ms);
	jbuf_key_int(b, "jitter_ms", l->jitter_ms);
	jbuf_key_int(b, "events", (int64_t)l->n);
	jbuf_key_int(b, "visible", visible);
	jbuf_obj_close(b);
}

/* ---- the query ---- */

static void bad_param(struct http_req *r, const char *cause)
{
	http_okta_error(r, 400, "E0000001", "Api validation failed: the query is invalid", cause);
}

static int read_time(struct http_req *r, const char *name, char *out, size_t n, int64_t *ms)
{
	int rc = http_query(r, name, out, n);
	if (rc == 0)
		return 0;
	char cause[160];
	if (rc < 0 || clock_parse_ms(out, ms) < 0) {
		snprintf(cause, sizeof(cause), "%s: not an ISO 8601 timestamp", name);
		bad_param(r, cause);
		return -1;
	}
	return 1;
}

static int read_limit(struct http_req *r, struct logq *q)
{
	char v[16];
	int rc = http_query(r, "limit", v, sizeof(v));
	q->limit = LIMIT_DEFAULT;
	if (rc == 0)
		return 0;
	char *end;
	long n = rc < 0 ? -1 : strtol(v, &end, 10);
	if (rc < 0 || !v[0] || *end || n < 0 || n > LIMIT_MAX) {
		bad_param(r, "limit: must be an integer between 0 and 1000");
		return -1;
	}
	q->limit = n;
	return 0;
}

/* after=<key>_<seq+1>: the position of the last event of the previous page. */
static int read_after(struct http_req *r, struct logq *q)
{
	char v[64];
	int rc = http_query(r, "after", v, sizeof(v));
	if (rc == 0)
		return 0;
	long long key, seq;
	int used = 0;
	if (rc < 0 || sscanf(v, "%lld_%lld%n", &key, &seq, &used) != 2 || (size_t)used != strlen(v) || seq < 0 ||
	    key < 0 || v[0] < '0' || v[0] > '9') {
		bad_param(r, "after: not a cursor from a Link header");
		return -1;
	}
	q->cur_key = key;
	q->cur_seq = seq - 1;
	q->have_cursor = 1;
	return 0;
}

static int read_keywords(struct http_req *r, struct logq *q)
{
	int rc = http_query(r, "q", q->q, sizeof(q->q));
	if (rc == 0)
		return 0;
	char copy[sizeof(q->q)], *save = NULL;
	snprintf(copy, sizeof(copy), "%s", rc < 0 ? "" : q->q);
	for (char *w = strtok_r(copy, " ", &save); rc > 0 && w; w = strtok_r(NULL, " ", &save)) {
		if (q->nkw == KEYWORDS_MAX || strlen(w) > KEYWORD_LEN) {
			rc = -1;
			break;
		}
		snprintf(q->kw[q->nkw++], KEYWORD_LEN + 1, "%s", w);
	}
	if (rc < 0) {
		bad_param(r, "q: at most 10 keywords of at most 40 characters each");
		return -1;
	}
	return 0;
}

static int read_filter(struct http_req *r, struct logq *q)
{
	int rc = http_query(r, "filter", q->filter, sizeof(q->filter));
	char why[256], cause[300];
	if (rc == 0)
		return 0;
	if (rc < 0 || filter_check(q->filter, FILTER_LOG, why, sizeof(why)) < 0) {
		snprintf(cause, sizeof(cause), "filter: %s", rc < 0 ? "too long" : why);
		bad_param(r, cause);
		return -1;
	}
	return 0;
}

static int read_sort(struct http_req *r, struct logq *q)
{
	int rc = http_query(r, "sortOrder", q->sort, sizeof(q->sort));
	if (rc == 0)
		return 0;
	if (rc < 0 || (strcmp(q->sort, "ASCENDING") != 0 && strcmp(q->sort, "DESCENDING") != 0)) {
		bad_param(r, "sortOrder: must be ASCENDING or DESCENDING");
		return -1;
	}
	q->desc = strcmp(q->sort, "DESCENDING") == 0;
	return 0;
}

/*
 * Reads and checks every parameter. Without until (and ascending) the query polls: since and the
 * cursor are on the persistence (visibility) time. Otherwise it is bounded on published.
 */
static int read_query(struct http_req *r, int64_t now_ms, struct logq *q)
{
	memset(q, 0, sizeof(*q));
	int hs, hu;
	if ((hs = read_time(r, "since", q->since, sizeof(q->since), &q->since_ms)) < 0 ||
	    (hu = read_time(r, "until", q->until, sizeof(q->until), &q->until_ms)) < 0 || read_limit(r, q) < 0 ||
	    read_sort(r, q) < 0 || read_filter(r, q) < 0 || read_keywords(r, q) < 0 || read_after(r, q) < 0)
		return -1;
	q->polling = !hu && !q->desc;
	if (!hu)
		q->until_ms = now_ms;
	if (!hs)
		q->since_ms = q->until_ms - WEEK_MS;
	if (q->since_ms > q->until_ms) {
		bad_param(r, "since: must not be after until");
		return -1;
	}
	if (q->since_ms < now_ms - RETENTION_MS) {
		bad_param(r, "since: the System Log keeps 90 days of events");
		return -1;
	}
	if (!q->have_cursor) {
		q->cur_key = q->desc ? INT64_MAX : q->since_ms;
		q->cur_seq = -1;
	}
	return 0;
}

/* ---- matching ---- */

static const char *entry_attr(const void *obj, const char *attr, char *buf, size_t n)
{
	const struct entry *e = obj;
	(void)buf;
	(void)n;
	for (size_t k = 0; k < NATTRS; k++)
		if (strcmp(attrs[k].name, attr) == 0)
			return e->val[k];
	return NULL;
}

static int after_cursor(const struct logq *q, int64_t key, int64_t seq)
{
	if (q->desc)
		return key < q->cur_key || (key == q->cur_key && seq < q->cur_seq);
	return key > q->cur_key || (key == q->cur_key && seq > q->cur_seq);
}

static int matches(const struct logq *q, const struct entry *e, int64_t now_ms, int64_t *key)
{
	if (e->visible_ms > now_ms)
		return 0;
	*key = q->polling ? e->visible_ms : e->published_ms;
	if (!q->polling && (e->published_ms < q->since_ms || e->published_ms >= q->until_ms))
		return 0;
	if (q->polling && e->visible_ms < q->since_ms)
		return 0;
	if (!after_cursor(q, *key, e->seq))
		return 0;
	if (q->filter[0] && !filter_match(q->filter, FILTER_LOG, entry_attr, e))
		return 0;
	for (int k = 0; k < q->nkw; k++)
		if (!strcasestr(e->json, q->kw[k]))
			return 0;
	return 1;
}

static int hit_asc(const void *a, const void *b)
{
	const struct hit *x = a, *y = b;
	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return (x->seq > y->seq) - (x->seq < y->seq);
}

static int hit_desc(const void *a, const void *b)
{
	return hit_asc(b, a);
}

/* ---- the answer ---- */

static void put_param(struct jbuf *b, const char *name, const char *value)
{
	if (!value || !value[0])
		return;
	jbuf_printf(b, "%s%s=", b->n && b->p[b->n - 1] != '?' ? "&" : "", name);
	http_pct_encode(b, value);
}

/* Link: <base/api/v1/logs?...&after=...>; rel="next"; 0, or -1 when it cannot be built. */
static int next_link(struct http_req *r, const struct logq *q, int64_t key, int64_t seq, char *out, size_t n)
{
	struct jbuf b;
	char limit[16], after[64];
	snprintf(limit, sizeof(limit), "%ld", q->limit);
	snprintf(after, sizeof(after), "%lld_%lld", (long long)key, (long long)(seq + 1));
	jbuf_init(&b);
	jbuf_printf(&b, "<%s/api/v1/logs?", r->sim->base_url);
	put_param(&b, "since", q->since);
	put_param(&b, "until", q->until);
	put_param(&b, "filter", q->filter);
	put_param(&b, "q", q->q);
	put_param(&b, "limit", limit);
	put_param(&b, "sortOrder", q->sort);
	put_param(&b, "after", after);
	jbuf_puts(&b, ">; rel=\"next\"");
	int rc = b.err || b.n >= n ? -1 : 0;
	if (rc == 0)
		snprintf(out, n, "%.*s", (int)b.n, b.p);
	jbuf_free(&b);
	return rc;
}

static void self_link(struct http_req *r, char *out, size_t n)
{
	int w = snprintf(out, n, "<%s%s%s%s>; rel=\"self\"", r->sim->base_url, r->path, r->query[0] ? "?" : "",
			 r->query);
	if (w < 0 || (size_t)w >= n)
		snprintf(out, n, "<%s%s>; rel=\"self\"", r->sim->base_url, r->path);
}

/* Collects the matches under the lock, sorted; *nh of them. The caller frees. */
static struct hit *collect(struct logs *l, const struct logq *q, int64_t now_ms, size_t *nh)
{
	struct hit *h = sim_xcalloc(l->n ? l->n : 1, sizeof(*h));
	size_t k = 0;
	for (size_t i = 0; i < l->n; i++) {
		int64_t key;
		if (matches(q, &l->v[i], now_ms, &key))
			h[k++] = (struct hit){ key, l->v[i].seq, i };
	}
	qsort(h, k, sizeof(*h), q->desc ? hit_desc : hit_asc);
	*nh = k;
	return h;
}

void logs_list(struct http_req *r)
{
	struct logq *q = sim_xcalloc(1, sizeof(*q));
	struct sim *s = r->sim;
	int64_t now = sim_now_ms(s);
	char next[2048], self[2048];
	if (read_query(r, now, q) < 0) {
		free(q);
		return;
	}
	struct jbuf b;
	jbuf_init(&b);
	jbuf_arr_open(&b);
	pthread_mutex_lock(&s->mu);
	size_t nh, take;
	struct hit *h = collect(s->logs, q, now, &nh);
	take = nh < (size_t)q->limit ? nh : (size_t)q->limit;
	for (size_t i = 0; i < take; i++) {
		jbuf_elem(&b);
		jbuf_puts(&b, s->logs->v[h[i].i].json);
	}
	pthread_mutex_unlock(&s->mu);
	jbuf_arr_close(&b);
	int64_t key = take ? h[take - 1].key : q->cur_key, seq = take ? h[take - 1].seq : q->cur_seq;
	int more = q->polling || nh > take;
	free(h);
	if (more && next_link(r, q, key, seq, next, sizeof(next)) < 0) {
		jbuf_free(&b);
		free(q);
		bad_param(r, "the query is too long for a next link");
		return;
	}
	self_link(r, self, sizeof(self));
	http_add_header(r, "Link", self);
	if (more)
		http_add_header(r, "Link", next);
	free(q);
	http_reply_jbuf(r, 200, &b);
}

void logs_sim_get(struct http_req *r)
{
	struct jbuf b;
	jbuf_init(&b);
	pthread_mutex_lock(&r->sim->mu);
	logs_describe(r->sim->logs, sim_now_ms(r->sim), &b);
	pthread_mutex_unlock(&r->sim->mu);
	http_reply_jbuf(r, 200, &b);
}

void logs_sim_post(struct http_req *r)
{
	struct json j;
	char why[64];
	int64_t lag = 0, jitter = 0;
	if (json_parse(&j, r->body ? r->body : "", r->body_len, 64, why, sizeof(why)) < 0) {
		http_fail(r, 400, "invalid_json", why);
		return;
	}
	int tl = json_get(&j, 0, "lag_ms"), tj = json_get(&j, 0, "jitter_ms");
	int bad = !json_is_object(&j, 0) || (tl >= 0 && json_int(&j, tl, &lag) < 0) ||
		  (tj >= 0 && json_int(&j, tj, &jitter) < 0) || lag < 0 || jitter < 0 || lag > 86400000 ||
		  jitter > 86400000;
	json_free(&j);
	if (bad) {
		http_fail(r, 400, "invalid_lag", "want {\"lag_ms\": 0..86400000, \"jitter_ms\": 0..86400000}");
		return;
	}
	pthread_mutex_lock(&r->sim->mu);
	logs_set_lag(r->sim->logs, lag, jitter);
	pthread_mutex_unlock(&r->sim->mu);
	logs_sim_get(r);
}
