/* tlscert.c: loading and checking a PEM certificate chain and key (OpenSSL), shared by reference. */
#include "core/tlscert.h"

#include "core/config.h"

#include <errno.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct tls_cert {
	_Atomic int refs;
	X509 *leaf;
	STACK_OF(X509) * chain;
	EVP_PKEY *key;
	int64_t not_after;
};

static void cert_free(struct tls_cert *c)
{
	X509_free(c->leaf);
	sk_X509_pop_free(c->chain, X509_free);
	EVP_PKEY_free(c->key);
	free(c);
}

struct tls_cert *tls_cert_ref(struct tls_cert *c)
{
	if (c)
		atomic_fetch_add(&c->refs, 1);
	return c;
}

void tls_cert_unref(struct tls_cert *c)
{
	if (c && atomic_fetch_sub(&c->refs, 1) == 1)
		cert_free(c);
}

/* Opens path for reading; on failure err names the file and the cause in plain words. */
static FILE *open_pem(const char *path, char *err, size_t errlen)
{
	if (!path || !*path) {
		snprintf(err, errlen, "no file given");
		return NULL;
	}
	FILE *f = fopen(path, "r");
	if (!f)
		snprintf(err, errlen, "%s: %s", path,
			 errno == ENOENT   ? "no such file"
			 : errno == EACCES ? "permission denied"
					   : strerror(errno));
	return f;
}

/* The leaf, then every further certificate of the file into the chain. */
static int read_chain(struct tls_cert *c, const char *path, char *err, size_t errlen)
{
	FILE *f = open_pem(path, err, errlen);
	if (!f)
		return -1;
	c->leaf = PEM_read_X509(f, NULL, NULL, NULL);
	c->chain = sk_X509_new_null();
	X509 *x;
	while (c->leaf && c->chain && (x = PEM_read_X509(f, NULL, NULL, NULL)))
		if (!sk_X509_push(c->chain, x))
			X509_free(x);
	fclose(f);
	ERR_clear_error(); /* the end of the file reads as an error */
	if (!c->leaf || !c->chain) {
		snprintf(err, errlen, "%s: not a PEM certificate", path);
		return -1;
	}
	return 0;
}

static int64_t asn1_unix(const ASN1_TIME *t)
{
	struct tm tm;
	if (!t || ASN1_TIME_to_tm(t, &tm) != 1)
		return 0;
	return (int64_t)timegm(&tm);
}

static int check_dates(struct tls_cert *c, const char *path, char *err, size_t errlen)
{
	c->not_after = asn1_unix(X509_get0_notAfter(c->leaf));
	char when[32] = "?";
	time_t na = (time_t)c->not_after;
	struct tm tm;
	if (gmtime_r(&na, &tm))
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	if (X509_cmp_current_time(X509_get0_notAfter(c->leaf)) <= 0) {
		snprintf(err, errlen, "%s: the certificate expired at %s", path, when);
		return -1;
	}
	if (X509_cmp_current_time(X509_get0_notBefore(c->leaf)) >= 0) {
		snprintf(err, errlen, "%s: the certificate is not valid yet", path);
		return -1;
	}
	return 0;
}

static int read_key(struct tls_cert *c, const char *path, char *err, size_t errlen)
{
	FILE *f = open_pem(path, err, errlen);
	if (!f)
		return -1;
	c->key = PEM_read_PrivateKey(f, NULL, NULL, NULL);
	fclose(f);
	ERR_clear_error();
	if (!c->key) {
		snprintf(err, errlen, "%s: not a PEM private key (an encrypted key needs decrypting first)", path);
		return -1;
	}
	if (X509_check_private_key(c->leaf, c->key) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "%s: this key does not belong to the certificate", path);
		return -1;
	}
	return 0;
}

enum tls_cert_fault tls_cert_load(const char *cert_path, const char *key_path, struct tls_cert **out, char *err,
				  size_t errlen)
{
	*out = NULL;
	struct tls_cert *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return TLS_CERT_BAD_CERT;
	}
	atomic_init(&c->refs, 1);
	enum tls_cert_fault rc = TLS_CERT_OK;
	if (read_chain(c, cert_path, err, errlen) < 0 || check_dates(c, cert_path, err, errlen) < 0)
		rc = TLS_CERT_BAD_CERT;
	else if (read_key(c, key_path, err, errlen) < 0)
		rc = TLS_CERT_BAD_KEY;
	if (rc != TLS_CERT_OK) {
		cert_free(c);
		return rc;
	}
	*out = c;
	return TLS_CERT_OK;
}

int64_t tls_cert_not_after(const struct tls_cert *c)
{
	return c->not_after;
}

void tls_cert_fingerprint(const struct tls_cert *c, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	out[0] = '\0';
	if (X509_digest(c->leaf, EVP_sha256(), md, &n) != 1)
		return;
	for (unsigned int i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
}

int tls_cert_use(const struct tls_cert *c, struct ssl_st *ssl)
{
	/* override = 1: replaces what the connection inherited from its SSL_CTX */
	return SSL_use_cert_and_key(ssl, c->leaf, c->key, c->chain, 1) == 1 ? 0 : -1;
}

int tls_cert_from_config(struct config *c, struct tls_cert **out)
{
	char err[512];
	struct tls_cert *t = NULL;
	enum tls_cert_fault f = tls_cert_load(config_get(c, "server", NULL, "tls_cert"),
					      config_get(c, "server", NULL, "tls_key"), &t, err, sizeof(err));
	if (f != TLS_CERT_OK) {
		config_report(c, "server", NULL, f == TLS_CERT_BAD_KEY ? "tls_key" : "tls_cert", "%s", err);
		return -1;
	}
	if (out)
		*out = t;
	else
		tls_cert_unref(t);
	return 0;
}
