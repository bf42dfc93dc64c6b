/* filter.c: a recursive-descent evaluator for Okta filter / search expressions; it parses as it evaluates. */
#include "sim/filter.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/clock.h"

#define VAL_MAX 1024

struct fx {
	const char *p;
	enum filter_mode mode;
	filter_attr_fn get;
	const void *obj; /* NULL: syntax check only */
	int err;
	char why[256];
	int depth;
};

static const char *const filter_attrs[] = { "status",	       "lastUpdated",	"id",
					    "profile.login",   "profile.email", "profile.firstName",
					    "profile.lastName" };
static const char *const time_attrs[] = { "created",	 "activated",	    "statusChanged",
					  "lastUpdated", "passwordChanged", "lastLogin" };

static void fail(struct fx *f, const char *why)
{
	if (!f->err)
		snprintf(f->why, sizeof(f->why), "%s", why);
	f->err = 1;
}

static void skip_ws(struct fx *f)
{
	while (*f->p == ' ' || *f->p == '\t')
		f->p++;
}

static int word(struct fx *f, char *out, size_t n)
{
	skip_ws(f);
	size_t k = 0;
	while ((*f->p >= 'a' && *f->p <= 'z') || (*f->p >= 'A' && *f->p <= 'Z') || (*f->p >= '0' && *f->p <= '9') ||
	       *f->p == '.' || *f->p == '_' || *f->p == '-' || *f->p == ':' || *f->p == '+') {
		if (k + 1 < n)
			out[k++] = *f->p;
		f->p++;
	}
	out[k] = '\0';
	return k > 0 ? 0 : -1;
}

static int peek_keyword(struct fx *f, const char *kw)
{
	skip_ws(f);
	size_t n = strlen(kw);
	if (strncasecmp(f->p, kw, n) != 0)
		return 0;
	char c = f->p[n];
	if (c != ' ' && c != '\t' && c != '(' && c != '"')
		return 0;
	f->p += n;
	return 1;
}

static int quoted(struct fx *f, char *out, size_t n)
{
	skip_ws(f);
	if (*f->p != '"')
		return word(f, out, n);
	f->p++;
	size_t k = 0;
	while (*f->p && *f->p != '"') {
		if (*f->p == '\\' && f->p[1])
			f->p++;
		if (k + 1 < n)
			out[k++] = *f->p;
		f->p++;
	}
	out[k] = '\0';
	if (*f->p != '"')
		return -1;
	f->p++;
	return 0;
}

static int in_list(const char *s, const char *const *list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(s, list[i]) == 0)
			return 1;
	return 0;
}

static int is_time_attr(const char *attr)
{
	return in_list(attr, time_attrs, sizeof(time_attrs) / sizeof(time_attrs[0]));
}

static int allowed(struct fx *f, const char *attr, const char *op)
{
	static const char *const ops[] = { "eq", "sw", "co", "gt", "ge", "lt", "le", "pr" };
	if (f->mode == FILTER_LOG)
		return in_list(op, ops, sizeof(ops) / sizeof(ops[0]));
	if (f->mode == FILTER_FILTER) {
		if (!in_list(attr, filter_attrs, sizeof(filter_attrs) / sizeof(filter_attrs[0])))
			return 0;
		return strcmp(op, "eq") == 0 ||
		       (strcmp(attr, "lastUpdated") == 0 &&
			(!strcmp(op, "gt") || !strcmp(op, "ge") || !strcmp(op, "lt") || !strcmp(op, "le")));
	}
	if (strncmp(attr, "profile.", 8) != 0 && strcmp(attr, "id") != 0 && strcmp(attr, "status") != 0 &&
	    strcmp(attr, "type.id") != 0 && !is_time_attr(attr))
		return 0;
	return in_list(op, ops, sizeof(ops) / sizeof(ops[0]));
}

static int compare(struct fx *f, const char *attr, const char *op, const char *have, const char *want)
{
	int ci = f->mode == FILTER_SEARCH;
	if (!strcmp(op, "pr"))
		return have != NULL;
	if (!have)
		return 0;
	if (!strcmp(op, "eq"))
		return ci ? strcasecmp(have, want) == 0 : strcmp(have, want) == 0;
	if (!strcmp(op, "sw"))
		return ci ? strncasecmp(have, want, strlen(want)) == 0 : strncmp(have, want, strlen(want)) == 0;
	if (!strcmp(op, "co"))
		return ci ? strcasestr(have, want) != NULL : strstr(have, want) != NULL;
	long long c;
	int64_t a, b;
	int timed = f->mode == FILTER_LOG ? strcmp(attr, "published") == 0 : is_time_attr(attr);
	if (timed && clock_parse_ms(have, &a) == 0 && clock_parse_ms(want, &b) == 0)
		c = (a > b) - (a < b);
	else
		c = ci ? strcasecmp(have, want) : strcmp(have, want);
	if (!strcmp(op, "gt"))
		return c > 0;
	if (!strcmp(op, "ge"))
		return c >= 0;
	if (!strcmp(op, "lt"))
		return c < 0;
	return c <= 0;
}

static int expr(struct fx *f);

static int comparison(struct fx *f)
{
	char attr[128], op[8], want[VAL_MAX], buf[VAL_MAX];
	if (word(f, attr, sizeof(attr)) < 0 || word(f, op, sizeof(op)) < 0) {
		fail(f, "expected: attribute operator \"value\"");
		return 0;
	}
	for (char *c = op; *c; c++)
		*c = (char)(*c >= 'A' && *c <= 'Z' ? *c + 32 : *c);
	if (!allowed(f, attr, op)) {
		char why[200];
		snprintf(why, sizeof(why), "'%s %s' is not supported by %s", attr, op,
			 f->mode == FILTER_FILTER ? "filter" : "search");
		fail(f, why);
		return 0;
	}
	want[0] = '\0';
	if (strcmp(op, "pr") != 0 && quoted(f, want, sizeof(want)) < 0) {
		fail(f, "expected a quoted value");
		return 0;
	}
	if (!f->obj || f->err)
		return 0;
	return compare(f, attr, op, f->get(f->obj, attr, buf, sizeof(buf)), want);
}

static int factor(struct fx *f)
{
	skip_ws(f);
	if (*f->p == '(') {
		if (++f->depth > 16) {
			fail(f, "expression nested too deeply");
			return 0;
		}
		f->p++;
		int v = expr(f);
		skip_ws(f);
		if (*f->p != ')')
			fail(f, "missing )");
		else
			f->p++;
		f->depth--;
		return v;
	}
	return comparison(f);
}

static int term(struct fx *f)
{
	int v = factor(f);
	while (!f->err && peek_keyword(f, "and")) {
		int w = factor(f);
		v = v && w;
	}
	return v;
}

static int expr(struct fx *f)
{
	int v = term(f);
	while (!f->err && peek_keyword(f, "or")) {
		int w = term(f);
		v = v || w;
	}
	return v;
}

static int run(struct fx *f)
{
	int v = expr(f);
	skip_ws(f);
	if (!f->err && *f->p)
		fail(f, "unexpected text after the expression");
	return f->err ? 0 : v;
}

int filter_check(const char *e, enum filter_mode mode, char *why, size_t n)
{
	struct fx f = { .p = e, .mode = mode };
	if (strlen(e) > 4096) {
		snprintf(why, n, "expression too long");
		return -1;
	}
	run(&f);
	if (f.err)
		snprintf(why, n, "%s", f.why);
	return f.err ? -1 : 0;
}

int filter_match(const char *e, enum filter_mode mode, filter_attr_fn get, const void *obj)
{
	struct fx f = { .p = e, .mode = mode, .get = get, .obj = obj };
	return run(&f);
}
