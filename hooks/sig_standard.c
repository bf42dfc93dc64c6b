/* sig_standard.c: the Standard Webhooks scheme (webhook-id, webhook-timestamp, "v1,<base64>" list). */
#include "hooks/sig.h"

#include <string.h>

#define WHSEC "whsec_"

int sig_standard_key(const char *secret, unsigned char *out)
{
	if (strncmp(secret, WHSEC, strlen(WHSEC)) == 0)
		secret += strlen(WHSEC);
	long n = sig_decode(SIG_BASE64, slice_cstr(secret), out, SIG_MAX_KEY);
	return n > 0 ? (int)n : -1;
}

static int present(const struct sig_header *h)
{
	return h->value && h->value[0];
}

/* Next space-separated token of *p, or 0 at the end. */
static int next_token(const char **p, struct slice *tok)
{
	const char *s = *p;
	while (*s == ' ')
		s++;
	if (!*s)
		return 0;
	const char *e = s;
	while (*e && *e != ' ')
		e++;
	*tok = (struct slice){ s, (size_t)(e - s) };
	*p = e;
	return 1;
}

/* Walks the signature list; 1 when a v1 entry matches, sets *seen_v1 when any v1 entry was there. */
static int match_any(const char *list, const unsigned char macs[2][SIG_MAX_MAC], int nkeys, int maclen, int *seen_v1)
{
	struct slice tok;
	int hit = 0;
	*seen_v1 = 0;
	while (next_token(&list, &tok)) {
		if (tok.n < 3 || memcmp(tok.p, "v1,", 3) != 0)
			continue;
		*seen_v1 = 1;
		unsigned char cand[SIG_MAX_MAC];
		long n = sig_decode(SIG_BASE64, (struct slice){ tok.p + 3, tok.n - 3 }, cand, sizeof(cand));
		hit |= n > 0 && sig_match(macs, nkeys, maclen, cand, n);
	}
	return hit;
}

int sig_verify_standard(const struct sig_standard *in, char *reason, size_t reason_len)
{
	const struct sig_header *hs[] = { &in->id, &in->timestamp, &in->signature };
	for (size_t i = 0; i < 3; i++)
		if (!present(hs[i]))
			return sig_fail(reason, reason_len, "missing %s header", hs[i]->name);
	struct slice ts = slice_cstr(in->timestamp.value);
	int64_t t;
	if (sig_parse_unix(ts, &t) < 0)
		return sig_fail(reason, reason_len, "%s header is not a unix timestamp", in->timestamp.name);
	if (!sig_within(t, in->now_s, in->tolerance_s))
		return sig_fail(reason, reason_len, "timestamp outside tolerance");
	struct slice parts[] = { slice_cstr(in->id.value), SLICE_LIT("."), ts, SLICE_LIT("."), in->body };
	unsigned char macs[2][SIG_MAX_MAC];
	int maclen = sig_macs(in->keys, SIG_SHA256, parts, 5, macs);
	if (maclen < 0)
		return sig_fail(reason, reason_len, "HMAC computation failed");
	int seen_v1;
	if (match_any(in->signature.value, macs, in->keys->n, maclen, &seen_v1))
		return 0;
	if (!seen_v1)
		return sig_fail(reason, reason_len, "no v1 signature in %s header", in->signature.name);
	return sig_fail(reason, reason_len, "no signature matched");
}
