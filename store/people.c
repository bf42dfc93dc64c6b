/* people.c: the onboarding view, derived from the journal's activation records on either backend. */
#include "store/people.h"

#include "core/json.h"
#include "store/journal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define PAGE 1000
#define RECORD_MAX_TOKENS 64

static void person_clear(struct person *p)
{
	char **s[] = { &p->user_id, &p->login,	&p->origin, &p->okta_status,
		       &p->via,	    &p->reason, &p->state,  &p->last_error };
	for (size_t k = 0; k < sizeof(s) / sizeof(s[0]); k++)
		free(*s[k]);
}

void journal_people_free(struct person *rows, size_t n)
{
	for (size_t i = 0; rows && i < n; i++)
		person_clear(&rows[i]);
	free(rows);
}

static int64_t num(const struct json *j, const char *key)
{
	int64_t v = 0;
	return json_int(j, json_get(j, 0, key), &v) == 0 ? v : 0;
}

/* Fills p from one record (an event_row of source hookd); 0, or -1 when it is not a record. */
static int from_record(const struct event_row *e, struct person *p)
{
	struct json j;
	if (!e->subject_id || !e->subject_json ||
	    json_parse(&j, e->subject_json, strlen(e->subject_json), RECORD_MAX_TOKENS, NULL, 0) < 0)
		return -1;
	memset(p, 0, sizeof(*p));
	p->user_id = strdup(e->subject_id);
	p->login = json_strdup(&j, json_get(&j, 0, "login"));
	p->origin = json_strdup(&j, json_get(&j, 0, "origin"));
	p->okta_status = json_strdup(&j, json_get(&j, 0, "okta_status"));
	p->via = json_strdup(&j, json_get(&j, 0, "via"));
	p->reason = json_strdup(&j, json_get(&j, 0, "reason"));
	p->state = json_strdup(&j, json_get(&j, 0, "state"));
	p->resends = (int)num(&j, "resends");
	p->sent_ms = num(&j, "sent_ms");
	p->next_follow_up_ms = num(&j, "next_follow_up_ms");
	p->updated_ms = e->received_ms;
	json_free(&j);
	return 0;
}

static int wanted(const struct people_query *q, const struct person *p)
{
	if (q->state && (!p->state || strcmp(q->state, p->state) != 0))
		return 0;
	if (q->okta_status && (!p->okta_status || strcasecmp(q->okta_status, p->okta_status) != 0))
		return 0;
	if (q->login && strcmp(q->login, p->user_id) != 0 && (!p->login || strcasecmp(q->login, p->login) != 0))
		return 0;
	return 1;
}

/* Adds each page row's person unless already known (the first record met is the newest). */
struct acc {
	struct person *v; /* every person met, wanted or not */
	size_t n, cap;
	size_t *slot; /* open addressing over v by user id: index + 1, 0 empty; nslot a power of two > 2n */
	size_t nslot;
};

static uint64_t hash(const char *s)
{
	uint64_t h = 1469598103934665603ULL; /* FNV-1a */
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h;
}

/* The slot of user_id: its person's, or the empty one where it goes. */
static size_t *find_slot(const struct acc *a, const char *user_id)
{
	size_t i = (size_t)hash(user_id) & (a->nslot - 1);
	while (a->slot[i] && strcmp(a->v[a->slot[i] - 1].user_id, user_id) != 0)
		i = (i + 1) & (a->nslot - 1);
	return &a->slot[i];
}

/* Doubles the table when it is half full; -1 when out of memory. */
static int grow_slots(struct acc *a)
{
	if (a->nslot && 2 * (a->n + 1) < a->nslot)
		return 0;
	size_t n = a->nslot ? a->nslot * 2 : 256, *old = a->slot, oldn = a->nslot;
	if (!(a->slot = calloc(n, sizeof(*a->slot)))) {
		a->slot = old;
		return -1;
	}
	a->nslot = n;
	for (size_t i = 0; i < oldn; i++)
		if (old[i])
			*find_slot(a, a->v[old[i] - 1].user_id) = old[i];
	free(old);
	return 0;
}

static int add(struct acc *a, const struct event_row *e)
{
	if (!e->subject_id)
		return 0;
	if (grow_slots(a) < 0)
		return -1;
	size_t *slot = find_slot(a, e->subject_id);
	if (*slot)
		return 0;
	if (a->n == a->cap) {
		size_t cap = a->cap ? a->cap * 2 : 64;
		struct person *nv = realloc(a->v, cap * sizeof(*nv));
		if (!nv)
			return -1;
		a->v = nv;
		a->cap = cap;
	}
	if (from_record(e, &a->v[a->n]) == 0)
		*slot = ++a->n;
	return 0;
}

static void last_error(struct journal *j, struct person *p)
{
	struct journal_query q = { .state = "dead", .subject = p->user_id, .limit = 1 };
	struct job *rows;
	size_t n;
	char err[64];
	if (journal_list_jobs(j, &q, &rows, &n, err, sizeof(err)) == 0 && n == 1 && rows[0].last_error)
		p->last_error = strdup(rows[0].last_error);
	if (!p->last_error && p->state && (strcmp(p->state, "stuck") == 0 || strcmp(p->state, "undeliverable") == 0) &&
	    p->reason)
		p->last_error = strdup(p->reason);
	journal_jobs_free(rows, n);
}

static int is_stuck(const struct person *p)
{
	return p->state && strcmp(p->state, "stuck") == 0;
}

/* Moves the stuck people of a to the front, each part keeping its order; -1 when out of memory. */
static int stuck_to_front(struct acc *a)
{
	struct person *v = a->n ? malloc(a->n * sizeof(*v)) : NULL;
	if (a->n && !v)
		return -1;
	size_t k = 0;
	for (int stuck = 1; stuck >= 0; stuck--)
		for (size_t i = 0; i < a->n; i++)
			if (is_stuck(&a->v[i]) == stuck)
				v[k++] = a->v[i];
	if (a->n)
		memcpy(a->v, v, a->n * sizeof(*v));
	free(v);
	return 0;
}

/* Keeps the wanted people of a (in order, up to q->limit), frees the others. */
static void keep_wanted(struct journal *j, const struct people_query *q, struct acc *a)
{
	size_t k = 0;
	for (size_t i = 0; i < a->n; i++) {
		if (wanted(q, &a->v[i]) && (q->limit <= 0 || k < (size_t)q->limit)) {
			a->v[k] = a->v[i];
			if (q->with_errors)
				last_error(j, &a->v[k]);
			k++;
		} else {
			person_clear(&a->v[i]);
		}
	}
	a->n = k;
}

int journal_list_people(struct journal *j, const struct people_query *q, struct person **rows, size_t *n, char *err,
			size_t errlen)
{
	struct acc a = { 0 };
	struct journal_query eq = { .source = "hookd", .limit = PAGE, .subject = q->login };
	*rows = NULL;
	*n = 0;
	for (;;) {
		struct event_row *ev;
		size_t m;
		if (journal_list_events(j, &eq, &ev, &m, err, errlen) < 0) {
			free(a.slot);
			journal_people_free(a.v, a.n);
			return -1;
		}
		int rc = 0;
		for (size_t i = 0; i < m && rc == 0; i++)
			if (ev[i].type && strncmp(ev[i].type, "activation.", 11) == 0)
				rc = add(&a, &ev[i]);
		if (m)
			eq.before_id = ev[m - 1].id;
		journal_events_free(ev, m);
		if (rc < 0) {
			snprintf(err, errlen, "out of memory");
			free(a.slot);
			journal_people_free(a.v, a.n);
			return -1;
		}
		if (m < PAGE)
			break;
	}
	free(a.slot);
	if (q->stuck_first && stuck_to_front(&a) < 0) {
		snprintf(err, errlen, "out of memory");
		journal_people_free(a.v, a.n);
		return -1;
	}
	keep_wanted(j, q, &a);
	*rows = a.v;
	*n = a.n;
	return 0;
}
