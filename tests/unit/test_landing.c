/* test_landing.c: scanner-safe links: seal/open round trip, tampering, other keys, expiry, bad text. */
#include "check.h"

#include "handlers/landing.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *url = "https://example.okta.com/tokens/Abc123xyz/verify";

static void round_trip(const unsigned char *key)
{
	char tok[LANDING_OPAQUE_MAX], uid[64];
	char *got = NULL;
	CHECK(landing_seal(key, "00u1abc", url, 2000, tok, sizeof(tok)) == 0);
	CHECK(strspn(tok, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_") == strlen(tok));
	CHECK(strstr(tok, "Abc123xyz") == NULL); /* the token is not readable in the link */
	CHECK(landing_open(key, tok, strlen(tok), 1999, uid, sizeof(uid), &got) == LANDING_OK);
	CHECK_STR(got, url);
	CHECK_STR(uid, "00u1abc");
	free(got);
	CHECK(landing_open(key, tok, strlen(tok), 2000, uid, sizeof(uid), &got) == LANDING_EXPIRED && !got);
	char tok2[LANDING_OPAQUE_MAX];
	CHECK(landing_seal(key, "00u1abc", url, 2000, tok2, sizeof(tok2)) == 0);
	CHECK(strcmp(tok, tok2) != 0); /* a fresh nonce each time */
	/* Every single-character change is refused: forged (tag) or malformed (framing). */
	size_t n = strlen(tok);
	int refused = 0;
	for (size_t i = 0; i < n; i++) {
		char t[LANDING_OPAQUE_MAX];
		memcpy(t, tok, n + 1);
		t[i] = t[i] == 'A' ? 'B' : 'A';
		enum landing_check c = landing_open(key, t, n, 1000, uid, sizeof(uid), &got);
		refused += c == LANDING_FORGED || c == LANDING_MALFORMED;
		free(got);
	}
	CHECK(refused == (int)n);
	unsigned char other[LANDING_KEY_LEN];
	memcpy(other, key, sizeof(other));
	other[0] ^= 1;
	CHECK(landing_open(other, tok, n, 1000, uid, sizeof(uid), &got) == LANDING_FORGED && !got);
	CHECK(landing_open(key, tok, n - 1, 1000, uid, sizeof(uid), &got) != LANDING_OK && !got);
	char small_uid[4];
	CHECK(landing_open(key, tok, n, 1000, small_uid, sizeof(small_uid), &got) == LANDING_MALFORMED && !got);
	char tiny[16];
	CHECK(landing_seal(key, "00u1abc", url, 2000, tiny, sizeof(tiny)) < 0);
}

static void bad_text(const unsigned char *key)
{
	const char *bad[] = { "",
			      "abc",
			      "!!!!!!!!!!!!",
			      "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			      "AQ==AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA",
			      "../../../../etc/passwd" };
	char uid[64];
	char *got = NULL;
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		CHECK(landing_open(key, bad[i], strlen(bad[i]), 0, uid, sizeof(uid), &got) != LANDING_OK);
		CHECK(got == NULL);
	}
	char *huge = malloc(LANDING_OPAQUE_MAX + 10);
	memset(huge, 'A', LANDING_OPAQUE_MAX + 9);
	huge[LANDING_OPAQUE_MAX + 9] = '\0';
	CHECK(landing_open(key, huge, strlen(huge), 0, uid, sizeof(uid), &got) == LANDING_MALFORMED);
	free(huge);
}

static void keys(void)
{
	unsigned char k[LANDING_KEY_LEN];
	CHECK(landing_key_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n", k) == 0);
	CHECK(k[0] == 0 && k[31] == 0x1f);
	CHECK(landing_key_parse("AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=", k) == 0 && k[31] == 0x1f);
	CHECK(landing_key_parse("00010203", k) < 0);
	CHECK(landing_key_parse("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", k) < 0);
	CHECK(landing_key_parse("", k) < 0);
}

/* The fuzz corpus token was sealed by Python's cryptography AESGCM: the format is plain AES-256-GCM. */
static void interop(void)
{
	unsigned char key[LANDING_KEY_LEN] = { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10 };
	char tok[LANDING_OPAQUE_MAX], uid[64];
	char *got = NULL;
	FILE *f = fopen("tests/fuzz/corpus/landing/valid-token", "r");
	size_t n = f ? fread(tok, 1, sizeof(tok) - 1, f) : 0;
	if (f)
		fclose(f);
	tok[n] = '\0';
	CHECK(n > 0 && landing_open(key, tok, n, 0, uid, sizeof(uid), &got) == LANDING_OK);
	CHECK_STR(got, "https://example.okta.com/tokens/seed/verify");
	CHECK_STR(uid, "00u1seed");
	free(got);
}

int main(void)
{
	interop();
	unsigned char key[LANDING_KEY_LEN];
	for (int i = 0; i < LANDING_KEY_LEN; i++)
		key[i] = (unsigned char)(i * 7 + 3);
	round_trip(key);
	bad_text(key);
	keys();
	printf("landing: %d passed, %d failed\n", check_passed, check_failed);
	return check_failed ? 1 : 0;
}
