/* sig.c: what the signature schemes share: decoding, HMAC, timestamps and constant-time equality. */
#include "core/hex.h"
#include "hooks/sig.h"
#include "core/clock.h"

#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>
#include <openssl/sha.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int sig_fail(char *reason, size_t reason_len, const char *fmt, ...)
{
	va_list ap;
	if (!reason || !reason_len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(reason, reason_len, fmt, ap);
	va_end(ap);
	return -1;
}

static long hex_decode(struct slice t, unsigned char *out, size_t cap)
{
	if (t.n % 2 || t.n / 2 > cap)
		return -1;
	for (size_t i = 0; i < t.n; i += 2) {
		int hi = hex_value(t.p[i]), lo = hex_value(t.p[i + 1]);
		if (hi < 0 || lo < 0)
			return -1;
		out[i / 2] = (unsigned char)(hi << 4 | lo);
	}
	return (long)(t.n / 2);
}

static int b64_char_ok(char c, int url)
{
	if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))
		return 1;
	return url ? (c == '-' || c == '_') : (c == '+' || c == '/');
}

/*
 * EVP_DecodeBlock is lax about '=' and white space and wants whole quanta, so the text is checked
 * here first (alphabet, padding only at the end and only to a whole quantum), re-padded, and the
 * padding's zero bytes are taken off the result.
 */
static long b64_decode(struct slice t, int url, unsigned char *out, size_t cap)
{
	size_t n = t.n, pad = 0;
	while (n > 0 && t.p[n - 1] == '=' && pad < 2) {
		n--;
		pad++;
	}
	if ((pad && (n + pad) % 4) || n % 4 == 1)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (!b64_char_ok(t.p[i], url))
			return -1;
	size_t missing = (4 - n % 4) % 4, outn = n / 4 * 3 + (n % 4 ? n % 4 - 1 : 0);
	if (outn > cap)
		return -1;
	if (n == 0)
		return 0;
	char *in = malloc(n + missing);
	unsigned char *dec = malloc((n + missing) / 4 * 3);
	long rc = -1;
	if (!in || !dec)
		goto done;
	for (size_t i = 0; i < n; i++)
		in[i] = t.p[i] == '-' ? '+' : t.p[i] == '_' ? '/' : t.p[i];
	memset(in + n, '=', missing);
	if (EVP_DecodeBlock(dec, (const unsigned char *)in, (int)(n + missing)) < 0)
		goto done;
	memcpy(out, dec, outn);
	rc = (long)outn;
done:
	free(in);
	free(dec);
	return rc;
}

long sig_decode(enum sig_enc enc, struct slice text, unsigned char *out, size_t cap)
{
	if (text.n > (size_t)1 << 20)
		return -1;
	if (enc == SIG_HEX)
		return hex_decode(text, out, cap);
	return b64_decode(text, enc == SIG_BASE64URL, out, cap);
}

int sig_hmac(enum sig_alg alg, struct slice key, const struct slice *parts, size_t nparts, unsigned char *out)
{
	static const unsigned char empty[1];
	char digest[8];
	snprintf(digest, sizeof(digest), "%s", alg == SIG_SHA512 ? "SHA512" : "SHA256");
	OSSL_PARAM params[] = { OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, digest, 0),
				OSSL_PARAM_construct_end() };
	EVP_MAC *mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	EVP_MAC_CTX *ctx = mac ? EVP_MAC_CTX_new(mac) : NULL;
	size_t outl = 0;
	int rc = -1;
	if (!ctx || !EVP_MAC_init(ctx, key.n ? (const unsigned char *)key.p : empty, key.n, params))
		goto done;
	for (size_t i = 0; i < nparts; i++)
		if (parts[i].n && !EVP_MAC_update(ctx, (const unsigned char *)parts[i].p, parts[i].n))
			goto done;
	if (!EVP_MAC_final(ctx, out, &outl, SIG_MAX_MAC))
		goto done;
	rc = (int)outl;
done:
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return rc;
}

int sig_parse_unix(struct slice text, int64_t *out)
{
	if (text.n == 0 || text.n > 15)
		return -1;
	int64_t v = 0;
	for (size_t i = 0; i < text.n; i++) {
		if (text.p[i] < '0' || text.p[i] > '9')
			return -1;
		v = v * 10 + (text.p[i] - '0');
	}
	*out = v;
	return 0;
}

int sig_parse_timestamp(const char *text, int64_t *out_s)
{
	int64_t v;
	size_t n = strlen(text);
	if (sig_parse_unix((struct slice){ text, n }, &v) == 0) {
		*out_s = n >= 13 ? v / 1000 : v;
		return 0;
	}
	char fixed[64];
	/* "+0000" offsets (BambooHR writes them) get the colon RFC 3339 wants. */
	if (n > 5 && n + 2 < sizeof(fixed) && (text[n - 5] == '+' || text[n - 5] == '-') && strchr(text, 'T') &&
	    strspn(text + n - 4, "0123456789") == 4) {
		snprintf(fixed, sizeof(fixed), "%.*s:%s", (int)(n - 2), text, text + n - 2);
		text = fixed;
	}
	if (clock_parse_ms(text, &v) < 0)
		return -1;
	*out_s = v / 1000;
	return 0;
}

int sig_within(int64_t ts_s, int64_t now_s, int64_t tolerance_s)
{
	int64_t d;
	if (__builtin_sub_overflow(now_s, ts_s, &d) || d == INT64_MIN)
		return 0;
	return (d < 0 ? -d : d) <= tolerance_s;
}

void sig_sha256_hex(struct slice data, char out[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)data.p, data.n, md);
	for (int i = 0; i < SHA256_DIGEST_LENGTH; i++) {
		out[2 * i] = hex[md[i] >> 4];
		out[2 * i + 1] = hex[md[i] & 15];
	}
	out[64] = '\0';
}

int sig_secret_eq(struct slice a, struct slice b)
{
	unsigned char da[SHA256_DIGEST_LENGTH], db[SHA256_DIGEST_LENGTH];
	SHA256((const unsigned char *)(a.n ? a.p : ""), a.n, da);
	SHA256((const unsigned char *)(b.n ? b.p : ""), b.n, db);
	return CRYPTO_memcmp(da, db, sizeof(da)) == 0;
}

int sig_macs(const struct sig_keys *keys, enum sig_alg alg, const struct slice *parts, size_t nparts,
	     unsigned char macs[2][SIG_MAX_MAC])
{
	int len = -1;
	for (int i = 0; i < keys->n && i < 2; i++)
		if ((len = sig_hmac(alg, keys->key[i], parts, nparts, macs[i])) < 0)
			return -1;
	return len;
}

int sig_match(const unsigned char macs[2][SIG_MAX_MAC], int nkeys, int maclen, const unsigned char *cand, long candlen)
{
	int hit = 0;
	if (maclen <= 0 || candlen != maclen)
		return 0;
	for (int i = 0; i < nkeys && i < 2; i++)
		hit |= CRYPTO_memcmp(macs[i], cand, (size_t)maclen) == 0;
	return hit;
}
