/* sig.h: webhook signature schemes as pure functions over header values, body bytes and a clock. */
#ifndef HOOKD_SIG_H
#define HOOKD_SIG_H

#include <stddef.h>
#include <stdint.h>

#include "core/slice.h"

/* Largest decoded signature or key this module handles (SHA-512 output is 64 bytes). */
#define SIG_MAX_MAC 64
#define SIG_MAX_KEY 1024

enum sig_alg {
	SIG_SHA256,
	SIG_SHA512,
};
enum sig_enc {
	SIG_HEX,
	SIG_BASE64,
	SIG_BASE64URL,
};

/*
 * Up to two keys tried in turn (secret, then secret_next during a rotation). The bytes are
 * borrowed from the caller. n is 1 or 2.
 */
struct sig_keys {
	struct slice key[2];
	int n;
};

/* A received header: its name (for messages only) and its value, NULL when the request lacks it. */
struct sig_header {
	const char *name;
	const char *value;
};

/*
 * Every verifier below returns 0 when the request is authentic and -1 otherwise, writing into
 * reason a short sentence that names the failed check ("missing webhook-signature header",
 * "timestamp outside tolerance", "no signature matched"). The reason never holds an expected
 * signature or a secret. now_s is the verifier's clock (unix seconds); a timestamp is accepted
 * when it is at most tolerance_s seconds away from it in either direction.
 */

/*
 * Standard Webhooks (webhook-id / webhook-timestamp / webhook-signature, or renamed headers):
 * HMAC-SHA256 over "{id}.{timestamp}.{body}", base64; the signature header is a space-separated
 * list of "<version>,<base64>" of which any "v1" entry may match; other versions are ignored.
 * keys hold the decoded key bytes (see sig_standard_key).
 */
struct sig_standard {
	const struct sig_keys *keys;
	struct sig_header id, timestamp, signature;
	struct slice body;
	int64_t now_s, tolerance_s;
};
int sig_verify_standard(const struct sig_standard *in, char *reason, size_t reason_len);

/*
 * Decodes a Standard Webhooks secret ("whsec_<base64>", the prefix and padding optional) into
 * out (SIG_MAX_KEY bytes). Returns the key length, or -1 when the text is not base64 or empty.
 */
int sig_standard_key(const char *secret, unsigned char *out);

/*
 * Generic HMAC: the signature header holds prefix + encoded MAC over the bytes that tmpl names.
 * tmpl is text with the placeholders {body}, {timestamp}, {id} and {method} (NULL means "{body}");
 * a placeholder whose header is not configured (name NULL) is an error reported at
 * sig_template_check time. When timestamp.name is set the timestamp must be present and within
 * tolerance (unix seconds, unix milliseconds when 13 digits or more, or RFC 3339).
 */
struct sig_hmac {
	const struct sig_keys *keys;
	enum sig_alg alg;
	enum sig_enc enc;
	const char *prefix; /* NULL or "" for none; compared case-insensitively ("sha256=") */
	const char *tmpl;
	const char *method;
	struct sig_header signature, timestamp, id;
	struct slice body;
	int64_t now_s, tolerance_s;
};
int sig_verify_hmac(const struct sig_hmac *in, char *reason, size_t reason_len);

/*
 * Checks a signed-bytes template: known placeholders only, and {timestamp}/{id} only when
 * has_timestamp/has_id. Returns 0, or -1 with err naming the problem.
 */
int sig_template_check(const char *tmpl, int has_timestamp, int has_id, char *err, size_t errlen);

/*
 * Stripe-style: the signature header is "t=<unix>,v1=<hex>[,v1=<hex>...]" (other keys ignored);
 * HMAC-SHA256 over "{t}.{body}", hex. Keys are the secrets' bytes as written (whsec_ included).
 */
struct sig_stripe {
	const struct sig_keys *keys;
	struct sig_header signature;
	struct slice body;
	int64_t now_s, tolerance_s;
};
int sig_verify_stripe(const struct sig_stripe *in, char *reason, size_t reason_len);

/*
 * Shared secret in a header: the header value, after an optional prefix ("Bearer", compared
 * case-insensitively, blanks after it skipped), must equal
 * one of the keys. Compared through SHA-256 digests so neither content nor length leaks.
 */
int sig_verify_header_secret(const struct sig_keys *keys, const struct sig_header *h, const char *prefix, char *reason,
			     size_t reason_len);

/*
 * HTTP Basic: h is the Authorization header; its credentials must be username and one of the keys.
 */
int sig_verify_basic(const struct sig_keys *keys, const char *username, const struct sig_header *h, char *reason,
		     size_t reason_len);

/* Helpers shared by the schemes (and the tests). */

/*
 * Decodes text in enc into out (cap bytes). Base64 accepts text with or without '=' padding;
 * base64url the same with '-' and '_'. Hex accepts either case. Returns the byte count, or -1
 * when the text is not valid in enc or does not fit.
 */
long sig_decode(enum sig_enc enc, struct slice text, unsigned char *out, size_t cap);

/*
 * HMAC of the concatenation of parts[0..nparts) under key, into out (SIG_MAX_MAC bytes).
 * Returns the MAC length, or -1 on an OpenSSL failure.
 */
int sig_hmac(enum sig_alg alg, struct slice key, const struct slice *parts, size_t nparts, unsigned char *out);

/*
 * Parses a timestamp header: unix seconds, unix milliseconds (13 digits or more) or RFC 3339.
 * Returns 0 with *out_s, or -1.
 */
int sig_parse_timestamp(const char *text, int64_t *out_s);

/* Parses exactly the decimal digits of text (no sign, at most 15 digits). Returns 0 or -1. */
int sig_parse_unix(struct slice text, int64_t *out);

/* 1 when |now_s - ts_s| <= tolerance_s. */
int sig_within(int64_t ts_s, int64_t now_s, int64_t tolerance_s);

/* Writes the lowercase hex SHA-256 of data into out (65 bytes with the NUL). */
void sig_sha256_hex(struct slice data, char out[65]);

/*
 * Constant-time equality of two byte strings of any lengths (through SHA-256 digests). 1 when equal.
 */
int sig_secret_eq(struct slice a, struct slice b);

/*
 * The MACs of parts under each key of keys: macs[i] for keys->key[i]. Returns the MAC length, or -1.
 * sig_match says whether cand (candlen bytes) equals one of them, comparing in constant time.
 */
int sig_macs(const struct sig_keys *keys, enum sig_alg alg, const struct slice *parts, size_t nparts,
	     unsigned char macs[2][SIG_MAX_MAC]);
int sig_match(const unsigned char macs[2][SIG_MAX_MAC], int nkeys, int maclen, const unsigned char *cand, long candlen);

/* Formats a reason (printf-style) into reason and returns -1, so failures read `return sig_fail(...)`. */
int sig_fail(char *reason, size_t reason_len, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

#endif
