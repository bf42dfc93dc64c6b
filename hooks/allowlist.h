/* allowlist.h: client address allowlists (CIDR[,CIDR...]), checked at accept or per route. */
#ifndef HOOKD_ALLOWLIST_H
#define HOOKD_ALLOWLIST_H

#include "core/slice.h"

#include <stddef.h>

struct allowlist;
struct config;

/* One entry: "10.0.0.0/8", "2001:db8::/32" or an address alone (inet_pton, a prefix in range). */
int allowlist_entry_ok(struct slice entry);
/*
 * entry as its network, "ADDR/BITS" with the host bits cleared ("10.1.2.3/8" -> "10.0.0.0/8"),
 * into out (n bytes, INET6_ADDRSTRLEN + 4 is enough): how allowlist_admits reads it, for matchers
 * that compare the address unmasked (civetweb's access_control_list). 0, or -1 when it is not an
 * entry or does not fit.
 */
int allowlist_entry_net(struct slice entry, char *out, size_t n);

/*
 * Parses list (entries separated by commas or spaces). Returns the allowlist, or NULL with the
 * first bad entry in bad ("(out of memory)" when that failed). An empty list admits no address.
 */
struct allowlist *allowlist_new(const char *list, char *bad, size_t badlen);
void allowlist_free(struct allowlist *a);

/*
 * The allow key of [section name] (name NULL for a plain section) into *out: NULL when it is unset
 * or empty (every address). Returns 0, or -1 with the bad entry reported to c.
 */
int allowlist_from_config(struct config *c, const char *section, const char *name, struct allowlist **out);

/*
 * 1 when addr (text, as civetweb gives it: "127.0.0.1", "::1", "::ffff:10.1.2.3") is inside an
 * entry, else 0; an IPv4-mapped IPv6 address matches the IPv4 entries. a NULL admits every
 * address. Thread-safe: a is read-only after allowlist_new.
 */
int allowlist_admits(const struct allowlist *a, const char *addr);

#endif
