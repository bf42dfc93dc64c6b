/* json.h: reading JSON with jsmn: parse once, then walk tokens by index without recursion. */
#ifndef HOOKD_JSON_H
#define HOOKD_JSON_H

#define JSMN_HEADER
#include <jsmn.h>
#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

/* A parsed document. js is borrowed (not copied): it must outlive the struct. */
struct json {
	const char *js;
	size_t len;
	jsmntok_t *tok;
	int ntok;
};

/* Deepest nesting json_parse accepts. */
#define JSON_MAX_DEPTH 256

/*
 * Parses js[0..len) as one JSON value with at most max_tokens tokens (0: no limit beyond memory).
 * Nesting deeper than JSON_MAX_DEPTH, trailing bytes other than white space, bytes that are not
 * UTF-8 and raw control characters inside strings (RFC 8259 sections 7 and 8.1) are errors. On failure returns -1, fills err and
 * leaves j empty; on success the caller frees with json_free.
 */
int json_parse(struct json *j, const char *js, size_t len, int max_tokens, char *err, size_t errlen);
/* Frees the tokens; NULL-safe, idempotent. */
void json_free(struct json *j);

/* Index of the first token after token i and everything under it. O(size of subtree), no recursion. */
int json_next(const struct json *j, int i);
/* json_get_unique and json_pointer: the key is a member of one object more than once. */
#define JSON_DUPLICATE (-2)

/*
 * Member value of object token obj with key (unescaped, byte-exact comparison: "uuid\u0000" is not
 * "uuid"); the first when the key repeats; -1 when absent or obj is no object.
 */
int json_get(const struct json *j, int obj, const char *key);
/* As json_get, but JSON_DUPLICATE when key is a member of obj more than once: for fields hookd trusts. */
int json_get_unique(const struct json *j, int obj, const char *key);
/* 1 when no key of object obj appears twice (0 when one does, -1 out of memory); O(n log n). */
int json_keys_unique(const struct json *j, int obj);
/* Element idx of array token arr; -1 when out of range. */
int json_at(const struct json *j, int arr, int idx);
/*
 * RFC 6901 JSON pointer from token root ("" is root itself); -1 when it names nothing,
 * JSON_DUPLICATE when a step names a key that appears more than once in its object.
 */
int json_pointer(const struct json *j, int root, const char *ptr);

int json_is_object(const struct json *j, int i);
int json_is_array(const struct json *j, int i);
int json_is_string(const struct json *j, int i);
int json_is_null(const struct json *j, int i);
/* Number of members/elements of an object or array token; 0 otherwise. */
int json_size(const struct json *j, int i);

/* Raw bytes of token i (for strings: without quotes, still escaped). Empty slice for i < 0. */
struct slice json_raw(const struct json *j, int i);
/* Raw bytes of token i as JSON (strings with their quotes), for storing a subtree verbatim. */
struct slice json_raw_value(const struct json *j, int i);
/*
 * Unescaped copy of string token i, or of a primitive's text (numbers, true, false); NULL for
 * absent, null, objects, arrays, invalid escapes, strings that are not text (json_decode_text)
 * or allocation failure. Never a string cut at an escaped NUL. Caller frees.
 */
char *json_strdup(const struct json *j, int i);
/*
 * Reads string token i as text. Returns 1 with *out (caller frees; NUL-terminated, valid UTF-8,
 * no NUL inside, so strlen is its length); 0 with *out NULL when i is absent (< 0) or null; -1
 * with *out NULL and *why a static reason ("is not a string", "appears twice" for
 * i == JSON_DUPLICATE, or one of json_decode_text's) otherwise.
 */
int json_text(const struct json *j, int i, char **out, const char **why);
/* 1 when string token i unescapes to exactly s. */
int json_str_eq(const struct json *j, int i, const char *s);
/* Integer value of a primitive token; -1 when it is not an integer in range. */
int json_int(const struct json *j, int i, int64_t *out);

/*
 * Unescapes a JSON string body (without quotes) into out (at least n+1 bytes, NUL-terminated);
 * \u escapes become UTF-8, surrogate pairs joined. Returns the output length (which counts any
 * \u0000 as a byte: do not strlen the result) or -1 for an invalid escape or a lone surrogate.
 */
long json_unescape(const char *p, size_t n, char *out);
/*
 * As json_unescape, but only for text: also refuses \u0000, raw control characters and bytes that
 * are not UTF-8. Returns the length, or -1 with *why a static reason ("contains U+0000 (NUL)",
 * "contains a lone UTF-16 surrogate", "is not valid UTF-8", "contains a raw control character",
 * "has an invalid escape").
 */
long json_decode_text(const char *p, size_t n, char *out, const char **why);

#endif
