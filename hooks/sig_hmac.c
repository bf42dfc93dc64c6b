/* sig_hmac.c: the generic HMAC scheme: one header, SHA-256/512, hex/base64, a signed-bytes template. */
#include "hooks/sig.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define TMPL_MAX_PARTS 16

enum placeholder {
	PH_NONE,
	PH_BODY,
	PH_TIMESTAMP,
	PH_ID,
	PH_METHOD,
	PH_BAD,
};

static const char *const ph_names[] = { NULL, "{body}", "{timestamp}", "{id}", "{method}" };

/*
 * Cuts the next piece off *p: either a literal run (*ph = PH_NONE, lit set) or one placeholder.
 * An unknown "{...}" gives PH_BAD with lit on it. Returns 0 at the end of the template.
 */
static int tmpl_next(const char **p, struct slice *lit, enum placeholder *ph)
{
	const char *s = *p;
	if (!*s)
		return 0;
	if (*s == '{') {
		for (int k = PH_BODY; k <= PH_METHOD; k++) {
			size_t n = strlen(ph_names[k]);
			if (strncmp(s, ph_names[k], n) == 0) {
				*ph = (enum placeholder)k;
				*p = s + n;
				return 1;
			}
		}
		const char *e = strchr(s, '}');
		size_t n = e ? (size_t)(e - s + 1) : strlen(s);
		*lit = (struct slice){ s, n };
		*ph = PH_BAD;
		*p = s + n;
		return 1;
	}
	const char *e = strchr(s, '{');
	size_t n = e ? (size_t)(e - s) : strlen(s);
	*lit = (struct slice){ s, n };
	*ph = PH_NONE;
	*p = s + n;
	return 1;
}

int sig_template_check(const char *tmpl, int has_timestamp, int has_id, char *err, size_t errlen)
{
	struct slice lit;
	enum placeholder ph;
	int parts = 0;
	while (tmpl_next(&tmpl, &lit, &ph)) {
		if (++parts > TMPL_MAX_PARTS)
			return sig_fail(err, errlen, "more than %d pieces", TMPL_MAX_PARTS);
		if (ph == PH_BAD)
			return sig_fail(err, errlen, "unknown placeholder %.*s (use {body} {timestamp} {id} {method})",
					(int)lit.n, lit.p);
		if (ph == PH_TIMESTAMP && !has_timestamp)
			return sig_fail(err, errlen, "{timestamp} needs timestamp_header");
		if (ph == PH_ID && !has_id)
			return sig_fail(err, errlen, "{id} needs id_header");
	}
	return parts ? 0 : sig_fail(err, errlen, "empty template");
}

/* Expands the template into parts; returns the part count or -1 for a template that fails the check. */
static int tmpl_parts(const struct sig_hmac *in, struct slice *parts)
{
	const char *t = in->tmpl ? in->tmpl : "{body}";
	struct slice lit;
	enum placeholder ph;
	int n = 0;
	while (tmpl_next(&t, &lit, &ph)) {
		if (n == TMPL_MAX_PARTS || ph == PH_BAD)
			return -1;
		switch (ph) {
		case PH_NONE: parts[n] = lit; break;
		case PH_BODY: parts[n] = in->body; break;
		case PH_TIMESTAMP: parts[n] = slice_cstr(in->timestamp.value); break;
		case PH_ID: parts[n] = slice_cstr(in->id.value); break;
		case PH_METHOD: parts[n] = slice_cstr(in->method); break;
		default: return -1;
		}
		n++;
	}
	return n;
}

static int check_headers(const struct sig_hmac *in, char *reason, size_t reason_len)
{
	if (!in->signature.value || !in->signature.value[0])
		return sig_fail(reason, reason_len, "missing %s header", in->signature.name);
	if (in->id.name && (!in->id.value || !in->id.value[0]) && in->tmpl && strstr(in->tmpl, "{id}"))
		return sig_fail(reason, reason_len, "missing %s header", in->id.name);
	if (!in->timestamp.name)
		return 0;
	if (!in->timestamp.value || !in->timestamp.value[0])
		return sig_fail(reason, reason_len, "missing %s header", in->timestamp.name);
	int64_t t;
	if (sig_parse_timestamp(in->timestamp.value, &t) < 0)
		return sig_fail(reason, reason_len, "%s header is not a timestamp", in->timestamp.name);
	if (!sig_within(t, in->now_s, in->tolerance_s))
		return sig_fail(reason, reason_len, "timestamp outside tolerance");
	return 0;
}

/* The header value without surrounding blanks and without the prefix; -1 when the prefix is absent. */
static int strip_prefix(const struct sig_hmac *in, struct slice *sig)
{
	const char *v = in->signature.value;
	while (*v == ' ' || *v == '\t')
		v++;
	size_t n = strlen(v);
	while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
		n--;
	size_t pn = in->prefix ? strlen(in->prefix) : 0;
	if (pn && (n < pn || strncasecmp(v, in->prefix, pn) != 0))
		return -1;
	*sig = (struct slice){ v + pn, n - pn };
	return 0;
}

static const char *enc_name(enum sig_enc enc)
{
	return enc == SIG_HEX ? "hex" : enc == SIG_BASE64 ? "base64" : "base64url";
}

int sig_verify_hmac(const struct sig_hmac *in, char *reason, size_t reason_len)
{
	if (check_headers(in, reason, reason_len) < 0)
		return -1;
	struct slice sig;
	if (strip_prefix(in, &sig) < 0)
		return sig_fail(reason, reason_len, "%s header lacks the prefix %s", in->signature.name, in->prefix);
	unsigned char cand[SIG_MAX_MAC];
	long cn = sig_decode(in->enc, sig, cand, sizeof(cand));
	if (cn <= 0)
		return sig_fail(reason, reason_len, "%s header is not %s", in->signature.name, enc_name(in->enc));
	struct slice parts[TMPL_MAX_PARTS];
	int np = tmpl_parts(in, parts);
	if (np < 0)
		return sig_fail(reason, reason_len, "bad signed-bytes template");
	unsigned char macs[2][SIG_MAX_MAC];
	int maclen = sig_macs(in->keys, in->alg, parts, (size_t)np, macs);
	if (maclen < 0)
		return sig_fail(reason, reason_len, "HMAC computation failed");
	if (cn != maclen)
		return sig_fail(reason, reason_len, "%s header has the wrong length for %s", in->signature.name,
				in->alg == SIG_SHA512 ? "SHA-512" : "SHA-256");
	if (!sig_match(macs, in->keys->n, maclen, cand, cn))
		return sig_fail(reason, reason_len, "no signature matched");
	return 0;
}
