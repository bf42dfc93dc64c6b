/* test_allowlist.c: allowlist parsing and prefix matching, IPv4, IPv6 and IPv4-mapped IPv6. */
#include "check.h"
#include "hooks/allowlist.h"
#include <string.h>

static void matching(void)
{
	char bad[64] = "";
	struct allowlist *a = allowlist_new("10.0.0.0/8, 192.0.2.7,2001:db8::/32 198.51.100.0/23", bad, sizeof(bad));
	CHECK(a != NULL);
	CHECK(allowlist_admits(a, "10.255.1.2") == 1);
	CHECK(allowlist_admits(a, "11.0.0.1") == 0);
	CHECK(allowlist_admits(a, "192.0.2.7") == 1);
	CHECK(allowlist_admits(a, "192.0.2.8") == 0);
	CHECK(allowlist_admits(a, "198.51.101.255") == 1); /* a /23: the second octet's low bit is free */
	CHECK(allowlist_admits(a, "198.51.102.0") == 0);
	CHECK(allowlist_admits(a, "2001:db8:ffff::1") == 1);
	CHECK(allowlist_admits(a, "2001:db9::1") == 0);
	CHECK(allowlist_admits(a, "::ffff:10.1.2.3") == 1); /* a dual-stack listener's IPv4 client */
	CHECK(allowlist_admits(a, "::ffff:127.0.0.1") == 0);
	CHECK(allowlist_admits(a, "127.0.0.1") == 0);
	CHECK(allowlist_admits(a, "not an address") == 0);
	CHECK(allowlist_admits(a, NULL) == 0);
	CHECK(allowlist_admits(NULL, "127.0.0.1") == 1);
	allowlist_free(a);
	a = allowlist_new("0.0.0.0/0", bad, sizeof(bad));
	CHECK(a && allowlist_admits(a, "203.0.113.9") == 1 && allowlist_admits(a, "::1") == 0);
	allowlist_free(a);
	allowlist_free(NULL);
}

static void refused_entries(void)
{
	static const char *const wrong[] = { "10.0.0.0/33", "::/129",	    "10.0.0.0/",     "10.0.0.0/8x",
					     "10.0.0",	    "host.example", "10.0.0.0/0008", "/8" };
	for (size_t i = 0; i < sizeof(wrong) / sizeof(wrong[0]); i++) {
		char bad[64] = "";
		CHECK(allowlist_new(wrong[i], bad, sizeof(bad)) == NULL);
		CHECK_STR(bad, wrong[i]);
	}
	char bad[64] = "";
	CHECK(allowlist_new("10.0.0.0/8, 10.0.0.0/33", bad, sizeof(bad)) == NULL);
	CHECK_STR(bad, "10.0.0.0/33");
	CHECK(allowlist_entry_ok(SLICE_LIT("::1")) == 1);
	CHECK(allowlist_entry_ok(SLICE_LIT("1.2.3.4/32")) == 1);
	CHECK(allowlist_entry_ok(SLICE_LIT("1.2.3.4/-1")) == 0);
}

/* Each entry as the network it admits: what [server] allow hands civetweb, which does not mask the entry. */
static void networks(void)
{
	static const char *const in[] = { "10.1.2.3/8", "192.0.2.7",	  "198.51.101.9/23",	"0.0.0.0/0",
					  "1.2.3.4/0",	"2001:db8::1/32", "::ffff:10.9.8.7/104" };
	static const char *const want[] = { "10.0.0.0/8", "192.0.2.7/32",  "198.51.100.0/23",	 "0.0.0.0/0",
					    "0.0.0.0/0",  "2001:db8::/32", "::ffff:10.0.0.0/104" };
	for (size_t i = 0; i < sizeof(in) / sizeof(in[0]); i++) {
		char net[64] = "";
		CHECK(allowlist_entry_net((struct slice){ in[i], strlen(in[i]) }, net, sizeof(net)) == 0);
		CHECK_STR(net, want[i]);
	}
	char small[8];
	CHECK(allowlist_entry_net(SLICE_LIT("10.0.0.0/33"), small, sizeof(small)) == -1);
	CHECK(allowlist_entry_net(SLICE_LIT("10.0.0.0/8"), small, sizeof(small)) == -1); /* does not fit */
}

int main(void)
{
	matching();
	networks();
	refused_entries();
	return check_report("test_allowlist");
}
