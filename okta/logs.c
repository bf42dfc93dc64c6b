/* logs.c: listLogEvents: query paths, the eventType filter, following next links on the org only. */
#include "okta/logs.h"

#include <stdlib.h>
#include <string.h>

#include "core/jbuf.h"
#include "okta/http.h"

static void put_param(struct jbuf *b, const char *name, const char *value, int *first)
{
	if (!value)
		return;
	char *v = okta_http_escape(value);
	if (!v) {
		b->err = 1;
		return;
	}
	jbuf_printf(b, "%s%s=%s", *first ? "?" : "&", name, v);
	*first = 0;
	free(v);
}

char *okta_logs_path(const struct okta_logs_query *q)
{
	char limit[16];
	int first = 1;
	if (!q->since || q->limit < 1 || q->limit > 1000)
		return NULL;
	snprintf(limit, sizeof(limit), "%d", q->limit);
	struct jbuf b;
	jbuf_init(&b);
	jbuf_puts(&b, "/api/v1/logs");
	put_param(&b, "since", q->since, &first);
	put_param(&b, "until", q->until, &first);
	put_param(&b, "filter", q->filter, &first);
	put_param(&b, "limit", limit, &first);
	put_param(&b, "sortOrder", "ASCENDING", &first);
	return jbuf_take(&b, NULL);
}

static int type_ok(const char *t)
{
	if (!t[0])
		return 0;
	for (; *t; t++)
		if (!((*t >= 'a' && *t <= 'z') || (*t >= 'A' && *t <= 'Z') || (*t >= '0' && *t <= '9') || *t == '.' ||
		      *t == '_' || *t == '-'))
			return 0;
	return 1;
}

char *okta_logs_type_filter(const char *const *types, size_t n)
{
	if (n == 0)
		return NULL;
	struct jbuf b;
	jbuf_init(&b);
	for (size_t i = 0; i < n; i++) {
		if (!type_ok(types[i])) {
			jbuf_free(&b);
			return NULL;
		}
		jbuf_printf(&b, "%seventType eq \"%s\"", i ? " or " : "", types[i]);
	}
	return jbuf_take(&b, NULL);
}

char *okta_logs_next_path(const char *org_url, const char *next)
{
	static const char api[] = "/api/v1/logs";
	size_t n = strlen(org_url);
	while (n && org_url[n - 1] == '/')
		n--;
	if (n == 0 || strncmp(next, org_url, n) != 0)
		return NULL;
	const char *p = next + n;
	if (strncmp(p, api, sizeof(api) - 1) != 0 || (p[sizeof(api) - 1] != '?' && p[sizeof(api) - 1] != '\0'))
		return NULL;
	for (const char *c = p; *c; c++)
		if ((unsigned char)*c <= ' ' || *c == '#' || (unsigned char)*c >= 0x7f)
			return NULL;
	return strdup(p);
}

int okta_logs_page(struct okta_client *c, const char *path, struct okta_resp *out, struct okta_error *e)
{
	return okta_client_request(c, "GET", path, NULL, out, e);
}
