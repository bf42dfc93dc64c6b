/* jbuf.c: growable buffer and JSON writer. */
#include "core/jbuf.h"
#include "core/utf8.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void jbuf_init(struct jbuf *b)
{
	memset(b, 0, sizeof(*b));
}

void jbuf_free(struct jbuf *b)
{
	if (!b)
		return;
	free(b->p);
	jbuf_init(b);
}

char *jbuf_take(struct jbuf *b, size_t *len)
{
	if (!b->err && !b->p)
		jbuf_put(b, "", 0);
	char *p = b->err ? NULL : b->p;
	if (len)
		*len = p ? b->n : 0;
	if (!p)
		free(b->p);
	jbuf_init(b);
	return p;
}

static int grow(struct jbuf *b, size_t extra)
{
	if (b->err)
		return -1;
	if (b->n + extra + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->n + extra + 1) {
		if (cap > SIZE_MAX / 2) {
			b->err = 1;
			return -1;
		}
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p) {
		b->err = 1;
		return -1;
	}
	b->p = p;
	b->cap = cap;
	return 0;
}

void jbuf_put(struct jbuf *b, const void *p, size_t n)
{
	if (grow(b, n) < 0)
		return;
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
}

void jbuf_putc(struct jbuf *b, char c)
{
	jbuf_put(b, &c, 1);
}

void jbuf_puts(struct jbuf *b, const char *s)
{
	jbuf_put(b, s, strlen(s));
}

void jbuf_printf(struct jbuf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || grow(b, (size_t)n) < 0) {
		b->err = 1;
		return;
	}
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
}

void jbuf_strn(struct jbuf *b, const char *s, size_t n)
{
	static const char hex[] = "0123456789abcdef";
	if (!s) {
		jbuf_puts(b, "null");
		return;
	}
	jbuf_putc(b, '"');
	size_t run = 0;
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *esc = NULL;
		char u[7];
		switch (c) {
		case '"': esc = "\\\""; break;
		case '\\': esc = "\\\\"; break;
		case '\n': esc = "\\n"; break;
		case '\r': esc = "\\r"; break;
		case '\t': esc = "\\t"; break;
		case '\b': esc = "\\b"; break;
		case '\f': esc = "\\f"; break;
		default:
			if (c >= 0x80) {
				/* JSON text is UTF-8 (RFC 8259 8.1): a byte that is not becomes U+FFFD. */
				size_t k = utf8_seq_len(s + i, n - i);
				if (k) {
					i += k - 1;
					continue;
				}
				esc = "\\ufffd";
			} else if (c < 0x20 || c == 0x7f) {
				memcpy(u, "\\u00", 4);
				u[4] = hex[c >> 4];
				u[5] = hex[c & 15];
				u[6] = '\0';
				esc = u;
			}
		}
		if (!esc)
			continue;
		jbuf_put(b, s + run, i - run);
		jbuf_puts(b, esc);
		run = i + 1;
	}
	jbuf_put(b, s + run, n - run);
	jbuf_putc(b, '"');
}

void jbuf_str(struct jbuf *b, const char *s)
{
	jbuf_strn(b, s, s ? strlen(s) : 0);
}

void jbuf_obj_open(struct jbuf *b)
{
	jbuf_putc(b, '{');
	b->need_comma = 0;
}

void jbuf_obj_close(struct jbuf *b)
{
	jbuf_putc(b, '}');
	b->need_comma = 1;
}

void jbuf_arr_open(struct jbuf *b)
{
	jbuf_putc(b, '[');
	b->need_comma = 0;
}

void jbuf_arr_close(struct jbuf *b)
{
	jbuf_putc(b, ']');
	b->need_comma = 1;
}

void jbuf_elem(struct jbuf *b)
{
	if (b->need_comma)
		jbuf_putc(b, ',');
	b->need_comma = 1;
}

void jbuf_key(struct jbuf *b, const char *key)
{
	jbuf_elem(b);
	jbuf_str(b, key);
	jbuf_putc(b, ':');
}

void jbuf_key_str(struct jbuf *b, const char *key, const char *val)
{
	jbuf_key(b, key);
	jbuf_str(b, val);
	b->need_comma = 1;
}

void jbuf_key_strn(struct jbuf *b, const char *key, const char *val, size_t n)
{
	jbuf_key(b, key);
	jbuf_strn(b, val, n);
	b->need_comma = 1;
}

void jbuf_key_int(struct jbuf *b, const char *key, int64_t val)
{
	jbuf_key(b, key);
	jbuf_printf(b, "%lld", (long long)val);
	b->need_comma = 1;
}

void jbuf_key_pos(struct jbuf *b, const char *key, int64_t val)
{
	if (val > 0)
		jbuf_key_int(b, key, val);
	else
		jbuf_key_raw(b, key, "null", 4);
}

void jbuf_key_bool(struct jbuf *b, const char *key, int val)
{
	jbuf_key(b, key);
	jbuf_puts(b, val ? "true" : "false");
	b->need_comma = 1;
}

void jbuf_key_raw(struct jbuf *b, const char *key, const char *json, size_t n)
{
	jbuf_key(b, key);
	jbuf_put(b, json, n);
	b->need_comma = 1;
}
