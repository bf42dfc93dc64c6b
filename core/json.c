/* json.c: jsmn-based reading helpers. This file holds jsmn's implementation for the whole program. */
#include <jsmn.h>

#include "core/hex.h"
#include "core/json.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void set_err(char *err, size_t errlen, const char *msg)
{
	if (err && errlen)
		snprintf(err, errlen, "%s", msg);
}

/* Deepest nesting of js outside strings. jsmn closes a container in O(depth), so depth is capped first. */
static int max_depth(const char *js, size_t len)
{
	int depth = 0, max = 0, in_str = 0;
	for (size_t i = 0; i < len; i++) {
		char c = js[i];
		if (in_str) {
			if (c == '\\')
				i++;
			else if (c == '"')
				in_str = 0;
		} else if (c == '"') {
			in_str = 1;
		} else if (c == '{' || c == '[') {
			if (++depth > max)
				max = depth;
		} else if (c == '}' || c == ']') {
			depth--;
		}
	}
	return max;
}

int json_parse(struct json *j, const char *js, size_t len, int max_tokens, char *err, size_t errlen)
{
	memset(j, 0, sizeof(*j));
	if (len > (size_t)INT32_MAX) {
		set_err(err, errlen, "document too large");
		return -1;
	}
	if (max_depth(js, len) > JSON_MAX_DEPTH) {
		set_err(err, errlen, "JSON nested deeper than 256 levels");
		return -1;
	}
	/* One pass with a generous guess (real documents use far fewer tokens than bytes / 8); a count pass only when it is too small. */
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
		if (n > 0) {
			jsmn_init(&p);
			if (jsmn_parse(&p, js, len, tok, (unsigned)n) != n)
				n = JSMN_ERROR_INVAL;
		}
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
	j->js = js;
	j->len = len;
	j->tok = tok;
	j->ntok = n;
	/* jsmn accepts several top-level values; we accept exactly one followed by white space. */
	if (json_next(j, 0) != n) {
		json_free(j);
		set_err(err, errlen, "trailing data after JSON value");
		return -1;
	}
	for (size_t k = (size_t)tok[0].end; k < len; k++) {
		char c = js[k];
		if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
			json_free(j);
			set_err(err, errlen, "trailing data after JSON value");
			return -1;
		}
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

/* Compares an escaped string body with a plain C string without allocating for the common case. */
static int key_eq(const struct json *j, int i, const char *key)
{
	struct slice s = json_raw(j, i);
	size_t kn = strlen(key);
	if (!memchr(s.p, '\\', s.n))
		return s.n == kn && memcmp(s.p, key, kn) == 0;
	char *u = json_strdup(j, i);
	int eq = u && strcmp(u, key) == 0 && strlen(u) == kn;
	free(u);
	return eq;
}

int json_get(const struct json *j, int obj, const char *key)
{
	if (!json_is_object(j, obj))
		return -1;
	int k = obj + 1;
	for (int m = 0; m < j->tok[obj].size && k < j->ntok; m++) {
		int v = k + 1;
		if (j->tok[k].type == JSMN_STRING && key_eq(j, k, key))
			return v < j->ntok ? v : -1;
		k = json_next(j, v);
	}
	return -1;
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
			cur = json_get(j, cur, seg);
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

long json_unescape(const char *p, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		char c = p[i];
		if (c != '\\') {
			out[o++] = c;
			continue;
		}
		if (++i >= n)
			return -1;
		switch (p[i]) {
		case '"': out[o++] = '"'; break;
		case '\\': out[o++] = '\\'; break;
		case '/': out[o++] = '/'; break;
		case 'b': out[o++] = '\b'; break;
		case 'f': out[o++] = '\f'; break;
		case 'n': out[o++] = '\n'; break;
		case 'r': out[o++] = '\r'; break;
		case 't': out[o++] = '\t'; break;
		case 'u': {
			long cp = read_u4(p + i + 1, n - i - 1);
			if (cp < 0)
				return -1;
			i += 4;
			if (cp >= 0xd800 && cp <= 0xdbff) {
				long lo = (i + 2 < n && p[i + 1] == '\\' && p[i + 2] == 'u')
						  ? read_u4(p + i + 3, n - i - 3)
						  : -1;
				if (lo < 0xdc00 || lo > 0xdfff)
					return -1;
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				i += 6;
			} else if (cp >= 0xdc00 && cp <= 0xdfff) {
				return -1;
			}
			/* \u escapes never take more bytes than their 6 (or 12) source characters. */
			o += put_utf8(out + o, (unsigned long)cp);
			break;
		}
		default: return -1;
		}
	}
	out[o] = '\0';
	return (long)o;
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
	if (json_unescape(s.p, s.n, out) < 0) {
		free(out);
		return NULL;
	}
	return out;
}

int json_str_eq(const struct json *j, int i, const char *s)
{
	return json_is_string(j, i) && key_eq(j, i, s);
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
