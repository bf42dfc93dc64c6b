/* out.c: terminal-safe text for the CLI tables and JSON Lines members for stored JSON. */
#include "cli/out.h"

#include "core/jbuf.h"
#include "core/json.h"
#include "core/utf8.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Code points a terminal or a reader takes for layout, not text: C1, LS/PS, bidi marks and overrides. */
static int is_format_cp(unsigned long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x61c || cp == 0x200e || cp == 0x200f ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2066 && cp <= 0x2069);
}

/* The escape for the one-byte character c, or NULL when it is printed as it is. */
static const char *byte_escape(unsigned char c, char *buf, size_t n)
{
	if (c == '\\')
		return "\\\\";
	if (c == '\n')
		return "\\n";
	if (c == '\r')
		return "\\r";
	if (c == '\t')
		return "\\t";
	if (c >= 0x20 && c < 0x7f)
		return NULL;
	snprintf(buf, n, "\\x%02x", c);
	return buf;
}

void out_escape(struct jbuf *out, const char *s, size_t n)
{
	char buf[16];
	for (size_t i = 0, k; i < n; i += k) {
		unsigned char c = (unsigned char)s[i];
		k = c < 0x80 ? 1 : utf8_seq_len(s + i, n - i);
		const char *esc = NULL;
		if (k <= 1) { /* ASCII, or a byte that starts no UTF-8 sequence */
			k = 1;
			esc = byte_escape(c, buf, sizeof(buf));
		} else if (is_format_cp(utf8_decode(s + i, k))) {
			snprintf(buf, sizeof(buf), "\\u{%04lx}", utf8_decode(s + i, k));
			esc = buf;
		}
		if (esc)
			jbuf_puts(out, esc);
		else
			jbuf_put(out, s + i, k);
	}
}

const char *out_safe(struct out_row *r, const char *s)
{
	if (!s || r->n == (int)(sizeof(r->own) / sizeof(r->own[0])))
		return "-";
	struct jbuf b;
	jbuf_init(&b);
	out_escape(&b, s, strlen(s));
	char *p = jbuf_take(&b, NULL);
	if (!p)
		return "-";
	r->own[r->n++] = p;
	return p;
}

void out_row_clear(struct out_row *r)
{
	for (int i = 0; i < r->n; i++)
		free(r->own[i]);
	r->n = 0;
}

/* Appends the JSON value js[0..n) (already parsed) without the white space between its tokens. */
static void put_compact(struct jbuf *b, const char *js, size_t n)
{
	int in_str = 0;
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		char c = js[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
			continue;
		}
		if (c == '"') {
			in_str = 1;
		} else if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			jbuf_put(b, js + run, i - run);
			run = i + 1;
		}
	}
	jbuf_put(b, js + run, n - run);
}

void out_json_member(struct jbuf *b, const char *key, const char *json)
{
	jbuf_key(b, key);
	struct json j;
	size_t n = json ? strlen(json) : 0;
	if (json && strcmp(json, "null") == 0) { /* the journal's "no body" (store_raw, retention, forget) */
		jbuf_str(b, NULL);
	} else if (json && json_parse(&j, json, n, 0, NULL, 0) == 0) {
		struct slice v = json_raw_value(&j, 0);
		put_compact(b, v.p, v.n);
		json_free(&j);
	} else {
		jbuf_str(b, json);
	}
	b->need_comma = 1;
}
