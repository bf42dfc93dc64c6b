/* pg_text.c: text PostgreSQL accepts: valid UTF-8 without NUL (SQLite stores any bytes); cleans what it refuses. */
#include "store/pg_internal.h"

#include "core/log.h"
#include "core/utf8.h"

#include <string.h>

/* Length of the valid UTF-8 sequence at s (n bytes left), 0 when it is invalid or NUL. */
static size_t pg_seq(const char *s, size_t n)
{
	return s[0] ? utf8_seq_len(s, n) : 0;
}

static int text_ok(const char *s, size_t n)
{
	return !memchr(s, '\0', n) && utf8_valid(s, n);
}

/* A NUL-terminated copy of s[0..n) with each invalid byte (or NUL) replaced by U+FFFD. */
static char *text_clean(const char *s, size_t n, size_t *outn)
{
	char *o = malloc(n * 3 + 1);
	size_t m = 0;
	if (!o)
		return NULL;
	for (size_t i = 0; i < n;) {
		size_t k = pg_seq(s + i, n - i);
		if (k) {
			memcpy(o + m, s + i, k);
			m += k;
			i += k;
		} else {
			memcpy(o + m, "\xef\xbf\xbd", 3);
			m += 3;
			i++;
		}
	}
	o[m] = '\0';
	if (outn)
		*outn = m;
	return o;
}

/* Adds ptr to o's blocks; -1 when out of memory (ptr is then still the caller's). */
static int own(struct pg_owned *o, void *ptr)
{
	void **no = realloc(o->p, (o->n + 1) * sizeof(*no));
	if (!no)
		return -1;
	o->p = no;
	o->p[o->n++] = ptr;
	return 0;
}

/* s when PostgreSQL takes it as text, else a cleaned copy (*changed set); s again when out of memory. */
static const char *fix_str(struct pg_owned *o, const char *s, int *changed)
{
	if (!s || text_ok(s, strlen(s)))
		return s;
	char *c = text_clean(s, strlen(s), NULL);
	if (!c || own(o, c) < 0) {
		free(c);
		return s;
	}
	*changed = 1;
	return c;
}

/* The jobs of e with their text fixed, or e->jobs when none needed it. */
static const struct job_spec *fix_jobs(struct pg_owned *o, const struct journal_event *e, int *changed)
{
	struct job_spec *js = malloc(e->njobs ? e->njobs * sizeof(*js) : 1);
	int any = 0;
	if (!js || own(o, js) < 0) {
		free(js);
		return e->jobs;
	}
	for (size_t k = 0; k < e->njobs; k++) {
		js[k] = e->jobs[k];
		const char **f[] = { &js[k].action, &js[k].rule, &js[k].subject, &js[k].params, &js[k].job_key };
		for (size_t i = 0; i < sizeof(f) / sizeof(f[0]); i++)
			*f[i] = fix_str(o, *f[i], &any);
	}
	*changed |= any;
	return any ? js : e->jobs;
}

static int str_ok(const char *s)
{
	return !s || text_ok(s, strlen(s));
}

/* 1 when every text of e and its jobs is valid UTF-8 (the usual case: nothing to copy). */
static int event_text_ok(const struct journal_event *e)
{
	const char *str[] = { e->source,      e->dedupe_key, e->delivery_id,   e->type,
			      e->occurred_at, e->subject_id, e->subject_login, e->subject_name,
			      e->actor_id,    e->status,     e->reason,	       e->subject_json };
	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		if (!str_ok(str[i]))
			return 0;
	for (size_t k = 0; k < e->njobs; k++) {
		const struct job_spec *j = &e->jobs[k];
		if (!str_ok(j->action) || !str_ok(j->rule) || !str_ok(j->subject) || !str_ok(j->params) ||
		    !str_ok(j->job_key))
			return 0;
	}
	return !e->raw.p || text_ok(e->raw.p, e->raw.n);
}

/* raw when PostgreSQL takes it as text, else a cleaned copy owned by o (*changed set). */
static struct slice fix_raw(struct pg_owned *o, struct slice raw, int *changed)
{
	if (!raw.p || text_ok(raw.p, raw.n))
		return raw;
	size_t m = 0;
	char *c = text_clean(raw.p, raw.n, &m);
	if (!c || own(o, c) < 0) {
		free(c);
		return raw;
	}
	*changed = 1;
	return (struct slice){ c, m };
}

/*
 * An event whose text is not valid UTF-8 (PostgreSQL would refuse it, and the sender would retry
 * forever) is stored with U+FFFD in place of the invalid bytes, and a warning is logged.
 */
const struct journal_event *pg_text_fix_event(struct pg_owned *o, const struct journal_event *e)
{
	if (event_text_ok(e))
		return e;
	struct journal_event f = *e;
	int changed = 0;
	const char **str[] = { &f.source,      &f.dedupe_key, &f.delivery_id,	&f.type,
			       &f.occurred_at, &f.subject_id, &f.subject_login, &f.subject_name,
			       &f.actor_id,    &f.status,     &f.reason,	&f.subject_json };
	for (size_t i = 0; i < sizeof(str) / sizeof(str[0]); i++)
		*str[i] = fix_str(o, *str[i], &changed);
	f.raw = fix_raw(o, f.raw, &changed);
	f.jobs = fix_jobs(o, &f, &changed);
	struct journal_event *copy = changed ? malloc(sizeof(*copy)) : NULL;
	if (!copy || own(o, copy) < 0) {
		free(copy);
		return e;
	}
	*copy = f;
	log_warn("event text is not valid UTF-8: stored with U+FFFD in place of the invalid bytes", "source", f.source,
		 "dedupe_key", f.dedupe_key);
	return copy;
}

void pg_owned_free(struct pg_owned *o)
{
	for (size_t i = 0; i < o->n; i++)
		free(o->p[i]);
	free(o->p);
	o->p = NULL;
	o->n = 0;
}
