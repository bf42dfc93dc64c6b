/* link.c: a bounded scanner for Link header values (RFC 8288): <target>; param=value, ... */
#include "okta/link.h"

#include <string.h>
#include <strings.h>

struct scan {
	const char *p, *end;
};

static void skip_ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t'))
		s->p++;
}

static int is_tchar(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
	       strchr("!#$%&'*+-.^_`|~", c);
}

/* A token or quoted-string into out (unescaped, truncated to outn - 1). 0, or -1 when malformed. */
static int value(struct scan *s, char *out, size_t outn)
{
	size_t k = 0;
	if (s->p < s->end && *s->p == '"') {
		for (s->p++; s->p < s->end && *s->p != '"'; s->p++) {
			if (*s->p == '\\' && ++s->p == s->end)
				return -1;
			if (k + 1 < outn)
				out[k++] = *s->p;
		}
		if (s->p == s->end)
			return -1;
		s->p++;
	} else {
		for (; s->p < s->end && *s->p && is_tchar(*s->p); s->p++)
			if (k + 1 < outn)
				out[k++] = *s->p;
		if (k == 0)
			return -1;
	}
	out[k] = '\0';
	return 0;
}

/* 1 when the space-separated relation types in rel include "next". */
static int names_next(const char *rel)
{
	for (const char *t = rel; *t;) {
		size_t n = strcspn(t, " \t");
		if (n == 4 && strncasecmp(t, "next", 4) == 0)
			return 1;
		t += n;
		t += strspn(t, " \t");
	}
	return 0;
}

/* The parameters after one target; sets *next when rel names next. 0, or -1 when malformed. */
static int params(struct scan *s, int *next)
{
	char name[32], val[256];
	for (;;) {
		skip_ws(s);
		if (s->p == s->end || *s->p == ',')
			return 0;
		if (*s->p != ';')
			return -1;
		s->p++;
		skip_ws(s);
		if (s->p == s->end || *s->p == '"' || value(s, name, sizeof(name)) < 0)
			return -1;
		skip_ws(s);
		if (s->p == s->end || *s->p != '=')
			return -1;
		s->p++;
		skip_ws(s);
		if (value(s, val, sizeof(val)) < 0)
			return -1;
		if (strcasecmp(name, "rel") == 0 && names_next(val))
			*next = 1;
	}
}

int okta_link_next(const char *v, size_t n, char *out, size_t outn)
{
	struct scan s = { v, v + n };
	if (outn)
		out[0] = '\0';
	for (;;) {
		while (s.p < s.end && (*s.p == ' ' || *s.p == '\t' || *s.p == ','))
			s.p++;
		if (s.p == s.end)
			return 0;
		if (*s.p != '<')
			return -1;
		const char *t = ++s.p;
		while (s.p < s.end && *s.p != '>' && *s.p != '\0')
			s.p++;
		if (s.p == s.end || *s.p != '>')
			return -1;
		size_t tn = (size_t)(s.p - t);
		s.p++;
		int next = 0;
		if (params(&s, &next) < 0)
			return -1;
		if (!next)
			continue;
		if (tn == 0 || tn >= outn || tn >= OKTA_LINK_MAX)
			return -1;
		memcpy(out, t, tn);
		out[tn] = '\0';
		return 1;
	}
}
