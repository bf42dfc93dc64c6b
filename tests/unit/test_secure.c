/* test_secure.c: the constant-time secret comparison used by every header-secret check. */
#include "check.h"

#include "core/secure.h"

int main(void)
{
	CHECK(secure_equal("s3cret", 6, "s3cret", 6) == 1);
	CHECK(secure_equal("s3cret", 6, "s3creT", 6) == 0);
	CHECK(secure_equal("s3cret", 6, "s3cret!", 7) == 0);
	CHECK(secure_equal("s3cret", 6, "s3cre", 5) == 0);
	CHECK(secure_equal("", 0, "", 0) == 1);
	CHECK(secure_equal("", 0, "x", 1) == 0);
	/* Embedded NUL bytes are compared, not treated as an end. */
	CHECK(secure_equal("a\0b", 3, "a\0c", 3) == 0);
	CHECK(secure_equal("a\0b", 3, "a\0b", 3) == 1);
	/* Long values are compared whole. */
	char a[5000], b[5000];
	for (int i = 0; i < 5000; i++)
		a[i] = b[i] = (char)('a' + i % 26);
	CHECK(secure_equal(a, sizeof(a), b, sizeof(b)) == 1);
	b[4999] ^= 1;
	CHECK(secure_equal(a, sizeof(a), b, sizeof(b)) == 0);
	return check_report("secure");
}
