/* landing.h: scanner-safe activation links: Okta's activationUrl sealed (AES-256-GCM) into an opaque token. */
#ifndef HOOKD_HANDLERS_LANDING_H
#define HOOKD_HANDLERS_LANDING_H

#include <stddef.h>
#include <stdint.h>

#define LANDING_KEY_LEN 32
/* Longest opaque token landing_open accepts (and landing_seal writes, NUL included). */
#define LANDING_OPAQUE_MAX 2048

/*
 * Reads a 32-byte key given as 64 hex digits or base64 (padding optional) into key. Returns 0, or
 * -1 when the text is neither or not 32 bytes.
 */
int landing_key_parse(const char *text, unsigned char key[LANDING_KEY_LEN]);

/*
 * Seals (user_id, url, expires_ms) under key into out as base64url without padding: a version
 * byte, a random 96-bit nonce, the AES-256-GCM ciphertext and its 128-bit tag. Nothing is stored:
 * the token is the whole state. Returns 0, or -1 when out (n bytes) is too small or OpenSSL fails.
 */
int landing_seal(const unsigned char key[LANDING_KEY_LEN], const char *user_id, const char *url, int64_t expires_ms,
		 char *out, size_t n);

enum landing_check {
	LANDING_OK,
	LANDING_MALFORMED, /* not a token of ours: wrong characters, length or version */
	LANDING_FORGED,	   /* the tag does not verify: tampered, or sealed under another key */
	LANDING_EXPIRED,   /* authentic, but past its expiry */
};

/*
 * Opens opaque (its first n bytes) at now_ms. LANDING_OK fills user_id (uid_n bytes) and *url
 * (malloc'd; the caller frees it, and never logs it). Any other result leaves *url NULL.
 */
enum landing_check landing_open(const unsigned char key[LANDING_KEY_LEN], const char *opaque, size_t n, int64_t now_ms,
				char *user_id, size_t uid_n, char **url);

#endif
