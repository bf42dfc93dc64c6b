/* link.h: the rel="next" target of an RFC 8288 Link header, as Okta pages its lists. */
#ifndef HOOKD_OKTA_LINK_H
#define HOOKD_OKTA_LINK_H

#include <stddef.h>

/* Longest link target kept; longer ones are refused as malformed. */
#define OKTA_LINK_MAX 8192

/*
 * Reads one Link header value v[0..n) (not NUL-terminated: `<uri>; rel="next", <uri>; rel=self`)
 * and copies the target of the first link whose rel names "next" into out (outn bytes,
 * NUL-terminated). Returns 1 when found, 0 when no link there is rel=next, -1 when the value is
 * malformed or the target does not fit (out is then the empty string).
 */
int okta_link_next(const char *v, size_t n, char *out, size_t outn);

#endif
