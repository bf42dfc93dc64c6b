/* allowlist.c: client address allowlists parsed once with inet_pton, matched by prefix. */
#include "hooks/allowlist.h"

#include "core/config.h"
#include "core/list.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct net {
	int family;
	unsigned char addr[16];
	int bits;
};

struct allowlist {
	struct net *n;
	size_t count;
};

/* Parses one entry into *out; 0, or -1 when it is not an address with an in-range prefix. */
static int net_parse(struct slice a, struct net *out)
{
	char host[64];
	const char *slash = memchr(a.p, '/', a.n);
	size_t hn = slash ? (size_t)(slash - a.p) : a.n;
	if (hn == 0 || hn >= sizeof(host))
		return -1;
	memcpy(host, a.p, hn);
	host[hn] = '\0';
	memset(out, 0, sizeof(*out));
	if (inet_pton(AF_INET, host, out->addr) == 1)
		out->family = AF_INET, out->bits = 32;
	else if (inet_pton(AF_INET6, host, out->addr) == 1)
		out->family = AF_INET6, out->bits = 128;
	else
		return -1;
	if (!slash)
		return 0;
	size_t dn = a.n - hn - 1;
	if (dn == 0 || dn > 3 || strspn(slash + 1, "0123456789") < dn)
		return -1;
	int bits = atoi(slash + 1);
	if (bits > out->bits)
		return -1;
	out->bits = bits;
	return 0;
}

int allowlist_entry_ok(struct slice entry)
{
	struct net n;
	return net_parse(entry, &n) == 0;
}

int allowlist_entry_net(struct slice entry, char *out, size_t n)
{
	struct net t;
	char host[INET6_ADDRSTRLEN];
	if (net_parse(entry, &t) < 0)
		return -1;
	for (int i = 0; i < 16; i++) {
		int keep = t.bits - 8 * i; /* prefix bits in byte i */
		t.addr[i] &= keep >= 8 ? 0xff : keep <= 0 ? 0 : (unsigned char)(0xff << (8 - keep));
	}
	if (!inet_ntop(t.family, t.addr, host, sizeof(host)))
		return -1;
	int w = snprintf(out, n, "%s/%d", host, t.bits);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

struct allowlist *allowlist_new(const char *list, char *bad, size_t badlen)
{
	struct allowlist *a = calloc(1, sizeof(*a));
	const char *p = list ? list : "";
	size_t cap = 0;
	struct slice e;
	while (a && list_next(&p, ", ", &e)) {
		if (a->count == cap) {
			struct net *grown = realloc(a->n, (cap ? cap * 2 : 8) * sizeof(*grown));
			if (!grown)
				goto oom;
			a->n = grown;
			cap = cap ? cap * 2 : 8;
		}
		if (net_parse(e, &a->n[a->count]) < 0) {
			snprintf(bad, badlen, "%.*s", (int)(e.n > 48 ? 48 : e.n), e.p);
			allowlist_free(a);
			return NULL;
		}
		a->count++;
	}
	if (a)
		return a;
oom:
	snprintf(bad, badlen, "(out of memory)");
	allowlist_free(a);
	return NULL;
}

void allowlist_free(struct allowlist *a)
{
	if (!a)
		return;
	free(a->n);
	free(a);
}

int allowlist_from_config(struct config *c, const char *section, const char *name, struct allowlist **out)
{
	const char *list = config_get(c, section, name, "allow");
	char bad[64];
	*out = NULL;
	if (!list || !*list)
		return 0;
	if (!(*out = allowlist_new(list, bad, sizeof(bad)))) {
		config_report(c, section, name, "allow", "'%s' is not an address or CIDR", bad);
		return -1;
	}
	return 0;
}

static int prefix_eq(const unsigned char *x, const unsigned char *y, int bits)
{
	int whole = bits / 8, rest = bits % 8;
	if (memcmp(x, y, (size_t)whole) != 0)
		return 0;
	if (!rest)
		return 1;
	unsigned char mask = (unsigned char)(0xff << (8 - rest));
	return (x[whole] & mask) == (y[whole] & mask);
}

int allowlist_admits(const struct allowlist *a, const char *addr)
{
	if (!a)
		return 1;
	unsigned char b[16], v4[4];
	int family = AF_INET, mapped = 0;
	if (!addr || inet_pton(AF_INET, addr, b) != 1) {
		if (!addr || inet_pton(AF_INET6, addr, b) != 1)
			return 0;
		family = AF_INET6;
		static const unsigned char v4_prefix[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if ((mapped = memcmp(b, v4_prefix, sizeof(v4_prefix)) == 0))
			memcpy(v4, b + 12, 4);
	}
	for (size_t i = 0; i < a->count; i++) {
		const struct net *n = &a->n[i];
		if (n->family == family && prefix_eq(n->addr, b, n->bits))
			return 1;
		if (mapped && n->family == AF_INET && prefix_eq(n->addr, v4, n->bits))
			return 1;
	}
	return 0;
}
