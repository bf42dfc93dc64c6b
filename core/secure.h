/* secure.h: constant-time comparison of secrets and wiping of memory that held them. */
#ifndef HOOKD_SECURE_H
#define HOOKD_SECURE_H

#include <stddef.h>

/*
 * 1 when a[0..an) equals b[0..bn), 0 otherwise, in time that depends on neither the contents nor
 * where they differ, nor on whether the lengths match: both sides are reduced to keyed SHA-256
 * digests (a per-process random key) and the digests compared with CRYPTO_memcmp.
 */
int secure_equal(const void *a, size_t an, const void *b, size_t bn);
/* Overwrites and frees a NUL-terminated secret; NULL-safe. */
void secure_free(char *s);

#endif
