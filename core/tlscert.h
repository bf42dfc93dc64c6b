/* tlscert.h: a TLS certificate chain and its key, loaded and checked once, shared by reference. */
#ifndef HOOKD_TLSCERT_H
#define HOOKD_TLSCERT_H

#include <stddef.h>
#include <stdint.h>

struct ssl_st;
struct tls_cert;

enum tls_cert_fault {
	TLS_CERT_OK = 0,
	TLS_CERT_BAD_CERT = -1, /* the certificate file: missing, unreadable, not PEM, expired, not yet valid */
	TLS_CERT_BAD_KEY = -2,	/* the key file: missing, unreadable, not a PEM key, or not the certificate's */
};

/*
 * Reads the PEM chain cert_path (leaf first) and the PEM private key key_path, and checks that both
 * parse, that the key is the leaf's, and that the leaf is valid now. On TLS_CERT_OK *out holds one
 * reference (release with tls_cert_unref). Otherwise *out is NULL and err says what is wrong in
 * plain words, starting with the file ("/etc/hookd/server.crt: no such file"); the return value
 * says which of the two files it is, so that check-config can point at tls_cert or tls_key.
 * Used by serve (start and reload), check-config and doctor.
 */
enum tls_cert_fault tls_cert_load(const char *cert_path, const char *key_path, struct tls_cert **out, char *err,
				  size_t errlen);
struct config;
/*
 * tls_cert_load on [server] tls_cert and tls_key of c, the problem reported to c at the key it is
 * about. Returns 0 with *out holding a reference (out may be NULL: check only), -1 after reporting.
 */
int tls_cert_from_config(struct config *c, struct tls_cert **out);
/* Takes another reference; returns c. NULL-safe. */
struct tls_cert *tls_cert_ref(struct tls_cert *c);
/* Drops a reference; the last one frees. NULL-safe. */
void tls_cert_unref(struct tls_cert *c);
/* The leaf's notAfter, in unix seconds. */
int64_t tls_cert_not_after(const struct tls_cert *c);
/* The leaf's SHA-256 fingerprint as 64 lowercase hex digits (out needs 65 bytes). */
void tls_cert_fingerprint(const struct tls_cert *c, char out[65]);
/*
 * Makes ssl (one connection, during its handshake) use this certificate, chain and key. The
 * connection takes its own references: c may be released right after. Returns 0, -1 on failure.
 */
int tls_cert_use(const struct tls_cert *c, struct ssl_st *ssl);

#endif
