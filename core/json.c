/* json.c: jsmn-based reading helpers. This file holds jsmn's implementation for the whole program. */
#include <jsmn.h>

#include "core/hex.h"
#include "core/json.h"
#include "core/utf8.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/*
 * Bytes the scan must look at: in a string, '"', '\\', a control byte or one >= 0x80 (bit 1);
 * outside, '"', a bracket or a byte >= 0x80 (bit 2). Every other byte is passed in a tight loop.
 */
static const unsigned char stops[256] = {
	[0 ... 0x1f] = 1, ['"'] = 3, ['\\'] = 1, ['{'] = 2, ['['] = 2, ['}'] = 2, [']'] = 2, [0x80 ... 0xff] = 3,
};

/*
 * What jsmn does not check (RFC 8259 sections 7 and 8.1): the text is UTF-8 and strings hold no raw
 * control characters. Also caps the nesting, since jsmn closes a container in O(depth).
 */
static const char *scan(const char *js, size_t len)
{
	const unsigned char *u = (const unsigned char *)js;
	int depth = 0, in_str = 0;
	for (size_t i = 0, k; i < len; i += k) {
		unsigned char stop = in_str ? 1 : 2;
		while (i < len && !(stops[u[i]] & stop))
			i++;
		if (i >= len)
			break;
		unsigned char c = u[i];
		k = 1;
		if (c >= 0x80) {
			if ((k = utf8_seq_len(js + i, len - i)) == 0)
				return "invalid UTF-8";
		} else if (in_str) {
			if (c < 0x20)
				return "control character in a string";
			if (c == '\\' && i + 1 < len && u[i + 1] < 0x80)
				k = 2;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > JSON_MAX_DEPTH)
				return "JSON nested deeper than 256 levels";
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return NULL;
}

/* A token's first and one-past-last byte, quotes included. */
static int tok_begin(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->start - 1 : t->start;
}

static int tok_end(const jsmntok_t *t)
{
	return t->type == JSMN_STRING ? t->end + 1 : t->end;
}

/* 1 when js[a..b) is white space around exactly one sep, or (sep 0) white space only. */
static int gap_ok(const char *js, int a, int b, char sep)
{
	int seen = 0;
	for (int i = a; i < b; i++) {
		unsigned char c = (unsigned char)js[i];
		if (c <= ' ' && ((1ULL << c) & ((1ULL << ' ') | (1ULL << '\t') | (1ULL << '\n') | (1ULL << '\r'))))
			continue;
		if (c != (unsigned char)sep || seen++)
			return 0;
	}
	return sep == 0 || seen == 1;
}

static size_t digits(const char *p, size_t n, size_t i)
{
	size_t k = i;
	while (k < n && p[k] >= '0' && p[k] <= '9')
		k++;
	return k - i;
}

/* RFC 8259 section 6: -? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)? */
static int number_ok(const char *p, size_t n)
{
	size_t i = n && p[0] == '-', d = digits(p, n, i);
	if (d == 0 || (d > 1 && p[i] == '0'))
		return 0;
	i += d;
	if (i < n && p[i] == '.') {
		if ((d = digits(p, n, ++i)) == 0)
			return 0;
		i += d;
	}
	if (i < n && (p[i] == 'e' || p[i] == 'E')) {
		i += i + 1 < n && (p[i + 1] == '+' || p[i + 1] == '-') ? 2 : 1;
		if ((d = digits(p, n, i)) == 0)
			return 0;
		i += d;
	}
	return i == n;
}

static int primitive_ok(const char *p, size_t n)
{
	return (n == 4 && (memcmp(p, "true", 4) == 0 || memcmp(p, "null", 4) == 0)) ||
	       (n == 5 && memcmp(p, "false", 5) == 0) || number_ok(p, n);
}

/* Token k's place under its parent: a key's value after ':', a container's member after ',' (or first). */
static int member_ok(const struct json *j, int k, int *last_end, int *count)
{
	const jsmntok_t *t = &j->tok[k], *p = &j->tok[t->parent];
	if (p->type == JSMN_STRING) {
		/* A value: its parent must be a key of an object, with this one value. */
		if (p->parent < 0 || j->tok[p->parent].type != JSMN_OBJECT || p->size != 1)
			return 0;
		last_end[p->parent] = tok_end(t);
		return gap_ok(j->js, tok_end(p), tok_begin(t), ':');
	}
	if (p->type == JSMN_PRIMITIVE || (p->type == JSMN_OBJECT && t->type != JSMN_STRING))
		return 0;
	int ok = gap_ok(j->js, last_end[t->parent], tok_begin(t), count[t->parent]++ ? ',' : 0);
	last_end[t->parent] = tok_end(t);
	return ok;
}

/*
 * jsmn finds the tokens but lets some text through that is not JSON ("[1 2]", "[:,1]", "{\"a\":1,}",
 * "{\"a\"}", "[tru]", "[01]"); RFC 8259's grammar is checked here in one pass over the tokens.
 */
static int grammar_ok(const struct json *j)
{
	int *last_end = malloc(2 * (size_t)j->ntok * sizeof(int)), *count = last_end ? last_end + j->ntok : NULL;
	if (count)
		memset(count, 0, (size_t)j->ntok * sizeof(int));
	int ok = last_end && gap_ok(j->js, 0, tok_begin(&j->tok[0]), 0);
	for (int k = 0; ok && k < j->ntok; k++) {
		const jsmntok_t *t = &j->tok[k];
		last_end[k] = t->start + 1;
		if (t->type == JSMN_PRIMITIVE && !primitive_ok(j->js + t->start, (size_t)(t->end - t->start)))
			ok = 0;
		else if (k > 0 && (t->parent < 0 || t->parent >= k || !member_ok(j, k, last_end, count)))
			ok = 0;
	}
	/* Then every container closes after its last member, and every key has exactly one value. */
	for (int k = 0; ok && k < j->ntok; k++) {
		const jsmntok_t *t = &j->tok[k];
		if (t->type == JSMN_OBJECT || t->type == JSMN_ARRAY)
			ok = count[k] == t->size && gap_ok(j->js, last_end[k], t->end - 1, 0);
		else if (t->type == JSMN_STRING && t->parent >= 0 && j->tok[t->parent].type == JSMN_OBJECT)
			ok = t->size == 1;
	}
	free(last_end);
	return ok;
}

/*
 * jsmn's tokens for js[0..len), at most max_tokens (0: no limit beyond memory). One pass with a
 * generous guess (real documents use far fewer tokens than bytes / 8); a count pass only when it is
 * too small. Returns the count (> 0) with *out malloc'd, or -1 with err filled.
 */
static int tokenize(const char *js, size_t len, int max_tokens, jsmntok_t **out, char *err, size_t errlen)
{
	size_t guess = len / 8 + 64;
	if (max_tokens > 0 && guess > (size_t)max_tokens)
		guess = (size_t)max_tokens;
	jsmntok_t *tok = malloc(guess * sizeof(*tok));
	if (!tok) {
		set_err(err, errlen, "out of memory");
		return -1;
	}
	jsmn_parser p;
	jsmn_init(&p);
	int n = jsmn_parse(&p, js, len, tok, (unsigned)guess);
	if (n == JSMN_ERROR_NOMEM) {
		free(tok);
		jsmn_init(&p);
		n = jsmn_parse(&p, js, len, NULL, 0);
		if (n > 0 && max_tokens > 0 && n > max_tokens) {
			set_err(err, errlen, "too many JSON tokens");
			return -1;
		}
		tok = n > 0 ? calloc((size_t)n, sizeof(*tok)) : NULL;
		if (n > 0 && !tok) {
			set_err(err, errlen, "out of memory");
			return -1;
		}
		jsmn_init(&p);
		if (n > 0 && jsmn_parse(&p, js, len, tok, (unsigned)n) != n)
			n = JSMN_ERROR_INVAL;
	}
	if (n <= 0) {
		free(tok);
		set_err(err, errlen,
			n == 0			? "empty document"
			: n == JSMN_ERROR_PART	? "truncated JSON"
			: n == JSMN_ERROR_NOMEM ? "too many JSON tokens"
						: "invalid JSON");
		return -1;
	}
	*out = tok;
	return n;
}

int json_parse(struct json *j, const char *js, size_t len, int max_tokens, char *err, size_t errlen)
{
	memset(j, 0, sizeof(*j));
	const char *bad = len > (size_t)INT32_MAX ? "document too large" : scan(js, len);
	if (bad) {
		set_err(err, errlen, bad);
		return -1;
	}
	jsmntok_t *tok;
	int n = tokenize(js, len, max_tokens, &tok, err, errlen);
	if (n < 0)
		return -1;
	j->js = js;
	j->len = len;
	j->tok = tok;
	j->ntok = n;
	/* jsmn accepts several top-level values; we accept exactly one followed by white space. */
	if (json_next(j, 0) != n || !gap_ok(js, tok_end(&tok[0]), (int)len, 0))
		bad = "trailing data after JSON value";
	else if (!grammar_ok(j))
		bad = "invalid JSON";
	if (bad) {
		json_free(j);
		set_err(err, errlen, bad);
		return -1;
	}
	return 0;
}

void json_free(struct json *j)
{
	if (!j)
		return;
	free(j->tok);
	memset(j, 0, sizeof(*j));
}

int json_next(const struct json *j, int i)
{
	if (i < 0 || i >= j->ntok)
		return j->ntok;
	int end = j->tok[i].end;
	int k = i + 1;
	while (k < j->ntok && j->tok[k].start < end)
		k++;
	return k;
}

static int valid(const struct json *j, int i)
{
	return j && i >= 0 && i < j->ntok;
}

int json_is_object(const struct json *j, int i)
{
	return valid(j, i) && j->tok[i].type == JSMN_OBJECT;
}

int json_is_array(const struct json *j, int i)
{
	return valid(j, i) && j->tok[i].type == JSMN_ARRAY;
}

int json_is_string(const struct json *j, int i)
{
	return valid(j, i) && j->tok[i].type == JSMN_STRING;
}

int json_is_null(const struct json *j, int i)
{
	return valid(j, i) && j->tok[i].type == JSMN_PRIMITIVE && j->js[j->tok[i].start] == 'n';
}

int json_size(const struct json *j, int i)
{
	if (!json_is_object(j, i) && !json_is_array(j, i))
		return 0;
	return j->tok[i].size;
}

struct slice json_raw(const struct json *j, int i)
{
	if (!valid(j, i))
		return (struct slice){ "", 0 };
	return (struct slice){ j->js + j->tok[i].start, (size_t)(j->tok[i].end - j->tok[i].start) };
}

struct slice json_raw_value(const struct json *j, int i)
{
	struct slice s = json_raw(j, i);
	if (json_is_string(j, i)) {
		s.p--;
		s.n += 2;
	}
	return s;
}

/* Compares an escaped string body with key (kn bytes), byte for byte: "uuid\u0000" is not "uuid". */
static int key_eq(const struct json *j, int i, const char *key, size_t kn)
{
	struct slice s = json_raw(j, i);
	if (!memchr(s.p, '\\', s.n))
		return s.n == kn && memcmp(s.p, key, kn) == 0;
	if (s.n < kn)
		return 0;
	char *u = malloc(s.n + 1);
	long n = u ? json_unescape(s.p, s.n, u) : -1;
	int eq = n >= 0 && (size_t)n == kn && memcmp(u, key, kn) == 0;
	free(u);
	return eq;
}

/* Member value of obj named key: the first one, and in *count how many there are (up to 2) when count is set. */
static int find_member(const struct json *j, int obj, const char *key, int *count)
{
	if (!json_is_object(j, obj))
		return -1;
	size_t kn = strlen(key);
	int k = obj + 1, found = -1, seen = 0;
	for (int m = 0; m < j->tok[obj].size && k < j->ntok; m++) {
		int v = k + 1;
		if (j->tok[k].type == JSMN_STRING && key_eq(j, k, key, kn) && v < j->ntok) {
			if (seen++ == 0)
				found = v;
			if (!count || seen > 1)
				break;
		}
		k = json_next(j, v);
	}
	if (count)
		*count = seen;
	return found;
}

int json_get(const struct json *j, int obj, const char *key)
{
	return find_member(j, obj, key, NULL);
}

int json_get_unique(const struct json *j, int obj, const char *key)
{
	int count;
	int v = find_member(j, obj, key, &count);
	return count > 1 ? JSON_DUPLICATE : v;
}

static int slice_cmp(const void *a, const void *b)
{
	const struct slice *x = a, *y = b;
	if (x->n != y->n)
		return x->n < y->n ? -1 : 1;
	return memcmp(x->p, y->p, x->n);
}

int json_keys_unique(const struct json *j, int obj)
{
	int n = json_size(j, obj);
	if (!json_is_object(j, obj) || n < 2)
		return 1;
	struct slice *keys = calloc((size_t)n, sizeof(*keys));
	size_t bytes = json_raw(j, obj).n + 1;
	char *buf = keys ? malloc(bytes) : NULL, *o = buf;
	int rc = buf ? 1 : -1;
	for (int m = 0, k = obj + 1; rc == 1 && m < n; m++, k = json_next(j, k + 1)) {
		struct slice raw = json_raw(j, k);
		long len = json_unescape(raw.p, raw.n, o);
		keys[m] = (struct slice){ o, len < 0 ? 0 : (size_t)len };
		o += (len < 0 ? 0 : len) + 1;
	}
	if (rc == 1) {
		qsort(keys, (size_t)n, sizeof(*keys), slice_cmp);
		for (int m = 1; m < n && rc == 1; m++)
			if (slice_cmp(&keys[m - 1], &keys[m]) == 0)
				rc = 0;
	}
	free(buf);
	free(keys);
	return rc;
}

int json_at(const struct json *j, int arr, int idx)
{
	if (!json_is_array(j, arr) || idx < 0 || idx >= j->tok[arr].size)
		return -1;
	int k = arr + 1;
	for (int m = 0; m < idx; m++)
		k = json_next(j, k);
	return k < j->ntok ? k : -1;
}

static int parse_index(const char *p, size_t n, int *out)
{
	if (n == 0 || n > 9 || (n > 1 && p[0] == '0'))
		return -1;
	int v = 0;
	for (size_t i = 0; i < n; i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		v = v * 10 + (p[i] - '0');
	}
	*out = v;
	return 0;
}

int json_pointer(const struct json *j, int root, const char *ptr)
{
	if (!valid(j, root) || !ptr)
		return -1;
	int cur = root;
	const char *p = ptr;
	if (*p == '\0')
		return cur;
	if (*p != '/')
		return -1;
	char seg[256];
	while (*p == '/') {
		p++;
		size_t n = 0;
		while (*p && *p != '/') {
			char c = *p++;
			if (c == '~') {
				if (*p == '0')
					c = '~';
				else if (*p == '1')
					c = '/';
				else
					return -1;
				p++;
			}
			if (n + 1 >= sizeof(seg))
				return -1;
			seg[n++] = c;
		}
		seg[n] = '\0';
		if (json_is_object(j, cur)) {
			cur = json_get_unique(j, cur, seg);
			if (cur == JSON_DUPLICATE)
				return JSON_DUPLICATE;
		} else if (json_is_array(j, cur)) {
			int idx;
			if (parse_index(seg, n, &idx) < 0)
				return -1;
			cur = json_at(j, cur, idx);
		} else {
			return -1;
		}
		if (cur < 0)
			return -1;
	}
	return cur;
}

static long read_u4(const char *p, size_t left)
{
	if (left < 4)
		return -1;
	long v = 0;
	for (int i = 0; i < 4; i++) {
		int h = hex_value(p[i]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static size_t put_utf8(char *o, unsigned long cp)
{
	if (cp < 0x80) {
		o[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (char)(0xc0 | (cp >> 6));
		o[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (char)(0xe0 | (cp >> 12));
		o[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		o[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	o[0] = (char)(0xf0 | (cp >> 18));
	o[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	o[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	o[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The code point of the \u escape whose 'u' is at p[*i]; a surrogate pair is joined. Moves *i to
 * the escape's last character. -1: bad hex digits, -2: a lone surrogate.
 */
static long read_escape_u(const char *p, size_t n, size_t *i)
{
	long cp = read_u4(p + *i + 1, n - *i - 1);
	if (cp < 0)
		return -1;
	*i += 4;
	if (cp >= 0xdc00 && cp <= 0xdfff)
		return -2;
	if (cp < 0xd800 || cp > 0xdbff)
		return cp;
	long lo = (*i + 2 < n && p[*i + 1] == '\\' && p[*i + 2] == 'u') ? read_u4(p + *i + 3, n - *i - 3) : -1;
	if (lo < 0xdc00 || lo > 0xdfff)
		return -2;
	*i += 6;
	return 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
}

static int simple_escape(char c, char *out)
{
	static const char from[] = "\"\\/bfnrt", to[] = "\"\\/\b\f\n\r\t";
	const char *f = c ? strchr(from, c) : NULL;
	if (!f)
		return -1;
	*out = to[f - from];
	return 0;
}

/*
 * Unescapes p[0..n) into out; strict also refuses U+0000, raw control characters and bytes that
 * are not UTF-8. Returns the length, or -1 with *why.
 */
static long decode(const char *p, size_t n, char *out, int strict, const char **why)
{
	size_t o = 0;
	*why = "has an invalid escape";
	if (strict && !utf8_valid(p, n)) {
		*why = "is not valid UTF-8";
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (strict && (unsigned char)c < 0x20) {
			*why = c ? "contains a raw control character" : "contains U+0000 (NUL)";
			return -1;
		}
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (++i >= n)
			return -1;
		if (p[i] != 'u') {
			if (simple_escape(p[i], &out[o++]) < 0)
				return -1;
			continue;
		}
		long cp = read_escape_u(p, n, &i);
		if (cp == -2)
			*why = "contains a lone UTF-16 surrogate";
		if (cp < 0)
			return -1;
		if (strict && cp == 0) {
			*why = "contains U+0000 (NUL)";
			return -1;
		}
		/* \u escapes never take more bytes than their 6 (or 12) source characters. */
		o += put_utf8(out + o, (unsigned long)cp);
	}
	out[o] = '\0';
	*why = NULL;
	return (long)o;
}

long json_unescape(const char *p, size_t n, char *out)
{
	const char *why;
	return decode(p, n, out, 0, &why);
}

long json_decode_text(const char *p, size_t n, char *out, const char **why)
{
	return decode(p, n, out, 1, why);
}

int json_text(const struct json *j, int i, char **out, const char **why)
{
	*out = NULL;
	*why = NULL;
	if (i == JSON_DUPLICATE) {
		*why = "appears twice";
		return -1;
	}
	if (!valid(j, i) || json_is_null(j, i))
		return 0;
	if (j->tok[i].type != JSMN_STRING) {
		*why = "is not a string";
		return -1;
	}
	struct slice s = json_raw(j, i);
	char *t = malloc(s.n + 1);
	if (!t) {
		*why = "cannot be copied (out of memory)";
		return -1;
	}
	if (json_decode_text(s.p, s.n, t, why) < 0) {
		free(t);
		return -1;
	}
	*out = t;
	return 1;
}

char *json_strdup(const struct json *j, int i)
{
	if (!valid(j, i))
		return NULL;
	jsmntok_t *t = &j->tok[i];
	if (t->type != JSMN_STRING && t->type != JSMN_PRIMITIVE)
		return NULL;
	if (json_is_null(j, i))
		return NULL;
	struct slice s = json_raw(j, i);
	char *out = malloc(s.n + 1);
	if (!out)
		return NULL;
	if (t->type == JSMN_PRIMITIVE) {
		memcpy(out, s.p, s.n);
		out[s.n] = '\0';
		return out;
	}
	const char *why;
	if (json_decode_text(s.p, s.n, out, &why) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

int json_str_eq(const struct json *j, int i, const char *s)
{
	return json_is_string(j, i) && key_eq(j, i, s, strlen(s));
}

int json_int(const struct json *j, int i, int64_t *out)
{
	if (!valid(j, i) || j->tok[i].type != JSMN_PRIMITIVE)
		return -1;
	struct slice s = json_raw(j, i);
	if (s.n == 0 || s.n > 19)
		return -1;
	int64_t v = 0;
	size_t k = 0;
	int neg = 0;
	if (s.p[0] == '-') {
		neg = 1;
		k = 1;
	}
	if (k == s.n)
		return -1;
	for (; k < s.n; k++) {
		if (s.p[k] < '0' || s.p[k] > '9')
			return -1;
		int d = s.p[k] - '0';
		if (v > (INT64_MAX - d) / 10)
			return -1;
		v = v * 10 + d;
	}
	*out = neg ? -v : v;
	return 0;
}
