/* landing.c: sealing and opening scanner-safe activation links with AES-256-GCM (OpenSSL EVP). */
#include "handlers/landing.h"

#include "core/slice.h"
#include "hooks/sig.h"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>

#define VERSION 1
#define NONCE 12
#define TAG 16
#define AAD "hookd-landing-v1"
/* Plaintext: expires_ms (8 bytes, big-endian), user id length (1 byte), user id, url. */
#define HEAD 9
#define PLAIN_MAX ((LANDING_OPAQUE_MAX * 3) / 4)

int landing_key_parse(const char *text, unsigned char key[LANDING_KEY_LEN])
{
	unsigned char buf[64];
	size_t n = strcspn(text, "\r\n");
	struct slice t = { text, n };
	long k = n == 64 ? sig_decode(SIG_HEX, t, buf, sizeof(buf)) : sig_decode(SIG_BASE64, t, buf, sizeof(buf));
	if (k != LANDING_KEY_LEN) {
		OPENSSL_cleanse(buf, sizeof(buf));
		return -1;
	}
	memcpy(key, buf, LANDING_KEY_LEN);
	OPENSSL_cleanse(buf, sizeof(buf));
	return 0;
}

/* AES-256-GCM of in[0..n) into out (n bytes) and tag; enc 1 seals, 0 opens (tag is checked). 0 or -1. */
static int gcm(int enc, const unsigned char *key, const unsigned char *nonce, const unsigned char *in, size_t n,
	       unsigned char *out, unsigned char *tag)
{
	EVP_CIPHER_CTX *c = EVP_CIPHER_CTX_new();
	int len = 0, ok = c && EVP_CipherInit_ex(c, EVP_aes_256_gcm(), NULL, NULL, NULL, enc) == 1 &&
			  EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_IVLEN, NONCE, NULL) == 1 &&
			  EVP_CipherInit_ex(c, NULL, NULL, key, nonce, enc) == 1 &&
			  EVP_CipherUpdate(c, NULL, &len, (const unsigned char *)AAD, (int)strlen(AAD)) == 1 &&
			  EVP_CipherUpdate(c, out, &len, in, (int)n) == 1;
	if (ok && !enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_SET_TAG, TAG, tag) == 1;
	ok = ok && EVP_CipherFinal_ex(c, out + len, &len) == 1;
	if (ok && enc)
		ok = EVP_CIPHER_CTX_ctrl(c, EVP_CTRL_GCM_GET_TAG, TAG, tag) == 1;
	EVP_CIPHER_CTX_free(c);
	return ok ? 0 : -1;
}

/* base64url without padding of in[0..n) into out (cap bytes, NUL-terminated); -1 when it does not fit. */
static int b64url(const unsigned char *in, size_t n, char *out, size_t cap)
{
	if (4 * ((n + 2) / 3) + 1 > cap)
		return -1;
	int k = EVP_EncodeBlock((unsigned char *)out, in, (int)n);
	while (k > 0 && out[k - 1] == '=')
		k--;
	out[k] = '\0';
	for (int i = 0; i < k; i++)
		out[i] = out[i] == '+' ? '-' : out[i] == '/' ? '_' : out[i];
	return 0;
}

int landing_seal(const unsigned char key[LANDING_KEY_LEN], const char *user_id, const char *url, int64_t expires_ms,
		 char *out, size_t n)
{
	size_t ul = strlen(user_id), rl = strlen(url), pl = HEAD + ul + rl;
	if (ul > 255 || pl + 1 + NONCE + TAG > PLAIN_MAX)
		return -1;
	unsigned char *buf = malloc(2 * pl + 1 + NONCE + TAG);
	if (!buf)
		return -1;
	unsigned char *plain = buf + 1 + NONCE + TAG + pl, *nonce = buf + 1, *ct = buf + 1 + NONCE;
	for (int i = 0; i < 8; i++)
		plain[i] = (unsigned char)((uint64_t)expires_ms >> (56 - 8 * i));
	plain[8] = (unsigned char)ul;
	memcpy(plain + HEAD, user_id, ul);
	memcpy(plain + HEAD + ul, url, rl);
	buf[0] = VERSION;
	int rc = RAND_bytes(nonce, NONCE) == 1 ? gcm(1, key, nonce, plain, pl, ct, ct + pl) : -1;
	if (rc == 0)
		rc = b64url(buf, 1 + NONCE + pl + TAG, out, n);
	OPENSSL_cleanse(buf, 2 * pl + 1 + NONCE + TAG);
	free(buf);
	return rc;
}

/* Splits an opened plaintext; LANDING_MALFORMED when its lengths do not add up. */
static enum landing_check parse_plain(const unsigned char *p, size_t n, int64_t now_ms, char *user_id, size_t uid_n,
				      char **url)
{
	if (n < HEAD || p[8] == 0 || (size_t)p[8] + HEAD >= n || p[8] >= uid_n)
		return LANDING_MALFORMED;
	uint64_t exp = 0;
	for (int i = 0; i < 8; i++)
		exp = exp << 8 | p[i];
	size_t ul = p[8], rl = n - HEAD - ul;
	if (memchr(p + HEAD, '\0', ul + rl))
		return LANDING_MALFORMED;
	if ((int64_t)exp <= now_ms)
		return LANDING_EXPIRED;
	if (!(*url = malloc(rl + 1)))
		return LANDING_MALFORMED;
	memcpy(user_id, p + HEAD, ul);
	user_id[ul] = '\0';
	memcpy(*url, p + HEAD + ul, rl);
	(*url)[rl] = '\0';
	return LANDING_OK;
}

enum landing_check landing_open(const unsigned char key[LANDING_KEY_LEN], const char *opaque, size_t n, int64_t now_ms,
				char *user_id, size_t uid_n, char **url)
{
	*url = NULL;
	if (n < 8 || n >= LANDING_OPAQUE_MAX)
		return LANDING_MALFORMED;
	for (size_t i = 0; i < n; i++) {
		char ch = opaque[i];
		if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '-' ||
		      ch == '_'))
			return LANDING_MALFORMED;
	}
	unsigned char raw[PLAIN_MAX], plain[PLAIN_MAX];
	long k = sig_decode(SIG_BASE64URL, (struct slice){ opaque, n }, raw, sizeof(raw));
	if (k < 1 + NONCE + HEAD + 2 + TAG || raw[0] != VERSION)
		return LANDING_MALFORMED;
	size_t cl = (size_t)k - 1 - NONCE - TAG;
	enum landing_check rc = LANDING_FORGED;
	if (gcm(0, key, raw + 1, raw + 1 + NONCE, cl, plain, raw + 1 + NONCE + cl) == 0)
		rc = parse_plain(plain, cl, now_ms, user_id, uid_n, url);
	OPENSSL_cleanse(plain, sizeof(plain));
	return rc;
}
