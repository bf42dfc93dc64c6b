/* utf8.c: UTF-8 validity (RFC 3629). */
#include "core/utf8.h"

#include <limits.h>
#include <string.h>

/* The length a lead byte announces; 0 for bytes that never start a sequence (80-C1, F5-FF). */
static size_t lead_len(unsigned c)
{
	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf)
		return 2;
	if (c >= 0xe0 && c <= 0xef)
		return 3;
	if (c >= 0xf0 && c <= 0xf4)
		return 4;
	return 0;
}

size_t utf8_seq_len(const char *s, size_t n)
{
	const unsigned char *u = (const unsigned char *)s;
	unsigned c = u[0];
	size_t len = lead_len(c);
	if (len == 1)
		return 1;
	if (len == 0 || len > n)
		return 0;
	for (size_t i = 1; i < len; i++)
		if ((u[i] & 0xc0) != 0x80)
			return 0;
	if ((c == 0xe0 && u[1] < 0xa0) || (c == 0xf0 && u[1] < 0x90)) /* overlong */
		return 0;
	if ((c == 0xed && u[1] > 0x9f) || (c == 0xf4 && u[1] > 0x8f)) /* surrogates, beyond U+10FFFF */
		return 0;
	return len;
}

unsigned long utf8_decode(const char *s, size_t len)
{
	const unsigned char *u = (const unsigned char *)s;
	static const unsigned char lead_mask[] = { 0, 0x7f, 0x1f, 0x0f, 0x07 };
	unsigned long cp = u[0] & lead_mask[len < 5 ? len : 0];
	for (size_t i = 1; i < len; i++)
		cp = cp << 6 | (u[i] & 0x3f);
	return cp;
}

int utf8_valid(const char *s, size_t n)
{
	for (size_t i = 0, k; i < n; i += k)
		if ((k = utf8_seq_len(s + i, n - i)) == 0)
			return 0;
	return 1;
}

int utf8_prefix(const char *s, size_t max)
{
	if (max > INT_MAX - 1)
		max = INT_MAX - 1;
	size_t n = strnlen(s, max + 1);
	if (n <= max)
		return (int)n;
	for (int i = 0; i < 3 && max > 0 && ((unsigned char)s[max] & 0xc0) == 0x80; i++)
		max--;
	return (int)max;
}
