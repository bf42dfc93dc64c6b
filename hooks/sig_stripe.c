/* sig_stripe.c: the Stripe-style scheme ("t=<unix>,v1=<hex>,v1=<hex>" over "{t}.{body}"). */
#include "hooks/sig.h"

#include <string.h>

/* Next comma-separated "key=value" item of *p without surrounding blanks; 0 at the end. */
static int next_item(const char **p, struct slice *key, struct slice *val)
{
	const char *s = *p;
	while (*s == ' ' || *s == ',')
		s++;
	if (!*s)
		return 0;
	const char *e = strchr(s, ',');
	if (!e)
		e = s + strlen(s);
	*p = e;
	while (e > s && e[-1] == ' ')
		e--;
	const char *eq = memchr(s, '=', (size_t)(e - s));
	if (!eq) {
		*key = (struct slice){ s, (size_t)(e - s) };
		*val = (struct slice){ e, 0 };
		return 1;
	}
	*key = (struct slice){ s, (size_t)(eq - s) };
	*val = (struct slice){ eq + 1, (size_t)(e - eq - 1) };
	return 1;
}

/* Finds the one t= item. Returns 0, or -1 with the reason written. */
static int find_t(const struct sig_stripe *in, struct slice *t, char *reason, size_t reason_len)
{
	const char *p = in->signature.value;
	struct slice k, v;
	int seen = 0;
	while (next_item(&p, &k, &v)) {
		if (!slice_eq_cstr(k, "t"))
			continue;
		if (seen++)
			return sig_fail(reason, reason_len, "%s header has more than one t=", in->signature.name);
		*t = v;
	}
	if (!seen)
		return sig_fail(reason, reason_len, "no timestamp (t=) in %s header", in->signature.name);
	return 0;
}

int sig_verify_stripe(const struct sig_stripe *in, char *reason, size_t reason_len)
{
	if (!in->signature.value || !in->signature.value[0])
		return sig_fail(reason, reason_len, "missing %s header", in->signature.name);
	struct slice t, k, v;
	int64_t ts;
	if (find_t(in, &t, reason, reason_len) < 0)
		return -1;
	if (sig_parse_unix(t, &ts) < 0)
		return sig_fail(reason, reason_len, "t= in %s header is not a unix timestamp", in->signature.name);
	if (!sig_within(ts, in->now_s, in->tolerance_s))
		return sig_fail(reason, reason_len, "timestamp outside tolerance");
	struct slice parts[] = { t, SLICE_LIT("."), in->body };
	unsigned char macs[2][SIG_MAX_MAC];
	int maclen = sig_macs(in->keys, SIG_SHA256, parts, 3, macs);
	if (maclen < 0)
		return sig_fail(reason, reason_len, "HMAC computation failed");
	const char *p = in->signature.value;
	int seen_v1 = 0, hit = 0;
	while (next_item(&p, &k, &v)) {
		if (!slice_eq_cstr(k, "v1"))
			continue;
		seen_v1 = 1;
		unsigned char cand[SIG_MAX_MAC];
		long n = sig_decode(SIG_HEX, v, cand, sizeof(cand));
		hit |= n > 0 && sig_match(macs, in->keys->n, maclen, cand, n);
	}
	if (hit)
		return 0;
	if (!seen_v1)
		return sig_fail(reason, reason_len, "no v1 signature in %s header", in->signature.name);
	return sig_fail(reason, reason_len, "no signature matched");
}
