/* hr_map.c: the HR payload mapping: JSON pointers from config to normalized employee events. */
#include "hooks/hr_map.h"
#include "hooks/hr_form.h"
#include "core/clock.h"
#include "core/config.h"
#include "core/jbuf.h"
#include "core/json.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SECTION "source"
#define MAX_TOKENS (1 << 18)

/* Profile fields with a fixed place in subject_json, in this order; other map.X follow in file order. */
static const char *const known_fields[] = { "employee_id", "email",	 "personal_email", "login",
					    "first_name",  "last_name",	 "start_date",	   "end_date",
					    "time_zone",   "department", "manager",	   "employment_status",
					    NULL };

enum src {
	SRC_ELEM,
	SRC_ROOT,
	SRC_LITERAL,
	SRC_KEY,
};

struct field {
	char *name; /* after "map." */
	char *arg;  /* pointer or literal text */
	enum src src;
	int optional;
};

struct rename {
	char *from, *to; /* to "-": the event is ignored */
};

struct hr_map {
	int form;
	char *form_field;
	char *events; /* NULL: the root is the one employee */
	int64_t max_events;
	struct field *f;
	size_t nf;
	struct field *type, *occurred_at, *delivery_id;
	struct rename *r;
	size_t nr;
};

struct hr_batch {
	struct journal_event *ev;
	size_t n;
	char *doc;
	struct json js;
	char **own;
	size_t nown, capown;
};

/* ---- config ---- */

static int parse_field(struct config *c, const char *name, const char *key, const char *val, struct field *f)
{
	const char *v = val;
	f->optional = *v == '?';
	v += f->optional;
	if (*v == '=') {
		f->src = SRC_LITERAL;
		v++;
	} else if (strcmp(v, "@key") == 0) {
		f->src = SRC_KEY;
	} else if (v[0] == '$' && v[1] == '/') {
		f->src = SRC_ROOT;
		v++;
	} else if (v[0] == '/') {
		f->src = SRC_ELEM;
	} else {
		config_report(c, SECTION, name, key,
			      "'%s' is not a JSON pointer (/a/b), a root pointer ($/a/b), @key or a literal (=text)",
			      val);
		return -1;
	}
	f->name = strdup(key + 4);
	f->arg = strdup(v);
	return f->name && f->arg ? 0 : -1;
}

static struct field *find_field(struct hr_map *m, const char *name)
{
	for (size_t i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].name, name) == 0)
			return &m->f[i];
	return NULL;
}

static int read_fields(struct config *c, const char *name, struct hr_map *m)
{
	size_t n = config_prefixed_count(c, SECTION, name, "map.");
	int bad = 0;
	m->f = calloc(n ? n : 1, sizeof(*m->f));
	if (!m->f)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *key, *val;
		if (config_prefixed_at(c, SECTION, name, "map.", i, &key, &val) < 0)
			return -1;
		if (parse_field(c, name, key, val, &m->f[m->nf]) < 0) {
			bad = 1;
			free(m->f[m->nf].name);
			free(m->f[m->nf].arg);
			continue;
		}
		m->nf++;
	}
	m->type = find_field(m, "type");
	m->occurred_at = find_field(m, "occurred_at");
	m->delivery_id = find_field(m, "delivery_id");
	if (!bad && !m->type)
		config_report(c, SECTION, name, NULL,
			      "map.type is required (a pointer to the event type, or =literal)");
	if (!bad && !find_field(m, "employee_id"))
		config_report(c, SECTION, name, NULL, "map.employee_id is required (a pointer to the employee's id)");
	return bad || !m->type || !find_field(m, "employee_id") ? -1 : 0;
}

static int read_renames(struct config *c, const char *name, struct hr_map *m)
{
	size_t n = config_prefixed_count(c, SECTION, name, "type_map.");
	m->r = calloc(n ? n : 1, sizeof(*m->r));
	if (!m->r)
		return -1;
	for (size_t i = 0; i < n; i++) {
		const char *key, *val;
		if (config_prefixed_at(c, SECTION, name, "type_map.", i, &key, &val) < 0)
			return -1;
		if (!*val) {
			config_report(c, SECTION, name, key, "empty type (use - to ignore events of this type)");
			return -1;
		}
		m->r[m->nr].from = strdup(key + strlen("type_map."));
		m->r[m->nr].to = strdup(val);
		m->nr++;
		if (!m->r[m->nr - 1].from || !m->r[m->nr - 1].to)
			return -1;
	}
	return 0;
}

static int read_content(struct config *c, const char *name, struct hr_map *m)
{
	const char *content = config_get(c, SECTION, name, "content");
	const char *ff = config_get(c, SECTION, name, "form_field");
	const char *ev = config_get(c, SECTION, name, "events");
	if (strcmp(content, "json") != 0 && strcmp(content, "form") != 0) {
		config_report(c, SECTION, name, "content", "'%s' is not json or form", content);
		return -1;
	}
	m->form = strcmp(content, "form") == 0;
	if (ev && ev[0] != '/') {
		config_report(c, SECTION, name, "events", "'%s' is not a JSON pointer (/employees)", ev);
		return -1;
	}
	if (config_int(c, SECTION, name, "max_events", &m->max_events) < 0)
		return -1; /* type and declared range (at least 1) reported when the config was loaded */
	m->form_field = ff && *ff ? strdup(ff) : NULL;
	m->events = ev ? strdup(ev) : NULL;
	return (ff && *ff && !m->form_field) || (ev && !m->events) ? -1 : 0;
}

struct hr_map *hr_map_from_config(struct config *c, const char *name)
{
	struct hr_map *m = calloc(1, sizeof(*m));
	if (!m)
		return NULL;
	int bad = read_content(c, name, m) < 0;
	bad |= read_fields(c, name, m) < 0;
	bad |= read_renames(c, name, m) < 0;
	if (bad) {
		hr_map_free(m);
		return NULL;
	}
	return m;
}

void hr_map_free(struct hr_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nf; i++) {
		free(m->f[i].name);
		free(m->f[i].arg);
	}
	for (size_t i = 0; i < m->nr; i++) {
		free(m->r[i].from);
		free(m->r[i].to);
	}
	free(m->f);
	free(m->r);
	free(m->form_field);
	free(m->events);
	free(m);
}

/* ---- the batch: events and the bytes they point to ---- */

/* Hands p to the batch; returns p, or NULL (p freed) when out of memory. */
static char *keep(struct hr_batch *b, char *p)
{
	if (!p)
		return NULL;
	if (b->nown == b->capown) {
		size_t cap = b->capown ? b->capown * 2 : 32;
		char **own = realloc(b->own, cap * sizeof(*own));
		if (!own) {
			free(p);
			return NULL;
		}
		b->own = own;
		b->capown = cap;
	}
	b->own[b->nown++] = p;
	return p;
}

static struct journal_event *add_event(struct hr_batch *b)
{
	struct journal_event *ev = realloc(b->ev, (b->n + 1) * sizeof(*ev));
	if (!ev)
		return NULL;
	b->ev = ev;
	memset(&ev[b->n], 0, sizeof(*ev));
	return &ev[b->n++];
}

struct journal_event *hr_batch_events(struct hr_batch *b, size_t *n)
{
	*n = b ? b->n : 0;
	return b ? b->ev : NULL;
}

void hr_batch_free(struct hr_batch *b)
{
	if (!b)
		return;
	for (size_t i = 0; i < b->nown; i++)
		free(b->own[i]);
	free(b->own);
	free(b->ev);
	json_free(&b->js);
	free(b->doc);
	free(b);
}

/* ---- applying ---- */

/*
 * Where the mapper is: the batch, the root, the element, its index (-1 without events) and, in an
 * events object, the token of its member name (-1 otherwise).
 */
struct cursor {
	const struct hr_map *m;
	struct hr_batch *b;
	int root, elem, idx, key;
	char *err;
	size_t errlen;
};

static int fail(const struct cursor *k, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static int fail(const struct cursor *k, const char *fmt, ...)
{
	char msg[300];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct slice key = json_raw(&k->b->js, k->key);
	if (k->key >= 0)
		snprintf(k->err, k->errlen, "%s in employee %.*s of %s", msg, (int)(key.n < 64 ? key.n : 64), key.p,
			 k->m->events);
	else if (k->idx >= 0)
		snprintf(k->err, k->errlen, "%s in employee %d of %s", msg, k->idx, k->m->events);
	else
		snprintf(k->err, k->errlen, "%s", msg);
	return -1;
}

/*
 * Reads token t as field f's text into *out (batch-owned): strings must be text (no NUL, no lone
 * surrogate, valid UTF-8), numbers and booleans give their JSON spelling. 1, or -1 with the reason.
 */
static int read_text(const struct cursor *k, const struct field *f, int t, const char *what, const char **out)
{
	const struct json *js = &k->b->js;
	char *v = NULL;
	const char *why = "cannot be copied (out of memory)";
	if (json_is_string(js, t))
		json_text(js, t, &v, &why);
	else
		v = json_strdup(js, t);
	if (!(*out = keep(k->b, v)))
		return fail(k, "map.%s: %s %s", f->name, what, why);
	return 1;
}

/* @key: the element's member name in an events object, or its index in an events array. */
static int read_key(const struct cursor *k, const struct field *f, const char **out)
{
	char idx[24];
	if (k->key >= 0) {
		return read_text(k, f, k->key, "the member name", out);
	} else if (k->idx >= 0) {
		snprintf(idx, sizeof(idx), "%d", k->idx);
		*out = keep(k->b, strdup(idx));
	} else {
		return f->optional ? 0 : fail(k, "map.%s: @key needs an events array or object", f->name);
	}
	return *out ? 1 : fail(k, "map.%s: the member name is not a valid string", f->name);
}

/*
 * Reads field f: 1 with *out (batch-owned text) when found, 0 when absent and optional, -1 with the
 * error written when absent and required or not a plain value.
 */
static int read_field(const struct cursor *k, const struct field *f, const char **out)
{
	const struct json *js = &k->b->js;
	*out = NULL;
	if (f->src == SRC_LITERAL) {
		*out = keep(k->b, strdup(f->arg));
		return *out ? 1 : fail(k, "out of memory");
	}
	if (f->src == SRC_KEY)
		return read_key(k, f, out);
	int t = json_pointer(js, f->src == SRC_ROOT ? k->root : k->elem, f->arg);
	if (t == JSON_DUPLICATE)
		return fail(k, "map.%s: %s names a key that appears twice in one object", f->name, f->arg);
	if (t < 0 || json_is_null(js, t)) {
		if (f->optional)
			return 0;
		return fail(k, "missing field map.%s (%s)", f->name, f->arg);
	}
	if (json_is_object(js, t) || json_is_array(js, t))
		return fail(k, "map.%s: %s is an object or array, not a value", f->name, f->arg);
	return read_text(k, f, t, f->arg, out);
}

/* The hookd type for a source type: the type_map entry, or the type itself. */
static const char *rename_type(const struct hr_map *m, const char *type)
{
	for (size_t i = 0; i < m->nr; i++)
		if (strcmp(m->r[i].from, type) == 0)
			return m->r[i].to;
	return type;
}

/* RFC 3339 as given, or unix seconds / milliseconds (13+ digits) turned into RFC 3339. */
static const char *occurred_text(struct hr_batch *b, const char *v)
{
	size_t n = strlen(v), i = 0;
	while (i < n && v[i] >= '0' && v[i] <= '9')
		i++;
	if (n == 0 || i != n || n > 15)
		return v;
	int64_t x = strtoll(v, NULL, 10);
	char *out = malloc(32);
	if (!out)
		return NULL;
	clock_format_ms(n >= 13 ? x : x * 1000, out, 32);
	return keep(b, out);
}

static int is_known(const char *name)
{
	for (int i = 0; known_fields[i]; i++)
		if (strcmp(known_fields[i], name) == 0)
			return 1;
	return 0;
}

static int is_event_field(const struct hr_map *m, const struct field *f)
{
	return f == m->type || f == m->occurred_at || f == m->delivery_id;
}

/* Reads every profile field into vals[] (index of m->f); fills the profile JSON. */
static int read_profile(const struct cursor *k, const char **vals, struct jbuf *j)
{
	const struct hr_map *m = k->m;
	for (size_t i = 0; i < m->nf; i++)
		if (!is_event_field(m, &m->f[i]) && read_field(k, &m->f[i], &vals[i]) < 0)
			return -1;
	jbuf_obj_open(j);
	for (int w = 0; known_fields[w]; w++)
		for (size_t i = 0; i < m->nf; i++)
			if (vals[i] && strcmp(m->f[i].name, known_fields[w]) == 0)
				jbuf_key_str(j, m->f[i].name, vals[i]);
	for (size_t i = 0; i < m->nf; i++)
		if (vals[i] && !is_event_field(m, &m->f[i]) && !is_known(m->f[i].name))
			jbuf_key_str(j, m->f[i].name, vals[i]);
	jbuf_obj_close(j);
	return 0;
}

static const char *value_of(const struct hr_map *m, const char **vals, const char *name)
{
	for (size_t i = 0; i < m->nf; i++)
		if (strcmp(m->f[i].name, name) == 0)
			return vals[i];
	return NULL;
}

static const char *display_name(struct hr_batch *b, const char *first, const char *last)
{
	if (!first || !last)
		return first ? first : last;
	char *s = malloc(strlen(first) + strlen(last) + 2);
	if (s)
		sprintf(s, "%s %s", first, last);
	return keep(b, s);
}

static int fill_subject(const struct cursor *k, struct journal_event *ev, const char **vals)
{
	struct jbuf j;
	jbuf_init(&j);
	if (read_profile(k, vals, &j) < 0) {
		jbuf_free(&j);
		return -1;
	}
	ev->subject_json = keep(k->b, jbuf_take(&j, NULL));
	ev->subject_id = value_of(k->m, vals, "employee_id");
	ev->subject_login = value_of(k->m, vals, "login");
	if (!ev->subject_login)
		ev->subject_login = value_of(k->m, vals, "email");
	ev->subject_name = display_name(k->b, value_of(k->m, vals, "first_name"), value_of(k->m, vals, "last_name"));
	if (!ev->subject_json)
		return fail(k, "out of memory");
	return 0;
}

static const char *event_key(const struct cursor *k, const char *delivery)
{
	if (k->idx < 0)
		return delivery;
	char *s = malloc(strlen(delivery) + 16);
	if (s)
		sprintf(s, "%s#%d", delivery, k->idx);
	return keep(k->b, s);
}

/* Maps the element under k into one event (or none when its type is ignored). */
static int map_one(const struct cursor *k, const char *source, const char *delivery)
{
	const char *type, *when = NULL;
	if (read_field(k, k->m->type, &type) < 0)
		return -1;
	if (!type)
		return fail(k, "missing field map.type (%s)", k->m->type->arg);
	type = rename_type(k->m, type);
	if (strcmp(type, "-") == 0)
		return 0;
	if (!(type = keep(k->b, strdup(type))))
		return fail(k, "out of memory");
	if (k->m->occurred_at && read_field(k, k->m->occurred_at, &when) < 0)
		return -1;
	const char **vals = calloc(k->m->nf, sizeof(*vals));
	struct journal_event *ev = vals ? add_event(k->b) : NULL;
	if (!ev) {
		free(vals);
		return fail(k, "out of memory");
	}
	ev->source = source;
	ev->delivery_id = delivery;
	ev->dedupe_key = event_key(k, delivery);
	ev->type = type;
	ev->occurred_at = when ? occurred_text(k->b, when) : NULL;
	struct json *js = &k->b->js;
	ev->raw = json_raw_value(js, k->elem);
	int rc = fill_subject(k, ev, vals);
	free(vals);
	return rc;
}

/* Copies (or, for forms, decodes) the body into the batch and parses it. */
static int load_doc(const struct hr_map *m, struct hr_batch *b, struct slice body, char *err, size_t errlen)
{
	struct jbuf j;
	jbuf_init(&j);
	if (m->form) {
		if (hr_form_to_json(body, m->form_field, &j, err, errlen) < 0) {
			jbuf_free(&j);
			return -1;
		}
	} else {
		jbuf_put(&j, body.p, body.n);
	}
	size_t n;
	b->doc = jbuf_take(&j, &n);
	if (!b->doc) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	char why[64];
	if (json_parse(&b->js, b->doc, n, MAX_TOKENS, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "body is not JSON: %s", why);
		return -1;
	}
	return 0;
}

static int find_delivery(const struct cursor *k, const char *given, const char **out)
{
	*out = given;
	if (!k->m->delivery_id)
		return given ? 0 : fail(k, "no delivery id (set map.delivery_id)");
	struct cursor top = *k;
	top.elem = k->root;
	const char *v;
	int rc = read_field(&top, k->m->delivery_id, &v);
	if (rc < 0)
		return -1;
	if (rc == 1)
		*out = v;
	return *out ? 0 : fail(k, "missing field map.delivery_id (%s)", k->m->delivery_id->arg);
}

static int map_all(struct cursor *k, const char *source, const char *delivery)
{
	const struct hr_map *m = k->m;
	const struct json *js = &k->b->js;
	if (!m->events)
		return map_one(k, source, delivery);
	int arr = json_pointer(js, k->root, m->events);
	if (arr == JSON_DUPLICATE)
		return fail(k, "events %s names a key that appears twice in one object", m->events);
	if (arr < 0)
		return fail(k, "missing events array %s", m->events);
	int obj = json_is_object(js, arr);
	if (!obj && !json_is_array(js, arr))
		return fail(k, "events %s is neither an array nor an object", m->events);
	if (json_size(js, arr) > m->max_events)
		return fail(k, "more than %lld employees in %s (max_events)", (long long)m->max_events, m->events);
	if (obj && json_keys_unique(js, arr) != 1)
		return fail(k, "events %s names an employee twice", m->events);
	int e = arr + 1, n = json_size(js, arr);
	for (k->idx = 0; k->idx < n; k->idx++) {
		k->key = obj ? e : -1;
		k->elem = obj ? e + 1 : e;
		if (map_one(k, source, delivery) < 0)
			return -1;
		e = json_next(js, k->elem);
	}
	return 0;
}

int hr_map_apply(const struct hr_map *m, const char *source, struct slice body, const char *delivery_id,
		 struct hr_batch **out, char *err, size_t errlen)
{
	struct hr_batch *b = calloc(1, sizeof(*b));
	*out = NULL;
	if (!b) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	struct cursor k = { .m = m, .b = b, .root = 0, .elem = 0, .idx = -1, .key = -1, .err = err, .errlen = errlen };
	const char *delivery;
	if (load_doc(m, b, body, err, errlen) < 0 || find_delivery(&k, delivery_id, &delivery) < 0 ||
	    map_all(&k, source, delivery) < 0) {
		hr_batch_free(b);
		return -1;
	}
	*out = b;
	return 0;
}
