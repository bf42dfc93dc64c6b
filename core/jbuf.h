/* jbuf.h: a growable byte buffer with a small JSON writer (escaping, commas between members). */
#ifndef HOOKD_JBUF_H
#define HOOKD_JBUF_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

/*
 * p is NUL-terminated whenever err is 0. err is set once an allocation failed; every later
 * call is then a no-op, so callers check err once at the end. need_comma tracks members.
 */
struct jbuf {
	char *p;
	size_t n, cap;
	int err;
	int need_comma;
};

void jbuf_init(struct jbuf *b);
/* Frees the bytes; b may be reused after jbuf_init. NULL-safe. */
void jbuf_free(struct jbuf *b);
/* Hands the bytes to the caller (who frees them) and leaves b empty. NULL when err. */
char *jbuf_take(struct jbuf *b, size_t *len);

void jbuf_put(struct jbuf *b, const void *p, size_t n);
void jbuf_putc(struct jbuf *b, char c);
void jbuf_puts(struct jbuf *b, const char *s);
void jbuf_printf(struct jbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* JSON: a quoted, escaped string (NULL writes null); bytes that are not UTF-8 become U+FFFD, so the output is always valid JSON. */
void jbuf_str(struct jbuf *b, const char *s);
void jbuf_strn(struct jbuf *b, const char *s, size_t n);

void jbuf_obj_open(struct jbuf *b);
void jbuf_obj_close(struct jbuf *b);
void jbuf_arr_open(struct jbuf *b);
void jbuf_arr_close(struct jbuf *b);
/* Writes a comma when needed, then "key": ; the value must follow. */
void jbuf_key(struct jbuf *b, const char *key);
void jbuf_key_str(struct jbuf *b, const char *key, const char *val);
void jbuf_key_strn(struct jbuf *b, const char *key, const char *val, size_t n);
void jbuf_key_int(struct jbuf *b, const char *key, int64_t val);
/* "key": val when val > 0 (an id, a cursor, a time in ms), else "key": null. */
void jbuf_key_pos(struct jbuf *b, const char *key, int64_t val);
void jbuf_key_bool(struct jbuf *b, const char *key, int val);
/* "key": followed by raw, already-valid JSON bytes. */
void jbuf_key_raw(struct jbuf *b, const char *key, const char *json, size_t n);
/* Array element separator: call before each element after jbuf_arr_open. */
void jbuf_elem(struct jbuf *b);

#endif
