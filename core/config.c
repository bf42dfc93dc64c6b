/* config.c: INI loading through libinih, schema checks, environment overrides and typed reads. */
#include "core/config.h"
#include "core/jbuf.h"

#include <ctype.h>
#include <errno.h>
#include <ini.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct entry {
	char *key;
	char *value;
	int line; /* 0: from the environment */
};

struct section {
	char *kind;
	char *name; /* NULL for plain sections */
	int line;
	struct entry *e;
	size_t n, cap;
};

struct config {
	char *path;
	struct section *s;
	size_t n, cap;
	struct jbuf errs;
	size_t nerr;
	int line;	     /* line the reader is on */
	struct section *cur; /* section of the current line */
	char cur_raw[256];   /* raw header of the current section, to notice a new one */
};

static void add_error(struct config *c, int line, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

static void add_error(struct config *c, int line, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		jbuf_printf(&c->errs, "%s:%d: %s\n", c->path, line, msg);
	else
		jbuf_printf(&c->errs, "%s: %s\n", line < 0 ? c->path : "environment", msg);
	c->nerr++;
}

static struct section *find_section(const struct config *c, const char *kind, const char *name)
{
	for (size_t i = 0; i < c->n; i++) {
		struct section *s = &c->s[i];
		if (strcmp(s->kind, kind) != 0)
			continue;
		if ((!name && !s->name) || (name && s->name && strcmp(name, s->name) == 0))
			return s;
	}
	return NULL;
}

static struct entry *find_entry(const struct section *s, const char *key)
{
	for (size_t i = 0; s && i < s->n; i++)
		if (strcmp(s->e[i].key, key) == 0)
			return &s->e[i];
	return NULL;
}

static int schema_has_section(const char *kind, int named)
{
	size_t kl = strlen(kind);
	for (const struct cfg_key *k = cfg_schema; k->section; k++) {
		int ks_named = strchr(k->section, ' ') != NULL;
		if (ks_named != named)
			continue;
		if (strncmp(k->section, kind, kl) == 0 && (k->section[kl] == '\0' || k->section[kl] == ' '))
			return 1;
	}
	return 0;
}

static int section_matches(const struct cfg_key *k, const char *kind, const char *name)
{
	size_t kl = strlen(kind);
	if (strncmp(k->section, kind, kl) != 0)
		return 0;
	return name ? strcmp(k->section + kl, " *") == 0 : k->section[kl] == '\0';
}

/* The schema entry for key in a section; for K_file of a secret, the secret's entry. */
static const struct cfg_key *schema_key(const char *kind, const char *name, const char *key)
{
	for (const struct cfg_key *k = cfg_schema; k->section; k++) {
		if (!section_matches(k, kind, name))
			continue;
		size_t n = strlen(k->key);
		if (n >= 2 && strcmp(k->key + n - 2, ".*") == 0) {
			if (strncmp(key, k->key, n - 1) == 0 && key[n - 1] != '\0')
				return k;
			continue;
		}
		if (strcmp(k->key, key) == 0)
			return k;
		if (k->type == CFG_SECRET && strncmp(key, k->key, n) == 0 && strcmp(key + n, "_file") == 0)
			return k;
	}
	return NULL;
}

static struct section *add_section(struct config *c, const char *kind, const char *name, int line)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 8;
		struct section *s = realloc(c->s, cap * sizeof(*s));
		if (!s)
			return NULL;
		c->s = s;
		c->cap = cap;
	}
	struct section *s = &c->s[c->n];
	memset(s, 0, sizeof(*s));
	s->kind = strdup(kind);
	s->name = name ? strdup(name) : NULL;
	s->line = line;
	if (!s->kind || (name && !s->name)) {
		free(s->kind);
		free(s->name);
		return NULL;
	}
	c->n++;
	return s;
}

static int set_entry(struct section *s, const char *key, const char *value, int line)
{
	struct entry *e = find_entry(s, key);
	char *v = strdup(value);
	if (!v)
		return -1;
	if (e) {
		free(e->value);
		e->value = v;
		e->line = line;
		return 0;
	}
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 8;
		struct entry *ne = realloc(s->e, cap * sizeof(*ne));
		if (!ne) {
			free(v);
			return -1;
		}
		s->e = ne;
		s->cap = cap;
	}
	e = &s->e[s->n];
	e->key = strdup(key);
	if (!e->key) {
		free(v);
		return -1;
	}
	e->value = v;
	e->line = line;
	s->n++;
	return 0;
}

static int valid_name(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '-' && *s != '_' && *s != '.')
			return 0;
	return 1;
}

/* Splits "rule okta-created" into kind and name; name NULL for a plain section. */
static int split_header(const char *raw, char *kind, size_t kn, const char **name)
{
	const char *sp = strchr(raw, ' ');
	size_t n = sp ? (size_t)(sp - raw) : strlen(raw);
	if (n == 0 || n >= kn)
		return -1;
	memcpy(kind, raw, n);
	kind[n] = '\0';
	*name = NULL;
	if (sp) {
		while (*sp == ' ')
			sp++;
		*name = sp;
	}
	return 0;
}

static void begin_section(struct config *c, const char *raw)
{
	snprintf(c->cur_raw, sizeof(c->cur_raw), "%s", raw);
	c->cur = NULL;
	char kind[64];
	const char *name;
	if (split_header(raw, kind, sizeof(kind), &name) < 0) {
		add_error(c, c->line, "bad section header [%s]", raw);
		return;
	}
	if (name && !valid_name(name)) {
		add_error(c, c->line, "bad section name in [%s]: use letters, digits, '-', '_' and '.'", raw);
		return;
	}
	if (!schema_has_section(kind, name != NULL)) {
		add_error(c, c->line, "unknown section [%s]", raw);
		return;
	}
	struct section *s = find_section(c, kind, name);
	if (s && name) {
		add_error(c, c->line, "section [%s] defined twice (first on line %d)", raw, s->line);
		return;
	}
	c->cur = s ? s : add_section(c, kind, name, c->line);
}

static int on_key(void *user, const char *section, const char *key, const char *value)
{
	struct config *c = user;
	if (!section[0]) {
		add_error(c, c->line, "key '%s' outside any section", key);
		return 1;
	}
	if (!c->cur)
		return 1; /* the section's problem is already reported */
	if (!schema_key(c->cur->kind, c->cur->name, key)) {
		add_error(c, c->line, "unknown key '%s' in [%s]", key, section);
		return 1;
	}
	struct entry *e = find_entry(c->cur, key);
	if (e) {
		add_error(c, c->line, "key '%s' in [%s] set twice (first on line %d)", key, section, e->line);
		return 1;
	}
	if (set_entry(c->cur, key, value, c->line) < 0)
		add_error(c, c->line, "out of memory");
	return 1;
}

struct reader {
	struct config *c;
	FILE *f;
	const char *text;
};

/* Feeds inih one line at a time so that every problem can name its line. */
static char *read_line(char *buf, int size, void *stream)
{
	struct reader *r = stream;
	size_t n = 0;
	int too_long = 0, nul = 0;
	for (;;) {
		int ch;
		if (r->f) {
			ch = fgetc(r->f);
		} else {
			ch = *r->text ? (unsigned char)*r->text++ : EOF;
		}
		if (ch == EOF) {
			if (n == 0)
				return NULL;
			break;
		}
		nul |= ch == '\0';
		if ((int)n < size - 2)
			buf[n++] = (char)ch;
		else if (ch != '\n')
			too_long = 1;
		if (ch == '\n')
			break;
	}
	buf[n] = '\0';
	r->c->line++;
	if (too_long)
		add_error(r->c, r->c->line, "line longer than %d bytes", size - 2);
	if (nul)
		add_error(r->c, r->c->line, "NUL byte in the line (the rest of it would be lost)");
	/* inih only calls back for keys; notice headers of empty sections here too. */
	const char *p = buf;
	while (*p == ' ' || *p == '\t')
		p++;
	if (*p == '[') {
		const char *e = strchr(p, ']');
		if (e && (size_t)(e - p - 1) < sizeof(r->c->cur_raw)) {
			char raw[256];
			memcpy(raw, p + 1, (size_t)(e - p - 1));
			raw[e - p - 1] = '\0';
			begin_section(r->c, raw);
		}
	}
	return buf;
}

static void env_name(char *out, size_t n, const char *kind, const char *name, const char *key)
{
	snprintf(out, n, "HOOKD_%s%s%s_%s", kind, name ? "_" : "", name ? name : "", key);
	for (char *p = out; *p; p++)
		*p = isalnum((unsigned char)*p) ? (char)toupper((unsigned char)*p) : '_';
}

static void apply_env_key(struct config *c, const char *kind, const char *name, const char *key)
{
	char var[256];
	env_name(var, sizeof(var), kind, name, key);
	const char *v = getenv(var);
	if (!v)
		return;
	struct section *s = find_section(c, kind, name);
	if (!s)
		s = add_section(c, kind, name, 0);
	if (!s || set_entry(s, key, v, 0) < 0)
		add_error(c, 0, "out of memory");
}

static void apply_env(struct config *c)
{
	for (const struct cfg_key *k = cfg_schema; k->section; k++) {
		size_t kl = strlen(k->key);
		if (kl >= 2 && strcmp(k->key + kl - 2, ".*") == 0)
			continue;
		char file_key[128];
		snprintf(file_key, sizeof(file_key), "%s_file", k->key);
		if (!strchr(k->section, ' ')) {
			apply_env_key(c, k->section, NULL, k->key);
			if (k->type == CFG_SECRET)
				apply_env_key(c, k->section, NULL, file_key);
			continue;
		}
		char kind[64];
		snprintf(kind, sizeof(kind), "%.*s", (int)(strchr(k->section, ' ') - k->section), k->section);
		for (size_t i = 0; i < c->n; i++) {
			if (!c->s[i].name || strcmp(c->s[i].kind, kind) != 0)
				continue;
			apply_env_key(c, kind, c->s[i].name, k->key);
			if (k->type == CFG_SECRET)
				apply_env_key(c, kind, c->s[i].name, file_key);
		}
	}
}

/* Parses a range bound in k's own syntax; 0, or -1 when b is not one (a schema mistake: no bound). */
static int bound_value(const struct cfg_key *k, const char *b, int64_t *out)
{
	if (!b)
		return -1;
	if (k->type == CFG_SIZE)
		return config_parse_size(b, out);
	if (k->type == CFG_MS)
		return config_parse_ms(b, out);
	char *end;
	errno = 0;
	long long x = strtoll(b, &end, 10);
	if (errno || end == b || *end)
		return -1;
	*out = x;
	return 0;
}

/* 1 when v lies outside k's declared range (min/max), 0 when inside or k has none. */
static int out_of_range(const struct cfg_key *k, int64_t v)
{
	int64_t b;
	if (!k)
		return 0;
	if (bound_value(k, k->min, &b) == 0 && v < b)
		return 1;
	return bound_value(k, k->max, &b) == 0 && v > b;
}

static void report_range(struct config *c, const struct section *s, const char *key, const struct cfg_key *k)
{
	if (k->min && k->max)
		config_report(c, s->kind, s->name, key, "must be between %s and %s", k->min, k->max);
	else if (k->min)
		config_report(c, s->kind, s->name, key, "must be at least %s", k->min);
	else
		config_report(c, s->kind, s->name, key, "must be at most %s", k->max);
}

/* Checks that every set value parses as its schema type and lies in its declared range. */
static void check_types(struct config *c)
{
	for (size_t i = 0; i < c->n; i++) {
		struct section *s = &c->s[i];
		for (size_t k = 0; k < s->n; k++) {
			const struct cfg_key *sk = schema_key(s->kind, s->name, s->e[k].key);
			int64_t v = 0;
			int bad = 0;
			if (!sk)
				continue;
			const char *val = s->e[k].value;
			switch (sk->type) {
			case CFG_INT: {
				char *end;
				errno = 0;
				v = strtoll(val, &end, 10);
				bad = errno || end == val || *end;
				break;
			}
			case CFG_SIZE: bad = config_parse_size(val, &v) < 0; break;
			case CFG_MS: bad = config_parse_ms(val, &v) < 0; break;
			case CFG_BOOL: {
				int b;
				bad = config_bool(c, s->kind, s->name, s->e[k].key, &b) < 0;
				continue; /* config_bool reported it */
			}
			default: break;
			}
			if (bad)
				config_report(c, s->kind, s->name, s->e[k].key, "'%s' is not a valid %s", val,
					      sk->type == CFG_INT    ? "integer"
					      : sk->type == CFG_SIZE ? "size"
								     : "duration");
			else if ((sk->type == CFG_INT || sk->type == CFG_SIZE || sk->type == CFG_MS) &&
				 out_of_range(sk, v))
				report_range(c, s, s->e[k].key, sk);
		}
	}
}

static struct config *config_new(const char *name)
{
	struct config *c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->path = strdup(name ? name : "(defaults)");
	if (!c->path) {
		free(c);
		return NULL;
	}
	jbuf_init(&c->errs);
	jbuf_put(&c->errs, "", 0);
	return c;
}

static struct config *load(struct reader *r, const char *name)
{
	struct config *c = config_new(name);
	if (!c)
		return NULL;
	r->c = c;
	if (r->f || r->text) {
		int rc = ini_parse_stream(read_line, r, on_key, c);
		if (rc > 0)
			add_error(c, rc, "syntax error");
		else if (rc < 0)
			add_error(c, -1, "cannot read the file");
	}
	apply_env(c);
	check_types(c);
	return c;
}

struct config *config_load(const char *path)
{
	struct reader r = { 0 };
	if (path) {
		r.f = fopen(path, "r");
		if (!r.f) {
			struct config *c = config_new(path);
			if (c)
				add_error(c, -1, "cannot open: %s", strerror(errno));
			return c;
		}
	}
	struct config *c = load(&r, path);
	if (r.f)
		fclose(r.f);
	return c;
}

struct config *config_load_string(const char *text, const char *name)
{
	struct reader r = { .text = text ? text : "" };
	return load(&r, name);
}

void config_free(struct config *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++) {
		for (size_t k = 0; k < c->s[i].n; k++) {
			free(c->s[i].e[k].key);
			free(c->s[i].e[k].value);
		}
		free(c->s[i].e);
		free(c->s[i].kind);
		free(c->s[i].name);
	}
	free(c->s);
	free(c->path);
	jbuf_free(&c->errs);
	free(c);
}

size_t config_error_count(const struct config *c)
{
	return c->nerr;
}

const char *config_errors(const struct config *c)
{
	return c->errs.p ? c->errs.p : "";
}

void config_report(struct config *c, const char *section, const char *name, const char *key, const char *fmt, ...)
{
	char msg[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	struct section *s = find_section(c, section, name);
	struct entry *e = key ? find_entry(s, key) : NULL;
	char where[200];
	snprintf(where, sizeof(where), "[%s%s%s]%s%s", section, name ? " " : "", name ? name : "", key ? " " : "",
		 key ? key : "");
	if (e && e->line == 0) {
		char var[256];
		env_name(var, sizeof(var), section, name, key);
		add_error(c, 0, "%s (from %s): %s", where, var, msg);
		return;
	}
	int line = e ? e->line : s ? s->line : -1;
	add_error(c, line, "%s: %s", where, msg);
}

const char *config_get(const struct config *c, const char *section, const char *name, const char *key)
{
	struct entry *e = find_entry(find_section(c, section, name), key);
	if (e)
		return e->value;
	const struct cfg_key *k = schema_key(section, name, key);
	return k && strcmp(k->key, key) == 0 ? k->def : NULL;
}

int config_is_set(const struct config *c, const char *section, const char *name, const char *key)
{
	return find_entry(find_section(c, section, name), key) != NULL;
}

int config_int(struct config *c, const char *section, const char *name, const char *key, int64_t *out)
{
	const char *v = config_get(c, section, name, key);
	if (!v)
		return -1;
	char *end;
	errno = 0;
	long long x = strtoll(v, &end, 10);
	if (errno || end == v || *end || out_of_range(schema_key(section, name, key), x))
		return -1; /* reported by check_types */
	*out = x;
	return 0;
}

/* Parses with parse; -1 (reported by check_types) when that fails or the value is out of range. */
static int scaled(const char *section, const char *name, const char *key, const char *v, int64_t *out,
		  int (*parse)(const char *, int64_t *))
{
	int64_t x;
	if (!v || parse(v, &x) < 0 || out_of_range(schema_key(section, name, key), x))
		return -1;
	*out = x;
	return 0;
}

int config_size(struct config *c, const char *section, const char *name, const char *key, int64_t *out)
{
	return scaled(section, name, key, config_get(c, section, name, key), out, config_parse_size);
}

int config_ms(struct config *c, const char *section, const char *name, const char *key, int64_t *out)
{
	return scaled(section, name, key, config_get(c, section, name, key), out, config_parse_ms);
}

int config_bool(struct config *c, const char *section, const char *name, const char *key, int *out)
{
	const char *v = config_get(c, section, name, key);
	if (!v)
		return -1;
	static const char *const yes[] = { "1", "true", "yes", "on" }, *const no[] = { "0", "false", "no", "off" };
	for (int i = 0; i < 4; i++) {
		if (strcasecmp(v, yes[i]) == 0) {
			*out = 1;
			return 0;
		}
		if (strcasecmp(v, no[i]) == 0) {
			*out = 0;
			return 0;
		}
	}
	config_report(c, section, name, key, "'%s' is not a boolean (true/false)", v);
	return -1;
}

static char *read_secret_file(struct config *c, const char *section, const char *name, const char *fkey,
			      const char *path)
{
	FILE *f = fopen(path, "r");
	if (!f) {
		config_report(c, section, name, fkey, "cannot read %s: %s", path, strerror(errno));
		return NULL;
	}
	struct jbuf b;
	jbuf_init(&b);
	char buf[4096];
	size_t n;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0 && b.n < 65536)
		jbuf_put(&b, buf, n);
	fclose(f);
	if (b.n >= 65536 || b.err) {
		config_report(c, section, name, fkey, "%s is too large for a secret", path);
		jbuf_free(&b);
		return NULL;
	}
	if (b.n && b.p[b.n - 1] == '\n')
		b.p[--b.n] = '\0';
	if (b.n && b.p[b.n - 1] == '\r')
		b.p[--b.n] = '\0';
	if (memchr(b.p ? b.p : "", '\0', b.n)) {
		config_report(c, section, name, fkey, "%s contains a NUL byte (a secret is text)", path);
		jbuf_free(&b);
		return NULL;
	}
	if (b.n == 0) {
		config_report(c, section, name, fkey, "%s is empty", path);
		jbuf_free(&b);
		return NULL;
	}
	return jbuf_take(&b, NULL);
}

int config_secret(struct config *c, const char *section, const char *name, const char *key, char **out)
{
	char fkey[128];
	snprintf(fkey, sizeof(fkey), "%s_file", key);
	const char *v = config_get(c, section, name, key);
	const char *f = config_get(c, section, name, fkey);
	*out = NULL;
	if (v && f) {
		config_report(c, section, name, key, "set either %s or %s, not both", key, fkey);
		return -1;
	}
	if (f) {
		*out = read_secret_file(c, section, name, fkey, f);
		return *out ? 0 : -1;
	}
	if (!v)
		return 1;
	if (!*v) {
		config_report(c, section, name, key, "empty secret");
		return -1;
	}
	*out = strdup(v);
	return *out ? 0 : -1;
}

size_t config_section_count(const struct config *c, const char *kind)
{
	size_t n = 0;
	for (size_t i = 0; i < c->n; i++)
		n += c->s[i].name && strcmp(c->s[i].kind, kind) == 0;
	return n;
}

const char *config_section_name(const struct config *c, const char *kind, size_t idx)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->s[i].name && strcmp(c->s[i].kind, kind) == 0 && idx-- == 0)
			return c->s[i].name;
	return NULL;
}

size_t config_prefixed_count(const struct config *c, const char *section, const char *name, const char *prefix)
{
	const struct section *s = find_section(c, section, name);
	size_t n = 0, pl = strlen(prefix);
	for (size_t i = 0; s && i < s->n; i++)
		n += strncmp(s->e[i].key, prefix, pl) == 0;
	return n;
}

int config_prefixed_at(const struct config *c, const char *section, const char *name, const char *prefix, size_t idx,
		       const char **key, const char **value)
{
	const struct section *s = find_section(c, section, name);
	size_t pl = strlen(prefix);
	for (size_t i = 0; s && i < s->n; i++) {
		if (strncmp(s->e[i].key, prefix, pl) != 0 || idx-- != 0)
			continue;
		*key = s->e[i].key;
		*value = s->e[i].value;
		return 0;
	}
	return -1;
}

static int parse_scaled(const char *s, int64_t *out, const char *const *units, const int64_t *mult, int64_t dflt)
{
	char *end;
	errno = 0;
	if (!s || !*s || *s == '-')
		return -1;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s)
		return -1;
	while (*end == ' ')
		end++;
	int64_t m = dflt;
	if (*end) {
		m = 0;
		for (int i = 0; units[i]; i++)
			if (strcasecmp(end, units[i]) == 0)
				m = mult[i];
		if (!m)
			return -1;
	}
	if (v > (unsigned long long)(INT64_MAX / m))
		return -1;
	*out = (int64_t)v * m;
	return 0;
}

int config_parse_ms(const char *s, int64_t *out)
{
	static const char *const u[] = { "ms", "s", "m", "h", "d", NULL };
	static const int64_t m[] = { 1, 1000, 60000, 3600000, 86400000 };
	return parse_scaled(s, out, u, m, 1000);
}

int config_parse_size(const char *s, int64_t *out)
{
	static const char *const u[] = { "b", "k", "kib", "m", "mib", "g", "gib", NULL };
	static const int64_t m[] = { 1, 1024, 1024, 1048576, 1048576, 1073741824, 1073741824 };
	return parse_scaled(s, out, u, m, 1);
}

void config_print_reference(void)
{
	static const char *const types[] = { "string", "integer", "size", "duration", "boolean", "secret", "list" };
	const char *last = "";
	for (const struct cfg_key *k = cfg_schema; k->section; k++) {
		if (strcmp(last, k->section) != 0) {
			printf("\n### [%s]\n\n| key | type | default | range | meaning |\n|---|---|---|---|---|\n",
			       k->section);
			last = k->section;
		}
		char range[64] = "";
		if (k->min || k->max)
			snprintf(range, sizeof(range), "%s to %s", k->min ? k->min : "", k->max ? k->max : "");
		if (k->type == CFG_SECRET)
			printf("| `%s` / `%s_file` | %s | %s | %s | %s |\n", k->key, k->key, types[k->type],
			       k->def ? k->def : "", range, k->doc);
		else
			printf("| `%s` | %s | %s | %s | %s |\n", k->key, types[k->type], k->def ? k->def : "", range,
			       k->doc);
	}
}
