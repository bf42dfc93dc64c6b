/* utf8.h: UTF-8 validity (RFC 3629), shared by the JSON reader, the JSON writer and the CLI printers. */
#ifndef HOOKD_UTF8_H
#define HOOKD_UTF8_H

#include <stddef.h>

/*
 * Length (1 to 4) of the UTF-8 sequence at s[0..n), n > 0; 0 when it is not valid UTF-8: a stray
 * continuation byte, a truncated sequence, an overlong form, a surrogate or a code point past
 * U+10FFFF. NUL is a valid one-byte sequence here; callers that refuse it say so.
 */
size_t utf8_seq_len(const char *s, size_t n);
/* The code point of a valid sequence of len bytes at s (len from utf8_seq_len). */
unsigned long utf8_decode(const char *s, size_t len);
/* 1 when all of s[0..n) is valid UTF-8. */
int utf8_valid(const char *s, size_t n);
/*
 * How many bytes of the NUL-terminated s to print with "%.*s" to show at most max of them without
 * cutting a UTF-8 sequence in two: untrusted text cut into a message stays valid UTF-8. Backs up
 * at most 3 bytes, so text that is not UTF-8 is still cut close to max.
 */
int utf8_prefix(const char *s, size_t max);

#endif
