/* sig_secret.c: the shared-secret schemes: a header equal to the secret, and HTTP Basic credentials. */
#include "hooks/sig.h"

#include <openssl/crypto.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

/* 1 when v equals one of the keys; every key is compared, in constant time. */
static int any_key(const struct sig_keys *keys, struct slice v)
{
	int hit = 0;
	for (int i = 0; i < keys->n && i < 2; i++)
		hit |= sig_secret_eq(v, keys->key[i]);
	return hit;
}

int sig_verify_header_secret(const struct sig_keys *keys, const struct sig_header *h, const char *prefix, char *reason,
			     size_t reason_len)
{
	if (!h->value || !h->value[0])
		return sig_fail(reason, reason_len, "missing %s header", h->name);
	struct slice v = slice_cstr(h->value);
	size_t pn = prefix ? strlen(prefix) : 0;
	if (pn) {
		if (v.n < pn || strncasecmp(v.p, prefix, pn) != 0)
			return sig_fail(reason, reason_len, "%s header lacks the prefix %s", h->name, prefix);
		v.p += pn;
		v.n -= pn;
		while (v.n && v.p[0] == ' ') { /* INI values lose trailing blanks: "prefix = Bearer" */
			v.p++;
			v.n--;
		}
	}
	if (!any_key(keys, v))
		return sig_fail(reason, reason_len, "%s header does not match the secret", h->name);
	return 0;
}

/* Decodes the credentials after "Basic " into a malloc'd buffer; NULL when they are not base64. */
static char *basic_decode(const char *v, size_t *outn)
{
	while (*v == ' ')
		v++;
	struct slice b = slice_cstr(v);
	while (b.n && b.p[b.n - 1] == ' ')
		b.n--;
	char *out = malloc(b.n / 4 * 3 + 3);
	if (!out)
		return NULL;
	long n = sig_decode(SIG_BASE64, b, (unsigned char *)out, b.n / 4 * 3 + 3);
	if (n <= 0) {
		free(out);
		return NULL;
	}
	*outn = (size_t)n;
	return out;
}

int sig_verify_basic(const struct sig_keys *keys, const char *username, const struct sig_header *h, char *reason,
		     size_t reason_len)
{
	if (!h->value || !h->value[0])
		return sig_fail(reason, reason_len, "missing %s header", h->name);
	if (strncasecmp(h->value, "Basic ", 6) != 0)
		return sig_fail(reason, reason_len, "%s header is not Basic credentials", h->name);
	size_t n;
	char *cred = basic_decode(h->value + 6, &n);
	if (!cred)
		return sig_fail(reason, reason_len, "%s header holds invalid base64", h->name);
	const char *colon = memchr(cred, ':', n);
	int ok = 0;
	if (colon) {
		struct slice user = { cred, (size_t)(colon - cred) };
		struct slice pass = { colon + 1, n - (size_t)(colon - cred) - 1 };
		ok = sig_secret_eq(user, slice_cstr(username)) & any_key(keys, pass);
	}
	OPENSSL_cleanse(cred, n);
	free(cred);
	if (!colon)
		return sig_fail(reason, reason_len, "%s credentials lack a ':'", h->name);
	return ok ? 0 : sig_fail(reason, reason_len, "credentials do not match");
}
